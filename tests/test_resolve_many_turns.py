"""``resolve_many`` hands over every ready work per turn of the event loop, in input order."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engine_resolvers import make_resolver
from paperfuse import Config, Ids, Resolver, Work
from paperfuse.testing import fake_source

RECORDS = {
    ("doi", f"10.5555/{n}"): Work(title=f"T{n}", ids=Ids(doi=f"10.5555/{n}")) for n in range(300)
}
INPUTS = [f"10.5555/{n}" for n in range(300)] + ["10.5555/missing", "not an id %%%", "10.5555/7"]


def _source() -> type:
    return fake_source("table", ["doi"], records=RECORDS, batch_size=50)


def _counting_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    runs = [0]
    original = Resolver._run

    def counted(self: Resolver, coro: object) -> object:
        runs[0] += 1
        return original(self, coro)

    monkeypatch.setattr(Resolver, "_run", counted)
    return runs


def test_a_cached_rerun_takes_a_few_turns_not_one_per_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = Config(cache_dir=str(tmp_path), window=100)
    with make_resolver(_source(), config=config) as resolver:
        first = list(resolver.resolve_many(INPUTS))
    runs = _counting_runs(monkeypatch)
    with make_resolver(_source(), config=config) as resolver:
        second = list(resolver.resolve_many(INPUTS))
    assert [w.input for w in second] == INPUTS
    assert [(w.title, w.status) for w in second] == [(w.title, w.status) for w in first]
    assert runs[0] <= 2 * len(INPUTS) // 100 + 2  # at most a window per turn


def test_resolve_many_gives_what_aresolve_many_gives(tmp_path: Path) -> None:
    with make_resolver(_source(), config=Config(window=64, use_cache=False)) as resolver:
        synchronous = list(resolver.resolve_many(INPUTS))

    async def asynchronous() -> list[Work]:
        async with make_resolver(_source(), config=Config(window=64, use_cache=False)) as resolver:
            return [w async for w in resolver.aresolve_many(INPUTS)]

    assert asyncio.run(asynchronous()) == synchronous


def test_a_stream_closed_early_leaves_nothing_running(tmp_path: Path) -> None:
    with make_resolver(_source(), config=Config(window=10, use_cache=False)) as resolver:
        stream = resolver.resolve_many(iter(INPUTS))
        taken = [next(stream) for _ in range(15)]
        stream.close()
        loop = resolver._own_loop
        assert loop is not None
        left = asyncio.all_tasks(loop)  # the inputs in flight when the stream was closed, if any
    assert [w.input for w in taken] == INPUTS[:15]
    assert all(t.cancelled() for t in left if t.get_coro().__qualname__ == "Resolution.resolve")
    assert all(t.done() for t in left)
