"""The Open Access Button source: the documented API, its answers of three
generations, faults, the API key, and the clean exit when the service is gone.

Bodies come from tests/fixtures/oab/ (the real and anonymized answers that
exist publicly) or are shaped as the API documents them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import stamina
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import paperfuse
import paperfuse_arxiv
import paperfuse_oab
import paperfuse_unpaywall
from installed_plugins import BUILT_IN_PLUGINS
from paperfuse import Config, SourceSettings, Work
from paperfuse.testing import CLI, Isolation, SourcesPlugin, fake_source, report
from paperfuse_oab import find_answer_to_work

FIXTURES = Path(__file__).parent / "fixtures" / "oab"
GONE_BODY = json.dumps(
    {"error": "The Open Access Button API has been permanently shut down.", "status": 410}
)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


# -- mapping --------------------------------------------------------------------------------


def test_current_answer_with_metadata() -> None:
    work = find_answer_to_work(load("psu_find_10.1103_physrevlett.80.3915.json"))
    assert work is not None
    assert work.ids.doi == "10.1103/physrevlett.80.3915"
    assert work.title == (  # the literal quotes around it are dropped
        "Stable characteristic evolution of generic three-dimensional single-black-hole spacetimes"
    )
    assert len(work.authors) == 44
    assert (work.authors[0].name, work.authors[0].given, work.authors[0].family) == (
        "R. Gómez",
        "R.",
        "Gómez",
    )
    assert (work.venue, work.publisher) == (
        "Physical Review Letters",
        "American Physical Society (APS)",
    )
    assert (work.published, work.year) == ("1998-05-04", 1998)
    assert (work.volume, work.issue, work.pages) == ("80", "18", "3915-3918")
    assert work.issn == ("0031-9007", "1079-7114")
    assert work.type == "journal-article"
    location = work.oa_locations[0]
    assert location.url == "http://arxiv.org/pdf/gr-qc/9801069"
    assert location.url_for_pdf == "http://arxiv.org/pdf/gr-qc/9801069"
    assert (location.source, location.evidence) == ("oab", "Open Access Button")


def test_2020_answer() -> None:
    work = find_answer_to_work(load("psu_find_v2020_ANONYMIZED_found.json"))
    assert work is not None
    assert work.title == "Test Title"
    assert work.ids.doi is None  # "doi1" is no DOI (the values were anonymized)
    assert [a.sequence for a in work.authors] == ["first", "additional"]
    assert work.issn == ("1234-5678",)
    assert work.type == "journal-article"  # from crossref_type
    assert work.oa_locations[0].url == "http://openaccessexample.org/publications/pub1.pdf"


def test_2019_answers() -> None:
    two = find_answer_to_work(load("psu_find_legacy_ANONYMIZED_two_articles.json"))
    assert two is not None
    assert [loc.url for loc in two.oa_locations] == [
        "http://openaccessexample.org/publications/pub1.pdf",
        "http://other.org/publications/pub2.pdf",
    ]
    assert find_answer_to_work(load("psu_find_legacy_ANONYMIZED_not_available.json")) is None
    assert find_answer_to_work(load("psu_find_legacy_ANONYMIZED_type_other.json")) is None


def test_pmid_and_pmcid_in_metadata() -> None:
    work = find_answer_to_work(
        {
            "url": "https://europepmc.org/articles/PMC4221854",
            "metadata": {"pmid": 25079055, "pmcid": "pmc4221854", "doi": "10.1038/NATURE12373"},
        }
    )
    assert work is not None
    assert (work.ids.pmid, work.ids.pmcid, work.ids.doi) == (
        "25079055",
        "PMC4221854",
        "10.1038/nature12373",
    )


# -- the source against a local server -----------------------------------------------------


def oab_config(server: HTTPServer, **settings: Any) -> Config:
    root = server.url_for("").rstrip("/")
    return Config(
        use_cache=False,  # each test's runs ask the server afresh
        sources={"oab": SourceSettings(url=root, min_interval=0.0, **settings)},
    )


def resolver(cfg: Config, *extra: type[paperfuse.Source]) -> paperfuse.Resolver:
    plugins: dict[str, object] = {"oab": paperfuse_oab}
    if extra:
        plugins["fakes"] = SourcesPlugin(*extra)
    return paperfuse.Resolver(cfg, entry_points=False, plugins=plugins)


def answer(body: Any, status: int = 200, **headers: str) -> Callable[[Request], Response]:
    def respond(request: Request) -> Response:
        text = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return Response(text, status=status, headers=headers, content_type="application/json")

    return respond


def serve(server: HTTPServer, handler: Callable[[Request], Response]) -> None:
    server.expect_request(re.compile(r".*")).respond_with_handler(handler)


def test_pmid_resolves_to_a_doi_and_an_oa_url(httpserver: HTTPServer) -> None:
    found = load("psu_find_10.1103_physrevlett.80.3915.json")
    serve(httpserver, answer(found))
    doi_source = fake_source(
        "doi-source",
        ["doi"],
        records={("doi", "10.1103/physrevlett.80.3915"): Work(abstract="from the DOI source")},
    )
    with resolver(oab_config(httpserver), doi_source) as r:
        work = r.resolve("PMID: 9620977")
    request = httpserver.log[0][0]
    assert (request.path, request.args["id"]) == ("/find", "9620977")
    assert work.status == "resolved"
    assert work.ids.doi == "10.1103/physrevlett.80.3915"
    assert work.ids.pmid == "9620977"
    assert work.best_oa_location is not None
    assert work.best_oa_location.url == "http://arxiv.org/pdf/gr-qc/9801069"
    assert work.abstract == "from the DOI source"  # the revealed DOI was asked of another source
    assert doi_source.calls[0][2] == ("doi:10.1103/physrevlett.80.3915",)


def test_the_preferred_identifier_is_asked(httpserver: HTTPServer) -> None:
    serve(httpserver, answer({"url": "https://example.org/paper.pdf", "metadata": {}}))
    seed = fake_source(
        "seed",
        ["arxiv"],
        records={("arxiv", "1710.08557"): Work(ids=paperfuse.Ids(doi="10.1/x", pmid="123"))},
    )
    with resolver(oab_config(httpserver), seed) as r:
        r.resolve("arXiv:1710.08557")
    asked = [req.args["id"] for req, _ in httpserver.log if req.path == "/find"]
    assert asked == ["10.1/x"]  # the DOI, not the PMID


def test_title_query_goes_to_find_by_title(httpserver: HTTPServer) -> None:
    serve(httpserver, answer(load("psu_find_10.1103_physrevlett.80.3915.json")))
    title = (
        "Stable characteristic evolution of generic three-dimensional single-black-hole spacetimes"
    )
    with resolver(oab_config(httpserver)) as r:
        work = r.resolve(title)
    assert httpserver.log[0][0].args["title"] == title
    assert work.status == "resolved"
    assert work.ids.doi == "10.1103/physrevlett.80.3915"


def test_metadata_is_asked_when_find_says_little(httpserver: HTTPServer) -> None:
    def respond(request: Request) -> Response:
        if request.path == "/find":
            return answer({"url": "https://repo.example.edu/paper.pdf"})(request)
        return answer({"metadata": {"title": "A paper", "doi": "10.5555/abc", "year": "2001"}})(
            request
        )

    serve(httpserver, respond)
    with resolver(oab_config(httpserver)) as r:
        work = r.resolve("10.5555/abc")
    assert [req.path for req, _ in httpserver.log] == ["/find", "/metadata"]
    assert httpserver.log[1][0].args["id"] == "10.5555/abc"
    assert (work.title, work.year) == ("A paper", 2001)
    assert work.best_oa_location.url == "https://repo.example.edu/paper.pdf"  # type: ignore[union-attr]


def test_api_key_is_sent_as_a_header_and_never_shown(httpserver: HTTPServer) -> None:
    serve(httpserver, answer({"error": "bad things, key k-secret-123"}, status=500))
    with resolver(oab_config(httpserver, api_key="k-secret-123")) as r:
        work = r.resolve("10.5555/abc")
    assert httpserver.log[0][0].headers["x-apikey"] == "k-secret-123"
    assert "k-secret-123" not in paperfuse.encode_json(work).decode()
    assert report(work, "oab").status == "error"


def test_only_read_endpoints_are_called(httpserver: HTTPServer) -> None:
    serve(httpserver, answer({"url": "https://repo.example.edu/paper.pdf"}))
    with resolver(oab_config(httpserver)) as r:
        list(r.resolve_many(["10.5555/a", "PMC123456", "https://example.org/x", "A title here"]))
    assert {req.path for req, _ in httpserver.log} <= {"/find", "/metadata"}
    # and no code path builds a URL to a write endpoint
    source = Path(paperfuse_oab.__file__).parent
    code = "".join(p.read_text() for p in source.glob("*.py"))
    for endpoint in ("request", "ill", "deposit"):
        assert f'/{endpoint}"' not in code
        assert f"base_url}}/{endpoint}" not in code


def test_404_is_not_found_and_unusable_answers_are_errors(httpserver: HTTPServer) -> None:
    serve(httpserver, answer({"error": "not found"}, status=404))
    with resolver(oab_config(httpserver)) as r:
        assert report(r.resolve("10.5555/a"), "oab").status == "not_found"
    httpserver.clear()
    serve(httpserver, answer(load("psu_find_HANDMADE_no-data.json")))
    with resolver(oab_config(httpserver)) as r:
        work = r.resolve("10.5555/a")
    assert report(work, "oab").status == "error"
    assert "not an answer of the find API: '{\"no-data\": {}}'" in (report(work, "oab").error or "")
    httpserver.clear()
    serve(httpserver, answer("<html>maintenance</html>"))
    with resolver(oab_config(httpserver)) as r:
        assert "malformed JSON" in (report(r.resolve("10.5555/a"), "oab").error or "")
    httpserver.clear()
    serve(httpserver, answer(load("psu_find_legacy_ANONYMIZED_not_available.json")))
    with resolver(oab_config(httpserver)) as r:
        assert report(r.resolve("10.5555/a"), "oab").status == "not_found"


def test_429_and_5xx_are_retried(httpserver: HTTPServer) -> None:
    answers = [
        answer("slow down", status=429, **{"Retry-After": "0"}),
        answer("oops", status=503),
        answer(load("psu_find_10.1103_physrevlett.80.3915.json")),
    ]
    serve(httpserver, lambda request: answers.pop(0)(request))
    with stamina.set_testing(True, attempts=3), resolver(oab_config(httpserver)) as r:
        work = r.resolve("10.1103/physrevlett.80.3915")
    assert work.status == "resolved"
    assert len(httpserver.log) == 3


def test_politeness_is_one_request_per_second() -> None:
    assert paperfuse_oab.OABSource.politeness.min_interval == 1.0
    assert paperfuse_oab.OABSource.politeness.max_concurrency == 1


# -- the service is gone --------------------------------------------------------------------


def test_410_is_gone_in_every_result_asked_once_not_retried(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    serve(httpserver, answer(GONE_BODY, status=410))
    other = fake_source(
        "other", ["doi"], answer=lambda batch: {i: Work(title=i.value) for i in batch}
    )
    with (
        stamina.set_testing(True, attempts=4),
        caplog.at_level(logging.WARNING),
        resolver(oab_config(httpserver), other) as r,
    ):
        works = list(r.resolve_many([f"10.5555/{n}" for n in range(5)]))
        stats = r.stats()
    assert len(httpserver.log) == 1  # not retried, not asked again
    message = "HTTP 410: The Open Access Button API has been permanently shut down."
    assert stats["oab"].gone == message  # what a caller (paperfuse serve's /health) reads
    assert stats["other"].gone is None
    for work in works:
        assert work.status == "resolved"  # the other source's data stands
        assert (report(work, "oab").status, report(work, "oab").error) == ("gone", message)
    warnings = [r for r in caplog.records if "is gone" in r.getMessage()]
    assert len(warnings) == 1


def test_410_is_remembered_across_runs_until_rechecked(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve(httpserver, answer(GONE_BODY, status=410))
    cfg = oab_config(httpserver)
    cfg = paperfuse.Config(cache_dir=str(tmp_path), sources=cfg.sources)
    with resolver(cfg) as r:
        r.resolve("10.5555/a")
    with resolver(cfg) as r:
        work = r.resolve("10.5555/b")
    assert len(httpserver.log) == 1  # the second run did not ask
    assert report(work, "oab").status == "gone"
    assert "remembered from" in (report(work, "oab").error or "")
    recheck = paperfuse.Config(
        cache_dir=str(tmp_path),
        sources={
            "oab": SourceSettings(
                url=httpserver.url_for("").rstrip("/"),
                min_interval=0.0,
                options={"recheck_gone": True},
            )
        },
    )
    with resolver(recheck) as r:
        assert report(r.resolve("10.5555/c"), "oab").status == "gone"
    assert len(httpserver.log) == 2


def test_a_resolution_with_all_three_sources_completes_when_oab_is_gone(
    httpserver: HTTPServer,
) -> None:
    unpaywall = (
        Path(__file__).parent / "fixtures" / "unpaywall" / "unpywall_10.1038_nature12373.json"
    )
    arxiv = Path(__file__).parent / "fixtures" / "arxiv" / "rsxiv_id_1201.56789_empty.xml"

    def respond(request: Request) -> Response:
        if request.path.startswith("/v2/"):
            return Response(unpaywall.read_bytes(), content_type="application/json")
        if request.path == "/api/query":
            return Response(arxiv.read_bytes(), content_type="application/atom+xml")
        return Response(GONE_BODY, status=410, content_type="application/json")

    serve(httpserver, respond)
    root = httpserver.url_for("").rstrip("/")
    cfg = Config(
        email="librarian@example.org",
        sources={
            name: SourceSettings(url=root, min_interval=0.0, options=options)
            for name, options in (
                ("arxiv", {"empty_feed_retries": 0}),
                ("unpaywall", {}),
                ("oab", {}),
            )
        },
    )
    plugins = {"arxiv": paperfuse_arxiv, "unpaywall": paperfuse_unpaywall, "oab": paperfuse_oab}
    with paperfuse.Resolver(cfg, entry_points=False, plugins=plugins) as r:
        work = r.resolve("10.1038/nature12373")
    assert work.status == "resolved"
    assert work.title == "Nanometre-scale thermometry in a living cell"
    assert report(work, "unpaywall").status == "ok"
    assert report(work, "oab").status == "gone"


def test_cli_warns_once_and_completes_when_gone(
    httpserver: HTTPServer, paperfuse_isolated: Isolation, paperfuse_cli: CLI
) -> None:
    serve(httpserver, answer(GONE_BODY, status=410))
    paperfuse_isolated.use_plugins(entry_points=BUILT_IN_PLUGINS - {"arxiv", "unpaywall"})
    run = paperfuse_cli.subprocess(
        "resolve",
        "10.5555/a",
        "10.5555/b",
        "PMC123456",
        urls={"oab": httpserver.url_for("").rstrip("/")},
    )
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(records) == 3
    for record in records:
        oab = next(s for s in record["sources"] if s["name"] == "oab")
        assert oab["status"] == "gone"
    gone_lines = [line for line in run.stderr.splitlines() if "is gone" in line]
    assert len(gone_lines) == 1
    assert gone_lines[0].startswith("paperfuse: warning: source oab is gone")
    assert "Traceback" not in run.stderr
    assert run.exit_code == 1  # nothing resolved these inputs; each line says why
