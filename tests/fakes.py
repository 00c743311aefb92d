"""Fake sources for engine tests: declared like real ones, answering from a dict."""

from __future__ import annotations

import asyncio
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import paperfuse
from paperfuse import Identifier, Politeness, Query, Source, Work


class FakeSource(Source):
    """Answers lookups from ``records`` (keyed by ``(scheme, value)``) and logs each call."""

    records: ClassVar[dict[tuple[str, str], Work]] = {}
    candidates: ClassVar[list[Work]] = []
    delay: ClassVar[float] = 0.0
    fail_with: ClassVar[BaseException | None] = None
    answer: ClassVar[Callable[[Sequence[Identifier]], Any] | None] = None
    calls: ClassVar[list[tuple[float, float, tuple[str, ...]]]]
    in_flight: ClassVar[int]
    most_in_flight: ClassVar[int]

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
                return cls.answer(identifiers)
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
    """A new FakeSource subclass with its own records and call log."""
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
    for key, value in attributes.items():
        if callable(value) and key == "answer":
            namespace[key] = staticmethod(value)
    return type(f"Fake_{name}", (FakeSource,), namespace)


class SourcesPlugin:
    """A plugin object registering the given source classes."""

    def __init__(self, *sources: type[Source]) -> None:
        self.sources = sources

    @paperfuse.hookimpl
    def paperfuse_register_sources(self) -> Sequence[type[Source]]:
        return self.sources


def make_resolver(
    *sources: type[Source], config: paperfuse.Config | None = None, **kwargs: Any
) -> paperfuse.Resolver:
    """A resolver with only the given sources (no installed plugins)."""
    return paperfuse.Resolver(
        config or paperfuse.Config(),
        entry_points=False,
        plugins={"fakes": SourcesPlugin(*sources), **kwargs.pop("plugins", {})},
        **kwargs,
    )


def install_distribution(
    root: Path, name: str, entry_points: Mapping[str, str], modules: Mapping[str, str]
) -> None:
    """Write an installed distribution into ``root`` (put ``root`` on ``sys.path``).

    ``entry_points`` maps names to modules in the ``paperfuse`` group;
    ``modules`` maps module names to their source text.
    """
    dist = root / f"{name.replace('-', '_')}-1.2.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n")
    lines = "".join(f"{ep} = {module}\n" for ep, module in entry_points.items())
    (dist / "entry_points.txt").write_text(f"[paperfuse]\n{lines}")
    for module, text in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(text))
