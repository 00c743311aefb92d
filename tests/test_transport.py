"""The resolver's transport: the verifying TLS context only for https:// requests, a
connection pool per source, and the bulk path for a pool's requests beyond the first few."""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from keep_alive import Seen, serve, url_of
from pytest_httpserver import HTTPServer

from paperfuse._transport import POOL, LazyTransport
from paperfuse.testing import Isolation


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The keyword arguments of every httpx.AsyncHTTPTransport made during the test."""
    calls: list[dict[str, Any]] = []
    original = httpx.AsyncHTTPTransport.__init__

    def recording(self: httpx.AsyncHTTPTransport, **kwargs: Any) -> None:
        calls.append(kwargs)
        original(self, **kwargs)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "__init__", recording)
    return calls


def _get(url: str, transport: LazyTransport) -> httpx.Response | Exception:
    async def go() -> httpx.Response | Exception:
        async with httpx.AsyncClient(transport=transport, follow_redirects=True) as client:
            try:
                return await client.get(url)
            except httpx.HTTPError as e:
                return e

    return asyncio.run(go())


def test_nothing_is_built_before_the_first_request(made: list[dict[str, Any]]) -> None:
    LazyTransport(limits=httpx.Limits(max_connections=3))
    assert made == []


def test_http_requests_build_no_verifying_context(
    httpserver: HTTPServer, made: list[dict[str, Any]]
) -> None:
    httpserver.expect_request("/a").respond_with_data("ok")
    limits = httpx.Limits(max_connections=3)
    response = _get(httpserver.url_for("/a"), LazyTransport(limits=limits))
    assert isinstance(response, httpx.Response)
    assert response.text == "ok"
    assert len(made) == 1
    context = made[0]["verify"]
    # A context that trusts no CA: it could complete no TLS handshake.
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0
    assert made[0]["limits"] is limits


def test_https_requests_get_httpx_default_verification(
    httpserver: HTTPServer, made: list[dict[str, Any]]
) -> None:
    # http:// redirecting to https:// (a port where nothing listens): the redirect is
    # a request of its own, sent by the transport that verifies certificates.
    httpserver.expect_request("/moved").respond_with_data(
        "", status=301, headers={"Location": "https://127.0.0.1:9/x"}
    )
    result = _get(httpserver.url_for("/moved"), LazyTransport())
    assert isinstance(result, httpx.ConnectError)
    assert len(made) == 2
    # https: httpx's own default context, which verifies against its CA bundle.
    context = made[1]["verify"]
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0
    assert context is not made[0]["verify"]


@pytest.fixture
def seen_by_server() -> Iterator[tuple[str, Seen]]:
    """A keep-alive HTTP/1.1 server (tests/keep_alive.py) and what it saw of every request."""
    seen = Seen()
    server = serve(seen)
    try:
        yield url_of(server), seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def keep_alive_server(seen_by_server: tuple[str, Seen]) -> tuple[str, list[int]]:
    """The keep-alive server's URL and the client port of each request."""
    url, seen = seen_by_server
    return url, seen.ports


def test_each_pool_keeps_its_own_connections(
    keep_alive_server: tuple[str, list[int]], made: list[dict[str, Any]]
) -> None:
    url, ports = keep_alive_server

    async def go() -> None:
        async with httpx.AsyncClient(transport=LazyTransport()) as client:
            for pool in ("a", "a", "b", "a", "b", None):
                extensions = {} if pool is None else {POOL: pool}
                response = await client.get(url, extensions=extensions)
                assert response.text == "ok"

    asyncio.run(go())
    a1, a2, b1, a3, b2, unnamed = ports
    # A pool reuses its idle connection; another pool never takes it.
    assert a1 == a2 == a3
    assert b1 == b2
    assert len({a1, b1, unnamed}) == 3
    # Three pools, one TLS context (of http://, which trusts no CA) among them.
    assert len(made) == 3
    assert made[0]["verify"] is made[1]["verify"] is made[2]["verify"]


def test_sources_send_through_pools_of_their_own(
    keep_alive_server: tuple[str, list[int]], tmp_path: Any
) -> None:
    from paperfuse import Resolver, load_config
    from paperfuse._http import Pacer, SourceClient

    url, ports = keep_alive_server
    config = load_config(env={"PAPERFUSE_CACHE_DIR": str(tmp_path)})
    with Resolver(config, entry_points=False) as resolver:
        http = resolver._http_client()
        clients = [
            SourceClient(name=name, http=http, pacer=Pacer(0.0, 1), secrets=(), timeout=5.0)
            for name in ("one", "two")
        ]

        async def go() -> None:
            for client in (*clients, *clients):
                assert (await client.get(url)).text == "ok"

        resolver._run(go())
    one, two, one_again, two_again = ports
    assert one == one_again
    assert two == two_again
    assert one != two  # the second source did not take the first one's connection


def test_the_resolver_sends_through_the_lazy_transport(tmp_path: Any) -> None:
    import paperfuse

    config = paperfuse.load_config(env={"PAPERFUSE_CACHE_DIR": str(tmp_path)})
    with paperfuse.Resolver(config, entry_points=False) as resolver:
        assert isinstance(resolver._http_client()._transport, LazyTransport)


def test_a_pools_requests_beyond_the_first_few_take_the_bulk_path(
    seen_by_server: tuple[str, Seen], made: list[dict[str, Any]]
) -> None:
    url, seen = seen_by_server

    async def go() -> None:
        async with httpx.AsyncClient(transport=LazyTransport(bulk_after=2)) as client:
            for pool in ("a", "a", "a", "a", None, None, None):
                extensions = {} if pool is None else {POOL: pool}
                response = await client.get(url, extensions=extensions)
                assert response.text == "ok"

    asyncio.run(go())
    a1, a2, a3, a4, n1, n2, n3 = seen.ports
    assert a1 == a2  # the first two over httpcore, on one connection
    assert a3 == a4  # the rest over the bulk path, on one connection of its own
    assert a3 != a1
    assert n1 == n2 == n3 != a1
    # Two pools over httpcore: "a" for its first two, and the requests that name no
    # pool, all three of them (they never take the bulk path).
    assert len(made) == 2


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_bulk_requests_leave_as_httpx_built_them(
    seen_by_server: tuple[str, Seen], method: str
) -> None:
    url, seen = seen_by_server

    async def go() -> None:
        async with httpx.AsyncClient(
            transport=LazyTransport(bulk_after=1), headers={"User-Agent": "paperfuse/test"}
        ) as client:
            for _ in range(2):
                response = await client.request(
                    method,
                    url + "q?a=%2F%7E&b=x%20y",
                    headers={"X-Key": "k"},
                    content=b"body" if method == "POST" else None,
                    extensions={POOL: "a"},
                )
                assert (response.status_code, response.text) == (200, "ok")
                assert response.http_version == "HTTP/1.1"
                assert response.reason_phrase == "OK"

    asyncio.run(go())
    over_httpcore, over_bulk = seen.headers
    assert seen.ports[0] != seen.ports[1]  # the second went over the bulk path
    # The same headers, the same values: none added, none changed, none dropped.
    assert sorted(over_bulk) == sorted(over_httpcore)
    assert seen.paths == ["/q?a=%2F%7E&b=x%20y"] * 2  # the target as httpx encoded it
    assert seen.bodies[0] == seen.bodies[1] == (b"body" if method == "POST" else b"")


def test_the_bulk_path_keeps_no_cookies(seen_by_server: tuple[str, Seen]) -> None:
    url, seen = seen_by_server
    url = url.replace("127.0.0.1", "localhost")  # a cookie jar takes no cookie of an address

    async def go() -> None:
        transport = LazyTransport(bulk_after=0)
        async with httpx.AsyncClient(transport=transport) as client:
            request = client.build_request("GET", url, extensions={POOL: "a"})
            response = await transport.handle_async_request(request)
            await response.aread()
            request = client.build_request("GET", url, extensions={POOL: "a"})
            response = await transport.handle_async_request(request)
            await response.aread()

    # A server that sets a cookie: the transport itself never sends it back (httpx's
    # client decides what its requests carry).
    seen.cookie = "session=1; Path=/"
    asyncio.run(go())
    assert len(seen.headers) == 2
    assert all("cookie" not in dict(headers) for headers in seen.headers)


def test_the_isolation_guards_the_bulk_path(paperfuse_isolated: Isolation) -> None:
    async def go() -> None:
        async with httpx.AsyncClient(transport=LazyTransport(bulk_after=0)) as client:
            await client.get("http://example.org/", extensions={POOL: "a"})

    with pytest.raises(httpx.ConnectError, match="no connection beyond loopback"):
        asyncio.run(go())
    assert paperfuse_isolated.refused == ["http://example.org"]
    paperfuse_isolated.refused.clear()  # refused as it should be: the test passes


_SERVER_SCRIPT = f"""
import asyncio, json, logging, sys, time
sys.path.insert(0, {str(Path(__file__).parent)!r})
from keep_alive import Seen, serve, url_of

SEEN = Seen()
URL = url_of(serve(SEEN))
"""


def _run_script(body: str) -> tuple[Any, list[str]]:
    """Runs ``body`` after a keep-alive server's set-up, in a fresh interpreter (no module
    imported yet): the JSON its last line prints, and the lines before it."""
    script = _SERVER_SCRIPT + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    *before, last = done.stdout.strip().splitlines()
    return json.loads(last), before


def test_a_few_requests_per_pool_never_import_aiohttp() -> None:
    """A look-up does not pay for the bulk path's import. A pool half-way there has it
    imported in a thread of its own: here the event loop itself is held, and the import
    still happens."""
    found, _ = _run_script(
        """
        import httpx
        from paperfuse._transport import BULK_AFTER, POOL, LazyTransport

        seen = []

        async def go():
            async with httpx.AsyncClient(transport=LazyTransport()) as client:
                for _ in range(BULK_AFTER // 2 - 1):
                    for pool in ("a", "b"):
                        await client.get(URL, extensions={POOL: pool})
                        seen.append("aiohttp" in sys.modules)
                await client.get(URL, extensions={POOL: "a"})  # half-way
                deadline = time.monotonic() + 30
                while "paperfuse._bulk" not in sys.modules and time.monotonic() < deadline:
                    time.sleep(0.01)  # the event loop held: only another thread can import
                seen.append("paperfuse._bulk" in sys.modules)

        asyncio.run(go())
        print(json.dumps(seen))
        """
    )
    assert found[:-1] == [False] * (len(found) - 1)  # two pools' first requests
    assert found[-1]  # imported meanwhile, by the thread


def test_without_aiohttp_every_request_goes_through_httpcore() -> None:
    found, logged = _run_script(
        """
        sys.modules["aiohttp"] = None  # cannot be imported
        import httpx
        from paperfuse._transport import POOL, LazyTransport

        logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stdout)

        async def go():
            async with httpx.AsyncClient(transport=LazyTransport(bulk_after=2)) as client:
                return [(await client.get(URL, extensions={POOL: "a"})).text for _ in range(5)]

        texts = asyncio.run(go())
        print(json.dumps({"texts": texts, "ports": len(set(SEEN.ports))}))
        """
    )
    assert found == {"texts": ["ok"] * 5, "ports": 1}  # one httpcore connection, kept
    assert len(logged) == 1  # said once
    assert logged[0].startswith("aiohttp cannot be used (")
    assert logged[0].endswith("); requests go through httpcore")
