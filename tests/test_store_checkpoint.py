"""The store copies its write-ahead log into its file from a thread of its own.

A commit of a large call's answers (2,000 arXiv records are ~3 MB) would
otherwise copy and sync the whole log inside the commit, before any of those
answers is handed on; the copy is the store's thread's work, and closing the
store waits for it.
"""

from __future__ import annotations

import os
from pathlib import Path

from paperfuse._store import CHECKPOINT_BYTES, Store


def _big_rows(count: int, size: int) -> list[tuple[str, bytes]]:
    return [(f"key-{n}", os.urandom(size)) for n in range(count)]


def test_commits_do_not_checkpoint_but_the_store_thread_does(tmp_path: Path) -> None:
    store = Store(tmp_path / "paperfuse.sqlite3")
    connection = store.connection
    assert connection.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    written = 0
    for round_ in range(3):
        rows = _big_rows(400, 4096)
        store.put_many(f"table-{round_}", rows)
        written += sum(len(value) for _, value in rows)
    assert written > CHECKPOINT_BYTES
    assert store._checkpointer is not None
    store._checkpointer.join(timeout=30)
    # The log's pages reached the file while the store's connection stayed open.
    assert (tmp_path / "paperfuse.sqlite3").stat().st_size >= CHECKPOINT_BYTES
    store.close()
    again = Store(tmp_path / "paperfuse.sqlite3")
    assert sum(again.count(f"table-{n}") for n in range(3)) == 1200
    again.close()


def test_a_small_write_starts_no_checkpoint(tmp_path: Path) -> None:
    store = Store(tmp_path / "paperfuse.sqlite3")
    store.put_many("small", _big_rows(3, 100))
    assert store._checkpointer is None
    store.close()


def test_close_waits_for_the_checkpoint_and_leaves_every_answer_in_the_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "paperfuse.sqlite3"
    store = Store(path)
    store.put_many("big", _big_rows(600, 8192))
    store.close()
    assert store._checkpointer is not None
    assert not store._checkpointer.is_alive()
    wal = Path(f"{path}-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # all of it in the file
    assert path.stat().st_size >= 600 * 8192


def test_writes_after_a_checkpoint_start_no_other_until_the_log_grows_again(
    tmp_path: Path,
) -> None:
    """A long import commits each call's answers: once a checkpoint has emptied the
    log, small commits must not each start another."""
    store = Store(tmp_path / "paperfuse.sqlite3")
    store.put_many("big", _big_rows(600, 8192))
    first = store._checkpointer
    assert first is not None
    first.join(timeout=30)
    for n in range(20):
        store.put_many("small", [(f"key-{n}", b"x" * 100)])
    assert store._checkpointer is first
    store.close()
