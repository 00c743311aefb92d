"""PMIDs, PMCIDs and DOIs through PubMed, the PMC ID converter and Europe PMC together,
against one local server that replays their answers: the record a biomedical
reference manager gets.

What is replayed (tests/fixtures/*/PROVENANCE.md says where each came from):

- PubMed (efetch): two RECORDED articles, PMID 29915538 (in PMC, a Frontiers
  article: volume and article number, no issue) and PMID 22663011 (NEJM: volume,
  issue, pages; not in PMC). An answer is BUILT here as a ``PubmedArticleSet``
  holding the recorded ``PubmedArticle`` elements of the asked PMIDs it knows.
- The ID converter: the RECORDED answer (older service) for the DOI
  10.1371/journal.pone.0000030; every other answer is BUILT in the newer service's
  documented shape (PMID as a number, ``requested-id``), from the ids the recorded
  efetch answer gives for PMID 29915538 and, for any other id, the converter's
  documented "not found in PMC" error record.
- Europe PMC: the RECORDED answer for PMID 17183658 (the same article as the
  recorded ID-converter answer) when a query asks for that article, else the
  RECORDED answer with no results.

No public recording holds all three services' answers for one and the same
article (searched: PubMed, ID converter and Europe PMC cassettes and fixtures of
public repositories), so each point of the issue is proven where real answers
exist for it, and the built answers only carry ids between the services.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import stamina
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import paperfuse
import paperfuse_europepmc
import paperfuse_idconv
import paperfuse_pubmed
from paperfuse.testing import ResolverFactory, reports

FIXTURES = Path(__file__).parent / "fixtures"
IN_PMC = (FIXTURES / "pubmed" / "eutils_efetch_29915538.xml").read_text(encoding="utf-8")
NEJM = (FIXTURES / "pubmed" / "biomcp_efetch_22663011.xml").read_text(encoding="utf-8")
RATE_LIMITED = (FIXTURES / "pubmed" / "biomcp_esummary_json_rate_limited.json").read_bytes()
IDCONV_PLOS = FIXTURES / "idconv" / "lagotto_idconv_doi_10.1371_journal.pone.0000030.json"
EPMC_PLOS = FIXTURES / "europepmc" / "lagotto_search_ext_id_17183658_lite_2016.json"
EPMC_NONE = FIXTURES / "europepmc" / "pyeuropepmc_search_no_results.json"

EFETCH = "/entrez/eutils/efetch.fcgi"
IDCONV = "/tools/idconv/api/v1/articles/"
EPMC = ("/webservices/rest/search", "/webservices/rest/searchPOST")
EMAIL = "librarian@example.org"

#: The ids PubMed's recorded answer gives for PMID 29915538.
FRONTIERS = {"pmid": "29915538", "pmcid": "PMC5994433", "doi": "10.3389/fphar.2018.00576"}
PLOS_DOI = "10.1371/journal.pone.0000030"


def _article(recorded: str) -> str:
    return recorded[recorded.index("<PubmedArticle>") : recorded.index("</PubmedArticleSet>")]


ARTICLES = {"29915538": _article(IN_PMC), "22663011": _article(NEJM)}
HEAD, TAIL = IN_PMC[: IN_PMC.index("<PubmedArticle>")], "</PubmedArticleSet>\n"


def _asked_pmids(request: Request) -> list[str]:
    return (request.form.get("id") or request.args.get("id") or "").split(",")


def efetch(request: Request) -> Response:
    """The recorded articles of the asked PMIDs, in one article set (the set is BUILT)."""
    found = "".join(ARTICLES[p] for p in _asked_pmids(request) if p in ARTICLES)
    return Response(HEAD + found + TAIL, content_type="text/xml")


def idconv(request: Request) -> Response:
    scheme, ids = request.args["idtype"], request.args["ids"].split(",")
    if scheme == "doi" and ids == [PLOS_DOI]:
        return Response(IDCONV_PLOS.read_bytes(), content_type="application/json")
    records: list[dict[str, Any]] = []
    for value in ids:
        if FRONTIERS.get(scheme, "").lower() == value.lower():
            # BUILT in the newer documented shape, with the recorded efetch answer's ids.
            records.append(
                {
                    "requested-id": value,
                    "pmcid": FRONTIERS["pmcid"],
                    "pmid": int(FRONTIERS["pmid"]),
                    "doi": FRONTIERS["doi"],
                }
            )
        else:
            records.append(
                {"requested-id": value, "status": "error", "errmsg": "Identifier not found in PMC"}
            )
    body = {"status": "ok", "responseDate": "2026-11-30 12:00:00", "records": records}
    return Response(json.dumps(body), content_type="application/json")


def europepmc(request: Request) -> Response:
    query = (request.form if request.method == "POST" else request.args).get("query", "")
    asks_plos = "EXT_ID:17183658 " in query or "PMCID:PMC1762313" in query or PLOS_DOI in query
    path = EPMC_PLOS if asks_plos else EPMC_NONE
    return Response(path.read_bytes(), content_type="application/json")


def serve(server: HTTPServer, **handlers: Any) -> None:
    """The three services on one server; ``handlers`` replaces one by name."""
    handlers = {"efetch": efetch, "idconv": idconv, "europepmc": europepmc} | handlers
    server.expect_request(EFETCH).respond_with_handler(handlers["efetch"])
    server.expect_request(IDCONV).respond_with_handler(handlers["idconv"])
    for path in EPMC:
        server.expect_request(path).respond_with_handler(handlers["europepmc"])


PLUGINS = {"pubmed": paperfuse_pubmed, "idconv": paperfuse_idconv, "europepmc": paperfuse_europepmc}
Make = Callable[[HTTPServer], paperfuse.Resolver]


@pytest.fixture
def resolver(paperfuse_resolver: ResolverFactory) -> Make:
    """Resolvers of the three sources, each at the local server, sharing the test's cache."""

    def make(server: HTTPServer) -> paperfuse.Resolver:
        url = server.url_for("").rstrip("/")
        return paperfuse_resolver(PLUGINS, urls=dict.fromkeys(PLUGINS, url), email=EMAIL)

    return make


def asked(server: HTTPServer, *paths: str) -> list[Request]:
    return [request for request, _ in server.log if request.path in paths]


# -- one PMID, one PMCID, one DOI ---------------------------------------------------------


def test_a_pmid_resolves_to_a_citable_record_with_its_pmc_copy(
    httpserver: HTTPServer, resolver: Make
) -> None:
    serve(httpserver)
    with resolver(httpserver) as r:
        work = r.resolve("PMID: 29915538")
    assert work.status == "resolved"
    assert (work.ids.pmid, work.ids.pmcid, work.ids.doi) == tuple(FRONTIERS.values())
    assert work.title == (
        "Efficacy and Safety of Once-Weekly Semaglutide for the Treatment of Type 2 Diabetes:"
        " A Systematic Review and Meta-Analysis of Randomized Controlled Trials"
    )
    assert (work.venue, work.container_short) == ("Frontiers in pharmacology", "Front Pharmacol")
    assert (work.volume, work.pages, work.year) == ("9", "576", 2018)
    assert work.issue is None  # Frontiers journals have no issues; none is made up
    assert all(a.family and a.given for a in work.authors)
    assert (work.authors[0].family, work.authors[0].given) == ("Shi", "Fang-Hong")
    assert work.abstract
    assert work.abstract.startswith("Background: Semaglutide")
    assert "<b>" not in work.abstract
    pmc = work.best_oa_location
    assert pmc is not None
    assert pmc.url == "https://pmc.ncbi.nlm.nih.gov/articles/PMC5994433/"
    assert (pmc.host_type, pmc.version) == ("repository", "publishedVersion")
    assert work.is_oa is True
    assert work.provenance["ids.pmcid"].source == "pubmed"
    assert work.provenance["abstract"].source == "pubmed"
    statuses = {name: report.status for name, report in reports(work).items()}
    assert statuses == {"pubmed": "ok", "idconv": "ok", "europepmc": "not_found"}


def test_a_pmid_gives_volume_issue_and_pages(httpserver: HTTPServer, resolver: Make) -> None:
    serve(httpserver)
    with resolver(httpserver) as r:
        work = r.resolve("https://pubmed.ncbi.nlm.nih.gov/22663011/")
    assert work.status == "resolved"
    assert work.ids.doi == "10.1056/nejmoa1203421"  # DOIs are kept in lower case
    assert (work.venue, work.volume, work.issue, work.pages) == (
        "The New England journal of medicine",
        "367",
        "2",
        "107-114",
    )
    assert (work.authors[0].family, work.authors[0].given) == ("Flaherty", "Keith T")
    assert work.abstract
    assert work.abstract.startswith("BACKGROUND:")
    assert work.ids.pmcid is None
    assert work.oa_locations == ()


def test_a_pmcid_resolves_to_the_same_work(httpserver: HTTPServer, resolver: Make) -> None:
    serve(httpserver)
    with resolver(httpserver) as r:
        by_pmid = r.resolve("PMID:29915538")
        by_pmcid = r.resolve("PMC5994433")
    assert by_pmcid.status == "resolved"
    assert by_pmcid.ids == by_pmid.ids
    for field in ("title", "venue", "volume", "pages", "abstract", "authors", "best_oa_location"):
        assert getattr(by_pmcid, field) == getattr(by_pmid, field), field
    # The converter turned the PMCID into the PMID that PubMed was asked for.
    assert asked(httpserver, IDCONV)[-1].args["idtype"] == "pmcid"
    assert reports(by_pmcid)["pubmed"].status == "ok"


def test_a_doi_reveals_its_pmid_and_pmcid(httpserver: HTTPServer, resolver: Make) -> None:
    """Recorded answers only: the converter's for the DOI, Europe PMC's for its PMID."""
    serve(httpserver)
    with resolver(httpserver) as r:
        work = r.resolve(f"doi:{PLOS_DOI}")
    assert work.status == "resolved"
    assert (work.ids.doi, work.ids.pmid, work.ids.pmcid) == (PLOS_DOI, "17183658", "PMC1762313")
    assert work.provenance["ids.pmid"].source in ("idconv", "europepmc")
    assert (work.container_short or work.venue, work.volume, work.issue) == ("PLoS One", "1", "1")
    assert work.pages == "e30" or work.article_number == "e30"
    assert any(loc.host_type == "repository" for loc in work.oa_locations)
    assert reports(work)["pubmed"].status == "not_found"  # no efetch answer holds it here


# -- a library's batch ---------------------------------------------------------------------


def test_a_thousand_pmids_cost_five_requests_of_each_service(
    httpserver: HTTPServer, resolver: Make
) -> None:
    serve(httpserver)
    pmids = [f"PMID:{30_000_000 + n}" for n in range(998)] + ["PMID:29915538", "PMID:22663011"]
    with resolver(httpserver) as r:
        works = list(r.resolve_many(pmids))
    assert len(works) == 1_000
    assert [w.input for w in works] == pmids
    assert works[-2].ids.pmcid == "PMC5994433"
    assert works[-1].volume == "367"
    assert sum(w.status == "not_found" for w in works) == 998
    assert len(asked(httpserver, EFETCH)) <= 5
    assert len(asked(httpserver, IDCONV)) <= 5
    # Europe PMC, asked for the 1,000 PMIDs (5 requests), is asked again for the other ids
    # PubMed revealed of the two works it did not find by PMID (a PMCID and two DOIs): its
    # PMC and preprint records can answer them. Its queries number 5 plus those 3.
    posted = [q for q in asked(httpserver, *EPMC) if q.method == "POST"]
    assert len(posted) == 5
    assert len(asked(httpserver, *EPMC)) <= 5 + 3


# -- faults --------------------------------------------------------------------------------


def test_a_rate_limit_answer_is_retried_and_never_a_record(
    httpserver: HTTPServer, resolver: Make
) -> None:
    calls: list[int] = []

    def limited_once(request: Request) -> Response:
        calls.append(1)
        if len(calls) == 1:  # NCBI's recorded rate-limit body, with HTTP 200 as it comes
            return Response(RATE_LIMITED, content_type="application/json")
        return efetch(request)

    serve(httpserver, efetch=limited_once)
    stamina.set_testing(True, attempts=3)
    try:
        with resolver(httpserver) as r:
            work = r.resolve("PMID:29915538")
    finally:
        stamina.set_testing(True)
    assert len(calls) == 2
    assert work.status == "resolved"
    assert work.volume == "9"
    assert reports(work)["pubmed"].status == "ok"
    assert "limit" not in (work.title or "").lower()


@pytest.mark.parametrize(
    ("broken", "answer", "message"),
    [
        ("idconv", Response("upstream down", status=500), "500"),
        ("europepmc", Response("<html><body>Maintenance</body></html>", status=200), "JSON"),
        ("efetch", Response("<html><body>Maintenance</body></html>", status=200), "HTML"),
    ],
)
def test_every_failure_is_attributed_to_its_source(
    httpserver: HTTPServer, resolver: Make, broken: str, answer: Response, message: str
) -> None:
    serve(httpserver, **{broken: lambda request: answer})
    with resolver(httpserver) as r:
        work = r.resolve("PMID:29915538")
    source = "pubmed" if broken == "efetch" else broken
    failed = reports(work)[source]
    assert failed.status == "error"
    assert re.search(message, failed.error or "", re.IGNORECASE), failed.error
    assert EMAIL not in (failed.error or "")
    others = {n: rep.status for n, rep in reports(work).items() if n != source}
    assert "error" not in others.values()
    if broken != "efetch":
        assert work.status == "resolved"
        assert work.volume == "9"
