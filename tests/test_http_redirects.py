"""Redirects: credentials go only to the configured service's origin.

A source's requests may carry the contact email (in the User-Agent and in
``email=``/``mailto=`` parameters) and an API key (a header such as OAB's
``x-apikey``). A redirect to another origin (scheme, host and port) is
followed without them, or refused when its own URL would carry one; a
redirect within the origin keeps them. Two local servers on different ports
are two origins.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from paperfuse import BadResponse
from paperfuse._http import MAX_REDIRECTS, Pacer, SourceClient, user_agent
from paperfuse._transport import LazyTransport

pytestmark = pytest.mark.usefixtures("http_path")

EMAIL = "secret-probe-91@example.org"
KEY = "k-probe-7f3a9c"


@pytest.fixture
def other() -> Iterator[HTTPServer]:
    """A second local server: another origin than ``httpserver`` (another port)."""
    server = HTTPServer(host="127.0.0.1")
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def _run(work: Callable[[SourceClient], Any]) -> Any:
    async def main() -> Any:
        async with httpx.AsyncClient(
            headers={"User-Agent": user_agent(EMAIL)},
            follow_redirects=True,
            transport=LazyTransport(),
        ) as http:
            client = SourceClient(
                name="test", http=http, pacer=Pacer(0.0, 4), secrets=(EMAIL, KEY), timeout=5.0
            )
            return await work(client)

    return asyncio.run(main())


def _seen(server: HTTPServer) -> str:
    """Everything a server received: request lines, headers and bodies, as one text."""
    parts = []
    for request, _ in server.log:
        parts.append(request.url)
        parts.extend(f"{k}: {v}" for k, v in request.headers.items())
        parts.append(request.get_data(as_text=True))
    return "\n".join(parts)


def _carries_a_secret(text: str) -> bool:
    lowered = text.lower()
    return any(s in lowered for s in ("secret-probe-91", "k-probe-7f3a9c", "%40example.org"))


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_cross_origin_redirect_carries_no_email_and_no_key(
    httpserver: HTTPServer, other: HTTPServer, status: int
) -> None:
    other.expect_request("/landing").respond_with_data("elsewhere")
    httpserver.expect_request("/find").respond_with_data(
        "", status=status, headers={"Location": other.url_for("/landing")}
    )
    response = _run(
        lambda c: c.get(
            httpserver.url_for("/find"), params={"email": EMAIL}, headers={"x-apikey": KEY}
        )
    )
    assert response.text == "elsewhere"
    assert str(response.request.url) == other.url_for("/landing")
    assert len(other.log) == 1
    assert not _carries_a_secret(_seen(other))
    agent = other.log[0][0].headers["User-Agent"]
    assert agent == user_agent(None)
    # the configured service itself did get both
    assert httpserver.log[0][0].headers["x-apikey"] == KEY
    assert EMAIL in httpserver.log[0][0].headers["User-Agent"]


def test_cross_origin_307_post_does_not_resend_a_body_with_a_secret(
    httpserver: HTTPServer, other: HTTPServer
) -> None:
    other.expect_request("/landing").respond_with_data("elsewhere")
    httpserver.expect_request("/find").respond_with_data(
        "", status=307, headers={"Location": other.url_for("/landing")}
    )
    with pytest.raises(BadResponse, match="redirect"):
        _run(lambda c: c.post(httpserver.url_for("/find"), json={"email": EMAIL}))
    assert other.log == []


def test_redirect_whose_url_carries_a_secret_to_another_origin_is_refused(
    httpserver: HTTPServer, other: HTTPServer
) -> None:
    other.expect_request("/landing").respond_with_data("elsewhere")
    target = other.url_for("/landing") + "?mailto=" + EMAIL.replace("@", "%40")
    httpserver.expect_request("/find").respond_with_data(
        "", status=302, headers={"Location": target}
    )
    with pytest.raises(BadResponse, match="redirect") as caught:
        _run(lambda c: c.get(httpserver.url_for("/find"), params={"email": EMAIL}))
    assert other.log == []
    assert not _carries_a_secret(str(caught.value))
    assert not _carries_a_secret(caught.value.request or "")


def test_same_origin_redirect_keeps_the_credentials(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/new").respond_with_data("here")
    httpserver.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": "/new?email=" + EMAIL}
    )
    response = _run(lambda c: c.get(httpserver.url_for("/old"), headers={"x-apikey": KEY}))
    assert response.text == "here"
    second = httpserver.log[1][0]
    assert second.headers["x-apikey"] == KEY
    assert EMAIL in second.headers["User-Agent"]


def test_credentials_dropped_once_stay_dropped(httpserver: HTTPServer, other: HTTPServer) -> None:
    """Back at the service after a detour elsewhere, the chain is still the stranger's."""
    httpserver.expect_request("/back").respond_with_data("back")
    other.expect_request("/hop").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/back")}
    )
    httpserver.expect_request("/find").respond_with_data(
        "", status=302, headers={"Location": other.url_for("/hop")}
    )
    response = _run(lambda c: c.get(httpserver.url_for("/find"), headers={"x-apikey": KEY}))
    assert response.text == "back"
    assert not _carries_a_secret(_seen(other))
    assert "x-apikey" not in httpserver.log[1][0].headers


def test_redirects_are_bounded(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": "/loop"}
    )
    with pytest.raises(BadResponse, match="redirects"):
        _run(lambda c: c.get(httpserver.url_for("/loop")))
    assert len(httpserver.log) == MAX_REDIRECTS + 1


def test_redirect_to_another_scheme_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/find").respond_with_data(
        "", status=302, headers={"Location": "file:///etc/passwd"}
    )
    with pytest.raises(BadResponse, match="redirect"):
        _run(lambda c: c.get(httpserver.url_for("/find")))


def test_redirect_without_location_is_handed_to_the_source(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/find").respond_with_data("moved, somewhere", status=302)
    response = _run(lambda c: c.get(httpserver.url_for("/find")))
    assert response.status_code == 302
    assert response.text == "moved, somewhere"
