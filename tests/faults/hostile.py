"""A hostile HTTP server on 127.0.0.1, for the fault suite.

pytest-httpserver answers with well-formed HTTP; the faults paperfuse must
survive are not well formed: a body dripped one byte at a time, a connection
reset or left hanging, a Content-Length that lies, a body that never ends.
This server speaks raw HTTP/1.1 over asyncio, in a thread of its own, one
request per connection. Each test sets ``handler``: a function from the
:class:`Request` to the :class:`Reply` to make (or an awaitable of one).

Every request is logged (``requests``), with the moment its reply was sent in
full (``answered``), so that tests can count what an upstream was asked and
what it answered. A handler that raises is a bug of the test, not a fault: it
is kept in ``errors`` and the fixture that owns the server fails the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
import struct
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = [
    "Drip",
    "Flood",
    "Hang",
    "HostileServer",
    "Raw",
    "Reply",
    "Request",
    "Reset",
    "Respond",
    "Truncated",
    "closed_port",
]

#: The longest request head the server reads (arXiv GETs carry up to 1,500 characters of ids).
_HEAD_LIMIT = 1 << 20


@dataclass(frozen=True)
class Request:
    """One request as the server received it."""

    method: str
    target: str
    headers: Mapping[str, str]  # names in lower case
    body: bytes
    raw: bytes  # the request's bytes as they came, head and body
    received: float  # time.monotonic() when it was read

    @property
    def path(self) -> str:
        return unquote(urlsplit(self.target).path)

    @property
    def params(self) -> dict[str, str]:
        """Query parameters, and form fields of a POST body (first value of each)."""
        found = parse_qs(urlsplit(self.target).query)
        if self.method == "POST" and "form" in self.headers.get("content-type", ""):
            found.update(parse_qs(self.body.decode("latin-1")))
        return {k: v[0] for k, v in found.items()}


Handler = Callable[[Request], "Reply | Awaitable[Reply]"]


def _head(status: int, headers: Mapping[str, str], length: int | None) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if length is not None and not any(k.lower() == "content-length" for k in headers):
        lines.append(f"Content-Length: {length}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Reply:
    """What the server does with one request."""

    async def send(self, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


@dataclass
class Respond(Reply):
    """An ordinary answer, after ``delay`` seconds."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0

    async def send(self, writer: asyncio.StreamWriter) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        writer.write(_head(self.status, self.headers, len(self.body)) + self.body)
        await writer.drain()


@dataclass
class Raw(Reply):
    """Exactly these bytes, whatever they are, then the connection closes."""

    data: bytes

    async def send(self, writer: asyncio.StreamWriter) -> None:
        writer.write(self.data)
        await writer.drain()


@dataclass
class Drip(Reply):
    """Headers at once, then the body one byte every ``interval`` seconds."""

    body: bytes
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    interval: float = 0.5

    async def send(self, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(self.status, self.headers, len(self.body)))
        await writer.drain()
        for byte in self.body:
            await asyncio.sleep(self.interval)
            writer.write(bytes([byte]))
            await writer.drain()


class Hang(Reply):
    """Read the request and never answer (until the server stops)."""

    async def send(self, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(3600)


class Reset(Reply):
    """Read the request and reset the connection (TCP RST, no answer at all)."""

    async def send(self, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()


@dataclass
class Truncated(Reply):
    """A Content-Length that lies: ``declared`` bytes announced, ``body`` sent, then close."""

    body: bytes
    declared: int
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)

    async def send(self, writer: asyncio.StreamWriter) -> None:
        headers = {**self.headers, "Content-Length": str(self.declared)}
        writer.write(_head(self.status, headers, None) + self.body)
        await writer.drain()


@dataclass
class Flood(Reply):
    """A body of ``size`` bytes (announced), streamed until the client stops reading."""

    size: int
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    filler: bytes = b" "

    async def send(self, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(self.status, self.headers, self.size))
        chunk = self.filler * (65536 // len(self.filler))
        sent = 0
        while sent < self.size:
            part = chunk[: self.size - sent]
            writer.write(part)
            await writer.drain()
            sent += len(part)


class HostileServer:
    """An HTTP/1.1 server on 127.0.0.1 (a free port) whose every answer a test decides."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler: Handler = handler or (lambda request: Respond(404, b"no handler"))
        self.requests: list[Request] = []
        self.answered: list[tuple[Request, float]] = []
        self.errors: list[str] = []
        self.port = 0
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HostileServer:
        self._thread = threading.Thread(target=self._run, name="hostile-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the hostile server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what was asked --------------------------------------------------------------------

    def asked(self, where: Callable[[Request], bool] = lambda r: True) -> list[Request]:
        """The requests received so far that ``where`` selects."""
        with self._lock:
            return [r for r in self.requests if where(r)]

    def answers(self, where: Callable[[Request], bool] = lambda r: True) -> list[Request]:
        """The requests whose reply was sent in full, that ``where`` selects."""
        with self._lock:
            return [r for r, _ in self.answered if where(r)]

    def answered_at(self) -> list[tuple[Request, float]]:
        """Each request whose reply was sent in full, with the moment it was (monotonic)."""
        with self._lock:
            return list(self.answered)

    def wait_for(self, condition: Callable[[], bool], timeout: float = 30.0) -> bool:
        """Poll ``condition`` until it holds (True) or ``timeout`` passes (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.01)
        return condition()

    def raw_bytes(self) -> bytes:
        """Everything every request sent, head and body, in one blob (for secret searches)."""
        with self._lock:
            return b"\n".join(r.raw for r in self.requests)

    # -- the server --------------------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=_HEAD_LIMIT)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            request = await self._read(reader)
            if request is None:
                return
            with self._lock:
                self.requests.append(request)
            try:
                reply = self.handler(request)
                if inspect.isawaitable(reply):
                    reply = await reply
            except Exception:
                self.errors.append(traceback.format_exc())
                reply = Respond(599, b"the test's handler failed")
            await reply.send(writer)
            with self._lock:
                self.answered.append((request, time.monotonic()))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the client went away: a fault of its own making, or the end of a test
        except asyncio.CancelledError:
            pass
        finally:
            self._tasks.discard(task)
            if not writer.transport.is_closing():
                writer.close()
            with contextlib.suppress(ConnectionError, asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def _read(self, reader: asyncio.StreamReader) -> Request | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None  # a connection opened and closed with nothing asked
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = b""
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await _read_chunked(reader)
        return Request(
            method=method,
            target=target,
            headers=headers,
            body=body,
            raw=head + body,
            received=time.monotonic(),
        )


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def closed_port() -> int:
    """A local port that nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
