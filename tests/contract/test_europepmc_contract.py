"""The Europe PMC source keeps the source contract of paperfuse.testing.

Recorded answers of tests/fixtures/europepmc/ (see PROVENANCE.md there): the
``EXT_ID:20516115`` answer for that PMID, the recorded empty answer for other
look-ups, and the recorded core search answer for a title search. Europe PMC
answers unknown ids inside a 200, so a 404 is a wrong URL: an error.
"""

from __future__ import annotations

from pathlib import Path

import paperfuse_europepmc
from paperfuse.testing import Asked, FakeUpstream, Reply, SourceContract

FIXTURES = Path(__file__).parents[1] / "fixtures" / "europepmc"
TITLE = (
    "Abscopal response in a patient with fibrolamellar hepatocellular carcinoma"
    " following radiotherapy"
)


def search(asked: Asked) -> Reply:
    query = asked.params.get("query", "")
    if "EXT_ID:20516115" in query:
        name = "biomcp_search_ext_id_20516115_lite.json"
    elif "EXT_ID" in query or "PMCID" in query or "DOI:" in query:
        name = "pyeuropepmc_search_no_results.json"
    else:
        name = "pyeuropepmc_search_cancer_core.json"
    return Reply.file(FIXTURES / name)


class TestEuropePMCContract(SourceContract):
    plugin = paperfuse_europepmc
    source = "europepmc"
    found = ("PMID:20516115",)
    unknown = "PMID: 1"
    search_title = TITLE
    not_found_status = None

    def replay(self, upstream: FakeUpstream) -> None:
        upstream.route("/webservices/rest/search", search)
        upstream.route("/webservices/rest/searchPOST", search)
