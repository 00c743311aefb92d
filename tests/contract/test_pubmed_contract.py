"""The PubMed source keeps the source contract of paperfuse.testing.

The recorded efetch answer of tests/fixtures/pubmed/ (see PROVENANCE.md there)
answers ``efetch`` for its PMID; for other PMIDs an empty article set is built
here from its head and tail (synthetic, as NCBI leaves unknown PMIDs out). The
esearch answer of the title search is written here in NCBI's documented shape
(not recorded), as tests/test_pubmed.py does. E-utilities answer unknown PMIDs
inside a 200, so a 404 is a wrong URL: an error.
"""

from __future__ import annotations

from pathlib import Path

import paperfuse_pubmed
from paperfuse.testing import WRONG_SHAPE_XML, Asked, FakeUpstream, Reply, SourceContract

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pubmed"
RECORDED = (FIXTURES / "biomcp_efetch_22663011.xml").read_text(encoding="utf-8")
PMID = "22663011"
EMPTY_SET = (
    RECORDED[: RECORDED.index("<PubmedArticle>")]
    + RECORDED[RECORDED.index("</PubmedArticleSet>") :]
)
TITLE = "Improved survival with MEK inhibition in BRAF-mutated melanoma"


def efetch(asked: Asked) -> Reply:
    ids = asked.params.get("id", "").split(",")
    body = RECORDED if PMID in ids else EMPTY_SET
    return Reply(body, content_type="text/xml")


def esearch(asked: Asked) -> Reply:
    """An esearch JSON answer in NCBI's documented shape (written here, not recorded)."""
    result = {"count": "1", "retmax": "1", "retstart": "0", "idlist": [PMID]}
    return Reply({"header": {"type": "esearch"}, "esearchresult": result})


class TestPubMedContract(SourceContract):
    plugin = paperfuse_pubmed
    source = "pubmed"
    found = ("PMID: 22663011",)
    unknown = "PMID: 1"
    search_title = TITLE
    not_found_status = None
    wrong_shape_body = WRONG_SHAPE_XML
    wrong_shape_type = "text/xml"

    def replay(self, upstream: FakeUpstream) -> None:
        upstream.route("/entrez/eutils/efetch.fcgi", efetch)
        upstream.route("/entrez/eutils/esearch.fcgi", esearch)
