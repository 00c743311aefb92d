"""Polite HTTP for sources: pacing, concurrency, retries, User-Agent, secrets.

Each source gets one :class:`Pacer`, shared by every task of its resolver, and
one :class:`SourceClient` over a shared ``httpx.AsyncClient``. The resolver
takes a pacer slot for every call it makes to a source; the first HTTP request
of that call uses the slot, and any further request waits for a slot of its
own, so the source's minimum interval holds between all requests, whatever
the source does inside one call.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import stamina

from ._errors import BadResponse, RateLimited, SourceUnavailable
from ._redact import redact
from ._store import Store
from ._version import __version__

__all__ = ["DailyBudget", "Pacer", "SourceClient", "user_agent"]

log = logging.getLogger("paperfuse")

#: Longest Retry-After paperfuse waits for before giving up on a request.
MAX_RETRY_AFTER = 120.0
#: Largest response body a source reads, unless the source asks for more.
MAX_BODY_BYTES = 64 * 1024 * 1024


def user_agent(email: str | None) -> str:
    """The User-Agent: paperfuse, its version and the contact email when set."""
    contact = f"; mailto:{email}" if email else ""
    return f"paperfuse/{__version__} (Python scholarly metadata resolver{contact})"


class _Call:
    """One resolver call to a source: a prepaid pacer slot and a request count."""

    __slots__ = ("pacer", "prepaid", "requests")

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer
        self.prepaid = True
        self.requests = 0


_current_call: contextvars.ContextVar[_Call | None] = contextvars.ContextVar(
    "paperfuse_call", default=None
)


class Pacer:
    """Spaces the starts of requests to one source and bounds calls in flight.

    Slots are handed out in order, each ``min_interval`` after the previous,
    so waiting work never leaves an idle gap and never runs early. A 429's
    Retry-After pushes the next slot back for every task of the source.
    """

    def __init__(self, min_interval: float, max_concurrency: int) -> None:
        self.min_interval = min_interval
        self.max_concurrency = max_concurrency
        self._next = 0.0
        self._turn = asyncio.Lock()
        self._calls = asyncio.Semaphore(max_concurrency)
        self._requests = asyncio.Semaphore(max_concurrency)

    async def wait(self) -> None:
        """Wait for the next free slot (the start of one request), in turn."""
        async with self._turn:
            while (delay := self._next - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            self._next = time.monotonic() + self.min_interval

    def stamp(self) -> None:
        """Note that a request starts now: the next slot is one interval later.

        A slot is granted a moment before its request really starts; stamping
        the real start keeps the interval between real starts, not grants.
        """
        self._next = max(self._next, time.monotonic() + self.min_interval)

    def defer(self, seconds: float) -> None:
        """Push the next slot at least ``seconds`` into the future."""
        self._next = max(self._next, time.monotonic() + seconds)

    async def acquire(self) -> _Call:
        """Wait for a place among the calls in flight and for a slot; see :meth:`release`."""
        await self._calls.acquire()
        try:
            await self.wait()
        except BaseException:
            self._calls.release()
            raise
        return _Call(self)

    def release(self, call: _Call) -> None:
        """Give back the place that :meth:`acquire` took for ``call``."""
        self._calls.release()

    @contextmanager
    def entered(self, call: _Call) -> Iterator[None]:
        """Run the code inside as ``call``: its first request uses the prepaid slot."""
        token = _current_call.set(call)
        try:
            yield
        finally:
            _current_call.reset(token)

    async def _request_slot(self) -> _Call | None:
        call = _current_call.get()
        if call is not None and call.pacer is self and call.prepaid:
            call.prepaid = False
            self.stamp()
        else:
            await self.wait()
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

    def release(self) -> None:
        """Give back the calls claimed and not used (when a run closes)."""
        if self._claimed and self._day:
            self.store.increment(self._counter(self._day), -self._claimed)
        self._claimed = 0


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        super().__init__(f"HTTP {response.status_code}")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if value else None
        if when is None:
            return None
        return max(0.0, when.timestamp() - time.time())


class SourceClient:
    """The HTTP client a source uses: every request paced, retried and redacted.

    Requests are retried on transport errors, 429 and 5xx, with exponential
    backoff or the server's Retry-After; never on other 4xx, which come back
    to the source as responses. ``secrets`` never appear in the errors raised.
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

    def describe(self, method: str, url: str | httpx.URL) -> str:
        """A short description of a request, safe to show (secrets masked)."""
        return redact(f"{method} {url}", self.secrets)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """A paced, retried GET; see :meth:`request`."""
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """A paced, retried POST; see :meth:`request`."""
        return await self.request("POST", url, **kwargs)

    async def request(
        self, method: str, url: str, *, max_body: int | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send a request politely and return the response, body read.

        ``kwargs`` are those of ``httpx.AsyncClient.build_request`` (``params``,
        ``data``, ``json``, ``headers``). ``max_body`` lowers or raises the
        body size cap for this request. Raises :class:`SourceUnavailable`
        after transport errors or 5xx outlast the retries, :class:`RateLimited`
        when 429 does, and :class:`BadResponse` when the body exceeds the cap.
        """
        request = self.http.build_request(method, url, timeout=self.timeout, **kwargs)
        cap = self.max_body if max_body is None else max_body
        described = self.describe(method, request.url)
        try:
            async for attempt in stamina.retry_context(
                on=self._backoff, attempts=self.attempts, timeout=None, wait_max=30.0
            ):
                with attempt:
                    return await self._send(request, described, cap)
        except _RetryableStatus as e:
            status = e.response.status_code
            kind = RateLimited if status == 429 else SourceUnavailable
            raise kind(
                f"HTTP {status} after {self.attempts} attempts", source=self.name, request=described
            ) from None
        except httpx.TransportError as e:
            message = redact(f"{type(e).__name__}: {e}", self.secrets).rstrip(": ")
            raise SourceUnavailable(message, source=self.name, request=described) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, exc: Exception) -> bool | float:
        """stamina's hook: retry transport errors, 429 and 5xx; honour Retry-After."""
        if isinstance(exc, httpx.TransportError):
            return True
        if not isinstance(exc, _RetryableStatus):
            return False
        wait = _retry_after(exc.response)
        if wait is None:
            return True
        if wait > MAX_RETRY_AFTER:
            return False
        self.pacer.defer(wait)
        return wait

    async def _trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: the request really leaves when its headers are sent.

        A first request also opens the connection; stamping the moment its
        headers go out keeps the interval between arrivals at the server, not
        only between the starts of the calls.
        """
        if event.endswith("send_request_headers.started"):
            self.pacer.stamp()

    async def _send(self, request: httpx.Request, described: str, cap: int) -> httpx.Response:
        async with self.pacer._requests:
            await self.pacer._request_slot()
            if self.budget is not None:
                self.budget.spend(described)
            self.requests += 1
            request.extensions["trace"] = self._trace
            response = await self.http.send(request, stream=True)
            try:
                if response.status_code == 429 or response.status_code >= 500:
                    raise _RetryableStatus(response)
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > cap:
                        raise BadResponse(
                            f"response body larger than {cap} bytes",
                            source=self.name,
                            request=described,
                        )
            finally:
                await response.aclose()
        # The body is decoded already: hand the source a plain, fully read response.
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            response.status_code, headers=headers, content=bytes(body), request=request
        )
