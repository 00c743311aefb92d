"""In-memory sources: declared like real ones, answering from a dict, no HTTP at all.

For tests of what comes after a source answers: the merge, a format's
rendering of real-looking records, a scheme routed to a source, the engine's
batching and concurrency. ``fake_source("table", ["doi"], records={("doi",
"10.1234/x"): Work(...)})`` makes a :class:`FakeSource` subclass with records
and a call log of its own; :class:`SourcesPlugin` registers source classes as
a plugin does, for :func:`~paperfuse.testing.make_resolver` or
``Isolation.use_plugins``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from .. import Identifier, Politeness, Query, Source, Work, hookimpl

__all__ = ["FakeSource", "SourcesPlugin", "fake_source"]


class FakeSource(Source):
    """Answers look-ups from ``records`` (keyed by ``(scheme, value)``) and logs each call.

    Class attributes, set by :func:`fake_source` or a subclass: ``records``;
    ``candidates`` (what a title search returns); ``delay`` (seconds each call
    takes); ``fail_with`` (an exception every call raises); ``answer`` (a
    function of the identifiers asked that answers instead of ``records``).
    ``calls`` logs ``(start, end, inputs)`` of each call; ``in_flight`` and
    ``most_in_flight`` count calls running at once.
    """

    records: ClassVar[dict[tuple[str, str], Work]] = {}
    candidates: ClassVar[list[Work]] = []
    delay: ClassVar[float] = 0.0
    fail_with: ClassVar[BaseException | None] = None
    answer: ClassVar[Callable[[Sequence[Identifier]], Any] | None] = None
    calls: ClassVar[list[tuple[float, float, tuple[str, ...]]]] = []
    in_flight: ClassVar[int] = 0
    most_in_flight: ClassVar[int] = 0

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, Any]:
        cls = type(self)
        start = time.monotonic()
        cls.in_flight += 1
        cls.most_in_flight = max(cls.most_in_flight, cls.in_flight)
        try:
            if cls.delay:
                await asyncio.sleep(cls.delay)
            if cls.fail_with is not None:
                raise cls.fail_with
            if cls.answer is not None:
                answered: Mapping[Identifier, Any] = cls.answer(identifiers)
                return answered
            return {i: cls.records.get((i.scheme, i.value)) for i in identifiers}
        finally:
            cls.in_flight -= 1
            cls.calls.append((start, time.monotonic(), tuple(str(i) for i in identifiers)))

    async def search(self, query: Query) -> Sequence[Work]:
        cls = type(self)
        cls.calls.append((time.monotonic(), time.monotonic(), (query.text,)))
        if cls.fail_with is not None:
            raise cls.fail_with
        return list(cls.candidates)


def fake_source(
    name: str,
    schemes: Sequence[str],
    *,
    records: Mapping[tuple[str, str], Work] | None = None,
    batch_size: int = 100,
    politeness: Politeness | None = None,
    searches_titles: bool = False,
    candidates: Sequence[Work] = (),
    **attributes: Any,
) -> type[FakeSource]:
    """A new :class:`FakeSource` subclass named ``name`` for ``schemes``, with its own
    records and call log (no politeness interval unless ``politeness`` says so).

    Any other keyword sets a class attribute (``delay=0.2``, ``fail_with=...``,
    ``answer=lambda identifiers: ...``, or a source declaration such as ``role``).
    """
    namespace: dict[str, Any] = {
        "name": name,
        "schemes": tuple(schemes),
        "records": dict(records or {}),
        "batch_size": batch_size,
        "politeness": politeness or Politeness(min_interval=0.0, max_concurrency=4),
        "searches_titles": searches_titles,
        "candidates": list(candidates),
        "calls": [],
        "in_flight": 0,
        "most_in_flight": 0,
        **attributes,
    }
    if callable(attributes.get("answer")):
        namespace["answer"] = staticmethod(attributes["answer"])
    return type(f"Fake_{name}", (FakeSource,), namespace)


class SourcesPlugin:
    """A plugin object registering the given source classes (named ``name``, "fakes" by default)."""

    def __init__(self, *sources: type[Source], name: str = "fakes") -> None:
        self.sources = sources
        self.name = name

    @hookimpl
    def paperfuse_register_sources(self) -> Sequence[type[Source]]:
        return self.sources
