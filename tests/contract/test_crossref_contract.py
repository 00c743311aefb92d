"""The Crossref source keeps the source contract of paperfuse.testing.

Recorded bodies from tests/fixtures/crossref/ (see PROVENANCE.md there): single
works answer ``/works/{doi}``, and the recorded ``filter=prefix:`` list answers
the bibliographic search (same ``message.items`` shape), as tests/test_crossref.py
does. A ``filter=doi:`` batch answer is not recorded: it is built here, in the
recorded list's shape, around the recorded works of the DOIs asked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import paperfuse_crossref
from paperfuse.testing import Asked, FakeUpstream, Reply, SourceContract

FIXTURES = Path(__file__).parents[1] / "fixtures" / "crossref"
BY_DOI = {
    "10.7554/elife.01567": "commonmeta_10.7554_elife.01567.json",
    "10.1007/s00120-007-1345-2": "commonmeta_10.1007_s00120_007_1345_2.json",
}
LIST = FIXTURES / "commonmeta_works_rows_20_filter_prefix_3a10.5555_2ctype_3ajournal_article.json"


def batch(asked: Asked) -> Reply:
    """``/works?filter=doi:A,doi:B``: the recorded works of the DOIs asked, in a list
    built in the recorded list's shape (synthetic wrapper, recorded works)."""
    dois = [d.removeprefix("doi:").lower() for d in asked.params["filter"].split(",")]
    answer = json.loads(LIST.read_bytes())
    answer["message"]["items"] = [
        json.loads((FIXTURES / BY_DOI[d]).read_bytes())["message"] for d in dois if d in BY_DOI
    ]
    answer["message"]["total-results"] = len(answer["message"]["items"])
    return Reply(answer)


class TestCrossrefContract(SourceContract):
    plugin = paperfuse_crossref
    source = "crossref"
    found = ("10.7554/eLife.01567", "https://doi.org/10.1007/s00120-007-1345-2")
    unknown = "10.7554/not-there"
    search_title = (
        "Image retrieval based on color features integrated with anisotropic directionality"
    )

    def replay(self, upstream: FakeUpstream) -> None:
        upstream.answer_from(
            FIXTURES,
            lambda asked: BY_DOI.get((asked.path or "").removeprefix("/works/").lower()),
            path=re.compile(r"/works/.+"),
        )
        upstream.route("/works", batch, params={"filter": re.compile("^doi:")})
        upstream.answer("/works", file=LIST, params={"query.bibliographic": re.compile(".")})
