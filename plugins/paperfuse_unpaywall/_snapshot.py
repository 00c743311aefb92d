"""Answering DOIs from a local Unpaywall data snapshot instead of the API.

For more DOIs than the API's daily budget allows, Unpaywall publishes its
whole database as a snapshot: one DOI object per line (JSON Lines), usually
gzipped. This source indexes the files once into a DuckDB database in the cache
folder (again only the files that change) and then answers look-ups from
there in batches, without any network access.
"""

from __future__ import annotations

import gzip
import io
import logging
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import msgspec

from paperfuse import (
    SnapshotIndex,
    SnapshotSource,
    snapshot_database,
)

from ._mapping import doi_object_to_work

if TYPE_CHECKING:
    from paperfuse import Config, Work

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


class UnpaywallSnapshotSource(SnapshotSource):
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
    description = "a local Unpaywall data snapshot (JSON Lines) indexed on DuckDB, no network"
    #: Its place in the default merge ranking (docs/merge-policy.md).
    role = "open access index"
    snapshot_title = "the Unpaywall snapshot"
    #: Its files are always named in the configuration (``path``).
    answers_without_path = False
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

    @classmethod
    def snapshot_index(cls, config: Config) -> SnapshotIndex:
        """The DuckDB index of this source's snapshot, in ``config``'s cache folder."""
        return SnapshotIndex(
            snapshot_database(config.cache_dir, cls.name),
            key="doi",
            columns=cls.snapshot_columns,
            updated="updated",
        )

    def snapshot_work(self, line: str) -> Work | None:
        return doi_object_to_work(self.decode_line(line, "DOI"), self.name)

    @property
    def path(self) -> Path | None:
        """The first configured file (kept for callers of the one-file source)."""
        paths = self.paths
        return paths[0] if paths else None
