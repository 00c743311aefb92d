"""The arXiv source keeps the source contract of paperfuse.testing.

Recorded feeds from tests/fixtures/arxiv/ (see PROVENANCE.md there) answer
``/api/query``: an ``id_list`` request gets the recorded feed of the first id of
it that has one (as arXiv lists only the ids it knows, see
``rsxiv_id_list_4ids_only1_returned.xml``), or the recorded empty feed; a
``search_query`` gets the recorded answer of the API documentation's example.
arXiv answers unknown ids inside a 200 feed, so a 404 is a wrong URL: an error.
"""

from __future__ import annotations

from pathlib import Path

import paperfuse_arxiv
from paperfuse.testing import WRONG_SHAPE_XML, Asked, FakeUpstream, Reply, SourceContract

FIXTURES = Path(__file__).parents[1] / "fixtures" / "arxiv"
BY_ID = {
    "1710.08557": "pubs_id_1710.08557.xml",
    "math/0211159": "pubs_id_math_0211159.xml",
}
EMPTY = "rsxiv_id_1201.56789_empty.xml"
SEARCH = "arxivdocs_typical_response_all_electron_max1.xml"


def query(asked: Asked) -> Reply:
    params = asked.params
    if "id_list" in params:
        ids = [i.split("v")[0] if "/" not in i else i for i in params["id_list"].split(",")]
        name = next((BY_ID[i] for i in ids if i in BY_ID), EMPTY)
    else:
        name = SEARCH
    return Reply.file(FIXTURES / name, content_type="application/atom+xml")


class TestArxivContract(SourceContract):
    plugin = paperfuse_arxiv
    source = "arxiv"
    found = ("arXiv:1710.08557",)
    unknown = "2401.99999"
    search_title = "Multi-Electron Production at High Transverse Momenta in ep Collisions at HERA"
    not_found_status = None
    wrong_shape_body = WRONG_SHAPE_XML
    wrong_shape_type = "application/xml"

    def replay(self, upstream: FakeUpstream) -> None:
        upstream.route("/api/query", query)
