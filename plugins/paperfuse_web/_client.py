"""The web source's HTTP client: guarded connections, no cookies, HTML pages only.

Loaded when the first page is fetched, with the HTTP stack and the address
guard, so that a run that fetches no landing page does not import them.
"""

from __future__ import annotations

from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

import paperfuse

from ._guard import GuardedBackend, GuardedTransport
from ._source import HTML_ONLY, HTML_TYPES

__all__ = ["NotHTML", "guarded_client"]


class NotHTML(Exception):
    """The answer is not an HTML page (its Content-Type), found before its body is read."""


class _HTMLOnlyTransport(GuardedTransport):
    """The guarded transport that also refuses non-HTML answers of page requests unread."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if request.extensions.get(HTML_ONLY) and response.status_code == 200:
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind not in HTML_TYPES:
                await response.aclose()
                raise NotHTML(kind or "no Content-Type")
        return response


def _no_cookies() -> CookieJar:
    """A cookie jar that keeps nothing: no page's cookie is ever sent back."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def guarded_client(
    *, gateway: str | None, allow_private: bool, host_interval: float
) -> httpx.AsyncClient:
    """An HTTP client whose connections go only to public addresses (and ``gateway``),
    that keeps no cookie, follows no redirect itself and reads only HTML pages."""
    gateway_host = httpx.URL(gateway).host if gateway else None
    backend = GuardedBackend(
        allow_private=allow_private, allowed=[gateway_host] if gateway_host else []
    )
    transport = _HTMLOnlyTransport(backend, host_interval=host_interval)
    agent = f"paperfuse/{paperfuse.__version__} (Python scholarly metadata resolver)"
    return httpx.AsyncClient(
        transport=transport,
        headers={"User-Agent": agent},
        cookies=_no_cookies(),
        follow_redirects=False,
        trust_env=False,
    )
