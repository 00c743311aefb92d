"""Transport faults: deadlines, dripping and broken servers, bad and hostile bodies,
unreachable hosts.

Faults that pytest-httpserver cannot make (a drip, a reset, a body shorter
than its Content-Length) come from a raw asyncio server on 127.0.0.1. The
hostile bodies (invalid and truncated gzip, a gzip bomb) are synthetic,
built here.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import socket
import struct
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import stamina
from pytest_httpserver import HTTPServer

from paperfuse import BadResponse, SourceUnavailable
from paperfuse._http import Pacer, SourceClient, _unreachable, user_agent
from paperfuse._transport import LazyTransport
from paperfuse.testing import Isolation

pytestmark = pytest.mark.usefixtures("http_path")

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def _client(http: httpx.AsyncClient, **kw: Any) -> SourceClient:
    kw.setdefault("timeout", 5.0)
    return SourceClient(name="test", http=http, pacer=Pacer(0.0, 4), **kw)


def _run(work: Callable[[httpx.AsyncClient], Awaitable[Any]], **headers: str) -> Any:
    async def main() -> Any:
        headers["User-Agent"] = user_agent(None)
        async with httpx.AsyncClient(headers=headers, transport=LazyTransport()) as http:
            return await work(http)

    return asyncio.run(main())


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[str]:
    """A bare TCP server on 127.0.0.1 that answers with ``handler``; yields its URL."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"


async def _fetch(handler: Handler, **kw: Any) -> httpx.Response:
    async with (
        raw_server(handler) as url,
        httpx.AsyncClient(
            headers={"User-Agent": user_agent(None)}, transport=LazyTransport()
        ) as http,
    ):
        # A generous outer bound: a test fails rather than hangs.
        return await asyncio.wait_for(_client(http, **kw).get(url + "/x"), 20)


# -- a deadline for the whole request ------------------------------------------------------


async def _drip_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(1000):
        writer.write(b"x")
        await writer.drain()
        await asyncio.sleep(0.1)


async def _drip_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"y" * 1000:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("drip", [_drip_body, _drip_headers], ids=["body", "headers"])
def test_a_dripping_server_times_out_at_the_request_deadline(drip: Handler) -> None:
    start = time.monotonic()
    with pytest.raises(SourceUnavailable, match="timed out") as caught:
        asyncio.run(_fetch(drip, timeout=1.0))
    assert time.monotonic() - start < 10  # bounded by the 1 s deadline, not by the drip
    assert "1 s" in str(caught.value)


def test_the_deadline_is_retried_like_other_transport_faults() -> None:
    calls = 0

    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal calls
        calls += 1
        await _drip_body(reader, writer)

    with stamina.set_testing(True, attempts=2), pytest.raises(SourceUnavailable, match="timed out"):
        asyncio.run(_fetch(drip, timeout=0.5, attempts=2))
    assert calls == 2


# -- broken connections ----------------------------------------------------------------------


async def _reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
    await writer.drain()
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    writer.transport.abort()  # RST, not FIN


async def _short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 500)
    await writer.drain()


@pytest.mark.parametrize("fault", [_reset, _short], ids=["reset", "truncated"])
def test_a_broken_connection_is_unavailable_after_retries(fault: Handler) -> None:
    calls = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal calls
        calls += 1
        await fault(reader, writer)

    with stamina.set_testing(True, attempts=3), pytest.raises(SourceUnavailable) as caught:
        asyncio.run(_fetch(handler, attempts=3))
    assert calls == 3
    assert caught.value.source == "test"


# -- long and endless headers ----------------------------------------------------------------


def test_a_long_header_as_services_send_is_read() -> None:
    link = "<https://api.example.org/works?cursor=" + "c" * 20_000 + '>; rel="next"'

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nLink: {link}\r\n\r\n"
        writer.write(head.encode("ascii") + b"ok")
        await writer.drain()

    response = asyncio.run(_fetch(handler))
    assert response.headers["Link"] == link
    assert response.text == "ok"


def test_an_endless_header_is_refused_before_much_is_read() -> None:
    sent = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        writer.write(b"HTTP/1.1 200 OK\r\nX-Flood: ")
        for _ in range(4_096):  # 256 MiB in all, and never a line's end
            writer.write(b"f" * 65_536)
            await writer.drain()
            sent += 65_536

    with pytest.raises(SourceUnavailable) as caught:
        asyncio.run(_fetch(handler, timeout=20.0))
    assert "timed out" not in str(caught.value)  # refused, not waited out
    # The client stopped reading long before the end; what the server got rid of is what
    # the sockets' buffers took (about 4 MB here).
    assert sent < 64 * 2**20


# -- bodies that cannot be decoded -------------------------------------------------------------


def _gzip(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", b"this is not gzip at all"),
        ("gzip", _gzip(b'{"ok": true, "padding": "' + b"p" * 5000 + b'"}')[:-40]),  # cut short
        ("gzip", _gzip(b'{"ok": true}')[:12] + b"\xff" * 40),  # corrupt deflate data
        ("deflate", b"neither zlib nor raw deflate \xff\xfe"),
    ],
    ids=["not-gzip", "truncated-gzip", "corrupt-gzip", "bad-deflate"],
)
def test_a_body_that_cannot_be_decoded_is_a_bad_response(
    httpserver: HTTPServer, coding: str, body: bytes
) -> None:
    httpserver.expect_request("/z").respond_with_data(body, headers={"Content-Encoding": coding})
    with pytest.raises(BadResponse, match="response body could not be decoded"):
        _run(lambda http: _client(http).get(httpserver.url_for("/z")))


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
def test_deflate_bodies_are_decoded(httpserver: HTTPServer, wbits: int) -> None:
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    body = packer.compress(b'{"ok": true}') + packer.flush()
    httpserver.expect_request("/z").respond_with_data(body, headers={"Content-Encoding": "deflate"})
    response = _run(lambda http: _client(http).get(httpserver.url_for("/z")))
    assert response.json() == {"ok": True}
    assert "content-encoding" not in response.headers


def test_only_codings_paperfuse_decodes_are_advertised(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/ae").respond_with_data("ok")
    # A client that would advertise brotli and zstd (httpx does when they are installed).
    _run(
        lambda http: _client(http).get(httpserver.url_for("/ae")),
        **{"Accept-Encoding": "gzip, deflate, br, zstd"},
    )
    assert httpserver.log[0][0].headers["Accept-Encoding"] == "gzip, deflate"


# -- a gzip bomb -----------------------------------------------------------------------------


def _gzip_bomb(size: int) -> bytes:
    """A valid gzip of ``size`` bytes of zeros (a multiple of 1 MiB): about 1 kB per MiB.

    Compressing a gigabyte takes seconds; after a full flush the compressor
    starts afresh, so the compressed megabyte that follows one is the same
    every time and is repeated instead. The trailer is the whole body's.
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    first = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)  # with the gzip header
    again = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size >> 20):
        crc = zlib.crc32(block, crc)
    end = b"\x03\x00"  # an empty final block
    return first + again * ((size >> 20) - 1) + end + struct.pack("<II", crc, size & 0xFFFFFFFF)


def test_the_gzip_bomb_is_what_it_says() -> None:
    bomb = _gzip_bomb(4 << 20)
    assert zlib.decompress(bomb, 31) == bytes(4 << 20)


def test_a_gzip_bomb_stops_at_the_cap_with_bounded_memory(httpserver: HTTPServer) -> None:
    bomb = _gzip_bomb(1 << 30)  # 1 GiB of zeros
    assert len(bomb) < 2 << 20
    httpserver.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    gc.collect()
    tracemalloc.start()
    try:
        with pytest.raises(BadResponse, match="larger than 1048576 bytes"):
            _run(lambda http: _client(http, max_body=1 << 20).get(httpserver.url_for("/bomb")))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"peak {peak / 2**20:.0f} MiB for a 1 MiB cap"


# -- hosts that cannot be reached ------------------------------------------------------------


def test_a_name_that_does_not_resolve_is_not_retried(
    monkeypatch: pytest.MonkeyPatch, paperfuse_isolated: Isolation
) -> None:
    """``.invalid`` never resolves; the resolver is stubbed so no query leaves the machine
    (so the isolation lets httpx go as far as the name look-up)."""
    paperfuse_isolated.allow_hosts("nonexistent.invalid")
    asked: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in ("nonexistent.invalid", b"nonexistent.invalid"):  # anyio passes bytes
            asked.append("nonexistent.invalid")
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with stamina.set_testing(True, attempts=4), pytest.raises(SourceUnavailable) as caught:
        _run(lambda http: _client(http).get("http://nonexistent.invalid/v2/x"))
    assert asked == ["nonexistent.invalid"]  # asked once: not retried
    assert str(caught.value) == "cannot reach nonexistent.invalid: the name does not resolve"


# localhost: one refusal per address it resolves to (127.0.0.1, and ::1 where it has one).
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_closed_port_is_connection_refused_and_not_retried(host: str) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, and closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client_requests: list[int] = []

    async def work(http: httpx.AsyncClient) -> Any:
        client = _client(http)
        try:
            return await client.get(f"http://{host}:{port}/x")
        finally:
            client_requests.append(client.requests)

    with stamina.set_testing(True, attempts=4), pytest.raises(SourceUnavailable) as caught:
        _run(work)
    assert str(caught.value) == f"cannot reach {host}: connection refused"
    assert client_requests == [1]


def test_every_address_refused_is_connection_refused() -> None:
    # As aiohttp's happy eyeballs reports a name whose addresses all refused.
    combined = OSError(errno.ECONNREFUSED, "Multiple exceptions: [Errno 111] ..., [Errno 111] ...")
    error = httpx.ConnectError("cannot connect")
    error.__cause__ = combined
    assert _unreachable(error) == "connection refused"
    error.__cause__ = OSError(errno.EHOSTUNREACH, "No route to host")
    assert _unreachable(error) is None  # may answer a second attempt
