"""paperfuse's pytest plugin (entry point ``pytest11``): the testing kit's fixtures.

Loaded by pytest wherever paperfuse is installed, so it imports nothing
heavy and nothing optional until a fixture is used: pytest-httpserver only
for ``paperfuse_upstream``.

``paperfuse_isolated``
    an :class:`~paperfuse.testing.Isolation` of the test (see
    :func:`~paperfuse.testing.isolate`); fails the test if it tried to
    reach a host other than loopback.
``paperfuse_resolver``
    a :class:`~paperfuse.testing.ResolverFactory`; every resolver it made is
    closed after the test.
``paperfuse_upstream``
    a :class:`~paperfuse.testing.FakeUpstream` on a local server of its own.
``paperfuse_upstreams``
    makes more fake upstreams, each on a server of its own, for services whose
    paths would collide on one.
``paperfuse_cli``
    a :class:`~paperfuse.testing.CLI` runner of the ``paperfuse`` command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from . import CLI, FakeUpstream, Isolation, ResolverFactory


@pytest.fixture
def paperfuse_isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Isolation]:
    """No PAPERFUSE_* variables, an empty configuration, a cache of the test's own,
    no plugin but those named, no network beyond loopback, no retry back-off."""
    import stamina

    from ._isolation import isolate

    with stamina.set_testing(True):
        isolation = isolate(monkeypatch, tmp_path / "paperfuse")
        yield isolation
    isolation.check()


@pytest.fixture
def paperfuse_resolver(paperfuse_isolated: Isolation) -> Iterator[ResolverFactory]:
    """Makes resolvers of named plugins at local URLs; closes them after the test."""
    from ._resolvers import ResolverFactory

    factory = ResolverFactory(cache_dir=paperfuse_isolated.cache_dir)
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def paperfuse_upstream_server() -> Iterator[Any]:
    """The local HTTP server behind ``paperfuse_upstream`` (threaded, on 127.0.0.1)."""
    try:
        from pytest_httpserver import HTTPServer
    except ImportError:  # pragma: no cover - depends on the environment
        pytest.fail(
            "paperfuse_upstream needs pytest-httpserver: pip install 'paperfuse[testing]'",
            pytrace=False,
        )
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def paperfuse_upstream(
    paperfuse_isolated: Isolation, paperfuse_upstream_server: Any
) -> Iterator[FakeUpstream]:
    """A fake upstream replaying recorded answers; see :class:`~paperfuse.testing.FakeUpstream`."""
    import logging

    from ._upstream import FakeUpstream

    # The server's own request log quotes every request line, secrets in the query
    # included: it is the fake's log, not paperfuse's, so it stays out of the test's.
    server_log = logging.getLogger("werkzeug")
    level, server_log.level = server_log.level, logging.WARNING
    paperfuse_upstream_server.clear()
    upstream = FakeUpstream(paperfuse_upstream_server)
    try:
        yield upstream
    finally:
        upstream.close()
        paperfuse_upstream_server.clear()
        server_log.setLevel(level)


@pytest.fixture
def paperfuse_cli(paperfuse_isolated: Isolation) -> CLI:
    """Runs the ``paperfuse`` command with the test's isolation."""
    from ._cli import CLI

    return CLI(paperfuse_isolated)


@pytest.fixture
def paperfuse_upstreams(paperfuse_isolated: Isolation) -> Iterator[Callable[..., FakeUpstream]]:
    """``paperfuse_upstreams(prefix="")``: a new fake upstream on a server of its own,
    stopped after the test."""
    from pytest_httpserver import HTTPServer

    from ._upstream import FakeUpstream

    made: list[tuple[Any, FakeUpstream]] = []

    def make(prefix: str = "") -> FakeUpstream:
        server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        server.start()
        upstream = FakeUpstream(server, prefix)
        made.append((server, upstream))
        return upstream

    yield make
    for server, upstream in made:
        upstream.close()
        server.clear()
        if server.is_running():
            server.stop()
