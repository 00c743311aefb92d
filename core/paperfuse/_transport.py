"""The resolver's HTTP transport: a connection pool per source, TLS set up only when needed.

httpx builds a verifying TLS context (reading the whole CA bundle, about 20
ms) with every transport, even when every request of the run goes to an
http:// address (a local mirror, a test server, the benchmarks' upstream).
:class:`LazyTransport` makes each TLS context on the first request of its
scheme, and shares it: https:// requests get httpx's default context, with
its certificate verification unchanged; http:// requests get one that
verifies against no CA at all, so that it could never complete a TLS
handshake should it be handed one. Redirects are new requests, so an http://
address that redirects to https:// is served by the verifying one.

Each source's requests go through a connection pool of their own (the
request's ``paperfuse.pool`` extension names it). httpcore looks through every
connection of a pool, asking each idle one whether it is still usable, for
each request it places and each response it closes: with one pool for every
source, each request paid for all the others' connections (400 DOIs asked of
nine sources: 1.7 % fewer instructions in all with a pool per source). A
source that holds its connections (slow answers, a stalled service) no longer
takes them from the others either; each pool has the transport's ``limits``.

A pool's requests beyond its first :data:`BULK_AFTER` take the bulk path
(:mod:`paperfuse._bulk`, aiohttp behind httpx's interface), which costs
about a third less CPU per request: a batch that asks a service thousands of
times gains, and a look-up that asks each service a few times does not import
aiohttp at all. A pool half-way to the bulk path has it imported in a thread
of its own, while the event loop waits for answers: imported on the event
loop, it held every source's requests for 0.2 s. Should aiohttp fail to
import, every request goes through httpcore, with one warning. A pool's
first connections stay open, idle, until the transport closes. Requests that
name no pool always go through httpcore.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import ssl
import sys
import threading

import httpx

__all__ = ["BULK_AFTER", "POOL", "LazyTransport"]

#: The request extension that names the connection pool a request goes through.
POOL = "paperfuse.pool"

#: A pool's requests that go through httpcore before the rest take the bulk path.
BULK_AFTER = 64

log = logging.getLogger("paperfuse")


def _import_bulk_path() -> None:
    with contextlib.suppress(ImportError):  # said when the bulk path is first taken
        importlib.import_module("paperfuse._bulk")


class LazyTransport(httpx.AsyncBaseTransport):
    """A transport per URL scheme and pool, each made on first use.

    ``limits`` bound each pool's connections (httpx's default limits when
    None); ``bulk_after`` is how many of a pool's requests go through
    httpcore before the rest take the bulk path (:data:`BULK_AFTER` when None);
    ``contexts`` are TLS contexts by scheme shared with another transport
    (:attr:`tls_contexts`), each made by whichever needs it first.
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits | None = None,
        bulk_after: int | None = None,
        contexts: dict[str, ssl.SSLContext] | None = None,
    ) -> None:
        self._limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._bulk_after = BULK_AFTER if bulk_after is None else bulk_after
        self._contexts: dict[str, ssl.SSLContext] = {} if contexts is None else contexts
        # By scheme, pool, and whether it is the pool's bulk path.
        self._transports: dict[tuple[str, str | None, bool], httpx.AsyncBaseTransport] = {}
        self._requests: dict[tuple[str, str], int] = {}

    @property
    def tls_contexts(self) -> dict[str, ssl.SSLContext]:
        """The TLS contexts made so far, by scheme, to share with another transport."""
        return self._contexts

    def _context(self, scheme: str) -> ssl.SSLContext:
        context = self._contexts.get(scheme)
        if context is None:
            if scheme == "http":
                # Never used for TLS: a context that trusts no certificate at all.
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            else:
                context = httpx.create_ssl_context()
            self._contexts[scheme] = context
        return context

    def _for(self, scheme: str, pool: str | None) -> httpx.AsyncBaseTransport:
        """The pool's transport for its next request."""
        scheme = "http" if scheme == "http" else "https"
        bulk = False
        if pool is not None:
            sent = self._requests.get((scheme, pool), 0)
            bulk = sent >= self._bulk_after
            if not bulk:
                self._requests[scheme, pool] = sent + 1
                if sent + 1 == self._bulk_after // 2 and "paperfuse._bulk" not in sys.modules:
                    threading.Thread(
                        target=_import_bulk_path, name="paperfuse-bulk-import", daemon=True
                    ).start()
        transport = self._transports.get((scheme, pool, bulk))
        if transport is None:
            if bulk:
                try:
                    from ._bulk import BulkTransport
                except ImportError as e:
                    log.warning("aiohttp cannot be used (%s); requests go through httpcore", e)
                    self._bulk_after = sys.maxsize
                    return self._for(scheme, pool)
                transport = BulkTransport(self._context(scheme), self._limits)
            else:
                transport = httpx.AsyncHTTPTransport(
                    verify=self._context(scheme), limits=self._limits
                )
            self._transports[scheme, pool, bulk] = transport
        return transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pool = request.extensions.get(POOL)
        return await self._for(request.url.scheme, pool).handle_async_request(request)

    async def aclose(self) -> None:
        transports, self._transports = list(self._transports.values()), {}
        for transport in transports:
            await transport.aclose()
