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

import logging
import warnings
from collections.abc import Iterator

import pytest

import paperfuse._transport
from installed_plugins import BUILT_IN_PLUGINS
from paperfuse.testing import Isolation


@pytest.fixture(autouse=True)
def _isolated(paperfuse_isolated: Isolation) -> Isolation:
    """Every test isolated, with the built-in plugins (and only them) installed."""
    paperfuse_isolated.use_plugins(entry_points=BUILT_IN_PLUGINS)
    return paperfuse_isolated


@pytest.fixture(params=["httpcore", "bulk"])
def http_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test twice: through httpcore, and through the bulk path (aiohttp) from a pool's
    first request on, in every ``LazyTransport`` made during the test (modules that use
    it: ``pytestmark = pytest.mark.usefixtures("http_path")``)."""
    if request.param == "bulk":
        monkeypatch.setattr(paperfuse._transport, "BULK_AFTER", 0)
    return str(request.param)


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
