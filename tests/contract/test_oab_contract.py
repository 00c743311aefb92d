"""The Open Access Button source keeps the source contract of paperfuse.testing.

Recorded bodies from tests/fixtures/oab/ (see PROVENANCE.md there) answer
``/find``: the recorded answer for 10.1103/PhysRevLett.80.3915, by DOI and by its
title, and the recorded "not available" answer for any other id.
"""

from __future__ import annotations

from pathlib import Path

import paperfuse_oab
from paperfuse.testing import Asked, FakeUpstream, Reply, SourceContract

FIXTURES = Path(__file__).parents[1] / "fixtures" / "oab"
FOUND = FIXTURES / "psu_find_10.1103_physrevlett.80.3915.json"
NOT_AVAILABLE = FIXTURES / "psu_find_legacy_ANONYMIZED_not_available.json"
TITLE = "Stable characteristic evolution of generic three-dimensional single-black-hole spacetimes"


def find(asked: Asked) -> Reply:
    known = asked.params.get("id", "").lower() == "10.1103/physrevlett.80.3915"
    known = known or asked.params.get("title") == TITLE
    return Reply.file(FOUND if known else NOT_AVAILABLE)


class TestOABContract(SourceContract):
    plugin = paperfuse_oab
    source = "oab"
    found = ("10.1103/PhysRevLett.80.3915",)
    unknown = "10.1103/not-there"
    search_title = TITLE

    def replay(self, upstream: FakeUpstream) -> None:
        upstream.route("/find", find)
