"""Polite HTTP: pacing, retries with Retry-After, no retry on 4xx, body cap, secrets."""

from __future__ import annotations

import asyncio
import collections
import gc
import itertools
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import stamina
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from paperfuse import BadResponse, RateLimited, SourceUnavailable, __version__
from paperfuse._http import Pacer, SourceClient, user_agent
from paperfuse._transport import LazyTransport

pytestmark = pytest.mark.usefixtures("http_path")


def _client(
    http: httpx.AsyncClient, *, interval: float = 0.0, concurrency: int = 4, **kw: Any
) -> SourceClient:
    return SourceClient(
        name="test", http=http, pacer=Pacer(interval, concurrency), timeout=5.0, **kw
    )


def _run(work: Callable[[httpx.AsyncClient], Any]) -> Any:
    async def main() -> Any:
        async with httpx.AsyncClient(
            headers={"User-Agent": user_agent("me@example.org")}, transport=LazyTransport()
        ) as http:
            return await work(http)

    return asyncio.run(main())


def test_user_agent_names_paperfuse_version_and_contact(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/ua").respond_with_data("ok")
    response = _run(lambda http: _client(http).get(httpserver.url_for("/ua")))
    assert response.text == "ok"
    agent = httpserver.log[0][0].headers["User-Agent"]
    assert agent.startswith(f"paperfuse/{__version__} ")
    assert "mailto:me@example.org" in agent


def _paced_arrivals(httpserver: HTTPServer, *, count: int, concurrency: int) -> list[float]:
    """When ``count`` GETs, sent at once through a client paced at 0.2 s, reached the server."""
    arrivals: list[float] = []

    def handler(request: Request) -> Response:
        arrivals.append(time.monotonic())
        return Response("ok")

    httpserver.expect_request("/paced").respond_with_handler(handler)

    async def work(http: httpx.AsyncClient) -> None:
        client = _client(http, interval=0.2, concurrency=concurrency)
        await asyncio.gather(*(client.get(httpserver.url_for("/paced")) for _ in range(count)))

    _run(work)
    return arrivals


def test_requests_are_spaced_by_the_minimum_interval(httpserver: HTTPServer) -> None:
    starts = _paced_arrivals(httpserver, count=5, concurrency=1)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 5
    assert min(gaps) >= 0.19


def test_429_is_retried_after_the_servers_retry_after(httpserver: HTTPServer) -> None:
    times: list[float] = []

    def handler(request: Request) -> Response:
        times.append(time.monotonic())
        if len(times) == 1:
            return Response("slow down", status=429, headers={"Retry-After": "1"})
        return Response("ok")

    httpserver.expect_request("/limited").respond_with_handler(handler)
    with stamina.set_testing(False):
        response = _run(lambda http: _client(http).get(httpserver.url_for("/limited")))
    assert response.text == "ok"
    assert len(times) == 2
    assert times[1] - times[0] >= 0.95


def test_5xx_is_retried_then_reported_as_unavailable(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/down").respond_with_data("oops", status=503)
    with stamina.set_testing(True, attempts=3), pytest.raises(SourceUnavailable) as caught:
        _run(lambda http: _client(http, attempts=3).get(httpserver.url_for("/down")))
    assert len(httpserver.log) == 3
    assert str(caught.value) == "HTTP 503 after 3 attempts"
    assert caught.value.source == "test"


def test_429_that_outlasts_retries_is_rate_limited(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/limited").respond_with_data("no", status=429)
    with stamina.set_testing(True, attempts=2), pytest.raises(RateLimited):
        _run(lambda http: _client(http, attempts=2).get(httpserver.url_for("/limited")))
    assert len(httpserver.log) == 2


def test_other_4xx_is_never_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/missing").respond_with_data("nope", status=404)
    with stamina.set_testing(True, attempts=3):
        response = _run(lambda http: _client(http).get(httpserver.url_for("/missing")))
    assert response.status_code == 404
    assert len(httpserver.log) == 1


def test_transport_error_is_unavailable_and_redacted() -> None:
    async def work(http: httpx.AsyncClient) -> None:
        client = _client(http, secrets=("me@example.org",))
        await client.get("http://127.0.0.1:9/v2/x", params={"email": "me@example.org"})

    with pytest.raises(SourceUnavailable) as caught:
        _run(work)
    assert caught.value.request == "GET http://127.0.0.1:9/v2/x?email=***"
    assert "example.org" not in str(caught.value)


def test_oversized_body_is_a_bad_response(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data("x" * 5000)
    with pytest.raises(BadResponse, match="larger than 1000 bytes"):
        _run(lambda http: _client(http, max_body=1000).get(httpserver.url_for("/big")))


def test_gzip_body_is_decoded(httpserver: HTTPServer) -> None:
    import gzip

    body = gzip.compress(b'{"ok": true}')
    httpserver.expect_request("/gz").respond_with_data(
        body, headers={"Content-Encoding": "gzip"}, content_type="application/json"
    )
    response = _run(lambda http: _client(http).get(httpserver.url_for("/gz")))
    assert response.json() == {"ok": True}


@pytest.mark.parametrize(
    ("body", "what"),
    [(b"<html>busy</html>", "malformed JSON"), (b"[" * 100_000, "JSON nested too deep")],
)
def test_a_body_that_is_no_json_is_the_sources_bad_response(body: bytes, what: str) -> None:
    secret = "probe@example.org"
    client = SourceClient(
        name="demo", http=httpx.AsyncClient(), pacer=Pacer(0.0, 1), secrets=(secret,)
    )
    request = httpx.Request("GET", f"http://127.0.0.1:9/x?email={secret}")
    with pytest.raises(BadResponse) as raised:
        client.decode_json(httpx.Response(200, content=body, request=request))
    assert str(raised.value).startswith(f"{what}: ")
    assert (raised.value.source, raised.value.request) == (
        "demo",
        "GET http://127.0.0.1:9/x?email=***",
    )
    echoed = httpx.Response(200, content=f"unknown {secret}".encode(), request=request)
    assert secret not in str(client.bad_response(echoed, f"refused {secret}"))
    assert client.decode_json(httpx.Response(200, content=b'{"a": 1}', request=request)) == {"a": 1}


def test_a_request_that_leaves_late_holds_back_the_next_by_an_interval(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spacing counts from when a request's headers really leave, not from its slot.

    A request whose slot came but which left late (the event loop busy with a
    large batch, a connection being opened) let the next one go at once after
    it, an interval after the first one's slot: the upstream saw them on each
    other's heels and counted a violation of Crossref's limit. Here the first
    request's start is held up by a stall of the whole event loop.
    """
    spaced = Pacer._spaced
    stalls = iter([0.3])

    async def stalled(self: Pacer) -> None:
        await spaced(self)
        time.sleep(next(stalls, 0.0))  # the loop is busy: nothing runs, the request waits

    monkeypatch.setattr(Pacer, "_spaced", stalled)
    arrivals = _paced_arrivals(httpserver, count=3, concurrency=2)
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert len(arrivals) == 3
    assert min(gaps) >= 0.19, gaps


def _cyclic_garbage(work: Callable[[], Any]) -> collections.Counter[str]:
    """The types (of HTTP, retry and paperfuse modules) of the objects that ``work`` left in
    reference cycles, for the garbage collector to find."""
    gc.collect()
    gc.disable()
    try:
        work()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        found = collections.Counter(
            f"{type(o).__module__}.{type(o).__qualname__}"
            for o in gc.garbage
            if type(o).__module__.split(".")[0]
            in ("aiohttp", "httpcore", "httpx", "paperfuse", "stamina", "tenacity")
        )
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    return found


def test_answered_requests_leave_no_reference_cycles(httpserver: HTTPServer) -> None:
    # A batch sends thousands of requests: each left ~90 objects in cycles (a retry
    # context made for a request that needed none; httpx's response bound to its stream),
    # and collecting them held the event loop 20-100 ms at a time.
    httpserver.expect_request("/ok").respond_with_data("ok")

    async def work(http: httpx.AsyncClient, count: int) -> None:
        client = _client(http)
        for _ in range(count):
            assert (await client.get(httpserver.url_for("/ok"))).text == "ok"

    _run(lambda http: work(http, 3))  # what is made once (imports) is made now
    # What a client and its connections leave once, and nothing more a request.
    once = _cyclic_garbage(lambda: _run(lambda http: work(http, 1)))
    assert _cyclic_garbage(lambda: _run(lambda http: work(http, 31))) == once
