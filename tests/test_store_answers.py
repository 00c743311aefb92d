"""Answers are committed to the store's file together, within a bounded time.

A commit per call cost a transaction, and a rewrite of the pages it touched,
every few answers; the store now commits the answers stored around the same
time in one transaction: within ``ANSWERS_WAIT`` seconds with no further
call, at once when ``ANSWERS_AT_ONCE`` wait, on ``commit_answers`` and on
``close``. Meanwhile the store reads them back itself.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from engine_resolvers import make_resolver
from paperfuse import Config, Ids, Work
from paperfuse._store import ANSWERS_AT_ONCE, ANSWERS_WAIT, Store
from paperfuse.testing import fake_source

_FILE = "paperfuse.sqlite3"


def _row(
    key: str, status: str = "ok", body: bytes = b"x"
) -> tuple[str, str, str, bytes, float, float]:
    now = time.time()
    return ("source", key, status, body, now, now + 3600)


def _in_file(path: Path) -> set[str]:
    """The answers' keys another connection reads from the file (none before it is made)."""
    if not path.exists():
        return set()
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {key for (key,) in connection.execute("SELECT key FROM answers")}
    except sqlite3.OperationalError:  # made, its tables not yet
        return set()
    finally:
        connection.close()


def test_stored_answers_are_read_back_at_once(tmp_path: Path) -> None:
    store = Store(tmp_path / _FILE)
    store.store_answers([_row("a", body=b"first")])
    store.store_answers([_row("a", body=b"second"), _row("b", "not_found", b"")])
    assert store.fetch_answer("source", "a", time.time()) == ("ok", b"second")
    assert store.fetch_answer("source", "b", time.time()) == ("not_found", b"")
    assert store.fetch_answer("source", "a", time.time() + 7200) is None  # expired
    assert store.has_answers("source")
    assert not store.has_answers("other")
    assert store.answer_counts(time.time()) == {
        "source": {"found": 1, "not_found": 1, "expired": 0}
    }
    store.close()


def test_answers_reach_the_file_within_the_wait_with_no_further_call(tmp_path: Path) -> None:
    store = Store(tmp_path / _FILE)
    store.store_answers([_row("a"), _row("b")])
    deadline = time.monotonic() + 20 * ANSWERS_WAIT
    while _in_file(tmp_path / _FILE) != {"a", "b"} and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _in_file(tmp_path / _FILE) == {"a", "b"}
    store.close()


def test_many_answers_are_committed_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("paperfuse._store.ANSWERS_WAIT", 3600.0)  # only the count commits
    store = Store(tmp_path / _FILE)
    store.store_answers([_row(f"k{n}") for n in range(ANSWERS_AT_ONCE - 1)])
    assert store.connection.execute("SELECT count(*) FROM answers").fetchone() == (0,)
    store.store_answers([_row("last")])
    assert len(_in_file(tmp_path / _FILE)) == ANSWERS_AT_ONCE
    store.close()


def test_closing_the_store_commits_what_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("paperfuse._store.ANSWERS_WAIT", 3600.0)
    store = Store(tmp_path / _FILE)
    store.store_answers([_row("a")])
    assert _in_file(tmp_path / _FILE) == set()
    store.close()
    assert _in_file(tmp_path / _FILE) == {"a"}


def test_deleting_answers_deletes_those_that_wait(tmp_path: Path) -> None:
    store = Store(tmp_path / _FILE)
    store.store_answers([_row("a"), _row("b")])
    assert store.delete_answers("source", None) == 2
    assert store.fetch_answer("source", "a", time.time()) is None
    store.close()
    assert _in_file(tmp_path / _FILE) == set()


def test_a_store_that_fails_to_commit_goes_on_in_memory_with_its_answers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store(tmp_path / _FILE)
    store.connection.execute("DROP TABLE answers")  # the file can no longer take answers
    store.store_answers([_row("a")])
    store.commit_answers()
    assert store.in_memory
    assert "going on without the cache" in caplog.text
    assert store.fetch_answer("source", "a", time.time()) == ("ok", b"x")
    store.close()


def test_the_answers_of_an_async_resolution_are_in_the_file_when_it_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("paperfuse._store.ANSWERS_WAIT", 3600.0)
    one = Work(title="One", ids=Ids(doi="10.5555/1"))
    source = fake_source("table", ["doi"], records={("doi", "10.5555/1"): one})

    async def run() -> None:
        async with make_resolver(source, config=Config(cache_dir=str(tmp_path))) as resolver:
            assert (await resolver.aresolve("10.5555/1")).status == "resolved"
            assert _in_file(tmp_path / _FILE) == {"doi:10.5555/1"}
            works = [w async for w in resolver.aresolve_many(["10.5555/2"])]
            assert [w.status for w in works] == ["not_found"]
            assert _in_file(tmp_path / _FILE) == {"doi:10.5555/1", "doi:10.5555/2"}

    asyncio.run(run())
