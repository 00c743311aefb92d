"""The request pump: the requests of a source paced by concurrency alone, sent from a thread.

A source with no interval and a number of requests at once (Unpaywall:
four) is at its bound when each of its slots takes the next request the
moment an answer frees it. On the resolver's event loop that moment waits
for whatever else the loop is doing (other sources' answers, merging,
writing): 1,000 DOIs at 50 ms left a free slot idle 5-9 ms a request on
average. The pump runs those requests on an event loop in a thread of its
own, on connections of its own (through httpcore, then the bulk path,
:mod:`paperfuse._bulk`, as the resolver's own), where a freed slot starts
the next queued request at once; the resolver's loop prepares requests
(calls may prepare theirs ahead: ``Source.paced_by_requests``) and reads
answers.

Every rule stays with the request: the same request as the source built it,
the deadline counted from when the pump starts it, redirects followed by the
source's client (credentials dropped off-origin), bodies decompressed in
bounded steps and capped, errors redacted. The pump keeps the source's
number of requests at once, waits out a Retry-After before it starts a
request queued behind the answer that gave it, starts none for a source
found gone or paused meanwhile, and lets the source read an error or a
refusal before that slot's next request starts. A caller that gives up
takes its request out of the queue; one already sent ends within its
deadline. The thread starts with the first request and ends when the
resolver closes, every waiter released.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from typing import TYPE_CHECKING

import httpx

from ._errors import SourceUnavailable
from ._http import MAX_RETRY_AFTER, _retry_after, _RetryableStatus
from ._transport import LazyTransport

if TYPE_CHECKING:
    from ._http import SourceClient

__all__ = ["RequestPump"]

log = logging.getLogger("paperfuse")

#: How long closing waits for the pump's thread to end (seconds).
_CLOSE_WAIT = 5.0
#: How often a request held back by a Retry-After looks whether its source was paused.
_HALT_CHECK = 0.05
#: Longest a request slot waits for the resolver's loop to read an error or a refusal.
_HEARD_WAIT = 30.0


class _Queued:
    """A request handed to the pump, and its answer (completed on the pump's loop, awaited
    on the resolver's)."""

    __slots__ = ("answer", "cap", "client", "described", "heard", "read", "request", "sent")

    def __init__(
        self, client: SourceClient, request: httpx.Request, described: str, cap: int
    ) -> None:
        self.client = client
        self.request = request
        self.described = described
        self.cap = cap
        self.answer: Future[httpx.Response] = Future()
        #: Set (on the pump's loop) when the resolver's loop has read an answer that its
        #: slot waits on (see :meth:`RequestPump._heard`).
        self.heard: asyncio.Future[None] | None = None
        self.read = False  # the resolver's loop is done with the answer (or gave up on it)
        self.sent = False  # the request has started (its slot's checks passed)


class _Dropped(Exception):
    """A request dropped before it was sent, and why: its caller raises ``error``."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class RequestPump:
    """Sends requests handed over from the resolver's event loop on a loop of its own.

    Each source's requests wait in a queue of their own, in the order they
    were handed over; as many workers as the source has request slots take
    them one after the other. A worker starts the next request in the same
    step in which it has read an answer, and only then hands the answer
    back: between the two, the pump's thread gives up the interpreter to
    nobody (a wake-up of the resolver's loop, or a turn of the pump's own,
    would let the resolver's thread run first for up to a switch interval).
    An answer that may change what the source asks next (an error, or a
    status of 400 or more other than 404: a refusal, "gone") is handed back
    first, and the slot waits until the resolver's loop has read it, as a
    request slot there would.
    ``limits``, ``contexts`` and ``bulk_after`` are those of the pump's
    :class:`~paperfuse._transport.LazyTransport` (the resolver shares its TLS
    contexts).
    """

    def __init__(
        self,
        limits: httpx.Limits | None = None,
        *,
        contexts: dict[str, ssl.SSLContext] | None = None,
        bulk_after: int | None = None,
    ) -> None:
        self._limits = limits
        self._bulk_after = bulk_after
        self._contexts = {} if contexts is None else contexts
        self._lock = threading.Lock()
        self._closed = False
        self._unstarted()

    def _unstarted(self) -> None:
        """The state of a pump whose thread has not started (in this process)."""
        self._pid = os.getpid()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._http: httpx.AsyncClient | None = None
        self._queues: dict[str, deque[_Queued]] = {}
        self._workers: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def started(self) -> bool:
        """Whether the pump's thread has been started (by a first request)."""
        return self._thread is not None

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise RuntimeError("the request pump is closed")
            if self._loop is not None and self._pid != os.getpid():
                self._unstarted()  # a forked process has the loop but not the thread
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                thread = threading.Thread(target=run, name="paperfuse-pump", daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    async def exchange(
        self,
        client: SourceClient,
        request: httpx.Request,
        described: str,
        cap: int,
        *,
        unsent: Callable[[], None] = lambda: None,
    ) -> httpx.Response:
        """``client``'s request sent by the pump: its response, body read and decoded.

        ``unsent`` is called (on the caller's loop) when the request was
        dropped before it was sent. Cancelling the caller drops the request
        if it has not started; one that has ends within its deadline, its
        answer unread.
        """
        queued = _Queued(client, request, described, cap)
        loop = self._running_loop()
        loop.call_soon_threadsafe(self._enqueue, queued)
        try:
            return await asyncio.wrap_future(queued.answer)
        except _Dropped as e:
            unsent()
            raise e.error from None
        except asyncio.CancelledError:
            if queued.answer.cancel():  # still queued: it never leaves
                unsent()
            raise
        finally:
            if queued.heard is not None or not queued.answer.done():
                # Once the source has read the answer (in this turn of the loop), or
                # its caller gave up on it, the slot may go on.
                asyncio.get_running_loop().call_soon(_tell, loop, queued)

    def _enqueue(self, queued: _Queued) -> None:
        """On the pump's loop: queue a request; a worker for it if the source has a free slot."""
        name = queued.client.name
        queue = self._queues.get(name)
        if queue is None:
            queue = self._queues[name] = deque()
        queue.append(queued)
        if self._workers.get(name, 0) < queued.client.pacer.max_concurrency:
            self._workers[name] = self._workers.get(name, 0) + 1
            task = asyncio.get_running_loop().create_task(self._work(name, queue))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _work(self, name: str, queue: deque[_Queued]) -> None:
        """One of a source's request slots: its queued requests, one after the other."""
        loop = asyncio.get_running_loop()
        try:
            while queue:
                queued = queue.popleft()
                if not queued.answer.set_running_or_notify_cancel():
                    continue  # its caller is gone
                try:
                    response = await self._send(queued)
                except asyncio.CancelledError:  # the pump closes: release the waiter
                    closed = _closed(name)
                    _settle(queued.answer, None, closed if queued.sent else _Dropped(closed))
                    raise
                except _Dropped as e:
                    _settle(queued.answer, None, e)
                except BaseException as e:
                    await self._heard(queued, None, e)
                else:
                    if response.status_code >= 400 and response.status_code != 404:
                        await self._heard(queued, response, None)
                    else:
                        # Handed back once the next request has left (see the class).
                        loop.call_soon(_settle, queued.answer, response, None)
        finally:
            self._workers[name] -= 1

    async def _heard(
        self, queued: _Queued, response: httpx.Response | None, error: BaseException | None
    ) -> None:
        """Hand back an answer that may change what the source asks next (an error, a
        refusal, "gone") and wait until the resolver's loop has read it, for at most
        :data:`_HEARD_WAIT`: the slot's next request starts after, as it would there."""
        heard = queued.heard = asyncio.get_running_loop().create_future()
        _settle(queued.answer, response, error)
        if queued.read:  # the caller gave up on it already
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(heard, _HEARD_WAIT)

    async def _send(self, queued: _Queued) -> httpx.Response:
        client = queued.client
        # A Retry-After given to the source holds its queued requests too; one found gone
        # or paused meanwhile (a Retry-After too long to wait pauses it) sends none.
        while (halted := client.halted()) is None:
            wait = client.pacer.not_before - time.monotonic()
            if wait <= 0:
                break
            await asyncio.sleep(min(wait, _HALT_CHECK))
        if halted is not None:
            raise _Dropped(halted)
        queued.sent = True
        if self._http is None:
            # Connections of the pump's own, made on its loop (the resolver's TLS contexts).
            transport = LazyTransport(
                limits=self._limits, bulk_after=self._bulk_after, contexts=self._contexts
            )
            self._http = httpx.AsyncClient(transport=transport)
        try:
            return await client._deliver(self._http, queued.request, queued.described, queued.cap)
        except _RetryableStatus as e:
            # Heeded here, before the source's other slots start their next requests; its
            # client heeds it again when it decides whether to retry. A wait longer than
            # paperfuse waits is not retried: the source is paused instead (halted).
            wait = _retry_after(e.response)
            if wait is not None and wait <= MAX_RETRY_AFTER:
                client.pacer.defer(wait)
            raise

    async def aclose(self) -> None:
        """Cancel what is still queued or in flight, close the connections, end the thread."""
        with self._lock:
            self._closed = True
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None or self._pid != os.getpid():
            return  # never started, or started by the process this one was forked from
        done = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        try:
            await asyncio.wait_for(asyncio.wrap_future(done), _CLOSE_WAIT)
        except asyncio.TimeoutError:
            log.warning("the request pump did not close within %g s", _CLOSE_WAIT)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_CLOSE_WAIT)  # the loop stops at its next turn
            if not thread.is_alive():
                loop.close()

    async def _shutdown(self) -> None:
        for name, queue in self._queues.items():
            while queue:
                _settle(queue.popleft().answer, None, _Dropped(_closed(name)))
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()


def _settle(
    answer: Future[httpx.Response], response: httpx.Response | None, error: BaseException | None
) -> None:
    if answer.done():
        return
    with contextlib.suppress(InvalidStateError):  # its caller gave up on it meanwhile
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(response)  # type: ignore[arg-type]


def _closed(source: str) -> SourceUnavailable:
    return SourceUnavailable("not sent: the resolver closed", source=source)


def _tell(loop: asyncio.AbstractEventLoop, queued: _Queued) -> None:
    """From the resolver's loop: an answer was read, or given up on (nothing to tell a
    closed pump)."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(_mark_read, queued)


def _mark_read(queued: _Queued) -> None:
    queued.read = True
    if queued.heard is not None and not queued.heard.done():
        queued.heard.set_result(None)
