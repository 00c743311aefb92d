"""The DataCite source keeps the source contract of paperfuse.testing.

Recorded bodies from tests/fixtures/datacite/ (see PROVENANCE.md there) answer
``/dois/{doi}``. The DOIs are of prefixes paperfuse knows to be DataCite's
(Dryad, Zenodo), so no registration-agency look-up is made.
"""

from __future__ import annotations

import re
from pathlib import Path

import paperfuse_datacite
from paperfuse.testing import FakeUpstream, SourceContract

FIXTURES = Path(__file__).parents[1] / "fixtures" / "datacite"
BY_DOI = {
    "10.5061/dryad.8515": "commonmeta_10.5061_dryad.8515.json",
    "10.5281/zenodo.48440": "commonmeta_10.5281_zenodo.48440.json",
}


class TestDataCiteContract(SourceContract):
    plugin = paperfuse_datacite
    source = "datacite"
    found = ("10.5061/dryad.8515", "doi:10.5281/zenodo.48440")
    unknown = "10.5061/not-there"

    def replay(self, upstream: FakeUpstream) -> None:
        upstream.answer_from(
            FIXTURES,
            lambda asked: BY_DOI.get((asked.path or "").removeprefix("/dois/").lower()),
            path=re.compile(r"/dois/.+"),
        )
