"""The resolver's transport builds the verifying TLS context only for https:// requests."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from paperfuse._transport import LazyTransport


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
    assert [sorted(kwargs) for kwargs in made] == [["verify"], []]  # https: httpx's default


def test_the_resolver_sends_through_the_lazy_transport(tmp_path: Any) -> None:
    import paperfuse

    config = paperfuse.load_config(env={"PAPERFUSE_CACHE_DIR": str(tmp_path)})
    with paperfuse.Resolver(config, entry_points=False) as resolver:
        assert isinstance(resolver._http_client()._transport, LazyTransport)
