"""The answer cache asks the store once per source while it holds none of its answers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from paperfuse import Work
from paperfuse import _cache as cache_module
from paperfuse._cache import AnswerCache
from paperfuse._store import ANSWERS_WAIT, Store


class _CountingStore(Store):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.fetches = 0
        self.checks = 0

    def fetch_answer(self, source: str, key: str, now: float) -> tuple[str, bytes] | None:
        self.fetches += 1
        return super().fetch_answer(source, key, now)

    def has_answers(self, source: str) -> bool:
        self.checks += 1
        return super().has_answers(source)


def test_a_first_run_asks_the_store_once_per_source(tmp_path: Path) -> None:
    store = _CountingStore(tmp_path / "cache.sqlite")
    cache = AnswerCache(store)
    assert [cache.get("arxiv", f"1701.{n:05d}") for n in range(1, 101)] == [None] * 100
    assert (store.checks, store.fetches) == (1, 0)
    cache.put("arxiv", [("1701.00001", "ok", Work(title="T"))])
    answer = cache.get("arxiv", "1701.00001")
    assert answer is not None
    assert answer[1].title == "T"
    assert cache.get("unpaywall", "10.1/x") is None  # another source: asked on its own
    assert store.checks == 2
    store.close()


def test_answers_another_process_stores_are_read_after_a_short_while(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cache.sqlite"
    monkeypatch.setattr(cache_module, "_EMPTY_RECHECK", 0.0)  # "a short while" is now
    reader = AnswerCache(Store(path))
    writer = AnswerCache(Store(path))
    assert reader.get("arxiv", "1701.00001") is None
    writer.put("arxiv", [("1701.00001", "not_found", None)])
    # Committed by the writer's store within ANSWERS_WAIT, with no further call of it.
    deadline = time.monotonic() + 10 * ANSWERS_WAIT
    while reader.get("arxiv", "1701.00001") is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert reader.get("arxiv", "1701.00001") == ("not_found", None)
    reader.store.close()
    writer.store.close()


def test_a_cache_that_holds_answers_is_read_for_each_lookup(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    writer = Store(path)
    AnswerCache(writer).put("arxiv", [("1701.00002", "not_found", None)])
    writer.close()
    store = _CountingStore(path)
    cache = AnswerCache(store)
    assert cache.get("arxiv", "1701.00001") is None
    assert cache.get("arxiv", "1701.00002") == ("not_found", None)
    assert (store.checks, store.fetches) == (1, 2)
    store.close()
