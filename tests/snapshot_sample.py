"""What the snapshot tests share: the recorded Unpaywall snapshot sample.

2,150 records of ezunpaywall's test snapshot (see the provenance note
in tests/fixtures/unpaywall/PROVENANCE.md).
"""

from __future__ import annotations

from pathlib import Path

SAMPLE = (
    Path(__file__).parent
    / "fixtures"
    / "unpaywall"
    / "snapshot"
    / "ezunpaywall_snapshot_2150records.jsonl.gz"
).resolve()
