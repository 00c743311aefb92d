"""Answering works from a local OpenAlex works snapshot instead of the API.

OpenAlex publishes its whole database as a snapshot in the S3 bucket
``openalex`` (https://docs.openalex.org/download-all-data/snapshot-data-format,
https://developers.openalex.org/download/snapshot-format): per entity type a
folder of partitions ``data/works/updated_date=YYYY-MM-DD/part_NNN.gz``, each
a gzipped JSON Lines file of work objects in the API's own shape, plus a
``manifest`` listing the files. A partition holds the works last changed on
its date, so a work kept from an older download and present again in a newer
partition answers with its newest ``updated_date``.

Two DuckDB indexes (:class:`paperfuse.SnapshotIndex`) in the cache folder:

- ``snapshots/openalex-snapshot.duckdb``: every work by its OpenAlex id (the
  field every work has), typed columns and the raw work object, read from the
  partition files as they are;
- ``snapshots/openalex-snapshot-ids.duckdb``: the work's other identifiers
  (DOI, PMID, PMCID, MAG id), one small line each, which this module writes
  per partition file beside the index (``snapshots/openalex-snapshot-ids/``)
  and indexes the same way, so that a look-up by DOI finds the work id and
  then the work. Both are per file, resumable, and re-index a changed file.

The record is mapped by the API source's own mapping (:func:`to_work`), so a
work answers the same from the snapshot as from the API.
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
    Identifier,
    SnapshotFile,
    SnapshotIndex,
    SnapshotSource,
    snapshot_database,
)

from ._mapping import to_work

if TYPE_CHECKING:
    from paperfuse import Config, Work

__all__ = ["OpenAlexSnapshotIndex", "OpenAlexSnapshotSource", "looks_like_openalex_works"]

log = logging.getLogger("paperfuse")

#: The identifier schemes found through the identifier index (the OpenAlex id is the key).
_SCHEMES = ("doi", "pmid", "pmcid", "mag")
#: What OpenAlex writes before a DOI (``https://doi.org/10...``), stripped for the key.
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)")
_OPENALEX = "https://openalex.org/"


class _Work(msgspec.Struct):
    """The fields of a work object the identifier pass reads (the others are skipped)."""

    id: Any = None
    doi: Any = None
    updated_date: Any = None
    ids: Any = None


_work_decoder = msgspec.json.Decoder(_Work)


def alias_key(scheme: str, value: str) -> str:
    """The look-up key of one identifier: ``doi:10.1/x``, ``pmid:123``, ``pmcid:pmc123``.

    OpenAlex writes PMIDs and PMCIDs as URLs (``https://pubmed.ncbi.nlm.nih.gov/123``,
    ``https://www.ncbi.nlm.nih.gov/pmc/articles/5815332``, the number without
    ``PMC``): their last path segment is the identifier.
    """
    text = value.strip().lower()
    if scheme == "doi":
        return f"doi:{_DOI_PREFIX.sub('', text)}"
    text = text.rstrip("/").rsplit("/", 1)[-1]
    if scheme == "pmcid":
        text = "pmc" + text.removeprefix("pmc")
    return f"{scheme}:{text}"


def work_key(value: str) -> str:
    """The key of a work id in the main index: its OpenAlex URL (``W123`` or the URL)."""
    text = value.strip()
    return text if "://" in text else _OPENALEX + text.rsplit(":", 1)[-1].upper()


def _aliases(line: bytes) -> list[bytes]:
    """The identifier lines of one work line: ``{"key", "id", "updated_date"}`` each."""
    try:
        work = _work_decoder.decode(line)
    except (msgspec.DecodeError, RecursionError):
        return []
    if not isinstance(work.id, str) or not work.id.strip():
        return []
    found: dict[str, None] = {}
    if isinstance(work.doi, str) and work.doi.strip():
        found[alias_key("doi", work.doi)] = None
    if isinstance(work.ids, dict):
        for scheme in _SCHEMES:
            value = work.ids.get(scheme)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
                found[alias_key(scheme, str(value))] = None
    updated = work.updated_date if isinstance(work.updated_date, str) else None
    return [
        msgspec.json.encode({"key": key, "id": work.id.strip(), "updated_date": updated})
        for key in found
        if not key.endswith(":") and key not in ("pmcid:pmc",)
    ]


def _open(path: Path) -> io.BufferedIOBase:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else path.open("rb")  # type: ignore[return-value]


def _lines(path: Path) -> Iterator[bytes]:
    """The lines of a partition file; a file that breaks off ends where it broke."""
    number = 0
    with _open(path) as lines:
        try:
            for raw in lines:
                number += 1
                yield raw
        except (EOFError, OSError, zlib.error) as e:
            log.warning(
                "the snapshot %s breaks off after line %s (%s): its later identifiers"
                " are not indexed",
                path,
                f"{number:,}",
                e,
            )


def looks_like_openalex_works(first_line: bytes) -> bool:
    """Whether a snapshot file's first line is an OpenAlex work (``paperfuse snapshot index``)."""
    try:
        work = _work_decoder.decode(first_line)
    except (msgspec.DecodeError, RecursionError):
        return False
    return isinstance(work.id, str) and work.id.startswith(_OPENALEX + "W")


class OpenAlexSnapshotIndex:
    """The works of an OpenAlex snapshot by OpenAlex id, and their other ids beside.

    The same methods as :class:`paperfuse.SnapshotIndex`, over two of them:
    ``works`` (by OpenAlex id) and ``aliases`` (the other identifiers).
    :meth:`lookup` takes keys ``scheme:value`` (``doi:10.1/x``, ``pmid:123``,
    ``pmcid:PMC123``, ``mag:123``) or OpenAlex ids (``W123`` or the URL) and
    answers each with its work object's JSON text, the newest
    ``updated_date`` winning.
    """

    def __init__(self, database: Path, columns: Mapping[str, str]) -> None:
        self.database = database
        self.works = SnapshotIndex(database, key="id", columns=columns, updated="updated_date")
        self.aliases = SnapshotIndex(
            database.with_name(database.stem + "-ids.duckdb"),
            key="key",
            columns={"updated_date": "VARCHAR"},
            updated="updated_date",
        )
        self.alias_folder = database.with_name(database.stem + "-ids")

    @property
    def raw_store(self) -> Path:
        """The raw objects' file beside the database (see :class:`paperfuse.SnapshotIndex`)."""
        return self.works.raw_store

    def alias_file(self, path: Path) -> Path:
        """Where the identifier lines of ``path`` are written: named by its path, size, time."""
        stat = path.stat()
        digest = hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:16]
        return self.alias_folder / f"{digest}-{stat.st_size}-{stat.st_mtime_ns}.jsonl.gz"

    def _write_aliases(self, path: Path) -> Path:
        """Write the identifier lines of one partition file (once for its size and time)."""
        target = self.alias_file(path)
        if target.exists():
            return target
        self.alias_folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        with gzip.open(partial, "wb", compresslevel=1) as out:
            for line in _lines(path):
                for alias in _aliases(line):
                    out.write(alias + b"\n")
        os.replace(partial, target)  # whole or not at all: an interrupted write starts again
        return target

    def stale(self, files: Sequence[Path]) -> list[Path]:
        """Which of ``files`` are not indexed as they are now, works or identifiers."""
        works = set(self.works.stale(files))
        written = {p: self.alias_file(p) for p in files}
        behind = set(self.aliases.stale([a for a in written.values() if a.exists()]))
        return [p for p, a in written.items() if p in works or not a.exists() or a in behind]

    def index(
        self,
        files: Sequence[Path],
        *,
        progress: Callable[[Path, int], None] | None = None,
        forget_others: bool = True,
    ) -> list[SnapshotFile]:
        """Index the works of ``files`` not indexed as they are now, then their identifiers."""
        done = self.works.index(files, progress=progress, forget_others=forget_others)
        written = [self._write_aliases(p) for p in files]
        self.aliases.index(written, forget_others=forget_others)
        if forget_others:
            keep = set(written)
            for old in self.alias_folder.glob("*.jsonl.gz"):
                if old not in keep:
                    old.unlink(missing_ok=True)
        return done

    def lookup(self, keys: Iterable[str]) -> dict[str, str]:
        """The work object (JSON text) of each of ``keys`` held, by any of its identifiers."""
        by_work: dict[str, list[str]] = {}
        by_alias: dict[str, list[str]] = {}
        for key in keys:
            scheme, _, value = key.partition(":")
            if scheme in _SCHEMES and value:
                by_alias.setdefault(alias_key(scheme, value), []).append(key)
            else:
                work = work_key(value if scheme == "openalex" else key)
                by_work.setdefault(work.lower(), []).append(key)
        for alias, line in self.aliases.lookup(list(by_alias)).items():
            try:
                work_id = msgspec.json.decode(line)["id"]
            except (msgspec.DecodeError, KeyError, TypeError):
                continue
            by_work.setdefault(work_key(work_id).lower(), []).extend(by_alias[alias])
        found: dict[str, str] = {}
        for work_id, raw in self.works.lookup(list(by_work)).items():
            for given in by_work[work_id]:
                found[given] = raw
        return found

    def files(self) -> list[SnapshotFile]:
        """The partition files indexed, by path."""
        return self.works.files()

    def counts(self, column: str) -> dict[str, int]:
        return self.works.counts(column)

    def close(self) -> None:
        self.works.close()
        self.aliases.close()


class OpenAlexSnapshotSource(SnapshotSource):
    """Works answered from a local OpenAlex works snapshot, by OpenAlex id, DOI, PMID,
    PMCID or MAG id, with no network and no API key.

    Set the files with ``[sources.openalex-snapshot.options] path = "..."``: the
    snapshot's ``data/works/`` folder (its ``updated_date=...`` partitions), a
    partition file, or a list. They are indexed into the cache folder by
    ``paperfuse snapshot index`` or else by the first look-up; later runs index
    only the files that changed. Answers are not copied into the answer cache.
    """

    name = "openalex-snapshot"
    schemes = ("openalex", "doi", "pmid", "pmcid", "mag")
    description = (
        "a local OpenAlex works snapshot (gzipped JSON Lines) indexed on DuckDB, no network"
    )
    #: Its place in the default merge ranking: the API source's.
    role = "aggregator"
    snapshot_title = "the OpenAlex snapshot"
    #: The typed columns kept beside each raw work object (for queries of the index).
    snapshot_columns: ClassVar[dict[str, str]] = {
        "updated_date": "VARCHAR",
        "doi": "VARCHAR",
        "publication_year": "INTEGER",
        "type": "VARCHAR",
        "cited_by_count": "BIGINT",
    }

    @classmethod
    def snapshot_index(cls, config: Config) -> OpenAlexSnapshotIndex:
        """The DuckDB index of this source's snapshot, in ``config``'s cache folder."""
        return OpenAlexSnapshotIndex(
            snapshot_database(config.cache_dir, cls.name), cls.snapshot_columns
        )

    @staticmethod
    def snapshot_recognises(first_line: bytes) -> bool:
        """Whether a file whose first line is ``first_line`` is this snapshot's."""
        return looks_like_openalex_works(first_line)

    def snapshot_key(self, identifier: Identifier) -> str:
        return f"{identifier.scheme}:{identifier.value}"

    def snapshot_work(self, line: str) -> Work | None:
        return to_work(self.decode_line(line, "work"), self.name)
