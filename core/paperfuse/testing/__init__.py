"""paperfuse.testing: the kit for testing paperfuse plugins (and code that uses paperfuse).

Installed with paperfuse and registered as a pytest plugin, so its fixtures
are there in any project that has paperfuse and pytest (the fake upstream
also needs pytest-httpserver: ``pip install 'paperfuse[testing]'``).
``import paperfuse`` never imports it. See docs/testing.md.

Fixtures (from :mod:`paperfuse.testing.plugin`):

- ``paperfuse_isolated``: an :class:`Isolation`: no ``PAPERFUSE_*`` variables,
  an empty configuration, a temporary cache, only the plugins the test
  names, no host other than loopback, no retry back-off;
- ``paperfuse_resolver``: a :class:`ResolverFactory` (see :func:`make_resolver`);
- ``paperfuse_upstream``: a :class:`FakeUpstream` replaying recorded answers;
- ``paperfuse_cli``: a :class:`CLI` runner of the ``paperfuse`` command.

Contract suites to subclass: :class:`SourceContract`, :class:`SchemeContract`,
:class:`FormatContract`.
In-memory sources for tests that need no HTTP: :func:`fake_source`,
:class:`FakeSource`, :class:`SourcesPlugin`.
Helpers: :func:`report`, :func:`reports`, :func:`retries`, :func:`isolate`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The names load on first use (PEP 562): pytest imports this package with the
# plugin in every run where paperfuse is installed, and should pay nothing for it.
_LAZY = {
    "CLI": "_cli",
    "Ran": "_cli",
    "report": "_cli",
    "reports": "_cli",
    "HOSTILE_TEXTS": "_contracts",
    "OTHER_IDENTIFIERS": "_contracts",
    "WRONG_SHAPE_XML": "_contracts",
    "FakeSource": "_fakes",
    "SourcesPlugin": "_fakes",
    "fake_source": "_fakes",
    "SchemeContract": "_contracts",
    "SourceContract": "_contracts",
    "FAILED_WORKS": "_format_contract",
    "SAMPLE_WORKS": "_format_contract",
    "FormatContract": "_format_contract",
    "CLOSED_URL": "_isolation",
    "Isolation": "_isolation",
    "isolate": "_isolation",
    "retries": "_isolation",
    "ResolverFactory": "_resolvers",
    "make_resolver": "_resolvers",
    "WRONG_SHAPE_JSON": "_upstream",
    "Asked": "_upstream",
    "FakeUpstream": "_upstream",
    "Reply": "_upstream",
}

if TYPE_CHECKING:
    from ._cli import CLI, Ran, report, reports
    from ._contracts import (
        HOSTILE_TEXTS,
        OTHER_IDENTIFIERS,
        WRONG_SHAPE_XML,
        SchemeContract,
        SourceContract,
    )
    from ._fakes import FakeSource, SourcesPlugin, fake_source
    from ._format_contract import FAILED_WORKS, SAMPLE_WORKS, FormatContract
    from ._isolation import CLOSED_URL, Isolation, isolate, retries
    from ._resolvers import ResolverFactory, make_resolver
    from ._upstream import WRONG_SHAPE_JSON, Asked, FakeUpstream, Reply


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'paperfuse.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "CLI",
    "CLOSED_URL",
    "FAILED_WORKS",
    "HOSTILE_TEXTS",
    "OTHER_IDENTIFIERS",
    "SAMPLE_WORKS",
    "WRONG_SHAPE_JSON",
    "WRONG_SHAPE_XML",
    "Asked",
    "FakeSource",
    "FakeUpstream",
    "FormatContract",
    "Isolation",
    "Ran",
    "Reply",
    "ResolverFactory",
    "SchemeContract",
    "SourceContract",
    "SourcesPlugin",
    "fake_source",
    "isolate",
    "make_resolver",
    "report",
    "reports",
    "retries",
]
