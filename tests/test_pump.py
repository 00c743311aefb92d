"""The request pump: a source paced by concurrency alone, its requests sent from a thread.

Every politeness rule holds there as on the resolver's loop: the source's
concurrency, a Retry-After for the requests queued behind the answer that
gave it, nothing sent for a source found gone or paused; a caller that
gives up takes its queued request with it; closing releases every waiter
and ends the thread. A resolver sends the requests of such a source
(Unpaywall, the landing pages) through its pump, and those of a source
with an interval (arXiv) on its own loop. The HTTP tests and the fault
suite's upstream and secrets tests run through the pump as well (the
``http_path`` fixture), and a resolver's Unpaywall always goes through it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

import paperfuse
from engine_resolvers import make_resolver
from paperfuse import Identifier, Politeness, SourceGone, SourceUnavailable, Work
from paperfuse._http import CALLS_AHEAD, DailyBudget, Pacer, SourceClient
from paperfuse._pump import RequestPump
from paperfuse._store import Store
from paperfuse._transport import LazyTransport

Answer = tuple[int, dict[str, str], float]  # status, headers, seconds held


@dataclass
class Upstream:
    """A threaded local server: what it answers each path, and what it saw, when."""

    answer: Callable[[str], Answer] = lambda path: (200, {}, 0.0)
    on_request: Callable[[str], None] = lambda path: None
    lock: threading.Lock = field(default_factory=threading.Lock)
    paths: list[str] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    answered: list[float] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    url: str = ""


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    seen = Upstream()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            with seen.lock:
                seen.paths.append(self.path)
                seen.arrived.append(time.monotonic())
                seen.in_flight += 1
                seen.most_in_flight = max(seen.most_in_flight, seen.in_flight)
            seen.on_request(self.path)
            status, headers, hold = seen.answer(self.path)
            time.sleep(hold)
            with seen.lock:
                seen.in_flight -= 1
                seen.answered.append(time.monotonic())
            self.send_response(status)
            for name, value in {"Content-Length": "2", **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client that closed its connection while answered (the closing test)

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    seen.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield seen
    server.shutdown()
    server.server_close()


def _pumped(
    concurrency: int,
    work: Callable[[SourceClient, RequestPump], Awaitable[Any]],
) -> Any:
    """Run ``work`` with a client of a source paced by concurrency alone, and its pump."""

    async def main() -> Any:
        pump = RequestPump()
        try:
            async with httpx.AsyncClient(transport=LazyTransport()) as http:
                pacer = Pacer(0.0, concurrency, max_calls=concurrency * CALLS_AHEAD)
                client = SourceClient(name="test", http=http, pacer=pacer, timeout=5.0, pump=pump)
                assert client.pump is pump
                return await work(client, pump)
        finally:
            await pump.aclose()

    return asyncio.run(main())


def test_the_pump_keeps_the_source_concurrency(upstream: Upstream) -> None:
    upstream.answer = lambda path: (200, {}, 0.05)

    async def work(client: SourceClient, pump: RequestPump) -> list[int]:
        asks = [client.get(f"{upstream.url}/{n}") for n in range(12)]
        responses = await asyncio.gather(*asks)
        assert pump.started
        return [r.status_code for r in responses]

    assert _pumped(2, work) == [200] * 12
    assert sorted(upstream.paths) == sorted(f"/{n}" for n in range(12))
    assert upstream.most_in_flight == 2


def test_a_client_with_an_interval_never_uses_the_pump(upstream: Upstream) -> None:
    async def main() -> None:
        pump = RequestPump()
        async with httpx.AsyncClient(transport=LazyTransport()) as http:
            client = SourceClient(name="t", http=http, pacer=Pacer(0.01, 2), pump=pump)
            assert client.pump is None
            await client.get(f"{upstream.url}/x")
        assert not pump.started

    asyncio.run(main())
    assert upstream.paths == ["/x"]


def test_a_retry_after_holds_the_requests_queued_behind_it(upstream: Upstream) -> None:
    upstream.answer = lambda path: (
        (429, {"Retry-After": "1"}, 0.0) if path == "/first" else (200, {}, 0.0)
    )

    async def work(client: SourceClient, pump: RequestPump) -> list[Any]:
        asks = [client.get(f"{upstream.url}/first"), client.get(f"{upstream.url}/second")]
        return await asyncio.gather(*asks, return_exceptions=True)

    first, second = _pumped(1, work)  # the kit's stamina: one attempt, no retry
    assert isinstance(first, paperfuse.RateLimited)
    assert second.status_code == 200
    assert upstream.paths == ["/first", "/second"]
    waited = upstream.arrived[1] - upstream.answered[0]
    assert waited >= 0.9, f"the next request left {waited:.2f} s after the 429's Retry-After: 1"


def test_nothing_queued_is_sent_for_a_source_found_gone(upstream: Upstream) -> None:
    gone = threading.Event()
    upstream.on_request = lambda path: gone.set()  # the first answer says so

    async def work(client: SourceClient, pump: RequestPump) -> list[Any]:
        client.halted = lambda: SourceGone("shut down", source="test") if gone.is_set() else None
        asks = [client.get(f"{upstream.url}/{n}") for n in range(3)]
        return await asyncio.gather(*asks, return_exceptions=True)

    first, *others = _pumped(1, work)
    assert first.status_code == 200
    assert all(isinstance(e, SourceGone) for e in others), others
    assert upstream.paths == ["/0"]


def test_a_caller_that_gives_up_takes_its_queued_request_with_it(upstream: Upstream) -> None:
    upstream.answer = lambda path: (200, {}, 0.3 if path == "/slow" else 0.0)

    async def work(client: SourceClient, pump: RequestPump) -> None:
        slow = asyncio.ensure_future(client.get(f"{upstream.url}/slow"))
        await asyncio.sleep(0.05)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.get(f"{upstream.url}/dropped"), 0.05)
        assert (await slow).status_code == 200
        assert (await client.get(f"{upstream.url}/after")).status_code == 200

    _pumped(1, work)
    assert upstream.paths == ["/slow", "/after"]


def test_closing_releases_every_waiter_and_ends_the_thread(upstream: Upstream) -> None:
    release = threading.Event()
    upstream.answer = lambda path: (200, {}, 0.0)
    upstream.on_request = lambda path: release.wait(5)

    async def main() -> list[Any]:
        pump = RequestPump()
        async with httpx.AsyncClient(transport=LazyTransport()) as http:
            client = SourceClient(name="t", http=http, pacer=Pacer(0.0, 1, max_calls=4), pump=pump)
            asks = [asyncio.ensure_future(client.get(f"{upstream.url}/{n}")) for n in range(3)]
            while not upstream.paths:  # the first one is at the server, the others queued
                await asyncio.sleep(0.01)
            threads = {t.name for t in threading.enumerate()}
            assert "paperfuse-pump" in threads
            await pump.aclose()
            results = await asyncio.wait_for(asyncio.gather(*asks, return_exceptions=True), 5)
        assert not any(t.name == "paperfuse-pump" for t in threading.enumerate())
        with pytest.raises(RuntimeError, match="closed"):
            await pump.exchange(client, httpx.Request("GET", upstream.url), "GET", 10)
        return results

    try:
        results = asyncio.run(main())
    finally:
        release.set()
    assert all(isinstance(r, SourceUnavailable) for r in results), results
    assert all("closed" in str(r) for r in results)
    assert upstream.paths == ["/0"]


class _Asking(paperfuse.Source):
    """A source that asks a local server once per DOI, every request through its client."""

    name = "asking"
    schemes = ("doi",)
    paced_by_requests = True
    url: ClassVar[str] = ""

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, Work]:
        assert self.context.client is not None
        for identifier in identifiers:
            await self.context.client.get(f"{self.url}/{identifier.value}")
        return {i: Work(title=f"work {i.value}") for i in identifiers}


def _source(name: str, politeness: Politeness, url: str) -> type[paperfuse.Source]:
    return type(name, (_Asking,), {"name": name, "politeness": politeness, "url": url})


def test_a_resolver_pumps_the_sources_paced_by_concurrency_alone(upstream: Upstream) -> None:
    free = _source("free", Politeness(min_interval=0.0, max_concurrency=2), upstream.url)
    spaced = _source("spaced", Politeness(min_interval=0.01, max_concurrency=1), upstream.url)
    inputs = [f"10.5555/{n}" for n in range(10)]
    config = paperfuse.Config(use_cache=False)
    with make_resolver(free, spaced, config=config) as resolver:
        works = list(resolver.resolve_many(inputs))
        runtimes = resolver._runtimes
        assert runtimes is not None
        assert runtimes["free"].client.pump is not None
        assert runtimes["free"].pacer._calls._value == 2 * CALLS_AHEAD
        assert runtimes["spaced"].client.pump is None
        assert runtimes["free"].client.pump.started
    assert [w.status for w in works] == ["resolved"] * 10
    assert len(upstream.paths) == 20
    assert upstream.most_in_flight <= 3  # two of one source, one of the other
    assert not any(t.name == "paperfuse-pump" for t in threading.enumerate())


def test_a_resolver_given_a_transport_has_no_pump(upstream: Upstream) -> None:
    free = _source("free", Politeness(min_interval=0.0, max_concurrency=2), upstream.url)
    config = paperfuse.Config(use_cache=False)
    with make_resolver(free, config=config, transport=LazyTransport()) as resolver:
        works = list(resolver.resolve_many(["10.5555/1"]))
        assert resolver._runtimes["free"].client.pump is None
    assert works[0].status == "resolved"
    assert upstream.paths == ["/10.5555/1"]


class _Gone(_Asking):
    """A source whose service answers 410 when it has shut down."""

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, Work]:
        assert self.context.client is not None
        for identifier in identifiers:
            response = await self.context.client.get(f"{self.url}/{identifier.value}")
            if response.status_code == 410:
                raise SourceGone("shut down", source=self.name)
        return {}


def test_no_request_leaves_a_slot_after_the_answer_that_says_gone(upstream: Upstream) -> None:
    upstream.answer = lambda path: (410, {}, 0.1)
    gone = type("gone", (_Gone,), {"name": "gone", "url": upstream.url})
    gone.politeness = Politeness(min_interval=0.0, max_concurrency=2)
    config = paperfuse.Config(use_cache=False)
    with make_resolver(gone, config=config) as resolver:
        works = list(resolver.resolve_many([f"10.5555/{n}" for n in range(10)]))
    assert {w.sources[0].status for w in works} == {"gone"}
    assert len(upstream.paths) == 2  # the two in flight when the first answer came


def test_a_request_never_sent_is_neither_counted_nor_charged_to_the_budget(
    upstream: Upstream, tmp_path: Path
) -> None:
    gone = threading.Event()
    upstream.on_request = lambda path: gone.set()
    store = Store(tmp_path / "store.sqlite3")

    async def main() -> tuple[list[Any], int, int]:
        pump = RequestPump()
        try:
            async with httpx.AsyncClient(transport=LazyTransport()) as http:
                budget = DailyBudget(store, "test", 1_000)
                client = SourceClient(
                    name="test",
                    http=http,
                    pacer=Pacer(0.0, 1, max_calls=4),
                    budget=budget,
                    pump=pump,
                )
                client.halted = lambda: SourceGone("gone", source="test") if gone.is_set() else None
                asks = [client.get(f"{upstream.url}/{n}") for n in range(3)]
                results = await asyncio.gather(*asks, return_exceptions=True)
                return results, client.requests, budget.left()
        finally:
            await pump.aclose()

    try:
        results, requests, left = asyncio.run(main())
    finally:
        store.close()
    assert [type(r).__name__ for r in results] == ["Response", "SourceGone", "SourceGone"]
    assert upstream.paths == ["/0"]
    assert requests == 1
    assert left == 999


def test_a_caller_that_gives_up_on_an_error_lets_its_slot_go_on(upstream: Upstream) -> None:
    upstream.answer = lambda path: (403, {}, 0.3) if path == "/refused" else (200, {}, 0.0)

    async def work(client: SourceClient, pump: RequestPump) -> float:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.get(f"{upstream.url}/refused"), 0.1)
        started = time.monotonic()
        assert (await client.get(f"{upstream.url}/next")).status_code == 200
        return time.monotonic() - started

    waited = _pumped(1, work)
    assert upstream.paths == ["/refused", "/next"]
    assert waited < 5.0  # not the slot's whole wait for a reader that had gone


def test_closing_a_pump_started_before_a_fork_returns_at_once() -> None:
    async def started() -> RequestPump:
        pump = RequestPump()
        pump._running_loop()
        return pump

    pump = asyncio.run(started())
    loop, thread = pump._loop, pump._thread
    assert loop is not None
    assert thread is not None
    # As in a process forked after the pump started: its loop, but no thread running it.
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    pump._pid = -1
    began = time.monotonic()
    asyncio.run(pump.aclose())
    assert time.monotonic() - began < 1.0
    loop.close()
