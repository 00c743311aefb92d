"""Data snapshots indexed on DuckDB: millions of records, answered in batches.

A data snapshot (Unpaywall's, say: ~160 million JSON objects, one a line,
gzipped) is too big for the answer cache's row-per-key SQLite table. A
:class:`SnapshotIndex` reads the files with DuckDB (its CSV reader takes one
line as one text value, gzip or not, on all cores) into one DuckDB database
in the cache folder: a few typed columns per record, which a source names
(an Unpaywall record's ``is_oa``, ``oa_status``, ``year``...), beside the raw
object, from which the record is mapped at look-up.

- **Per file, and resumable**: each file is indexed in one transaction that
  ends by recording its size and modification time. A file so recorded is
  never read again; an interrupted index (a kill, a full disk) rolls back
  the file it was on and starts again from that file. A file that changed
  (size or modification time) is indexed again; a file no longer named is
  forgotten.
- **Flat memory**: DuckDB streams the files and spills to disk past
  :data:`MEMORY_LIMIT`.
- **Hostile lines** (not UTF-8, not JSON, not an object, a key that is not a
  string, nested too deep) are skipped. A file DuckDB cannot read to its end
  (a gzip cut short) is read again line by line in Python, which keeps the
  lines before the break and says where it broke.
- **Look-ups in batches**: :meth:`SnapshotIndex.lookup` answers hundreds of
  keys in one query. A key held by several files (a snapshot and its
  change files) answers with its most recently ``updated`` record.

The database is opened read-only while nothing needs indexing, so that
several processes (the workers of a Dask cluster) can share it; indexing
takes the write lock, which waits for other writers.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import logging
import os
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

__all__ = ["MEMORY_LIMIT", "SnapshotFile", "SnapshotIndex", "snapshot_database", "snapshot_files"]

log = logging.getLogger("paperfuse")

#: Most memory DuckDB may use while indexing or looking up; beyond it, it spills to disk.
MEMORY_LIMIT = "1GB"
#: Seconds to wait for another process that holds the index's write lock.
LOCK_WAIT = 600.0
#: Most files indexed side by side (at most one per core). One: on 2 cores DuckDB's
#: insert already takes the second core, and two files at once were no faster
#: (docs/benchmarks.md); raise it on machines with more cores.
FILES_AT_ONCE = 1
#: Lines per batch on the line-by-line path (a file DuckDB cannot read to its end).
_BATCH_LINES = 20_000
#: Suffixes of snapshot files in a folder.
_SUFFIXES = (".jsonl", ".jsonl.gz", ".json.gz", ".ndjson", ".ndjson.gz", ".gz")


class SnapshotFile(msgspec.Struct, frozen=True, kw_only=True):
    """One indexed snapshot file, as ``paperfuse snapshot info`` shows it."""

    path: str
    size: int
    mtime_ns: int
    records: int
    seconds: float
    complete: bool = True  # False when the file broke off and only its first lines are indexed


def snapshot_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The snapshot files named by ``paths``: files as given, folders' files sorted by name.

    A folder stands for the JSON Lines files in it (``*.jsonl``,
    ``*.jsonl.gz``, ``*.gz``...), the layout of Unpaywall's data feed and
    OpenAlex's partitions. Paths are made absolute, duplicates dropped.
    """
    found: dict[Path, None] = {}
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.name.endswith(_SUFFIXES):
                    found[child.resolve()] = None
        else:
            found[path.resolve()] = None
    return list(found)


def snapshot_database(cache_dir: str | None, name: str) -> Path:
    """Where the snapshot index of source ``name`` lives: ``snapshots/<name>.duckdb``.

    In the folder of the embedded store (``cache_dir``, or the platform's
    user cache folder), beside the answer cache.
    """
    from ._store import default_store_path

    return default_store_path(cache_dir).parent / "snapshots" / f"{name}.duckdb"


class SnapshotIndex:
    """A DuckDB database of snapshot records: a key, typed columns, and the raw object.

    ``columns`` maps a column's name to its DuckDB type; each is read from
    the top-level field of the same name (a value that does not fit the
    type is NULL). ``key`` is the field that records are looked up by,
    stored lower case and trimmed; ``updated`` the field whose greatest value
    wins when files hold the same key twice.
    """

    def __init__(
        self,
        database: Path,
        *,
        key: str = "doi",
        columns: Mapping[str, str] | None = None,
        updated: str | None = "updated",
    ) -> None:
        self.database = database
        self.key = key
        self.columns = dict(columns or {})
        self.updated = updated
        self._reader: Any = None

    # -- indexing ---------------------------------------------------------------------

    def stale(self, files: Sequence[Path]) -> list[Path]:
        """Which of ``files`` are not indexed as they are now (new, changed, or cut short)."""
        if not self.database.exists():
            return list(files)
        known = {f.path: f for f in self.files()}
        stale = []
        for path in files:
            stat = path.stat()
            entry = known.get(str(path))
            if entry is None or (entry.size, entry.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
                stale.append(path)
        return stale

    def index(
        self,
        files: Sequence[Path],
        *,
        progress: Callable[[Path, int], None] | None = None,
        forget_others: bool = True,
    ) -> list[SnapshotFile]:
        """Index each of ``files`` that is not indexed as it is now; the files indexed.

        Files already indexed with their present size and modification time
        are not read. ``forget_others`` drops the records of files no longer
        named (the snapshot is the files given). ``progress(path, records)``
        is called after each file.
        """
        for path in files:
            if not path.is_file():
                raise FileNotFoundError(f"snapshot file not found: {path}")
        self.close()
        with self._writer(files, forget_others) as connection:
            if connection is None:
                return []
            known = {
                row[0]: (row[1], row[2])
                for row in connection.execute("SELECT path, size, mtime_ns FROM files").fetchall()
            }
            if forget_others:
                named = {str(p) for p in files}
                for gone in sorted(set(known) - named):
                    log.info("forgetting the snapshot file %s (no longer named)", gone)
                    self._forget(connection, gone)
            stale = [
                (path, stat)
                for path, stat in ((p, p.stat()) for p in files)
                if known.get(str(path)) != (stat.st_size, stat.st_mtime_ns)
            ]
            done = self._index_files(connection, stale, progress)
        order = {str(p): n for n, p in enumerate(files)}
        return sorted(done, key=lambda f: order[f.path])

    def _index_files(
        self,
        connection: Any,
        stale: list[tuple[Path, os.stat_result]],
        progress: Callable[[Path, int], None] | None,
    ) -> list[SnapshotFile]:
        """Index files, :data:`FILES_AT_ONCE` side by side (a gzip is read on one core).

        Each file has its own cursor and transaction. On the first failure or
        interruption the files not begun are not begun and those under way are
        interrupted, so that each rolls back whole.
        """
        from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

        done: list[SnapshotFile] = []
        if not stale:
            return done
        workers = max(1, min(len(stale), os.cpu_count() or 1, FILES_AT_ONCE))
        cursors = [connection.cursor() for _ in range(workers)]
        free = list(cursors)

        def one(path: Path, stat: os.stat_result) -> SnapshotFile:
            cursor = free.pop()
            try:
                return self._index_file(cursor, path, stat)
            finally:
                free.append(cursor)

        pool = ThreadPoolExecutor(workers, thread_name_prefix="paperfuse-snapshot")
        futures = {pool.submit(one, path, stat): path for path, stat in stale}
        try:
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in finished:
                    entry = future.result()
                    done.append(entry)
                    if progress is not None:
                        progress(futures[future], entry.records)
        except BaseException:
            for future in futures:
                future.cancel()
            for cursor in cursors:
                with contextlib.suppress(Exception):
                    cursor.interrupt()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            for cursor in cursors:
                cursor.close()
        return done

    def _index_file(self, connection: Any, path: Path, stat: os.stat_result) -> SnapshotFile:
        """Index one file in one transaction: its old records out, its records in, its stamp."""
        import duckdb

        started = time.perf_counter()
        log.info("indexing the snapshot file %s", path)
        complete = True
        connection.execute("BEGIN TRANSACTION")
        try:
            self._forget(connection, str(path))
            try:
                connection.execute(self._insert_sql(self._read_lines_sql(path)), [str(path)])
            except (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException):
                # DuckDB gives up on a whole file that breaks off; read it line by line.
                connection.execute("ROLLBACK")
                connection.execute("BEGIN TRANSACTION")
                self._forget(connection, str(path))
                complete = self._insert_lines(connection, path)
            records, skipped = connection.execute(
                "SELECT count(key), count(*) - count(key) FROM records WHERE file = ?", [str(path)]
            ).fetchone()
            seconds = time.perf_counter() - started
            connection.execute(
                "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?)",
                [str(path), stat.st_size, stat.st_mtime_ns, records, seconds, complete],
            )
            connection.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                connection.execute("ROLLBACK")
            raise
        log.info("indexed %s records of %s in %.1f s", f"{records:,}", path, seconds)
        if skipped:
            log.warning(
                "%s lines of the snapshot %s could not be read and were skipped", skipped, path
            )
        return SnapshotFile(
            path=str(path),
            size=stat.st_size,
            mtime_ns=stat.st_mtime_ns,
            records=records,
            seconds=seconds,
            complete=complete,
        )

    @staticmethod
    def _forget(connection: Any, path: str) -> None:
        connection.execute("DELETE FROM records WHERE file = ?", [path])
        connection.execute("DELETE FROM files WHERE path = ?", [path])

    @staticmethod
    def _read_lines_sql(path: Path) -> str:
        """DuckDB's CSV reader taking each line whole as ``line`` (no quoting, no separator)."""
        literal = str(path).replace("'", "''")
        return (
            f"read_csv('{literal}', columns = {{'line': 'VARCHAR'}}, header = false,"
            " delim = '\\x01', quote = '', escape = '', auto_detect = false,"
            " ignore_errors = true, max_line_size = 16777216, buffer_size = 33554432,"
            " parallel = true)"
        )

    def _insert_sql(self, lines: str) -> str:
        """Insert the lines of ``lines`` (a relation with a ``line`` column) as records.

        A line that is not a JSON object with a non-empty string key is kept
        as a row with no key and no raw object, so that the skipped lines can
        be counted in the same pass; look-ups never match it.
        """
        fields = ", ".join(f"'{f}'" for f in [self.key, *self.columns])
        typed = "".join(
            f", j[{i + 2}] ->> '$'"
            if kind == "VARCHAR"
            else f", TRY_CAST(j[{i + 2}] ->> '$' AS {kind})"
            for i, kind in enumerate(self.columns.values())
        )
        # One parse of each line (TRY: NULL for a line that is not JSON). Only an
        # object has fields, so a key that is a JSON string means an object; the
        # line itself is never copied (no trim of it: lines are kilobytes).
        return (
            "INSERT INTO records SELECT CASE WHEN ok THEN lower(trim(j[1] ->> '$')) END, $1"
            f"{typed}, CASE WHEN ok THEN line END FROM ("
            " SELECT line, j, coalesce(json_type(j[1]) = 'VARCHAR'"
            "  AND length(trim(j[1] ->> '$')) > 0, false) AS ok"
            f" FROM (SELECT line, TRY(json_extract(line, [{fields}])) AS j"
            f"  FROM {lines} WHERE line IS NOT NULL AND line <> ''))"
        )

    def _insert_lines(self, connection: Any, path: Path) -> bool:
        """Insert ``path`` line by line (valid UTF-8 lines only); False when it breaks off."""
        insert = self._insert_sql("(SELECT unnest($2::VARCHAR[]) AS line)")
        complete = True
        batch: list[str] = []
        for line in _text_lines(path):
            if line is None:
                complete = False
                break
            batch.append(line)
            if len(batch) >= _BATCH_LINES:
                connection.execute(insert, [str(path), batch])
                batch = []
        if batch:
            connection.execute(insert, [str(path), batch])
        return complete

    # -- look-ups ---------------------------------------------------------------------

    def lookup(self, keys: Iterable[str]) -> dict[str, str]:
        """The raw record (JSON text) of each of ``keys`` that the snapshot holds.

        Keys are compared lower case and trimmed; the answer is keyed by the
        keys as given. One query for the whole batch.
        """
        wanted: dict[str, list[str]] = {}
        for key in keys:
            wanted.setdefault(key.strip().lower(), []).append(key)
        if not wanted or not self.database.exists():
            return {}
        latest = (
            f"arg_max(raw, coalesce(CAST({_quote(self.updated)} AS VARCHAR), ''))"
            if self.updated and self.updated in self.columns
            else "any_value(raw)"
        )
        connection = self._connection()
        # Two steps: the rows of the keys, reading the key column alone; then their
        # raw objects, reading only the vectors that hold those rows.
        rows = connection.execute(
            "SELECT rowid FROM records WHERE key IN (SELECT unnest($1::VARCHAR[]))",
            [list(wanted)],
        ).fetchall()
        if not rows:
            return {}
        answers = connection.execute(
            f"SELECT key, {latest} FROM records WHERE rowid IN (SELECT unnest($1::BIGINT[]))"
            " GROUP BY key",
            [[r[0] for r in rows]],
        )
        found: dict[str, str] = {}
        for key, raw in answers.fetchall():
            for given in wanted[key]:
                found[given] = raw
        return found

    def _connection(self) -> Any:
        """The read-only connection of look-ups (opened on first use)."""
        if self._reader is None:
            import duckdb

            self._reader = _retry_on_lock(
                lambda: duckdb.connect(
                    str(self.database), read_only=True, config={"memory_limit": MEMORY_LIMIT}
                )
            )
        return self._reader

    # -- what it holds ----------------------------------------------------------------

    def files(self) -> list[SnapshotFile]:
        """The files indexed, by path."""
        if not self.database.exists():
            return []
        rows = self._connection().execute(
            "SELECT path, size, mtime_ns, records, seconds, complete FROM files ORDER BY path"
        )
        return [
            SnapshotFile(path=p, size=s, mtime_ns=m, records=r, seconds=t, complete=c)
            for p, s, m, r, t, c in rows.fetchall()
        ]

    def counts(self, column: str) -> dict[str, int]:
        """Records per value of one typed column (``oa_status``...), most common first."""
        if column not in self.columns or not self.database.exists():
            return {}
        rows = self._connection().execute(
            f"SELECT CAST({_quote(column)} AS VARCHAR) AS v, count(*) AS n FROM records"
            " WHERE key IS NOT NULL"
            " GROUP BY v ORDER BY n DESC"
        )
        return {str(v): int(n) for v, n in rows.fetchall()}

    def close(self) -> None:
        """Close the look-up connection (indexing and other processes may then write)."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    # -- the database -----------------------------------------------------------------

    def _current(self, files: Sequence[Path], forget_others: bool) -> bool:
        """Whether the index holds exactly ``files`` as they are now (False when unsure).

        Asked while another process holds the index: a process that reads it
        (read-only) shuts out writers for as long as it runs, so a worker
        that waits to index what another worker has indexed must see that
        there is nothing left to do rather than wait.
        """
        import duckdb

        try:
            connection = duckdb.connect(str(self.database), read_only=True)
        except duckdb.Error:
            return False  # being written: wait on
        try:
            known = {
                row[0]: (row[1], row[2])
                for row in connection.execute("SELECT path, size, mtime_ns FROM files").fetchall()
            }
        except duckdb.Error:
            return False
        finally:
            connection.close()
        now = {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in files}
        if forget_others:
            return known == now
        return all(known.get(path) == stamp for path, stamp in now.items())

    @contextlib.contextmanager
    def _writer(self, files: Sequence[Path], forget_others: bool) -> Iterator[Any]:
        """A read-write connection; None when another process made the index current."""
        import duckdb

        self.database.parent.mkdir(parents=True, exist_ok=True)
        connection = _retry_on_lock(
            lambda: duckdb.connect(
                str(self.database),
                config={"memory_limit": MEMORY_LIMIT, "preserve_insertion_order": False},
            ),
            needless=lambda: self._current(files, forget_others),
        )
        if connection is None:
            yield None
            return
        try:
            typed = "".join(f", {_quote(n)} {kind}" for n, kind in self.columns.items())
            connection.execute(
                "CREATE TABLE IF NOT EXISTS files (path VARCHAR PRIMARY KEY, size BIGINT,"
                " mtime_ns BIGINT, records BIGINT, seconds DOUBLE, complete BOOLEAN)"
            )
            connection.execute(
                "CREATE TABLE IF NOT EXISTS records"
                f" (key VARCHAR, file VARCHAR{typed}, raw VARCHAR)"
            )
            yield connection
            connection.execute("CHECKPOINT")
        finally:
            connection.close()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _retry_on_lock(
    connect: Callable[[], Any], *, needless: Callable[[], bool] | None = None
) -> Any:
    """``connect()``, waiting while another process holds the database's lock.

    ``needless()``, asked while waiting, says whether the connection is no
    longer needed (another process did the work): then None is returned.
    """
    import duckdb

    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            return connect()
        except duckdb.IOException as e:
            if "lock" not in str(e).lower() or time.monotonic() > deadline:
                raise
            if needless is not None and needless():
                return None
            time.sleep(0.2)


def _open(path: Path) -> io.BufferedIOBase:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else path.open("rb")  # type: ignore[return-value]


def _text_lines(path: Path) -> Iterator[str | None]:
    """The UTF-8 lines of ``path`` (others skipped); ``None`` last if the file breaks off."""
    number = 0
    with _open(path) as lines:
        try:
            for raw in lines:
                number += 1
                try:
                    yield raw.decode("utf-8").strip()
                except UnicodeDecodeError:
                    continue
        except (EOFError, OSError, zlib.error) as e:
            log.warning(
                "the snapshot %s breaks off after line %s (%s): the lines after it are not indexed",
                path,
                f"{number:,}",
                e,
            )
            yield None
