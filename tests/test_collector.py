"""Batches tune Python's garbage collector while they run and leave it as it was."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import paperfuse
from paperfuse import _collector
from paperfuse._collector import SWITCH_INTERVAL, YOUNG_THRESHOLD, tuned_for_batches


@pytest.fixture(autouse=True)
def collector_as_it_was() -> Iterator[tuple[tuple[int, ...], int]]:
    """The collector's settings before the test; each test must leave them so.

    A test that fails half-way is cleaned up after here, so that its fault is
    reported against it alone and not against every later test.
    """
    before = gc.get_threshold(), gc.get_freeze_count()
    switch = sys.getswitchinterval()
    yield before
    after = gc.get_threshold(), gc.get_freeze_count(), _collector._batches
    switched = sys.getswitchinterval()
    if after[2]:
        _collector._batches = 0
        if _collector._froze:
            gc.unfreeze()
    gc.set_threshold(*before[0])
    sys.setswitchinterval(switch)
    assert after[0] == before[0]
    assert switched == switch
    assert after[2] == 0  # every batch that started has ended
    if before[1] == 0:
        assert after[1] == 0
    else:
        # The permanent generation only shrinks as its objects die.
        assert 0 < after[1] <= before[1]


def _tuned() -> bool:
    tuned = gc.get_threshold()[0] >= YOUNG_THRESHOLD and gc.get_freeze_count() > 0
    assert tuned == (sys.getswitchinterval() <= SWITCH_INTERVAL)  # all changed, or none
    return tuned


def test_a_batch_freezes_what_was_there_and_collects_less_often(
    collector_as_it_was: tuple[tuple[int, ...], int],
) -> None:
    threshold, _ = collector_as_it_was
    switch = sys.getswitchinterval()
    assert switch > SWITCH_INTERVAL  # Python's default, 5 ms
    alive = [[] for _ in range(100)]  # objects made before the batch
    with tuned_for_batches():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *threshold[1:])
        assert gc.get_freeze_count() >= len(alive)
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() == 0
    assert sys.getswitchinterval() == switch


def test_overlapping_batches_put_it_back_when_the_last_ends() -> None:
    first, second = tuned_for_batches(), tuned_for_batches()
    first.__enter__()
    first_running = True
    try:
        frozen = gc.get_freeze_count()
        made_between = [[] for _ in range(1_000)]
        second.__enter__()
        try:
            # Not frozen again: the objects made between the two would count. The
            # count may shrink, as frozen objects die; it never grows by a freeze.
            assert gc.get_freeze_count() <= frozen
            assert len(made_between) == 1_000  # alive all along
            first_running = False
            first.__exit__(None, None, None)
            assert _tuned()  # the second batch still runs
        finally:
            second.__exit__(None, None, None)
    finally:
        if first_running:
            first.__exit__(None, None, None)
    assert not _tuned()


def test_batches_in_threads_put_it_back_once_all_are_done() -> None:
    inside = threading.Barrier(3, timeout=30)
    leave = threading.Event()

    def batch() -> None:
        with tuned_for_batches():
            inside.wait()
            leave.wait(timeout=30)

    # Daemon threads, released in any case: a failing test must not hold the process.
    threads = [threading.Thread(target=batch, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        inside.wait()
        assert _tuned()
    finally:
        leave.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert not _tuned()


def test_a_failing_batch_puts_it_back() -> None:
    with pytest.raises(RuntimeError), tuned_for_batches():
        raise RuntimeError("boom")
    assert not _tuned()


def test_what_the_caller_froze_stays_frozen(
    collector_as_it_was: tuple[tuple[int, ...], int],
) -> None:
    threshold, _ = collector_as_it_was
    gc.freeze()  # a server about to fork its workers, say
    frozen = gc.get_freeze_count()
    made_since = [[] for _ in range(1_000)]  # frozen again, they would count
    try:
        with tuned_for_batches():
            assert gc.get_threshold()[0] == YOUNG_THRESHOLD
            # Not frozen again: what was made since the caller's freeze is not added.
            assert 0 < gc.get_freeze_count() <= frozen
            assert len(made_since) == 1_000  # alive all along
        # Nor unfrozen: the caller's objects are still in the permanent generation.
        assert 0 < gc.get_freeze_count() <= frozen
        assert gc.get_threshold() == threshold
    finally:
        gc.unfreeze()


def _resolver(tmp_path: Path) -> paperfuse.Resolver:
    config = paperfuse.load_config(env={"PAPERFUSE_CACHE_DIR": str(tmp_path)})
    return paperfuse.Resolver(config, entry_points=False)


def test_resolve_many_is_tuned_while_its_loop_runs_not_while_it_yields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperfuse._resolver import _Pipeline

    running: list[bool] = []
    original = _Pipeline.next

    async def next_work(self: _Pipeline) -> Any:
        running.append(_tuned())
        return await original(self)

    monkeypatch.setattr(_Pipeline, "next", next_work)
    held: list[bool] = []
    with _resolver(tmp_path) as resolver:
        for work in resolver.resolve_many(["%%%", "@@@", "###"]):
            assert work.status == "invalid"  # nothing to ask: no source needed
            held.append(_tuned())
        assert running
        assert all(running)
        assert held == [False, False, False]
        # Left unfinished: nothing stays changed, whether or not it is ever closed.
        works = resolver.resolve_many(["%%%", "@@@"])
        next(works)
        assert not _tuned()
        works.close()
        assert not _tuned()


def test_aresolve_many_leaves_the_collector_to_the_callers_loop(tmp_path: Path) -> None:
    async def go() -> list[bool]:
        seen = []
        async with _resolver(tmp_path) as resolver:
            async for _ in resolver.aresolve_many(["%%%", "@@@"]):
                seen.append(_tuned())
        return seen

    assert asyncio.run(go()) == [False, False]
