"""Fixtures of the fault suite: hostile servers, a gzip bomb, the command line.

The suite runs alone with ``pytest -m faults``; every module marks its tests
with ``pytest.mark.faults``.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile import HostileServer
from upstream import CLI, EMAIL

from installed_plugins import BUILT_IN_PLUGINS

#: What a gzip bomb expands to: 1 GiB of zeros.
BOMB_SIZE = 1 << 30


def _serve() -> Iterator[HostileServer]:
    server = HostileServer().start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.errors, "the test's request handler failed:\n" + "\n".join(server.errors)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    """The hostile server impersonating the services (set its ``handler``)."""
    yield from _serve()


@pytest.fixture
def elsewhere() -> Iterator[HostileServer]:
    """A second server on another port: another origin, which must never see a secret."""
    yield from _serve()


@pytest.fixture(scope="session")
def gzip_bomb() -> bytes:
    """A valid gzip stream of 1 GiB of zeros in about 1 MB (synthetic, built here).

    Each megabyte is deflated after a full flush, which makes the compressor
    forget everything before it: every megabyte after the first compresses to
    the same bytes, so the bomb is built in a fraction of a second.
    """
    block = bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    again = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    count = BOMB_SIZE // len(block)
    body = first + again * (count - 1) + deflate.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    bomb = header + body + struct.pack("<II", crc, BOMB_SIZE & 0xFFFFFFFF)
    assert len(bomb) < 2 << 20
    return bomb


@pytest.fixture
def cli(server: HostileServer, tmp_path: Path) -> CLI:
    """The command line with Unpaywall alone, at the hostile server, a cache in ``tmp_path``."""
    env: dict[str, Any] = {
        **os.environ,
        "PAPERFUSE_UNPAYWALL_URL": server.url,
        "PAPERFUSE_EMAIL": EMAIL,
        "PAPERFUSE_CACHE_DIR": str(tmp_path / "cache"),
        # an allow-list: no plugin installed beside paperfuse answers
        "PAPERFUSE_PLUGINS": ",".join(
            sorted(BUILT_IN_PLUGINS - {"arxiv", "oab", "datacite", "idconv"})
        ),
        "PAPERFUSE_UNPAYWALL_MIN_INTERVAL": "0",
        "PAPERFUSE_UNPAYWALL_MAX_CONCURRENCY": "2",
    }
    return CLI(env)
