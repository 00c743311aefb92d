"""Shared set-up: every test is isolated by paperfuse's own testing kit.

The kit's isolation (``paperfuse_isolated``, see docs/testing.md) is on for
every test: no ``PAPERFUSE_*`` variable of the environment, an empty
configuration file, a temporary cache, stamina's testing mode (one attempt, no
back-off; tests of retries raise it with ``paperfuse.testing.retries``), every
loaded source and doi.org pointed at a closed local port unless the test
points them at its own server, and no HTTP connection beyond loopback (a
refused one fails the test). So no test ever reaches a live host.

Plugins are an allow-list, never a block-list: a test loads paperfuse's own
built-in plugins and nothing else that happens to be installed in the same
environment (a third-party plugin such as examples/paperfuse-openalex would
otherwise answer, or try the internet, inside paperfuse's tests). The allow-list
is ``PAPERFUSE_PLUGINS`` too, so a ``paperfuse`` process a test starts with
``os.environ`` loads the same plugins. A test that installs a plugin of its own
names it (``paperfuse_isolated.use_plugins(entry_points=[...])``).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import paperfuse._transport
from installed_plugins import BUILT_IN_PLUGINS
from paperfuse._http import SourceClient
from paperfuse._pump import RequestPump
from paperfuse.testing import Isolation


@pytest.fixture(autouse=True)
def _isolated(paperfuse_isolated: Isolation) -> Isolation:
    """Every test isolated, with the built-in plugins (and only them) installed."""
    paperfuse_isolated.use_plugins(entry_points=BUILT_IN_PLUGINS)
    return paperfuse_isolated


@pytest.fixture(params=["httpcore", "bulk", "pump"])
def http_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The test three times, in every ``LazyTransport`` made during the test: through
    httpcore; through the bulk path (aiohttp) from a pool's first request on; and, for
    a ``SourceClient`` paced by concurrency alone over a ``LazyTransport``, through a
    request pump (``paperfuse._pump``) on the bulk path, as a resolver's Unpaywall
    sends (modules that use it: ``pytestmark = pytest.mark.usefixtures("http_path")``)."""
    pumps: list[RequestPump] = []
    if request.param in ("bulk", "pump"):
        monkeypatch.setattr(paperfuse._transport, "BULK_AFTER", 0)
    if request.param == "pump":
        made = SourceClient.__init__

        def with_pump(client: SourceClient, *args: Any, **kwargs: Any) -> None:
            made(client, *args, **kwargs)
            transport = getattr(client.http, "_transport", None)
            lazy = isinstance(transport, paperfuse._transport.LazyTransport)
            if lazy and client.pump is None and client.pacer.min_interval == 0:
                client.pump = RequestPump()
                pumps.append(client.pump)

        monkeypatch.setattr(SourceClient, "__init__", with_pump)
    yield str(request.param)
    for pump in pumps:
        asyncio.run(pump.aclose())


@pytest.fixture
def logger_as_it_was() -> Iterator[None]:
    """The CLI, run in the test's process, sets paperfuse's logger up for stderr: undo it
    after (modules that run it: ``pytestmark = pytest.mark.usefixtures(...)``)."""
    logger = logging.getLogger("paperfuse")
    level, handlers, show = logger.level, list(logger.handlers), warnings.showwarning
    yield
    logger.setLevel(level)
    logger.handlers[:] = handlers
    warnings.showwarning = show
