"""The Europe PMC source against a local server replaying recorded answers: look-ups
by PMID, PMCID and DOI OR-ed into one query, results matched back to the asked
identifiers, cursor paging, open-access locations, title search, failures
attributed to Europe PMC, and the mapping of core results field by field
(recorded results, then mutated ones).

Recorded bodies come from tests/fixtures/europepmc/ (see PROVENANCE.md there):
a core search answer with 25 results ("cancer"), a lite answer of one PMID
look-up, and an answer with no results. Where a test builds or changes a body
in code, it says so.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from turns import TurnCounter
from werkzeug import Request, Response

import paperfuse
import paperfuse_europepmc
from engine_resolvers import make_resolver
from mutations import JSON_VALUES, mutated_json
from paperfuse import Config, Identifier, Query, SourceSettings, Work
from paperfuse.testing import CLI, Isolation, fake_source, report
from paperfuse_europepmc import markup_text, query_term, result_to_record

FIXTURES = Path(__file__).parent / "fixtures" / "europepmc"
CORE = "pyeuropepmc_search_cancer_core.json"
LITE = "biomcp_search_ext_id_20516115_lite.json"
EMPTY = "pyeuropepmc_search_no_results.json"
PATH = "/webservices/rest/search"
POST_PATH = "/webservices/rest/searchPOST"
EMAIL = "curator@example.org"


def recorded(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def answer(name: str = CORE) -> Any:
    return json.loads(recorded(name))


def results(name: str = CORE) -> list[dict[str, Any]]:
    return answer(name)["resultList"]["result"]


def by_pmid(pmid: str) -> dict[str, Any]:
    return next(r for r in results() if r["pmid"] == pmid)


def config(server: HTTPServer, tmp_path: Path, email: str | None = EMAIL, **options: Any) -> Config:
    url = server.url_for("").rstrip("/")
    source = SourceSettings(url=url, min_interval=0.0, options=options)
    return Config(email=email, cache_dir=str(tmp_path), sources={"europepmc": source})


def resolver(cfg: Config, *others: type[paperfuse.Source]) -> Any:
    return make_resolver(*others, config=cfg, plugins={"europepmc": paperfuse_europepmc})


def serve(server: HTTPServer, handler: Callable[[Request], Response]) -> None:
    """The search answered by ``handler``, by GET and by POST (``searchPOST``)."""
    server.expect_request(PATH, method="GET").respond_with_handler(handler)
    server.expect_request(POST_PATH, method="POST").respond_with_handler(handler)


def replay(name: str) -> Callable[[Request], Response]:
    return lambda request: Response(recorded(name), content_type="application/json")


def asked(server: HTTPServer) -> list[Request]:
    return [request for request, _ in server.log if request.path in (PATH, POST_PATH)]


def parameters(request: Request) -> dict[str, str]:
    """The search parameters of a request: its query string, or its form body when POSTed."""
    return dict(request.form if request.method == "POST" else request.args)


# -- the query ------------------------------------------------------------------------------


def test_each_scheme_has_its_query_term() -> None:
    assert query_term(Identifier(scheme="pmid", value="20516115")) == (
        "(EXT_ID:20516115 AND SRC:MED)"
    )
    assert query_term(Identifier(scheme="pmcid", value="PMC3040717")) == "PMCID:PMC3040717"
    assert query_term(Identifier(scheme="doi", value="10.1/x")) == 'DOI:"10.1/x"'
    assert query_term(Identifier(scheme="doi", value='10.1/a"b\\c')) == 'DOI:"10.1/a\\"b\\\\c"'
    assert query_term(Identifier(scheme="pmid", value="12 OR x")) is None
    assert query_term(Identifier(scheme="arxiv", value="2101.00001")) is None


# -- look-ups -------------------------------------------------------------------------------


def test_a_pmid_resolves_from_a_recorded_answer(httpserver: HTTPServer, tmp_path: Path) -> None:
    """The recorded answer is a lite one: ids, title, pages, year, flags, no authors."""
    serve(httpserver, replay(LITE))
    with resolver(config(httpserver, tmp_path)) as r:
        work = r.resolve("PMID:20516115")
    first = asked(httpserver)[0]
    assert first.args["query"] == "(EXT_ID:20516115 AND SRC:MED)"
    assert (first.args["resultType"], first.args["format"]) == ("core", "json")
    assert first.args["cursorMark"] == "*"
    assert "email" not in first.args  # the contact is in the User-Agent, as for every source
    assert EMAIL in first.headers["User-Agent"]
    assert work.status == "resolved"
    assert report(work, "europepmc").status == "ok"
    assert (work.ids.pmid, work.ids.pmcid) == ("20516115", "PMC3040717")
    assert work.ids.doi == "10.1158/0008-5472.can-09-4563"
    assert work.title.startswith("Comprehensive analysis of missense variations")
    assert (work.pages, work.year, work.type) == ("4880-4890", 2010, "journal-article")
    assert (work.container_short, work.volume, work.issue) == ("Cancer Res", "70", "12")
    (location,) = work.oa_locations
    assert location.url == "https://europepmc.org/articles/PMC3040717"
    assert location.host_type == "repository"
    assert "inPMC=Y" in (location.evidence or "")
    assert work.provenance["title"].source == "europepmc"


def test_several_ids_are_one_query_matched_back_from_one_answer(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    """The recorded core answer (25 results) answers a batch of a PMID, a PMCID, a DOI
    in other case, and an id it does not hold; the other results are not asked for."""
    serve(httpserver, replay(CORE))
    inputs = ["PMID:40468710", "PMC12120539", "10.1007/S10120-025-01625-7", "PMID:1"]
    with resolver(config(httpserver, tmp_path)) as r:
        works = list(r.resolve_many(inputs))
    first = asked(httpserver)[0]
    assert first.args["query"] == (
        "(EXT_ID:40468710 AND SRC:MED) OR PMCID:PMC12120539"
        ' OR DOI:"10.1007/s10120-025-01625-7" OR (EXT_ID:1 AND SRC:MED)'
    )
    assert [w.status for w in works] == ["resolved", "resolved", "resolved", "not_found"]
    assert works[0].ids.doi == "10.1111/bjhp.12807"
    assert works[1].ids.pmid == "40437959"
    assert works[2].ids.pmid == "40377773"
    assert report(works[3], "europepmc").status == "not_found"


def test_an_id_not_on_the_first_page_follows_the_cursor(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    """Two pages: the recorded answer without one result (built in test code), then the
    recorded answer; the cursor of the first is sent for the second."""
    first = answer()
    first["resultList"]["result"] = [r for r in results() if r["pmid"] != "40437959"]
    pages = [json.dumps(first), recorded(CORE)]
    serve(httpserver, lambda request: Response(pages.pop(0), content_type="application/json"))
    with resolver(config(httpserver, tmp_path)) as r:
        works = list(r.resolve_many(["PMID:40468710", "PMID:40437959"]))
    one, two = asked(httpserver)[:2]
    assert one.args["cursorMark"] == "*"
    assert two.args["cursorMark"] == "AoIIP4ZawSg1MzEyODI1MA=="
    assert [w.status for w in works] == ["resolved", "resolved"]


def test_a_missing_id_stops_when_a_page_brings_nothing_new(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    """The server repeats the same page for every cursor: the second page has no new
    result, so the look-up ends there rather than paging on."""
    serve(httpserver, replay(CORE))
    with resolver(config(httpserver, tmp_path)) as r:
        work = r.resolve("PMID:2")
    assert work.status == "not_found"
    assert len(asked(httpserver)) == 2


def test_no_results_is_not_found(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve(httpserver, replay(EMPTY))
    with resolver(config(httpserver, tmp_path)) as r:
        work = r.resolve("10.1234/nothing-here")
    assert work.status == "not_found"
    assert report(work, "europepmc").status == "not_found"
    assert len(asked(httpserver)) == 1


def test_no_email_sends_no_contact(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve(httpserver, replay(EMPTY))
    with resolver(config(httpserver, tmp_path, email=None)) as r:
        r.resolve("PMID:3")
    (request,) = asked(httpserver)
    assert "email" not in request.args
    assert "mailto" not in request.headers["User-Agent"]


def test_a_page_of_results_is_mapped_in_turns(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight results at a time, the event loop running other tasks in between: a page of
    1,000 results mapped in one step would hold every other source for tens of ms."""
    import paperfuse_europepmc._source as source

    serve(httpserver, replay(CORE))
    pmids = [r["pmid"] for r in results()]
    counter = TurnCounter()
    monkeypatch.setattr(source, "result_to_record", counter.wrap(source.result_to_record))
    with resolver(config(httpserver, tmp_path)) as r:
        works = list(r.resolve_many(f"PMID:{p}" for p in pmids))
    counter.running = False
    assert [w.ids.pmid for w in works] == pmids
    assert len(asked(httpserver)) == 1
    assert len(counter.seen_at) == 25
    assert counter.distinct == 4  # three turns of eight, then one


def test_a_thousand_pmids_cost_five_posted_queries(httpserver: HTTPServer, tmp_path: Path) -> None:
    """Batches of 200; a query too long for a URL goes to searchPOST in a form body."""
    serve(httpserver, replay(EMPTY))
    pmids = [f"PMID:{n}" for n in range(10_000_000, 10_001_000)]
    with resolver(config(httpserver, tmp_path)) as r:
        works = list(r.resolve_many(pmids))
    assert {w.status for w in works} == {"not_found"}
    requests = asked(httpserver)
    assert len(requests) == 5
    assert {(q.method, q.path) for q in requests} == {("POST", POST_PATH)}
    asked_terms = [parameters(q)["query"].split(" OR ") for q in requests]
    assert [len(terms) for terms in asked_terms] == [200] * 5
    every = sorted(term for terms in asked_terms for term in terms)
    assert every == [f"(EXT_ID:{n} AND SRC:MED)" for n in range(10_000_000, 10_001_000)]
    assert all(parameters(q)["resultType"] == "core" for q in requests)
    assert all("email" not in parameters(q) for q in requests)
    assert all(len(q.url) < 500 for q in requests)  # nothing of the query in the URL


def test_a_short_batch_stays_a_get(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve(httpserver, replay(EMPTY))
    with resolver(config(httpserver, tmp_path)) as r:
        list(r.resolve_many(f"PMID:{n}" for n in range(10_000_000, 10_000_040)))
    (request,) = asked(httpserver)
    assert (request.method, request.path) == ("GET", PATH)
    assert len(request.args["query"].split(" OR ")) == 40


def test_open_access_locations_are_repository_and_publisher_copies(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve(httpserver, replay(CORE))
    with resolver(config(httpserver, tmp_path)) as r:
        oa, free = list(r.resolve_many(["PMID:40437959", "PMID:39709208"]))
    pmc = next(loc for loc in oa.oa_locations if loc.host_type == "repository")
    assert pmc.url == "https://europepmc.org/articles/PMC12120539"
    assert pmc.url_for_pdf == "https://europepmc.org/articles/PMC12120539?pdf=render"
    assert (pmc.version, pmc.license) == ("publishedVersion", "cc-by-nc-nd")
    assert "isOpenAccess=Y" in (pmc.evidence or "")
    hosts = {loc.host_type: loc for loc in free.oa_locations}
    assert hosts["publisher"].url == "https://doi.org/10.1016/s0140-6736(24)02716-8"
    assert "availabilityCode=F" in (hosts["publisher"].evidence or "")
    assert hosts["repository"].license is None


def other_source() -> type[paperfuse.Source]:
    record = Work(title="From elsewhere")
    return fake_source("other", ["pmid"], records={("pmid", "20516115"): record})


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (429, "slow down", "HTTP 429"),
        (503, "<html>down</html>", "HTTP 503"),
        (500, "oops", "HTTP 500"),
        (404, "<html>Not Found</html>", "HTTP 404"),
        (200, "<!DOCTYPE html><html><title>Gateway</title></html>", "malformed JSON"),
        (200, '{"version": "6.9", "resultList": {"result": {}}}', "not a Europe PMC result list"),
        (200, "[1, 2]", "not a Europe PMC result list"),
        (200, "[" * 100_000 + "]" * 100_000, "JSON nested too deep"),
    ],
)
def test_failures_are_attributed_to_europepmc(
    httpserver: HTTPServer, tmp_path: Path, status: int, body: str, message: str
) -> None:
    serve(httpserver, lambda request: Response(body, status=status))
    with resolver(config(httpserver, tmp_path), other_source()) as r:
        work = r.resolve("PMID:20516115")
    error = report(work, "europepmc").error or ""
    assert report(work, "europepmc").status == "error"
    assert message in error
    assert "plugin error" not in error
    assert EMAIL not in error
    assert work.title == "From elsewhere"


def test_a_rate_limited_batch_is_an_error_for_each_of_its_ids(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve(httpserver, lambda request: Response("slow down", status=429))
    pmids = [f"PMID:{n}" for n in range(10_000_000, 10_000_200)]
    with resolver(config(httpserver, tmp_path)) as r:
        works = list(r.resolve_many(pmids))
    assert len(asked(httpserver)) == 1  # one query for the batch, never one per id
    assert all(report(w, "europepmc").status == "error" for w in works)
    assert all("429" in (report(w, "europepmc").error or "") for w in works)


# -- search ---------------------------------------------------------------------------------


def test_a_title_search_gives_candidates_to_the_matcher(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve(httpserver, replay(CORE))
    title = by_pmid("40437959")["title"]
    with resolver(config(httpserver, tmp_path, rows=7)) as r:
        work = r.resolve(title)
    (request,) = asked(httpserver)
    assert request.args["query"] == f'TITLE:"{title}"'
    assert request.args["pageSize"] == "7"
    assert request.args["resultType"] == "core"
    assert work.status == "resolved"
    assert work.ids.pmid == "40437959"


def test_a_citation_is_asked_as_its_words(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve(httpserver, replay(EMPTY))
    citation = 'Kwok C, Xu X. "Co-Designed" (2025) Health Promot J Austr 36:e70059. AND OR'

    async def ask() -> Any:
        async with resolver(config(httpserver, tmp_path)) as r:
            source = r._sources()["europepmc"].instance
            assert source is not None
            return await source.search(Query(kind="citation", text=citation))

    assert asyncio.run(ask()) == []
    query = asked(httpserver)[0].args["query"]
    assert '"' not in query
    assert ":" not in query
    assert "(" not in query
    assert query.startswith("Kwok C Xu X Co Designed 2025 Health")


def test_search_failures_are_attributed(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve(httpserver, lambda request: Response("<html>x</html>"))
    with resolver(config(httpserver, tmp_path)) as r:
        work = r.resolve("Co-Designed Culturally Tailored Cancer Screening Promotion Program")
    assert report(work, "europepmc").status == "error"
    assert "malformed JSON" in (report(work, "europepmc").error or "")


# -- mapping --------------------------------------------------------------------------------


def mapped(data: Any) -> Work:
    work = result_to_record(data)
    assert work is not None
    return work


def test_a_core_result_maps_field_by_field() -> None:
    work = mapped(by_pmid("40437959"))
    assert work.title.startswith("Co-Designed Culturally Tailored Cancer Screening")
    assert work.venue.startswith("Health promotion journal of Australia")
    assert work.container_short == "Health Promot J Austr"
    assert (work.volume, work.issue, work.pages) == ("36", "3", "e70059")
    assert work.issn == ("1036-1073",)
    assert (work.published, work.year, work.language) == ("2025-07", 2025, "eng")
    kwok, xu = work.authors
    assert (kwok.given, kwok.family, kwok.name) == ("Cannas", "Kwok", "Cannas Kwok")
    assert kwok.affiliations[0].startswith("School of Nursing, Paramedicine")
    assert xu.orcid == "https://orcid.org/0000-0001-6913-0549"
    assert work.abstract.startswith("Issue addressed\n\nDespite national cancer screening")
    assert "\n\nMethods\n\n" in work.abstract
    assert "<h4>" not in work.abstract
    assert "Neoplasms/diagnosis" in work.mesh
    assert "Health Promotion/methods/organization & administration" in work.mesh
    assert work.keywords[:2] == ("Chinese", "Cancer Screening")
    assert work.publication_types == ("research-article", "Journal Article")
    assert work.license == "cc-by-nc-nd"
    assert work.extra["europepmc"]["grants"] == [{"agency": "Cancer Insititute NSW"}]


def test_every_recorded_result_maps() -> None:
    works = [result_to_record(r) for r in results()]
    assert all(w is not None for w in works)
    assert sum(1 for w in works if w and w.ids.pmcid) == 9
    assert all(w.year == 2025 for w in works if w)
    for work in works:
        assert work is not None
        assert_sane(work)


def test_a_lite_result_gives_its_journal_fields_too() -> None:
    """A lite answer (the recorded PMID look-up) has flat journal fields, no journalInfo."""
    (data,) = results(LITE)
    work = mapped(data)
    assert (work.container_short, work.volume, work.issue) == ("Cancer Res", "70", "12")
    assert work.issn == ("0008-5472", "1538-7445")
    assert work.publication_types == (
        "research support, non-u.s. gov't",
        "research-article",
        "journal article",
        "research support, n.i.h., extramural",
    )
    assert (work.venue, work.cited_by_count) == (None, 133)


def test_a_preprint_is_posted_content() -> None:
    """A recorded result with its source changed to PPR in test code (the corpus holds
    no preprint)."""
    data = dict(by_pmid("40437959"), source="PPR", id="PPR123")
    work = mapped(data)
    assert work.type == "posted-content"
    assert work.ids.other == {"europepmc": "PPR/PPR123"}


def test_collective_and_name_only_authors() -> None:
    data = copy.deepcopy(by_pmid("40437959"))
    data["authorList"]["author"] = [
        {"collectiveName": "The <i>BRCA</i> Consortium"},
        {"fullName": "Lee MS"},
        {"lastName": "Green", "initials": "R", "authorId": {"type": "ORCID", "value": "bad"}},
        {"firstName": 5},
        "nobody",
    ]
    authors = mapped(data).authors
    assert [(a.name, a.given, a.family) for a in authors] == [
        ("The BRCA Consortium", None, None),
        ("Lee MS", None, None),
        ("R Green", "R", "Green"),
    ]
    assert authors[2].orcid is None


def test_a_retracted_publication_is_retracted() -> None:
    data = dict(by_pmid("40437959"))
    data["pubTypeList"] = {"pubType": ["Retracted Publication", "Journal Article"]}
    assert mapped(data).retracted is True
    assert mapped(by_pmid("40437959")).retracted is None
    data = dict(by_pmid("40437959"))
    link = {"type": "Retraction in", "id": "1", "source": "MED"}
    data["commentCorrectionList"] = {"commentCorrection": [link]}
    assert mapped(data).retracted is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2010 Jun 1", "2010-06-01"),
        ("2010-06-15", "2010-06-15"),
        ("2025 Jul", "2025-07"),
        ("2025", "2025"),
        ("2025 Feb 30", "2025-02"),
        ("1999 Spring", "1999"),
        ("99999 Jan", None),
    ],
)
def test_dates_of_publication_are_as_precise_as_given(text: str, expected: str | None) -> None:
    data = copy.deepcopy(by_pmid("40437959"))
    data["journalInfo"]["dateOfPublication"] = text
    data["journalInfo"].pop("printPublicationDate")
    data.pop("firstPublicationDate")
    data.pop("pubYear")
    data["journalInfo"].pop("yearOfPublication")
    assert mapped(data).published == expected


HUGE = 2**64 * 10**12


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", HUGE),
        ("journalInfo", {"volume": HUGE, "issue": [], "journal": "x", "yearOfPublication": HUGE}),
        ("authorList", {"author": {"lastName": "x"}}),
        ("pubYear", HUGE),
        ("citedByCount", HUGE),
        ("fullTextUrlList", {"fullTextUrl": [{"url": HUGE}, None, {"url": "javascript:x"}]}),
        ("meshHeadingList", {"meshHeading": [{"descriptorName": 1.5}]}),
        ("license", {"x": 1}),
        ("isOpenAccess", HUGE),
    ],
)
def test_a_field_of_the_wrong_type_costs_only_that_field(field: str, value: Any) -> None:
    data = dict(by_pmid("40437959"), **{field: value})
    work = mapped(data)
    assert_sane(work)
    assert work.ids.pmid == "40437959"


def test_what_is_no_result_is_none() -> None:
    for value in (None, [], "x", 5, {}, {"title": "no ids"}, {"pmid": HUGE}):
        assert result_to_record(value) is None


def test_markup_becomes_text() -> None:
    assert markup_text("A <i>BRCA1</i> &amp; <sup>2</sup> study") == "A BRCA1 & 2 study"
    assert markup_text("<h4>Abstract</h4>One.<p>Two</p>", paragraphs=True) == "One.\n\nTwo"
    assert markup_text("<" * 100_000 + "x") == "<" * 100_000 + "x"
    assert markup_text(5) is None


def assert_sane(work: Work) -> None:
    msgspec.msgpack.encode(work)
    paperfuse.encode_json(work)
    assert work.year is None or 1000 <= work.year <= 3000
    assert work.published is None or work.published[:4] == str(work.year)
    assert all(isinstance(a.name, str) and a.name for a in work.authors)


# -- properties -----------------------------------------------------------------------------

RECORDED_RESULTS = [*results()[:8], *results(LITE)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_json(RECORDED_RESULTS))
def test_mutated_recorded_results_map_to_sane_records(data: Any) -> None:
    work = result_to_record(data)
    if work is not None:
        assert_sane(work)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(by_pmid("40437959"))), JSON_VALUES))
def test_objects_of_known_keys_and_any_values_map_to_sane_records(data: Any) -> None:
    work = result_to_record(data)
    if work is not None:
        assert_sane(work)


RECORDED_ANSWERS = [answer(CORE), answer(LITE), answer(EMPTY)]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(mutated_json(RECORDED_ANSWERS))
def test_mutated_answers_are_records_or_bad_responses(
    httpserver: HTTPServer, tmp_path: Path, data: Any
) -> None:
    httpserver.clear()
    serve(httpserver, lambda request: Response(json.dumps(data), content_type="application/json"))

    async def ask() -> list[Any]:
        async with resolver(config(httpserver, tmp_path)) as r:
            source = r._sources()["europepmc"].instance
            assert source is not None
            ids = [
                Identifier(scheme="pmid", value="20516115"),
                Identifier(scheme="pmcid", value="PMC12120539"),
                Identifier(scheme="doi", value="10.1111/bjhp.12807"),
            ]
            answers: list[Any] = []
            query = Query(kind="title", text="Cancer screening", title="Cancer screening")
            for call in (source.lookup(ids), source.search(query)):
                try:
                    answers.append(await call)
                except paperfuse.SourceError as e:
                    answers.append(e)
            return answers

    for found in asyncio.run(ask()):
        values = found.values() if isinstance(found, dict) else found
        values = [found] if isinstance(found, paperfuse.SourceError) else values
        for value in values:
            assert value is None or isinstance(value, (Work, paperfuse.BadResponse)), value
            if isinstance(value, Work):
                paperfuse.encode_json(value)


def test_query_term_is_not_fooled_by_syntax() -> None:
    term = query_term(Identifier(scheme="doi", value='10.1/") OR (X:"'))
    assert term is not None
    assert re.fullmatch(r'DOI:"(?:[^"\\]|\\.)*"', term)


# -- end to end -----------------------------------------------------------------------------


def test_cli_resolves_a_pmid_against_a_local_replay(
    httpserver: HTTPServer, paperfuse_isolated: Isolation, paperfuse_cli: CLI
) -> None:
    """The installed entry point, ``PAPERFUSE_EUROPEPMC_URL`` as the service root."""
    serve(httpserver, replay(LITE))
    paperfuse_isolated.use_plugins(entry_points=["europepmc"])
    run = paperfuse_cli.subprocess(
        "resolve",
        "PMID:20516115",
        email=EMAIL,
        urls={"europepmc": httpserver.url_for("").rstrip("/")},
    )
    assert run.exit_code == 0, run.stderr
    record = json.loads(run.stdout)
    assert record["ids"]["pmcid"] == "PMC3040717"
    assert record["ids"]["doi"] == "10.1158/0008-5472.can-09-4563"
    assert record["best_oa_location"]["host_type"] == "repository"
    assert EMAIL not in run.stdout + run.stderr
