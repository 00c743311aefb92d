"""The Open Access Button source keeps the source contract of paperfuse.testing.

Recorded bodies from tests/fixtures/oab/ (see PROVENANCE.md there) answer
``/find``: the recorded answer for 10.1103/PhysRevLett.80.3915, by DOI and by its
title, and the recorded "not available" answer for any other id.
"""

from __future__ import annotations

from pathlib import Path

from werkzeug import Request, Response

import paperfuse_oab
from paperfuse.testing import FakeUpstream, SourceContract

FIXTURES = Path(__file__).parents[1] / "fixtures" / "oab"
FOUND = FIXTURES / "psu_find_10.1103_physrevlett.80.3915.json"
NOT_AVAILABLE = FIXTURES / "psu_find_legacy_ANONYMIZED_not_available.json"
TITLE = "Stable characteristic evolution of generic three-dimensional single-black-hole spacetimes"


def find(request: Request) -> Response:
    known = request.args.get("id", "").lower() == "10.1103/physrevlett.80.3915"
    known = known or request.args.get("title") == TITLE
    body = (FOUND if known else NOT_AVAILABLE).read_bytes()
    return Response(body, content_type="application/json")


class TestOABContract(SourceContract):
    plugin = paperfuse_oab
    source = "oab"
    found = ("10.1103/PhysRevLett.80.3915",)
    unknown = "10.1103/not-there"
    search_title = TITLE

    def replay(self, upstream: FakeUpstream) -> None:
        upstream.route("/find", find)
