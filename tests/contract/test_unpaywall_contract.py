"""The Unpaywall source keeps the source contract of paperfuse.testing.

Recorded bodies from tests/fixtures/unpaywall/ (see PROVENANCE.md there): DOI
objects answer ``/v2/{doi}``, the recorded 404 answers an unknown DOI, and a
recorded ``/v2/search`` answer the title search.
"""

from __future__ import annotations

import re
from pathlib import Path

import paperfuse_unpaywall
from paperfuse.testing import FakeUpstream, SourceContract

FIXTURES = Path(__file__).parents[1] / "fixtures" / "unpaywall"
BY_DOI = {
    "10.1038/nature12373": "unpywall_10.1038_nature12373.json",
    "10.1103/physreve.88.012814": "unpywall_10.1103_physreve.88.012814.json",
}


class TestUnpaywallContract(SourceContract):
    plugin = paperfuse_unpaywall
    source = "unpaywall"
    found = ("10.1038/nature12373", "https://doi.org/10.1103/PhysRevE.88.012814")
    unknown = "10.1038/not-there"
    search_title = (
        "Revelation of Three Periods of Japan Economic Development"
        " on the Economic Development of China"
    )

    def replay(self, upstream: FakeUpstream) -> None:
        upstream.answer_from(
            FIXTURES,
            lambda asked: BY_DOI.get((asked.path or "").removeprefix("/v2/").lower()),
            path=re.compile(r"/v2/.+"),
        )
        upstream.answer(
            "/v2/10.1038/not-there", file=FIXTURES / "psu_404_10.000_doi1.json", status=404
        )
        upstream.answer(
            "/v2/search", file=FIXTURES / "psu_search_economic_development_2023-09.json"
        )
