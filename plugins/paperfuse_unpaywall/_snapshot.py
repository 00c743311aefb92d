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
import logging
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

import msgspec

from paperfuse import Identifier, LookupResult, Politeness, Source, SourceContext

from ._mapping import doi_object_to_work

__all__ = ["UnpaywallSnapshotSource", "snapshot_records"]

log = logging.getLogger("paperfuse")


class _DoiOnly(msgspec.Struct):
    doi: str


_doi_decoder = msgspec.json.Decoder(_DoiOnly)


def _open(path: Path) -> IO[bytes]:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else path.open("rb")


def snapshot_records(path: Path) -> Iterator[tuple[str, bytes]]:
    """``(doi, line)`` for every readable line of a snapshot file, gzipped or not.

    Lines that are not a JSON object with a ``doi`` are skipped and counted in
    a warning at the end: one bad line never stops an index of millions.
    """
    skipped = 0
    with _open(path) as lines:
        for line in lines:
            line = line.strip()
            if not line:
                continue
            try:
                doi = _doi_decoder.decode(line).doi.strip().lower()
            except msgspec.DecodeError:
                skipped += 1
                continue
            if doi:
                yield doi, line
            else:
                skipped += 1
    if skipped:
        log.warning("%s lines of the snapshot %s could not be read and were skipped", skipped, path)


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
            found[identifier] = (
                doi_object_to_work(msgspec.json.decode(line), self.name) if line else None
            )
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
