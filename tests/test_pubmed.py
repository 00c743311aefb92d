"""The PubMed source against a local server replaying recorded answers: PMIDs in
batches of 200 (POST for long lists), tool/email/api_key sent and masked, politeness
with and without a key, NCBI's rate-limit answer retried and never read as data,
failures attributed to PubMed, and title search through esearch and the matcher.

The recorded bodies are in tests/fixtures/pubmed/ (see PROVENANCE.md there). The
corpus holds one efetch answer, for PMID 22663011; a batch answer is built in test
code from it: a ``PubmedArticleSet`` holding the recorded article once per asked
PMID, with its PMID changed (:func:`article_set`). The esearch answers are written
here in NCBI's documented JSON shape: none is recorded.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import stamina
from pytest_httpserver import HTTPServer
from turns import TurnCounter
from werkzeug import Request, Response

import paperfuse
import paperfuse_pubmed
from paperfuse import Config, SourceSettings, Work
from paperfuse.testing import report
from paperfuse_pubmed import PubMedSource

FIXTURES = Path(__file__).parent / "fixtures" / "pubmed"
RECORDED = (FIXTURES / "biomcp_efetch_22663011.xml").read_text(encoding="utf-8")
RATE_LIMITED = (FIXTURES / "biomcp_esummary_json_rate_limited.json").read_bytes()
PMID = "22663011"
EMAIL = "librarian@example.org"
KEY = "ncbi-key-5e8d1c2b9a7f"
EFETCH = "/entrez/eutils/efetch.fcgi"
ESEARCH = "/entrez/eutils/esearch.fcgi"
_START = RECORDED.index("<PubmedArticle>")
_END = RECORDED.index("</PubmedArticleSet>")
HEAD, ARTICLE, TAIL = RECORDED[:_START], RECORDED[_START:_END], RECORDED[_END:]


def article_set(pmids: list[str]) -> bytes:
    """An efetch answer holding the recorded article once per PMID, its PMID changed.

    Built in test code from the recorded answer: not itself recorded.
    """
    articles = (ARTICLE.replace(f">{PMID}<", f">{pmid}<") for pmid in pmids)
    return (HEAD + "".join(articles) + TAIL).encode("utf-8")


def asked_ids(request: Request) -> list[str]:
    return (request.form.get("id") or request.args.get("id") or "").split(",")


def config(
    server: HTTPServer, email: str | None = EMAIL, min_interval: float | None = 0.0, **settings: Any
) -> Config:
    url = server.url_for("").rstrip("/")
    return Config(
        email=email,
        sources={"pubmed": SourceSettings(url=url, min_interval=min_interval, **settings)},
    )


def resolver(cfg: Config) -> paperfuse.Resolver:
    return paperfuse.Resolver(cfg, entry_points=False, plugins={"pubmed": paperfuse_pubmed})


def replay(
    server: HTTPServer,
    handler: Callable[[Request], Response] | None = None,
    missing: frozenset[str] = frozenset(),
) -> None:
    """efetch: every asked PMID but the ``missing`` ones, in a built article set."""

    def respond(request: Request) -> Response:
        found = [p for p in asked_ids(request) if p not in missing]
        return Response(article_set(found), content_type="text/xml")

    server.expect_request(EFETCH).respond_with_handler(handler or respond)


def requests(server: HTTPServer, path: str = EFETCH) -> list[Request]:
    return [request for request, _ in server.log if request.path == path]


# -- look-ups ---------------------------------------------------------------------------------


def test_a_pmid_resolves_to_its_pubmed_record(httpserver: HTTPServer) -> None:
    replay(httpserver)
    with resolver(config(httpserver)) as r:
        work = r.resolve("PMID: 22663011")
    (request,) = requests(httpserver)
    assert request.method == "GET"
    assert dict(request.args) == {
        "db": "pubmed",
        "retmode": "xml",
        "id": PMID,
        "tool": "paperfuse",
        "email": EMAIL,
    }
    assert work.status == "resolved"
    assert report(work, "pubmed").status == "ok"
    assert work.ids.pmid == PMID
    assert work.ids.doi == "10.1056/nejmoa1203421"
    assert work.title == "Improved survival with MEK inhibition in BRAF-mutated melanoma"
    assert (work.venue, work.volume, work.issue, work.pages) == (
        "The New England journal of medicine",
        "367",
        "2",
        "107-114",
    )
    assert (work.authors[0].given, work.authors[0].family) == ("Keith T", "Flaherty")
    assert work.abstract is not None
    assert work.abstract.startswith("BACKGROUND: ")
    assert "Melanoma/drug therapy*" in work.mesh
    assert work.provenance["title"].source == "pubmed"


def test_a_pmid_absent_from_the_answer_is_not_found(httpserver: HTTPServer) -> None:
    replay(httpserver, missing=frozenset({"99999999"}))
    with resolver(config(httpserver)) as r:
        works = list(r.resolve_many(["PMID:22663011", "PMID:99999999"]))
    assert [w.status for w in works] == ["resolved", "not_found"]
    assert report(works[1], "pubmed").status == "not_found"
    (request,) = requests(httpserver)
    assert sorted(asked_ids(request)) == ["22663011", "99999999"]


def test_an_answer_of_two_hundred_articles_is_read_in_turns(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 articles (some 6 MB) are parsed 256 KiB a turn and read 16 articles a turn, so
    that the other sources' answers and requests are not held up meanwhile."""
    from paperfuse_pubmed import _xml

    replay(httpserver)
    counter = TurnCounter()
    monkeypatch.setattr(_xml, "_article", counter.wrap(_xml._article))
    pmids = [str(2_000_000 + i) for i in range(200)]
    with resolver(config(httpserver)) as r:
        works = list(r.resolve_many(f"PMID:{p}" for p in pmids))
    counter.running = False
    assert [w.ids.pmid for w in works] == pmids
    assert len(requests(httpserver)) == 1
    assert len(counter.seen_at) == 200
    assert counter.distinct == 13  # twelve turns of 16 articles, then 8


def test_reading_in_turns_gives_what_parsing_at_once_does() -> None:
    from paperfuse_pubmed._xml import parse_articles, read_articles

    for body in (RECORDED.encode("utf-8"), article_set([str(3_000_000 + i) for i in range(40)])):
        assert asyncio.run(read_articles(body)) == parse_articles(body)
    for refused in (
        b"<eFetchResult><ERROR>Empty id list</ERROR></eFetchResult>",
        b"<html>not PubMed</html>",
        b"<PubmedArticleSet><PubmedArticle>",
    ):
        with pytest.raises(paperfuse.BadResponse) as at_once:
            parse_articles(refused)
        with pytest.raises(paperfuse.BadResponse) as in_turns:
            asyncio.run(read_articles(refused))
        assert str(in_turns.value) == str(at_once.value)


def test_a_thousand_pmids_cost_five_requests_of_two_hundred(httpserver: HTTPServer) -> None:
    """Every request is answered with the article set built for the PMIDs it asks."""
    replay(httpserver, missing=frozenset({"1000999"}))
    pmids = [str(1_000_000 + i) for i in range(1_000)]
    with resolver(config(httpserver)) as r:
        works = list(r.resolve_many(f"PMID:{p}" for p in pmids))
    sent = requests(httpserver)
    assert len(sent) == 5
    assert all(request.method == "POST" for request in sent)
    assert all(len(asked_ids(request)) == 200 for request in sent)
    assert sorted(p for request in sent for p in asked_ids(request)) == sorted(pmids)
    assert all(request.form["tool"] == "paperfuse" for request in sent)
    assert [w.ids.pmid for w in works[:3]] == pmids[:3]
    assert sum(w.status == "resolved" for w in works) == 999
    assert works[-1].status == "not_found"


@pytest.mark.parametrize(("count", "method"), [(1, "GET"), (50, "GET"), (51, "POST")])
def test_long_id_lists_are_posted(httpserver: HTTPServer, count: int, method: str) -> None:
    replay(httpserver)
    source_ids = [paperfuse.Identifier(scheme="pmid", value=str(100 + i)) for i in range(count)]

    async def run() -> Any:
        async with resolver(config(httpserver)) as r:
            source = r._sources()["pubmed"].instance
            return await source.lookup(source_ids)  # type: ignore[union-attr]

    results = asyncio.run(run())
    (request,) = requests(httpserver)
    assert request.method == method
    assert len(asked_ids(request)) == count
    assert all(isinstance(results[i], Work) for i in source_ids)


# -- politeness and secrets -------------------------------------------------------------------


def test_politeness_is_three_a_second_without_a_key_and_ten_with_one() -> None:
    assert PubMedSource.politeness.min_interval == 0.34
    assert PubMedSource.politeness.max_concurrency == 1
    keyed = PubMedSource.politeness_for(Config(), SourceSettings(api_key=KEY))
    assert keyed.min_interval == pytest.approx(0.1)
    plain = PubMedSource.politeness_for(Config(email=EMAIL), SourceSettings())
    assert plain.min_interval == 0.34
    assert (PubMedSource.name, PubMedSource.schemes, PubMedSource.batch_size) == (
        "pubmed",
        ("pmid",),
        200,
    )
    assert PubMedSource.searches_titles is True


def test_the_api_key_is_sent_and_it_and_the_email_are_masked(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    replay(httpserver, lambda request: Response("<html>oops</html>", status=502))
    with caplog.at_level(logging.DEBUG), resolver(config(httpserver, api_key=KEY)) as r:
        work = r.resolve("PMID:22663011")
    (request,) = requests(httpserver)
    assert request.args["api_key"] == KEY
    assert request.args["email"] == EMAIL
    error = report(work, "pubmed").error or ""
    assert error.startswith("HTTP 502 after 1 attempt (GET ")
    assert "api_key=***" in error
    assert "email=***" in error
    ours = [r for r in caplog.records if not r.name.startswith("werkzeug")]
    everything = paperfuse.encode_json(work).decode() + "\n".join(r.getMessage() for r in ours)
    assert KEY not in everything
    assert "librarian" not in everything


def test_without_an_email_or_key_neither_is_sent(httpserver: HTTPServer) -> None:
    replay(httpserver)
    with resolver(config(httpserver, email=None)) as r:
        assert r.resolve("PMID:22663011").status == "resolved"
    (request,) = requests(httpserver)
    assert "email" not in request.args
    assert "api_key" not in request.args
    assert request.args["tool"] == "paperfuse"


# -- the rate-limit answer --------------------------------------------------------------------


def test_the_rate_limit_body_is_retried_and_the_record_comes_from_the_next_answer(
    httpserver: HTTPServer,
) -> None:
    answers = [
        Response(RATE_LIMITED, content_type="application/json"),  # recorded, with status 200
        Response(article_set([PMID]), content_type="text/xml"),
    ]
    replay(httpserver, lambda request: answers.pop(0))
    with stamina.set_testing(True, attempts=3), resolver(config(httpserver)) as r:
        work = r.resolve("PMID:22663011")
    assert len(requests(httpserver)) == 2
    assert work.status == "resolved"
    assert report(work, "pubmed").status == "ok"
    assert work.title == "Improved survival with MEK inhibition in BRAF-mutated melanoma"


def test_a_rate_limit_body_that_persists_is_never_a_record(httpserver: HTTPServer) -> None:
    replay(httpserver, lambda request: Response(RATE_LIMITED, content_type="application/json"))
    with stamina.set_testing(True, attempts=3), resolver(config(httpserver)) as r:
        work = r.resolve("PMID:22663011")
    assert len(requests(httpserver)) == 3
    assert work.status != "resolved"
    assert work.title is None
    assert report(work, "pubmed").status == "error"
    assert "API rate limit exceeded" in (report(work, "pubmed").error or "")
    assert "plugin error" not in (report(work, "pubmed").error or "")


def test_an_xml_rate_limit_body_is_not_data_either(httpserver: HTTPServer) -> None:
    body = b"<eFetchResult><ERROR>API rate limit exceeded</ERROR></eFetchResult>"  # built here
    replay(httpserver, lambda request: Response(body, content_type="text/xml"))
    with resolver(config(httpserver)) as r:
        work = r.resolve("PMID:22663011")
    assert report(work, "pubmed").status == "error"
    assert "API rate limit exceeded" in (report(work, "pubmed").error or "")


def test_http_429_is_retried_by_the_client(httpserver: HTTPServer) -> None:
    answers = [
        Response(RATE_LIMITED, status=429, content_type="application/json"),
        Response(article_set([PMID]), content_type="text/xml"),
    ]
    replay(httpserver, lambda request: answers.pop(0))
    with stamina.set_testing(True, attempts=3), resolver(config(httpserver)) as r:
        work = r.resolve("PMID:22663011")
    assert work.status == "resolved"
    assert len(requests(httpserver)) == 2


# -- failures ---------------------------------------------------------------------------------

BOMB = b"""<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><PubmedArticleSet>&b;</PubmedArticleSet>"""


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (404, b"Not Found", "HTTP 404"),
        (400, b'{"error":"Invalid uid"}', "HTTP 400"),
        (429, RATE_LIMITED, "HTTP 429 after 1 attempt"),
        (500, b"boom", "HTTP 500 after 1 attempt"),
        (200, b"<html><title>Service unavailable</title></html>", "got HTML"),
        (200, b"\x00\x01garbage", "malformed XML"),
        (200, BOMB, "refused a response with entity declarations"),
        (200, b"", "empty response body"),
        (200, b"<eFetchResult><ERROR>Empty id list</ERROR></eFetchResult>", "Empty id list"),
    ],
)
def test_failures_are_attributed_to_pubmed(
    httpserver: HTTPServer, status: int, body: bytes, message: str
) -> None:
    replay(httpserver, lambda request: Response(body, status=status))
    with resolver(config(httpserver)) as r:
        work = r.resolve("PMID:22663011")
    error = report(work, "pubmed").error or ""
    assert report(work, "pubmed").status == "error"
    assert message in error
    assert "plugin error" not in error
    assert httpserver.url_for(EFETCH) in error  # the request is named


# -- search -----------------------------------------------------------------------------------


def esearch(pmids: list[str]) -> bytes:
    """An esearch JSON answer in NCBI's documented shape (written here, not recorded)."""
    result = {"count": str(len(pmids)), "retmax": str(len(pmids)), "retstart": "0"}
    return json.dumps(
        {"header": {"type": "esearch"}, "esearchresult": {**result, "idlist": pmids}}
    ).encode()


def test_a_title_is_searched_and_the_candidates_go_to_the_matcher(httpserver: HTTPServer) -> None:
    httpserver.expect_request(ESEARCH).respond_with_data(
        esearch([PMID, "1"]), content_type="application/json"
    )
    replay(httpserver)
    title = "Improved survival with MEK inhibition in BRAF-mutated melanoma"
    with resolver(config(httpserver, options={"retmax": 12})) as r:
        work = r.resolve(title)
    (search,) = requests(httpserver, ESEARCH)
    assert search.args["term"] == title
    assert search.args["retmax"] == "12"
    assert search.args["retmode"] == "json"
    assert search.args["tool"] == "paperfuse"
    (fetch,) = requests(httpserver)
    assert asked_ids(fetch) == [PMID, "1"]
    assert work.status == "resolved"
    assert work.ids.pmid in (PMID, "1")  # both candidates carry the recorded article


def test_a_search_without_hits_asks_nothing_more(httpserver: HTTPServer) -> None:
    httpserver.expect_request(ESEARCH).respond_with_data(
        esearch([]), content_type="application/json"
    )
    replay(httpserver)
    with resolver(config(httpserver)) as r:
        work = r.resolve("A survey of quantum gardening in lunar soils")
    assert requests(httpserver, ESEARCH)[0].args["retmax"] == "5"
    assert requests(httpserver) == []
    assert work.status == "not_found"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>x</html>", "malformed JSON"),
        (b'{"esearchresult": {"ERROR": "Invalid query"}}', "E-utilities error: Invalid query"),
        (b"[1, 2]", "not an esearch result"),
    ],
)
def test_search_failures_are_attributed(httpserver: HTTPServer, body: bytes, message: str) -> None:
    httpserver.expect_request(ESEARCH).respond_with_data(body, content_type="application/json")
    with resolver(config(httpserver)) as r:
        work = r.resolve("A survey of quantum gardening in lunar soils")
    assert report(work, "pubmed").status == "error"
    assert message in (report(work, "pubmed").error or "")
    assert "plugin error" not in (report(work, "pubmed").error or "")


def test_the_plugin_is_registered_by_its_entry_point() -> None:
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group="paperfuse")}
    assert names["pubmed"] == "paperfuse_pubmed"


def test_pubmed_url_comes_from_the_environment(httpserver: HTTPServer) -> None:
    replay(httpserver)
    url = httpserver.url_for("").rstrip("/")
    cfg = paperfuse.load_config(env={"PAPERFUSE_PUBMED_URL": url}, email=EMAIL)
    with resolver(cfg) as r:
        work = r.resolve("PMID:22663011")
    assert work.status == "resolved"
    assert len(requests(httpserver)) == 1


def test_the_ncbi_settings_configure_the_source(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    """E-utilities are NCBI's: ``PAPERFUSE_NCBI_URL`` and ``PAPERFUSE_NCBI_API_KEY`` work too."""
    replay(httpserver)
    url = httpserver.url_for("").rstrip("/")
    env = {"PAPERFUSE_NCBI_URL": url, "PAPERFUSE_NCBI_API_KEY": KEY}
    cfg = paperfuse.load_config(env=env, email=EMAIL)
    with caplog.at_level(logging.WARNING), resolver(cfg) as r:
        work = r.resolve("PMID:22663011")
    assert work.status == "resolved"
    (request,) = requests(httpserver)
    assert request.args["api_key"] == KEY
    assert "ncbi" not in caplog.text.lower()  # a known name: no "no installed source" warning


def test_pubmed_settings_win_over_the_ncbi_ones(httpserver: HTTPServer, tmp_path: Path) -> None:
    replay(httpserver)
    url = httpserver.url_for("").rstrip("/")
    toml = tmp_path / "paperfuse.toml"
    toml.write_text(f'[sources.ncbi]\nurl = "http://127.0.0.1:9"\napi_key = "{KEY}"\n')
    env = {"PAPERFUSE_CONFIG": str(toml), "PAPERFUSE_PUBMED_URL": url}
    cfg = paperfuse.load_config(env=env, email=EMAIL)
    with resolver(cfg) as r:
        work = r.resolve("PMID:22663011")
    assert work.status == "resolved"  # pubmed's URL, not ncbi's closed port
    assert requests(httpserver)[0].args["api_key"] == KEY  # ncbi's key fills what pubmed left


def test_a_source_disabled_as_ncbi_is_disabled(httpserver: HTTPServer) -> None:
    replay(httpserver)
    cfg = config(httpserver)
    cfg = Config(email=EMAIL, sources={**cfg.sources, "ncbi": SourceSettings(enabled=False)})
    with resolver(cfg) as r:
        work = r.resolve("PMID:22663011")
    assert report(work, "pubmed").status == "skipped"
    assert requests(httpserver) == []


def test_a_key_paces_the_source_at_ten_requests_a_second(httpserver: HTTPServer) -> None:
    async def interval(cfg: Config) -> float:
        async with resolver(cfg) as r:
            return r._sources()["pubmed"].pacer.min_interval  # type: ignore[no-any-return]

    assert asyncio.run(interval(config(httpserver, min_interval=None))) == 0.34
    keyed = config(httpserver, min_interval=None, api_key=KEY)
    assert asyncio.run(interval(keyed)) == pytest.approx(0.1)
    assert asyncio.run(interval(config(httpserver, min_interval=0.7, api_key=KEY))) == 0.7


def test_every_pmid_of_a_rate_limited_batch_gets_the_error(httpserver: HTTPServer) -> None:
    replay(httpserver, lambda request: Response(RATE_LIMITED, content_type="application/json"))
    with resolver(config(httpserver)) as r:
        works = list(r.resolve_many(f"PMID:{1_000_000 + i}" for i in range(400)))
    assert len(requests(httpserver)) == 2  # one request per batch of 200, not one per PMID
    assert all(w.title is None for w in works)
    assert all(report(w, "pubmed").status == "error" for w in works)
    assert all("rate limit" in (report(w, "pubmed").error or "") for w in works)
