"""The bulk path: a source's many requests sent through aiohttp, behind httpx's interface.

A batch asks some services thousands of times (Unpaywall once per DOI, four
at a time). At 50 ms of latency, each millisecond a request spends in the
client beyond the service's own time adds 2 % to the batch. A request through
:class:`~paperfuse.SourceClient` costs 1.45 ms of CPU over httpcore (anyio,
h11 in Python) and 0.96 ms over aiohttp, whose parser is in C
(benchmarks/http_path.py, 1,000 Unpaywall requests at 50 ms).

:class:`BulkTransport` is an ``httpx.AsyncBaseTransport``: sources and
:class:`~paperfuse.SourceClient` see the same requests, responses and errors
as over httpcore, and every rule of the client stays where it is (pacing,
retries, the deadline, redirects followed by hand with credentials dropped
off-origin, bodies decompressed in bounded steps and capped). Here:

- the request leaves as httpx built it: no header of aiohttp's own, no
  cookie jar, no proxy from the environment, no redirect followed, no body
  decompressed;
- the pacer hears when the request's headers are sent, as from httpcore's
  ``trace`` extension;
- aiohttp's errors become the httpx errors httpcore raises for the same
  fault, with messages that name no URL (a URL may carry a secret);
- the response's body is read as it arrives, through aiohttp's bounded
  buffer, and a body not read to its end closes its connection.

aiohttp is imported only once a pool is half-way to this path, in a thread
of its own (see :class:`~paperfuse._transport.LazyTransport`): a single
look-up never pays for it.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import httpx
import yarl

__all__ = ["BulkTransport"]

#: What aiohttp would add to a request that lacks it: never, httpx said what to send.
_OWN_HEADERS = ("Accept", "Accept-Encoding", "Content-Type", "User-Agent")

#: The longest status line or header line read (aiohttp's default is 8,190 bytes; a
#: service's paging links run longer, and httpcore reads 100 KiB of headers). With
#: aiohttp's 128 headers at most, an answer's head stays within 8 MiB.
_HEADER_LINE_BYTES = 64 * 1024


async def _headers_sent(session: aiohttp.ClientSession, context: Any, params: Any) -> None:
    trace = context.trace_request_ctx
    if trace is not None:
        await trace("http11.send_request_headers.started", {})


def _message(error: aiohttp.ClientError) -> str:
    """What went wrong, without the URL that some of aiohttp's messages carry."""
    if isinstance(error, aiohttp.ClientResponseError):
        return error.message
    if isinstance(error, aiohttp.ClientConnectorError):
        return f"cannot connect: {error.os_error}"
    return str(error) or type(error).__name__


def _as_httpx(error: aiohttp.ClientError) -> type[httpx.TransportError]:
    """The httpx error httpcore raises for the same fault."""
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout
    if isinstance(error, aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout
    if isinstance(error, aiohttp.ClientConnectorError):
        return httpx.ConnectError
    if isinstance(error, (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError)):
        return httpx.UnsupportedProtocol
    if isinstance(error, aiohttp.ClientOSError):
        return httpx.ReadError
    # Disconnected before or during the answer, a body cut short, an answer
    # that is no HTTP: the server broke the protocol.
    return httpx.RemoteProtocolError


@contextmanager
def _mapped(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except aiohttp.ClientError as e:
        raise _as_httpx(e)(_message(e), request=request) from e


class _Body(httpx.AsyncByteStream):
    """A response's body as aiohttp receives it."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped(self._request):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        if self._response.content.is_eof():
            self._response.release()  # the connection goes back to the pool
        else:
            self._response.close()  # a body left unread: its connection cannot be reused


class BulkTransport(httpx.AsyncBaseTransport):
    """One connection pool over aiohttp, opened on its first request.

    ``context`` verifies TLS as httpx would (the same context httpcore's
    pools get); ``limits`` bound the connections and their keep-alive.
    """

    def __init__(self, context: ssl.SSLContext, limits: httpx.Limits) -> None:
        self._context = context
        self._limits = limits
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        tracing = aiohttp.TraceConfig()
        tracing.on_request_headers_sent.append(_headers_sent)
        connector = aiohttp.TCPConnector(
            ssl=self._context,
            limit=self._limits.max_connections or 0,
            keepalive_timeout=self._limits.keepalive_expiry,
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
            auto_decompress=False,
            skip_auto_headers=_OWN_HEADERS,
            trace_configs=[tracing],
            timeout=aiohttp.ClientTimeout(total=None),
            max_line_size=_HEADER_LINE_BYTES,
            max_field_size=_HEADER_LINE_BYTES,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            self._session = self._open()
        timeout = request.extensions.get("timeout", {})
        with _mapped(request):
            response = await self._session.request(
                request.method,
                yarl.URL(str(request.url), encoded=True),
                headers=list(request.headers.multi_items()),
                data=await request.aread() or None,
                allow_redirects=False,
                compress=False,
                timeout=aiohttp.ClientTimeout(
                    total=None,
                    connect=timeout.get("pool"),
                    sock_connect=timeout.get("connect"),
                    sock_read=timeout.get("read"),
                ),
                trace_request_ctx=request.extensions.get("trace"),
            )
        version = response.version or aiohttp.HttpVersion11
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=_Body(response, request),
            request=request,
            extensions={
                "http_version": f"HTTP/{version.major}.{version.minor}".encode("ascii"),
                "reason_phrase": (response.reason or "").encode("latin-1", "replace"),
            },
        )

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()
