"""``paperfuse serve`` on a network: clients' share, CORS, departures, SIGTERM, budgets.

The real server (uvicorn on a free loopback port) over in-memory fake sources
that take their time, or over the arXiv source at a fake upstream.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

import paperfuse_arxiv
from paperfuse import Ids, Work
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
from tests.serving import running, serve_command

ARXIV_FEED = Path(__file__).parent / "fixtures" / "arxiv" / "pubs_id_1710.08557.xml"
EMAIL = "secret-contact@example.org"

Slow = fake_source(
    "slow",
    ["doi"],
    records={
        ("doi", f"10.1234/{n}"): Work(title=f"Work {n}", ids=Ids(doi=f"10.1234/{n}"))
        for n in range(10)
    },
    delay=1.0,
)


async def _ask_at_once(url: str, paths: list[str]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        return await asyncio.gather(*(client.get(path) for path in paths))


def test_a_client_beyond_its_share_is_answered_429(paperfuse_resolver: ResolverFactory) -> None:
    app = create_app(resolver=paperfuse_resolver(SourcesPlugin(Slow)), max_per_client=2)
    with running(app) as url:
        paths = [f"/resolve?id=10.1234/{n}" for n in range(3)]
        answers = asyncio.run(_ask_at_once(url, [*paths, "/health"]))
        statuses = sorted(a.status_code for a in answers[:3])
        assert statuses == [200, 200, 429]
        refused = next(a for a in answers if a.status_code == 429)
        assert refused.headers["retry-after"] == "1"
        assert "more than 2 requests of this client" in refused.json()["error"]
        assert answers[3].status_code == 200  # health is never refused
        metrics = httpx.get(f"{url}/metrics").text
        assert "paperfuse_http_refused_total 1" in metrics
        # The share is given back: the client may ask again.
        assert httpx.get(f"{url}{paths[0]}", timeout=30).status_code == 200


def test_cors_answers_only_the_origins_configured(paperfuse_resolver: ResolverFactory) -> None:
    Table = fake_source(
        "table", ["doi"], records={("doi", "10.1234/a"): Work(title="A", ids=Ids(doi="10.1234/a"))}
    )
    app = create_app(
        resolver=paperfuse_resolver(SourcesPlugin(Table)), cors_origins=["https://app.example"]
    )
    with running(app) as url:
        allowed = {"Origin": "https://app.example"}
        answer = httpx.get(f"{url}/resolve?id=10.1234/a", headers=allowed)
        assert answer.headers["access-control-allow-origin"] == "https://app.example"
        preflight = httpx.options(
            f"{url}/resolve",
            headers={
                **allowed,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.status_code == 200
        assert "POST" in preflight.headers["access-control-allow-methods"]
        elsewhere = {"Origin": "https://elsewhere.example"}
        answer = httpx.get(f"{url}/resolve?id=10.1234/a", headers=elsewhere)
        assert "access-control-allow-origin" not in answer.headers
        preflight = httpx.options(
            f"{url}/resolve", headers={**elsewhere, "Access-Control-Request-Method": "POST"}
        )
        assert preflight.status_code == 400
        assert "access-control-allow-origin" not in preflight.headers


def test_a_client_that_leaves_cancels_its_wait_but_not_the_work_others_share(
    paperfuse_resolver: ResolverFactory,
) -> None:
    app = create_app(resolver=paperfuse_resolver(SourcesPlugin(Slow)))
    with running(app) as url:
        shared: dict[str, httpx.Response] = {}

        def patient() -> None:
            shared["answer"] = httpx.get(f"{url}/resolve?id=10.1234/5", timeout=30)

        thread = threading.Thread(target=patient)
        thread.start()
        with pytest.raises(httpx.ReadTimeout):  # leaves while the same work is under way
            httpx.get(f"{url}/resolve?id=10.1234/5", timeout=0.3)
        thread.join(30)
        assert shared["answer"].status_code == 200
        assert shared["answer"].json()["title"] == "Work 5"
        deadline = time.monotonic() + 10
        while "paperfuse_http_client_left_total 1" not in httpx.get(f"{url}/metrics").text:
            assert time.monotonic() < deadline, "the departure was never noticed"
            time.sleep(0.05)
        # Later clients are served as before.
        assert httpx.get(f"{url}/resolve?id=10.1234/6", timeout=30).status_code == 200


def test_health_says_what_is_left_of_a_daily_budget(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    paperfuse_upstream.route("/api/query", lambda asked: Reply.file(ARXIV_FEED))
    resolver = paperfuse_resolver(
        {"arxiv": paperfuse_arxiv},
        urls={"arxiv": paperfuse_upstream.url},
        settings={"arxiv": {"daily_budget": 5}},
    )
    with running(create_app(resolver=resolver)) as url:
        assert httpx.get(f"{url}/resolve?id=arXiv:1710.08557", timeout=30).status_code == 200
        after = httpx.get(f"{url}/health").json()["sources"]["arxiv"]
        assert (after["daily_budget"], after["budget_left"], after["budget_unit"]) == (
            5,
            4,
            "calls",
        )
        metrics = httpx.get(f"{url}/metrics").text
        assert 'paperfuse_source_budget_left{source="arxiv",unit="calls"} 4' in metrics


def test_sigterm_lets_requests_in_flight_finish_then_flushes_the_cache(
    paperfuse_isolated: Isolation, paperfuse_cli: CLI, paperfuse_upstream: FakeUpstream
) -> None:
    def slowly(asked: object) -> Reply:
        time.sleep(1.5)
        return Reply.file(ARXIV_FEED)

    paperfuse_upstream.route("/api/query", slowly)
    paperfuse_isolated.use_plugins(entry_points=["arxiv"])
    env = paperfuse_cli.process_environment(urls={"arxiv": paperfuse_upstream.url}, email=EMAIL)
    with serve_command(env) as (url, process):
        answers: dict[str, httpx.Response] = {}

        def ask() -> None:
            answers["in flight"] = httpx.get(f"{url}/resolve?id=arXiv:1710.08557", timeout=30)

        thread = threading.Thread(target=ask)
        thread.start()
        deadline = time.monotonic() + 10
        while not paperfuse_upstream.requests("/api/query"):
            assert time.monotonic() < deadline, "the request never reached the upstream"
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)  # while the upstream is still answering
        thread.join(30)
        assert answers["in flight"].status_code == 200
        assert answers["in flight"].json()["ids"]["arxiv"] == "1710.08557"
        assert process.wait(15) in (0, -signal.SIGTERM)
    # The answer paid for is in the cache: the next server asks the upstream nothing.
    with serve_command(env) as (url, process):
        again = httpx.get(f"{url}/resolve?id=arXiv:1710.08557", timeout=30)
        assert again.status_code == 200
        process.send_signal(signal.SIGTERM)
        process.wait(15)
    assert len(paperfuse_upstream.requests("/api/query")) == 1
