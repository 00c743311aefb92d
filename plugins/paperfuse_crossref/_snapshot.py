"""Answering DOIs from Crossref's public data file instead of the REST API.

Once a year Crossref publishes the metadata of every DOI it registered as one
download (https://www.crossref.org/documentation/retrieve-metadata/rest-api/tips-for-using-public-data-files-and-plus-snapshots/,
https://www.crossref.org/blog/2024-public-data-file-now-available-featuring-new-experimental-formats/):
a folder of ``NNN.json.gz`` files (tens of thousands), each one JSON object
``{"items": [...]}`` whose items are work objects in the REST API's
``message`` shape. Crossref's tools for the file also write it as JSON Lines
(one work object a line); Metadata Plus snapshots have the same layout.

A file of ``items`` is not JSON Lines, and a work's ``indexed`` date is an
object, so this source first writes each file as lines that
:class:`paperfuse.SnapshotIndex` reads, one a work:
``{"doi": ..., "indexed": <its indexed date-time>, "work": <the work object>}``
(gzipped, beside the index: ``snapshots/crossref-snapshot-lines/``, once per
file and again only when the file changes), then indexes them into
``snapshots/crossref-snapshot.duckdb`` by DOI. A DOI held twice (a newer file
beside an older one) answers with its most recently ``indexed`` work. The
record is mapped by the API source's own mapping (:func:`work_to_record`).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

from paperfuse import (
    BadResponse,
    SnapshotFile,
    SnapshotIndex,
    SnapshotSource,
    snapshot_database,
)

if TYPE_CHECKING:
    from paperfuse import Config, Work

__all__ = ["CrossrefSnapshotIndex", "CrossrefSnapshotSource", "looks_like_crossref_works"]

log = logging.getLogger("paperfuse")

#: The start of a file of the public data file's shape: one object with ``items``.
_ITEMS_FILE = re.compile(rb'\A\s*\{\s*"items"\s*:')
#: Files converted, then indexed, at a time (each index call opens the database once).
_CHUNK = 32


class _Items(msgspec.Struct):
    items: list[msgspec.Raw] = []


class _Work(msgspec.Struct):
    """The fields of a work object the conversion reads (the others are kept as they are)."""

    DOI: Any = None
    indexed: Any = None


_items_decoder = msgspec.json.Decoder(_Items)
_work_decoder = msgspec.json.Decoder(_Work)


def _open(path: Path) -> io.BufferedIOBase:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else path.open("rb")  # type: ignore[return-value]


def _line(raw: bytes) -> bytes | None:
    """The index line of one work object; None when it is not a work with a DOI."""
    try:
        work = _work_decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    if not isinstance(work.DOI, str) or not work.DOI.strip():
        return None
    indexed = work.indexed.get("date-time") if isinstance(work.indexed, dict) else None
    if b"\n" in raw or b"\r" in raw:  # a pretty-printed object: one line of it
        raw = msgspec.json.format(raw, indent=0)
    return (
        b'{"doi":'
        + msgspec.json.encode(work.DOI.strip())
        + b',"indexed":'
        + msgspec.json.encode(indexed if isinstance(indexed, str) else None)
        + b',"work":'
        + raw
        + b"}"
    )


def work_objects(path: Path) -> Iterator[bytes]:
    """The work objects of one file, as JSON: its ``items``, or its lines (JSON Lines).

    A file that cannot be read (not JSON, a gzip cut short) keeps the works read
    before, with a warning that says so.
    """
    number = 0
    try:
        with _open(path) as stream:
            if _ITEMS_FILE.match(stream.peek(256)[:256]):  # type: ignore[attr-defined]
                try:
                    items = _items_decoder.decode(stream.read()).items
                except (msgspec.DecodeError, RecursionError) as e:
                    log.warning("the snapshot %s is not a readable items file (%s)", path, e)
                    return
                yield from (bytes(r) for r in items)
                return
            for raw in stream:
                number += 1
                if raw.strip():
                    yield raw
    except (EOFError, OSError, zlib.error) as e:
        log.warning(
            "the snapshot %s breaks off after line %s (%s): the works after it are not indexed",
            path,
            f"{number:,}",
            e,
        )


def looks_like_crossref_works(first_line: bytes) -> bool:
    """Whether a file beginning with ``first_line`` is of Crossref's data file."""
    if _ITEMS_FILE.match(first_line[:256]):
        return True
    try:
        work = _work_decoder.decode(first_line)
    except (msgspec.DecodeError, RecursionError):
        return False
    return isinstance(work.DOI, str) and isinstance(work.indexed, dict)


class CrossrefSnapshotIndex:
    """Crossref works by DOI, from the public data file's files (converted to lines first).

    The same methods as :class:`paperfuse.SnapshotIndex`, on the data file's own
    paths: :meth:`files` names the files as given, not their converted lines.
    The lines are indexed by a :class:`paperfuse.SnapshotIndex` (``lines_index``).
    """

    def __init__(self, database: Path, columns: Mapping[str, str]) -> None:
        self.lines_index = SnapshotIndex(database, key="doi", columns=columns, updated="indexed")
        self.database = database
        self.lines_folder = database.with_name(database.stem + "-lines")

    @property
    def raw_store(self) -> Path:
        """The raw objects' file beside the database (see :class:`paperfuse.SnapshotIndex`)."""
        return self.lines_index.raw_store

    def lines_file(self, path: Path) -> Path:
        """Where the lines of ``path`` are written: named by its path, size and time."""
        stat = path.stat()
        digest = hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:16]
        return self.lines_folder / f"{digest}-{stat.st_size}-{stat.st_mtime_ns}.jsonl.gz"

    def _convert(self, path: Path) -> Path:
        """Write the lines of one file, once for its size and time (whole or not at all)."""
        target = self.lines_file(path)
        if target.exists():
            return target
        self.lines_folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        skipped = 0
        with gzip.open(partial, "wb", compresslevel=1) as out:
            for raw in work_objects(path):
                line = _line(raw)
                if line is None:
                    skipped += 1
                else:
                    out.write(line + b"\n")
        (target.parent / (target.name + ".source")).write_text(str(path), encoding="utf-8")
        os.replace(partial, target)
        if skipped:
            log.warning(
                "%s works of the snapshot %s could not be read and were skipped", skipped, path
            )
        return target

    def stale(self, files: Sequence[Path]) -> list[Path]:
        """Which of ``files`` are not indexed as they are now (new, changed, or cut short)."""
        written = {p: self.lines_file(p) for p in files}
        behind = set(self.lines_index.stale([w for w in written.values() if w.exists()]))
        return [p for p, w in written.items() if not w.exists() or w in behind]

    def index(
        self,
        files: Sequence[Path],
        *,
        progress: Callable[[Path, int], None] | None = None,
        forget_others: bool = True,
    ) -> list[SnapshotFile]:
        """Convert and index each of ``files`` not indexed as it is now; the files indexed."""
        for path in files:
            if not path.is_file():
                raise FileNotFoundError(f"snapshot file not found: {path}")
        written: dict[Path, Path] = {}
        done: list[SnapshotFile] = []
        for start in range(0, len(files), _CHUNK):
            chunk = {self._convert(p): p for p in files[start : start + _CHUNK]}
            written.update(chunk)

            def advance(path: Path, records: int, chunk: dict[Path, Path] = chunk) -> None:
                if progress is not None:
                    progress(chunk[path], records)

            done += self.lines_index.index(list(chunk), progress=advance, forget_others=False)
        if forget_others:
            self.lines_index.index(list(written), forget_others=True)  # forgets files not named
            for old in self.lines_folder.glob("*.jsonl.gz"):
                if old not in written:
                    old.unlink(missing_ok=True)
                    (old.parent / (old.name + ".source")).unlink(missing_ok=True)
        return [self._as_given(f) for f in done]

    def lookup(self, keys: Iterable[str]) -> dict[str, str]:
        """The stored line (``{"doi", "indexed", "work"}``) of each DOI of ``keys`` held."""
        return self.lines_index.lookup(keys)

    def files(self) -> list[SnapshotFile]:
        """The data file's files indexed, by path."""
        return sorted((self._as_given(f) for f in self.lines_index.files()), key=lambda f: f.path)

    def counts(self, column: str) -> dict[str, int]:
        return self.lines_index.counts(column)

    def close(self) -> None:
        self.lines_index.close()

    @staticmethod
    def _as_given(entry: SnapshotFile) -> SnapshotFile:
        """An indexed lines file, named by the file it was written from."""
        source = Path(entry.path + ".source")
        try:
            given = source.read_text(encoding="utf-8")
        except OSError:
            return entry
        try:
            size = Path(given).stat().st_size
        except OSError:
            size = entry.size
        return msgspec.structs.replace(entry, path=given, size=size)


class CrossrefSnapshotSource(SnapshotSource):
    """DOIs answered from Crossref's public data file (or a Metadata Plus snapshot), with
    no network: the metadata of record, as the REST API gives it.

    Set the files with ``[sources.crossref-snapshot.options] path = "..."``: the data
    file's folder, one of its files, or a list. They are indexed into the cache
    folder by ``paperfuse snapshot index`` or else by the first look-up; later runs
    index only the files that changed. Answers are not copied into the answer cache.
    """

    name = "crossref-snapshot"
    schemes = ("doi",)
    description = "Crossref's public data file (JSON, gzipped) indexed on DuckDB, no network"
    #: Its place in the default merge ranking: the API source's.
    role = "registration agency"
    snapshot_title = "Crossref's data file"
    #: The typed columns kept beside each work (for queries of the index).
    snapshot_columns: ClassVar[dict[str, str]] = {"indexed": "VARCHAR"}

    @classmethod
    def snapshot_index(cls, config: Config) -> CrossrefSnapshotIndex:
        """The DuckDB index of this source's snapshot, in ``config``'s cache folder."""
        return CrossrefSnapshotIndex(
            snapshot_database(config.cache_dir, cls.name), cls.snapshot_columns
        )

    @staticmethod
    def snapshot_recognises(first_line: bytes) -> bool:
        """Whether a file whose first line is ``first_line`` is this snapshot's."""
        return looks_like_crossref_works(first_line)

    def snapshot_work(self, line: str) -> Work | None:
        from ._mapping import work_to_record

        return work_to_record(self._work(line), self.name)

    def _work(self, line: str) -> Any:
        """The work object of one stored line; :class:`BadResponse` when it cannot be read."""
        data = self.decode_line(line, "DOI")
        try:
            return data["work"]
        except (KeyError, TypeError):
            raise BadResponse(
                "the snapshot's line for this DOI cannot be read: no work object",
                source=self.name,
            ) from None
