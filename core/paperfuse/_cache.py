"""The answer cache: what each source said about each identifier, kept across runs.

Answers live in the embedded store, found and not found alike, with the time
they were fetched and an expiry (not-found answers expire sooner: the work
may appear). A re-run of a batch asks no source again for what is cached,
and a batch that was interrupted resumes where it stopped, because answers
are written as requests complete: gathered for at most a quarter of a second
(or 256 answers) so that a fast source does not pay a disk write per request,
and written at once when the run closes or is interrupted. Failures are never
cached.

If the store fails mid-run, the cache turns itself off with one warning and
resolution goes on uncached: a cache problem never stops a batch.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable
from typing import Any

import msgspec

from ._records import Work
from ._store import Store

__all__ = ["AnswerCache", "CacheInfo"]

log = logging.getLogger("paperfuse")

_encode = msgspec.msgpack.Encoder().encode
_decode_work = msgspec.msgpack.Decoder(Work).decode
_decode_works = msgspec.msgpack.Decoder(list[Work]).decode

#: A cached answer: ``("ok", work or works)`` or ``("not_found", None)``.
Answer = tuple[str, Any]
#: Answers gathered before they are written, at most (count, seconds).
_FLUSH_SIZE = 256
_FLUSH_AFTER = 0.25


class CacheInfo(msgspec.Struct, kw_only=True):
    """What ``paperfuse cache info`` shows."""

    path: str
    bytes: int
    answers: dict[str, dict[str, int]]
    counters: dict[str, int]


class AnswerCache:
    """Per-source, per-identifier answers with expiry, in the embedded store.

    ``read`` uses cached answers (off with ``--no-cache`` and ``--refresh``);
    ``write`` stores new ones (off with ``--no-cache``). ``ttl`` and
    ``ttl_not_found`` are lifetimes in seconds.
    """

    def __init__(
        self,
        store: Store,
        *,
        read: bool = True,
        write: bool = True,
        ttl: float = 30 * 86400,
        ttl_not_found: float = 86400,
    ) -> None:
        self.store = store
        self.read = read
        self.write = write
        self.ttl = ttl
        self.ttl_not_found = ttl_not_found
        # Answers not written yet, by (source, key): readable before they are written.
        self._unwritten: dict[tuple[str, str], tuple[str, bytes, float, float]] = {}
        self._written_at = time.monotonic()

    def _failed(self, error: sqlite3.Error) -> None:
        if self.read or self.write:
            log.warning("the answer cache failed (%s); going on without it", error)
        self.read = self.write = False

    def get(self, source: str, key: str, *, many: bool = False) -> Answer | None:
        """The cached, unexpired answer of ``source`` for ``key``, or None."""
        if not self.read:
            return None
        row: tuple[str, bytes] | None
        unwritten = self._unwritten.get((source, key))
        if unwritten is not None:
            row = (unwritten[0], unwritten[1])
        else:
            try:
                row = self.store.fetch_answer(source, key, time.time())
            except sqlite3.Error as e:
                self._failed(e)
                return None
        if row is None:
            return None
        status, body = row
        if status != "ok":
            return (status, None)
        try:
            return (status, _decode_works(body) if many else _decode_work(body))
        except msgspec.DecodeError:
            return None  # written by another version of the record: ask again

    def put(self, source: str, answers: Iterable[tuple[str, str, Any]]) -> None:
        """Keep ``(key, status, payload)`` answers of ``source``; failures are skipped."""
        if not self.write:
            return
        now = time.time()
        for key, status, payload in answers:
            if status not in ("ok", "not_found"):
                continue
            body = _encode(payload) if status == "ok" else b""
            expires = now + (self.ttl if status == "ok" else self.ttl_not_found)
            self._unwritten[(source, key)] = (status, body, now, expires)
        if len(self._unwritten) >= _FLUSH_SIZE or (
            self._unwritten and time.monotonic() - self._written_at >= _FLUSH_AFTER
        ):
            self.flush()

    def flush(self) -> None:
        """Write the answers kept so far, in one transaction."""
        self._written_at = time.monotonic()
        if not self._unwritten:
            return
        rows = [
            (source, key, status, body, fetched, expires)
            for (source, key), (status, body, fetched, expires) in self._unwritten.items()
        ]
        self._unwritten.clear()
        if not self.write:
            return
        try:
            self.store.store_answers(rows)
        except sqlite3.Error as e:
            self._failed(e)

    def info(self) -> CacheInfo:
        """Entries per source (found, not found, expired), counters, and the file's size."""
        path = self.store.path
        size = sum(
            p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists()
        )
        return CacheInfo(
            path=str(path),
            bytes=size,
            answers=self.store.answer_counts(time.time()),
            counters=self.store.counters(),
        )

    def clear(self, source: str | None = None, *, expired_only: bool = False) -> int:
        """Forget cached answers (of one source, or only the expired); how many."""
        return self.store.delete_answers(source, time.time() if expired_only else None)
