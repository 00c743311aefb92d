"""What keeps ``paperfuse serve`` safe on a network: body size, clients' share, departures.

- :func:`read_body` refuses a body beyond the limit as soon as it grows past
  it (a declared ``Content-Length`` is refused before a byte is read).
- :class:`ClientLimit` caps the requests one client (by address) has in
  flight, so one client cannot take every slot of the shared resolver; the
  next one is answered 429 with ``Retry-After``.
- :func:`unless_client_leaves` runs a request's work until the client goes
  away, then cancels it; work other clients wait for goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse

__all__ = [
    "DEFAULT_MAX_BODY",
    "DEFAULT_MAX_INPUTS",
    "DEFAULT_MAX_PER_CLIENT",
    "ClientGone",
    "ClientLimit",
    "TooLarge",
    "read_body",
    "unless_client_leaves",
]

#: The largest request body accepted (bytes); beyond it, 413.
DEFAULT_MAX_BODY = 10 * 1024 * 1024
#: The most inputs one ``POST /resolve`` may carry; beyond it, 413.
DEFAULT_MAX_INPUTS = 10_000
#: The most requests one client may have in flight; beyond it, 429. Enough for a
#: reference manager resolving a pasted list one request per item.
DEFAULT_MAX_PER_CLIENT = 64
#: Routes a client may always ask (a monitor shares an address with busy clients).
_UNLIMITED = frozenset({"/health", "/metrics"})

T = TypeVar("T")


class TooLarge(Exception):
    """The request body (or its inputs) is beyond the server's limit."""


class ClientGone(Exception):
    """The client disconnected before its answer was ready."""


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it grows beyond ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the request body is over the limit of {limit:,} bytes")
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > limit:
            raise TooLarge(f"the request body is over the limit of {limit:,} bytes")
    return bytes(chunks)


async def unless_client_leaves(request: Request, work: Awaitable[T]) -> T:
    """The result of ``work``, or :class:`ClientGone` (``work`` cancelled) if the client left.

    Call it after the body is read: what the client sends next is only its
    disconnection. Cancelling ``work`` cancels this request's wait, not the
    shared batches other requests wait on (the resolver shields them).
    """
    task = asyncio.ensure_future(work)

    async def disconnected() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    watcher = asyncio.ensure_future(disconnected())
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:  # also when this request itself is cancelled
        watcher.cancel()
        if not task.done():
            task.cancel()
    if not task.cancelled() and task.done():
        return task.result()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    raise ClientGone


class ClientLimit:
    """ASGI middleware: at most ``limit`` requests in flight per client address.

    The client is the address uvicorn reports (behind a proxy on this machine,
    the one its ``X-Forwarded-For`` names, uvicorn's default). ``/health`` and
    ``/metrics`` are never limited.
    """

    def __init__(self, app: Any, limit: int, on_refused: Callable[[], None]) -> None:
        self.app = app
        self.limit = limit
        self.on_refused = on_refused
        self.in_flight: Counter[str] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in _UNLIMITED:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        if self.in_flight[client] >= self.limit:
            self.on_refused()
            refused = JSONResponse(
                {
                    "status": 429,
                    "error": f"more than {self.limit} requests of this client at once;"
                    " wait for an answer before asking again",
                },
                429,
                headers={"Retry-After": "1"},
            )
            await refused(scope, receive, send)
            return
        self.in_flight[client] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight[client] -= 1
            if not self.in_flight[client]:
                del self.in_flight[client]
