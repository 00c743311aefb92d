"""Answering DOIs from a local Unpaywall data snapshot instead of the API.

For more DOIs than the API's daily budget allows, Unpaywall publishes its
whole database as a snapshot: one DOI object per line (JSON Lines), usually
gzipped. This source indexes the files once into a DuckDB database in the cache
folder (again only the files that change) and then answers look-ups from
there in batches, without any network access.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import logging
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

from paperfuse import (
    BadResponse,
    Identifier,
    LookupResult,
    Politeness,
    SnapshotIndex,
    Source,
    SourceContext,
    snapshot_database,
    snapshot_files,
)

from ._mapping import doi_object_to_work

if TYPE_CHECKING:
    from paperfuse import Config

__all__ = ["UnpaywallSnapshotSource", "snapshot_records"]

log = logging.getLogger("paperfuse")


class _DoiOnly(msgspec.Struct):
    doi: str


_doi_decoder = msgspec.json.Decoder(_DoiOnly)


def _open(path: Path) -> io.BufferedIOBase:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else path.open("rb")


def snapshot_records(path: Path) -> Iterator[tuple[str, bytes]]:
    """``(doi, line)`` for every readable line of a snapshot file, gzipped or not.

    Lines that are not UTF-8, not a JSON object with a ``doi`` string, or
    nested too deep are skipped and counted in a warning at the end: one bad
    line never stops an index of millions. Only each line's DOI is read here,
    for speed; a line whose other fields cannot be read is found at lookup.
    A file that breaks off (a truncated or corrupt gzip, a read error) keeps
    the lines read before, with a warning that says where it broke.
    """
    skipped = 0
    number = 0
    with _open(path) as lines:
        try:
            for raw in lines:
                number += 1
                line = raw.strip()
                if not line:
                    continue
                doi = _doi(line)
                if doi:
                    yield doi, line
                else:
                    skipped += 1
        except (EOFError, OSError, zlib.error) as e:
            log.warning(
                "the snapshot %s breaks off after line %s (%s): the lines after it are not indexed",
                path,
                f"{number:,}",
                e,
            )
    if skipped:
        log.warning("%s lines of the snapshot %s could not be read and were skipped", skipped, path)


def _doi(line: bytes) -> str | None:
    """The DOI of one snapshot line, lower case; None when the line is not readable."""
    try:
        line.decode("utf-8")  # the DOI reader skips the other fields without checking them
        return _doi_decoder.decode(line).doi.strip().lower() or None
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        return None


def _read_line(line: bytes, source: str) -> Any:
    """The JSON of one stored snapshot line; :class:`BadResponse` when it cannot be read."""
    try:
        return msgspec.json.decode(line)
    except msgspec.DecodeError as e:
        reason = str(e)
    except RecursionError:
        reason = "JSON nested too deep"
    raise BadResponse(f"the snapshot's line for this DOI cannot be read: {reason}", source=source)


class UnpaywallSnapshotSource(Source):
    """DOIs answered from a local Unpaywall snapshot (JSON Lines, gzipped or not).

    Set the files with ``[sources.unpaywall-snapshot.options] path = "..."``:
    one file, a folder of files (the data feed's change files), or a list.
    They are indexed into a DuckDB database in the cache folder
    (``snapshots/unpaywall-snapshot.duckdb``, with the raw objects compressed in
    an SQLite file beside it; see :class:`paperfuse.SnapshotIndex`),
    by ``paperfuse snapshot index`` or else by the first look-up; later runs
    index only the files that changed. Answers are not copied into the
    answer cache: the index is the cache.
    """

    name = "unpaywall-snapshot"
    schemes = ("doi",)
    #: DOIs per query of the index: one query answers a whole window of inputs.
    batch_size = 2_000
    politeness = Politeness(min_interval=0.0, max_concurrency=1)
    description = "a local Unpaywall data snapshot (JSON Lines) indexed on DuckDB, no network"
    #: Its place in the default merge ranking (docs/merge-policy.md).
    role = "open access index"
    caches_answers = False
    #: The typed columns kept beside each raw DOI object (for ``paperfuse snapshot info``
    #: and for queries of the index in DuckDB); records are mapped from the raw object.
    snapshot_columns: ClassVar[dict[str, str]] = {
        "updated": "VARCHAR",
        "is_oa": "BOOLEAN",
        "oa_status": "VARCHAR",
        "year": "INTEGER",
        "genre": "VARCHAR",
        "journal_issn_l": "VARCHAR",
        "published_date": "VARCHAR",
    }

    def __init__(self, context: SourceContext) -> None:
        super().__init__(context)
        self._indexed = asyncio.Lock()
        self._ready = False
        self.index = self.snapshot_index(context.config)

    @classmethod
    def snapshot_index(cls, config: Config) -> SnapshotIndex:
        """The DuckDB index of this source's snapshot, in ``config``'s cache folder."""
        return SnapshotIndex(
            snapshot_database(config.cache_dir, cls.name),
            key="doi",
            columns=cls.snapshot_columns,
            updated="updated",
        )

    @property
    def paths(self) -> list[Path]:
        """The snapshot's files, as configured (a file, a folder, or a list of them)."""
        value = self.context.settings.options.get("path")
        given = [value] if isinstance(value, str) else value
        if not isinstance(given, list) or not all(isinstance(v, str) and v for v in given):
            return []
        return snapshot_files(given)

    @property
    def path(self) -> Path | None:
        """The first configured file (kept for callers of the one-file source)."""
        paths = self.paths
        return paths[0] if paths else None

    def unavailable_reason(self) -> str | None:
        if not self.paths:
            return (
                "no snapshot file: set path under [sources.unpaywall-snapshot.options]"
                " in the configuration file"
            )
        missing = [p for p in self.paths if not p.is_file()]
        if missing:
            return f"snapshot file not found: {missing[0]}"
        return None

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        await self._index()
        lines = await asyncio.to_thread(self.index.lookup, [i.value for i in identifiers])
        found: dict[Identifier, LookupResult] = {}
        for identifier in identifiers:
            line = lines.get(identifier.value)
            try:
                found[identifier] = (
                    doi_object_to_work(_read_line(line.encode(), self.name), self.name)
                    if line
                    else None
                )
            except BadResponse as e:
                found[identifier] = e
        return found

    async def _index(self) -> None:
        """Index the files that are not indexed as they are now (none, once indexed)."""
        async with self._indexed:
            if self._ready:
                return
            paths = self.paths
            known = {f.path for f in await asyncio.to_thread(self.index.files)}
            stale = await asyncio.to_thread(self.index.stale, paths)
            if stale or known - {str(p) for p in paths}:
                log.info(
                    "indexing the Unpaywall snapshot (%s of %s files; once per file)",
                    len(stale),
                    len(paths),
                )
                done = await asyncio.to_thread(self.index.index, paths)
                log.info(
                    "indexed %s records of the Unpaywall snapshot",
                    f"{sum(f.records for f in done):,}",
                )
            self._ready = True

    async def aclose(self) -> None:
        self.index.close()
