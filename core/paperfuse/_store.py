"""The embedded store: one SQLite file in the user cache folder.

It keeps what must outlive a run: counters (a source's calls today, against
its daily budget) and tables that sources fill (an Unpaywall snapshot's
index, say). The file is opened in WAL mode, so that two processes can share
it; a file that SQLite cannot read is set aside with a warning and a new one
is made, never a crash.

A store that cannot be used (its folder cannot be made or written, another
process holds it locked for longer than :data:`LOCK_WAIT`, it fails mid-run)
is never a reason to stop: it says so once and lives in memory for the rest
of the run, so that daily budgets and what sources remember still hold until
the run ends. Locked is not corrupt: a locked file is never set aside.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

__all__ = ["SourceStore", "Store", "default_store_path"]

log = logging.getLogger("paperfuse")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    status TEXT NOT NULL,
    body BLOB NOT NULL,
    fetched REAL NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY (source, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS entries (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
"""
_FILE_NAME = "paperfuse.sqlite3"
#: Seconds a store operation waits for another process's lock before giving up on the file.
LOCK_WAIT = 10.0
#: Bytes of write-ahead log past which its pages are copied into the file (SQLite's own
#: default is 1,000 pages), by a thread of the store's rather than by the commit.
CHECKPOINT_BYTES = 1000 * 4096
#: Seconds at most between a source's answers being stored and their commit to the file
#: (answers wait to be committed together; see :meth:`Store.store_answers`).
ANSWERS_WAIT = 0.25
#: Answers waiting that are committed at once, without waiting longer.
ANSWERS_AT_ONCE = 1000

Row = tuple[str, str, str, bytes, float, float]

T = TypeVar("T")


def default_store_path(cache_dir: str | None) -> Path:
    """The store's file: in ``cache_dir`` or the platform's user cache folder."""
    if cache_dir:
        return Path(cache_dir) / _FILE_NAME
    import platformdirs

    return platformdirs.user_cache_path("paperfuse") / _FILE_NAME


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection to the store at ``path``, made ready (WAL, waits on locks).

    ``":memory:"`` gives a store that lives as long as the connection.
    """
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(
        path, timeout=LOCK_WAIT, check_same_thread=False, isolation_level=None
    )
    # Two processes making a new file at once can be refused a lock at once, with
    # no wait (SQLite's busy handler is not asked where waiting could deadlock):
    # try again until the lock wait is spent.
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(_SCHEMA)
            return connection
        except sqlite3.OperationalError as e:
            if _is_locked(e) and time.monotonic() < deadline:
                time.sleep(0.02)
                continue
            connection.close()
            raise
        except BaseException:
            connection.close()
            raise


def _is_locked(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and (
        "locked" in str(error) or "busy" in str(error)
    )


def _is_corrupt(error: BaseException) -> bool:
    """Whether SQLite says the file is not a database it can read (not: cannot open it)."""
    return isinstance(error, sqlite3.DatabaseError) and not isinstance(
        error, sqlite3.OperationalError
    )


class Store:
    """The embedded SQLite store of one resolver (opened on first use).

    Every operation runs under one lock (the store is shared by the event
    loop and worker threads). ``in_memory`` tells whether the file could not
    be used and the store lives in memory for this run.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self.in_memory = False
        self._checkpointer: threading.Thread | None = None
        # Answers stored but not committed yet, by (source, key), and the timer that
        # commits them within ANSWERS_WAIT seconds.
        self._waiting: dict[tuple[str, str], Row] = {}
        self._committer: threading.Timer | None = None

    @property
    def connection(self) -> sqlite3.Connection:
        with self._lock:
            return self._ready()

    def _ready(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = self._open()
        return self._connection

    def _open(self) -> sqlite3.Connection:
        try:
            connection = connect(self.path)
            # A commit that passes SQLite's checkpoint size would copy the log into the
            # file (and sync it) before the answers it commits are handed on: the
            # store's own thread does it instead (see _checkpoint_soon).
            connection.execute("PRAGMA wal_autocheckpoint=0")
            # A log emptied by a checkpoint is cut back to nothing when it starts again,
            # so that its size says how much awaits the next checkpoint.
            connection.execute("PRAGMA journal_size_limit=0")
            return connection
        except (sqlite3.Error, OSError) as e:
            if not _is_corrupt(e):
                return self._in_memory(e)
            aside = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
            try:
                for suffix in ("", "-wal", "-shm"):
                    part = Path(f"{self.path}{suffix}")
                    if part.exists():
                        part.replace(Path(f"{aside}{suffix}"))
                connection = connect(self.path)
            except (sqlite3.Error, OSError) as again:
                return self._in_memory(again)
            log.warning("the store %s cannot be read (%s); set aside as %s", self.path, e, aside)
            return connection

    def _in_memory(self, error: BaseException) -> sqlite3.Connection:
        """Go on in memory for the rest of the run, and say so once."""
        if _is_locked(error):
            why = f"it is locked by another process (waited {LOCK_WAIT:g} s)"
        else:
            why = f"it cannot be used: {type(error).__name__}: {error}"
        log.warning(
            "the cache %s is not used: %s; going on without the cache for this run"
            " (daily budgets and what sources remember are kept in memory until it ends)",
            self.path,
            why,
        )
        self.in_memory = True
        return connect(":memory:")

    def _run(self, operation: Callable[[sqlite3.Connection], T], *, write: bool = False) -> T:
        """Run ``operation`` on the connection (in one transaction when it writes).

        A failure of the file goes on in memory, once; a failure in memory is
        a bug of paperfuse's and is raised.
        """
        with self._lock:
            return self._run_locked(operation, write)

    def _run_locked(self, operation: Callable[[sqlite3.Connection], T], write: bool) -> T:
        """:meth:`_run`, its caller holding the lock."""
        try:
            result = _attempt(self._ready(), operation, write)
        except (sqlite3.Error, OSError) as e:
            if self.in_memory:
                raise
            self._close_connection()
            self._connection = self._in_memory(e)
            return _attempt(self._connection, operation, write)
        if write and not self.in_memory:
            self._checkpoint_soon()
        return result

    def _checkpoint_soon(self) -> None:
        """Copy the write-ahead log into the file from a thread, once it passes
        :data:`CHECKPOINT_BYTES` (one such thread at a time; :meth:`close` waits for it)."""
        if self._checkpointer is not None and self._checkpointer.is_alive():
            return
        try:
            size = Path(f"{self.path}-wal").stat().st_size
        except OSError:
            return
        if size > CHECKPOINT_BYTES:
            self._checkpointer = threading.Thread(
                target=_checkpoint, args=(self.path,), name="paperfuse-store-checkpoint"
            )
            self._checkpointer.start()

    def _close_connection(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):  # a broken one is left to the collector
                self._connection.close()
            self._connection = None

    def increment(self, name: str, by: int = 1) -> int:
        """Add ``by`` to counter ``name`` (atomically, across processes); the new value."""

        def add(connection: sqlite3.Connection) -> int:
            row = connection.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value "
                "RETURNING value",
                (name, by),
            ).fetchone()
            return int(row[0])

        return self._run(add, write=True)

    def claim(self, name: str, want: int, limit: int) -> tuple[int, int]:
        """Take up to ``want`` units of counter ``name`` without passing ``limit``.

        Atomic across processes. Returns the counter's value before, and how
        many units were taken (0 when the limit is reached).
        """

        def take(connection: sqlite3.Connection) -> tuple[int, int]:
            row = connection.execute(
                "SELECT value FROM counters WHERE name = ?", (name,)
            ).fetchone()
            before = int(row[0]) if row else 0
            taken = max(0, min(want, limit - before))
            if taken:
                connection.execute(
                    "INSERT INTO counters (name, value) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                    (name, taken),
                )
            return before, taken

        return self._run(take, write=True)

    def counter(self, name: str) -> int:
        """The value of counter ``name`` (0 when never counted)."""
        row = self._run(
            lambda c: c.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        )
        return int(row[0]) if row else 0

    def get(self, namespace: str, key: str) -> bytes | None:
        row = self._run(
            lambda c: c.execute(
                "SELECT value FROM entries WHERE namespace = ? AND key = ?", (namespace, key)
            ).fetchone()
        )
        return bytes(row[0]) if row else None

    def put_many(self, namespace: str, items: Iterable[tuple[str, bytes]]) -> int:
        """Store ``(key, value)`` pairs under ``namespace``; how many were written."""
        rows = [(namespace, key, value) for key, value in items]
        self._run(lambda c: c.executemany(_PUT_ENTRY, rows), write=True)
        return len(rows)

    def count(self, namespace: str) -> int:
        row = self._run(
            lambda c: c.execute(
                "SELECT count(*) FROM entries WHERE namespace = ?", (namespace,)
            ).fetchone()
        )
        return int(row[0])

    def clear(self, namespace: str) -> None:
        self._run(
            lambda c: c.execute("DELETE FROM entries WHERE namespace = ?", (namespace,)),
            write=True,
        )

    # -- the answer cache (see _cache.py) ------------------------------------------------

    def fetch_answer(self, source: str, key: str, now: float) -> tuple[str, bytes] | None:
        """``(status, body)`` of an unexpired cached answer, or None."""
        with self._lock:
            waiting = self._waiting.get((source, key))
        if waiting is not None:
            return (waiting[2], waiting[3]) if waiting[5] > now else None
        row = self._run(
            lambda c: c.execute(
                "SELECT status, body FROM answers WHERE source = ? AND key = ? AND expires > ?",
                (source, key, now),
            ).fetchone()
        )
        return (row[0], bytes(row[1])) if row else None

    def has_answers(self, source: str) -> bool:
        """Whether any answer of ``source`` is stored, expired or not."""
        with self._lock:
            if any(waiting == source for waiting, _ in self._waiting):
                return True
        row = self._run(
            lambda c: c.execute(
                "SELECT 1 FROM answers WHERE source = ? LIMIT 1", (source,)
            ).fetchone()
        )
        return row is not None

    def store_answers(self, rows: Iterable[Row]) -> None:
        """Store ``(source, key, status, body, fetched, expires)`` rows.

        They are read back at once (by this store), and committed to the file
        together with the answers stored around them: within
        :data:`ANSWERS_WAIT` seconds, at once when :data:`ANSWERS_AT_ONCE`
        wait, and on :meth:`commit_answers` and :meth:`close`. A commit per
        call cost a transaction and a rewrite of the pages it touched for every
        few answers (a twentieth of a large batch's CPU); a process killed meanwhile
        loses at most the last quarter second of answers, which a rerun asks again.
        """
        with self._lock:
            for row in rows:
                self._waiting[(row[0], row[1])] = row
            if len(self._waiting) >= ANSWERS_AT_ONCE or self.in_memory:
                self._commit_waiting()
            elif self._waiting and self._committer is None:
                self._committer = threading.Timer(ANSWERS_WAIT, self.commit_answers)
                self._committer.name = "paperfuse-store-answers"
                self._committer.daemon = True
                self._committer.start()

    def commit_answers(self) -> None:
        """Commit the answers that wait to the file now."""
        with self._lock:
            self._commit_waiting()

    def _commit_waiting(self) -> None:
        """Commit the waiting answers (the caller holds the lock); stop the timer."""
        if self._committer is not None:
            self._committer.cancel()
            self._committer = None
        if not self._waiting:
            return
        rows, self._waiting = list(self._waiting.values()), {}
        try:
            self._run_locked(
                lambda c: c.executemany(
                    "INSERT OR REPLACE INTO answers"
                    " (source, key, status, body, fetched, expires) VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                ),
                True,
            )
        except Exception as e:  # the answers were delivered: a cache problem never stops a run
            log.warning("%d answers could not be cached: %s: %s", len(rows), type(e).__name__, e)

    def answer_counts(self, now: float) -> dict[str, dict[str, int]]:
        """Per source: answers found, not found, and expired."""
        self.commit_answers()
        counts: dict[str, dict[str, int]] = {}
        rows = self._run(
            lambda c: c.execute(
                "SELECT source, status, expires > ?, count(*) FROM answers"
                " GROUP BY source, status, expires > ?",
                (now, now),
            ).fetchall()
        )
        for source, status, fresh, count in rows:
            entry = counts.setdefault(source, {"found": 0, "not_found": 0, "expired": 0})
            if not fresh:
                entry["expired"] += count
            else:
                entry["found" if status == "ok" else "not_found"] += count
        return counts

    def counters(self) -> dict[str, int]:
        rows = self._run(lambda c: c.execute("SELECT name, value FROM counters").fetchall())
        return {name: int(value) for name, value in rows}

    def delete_answers(self, source: str | None, expired_before: float | None) -> int:
        """Delete cached answers (of ``source``; only those expired by ``expired_before``)."""
        clauses, params = [], []
        if source is not None:
            clauses.append("source = ?")
            params.append(source)
        if expired_before is not None:
            clauses.append("expires <= ?")
            params.append(expired_before)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        self.commit_answers()
        return self._run(
            lambda c: c.execute(f"DELETE FROM answers{where}", params).rowcount, write=True
        )

    def close(self) -> None:
        """Commit the waiting answers, finish the checkpoint under way, close the file."""
        self.commit_answers()
        if self._checkpointer is not None:
            self._checkpointer.join()
        with self._lock:
            self._close_connection()


_PUT_ENTRY = "INSERT OR REPLACE INTO entries (namespace, key, value) VALUES (?, ?, ?)"


def _attempt(
    connection: sqlite3.Connection, operation: Callable[[sqlite3.Connection], T], write: bool
) -> T:
    if not write:
        return operation(connection)
    connection.execute("BEGIN IMMEDIATE")
    try:
        result = operation(connection)
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return result


def _checkpoint(path: Path) -> None:
    """Copy what the write-ahead log holds into the store's file, as far as readers allow.

    Over a connection of its own, so that the store's work goes on meanwhile. A
    checkpoint that cannot run now is left to the next one, or to the close of
    the last connection, which SQLite makes copy the whole log.
    """
    try:
        connection = sqlite3.connect(path, timeout=LOCK_WAIT, isolation_level=None)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            connection.close()
    except sqlite3.Error as e:
        log.debug("store checkpoint of %s left for later: %s", path, e)


def _write(connection: sqlite3.Connection, rows: list[tuple[str, str, bytes]]) -> int:
    _attempt(connection, lambda c: c.executemany(_PUT_ENTRY, rows), True)
    return len(rows)


class SourceStore:
    """A source's own part of the embedded store: keys to bytes, kept across runs.

    Sources get one as ``context.store``; ``table(name)`` gives another part
    of the same source's space (a snapshot index, a list of seen ids).
    """

    def __init__(self, store: Store, namespace: str) -> None:
        self._store = store
        self.namespace = namespace

    def table(self, name: str) -> SourceStore:
        """Another named part of this source's space."""
        return SourceStore(self._store, f"{self.namespace}/{name}")

    def get(self, key: str) -> bytes | None:
        """The value stored under ``key``, or None."""
        return self._store.get(self.namespace, key)

    def put(self, key: str, value: bytes) -> None:
        """Store ``value`` under ``key``, replacing what was there."""
        self._store.put_many(self.namespace, [(key, value)])

    def put_many(self, items: Iterable[tuple[str, bytes]]) -> int:
        """Store many pairs in one transaction; how many were written."""
        return self._store.put_many(self.namespace, items)

    async def fill(self, items: Iterable[tuple[str, bytes]], *, chunk: int = 10_000) -> int:
        """Store very many pairs without holding up the event loop; how many were written.

        The pairs are written from a worker thread over a connection of its
        own, committed every ``chunk`` pairs, so that a large index (a data
        snapshot of millions of records) can be built while other work goes on.
        """
        import asyncio

        return await asyncio.to_thread(self._fill, items, chunk)

    def _fill(self, items: Iterable[tuple[str, bytes]], chunk: int) -> int:
        if self._store.in_memory:  # no file to open a second connection on
            return sum(self._store.put_many(self.namespace, part) for part in _chunks(items, chunk))
        connection = connect(self._store.path)
        try:
            return sum(
                _write(connection, [(self.namespace, k, v) for k, v in part])
                for part in _chunks(items, chunk)
            )
        finally:
            connection.close()

    def count(self) -> int:
        """How many keys this part holds."""
        return self._store.count(self.namespace)

    def clear(self) -> None:
        """Forget every key of this part."""
        self._store.clear(self.namespace)


def _chunks(items: Iterable[T], size: int) -> Iterable[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
