"""Answering DOIs from a local Unpaywall data snapshot instead of the API.

For more DOIs than the API's daily budget allows, Unpaywall publishes its
whole database as a snapshot: one DOI object per line (JSON Lines), usually
gzipped. This source indexes the file once into paperfuse's embedded store
(again only when the file changes) and then answers lookups from there,
without any network access.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import logging
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

from paperfuse import BadResponse, Identifier, LookupResult, Politeness, Source, SourceContext

from ._mapping import doi_object_to_work

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
    """DOIs answered from a local Unpaywall snapshot file (JSON Lines, gzipped or not).

    Set the file with ``[sources.unpaywall-snapshot.options] path = "..."``.
    The first lookup indexes it into the embedded store; later runs reuse the
    index until the file changes (size or modification time).
    """

    name = "unpaywall-snapshot"
    schemes = ("doi",)
    batch_size = 1_000
    politeness = Politeness(min_interval=0.0, max_concurrency=1)
    description = "a local Unpaywall data snapshot (JSON Lines), no network"
    #: Its place in the default merge ranking (docs/merge-policy.md).
    role = "open access index"

    def __init__(self, context: SourceContext) -> None:
        super().__init__(context)
        self._indexed = asyncio.Lock()
        self._ready = False

    @property
    def path(self) -> Path | None:
        value = self.context.settings.options.get("path")
        return Path(value).expanduser() if isinstance(value, str) and value else None

    def unavailable_reason(self) -> str | None:
        if self.path is None:
            return (
                "no snapshot file: set path under [sources.unpaywall-snapshot.options]"
                " in the configuration file"
            )
        if not self.path.is_file():
            return f"snapshot file not found: {self.path}"
        return None

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        await self._index()
        records = self.context.store.table("records")
        found: dict[Identifier, LookupResult] = {}
        for identifier in identifiers:
            line = records.get(identifier.value)
            try:
                found[identifier] = (
                    doi_object_to_work(_read_line(line, self.name), self.name) if line else None
                )
            except BadResponse as e:
                found[identifier] = e
        return found

    async def _index(self) -> None:
        """Index the snapshot unless the store already holds this very file."""
        async with self._indexed:
            if self._ready:
                return
            path = self.path
            assert path is not None  # unavailable_reason() keeps such a source from lookups
            stat = path.stat()
            stamp = f"{stat.st_size}:{stat.st_mtime_ns}".encode()
            marker = self.context.store.table("index")
            if marker.get(str(path.resolve())) != stamp:
                records = self.context.store.table("records")
                log.info("indexing the Unpaywall snapshot %s (once per file)", path)
                records.clear()
                count = await records.fill(snapshot_records(path))
                marker.clear()
                marker.put(str(path.resolve()), stamp)
                log.info("indexed %s records of the Unpaywall snapshot", f"{count:,}")
            self._ready = True
