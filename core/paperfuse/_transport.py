"""The resolver's HTTP transport: the TLS context is built only when an https:// request needs it.

httpx builds a verifying TLS context (reading the whole CA bundle, about 20
ms) with every transport, even when every request of the run goes to an
http:// address (a local mirror, a test server, the benchmarks' upstream).
:class:`LazyTransport` keeps one transport per scheme and makes each on its
first request: https:// requests get httpx's default transport, with its
certificate verification unchanged; http:// requests get one whose TLS
context verifies against no CA at all, so that it could never complete a TLS
handshake should it be handed one. Redirects are new requests, so an
http:// address that redirects to https:// is served by the verifying one.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx

__all__ = ["LazyTransport"]


class LazyTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncHTTPTransport`` per URL scheme, each made on first use.

    ``options`` are the transports' keyword arguments (``limits`` and such).
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._tls: httpx.AsyncHTTPTransport | None = None
        self._plain: httpx.AsyncHTTPTransport | None = None

    def _for(self, scheme: str) -> httpx.AsyncHTTPTransport:
        if scheme == "http":
            if self._plain is None:
                # Never used for TLS: a context that trusts no certificate at all.
                refusing = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                self._plain = httpx.AsyncHTTPTransport(verify=refusing, **self._options)
            return self._plain
        if self._tls is None:
            self._tls = httpx.AsyncHTTPTransport(**self._options)
        return self._tls

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._for(request.url.scheme).handle_async_request(request)

    async def aclose(self) -> None:
        for transport in (self._plain, self._tls):
            if transport is not None:
                await transport.aclose()
