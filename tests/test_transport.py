"""The resolver's transport: the verifying TLS context only for https:// requests, and a
connection pool per source."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from paperfuse._transport import POOL, LazyTransport


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
def keep_alive_server() -> Iterator[tuple[str, list[int]]]:
    """An HTTP/1.1 server that keeps connections open; the client port of each request."""
    ports: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            ports.append(self.client_address[1])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", ports
    finally:
        server.shutdown()
        server.server_close()


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
