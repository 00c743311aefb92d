"""``paperfuse serve``: the real server (uvicorn on a free loopback port) called over HTTP.

The sources are in-memory fakes (paperfuse.testing) for the status of each
answer, and the arXiv source at a fake upstream replaying arXiv's recorded
feed (tests/fixtures/arxiv) for the end-to-end and batching tests.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import bibtexparser
import httpx
import msgspec
import pytest
from starlette.applications import Starlette

import paperfuse_arxiv
from paperfuse import Ids, Resolver, SourceGone, Work
from paperfuse.serve import create_app
from paperfuse.testing import (
    CLI,
    FakeUpstream,
    Isolation,
    Reply,
    ResolverFactory,
    SourcesPlugin,
    fake_source,
)
from tests.serving import TITLE, Broken, Table, running, serve_command

ARXIV_FIXTURES = Path(__file__).parent / "fixtures" / "arxiv"
EMAIL = "secret-contact@example.org"
API_KEY = "secret-key-0123456789"
TEXT = {"Content-Type": "text/plain"}

Retired = fake_source(
    "retired", ["pmcid"], fail_with=SourceGone("this API was retired", source="retired")
)


@pytest.fixture
def fakes_server(paperfuse_resolver: ResolverFactory) -> Iterator[str]:
    """The server over in-memory sources (no HTTP behind it)."""
    resolver = paperfuse_resolver(
        SourcesPlugin(Table, Broken, Retired), email=EMAIL, settings={"table": {"api_key": API_KEY}}
    )
    with running(create_app(resolver=resolver, max_body=4096, max_inputs=5)) as url:
        yield url


def replay_arxiv(upstream: FakeUpstream) -> None:
    """arXiv's recorded feed for 1710.08557, whatever ids are asked (the others are absent)."""
    upstream.route(
        "/api/query", lambda asked: Reply.file(ARXIV_FIXTURES / "pubs_id_1710.08557.xml")
    )


@pytest.fixture
def arxiv_app(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> Callable[..., Starlette]:
    """``arxiv_app(**settings)``: an app whose arXiv source asks the fake upstream."""
    replay_arxiv(paperfuse_upstream)

    def make(**settings: object) -> Starlette:
        resolver: Resolver = paperfuse_resolver(
            {"arxiv": paperfuse_arxiv},
            urls={"arxiv": paperfuse_upstream.url},
            email=EMAIL,
            settings={"arxiv": settings},
        )
        return create_app(resolver=resolver)

    return make


# -- GET /resolve: one status per outcome ---------------------------------------------------


def test_resolved_is_200_with_the_record(fakes_server: str) -> None:
    answer = httpx.get(f"{fakes_server}/resolve", params={"id": "10.1234/found"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    record = answer.json()
    assert (record["status"], record["title"]) == ("resolved", "A found work")


def test_not_found_is_404(fakes_server: str) -> None:
    answer = httpx.get(f"{fakes_server}/resolve", params={"id": "10.1234/absent"})
    assert answer.status_code == 404
    assert answer.json()["status"] == "not_found"


def test_an_ambiguous_title_is_300_with_the_scored_candidates(fakes_server: str) -> None:
    answer = httpx.get(f"{fakes_server}/resolve", params={"id": TITLE})
    assert answer.status_code == 300
    body = answer.json()
    assert body["status"] == "ambiguous"
    dois = {c["ids"]["doi"] for c in body["candidates"]}
    assert dois == {"10.1234/one", "10.1234/two"}
    assert all(isinstance(c["score"], float) for c in body["candidates"])


def test_every_source_failing_is_502(fakes_server: str) -> None:
    answer = httpx.get(f"{fakes_server}/resolve", params={"id": "PMID:12345"})
    assert answer.status_code == 502
    body = answer.json()
    assert body["status"] == "error"
    assert "down for test" in str(body)


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({}, "?id="),
        ({"id": "  "}, "?id="),
        ({"id": "10.1234/found", "format": "nope"}, "unknown format 'nope'"),
    ],
)
def test_unusable_input_or_format_is_422(fakes_server: str, params: dict, says: str) -> None:
    answer = httpx.get(f"{fakes_server}/resolve", params=params)
    assert answer.status_code == 422
    assert says in answer.json()["error"]


def test_an_invalid_identifier_is_422(fakes_server: str) -> None:
    answer = httpx.get(f"{fakes_server}/resolve", params={"id": "arXiv:not-an-id"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["status"] == "invalid"


def test_a_bibliography_format_answers_its_text_with_its_media_type(fakes_server: str) -> None:
    answer = httpx.get(f"{fakes_server}/resolve", params={"id": "10.1234/found", "format": "ris"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/x-research-info-systems")
    assert "T1  - A found work" in answer.text
    csl = httpx.get(f"{fakes_server}/resolve", params={"id": "10.1234/found", "format": "csl-json"})
    assert csl.headers["content-type"].startswith("application/vnd.citationstyles.csl+json")
    assert [item["title"] for item in csl.json()] == ["A found work"]


def test_a_bibliography_format_of_a_failure_is_json_saying_why(fakes_server: str) -> None:
    answer = httpx.get(
        f"{fakes_server}/resolve", params={"id": "10.1234/absent", "format": "bibtex"}
    )
    assert answer.status_code == 404
    assert answer.json()["status"] == "not_found"


# -- GET /resolve against arXiv's recorded answer -------------------------------------------


def test_curl_resolve_bibtex_gives_an_entry_bibtexparser_reads(
    arxiv_app: Callable[..., Starlette],
) -> None:
    with running(arxiv_app()) as url:
        answer = httpx.get(f"{url}/resolve?id=arXiv:1710.08557&format=bibtex")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/x-bibtex")
    library = bibtexparser.parse_string(answer.text)
    assert not library.failed_blocks
    (entry,) = library.entries
    assert "Biological Grasp and Manipulation" in entry["title"]
    assert entry["eprint"] == "1710.08557"


def test_fifty_concurrent_clients_cost_at_most_two_arxiv_requests(
    arxiv_app: Callable[..., Starlette], paperfuse_upstream: FakeUpstream
) -> None:
    ids = ["1710.08557"] + [f"2101.{n:05d}" for n in range(1, 50)]

    async def ask_all(url: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            return await asyncio.gather(
                *(client.get("/resolve", params={"id": f"arXiv:{i}"}) for i in ids)
            )

    # arXiv's own interval (3 s) shortened, kept long enough that the requests arriving while the
    # first is out wait for the next one, together, even on a slow machine.
    with running(arxiv_app(min_interval=2.0)) as url:
        answers = asyncio.run(ask_all(url))
    assert [a.status_code for a in answers] == [200] + [404] * 49
    asked = paperfuse_upstream.requests("/api/query")
    assert 1 <= len(asked) <= 2
    assert sorted(i for a in asked for i in a.params["id_list"].split(",")) == sorted(ids)


# -- POST /resolve ---------------------------------------------------------------------------


def test_post_a_json_list_streams_json_lines_in_input_order(fakes_server: str) -> None:
    inputs = ["10.1234/absent", "10.1234/found", "PMID:12345"]
    answer = httpx.post(f"{fakes_server}/resolve", json=inputs)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/jsonl")
    lines = [msgspec.json.decode(line) for line in answer.text.splitlines()]
    assert [(r["input"], r["status"]) for r in lines] == [
        ("10.1234/absent", "not_found"),
        ("10.1234/found", "resolved"),
        ("PMID:12345", "error"),
    ]


def test_post_text_lines_as_a_bibtex_file(fakes_server: str) -> None:
    answer = httpx.post(
        f"{fakes_server}/resolve?format=bibtex",
        content="10.1234/found\n\n10.1234/absent\n",
        headers={"content-type": "text/plain"},
    )
    assert answer.status_code == 200
    library = bibtexparser.parse_string(answer.text)
    assert [e["title"] for e in library.entries] == ["A found work"]


def test_post_csl_json_is_one_array(fakes_server: str) -> None:
    answer = httpx.post(f"{fakes_server}/resolve?format=csl-json", json=["10.1234/found"] * 2)
    assert [item["title"] for item in answer.json()] == ["A found work"] * 2


@pytest.mark.parametrize(
    ("body", "kind", "status", "says"),
    [
        (b"x" * 5000, "text/plain", 413, "over the limit of 4,096 bytes"),
        (b"a\nb\nc\nd\ne\nf\n", "text/plain", 413, "6 inputs are over the limit of 5"),
        (b'{"not": "a list"}', "application/json", 422, "not a JSON list of strings"),
        (b"\n\n", "text/plain", 422, "no input"),
        (b"\xff\xfe", "text/plain", 422, "not UTF-8"),
    ],
)
def test_post_limits_and_unusable_bodies(
    fakes_server: str, body: bytes, kind: str, status: int, says: str
) -> None:
    answer = httpx.post(f"{fakes_server}/resolve", content=body, headers={"content-type": kind})
    assert answer.status_code == status
    assert says in answer.json()["error"]


def test_a_body_over_the_limit_without_its_length_is_413(fakes_server: str) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"10.1234/found\n" * 50

    answer = httpx.post(f"{fakes_server}/resolve", content=chunks())
    assert answer.status_code == 413


def test_the_default_body_limit_is_ten_mib(paperfuse_resolver: ResolverFactory) -> None:
    app = create_app(resolver=paperfuse_resolver(SourcesPlugin(Table)))
    with running(app) as url:
        over = httpx.post(f"{url}/resolve", content=b"\n" * (10 * 1024 * 1024 + 1))
        under = httpx.post(f"{url}/resolve", content=b"\n" * (10 * 1024 * 1024 - 6) + b"10.1/x")
    assert over.status_code == 413
    assert under.status_code == 200


# -- the other endpoints ---------------------------------------------------------------------


def test_identify(fakes_server: str) -> None:
    answer = httpx.get(f"{fakes_server}/identify", params={"text": "doi:10.1234/found"})
    assert answer.status_code == 200
    assert answer.json()["kind"] == "identifier"
    assert "10.1234/found" in answer.text
    assert httpx.get(f"{fakes_server}/identify").status_code == 422


def test_formats(fakes_server: str) -> None:
    formats = {f["name"]: f for f in httpx.get(f"{fakes_server}/formats").json()}
    assert {"json", "csl-json", "bibtex", "biblatex", "ris"} <= set(formats)
    assert formats["bibtex"]["bibliography"] is True
    assert formats["bibtex"]["media_type"] == "application/x-bibtex"


def test_health_names_the_sources_and_their_state(fakes_server: str) -> None:
    httpx.get(f"{fakes_server}/resolve", params={"id": "10.1234/found"})
    health = httpx.get(f"{fakes_server}/health").json()
    assert health["status"] == "ok"
    assert set(health["sources"]) == {"table", "broken", "retired"}
    assert health["sources"]["table"]["state"] == "ok"
    assert health["sources"]["table"]["calls"] == 1


def test_metrics_count_requests_per_source_and_cache_hits(fakes_server: str) -> None:
    for _ in range(2):
        httpx.get(f"{fakes_server}/resolve", params={"id": "10.1234/found"})
    answer = httpx.get(f"{fakes_server}/metrics")
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert re.search(r'^paperfuse_source_calls_total\{source="table"\} 1$', text, re.M)
    assert re.search(r'^paperfuse_source_cache_hits_total\{source="table"\} 1$', text, re.M)
    assert re.search(
        r'^paperfuse_http_responses_total\{method="GET",route="/resolve",status="200"\} 2$',
        text,
        re.M,
    )
    assert "# TYPE paperfuse_source_requests_total counter" in text


def test_openapi_describes_every_endpoint(fakes_server: str) -> None:
    schema = httpx.get(f"{fakes_server}/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        *("/resolve", "/identify", "/formats", "/health", "/metrics", "/search", "/export")
    }
    assert set(schema["paths"]["/resolve"]) == {"get", "post"}
    assert "300" in schema["paths"]["/resolve"]["get"]["responses"]


def test_no_secret_in_any_answer_or_header(fakes_server: str) -> None:
    answers = [
        httpx.get(f"{fakes_server}/resolve", params={"id": "10.1234/found"}),
        httpx.get(f"{fakes_server}/resolve", params={"id": "PMID:12345"}),
        httpx.post(f"{fakes_server}/resolve", json=["10.1234/found", "PMID:1", "x y z"]),
        *(
            httpx.post(f"{fakes_server}/search", content=text, headers=TEXT)
            for text in ("10.1234/found", "PMID:12345", TITLE)
        ),
        httpx.post(f"{fakes_server}/export?format=ris", json=[{"itemType": "book"}]),
        httpx.get(f"{fakes_server}/", params={"id": "10.1234/found"}),
        httpx.get(f"{fakes_server}/", params={"id": "PMID:12345"}),
        *(
            httpx.get(f"{fakes_server}{path}")
            for path in ("/health", "/metrics", "/formats", "/openapi.json", "/nowhere")
        ),
    ]
    for answer in answers:
        seen = answer.text + str(answer.headers)
        assert EMAIL not in seen
        assert API_KEY not in seen
        assert "uvicorn" not in seen.lower()


def test_no_secret_when_the_upstream_quotes_the_request_back(
    paperfuse_upstream: FakeUpstream, arxiv_app: Callable[..., Starlette]
) -> None:
    paperfuse_upstream.html(status=500)
    with running(arxiv_app()) as url:
        answer = httpx.get(f"{url}/resolve", params={"id": "arXiv:1710.08557"})
    assert answer.status_code == 502
    assert EMAIL not in answer.text + str(answer.headers)


def test_the_cache_is_flushed_when_the_server_stops(
    arxiv_app: Callable[..., Starlette], paperfuse_upstream: FakeUpstream
) -> None:
    with running(arxiv_app()) as url:
        assert httpx.get(f"{url}/resolve", params={"id": "arXiv:1710.08557"}).status_code == 200
    with running(arxiv_app()) as url:
        again = httpx.get(f"{url}/resolve", params={"id": "arXiv:1710.08557"})
    assert again.status_code == 200
    assert len(paperfuse_upstream.requests("/api/query")) == 1


def test_importing_paperfuse_does_not_import_the_server() -> None:
    code = (
        "import sys, paperfuse; paperfuse.Resolver; import paperfuse.cli;"
        "print(sorted(m for m in sys.modules if m.startswith(('starlette', 'uvicorn',"
        " 'paperfuse.serve'))))"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "[]"


# -- the command ------------------------------------------------------------------------------


def test_paperfuse_serve_answers_then_stops_on_sigterm_and_keeps_its_cache(
    paperfuse_isolated: Isolation, paperfuse_cli: CLI, paperfuse_upstream: FakeUpstream
) -> None:
    replay_arxiv(paperfuse_upstream)
    paperfuse_isolated.use_plugins(entry_points=["arxiv"])
    env = paperfuse_cli.process_environment(urls={"arxiv": paperfuse_upstream.url}, email=EMAIL)
    for _ in range(2):
        with serve_command(env) as (url, process):
            answer = httpx.get(f"{url}/resolve?id=arXiv:1710.08557&format=bibtex", timeout=30)
            assert answer.status_code == 200
            assert bibtexparser.parse_string(answer.text).entries[0]["eprint"] == "1710.08557"
            process.send_signal(signal.SIGTERM)
            # uvicorn shuts down, then ends by the signal it caught, as a process manager expects.
            assert process.wait(10) in (0, -signal.SIGTERM)
            assert process.stderr is not None
            said = process.stderr.read()
            assert "Application shutdown complete" in said
            assert EMAIL not in said
    # The second server answered from the cache the first one flushed when it stopped.
    assert len(paperfuse_upstream.requests("/api/query")) == 1


def test_paperfuse_serve_binds_to_loopback_by_default() -> None:
    from paperfuse.cli._serve import serve

    host = next(p for p in serve.params if p.name == "host")
    assert host.default == "127.0.0.1"


def test_a_client_that_leaves_harms_no_other(paperfuse_resolver: ResolverFactory) -> None:
    Slow = fake_source(
        "slow",
        ["doi"],
        records={("doi", "10.1234/slow"): Work(title="Slow", ids=Ids(doi="10.1234/slow"))},
        delay=0.5,
    )
    app = create_app(resolver=paperfuse_resolver(SourcesPlugin(Slow)))
    with running(app) as url:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{url}/resolve", json=[f"10.1234/gone{n}" for n in range(20)], timeout=0.2)
        answer = httpx.get(f"{url}/resolve", params={"id": "10.1234/slow"}, timeout=10)
        assert answer.status_code == 200
        assert answer.json()["title"] == "Slow"
        assert httpx.get(f"{url}/health").json()["sources"]["slow"]["state"] == "ok"


def test_health_says_a_source_is_gone(fakes_server: str) -> None:
    answer = httpx.get(f"{fakes_server}/resolve", params={"id": "PMC123456"})
    assert answer.status_code == 502
    retired = httpx.get(f"{fakes_server}/health").json()["sources"]["retired"]
    assert retired["state"] == "gone"
    assert "this API was retired" in retired["reason"]


def test_cors_is_off_by_default(fakes_server: str) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    answer = httpx.get(f"{fakes_server}/resolve?id=10.1234/found", headers=origin)
    preflight = httpx.options(
        f"{fakes_server}/resolve",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    for each in (answer, preflight):
        assert not any(name.startswith("access-control-") for name in each.headers)
