"""Polite, bounded HTTP for sources: pacing, concurrency, retries, redirects, secrets.

Each source gets one :class:`Pacer`, shared by every task of its resolver, and
one :class:`SourceClient` over a shared ``httpx.AsyncClient``. The resolver
takes a pacer slot for every call it makes to a source; the first HTTP request
of that call uses the slot, and any further request waits for a slot of its
own, so the source's minimum interval holds between all requests, whatever
the source does inside one call.

Every request is bounded: one deadline for all of it, a cap on its
decompressed body counted as it is decompressed, a few redirects at most,
and credentials only for the service's own origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import email.utils
import errno
import logging
import math
import re
import socket
import threading
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timezone
from typing import TYPE_CHECKING, Any

import httpx
import msgspec

from ._deadline import within
from ._errors import BadResponse, RateLimited, SourceError, SourceUnavailable
from ._redact import carries_secret, redact
from ._store import Store
from ._transport import POOL
from ._version import __version__

if TYPE_CHECKING:
    from ._pump import RequestPump

__all__ = ["DailyBudget", "Pacer", "SourceClient", "user_agent"]

log = logging.getLogger("paperfuse")

#: Longest Retry-After paperfuse waits for before giving up on a request.
MAX_RETRY_AFTER = 120.0
#: Largest response body a source reads, unless the source asks for more.
MAX_BODY_BYTES = 64 * 1024 * 1024
#: Most redirects followed for one request.
MAX_REDIRECTS = 5
#: The content codings paperfuse decodes, and so the only ones it asks for.
ACCEPT_ENCODING = "gzip, deflate"

#: Calls in flight per request slot for a source paced by concurrency alone whose every
#: request goes through its client (``Source.paced_by_requests``), which the request pump
#: sends (:mod:`paperfuse._pump`): its next requests are ready when a slot frees.
CALLS_AHEAD = 4

#: Largest piece of a body decompressed at once.
_DECODE_STEP = 64 * 1024
#: Decoded bytes of a body read between two turns of the event loop: a list of
#: works decompressed and copied in one step held the loop for 10-50 ms, and
#: every other source's next request with it.
BODY_TURN = 256 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

#: What a response read and closed streams from then on (see :meth:`SourceClient._receive`).
_CLOSED_STREAM = httpx.ByteStream(b"")
#: Request headers that are credentials, whatever their value, and words naming such headers.
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
_CREDENTIAL_WORDS = ("key", "token", "auth", "secret", "password", "session")
#: A Retry-After in seconds (RFC 9110 says digits; a fraction is read too).
_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def user_agent(email: str | None) -> str:
    """The User-Agent: paperfuse, its version and the contact email when set."""
    contact = f"; mailto:{email}" if email else ""
    return f"paperfuse/{__version__} (Python scholarly metadata resolver{contact})"


class _Call:
    """One resolver call to a source: a prepaid pacer slot and a request count."""

    __slots__ = ("before", "mark", "pacer", "prepaid", "refundable", "requests")

    def __init__(self, pacer: Pacer, before: float = 0.0) -> None:
        self.pacer = pacer
        self.prepaid = True
        self.requests = 0
        self.before = before  # the pacer's next slot before this call's was granted
        self.mark: float | None = None  # the next slot once this call began
        self.refundable = False  # the slot goes back when no request used it


class _Start:
    """One request's turn to start: while it holds the pacer's start, the source's next
    request waits (see :meth:`Pacer.start`)."""

    __slots__ = ("held", "pacer")

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer
        self.held = False

    def leave(self) -> None:
        """The request's headers leave now, or it sends none: the next may start."""
        if self.held:
            self.held = False
            self.pacer._starting.release()


_current_call: contextvars.ContextVar[_Call | None] = contextvars.ContextVar(
    "paperfuse_call", default=None
)


def _never() -> bool:
    return False


def _not_halted() -> BaseException | None:
    return None


class Pacer:
    """Spaces the starts of requests to one source and bounds calls in flight.

    Slots are handed out in order, each ``min_interval`` after the previous,
    so waiting work never leaves an idle gap and never runs early. A 429's
    Retry-After pushes the next slot back for every task of the source.
    """

    def __init__(self, min_interval: float, max_concurrency: int, *, max_calls: int = 0) -> None:
        """``max_calls`` bounds the calls in flight (``max_concurrency`` when 0): more than
        there are request slots lets calls prepare their requests ahead."""
        self.min_interval = min_interval
        self.max_concurrency = max_concurrency
        self._next = 0.0
        self._last_start = -math.inf  # the latest start of a request, reserved
        self._not_before = 0.0  # no request before this (a Retry-After)
        self._sent = -math.inf  # when the latest request's headers left
        self._turn = asyncio.Lock()
        self._returned = asyncio.Event()  # set when a call gives its unused slot back
        self._calls = asyncio.Semaphore(max(max_calls, max_concurrency))
        self._requests = asyncio.Semaphore(max_concurrency)
        self._starting = asyncio.Lock()  # held from a request's slot until its headers leave
        self._deferring = threading.Lock()

    async def wait(self) -> float:
        """Wait for the next free slot (the start of one request), in turn.

        Returns the slot's time, so that a call that never uses it can give it
        back (see :meth:`release`); a slot given back wakes the next waiter.
        """
        async with self._turn:
            while (delay := max(self._next, self._not_before) - time.monotonic()) > 0:
                self._returned.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._returned.wait(), delay)
            granted = self._next
            self._next = time.monotonic() + self.min_interval
            return granted

    @property
    def not_before(self) -> float:
        """No request before this time (``time.monotonic()``): a Retry-After's end."""
        return self._not_before

    def stamp(self) -> None:
        """Note that a request starts now: the next slot is one interval later.

        A slot is granted a moment before its request really starts; stamping
        the real start keeps the interval between real starts, not grants.
        """
        self._next = max(self._next, time.monotonic() + self.min_interval)

    def defer(self, seconds: float) -> None:
        """Push the next slot at least ``seconds`` into the future (from either thread of a
        resolver: the request pump's heeds a Retry-After too)."""
        until = time.monotonic() + seconds
        with self._deferring:
            self._next = max(self._next, until)
            self._not_before = max(self._not_before, until)

    async def acquire(self) -> _Call:
        """Wait for a place among the calls in flight and for a slot; see :meth:`release`."""
        call = await self.acquire_unless(_never)
        assert call is not None  # nothing stops it
        return call

    async def acquire_unless(self, stopped: Callable[[], bool]) -> _Call | None:
        """:meth:`acquire`, but None (and no slot taken) when ``stopped()`` is true once a
        place is free: a source found gone or paused by the call before waits no interval."""
        await self._calls.acquire()
        if stopped():
            self._calls.release()
            return None
        try:
            granted = await self.wait()
        except BaseException:
            self._calls.release()
            raise
        return _Call(self, granted)

    def begin(self, call: _Call) -> None:
        """Note that ``call`` starts now: the next slot is an interval later."""
        self.stamp()
        call.mark = self._next

    async def _spaced(self) -> None:
        """Start a request at least an interval after the last one started.

        A slot granted to a call that then waited on something else (doi.org's
        answer, another source) is used late; two such calls must still not
        start their requests on each other's heels. Each start is reserved
        before sleeping, so that requests waiting together go one interval apart.
        """
        now = time.monotonic()
        start = max(
            now,
            self._last_start + self.min_interval,
            self._sent + self.min_interval,
            self._not_before,
        )
        self._last_start = start
        while start > now:
            await asyncio.sleep(start - now)
            # A request that took long to leave (a new connection) moved the last start.
            now = time.monotonic()
            start = max(start, self._sent + self.min_interval)
        self.stamp()

    def sent(self) -> None:
        """Note that a request's headers leave now (see :meth:`_spaced`)."""
        now = time.monotonic()
        self._sent = max(self._sent, now)
        self.stamp()

    def release(self, call: _Call) -> None:
        """Give back the place that :meth:`acquire` took for ``call``; and its slot, when
        the call is ``refundable``, no request used it and no slot was granted since (a
        call answered without asking the service, such as DataCite's for a Crossref DOI,
        costs no interval)."""
        self._calls.release()
        unused = call.refundable and call.prepaid and call.requests == 0
        unused = unused and call.mark is not None
        if unused and self._next == call.mark:
            self._next = call.before
            self._returned.set()

    @contextmanager
    def entered(self, call: _Call) -> Iterator[None]:
        """Run the code inside as ``call``: its first request uses the prepaid slot."""
        token = _current_call.set(call)
        try:
            yield
        finally:
            _current_call.reset(token)

    async def start(self) -> _Start:
        """A request's turn to start: its slot, an interval after the previous request
        really left.

        With an interval to keep, one request of the source starts at a time:
        the next waits until this one's headers leave (:meth:`_Start.leave`,
        called by the client's trace hook, or when it ends unsent), so that it
        is spaced from that moment. A request that left late (its connection
        being opened, the event loop busy with a large batch) otherwise let the
        next go at once, an interval after the first one's slot but on its
        heels at the service.
        """
        start = _Start(self)
        if self.min_interval > 0:
            await self._starting.acquire()
            start.held = True
        try:
            await self._request_slot()
        except BaseException:
            start.leave()
            raise
        return start

    async def _request_slot(self) -> _Call | None:
        call = _current_call.get()
        if call is not None and call.pacer is self and call.prepaid:
            call.prepaid = False
        else:
            await self.wait()
        await self._spaced()
        if call is not None and call.pacer is self:
            call.requests += 1
        return call


class DailyBudget:
    """A source's calls per day (UTC), counted in the store across runs and processes.

    Calls are claimed from the store in blocks (one write per block, not per
    call, so that counting costs next to nothing); what a run claimed and did
    not use is given back when it closes. Near the budget (90 %) it warns once
    per run; at the budget it refuses further requests with
    :class:`RateLimited`, which names the budget.
    """

    WARN_AT = 0.9
    #: Calls claimed from the store at a time.
    BLOCK = 50

    def __init__(self, store: Store, source: str, limit: int) -> None:
        self.store = store
        self.source = source
        self.limit = limit
        self._warned = False
        self._day = ""
        self._claimed = 0  # calls claimed and not used yet
        self._next = 0  # today's number of the next call

    def _counter(self, day: str) -> str:
        return f"budget/{self.source}/{day}"

    def spend(self, described: str) -> None:
        """Count one call, or refuse it when the day's budget is spent."""
        day = time.strftime("%Y-%m-%d", time.gmtime())
        if day != self._day:
            self.release()
            self._day = day
        if not self._claimed:
            before, self._claimed = self.store.claim(self._counter(day), self.BLOCK, self.limit)
            self._next = before + 1
        if not self._claimed:
            raise RateLimited(
                f"daily budget of {self.limit:,} calls is spent; asking again after 00:00 UTC",
                source=self.source,
                request=described,
            )
        used, self._next, self._claimed = self._next, self._next + 1, self._claimed - 1
        if not self._warned and used >= self.WARN_AT * self.limit:
            self._warned = True
            log.warning(
                "source %s has used %s of its %s calls for today (UTC)",
                self.source,
                f"{used:,}",
                f"{self.limit:,}",
            )

    def refund(self) -> None:
        """Give back the last call counted, which was never sent (the request pump dropped
        it: its source was found gone or paused, or the run closed)."""
        if self._day == time.strftime("%Y-%m-%d", time.gmtime()):
            self._claimed += 1
            self._next -= 1

    def left(self) -> int:
        """The calls left of today's budget, for every run on this store."""
        day = time.strftime("%Y-%m-%d", time.gmtime())
        claimed = self._claimed if day == self._day else 0
        return max(0, self.limit - self.store.counter(self._counter(day)) + claimed)

    def release(self) -> None:
        """Give back the calls claimed and not used (when a run closes)."""
        if self._claimed and self._day:
            self.store.increment(self._counter(self._day), -self._claimed)
        self._claimed = 0


# -- what a response says: Retry-After, unreachable hosts --------------------------------------


def _retry_after(response: httpx.Response) -> float | None:
    """The seconds a response's Retry-After asks to wait; None when absent or unreadable.

    Retry-After is a number of seconds or an HTTP date. Anything else (a
    word, a negative or non-finite number, a date that cannot be) counts as
    absent rather than failing the request: it is the server's mistake.
    """
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if _SECONDS.fullmatch(value):
        seconds = float(value)
        return seconds if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:  # "-0000": UTC, by RFC 5322
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None


def _unreachable(error: httpx.TransportError) -> str | None:
    """Why a connection could not be opened at all, from the error's causes; None otherwise.

    A name that does not resolve, or a port where nothing listens, will not
    answer a second attempt a second later either.
    """
    if not isinstance(error, httpx.ConnectError):
        return None
    seen: set[int] = set()
    causes: list[BaseException] = [error]
    while causes:
        cause = causes.pop()
        if id(cause) in seen:
            continue
        seen.add(id(cause))
        if isinstance(cause, socket.gaierror):
            return "the name does not resolve"
        if isinstance(cause, ConnectionRefusedError) or (
            # every address of the name refused (happy eyeballs' combined error)
            isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED
        ):
            return "connection refused"
        causes += [c for c in (cause.__cause__, cause.__context__) if c is not None]
        causes += getattr(cause, "exceptions", ())  # an exception group: one per address
    return None


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """A URL's origin: scheme, host and port (the scheme's default when not given)."""
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, port


# -- bodies, decoded in bounded steps ----------------------------------------------------------


class _Undecodable(Exception):
    """A compressed body that cannot be decompressed (invalid or cut short)."""


class _Inflater:
    """Decodes one gzip or deflate coding, never more than ``_DECODE_STEP`` bytes at a time.

    httpx's own decoders decompress a whole network chunk at once, and one
    chunk of a gzip bomb expands to a gigabyte; here each piece is bounded,
    so the body cap stops the bomb after a piece too many, not a gigabyte.
    """

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._zlib: Any = None  # for deflate, chosen from its first two bytes
        self._head = b""
        self._fed = False
        if coding == "gzip":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)

    def _start_deflate(self, data: bytes) -> bytes:
        """Wait for two bytes to tell zlib-wrapped deflate from raw deflate (both are sent)."""
        self._head += data
        if len(self._head) < 2:
            return b""
        first, second = self._head[0], self._head[1]
        wrapped = first & 0x0F == 8 and ((first << 8) | second) % 31 == 0
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        data, self._head = self._head, b""
        return data

    def decode(self, data: bytes) -> Iterator[bytes]:
        """The decompressed pieces of ``data``, the next part of the body."""
        self._fed = self._fed or bool(data)
        if self._zlib is None:
            data = self._start_deflate(data)
        while data and not self._zlib.eof:  # what follows the end is ignored, as httpx does
            try:
                piece = self._zlib.decompress(data, _DECODE_STEP)
            except zlib.error as e:
                raise _Undecodable(f"invalid {self.coding} data ({e})") from None
            data = self._zlib.unconsumed_tail
            if piece:
                yield piece

    def finish(self) -> Iterator[bytes]:
        """What the decompressor still holds; fails when the data ends before its end."""
        if not self._fed:
            return  # an empty body, whatever its Content-Encoding says
        if self._zlib is None:
            raise _Undecodable(f"the {self.coding} data ends early")
        while not self._zlib.eof:
            try:
                piece = self._zlib.decompress(b"", _DECODE_STEP)
            except zlib.error as e:
                raise _Undecodable(f"invalid {self.coding} data ({e})") from None
            if not piece:
                raise _Undecodable(f"the {self.coding} data ends early")
            yield piece


class _BodyDecoder:
    """Undoes a response's Content-Encoding, one coding after the other.

    gzip and deflate are decoded (the codings paperfuse advertises); identity
    and codings unknown to paperfuse pass through unchanged, as httpx does.
    """

    def __init__(self, content_encoding: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        self._stages = [
            _Inflater("gzip" if c == "x-gzip" else c)
            for c in reversed(codings)
            if c in ("gzip", "x-gzip", "deflate")
        ]

    def decode(self, data: bytes) -> Iterable[bytes]:
        """The decoded pieces of ``data``, the next raw part of the body."""
        pieces: Iterable[bytes] = (data,)
        for stage in self._stages:
            pieces = _through(stage, pieces, finish=False)
        return pieces

    def finish(self) -> Iterable[bytes]:
        """The last decoded pieces, once the raw body has ended."""
        pieces: Iterable[bytes] = ()
        for stage in self._stages:
            pieces = _through(stage, pieces, finish=True)
        return pieces


def _through(stage: _Inflater, pieces: Iterable[bytes], *, finish: bool) -> Iterator[bytes]:
    for piece in pieces:
        yield from stage.decode(piece)
    if finish:
        yield from stage.finish()


# -- the client ----------------------------------------------------------------------------------


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        super().__init__(f"HTTP {response.status_code}")


class SourceClient:
    """The HTTP client a source uses: every request paced, bounded, retried and redacted.

    Requests are retried on transport errors (timeouts included), 429 and
    5xx, with exponential backoff or the server's Retry-After; never on
    other 4xx, which come back to the source as responses. Not retried
    either: a Retry-After longer than :data:`MAX_RETRY_AFTER` (the error
    carries it as ``retry_after``), and a host that cannot be reached at all,
    because its name does not resolve or it refuses connections; a second
    attempt would only delay the same answer.

    Each request has one deadline, ``timeout`` seconds, for connecting,
    the headers and the whole body, so a server that drips its answer
    cannot hold a request longer. Bodies are decompressed here in bounded
    steps and capped at ``max_body`` decompressed bytes.

    Redirects are followed here, at most :data:`MAX_REDIRECTS` of them.
    Credentials go only to the origin (scheme, host and port) of the
    request the source made: towards another origin, headers that carry a
    secret or are credentials by name are dropped, the User-Agent names no
    contact email, and a redirect is refused when its URL or the body it
    would resend carries a secret. Once dropped, credentials stay dropped
    for the rest of the redirects. ``secrets`` never appear in the errors
    raised.
    """

    def __init__(
        self,
        *,
        name: str,
        http: httpx.AsyncClient,
        pacer: Pacer,
        secrets: tuple[str, ...] = (),
        attempts: int = 4,
        timeout: float = 30.0,
        max_body: int = MAX_BODY_BYTES,
        budget: DailyBudget | None = None,
        pump: RequestPump | None = None,
    ) -> None:
        self.name = name
        self.budget = budget
        self.http = http
        self.pacer = pacer
        self.secrets = secrets
        self.attempts = attempts
        self.timeout = timeout
        self.max_body = max_body
        self.requests = 0
        #: Sends the requests when the source is paced by concurrency alone (see
        #: :mod:`paperfuse._pump`).
        self.pump = pump if pacer.min_interval == 0 else None
        #: The error for a request that must not start (the source was found gone or
        #: paused while it waited in the pump), else None; read from the pump's thread.
        self.halted: Callable[[], BaseException | None] = _not_halted

    def describe(self, method: str, url: str | httpx.URL) -> str:
        """A short description of a request, safe to show (secrets masked)."""
        return redact(f"{method} {url}", self.secrets)

    def bad_response(self, response: httpx.Response, what: str) -> BadResponse:
        """The error for an answer that cannot be read: ``what`` was wrong, the start of
        the body (secrets masked before it is cut) and the request that got it."""
        excerpt = redact(" ".join(response.text[:1000].split()), self.secrets, limit=120)
        request = self.describe(response.request.method, response.request.url)
        return BadResponse(
            f"{redact(what, self.secrets)}: {excerpt!r}", source=self.name, request=request
        )

    def decode_json(
        self,
        response: httpx.Response,
        type: Any = Any,
        *,
        part: bytes | msgspec.Raw | None = None,
        expected: str | None = None,
    ) -> Any:
        """The JSON body of ``response``, as the msgspec type ``type`` (any JSON by
        default); :class:`BadResponse` when it is not JSON, is nested too deep to read or
        is not of ``type`` (``"not <expected>"`` when ``expected`` names what it should
        have been, else what msgspec found).

        ``dict[str, msgspec.Raw]`` leaves each member of an object undecoded: a source
        with a large answer decodes it in parts, each given as ``part`` (with the same
        errors, naming ``response``), and gives the event loop a turn between them,
        rather than holding the interpreter while the whole of it is decoded.
        """
        try:
            return msgspec.json.decode(response.content if part is None else part, type=type)
        except msgspec.ValidationError as e:  # for any JSON: a number out of range
            if type is Any:
                what = "malformed JSON"
            else:
                what = f"not {expected}" if expected else f"JSON of another shape ({e})"
            raise self.bad_response(response, what) from None
        except msgspec.DecodeError:
            raise self.bad_response(response, "malformed JSON") from None
        except RecursionError:
            raise self.bad_response(response, "JSON nested too deep") from None

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """A paced, retried GET; see :meth:`request`."""
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """A paced, retried POST; see :meth:`request`."""
        return await self.request("POST", url, **kwargs)

    async def request(
        self, method: str, url: str, *, max_body: int | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send a request politely and return the response, body read and decoded.

        ``kwargs`` are those of ``httpx.AsyncClient.build_request`` (``params``,
        ``data``, ``json``, ``headers``). ``max_body`` lowers or raises the
        body size cap for this request. The response is the last one of any
        redirects followed; its ``request`` is the request that got it.

        Raises :class:`SourceUnavailable` when transport errors, timeouts
        ("timed out after ...") or 5xx outlast the retries, or at once when
        the host cannot be reached ("cannot reach <host>: ..."); and
        :class:`RateLimited` when 429 does. Either comes without retrying,
        with ``retry_after`` set, when the service asks to wait longer than
        :data:`MAX_RETRY_AFTER`. Raises :class:`BadResponse` when the body
        exceeds the cap or cannot be decoded, or a redirect cannot be
        followed (too many, not HTTP, or carrying a secret elsewhere).
        """
        request = self.http.build_request(method, url, timeout=self.timeout, **kwargs)
        if "accept-encoding" not in httpx.Headers(kwargs.get("headers")):
            request.headers["Accept-Encoding"] = ACCEPT_ENCODING
        cap = self.max_body if max_body is None else max_body
        described = self.describe(method, request.url)
        attempts = 0
        try:
            # The first attempt is made outside stamina: a retry context costs ~70 us and
            # leaves ~50 objects in reference cycles for the garbage collector, and most
            # requests need no retry (nor stamina imported: ~25 ms). A failure stamina may
            # retry is handed to it as its own first attempt, so its backoff, hooks and
            # count of attempts are unchanged.
            try:
                attempts = 1
                return await self._send(request, described, cap)
            except (httpx.TransportError, _RetryableStatus) as e:
                failed: Exception | None = e
            import stamina

            attempts = 0
            async for attempt in stamina.retry_context(
                on=self._backoff, attempts=self.attempts, timeout=None, wait_max=30.0
            ):
                with attempt:
                    attempts += 1
                    if failed is not None:
                        error, failed = failed, None
                        raise error
                    return await self._send(request, described, cap)
        except _RetryableStatus as e:
            raise self._refusal(e.response, attempts, described) from None
        except httpx.TransportError as e:
            message = self._transport_message(e, request)
            raise SourceUnavailable(message, source=self.name, request=described) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _refusal(self, response: httpx.Response, attempts: int, described: str) -> SourceError:
        """The error for a 429 or 5xx that ends the request, saying what was tried and asked."""
        status = response.status_code
        kind = RateLimited if status == 429 else SourceUnavailable
        message = f"HTTP {status} after {attempts} attempt{'' if attempts == 1 else 's'}"
        wait = _retry_after(response)
        if wait is None or wait <= MAX_RETRY_AFTER:
            return kind(message, source=self.name, request=described)
        message += (
            f"; the service asks to wait {wait:.0f} s (Retry-After),"
            f" longer than paperfuse waits ({MAX_RETRY_AFTER:.0f} s)"
        )
        return kind(message, source=self.name, request=described, retry_after=wait)

    def _transport_message(self, error: httpx.TransportError, request: httpx.Request) -> str:
        """A plain account of a transport error, redacted."""
        try:
            host = error.request.url.host
        except RuntimeError:  # an error httpx raised before it knew the request
            host = request.url.host
        if reason := _unreachable(error):
            message = f"cannot reach {host}: {reason}"
        elif isinstance(error, httpx.ConnectTimeout):
            message = f"timed out after {self.timeout:g} s connecting to {host}"
        elif isinstance(error, httpx.TimeoutException):
            message = f"timed out after {self.timeout:g} s"
        else:
            message = f"{type(error).__name__}: {error}".rstrip(": ")
        return redact(message, self.secrets)

    def _backoff(self, exc: Exception) -> bool | float:
        """stamina's hook: retry transport errors, 429 and 5xx; honour Retry-After."""
        if isinstance(exc, httpx.TransportError):
            return _unreachable(exc) is None
        if not isinstance(exc, _RetryableStatus):
            return False
        wait = _retry_after(exc.response)
        if wait is None:
            return True
        if wait > MAX_RETRY_AFTER:
            return False
        self.pacer.defer(wait)
        return wait

    def _trace(self, start: _Start) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
        """httpcore's trace hook for one request: it really leaves when its headers are sent.

        A first request also opens the connection; stamping the moment its
        headers go out keeps the interval between arrivals at the server, not
        only between the starts of the calls; and the next request may start.
        """

        async def trace(event: str, info: dict[str, Any]) -> None:
            if event.endswith("send_request_headers.started"):
                self.pacer.sent()
                start.leave()

        return trace

    async def _send(self, request: httpx.Request, described: str, cap: int) -> httpx.Response:
        """One attempt: the request and the redirects it leads to."""
        origin = _origin(request.url)
        for hop in range(MAX_REDIRECTS + 1):
            response = await self._exchange(request, described, cap, first=hop == 0)
            if response.status_code not in _REDIRECTS or "Location" not in response.headers:
                return response
            request = self._redirected(request, response, origin, described)
        raise BadResponse(
            f"more than {MAX_REDIRECTS} redirects", source=self.name, request=described
        )

    async def _exchange(
        self, request: httpx.Request, described: str, cap: int, *, first: bool
    ) -> httpx.Response:
        """One request and its response, paced, within the deadline."""
        if self.pump is not None:
            return await self._pump_exchange(self.pump, request, described, cap, first=first)
        async with self.pacer._requests:
            start = await self.pacer.start()
            try:
                if first and self.budget is not None:
                    self.budget.spend(described)
                self.requests += 1
                request.extensions["trace"] = self._trace(start)
                request.extensions[POOL] = self.name  # the source's own connections
                return await self._deliver(self.http, request, described, cap)
            finally:
                start.leave()

    async def _pump_exchange(
        self,
        pump: RequestPump,
        request: httpx.Request,
        described: str,
        cap: int,
        *,
        first: bool,
    ) -> httpx.Response:
        """:meth:`_exchange` through the pump, which keeps the source's request slots."""
        budget = self.budget if first else None
        if budget is not None:
            budget.spend(described)
        self.requests += 1
        call = _current_call.get()
        if call is not None and call.pacer is self.pacer:
            call.prepaid = False
            call.requests += 1
        else:
            call = None

        def unsent() -> None:
            """Counted above but never sent: neither a request nor a call of the budget."""
            self.requests -= 1
            if call is not None:
                call.requests -= 1
            if budget is not None:
                budget.refund()

        request.extensions.pop("trace", None)  # the pacer's hook, for this loop only
        request.extensions[POOL] = self.name
        return await pump.exchange(self, request, described, cap, unsent=unsent)

    async def _deliver(
        self, http: httpx.AsyncClient, request: httpx.Request, described: str, cap: int
    ) -> httpx.Response:
        """Send ``request`` through ``http`` and read its answer, within the deadline: the
        caller holds the request's slot (used by the request pump)."""
        try:
            return await within(self._receive(http, request, described, cap), self.timeout)
        except asyncio.TimeoutError:
            raise httpx.TimeoutException(
                f"no complete response within {self.timeout:g} s", request=request
            ) from None

    async def _receive(
        self, http: httpx.AsyncClient, request: httpx.Request, described: str, cap: int
    ) -> httpx.Response:
        response = await http.send(request, stream=True, follow_redirects=False)
        try:
            if response.status_code == 429 or response.status_code >= 500:
                raise _RetryableStatus(response)
            if response.status_code in _REDIRECTS and "Location" in response.headers:
                body = b""  # followed, not read
            else:
                body = await self._read_body(response, described, cap)
        finally:
            try:
                await response.aclose()
            finally:
                # httpx binds a response's stream to the response, a reference cycle that
                # would keep the closed connection's objects (~40 a request) for the
                # garbage collector: the stream is done with, so the cycle is cut.
                response.stream = _CLOSED_STREAM
        # The body is decoded already: hand the source a plain, fully read response.
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(response.status_code, headers=headers, content=body, request=request)

    async def _read_body(self, response: httpx.Response, described: str, cap: int) -> bytes:
        """The decoded body, counted as it is decompressed and refused past ``cap`` bytes,
        and read in turns of the event loop, :data:`BODY_TURN` decoded bytes a turn."""
        decoder = _BodyDecoder(response.headers.get("Content-Encoding", ""))
        body = bytearray()

        turn = 0  # the body's length at the last turn given to the event loop

        async def add(pieces: Iterable[bytes]) -> None:
            nonlocal turn
            for piece in pieces:
                body.extend(piece)
                if len(body) > cap:
                    raise BadResponse(
                        f"response body larger than {cap} bytes",
                        source=self.name,
                        request=described,
                    )
                if len(body) - turn >= BODY_TURN:
                    turn = len(body)
                    await asyncio.sleep(0)

        try:
            async for raw in response.aiter_raw():
                await add(decoder.decode(raw))
            await add(decoder.finish())
        except _Undecodable as e:
            raise BadResponse(
                f"response body could not be decoded: {e}", source=self.name, request=described
            ) from None
        return bytes(body)

    def _redirected(
        self,
        request: httpx.Request,
        response: httpx.Response,
        origin: tuple[str, str, int | None],
        described: str,
    ) -> httpx.Request:
        """The request a redirect asks for, without credentials when it leaves ``origin``."""

        def refuse(why: str) -> BadResponse:
            return BadResponse(f"redirect {why}; not followed", source=self.name, request=described)

        try:
            url = request.url.join(response.headers["Location"])
        except httpx.InvalidURL:
            raise refuse("to an invalid URL") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise refuse(redact(f"to a {url.scheme or 'relative'} URL", self.secrets))
        status, method = response.status_code, request.method
        if (status in (302, 303) and method != "HEAD") or (status == 301 and method == "POST"):
            method = "GET"  # as browsers and httpx do
        headers = httpx.Headers(request.headers)
        for name in ("Host", "Cookie"):
            headers.pop(name, None)
        try:
            content = request.content if method == request.method else b""
        except httpx.RequestNotRead:
            raise refuse("would resend a streamed body") from None
        if method != request.method:
            for name in ("Content-Length", "Content-Type", "Transfer-Encoding"):
                headers.pop(name, None)
        if _origin(url) != origin:
            elsewhere = redact(f"{url.scheme}://{url.netloc.decode('ascii')}", self.secrets)
            if carries_secret(str(url), self.secrets):
                raise refuse(f"to {elsewhere} with a secret in its URL")
            if carries_secret(content.decode("latin-1"), self.secrets):
                raise refuse(f"to {elsewhere} would resend a body with a secret")
            self._drop_credentials(headers)
        return httpx.Request(
            method,
            url,
            headers=headers,
            content=content or None,
            extensions=dict(request.extensions),
        )

    def _drop_credentials(self, headers: httpx.Headers) -> None:
        """Take out of ``headers`` what is a credential by name or carries a secret."""
        for name, value in list(headers.items()):
            lowered = name.lower()
            if lowered == "user-agent":
                if carries_secret(value, self.secrets):
                    headers[name] = user_agent(None)  # paperfuse, without the contact
            elif (
                lowered in _CREDENTIAL_HEADERS
                or any(word in lowered for word in _CREDENTIAL_WORDS)
                or carries_secret(value, self.secrets)
            ):
                del headers[name]
