"""Data snapshots indexed on DuckDB: millions of records, answered in batches.

A data snapshot (Unpaywall's, say: ~160 million JSON objects, one a line,
gzipped) is too big for the answer cache's row-per-key SQLite table. A
:class:`SnapshotIndex` reads the files once into one DuckDB database in the
cache folder: a few typed columns per record, which a source names (an
Unpaywall record's ``is_oa``, ``oa_status``, ``year``...), beside the raw
object, from which the record is mapped at look-up.

- **Fast**: the files are read in one pass (gzip through ISA-L when the
  ``isal`` package is there), in batches of lines that DuckDB parses for the
  key and typed columns while the next batch is read. The raw objects go,
  compressed (zstd, with a dictionary trained on the index's first lines),
  into an SQLite file beside the database (:attr:`SnapshotIndex.raw_store`),
  keyed by an id that DuckDB's row holds: DuckDB writes kilobyte strings
  slowly and reads a 256 kB block to fetch one, where SQLite appends them
  in order and reads one 4 kB page (docs/benchmarks.md).
- **Per file, and resumable**: each file is indexed in one transaction that
  ends by recording its size and modification time. A file so recorded is
  never read again; an interrupted index (a kill, a full disk) rolls back
  the file it was on and starts again from that file. A file that changed
  (size or modification time) is indexed again; a file no longer named is
  forgotten.
- **Flat memory**: a few batches of lines at a time in Python (a few tens of
  MB), and DuckDB spills to disk past :data:`MEMORY_LIMIT`.
- **Hostile lines** (not UTF-8, not JSON, not an object, a key that is not a
  string, nested too deep) are skipped and counted. A file that breaks off
  (a gzip cut short) keeps the lines before the break and says where it broke.
- **Look-ups in batches, by a key index**: :meth:`SnapshotIndex.lookup`
  answers hundreds of keys a query from a B-tree of the keys' 63-bit hashes
  (DuckDB's ``hash``) and their records' ids, table ``keys`` of the raw
  store, which a batch probes hash by hash: a look-up reads a few pages
  whatever the size of the index, in a few MB of SQLite's page cache. A
  hash found is checked against the key of the raw object it points to, so
  that two keys that share a hash never answer for each other. (DuckDB's
  own answer, a join with the whole key column, reads every key once a
  batch, and its ART index would have to fit in memory: docs/benchmarks.md.)
  The key index of a file is built after the file is indexed, from its
  hashes in sorted order, in a transaction of its own that ends by naming
  the file and its ids in table ``keyed``: an interruption leaves the file
  without keys, which the next index builds (until then, look-ups join
  with the key column, as they did before there was a key index). A key
  held by several files (a snapshot and its change files) answers with its
  most recently ``updated`` record (the latest indexed on a tie).

The database is opened read-only while nothing needs indexing, so that
several processes (the workers of a Dask cluster) can share it; indexing
takes the write lock, which waits for other writers. An index written by an
older paperfuse (raw objects as text) is indexed again, whole.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import io
import logging
import os
import queue
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

__all__ = ["MEMORY_LIMIT", "SnapshotFile", "SnapshotIndex", "snapshot_database", "snapshot_files"]

log = logging.getLogger("paperfuse")

#: Most memory DuckDB may use while indexing or looking up; beyond it, it spills to disk.
#: With the batches of lines in Python, an index runs in about 400 MB (docs/benchmarks.md).
MEMORY_LIMIT = "256MB"
#: Seconds to wait for another process that holds the index's write lock.
LOCK_WAIT = 600.0
#: Most files indexed side by side (at most one per core). One: on 2 cores DuckDB's
#: insert already takes the second core, and two files at once were no faster
#: (docs/benchmarks.md); raise it on machines with more cores.
FILES_AT_ONCE = 1
#: Bytes of text read per batch of lines (a batch is parsed by DuckDB while the next is read).
_BATCH_BYTES = 8 << 20
#: Batches read ahead of DuckDB's insert (each holds its lines and their compressed copies).
_AHEAD = 2
#: Lines and bytes of the first file that train the zstd dictionary of the raw objects.
_TRAIN_LINES = 4_000
_TRAIN_BYTES = 32 << 20
#: Size of that dictionary (zstd's default).
_DICTIONARY_BYTES = 112_640
#: zstd's level for the raw objects: with the dictionary, 1 keeps ~6.8x on recorded records
#: (3: ~7.3x) and compresses ~1.4x faster; compression is the reading thread's biggest cost.
_LEVEL = 1
#: The layout of the database; an index of another layout is indexed again.
_LAYOUT = 2
#: Raw objects asked of the raw store in one query (SQLite's variables a statement).
_IDS_A_QUERY = 500
#: The layout of the key index in the raw store (its ``user_version``); a key index of
#: another layout, or hashed by another DuckDB's ``hash``, is built again from DuckDB's
#: key column (the files are not read again).
_KEYS_LAYOUT = 1
#: A key's hash in the key index: DuckDB's 64-bit ``hash``, less its lowest bit (SQLite's
#: integers are signed 64-bit).
_HASH = "(hash({}) >> 1)::BIGINT"
#: What DuckDB's hash of this text is says which hash function built a key index.
_HASH_PROBE = "paperfuse: the hash of the key index"
#: Keys moved from DuckDB into the key index (or out of it) a fetch.
_KEYS_A_FETCH = 100_000
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
    wins when files hold the same key twice. The raw object is stored in
    :attr:`raw_store`, compressed with zstd and the dictionary of the
    ``meta`` table, beside the key index (hashes of the keys, and ids) that
    :meth:`lookup` probes; :meth:`lookup` gives the raw object back as text.
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
        self._raw_reader: sqlite3.Connection | None = None
        self._decompressor: Any = None
        self._keys_ready = False
        self._stamp_decoder: Any = None

    @property
    def raw_store(self) -> Path:
        """The SQLite file of the raw objects, beside the database: ``<database>.raw``."""
        return self.database.with_name(self.database.name + ".raw")

    # -- indexing ---------------------------------------------------------------------

    def stale(self, files: Sequence[Path]) -> list[Path]:
        """Which of ``files`` are not indexed as they are now (new, changed, or cut short),
        or whose keys are not in the key index yet (which :meth:`index` builds
        without reading the files again)."""
        if not self.database.exists():
            return list(files)
        if self._layout() != _LAYOUT:
            return list(files)  # an older layout: indexed again, whole
        known = {f.path: f for f in self.files()}
        keyed = self._keyed_paths()
        stale = []
        for path in files:
            stat = path.stat()
            entry = known.get(str(path))
            if (
                entry is None
                or (entry.size, entry.mtime_ns) != (stat.st_size, stat.st_mtime_ns)
                or str(path) not in keyed  # indexed, but its keys are not (yet) in the key index
            ):
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
                    self._unkey(connection, gone)
                    self._forget(connection, gone)
            stale = [
                (path, stat)
                for path, stat in ((p, p.stat()) for p in files)
                if known.get(str(path)) != (stat.st_size, stat.st_mtime_ns)
            ]
            done = self._index_files(connection, stale, progress)
            self._collect(connection)
            self._key_files(connection)
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
        dictionary = self._dictionary(connection, stale[0][0])
        self._collect(connection)  # raw objects an interrupted index left behind

        def one(path: Path, stat: os.stat_result) -> SnapshotFile:
            cursor = free.pop()
            try:
                return self._index_file(cursor, path, stat, dictionary)
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

    def _index_file(
        self, connection: Any, path: Path, stat: os.stat_result, dictionary: bytes
    ) -> SnapshotFile:
        """Index one file in one transaction: its old records out, its records in, its stamp.

        Its raw objects go into the raw store first, under new ids, in a
        transaction of their own that commits before DuckDB's: an
        interruption between the two leaves raw objects no record points
        to, which the next index removes (:meth:`_collect`), never a record
        without its raw object.
        """
        started = time.perf_counter()
        log.info("indexing the snapshot file %s", path)
        self._unkey(connection, str(path))  # before its records go: they name the keys to remove
        raw = self._raw_writer()
        connection.execute("BEGIN TRANSACTION")
        try:
            first = self._next_id(connection, raw)
            self._forget(connection, str(path))
            complete, last = self._insert_file(connection, raw, path, dictionary, first)
            records, skipped = connection.execute(
                "SELECT count(key), count(*) - count(key) FROM records WHERE file = ?", [str(path)]
            ).fetchone()
            seconds = time.perf_counter() - started
            connection.execute(
                "INSERT INTO files (path, size, mtime_ns, records, seconds, complete, first_id,"
                " last_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    str(path),
                    stat.st_size,
                    stat.st_mtime_ns,
                    records,
                    seconds,
                    complete,
                    first,
                    last,
                ],
            )
            raw.commit()
            connection.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                connection.execute("ROLLBACK")
            with contextlib.suppress(Exception):
                raw.rollback()
            raise
        finally:
            raw.close()
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

    def _insert_file(
        self, connection: Any, raw: sqlite3.Connection, path: Path, dictionary: bytes, first: int
    ) -> tuple[bool, int]:
        """Insert the lines of ``path`` batch by batch, ids from ``first``.

        Whether the file was read to its end (False when it breaks off), and
        the last id given. A thread reads and compresses the next batches
        while DuckDB parses and inserts this one (gzip, zstd, DuckDB and
        SQLite let go of the GIL).
        """
        import zstandard

        compressor = zstandard.ZstdCompressor(
            level=_LEVEL,
            dict_data=zstandard.ZstdCompressionDict(dictionary) if dictionary else None,
        )

        def batches() -> Iterator[tuple[list[bytes], list[bytes]] | None]:
            compress = compressor.compress
            for lines in _line_batches(path):
                if lines is None:
                    yield None
                    return
                yield lines, [compress(line) for line in lines]

        insert = self._insert_sql(
            "(SELECT unnest($2::BLOB[]) AS line, unnest(range($3, $3 + len($2))) AS id)"
        )
        next_id = first
        for batch in _ahead(batches(), _AHEAD):
            if batch is None:
                return False, next_id - 1
            lines, compressed = batch
            raw.executemany(
                "INSERT INTO raw VALUES (?, ?)",
                zip(range(next_id, next_id + len(lines)), compressed, strict=True),
            )
            connection.execute(insert, [str(path), lines, next_id])
            next_id += len(lines)
        return True, next_id - 1

    @staticmethod
    def _next_id(connection: Any, raw: sqlite3.Connection) -> int:
        """The first id free in both stores."""
        stored = raw.execute("SELECT max(id) FROM raw").fetchone()[0] or 0
        known = connection.execute("SELECT max(last_id) FROM files").fetchone()[0] or 0
        return max(stored, known) + 1

    def _collect(self, connection: Any) -> None:
        """Remove the raw objects that no indexed file's id range holds.

        Those of files forgotten or indexed again, and those an interrupted
        index stored before its DuckDB transaction could commit.
        """
        if not self.raw_store.exists():
            return
        ranges = connection.execute(
            "SELECT first_id, last_id FROM files WHERE last_id >= first_id ORDER BY first_id"
        ).fetchall()
        raw = self._raw_writer()
        try:
            start = 1
            for first, last in ranges:
                if first > start:
                    raw.execute("DELETE FROM raw WHERE id >= ? AND id < ?", [start, first])
                start = max(start, last + 1)
            raw.execute("DELETE FROM raw WHERE id >= ?", [start])
            raw.commit()
        finally:
            raw.close()

    def _raw_writer(self) -> sqlite3.Connection:
        """A connection that writes the raw store (made if missing), in a transaction."""
        raw = sqlite3.connect(self.raw_store, isolation_level="DEFERRED", timeout=LOCK_WAIT)
        raw.execute("PRAGMA synchronous = NORMAL")
        raw.execute("CREATE TABLE IF NOT EXISTS raw (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        if _key_index_hash(raw) != _hash_check():
            raw.execute("DROP TABLE IF EXISTS keys")  # another layout's or hash's: built again
            raw.execute("DROP TABLE IF EXISTS keyed")
            raw.execute("DROP TABLE IF EXISTS key_hash")
            raw.execute(f"PRAGMA user_version = {_KEYS_LAYOUT}")
            raw.execute("CREATE TABLE key_hash (value INTEGER NOT NULL)")
            raw.execute("INSERT INTO key_hash VALUES (?)", [_hash_check()])
        raw.execute(
            "CREATE TABLE IF NOT EXISTS keys (hash INTEGER NOT NULL, id INTEGER NOT NULL,"
            " PRIMARY KEY (hash, id)) WITHOUT ROWID"
        )
        raw.execute(
            "CREATE TABLE IF NOT EXISTS keyed (path TEXT PRIMARY KEY, first_id INTEGER NOT NULL,"
            " last_id INTEGER NOT NULL)"
        )
        raw.commit()
        return raw

    # -- the key index ----------------------------------------------------------------

    def _updated_sql(self, table: str = "") -> str:
        """The expression of a record's ``updated`` value as text ('' when there is none)."""
        if self.updated and self.updated in self.columns:
            return f"coalesce(CAST({table}{_quote(self.updated)} AS VARCHAR), '')"
        return "''"

    def _key_files(self, connection: Any) -> None:
        """Build the key index of the indexed files that have none, in one pass.

        Their key hashes are read from DuckDB in sorted order (DuckDB sorts
        past its memory limit on disk), all files together, so that SQLite's
        B-tree is swept once, by appending when it is new (a file at a time,
        the tree would be swept once a file), and are moved a fetch at a time:
        memory stays flat at any size. The transaction ends by naming the files
        in ``keyed``; one interrupted leaves no key of them.
        """
        files = connection.execute(
            "SELECT path, first_id, last_id FROM files ORDER BY first_id"
        ).fetchall()
        indexed = {path: (first, last) for path, first, last in files}
        raw = self._raw_writer()
        try:
            keyed = {
                path: (first, last)
                for path, first, last in raw.execute("SELECT path, first_id, last_id FROM keyed")
            }
            if any(indexed.get(path) != ids for path, ids in keyed.items()):
                # Keys of records DuckDB no longer holds (a raw store of another
                # database): which they are cannot be asked of DuckDB, so all go.
                log.info("the key index of %s is built again", self.database)
                raw.execute("DELETE FROM keys")
                raw.execute("DELETE FROM keyed")
                raw.commit()
                keyed = {}
            unkeyed = [(path, first, last) for path, first, last in files if path not in keyed]
            if not unkeyed:
                return
            started = time.perf_counter()
            self._key_rows(connection, raw, [path for path, _, _ in unkeyed])
            raw.executemany("INSERT INTO keyed VALUES (?, ?, ?)", unkeyed)
            raw.commit()
            log.info(
                "built the key index of %s files in %.1f s",
                len(unkeyed),
                time.perf_counter() - started,
            )
        finally:
            raw.close()  # uncommitted (an interruption): rolled back

    def _key_rows(self, connection: Any, raw: sqlite3.Connection, paths: list[str]) -> None:
        """Insert the keys of the files ``paths`` into the key index, by hash (not committed)."""
        for batch in _hashed_keys(connection, paths):
            raw.executemany("INSERT INTO keys VALUES (?, ?)", batch)

    def _unkey(self, connection: Any, path: str) -> None:
        """Remove the keys of file ``path`` from the key index (before its records go).

        Committed before DuckDB forgets the file's records: an interruption in
        between leaves a file indexed without keys, which the next index
        builds again, never keys of records that are gone.
        """
        if not self.raw_store.exists():
            return
        raw = self._raw_writer()
        try:
            if raw.execute("SELECT 1 FROM keyed WHERE path = ?", [path]).fetchone() is None:
                return  # no keys built for it
            if raw.execute("SELECT count(*) FROM keyed").fetchone()[0] == 1:
                raw.execute("DELETE FROM keys")  # its keys are all the keys
            else:
                for batch in _hashed_keys(connection, [path]):
                    raw.executemany("DELETE FROM keys WHERE hash = ? AND id = ?", batch)
            raw.execute("DELETE FROM keyed WHERE path = ?", [path])
            raw.commit()
        finally:
            raw.close()

    def _keyed_paths(self) -> set[str]:
        """The files whose keys are in the key index (none before it was made)."""
        if not self.raw_store.exists():
            return set()
        with contextlib.closing(sqlite3.connect(f"file:{self.raw_store}?mode=ro", uri=True)) as raw:
            if _key_index_hash(raw) != _hash_check():
                return set()  # none, or another layout's or hash's
            return {row[0] for row in raw.execute("SELECT path FROM keyed")}

    @staticmethod
    def _forget(connection: Any, path: str) -> None:
        connection.execute("DELETE FROM records WHERE file = ?", [path])
        connection.execute("DELETE FROM files WHERE path = ?", [path])

    def _insert_sql(self, lines: str) -> str:
        """Insert the lines of ``lines`` (a relation of ``line`` bytes and their raw store ``id``).

        A line that is not a UTF-8 JSON object with a non-empty string key is
        kept as a row with no key, so that the skipped lines can be counted
        in the same pass; look-ups never match it.
        """
        return f"INSERT INTO records {self._parse_sql(lines, '$1')}"

    def _parse_sql(self, lines: str, file: str) -> str:
        """The rows of ``records`` made of the lines of ``lines`` (``file`` names their file).

        The indexing's parse, which :meth:`_exact_stamps` repeats on raw
        objects to tell their key and ``updated`` exactly as indexed.
        """
        fields = ", ".join(f"'{f}'" for f in [self.key, *self.columns])
        typed = "".join(
            f", j[{i + 2}] ->> '$' AS {_quote(name)}"
            if kind == "VARCHAR"
            else f", TRY_CAST(j[{i + 2}] ->> '$' AS {kind}) AS {_quote(name)}"
            for i, (name, kind) in enumerate(self.columns.items())
        )
        # One parse of each line (TRY: NULL for a line that is not UTF-8 or not JSON).
        # Only an object has fields, so a key that is a JSON string means an object.
        return (
            f"SELECT CASE WHEN ok THEN lower(trim(j[1] ->> '$')) END AS key, {file} AS file"
            f"{typed}, id FROM ("
            " SELECT id, j, coalesce(json_type(j[1]) = 'VARCHAR'"
            "  AND length(trim(j[1] ->> '$')) > 0, false) AS ok"
            f" FROM (SELECT id, TRY(json_extract(TRY(decode(line)), [{fields}])) AS j"
            f"  FROM {lines}))"
        )

    def _dictionary(self, connection: Any, first: Path) -> bytes:
        """The index's zstd dictionary of raw objects: trained on ``first``'s lines if none yet.

        Trained once, in the transaction of no file: it is kept for good, as
        every stored object needs it. Empty (no dictionary) when the lines are
        too few or too alike to train one.
        """
        import zstandard

        row = connection.execute("SELECT value FROM meta WHERE name = 'dictionary'").fetchone()
        if row is not None:
            return bytes(row[0])
        samples: list[bytes] = []
        size = 0
        for lines in _line_batches(first):
            if lines is None:
                break
            samples.extend(lines[: _TRAIN_LINES - len(samples)])
            size += sum(len(line) for line in lines)
            if len(samples) >= _TRAIN_LINES or size >= _TRAIN_BYTES:
                break
        try:
            dictionary = zstandard.train_dictionary(_DICTIONARY_BYTES, samples).as_bytes()
        except zstandard.ZstdError:
            dictionary = b""  # too few lines to learn from: plain zstd
        connection.execute("INSERT INTO meta VALUES ('dictionary', ?)", [dictionary])
        return dictionary

    # -- look-ups ---------------------------------------------------------------------

    def lookup(self, keys: Iterable[str]) -> dict[str, str]:
        """The raw record (JSON text) of each of ``keys`` that the snapshot holds.

        Keys are compared lower case and trimmed; the answer is keyed by the
        keys as given. The key index is probed for the batch, a few hundred
        keys a query, in key order; an index whose key index is not built
        (made by an older paperfuse, or interrupted before it) joins the keys
        with DuckDB's key column instead, the same answer read more slowly.
        Only the rows found read their raw object.
        """
        wanted: dict[str, list[str]] = {}
        for key in keys:
            wanted.setdefault(key.strip().lower(), []).append(key)
        if not wanted or not self.database.exists():
            return {}
        connection = self._connection()
        if self._keys_ready:
            texts = self._probe(connection, wanted)
        else:
            rows = self._join(connection, wanted)
            bodies = self._bodies([id_ for id_, _ in rows])
            texts = {key: bodies[id_] for id_, key in rows if id_ in bodies}
        found: dict[str, str] = {}
        for key, body in texts.items():
            text = body.decode()
            for given in wanted[key]:
                found[given] = text
        return found

    def _bodies(self, ids: Iterable[int]) -> dict[int, bytes]:
        """The raw objects of ``ids`` (those the raw store holds), decompressed."""
        assert self._raw_reader is not None
        decompress = self._decompressor.decompress
        ordered = sorted(set(ids))
        found: dict[int, bytes] = {}
        for n in range(0, len(ordered), _IDS_A_QUERY):
            part = ordered[n : n + _IDS_A_QUERY]
            rows = self._raw_reader.execute(
                f"SELECT id, body FROM raw WHERE id IN ({','.join('?' * len(part))})", part
            )
            for id_, body in rows:
                found[id_] = decompress(body)
        return found

    def _probe(self, connection: Any, wanted: Collection[str]) -> dict[str, bytes]:
        """The raw object each of the ``wanted`` keys (normalised) answers with, by the key index.

        DuckDB hashes the keys (as it hashed them for the index); the key
        index gives the ids under each hash, in queries of a few hundred
        hashes in hash order; the raw objects of those ids are read and each
        is kept only if its own key is the key asked (a hash shared by two
        keys answers neither with the other's record). Of several records of
        one key, the latest ``updated`` wins, then the latest indexed.
        """
        assert self._raw_reader is not None
        keys_of: dict[int, list[str]] = {}
        for key, hashed in connection.execute(
            f"SELECT k, {_HASH.format('k')} FROM unnest($1::VARCHAR[]) AS t(k)", [list(wanted)]
        ).fetchall():
            keys_of.setdefault(hashed, []).append(key)
        ids_of: dict[int, list[int]] = {}
        hashes = sorted(keys_of)  # neighbouring hashes share the B-tree's pages
        for n in range(0, len(hashes), _IDS_A_QUERY):
            part = hashes[n : n + _IDS_A_QUERY]
            rows = self._raw_reader.execute(
                f"SELECT hash, id FROM keys WHERE hash IN ({','.join('?' * len(part))})", part
            )
            for hashed, id_ in rows:
                ids_of.setdefault(hashed, []).append(id_)
        bodies = self._bodies(id_ for ids in ids_of.values() for id_ in ids)
        stamps: dict[int, tuple[str | None, str | None] | None] = {
            id_: self._fast_stamp(body) for id_, body in bodies.items()
        }
        unsure = []
        for hashed, ids in ids_of.items():
            for id_ in ids:
                stamp = stamps.get(id_, ())  # (): its raw object is gone, it answers nothing
                if stamp is None or (
                    stamp
                    and (stamp[0] not in keys_of[hashed] or (len(ids) > 1 and stamp[1] is None))
                ):
                    unsure.append(id_)  # read, but msgspec cannot tell: DuckDB's parse will
        if unsure:  # rare: a shared hash, or what only DuckDB's parse can tell
            stamps.update(self._exact_stamps(connection, {i: bodies[i] for i in unsure}))
        found: dict[str, bytes] = {}
        best: dict[str, tuple[str, int]] = {}
        for ids in ids_of.values():
            for id_ in ids:
                stamp = stamps.get(id_)
                if stamp is None or stamp[0] is None:
                    continue
                mark = (stamp[1] or "", id_)  # the latest updated; on a tie, the latest indexed
                if stamp[0] not in best or mark > best[stamp[0]]:
                    best[stamp[0]] = mark
                    found[stamp[0]] = bodies[id_]
        return {key: body for key, body in found.items() if key in wanted}

    def _fast_stamp(self, body: bytes) -> tuple[str | None, str | None] | None:
        """A raw object's key (normalised) and ``updated`` text, read by msgspec.

        None when msgspec cannot read it; ``updated`` None when only DuckDB can
        tell its text (not a JSON string, or a column of another type).
        """
        if self._stamp_decoder is None:
            fields: list[tuple[str, Any, Any]] = [("k", Any, None)]
            rename = {"k": self.key}
            if self.updated and self.updated in self.columns and self.updated != self.key:
                fields.append(("u", msgspec.Raw, msgspec.Raw(b"null")))
                rename["u"] = self.updated
            self._stamp_decoder = msgspec.json.Decoder(
                msgspec.defstruct("_Stamp", fields, rename=rename)
            )
        try:
            stamp = self._stamp_decoder.decode(body)
        except (msgspec.DecodeError, RecursionError):
            return None
        if not isinstance(stamp.k, str):
            return None
        key = stamp.k.strip().lower()
        if not hasattr(stamp, "u"):
            return key, ""
        if self.columns.get(self.updated or "") != "VARCHAR":
            return key, None
        value = msgspec.json.decode(stamp.u)
        if value is None:
            return key, ""
        return key, value if isinstance(value, str) else None

    def _exact_stamps(
        self, connection: Any, bodies: Mapping[int, bytes]
    ) -> dict[int, tuple[str | None, str]]:
        """Raw objects' keys and ``updated`` texts as the index's own parse tells them."""
        ids = list(bodies)
        rows = connection.execute(
            f"SELECT id, key, {self._updated_sql()} FROM ("
            + self._parse_sql(
                "(SELECT unnest($1::BLOB[]) AS line, unnest($2::BIGINT[]) AS id)", "NULL"
            )
            + ")",
            [[bodies[i] for i in ids], ids],
        ).fetchall()
        return {id_: (key, updated) for id_, key, updated in rows}

    def _join(self, connection: Any, wanted: Collection[str]) -> list[tuple[int, str]]:
        """``(id, key)`` of the record each key answers with, by a join with DuckDB's key column."""
        rows: list[tuple[int, str]] = connection.execute(
            f"SELECT arg_max(r.id, ({self._updated_sql('r.')}, r.id)), r.key FROM records AS r"
            " JOIN (SELECT unnest($1::VARCHAR[]) AS key) AS w ON r.key = w.key"
            " GROUP BY r.key",
            [list(wanted)],
        ).fetchall()
        return rows

    def _connection(self) -> Any:
        """The read-only connection of look-ups (opened on first use), and its decompressor."""
        if self._reader is None:
            import duckdb
            import zstandard

            reader = _retry_on_lock(
                lambda: duckdb.connect(
                    str(self.database), read_only=True, config={"memory_limit": MEMORY_LIMIT}
                )
            )
            row = None
            with contextlib.suppress(duckdb.Error):  # an index of an older layout has no meta
                row = reader.execute("SELECT value FROM meta WHERE name = 'dictionary'").fetchone()
            dictionary = bytes(row[0]) if row is not None else b""
            self._decompressor = zstandard.ZstdDecompressor(
                dict_data=zstandard.ZstdCompressionDict(dictionary) if dictionary else None
            )
            self._raw_reader = (
                sqlite3.connect(f"file:{self.raw_store}?mode=ro", uri=True, check_same_thread=False)
                if self.raw_store.exists()
                else sqlite3.connect(":memory:", check_same_thread=False)
            )
            self._keys_ready = self._keys_current(reader, self._raw_reader)
            self._reader = reader
        return self._reader

    @staticmethod
    def _keys_current(reader: Any, raw: sqlite3.Connection) -> bool:
        """Whether the key index holds the keys of exactly the files indexed, as indexed."""
        import duckdb

        try:
            if _key_index_hash(raw) != _hash_check():
                return False
            keyed = set(raw.execute("SELECT path, first_id, last_id FROM keyed").fetchall())
            indexed = set(reader.execute("SELECT path, first_id, last_id FROM files").fetchall())
        except (sqlite3.Error, duckdb.Error):
            return False  # an index made before the key index
        return keyed == indexed

    def _layout(self) -> int | None:
        """The layout of the database on disk (None before the layouts had numbers)."""
        import duckdb

        try:
            row = (
                self._connection()
                .execute("SELECT value FROM meta WHERE name = 'layout'")
                .fetchone()
            )
        except duckdb.Error:
            return None
        return int(bytes(row[0]).decode()) if row is not None else None

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
            self._decompressor = None
        if self._raw_reader is not None:
            self._raw_reader.close()
            self._raw_reader = None

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
            layout = connection.execute("SELECT value FROM meta WHERE name = 'layout'").fetchone()
            if layout is None or int(bytes(layout[0]).decode()) != _LAYOUT:
                return False
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
            self._create(connection)
            yield connection
            connection.execute("CHECKPOINT")
        finally:
            connection.close()

    def _create(self, connection: Any) -> None:
        """The tables, made anew when the database has another layout (an older paperfuse's)."""
        connection.execute("CREATE TABLE IF NOT EXISTS meta (name VARCHAR PRIMARY KEY, value BLOB)")
        row = connection.execute("SELECT value FROM meta WHERE name = 'layout'").fetchone()
        if row is None or int(bytes(row[0]).decode()) != _LAYOUT:
            tables = {r[0] for r in connection.execute("SHOW TABLES").fetchall()}
            if "records" in tables:
                log.info("the snapshot index %s has an older layout: indexing again", self.database)
            connection.execute("DROP TABLE IF EXISTS records")
            connection.execute("DROP TABLE IF EXISTS files")
            connection.execute("DELETE FROM meta")
            self.raw_store.unlink(missing_ok=True)
            connection.execute("INSERT INTO meta VALUES ('layout', ?)", [str(_LAYOUT).encode()])
        typed = "".join(f", {_quote(n)} {kind}" for n, kind in self.columns.items())
        connection.execute(
            "CREATE TABLE IF NOT EXISTS files (path VARCHAR PRIMARY KEY, size BIGINT,"
            " mtime_ns BIGINT, records BIGINT, seconds DOUBLE, complete BOOLEAN,"
            " first_id BIGINT, last_id BIGINT)"
        )
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS records (key VARCHAR, file VARCHAR{typed}, id BIGINT)"
        )


@functools.cache
def _hash_check() -> int:
    """DuckDB's hash of :data:`_HASH_PROBE` in this process, as the key index stores it."""
    import duckdb

    with duckdb.connect() as db:
        row = db.execute(f"SELECT {_HASH.format('$1::VARCHAR')}", [_HASH_PROBE]).fetchone()
    assert row is not None
    return int(row[0])


def _key_index_hash(raw: sqlite3.Connection) -> int | None:
    """The hash check of the key index in ``raw`` (None: none, or of another layout)."""
    try:
        if raw.execute("PRAGMA user_version").fetchone()[0] != _KEYS_LAYOUT:
            return None
        row = raw.execute("SELECT value FROM key_hash").fetchone()
    except sqlite3.Error:
        return None  # a raw store made before the key index
    return int(row[0]) if row is not None else None


def _hashed_keys(connection: Any, paths: list[str]) -> Iterator[list[tuple[int, int]]]:
    """``(hash, id)`` of the records of the files ``paths`` that have a key, in hash order,
    in batches of :data:`_KEYS_A_FETCH`: the key index's rows."""
    rows = connection.execute(
        f"SELECT {_HASH.format('key')} AS h, id FROM records"
        " WHERE file IN (SELECT unnest($1::VARCHAR[])) AND key IS NOT NULL ORDER BY h, id",
        [paths],
    )
    while batch := rows.fetchmany(_KEYS_A_FETCH):
        yield batch


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
    """``path`` for reading, gunzipped if it is a gzip (through ISA-L when ``isal`` is there)."""
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if not gzipped:
        return path.open("rb")  # type: ignore[return-value]
    try:
        from isal import igzip  # 2-3x faster than zlib at gunzipping
    except ImportError:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return igzip.open(path, "rb")  # type: ignore[return-value]


def _read_errors() -> tuple[type[BaseException], ...]:
    """What reading a broken gzip raises (zlib's errors, or ISA-L's)."""
    errors: tuple[type[BaseException], ...] = (EOFError, OSError, zlib.error)
    with contextlib.suppress(ImportError):
        from isal import isal_zlib

        errors += (isal_zlib.error,)
    return errors


def _line_batches(path: Path) -> Iterator[list[bytes] | None]:
    """The non-blank lines of ``path`` in batches of about :data:`_BATCH_BYTES`.

    ``None`` comes last if the file breaks off (a gzip cut short, a read
    error), after the whole lines before the break; the warning says where.
    """
    number = 0  # lines yielded (blank ones too)
    rest = b""
    try:
        with _open(path) as data:
            while True:
                block = data.read(_BATCH_BYTES)
                if not block:
                    break
                block = rest + block
                cut = block.rfind(b"\n") + 1
                if cut == 0:  # one line longer than a batch: read on
                    rest = block
                    continue
                rest = block[cut:]
                lines = block[:cut].split(b"\n")
                lines.pop()  # the empty piece after the last newline
                number += len(lines)
                batch = [line for line in lines if line and not line.isspace()]
                if batch:
                    yield batch
    except _read_errors():
        # A big read that breaks keeps nothing of its block: read that block again
        # line by line, which keeps each whole line before the break.
        yield from _lines_until_break(path, number)
        return
    if rest and not rest.isspace():
        yield [rest]


def _lines_until_break(path: Path, skip: int) -> Iterator[list[bytes] | None]:
    """The non-blank lines of a file that breaks off, after its first ``skip`` lines; then None."""
    number = 0
    batch: list[bytes] = []
    with _open(path) as data:
        try:
            for line in data:
                number += 1
                if number > skip and line.endswith(b"\n") and not line.isspace():
                    batch.append(line[:-1])
        except _read_errors() as e:
            log.warning(
                "the snapshot %s breaks off after line %s (%s): the lines after it are not indexed",
                path,
                f"{number:,}",
                e,
            )
    if batch:
        yield batch
    yield None


def _ahead(items: Iterator[Any], depth: int) -> Iterator[Any]:
    """``items``, made by a thread of their own up to ``depth`` ahead of the consumer.

    The thread stops when the consumer does (an error, an interruption): it
    is waited for before this generator ends.
    """
    slots: queue.Queue[tuple[str, Any]] = queue.Queue(depth)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def make() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as e:  # handed to the consumer, raised there
            put(("error", e))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # the file it reads, closed now rather than when collected

    thread = threading.Thread(target=make, name="paperfuse-snapshot-read", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = slots.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
