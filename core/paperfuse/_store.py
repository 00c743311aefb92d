"""The embedded store: one SQLite file in the user cache folder.

It keeps what must outlive a run: counters (a source's calls today, against
its daily budget) and tables that sources fill (an Unpaywall snapshot's
index, say). The file is opened in WAL mode, so that two processes can share
it; a file that SQLite cannot read is set aside with a warning and a new one
is made, never a crash.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

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


def default_store_path(cache_dir: str | None) -> Path:
    """The store's file: in ``cache_dir`` or the platform's user cache folder."""
    if cache_dir:
        return Path(cache_dir) / _FILE_NAME
    import platformdirs

    return platformdirs.user_cache_path("paperfuse") / _FILE_NAME


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the store at ``path``, made ready (WAL, waits on locks)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=30.0, check_same_thread=False, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.executescript(_SCHEMA)
    return connection


class Store:
    """The embedded SQLite store of one resolver (opened on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @property
    def connection(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = self._open()
        return self._connection

    def _open(self) -> sqlite3.Connection:
        try:
            return connect(self.path)
        except sqlite3.DatabaseError as e:
            aside = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
            log.warning("the store %s cannot be read (%s); set aside as %s", self.path, e, aside)
            for suffix in ("", "-wal", "-shm"):
                part = Path(f"{self.path}{suffix}")
                if part.exists():
                    part.replace(Path(f"{aside}{suffix}"))
            return connect(self.path)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            connection = self.connection
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def increment(self, name: str, by: int = 1) -> int:
        """Add ``by`` to counter ``name`` (atomically, across processes); the new value."""
        with self._transaction() as connection:
            row = connection.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value "
                "RETURNING value",
                (name, by),
            ).fetchone()
        return int(row[0])

    def claim(self, name: str, want: int, limit: int) -> tuple[int, int]:
        """Take up to ``want`` units of counter ``name`` without passing ``limit``.

        Atomic across processes. Returns the counter's value before, and how
        many units were taken (0 when the limit is reached).
        """
        with self._transaction() as connection:
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

    def counter(self, name: str) -> int:
        """The value of counter ``name`` (0 when never counted)."""
        with self._lock:
            row = self.connection.execute(
                "SELECT value FROM counters WHERE name = ?", (name,)
            ).fetchone()
        return int(row[0]) if row else 0

    def get(self, namespace: str, key: str) -> bytes | None:
        with self._lock:
            row = self.connection.execute(
                "SELECT value FROM entries WHERE namespace = ? AND key = ?", (namespace, key)
            ).fetchone()
        return bytes(row[0]) if row else None

    def put_many(self, namespace: str, items: Iterable[tuple[str, bytes]]) -> int:
        """Store ``(key, value)`` pairs under ``namespace``; how many were written."""
        rows = [(namespace, key, value) for key, value in items]
        with self._transaction() as connection:
            connection.executemany(
                "INSERT OR REPLACE INTO entries (namespace, key, value) VALUES (?, ?, ?)", rows
            )
        return len(rows)

    def count(self, namespace: str) -> int:
        with self._lock:
            row = self.connection.execute(
                "SELECT count(*) FROM entries WHERE namespace = ?", (namespace,)
            ).fetchone()
        return int(row[0])

    def clear(self, namespace: str) -> None:
        with self._transaction() as connection:
            connection.execute("DELETE FROM entries WHERE namespace = ?", (namespace,))

    # -- the answer cache (see _cache.py) ------------------------------------------------

    def fetch_answer(self, source: str, key: str, now: float) -> tuple[str, bytes] | None:
        """``(status, body)`` of an unexpired cached answer, or None."""
        with self._lock:
            row = self.connection.execute(
                "SELECT status, body FROM answers WHERE source = ? AND key = ? AND expires > ?",
                (source, key, now),
            ).fetchone()
        return (row[0], bytes(row[1])) if row else None

    def store_answers(self, rows: Iterable[tuple[str, str, str, bytes, float, float]]) -> None:
        """Write ``(source, key, status, body, fetched, expires)`` rows at once."""
        with self._transaction() as connection:
            connection.executemany(
                "INSERT OR REPLACE INTO answers (source, key, status, body, fetched, expires)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def answer_counts(self, now: float) -> dict[str, dict[str, int]]:
        """Per source: answers found, not found, and expired."""
        counts: dict[str, dict[str, int]] = {}
        with self._lock:
            rows = self.connection.execute(
                "SELECT source, status, expires > ?, count(*) FROM answers"
                " GROUP BY source, status, expires > ?",
                (now, now),
            ).fetchall()
        for source, status, fresh, count in rows:
            entry = counts.setdefault(source, {"found": 0, "not_found": 0, "expired": 0})
            if not fresh:
                entry["expired"] += count
            else:
                entry["found" if status == "ok" else "not_found"] += count
        return counts

    def counters(self) -> dict[str, int]:
        with self._lock:
            rows = self.connection.execute("SELECT name, value FROM counters").fetchall()
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
        with self._transaction() as connection:
            return connection.execute(f"DELETE FROM answers{where}", params).rowcount

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def _write(connection: sqlite3.Connection, rows: list[tuple[str, str, bytes]]) -> int:
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(
        "INSERT OR REPLACE INTO entries (namespace, key, value) VALUES (?, ?, ?)", rows
    )
    connection.execute("COMMIT")
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
        connection = connect(self._store.path)
        written = 0
        batch: list[tuple[str, str, bytes]] = []
        try:
            for key, value in items:
                batch.append((self.namespace, key, value))
                if len(batch) >= chunk:
                    written += _write(connection, batch)
                    batch = []
            written += _write(connection, batch)
        finally:
            connection.close()
        return written

    def count(self) -> int:
        """How many keys this part holds."""
        return self._store.count(self.namespace)

    def clear(self) -> None:
        """Forget every key of this part."""
        self._store.clear(self.namespace)
