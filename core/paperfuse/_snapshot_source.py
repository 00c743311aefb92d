"""A source that answers from a local data dump, indexed once by :class:`SnapshotIndex`.

Unpaywall's snapshot, OpenAlex's works snapshot and Crossref's public data
file are each such a source: the files named by ``path`` (a file, a folder or
a list) are indexed into the cache folder, by ``paperfuse snapshot index`` or
else by the first look-up, and later runs index only the files that changed.
Look-ups are batched (one query of the index for a batch of identifiers) and
their answers are not copied into the answer cache. A flavour says how to
index its files (:meth:`SnapshotSource.snapshot_index`), which key an
identifier has in the index (:meth:`SnapshotSource.snapshot_key`) and how a
stored line becomes a record (:meth:`SnapshotSource.snapshot_work`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

from ._errors import BadResponse
from ._snapshots import snapshot_files
from ._source import LookupResult, Politeness, Source, SourceContext

if TYPE_CHECKING:
    from ._config import Config
    from ._records import Identifier, Work

__all__ = ["SnapshotSource"]

log = logging.getLogger("paperfuse")


class SnapshotSource(Source):
    """The base of a source answered from an indexed local data dump (see the module).

    Subclasses set :attr:`name`, :attr:`schemes`, :attr:`description`,
    :attr:`snapshot_columns` and :attr:`snapshot_title`, and implement
    :meth:`snapshot_index` and :meth:`snapshot_work`.
    """

    #: Identifiers per query of the index: one query answers a whole window of inputs.
    batch_size = 2_000
    politeness = Politeness(min_interval=0.0, max_concurrency=1)
    caches_answers = False
    #: The typed columns kept beside each raw object (for queries of the index).
    snapshot_columns: ClassVar[dict[str, str]] = {}
    #: What log lines call the dump ("the Unpaywall snapshot").
    snapshot_title: ClassVar[str] = "the snapshot"
    #: Whether an index made by ``paperfuse snapshot index`` answers when no ``path``
    #: is configured (as it was indexed).
    answers_without_path: ClassVar[bool] = True

    def __init__(self, context: SourceContext) -> None:
        super().__init__(context)
        self._indexed = asyncio.Lock()
        self._ready = False
        self.index = self.snapshot_index(context.config)

    @classmethod
    def snapshot_index(cls, config: Config) -> Any:
        """The index of this source's dump in ``config``'s cache folder: a
        :class:`SnapshotIndex`, or an object with its methods."""
        raise NotImplementedError

    def snapshot_key(self, identifier: Identifier) -> str:
        """The key ``identifier`` has in the index (its value, unless the flavour says)."""
        return identifier.value

    def snapshot_work(self, line: str) -> Work | None:
        """The record of one stored line; :class:`BadResponse` when it cannot be read."""
        raise NotImplementedError

    def decode_line(self, line: str | bytes, what: str) -> Any:
        """The JSON of one stored line; :class:`BadResponse` naming the ``what`` it was
        looked up for ("DOI", "work") when the line cannot be read."""
        try:
            return msgspec.json.decode(line)
        except msgspec.DecodeError as e:
            reason = str(e)
        except RecursionError:
            reason = "JSON nested too deep"
        raise BadResponse(
            f"the snapshot's line for this {what} cannot be read: {reason}", source=self.name
        )

    @property
    def paths(self) -> list[Path]:
        """The dump's files, as configured (a file, a folder, or a list of them)."""
        value = self.context.settings.options.get("path")
        given = [value] if isinstance(value, str) else value
        if not isinstance(given, list) or not all(isinstance(v, str) and v for v in given):
            return []
        return snapshot_files(given)

    def unavailable_reason(self) -> str | None:
        if not self.paths:
            if self.answers_without_path and self.index.files():
                return None  # indexed by ``paperfuse snapshot index``: answered as indexed
            advice = (
                ", or run paperfuse snapshot index PATH..." if self.answers_without_path else ""
            )
            return (
                f"no snapshot file: set path under [sources.{self.name}.options]"
                f" in the configuration file{advice}"
            )
        missing = [p for p in self.paths if not p.is_file()]
        if missing:
            return f"snapshot file not found: {missing[0]}"
        return None

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        await self._index()
        keys = {identifier: self.snapshot_key(identifier) for identifier in identifiers}
        lines = await asyncio.to_thread(self.index.lookup, list(keys.values()))
        found: dict[Identifier, LookupResult] = {}
        for identifier, key in keys.items():
            line = lines.get(key)
            try:
                found[identifier] = self.snapshot_work(line) if line else None
            except BadResponse as e:
                found[identifier] = e
        return found

    async def _index(self) -> None:
        """Index the files not indexed as they are now (none, once indexed)."""
        async with self._indexed:
            if self._ready:
                return
            paths = self.paths
            if not paths:  # no files named: the index answers as it was indexed
                self._ready = True
                return
            known = {f.path for f in await asyncio.to_thread(self.index.files)}
            stale = await asyncio.to_thread(self.index.stale, paths)
            if stale or known - {str(p) for p in paths}:
                log.info(
                    "indexing %s (%s of %s files; once per file)",
                    self.snapshot_title,
                    len(stale),
                    len(paths),
                )
                done = await asyncio.to_thread(self.index.index, paths)
                log.info(
                    "indexed %s records of %s",
                    f"{sum(f.records for f in done):,}",
                    self.snapshot_title,
                )
            self._ready = True

    async def aclose(self) -> None:
        self.index.close()
