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

Contract suites to subclass: :class:`SourceContract`, :class:`SchemeContract`.
Helpers: :func:`report`, :func:`reports`, :func:`retries`, :func:`isolate`.
"""

from __future__ import annotations

from ._cli import CLI, Ran, report, reports
from ._contracts import (
    HOSTILE_TEXTS,
    OTHER_IDENTIFIERS,
    WRONG_SHAPE_XML,
    SchemeContract,
    SourceContract,
)
from ._isolation import CLOSED_URL, Isolation, isolate, retries
from ._resolvers import ResolverFactory, make_resolver
from ._upstream import WRONG_SHAPE_JSON, Asked, FakeUpstream, Reply

__all__ = [
    "CLI",
    "CLOSED_URL",
    "HOSTILE_TEXTS",
    "OTHER_IDENTIFIERS",
    "WRONG_SHAPE_JSON",
    "WRONG_SHAPE_XML",
    "Asked",
    "FakeUpstream",
    "Isolation",
    "Ran",
    "Reply",
    "ResolverFactory",
    "SchemeContract",
    "SourceContract",
    "isolate",
    "make_resolver",
    "report",
    "reports",
    "retries",
]
