"""The answer cache: what each source said about each identifier, kept across runs.

Answers live in the embedded store, found and not found alike, with the time
they were fetched and an expiry (not-found answers expire sooner: the work
may appear). A re-run of a batch asks no source again for what is cached,
and a batch that was interrupted, even killed, resumes where it stopped:
answers are read back at once, and committed to the file together within a
quarter of a second of their call, on every path (WAL mode without a sync
per commit: cheap, and safe from a killed process, which loses at most that
last quarter second). Failures are never cached.

If the store cannot be used, or fails mid-run, it goes on in memory with one
warning (see :class:`~paperfuse._store.Store`) and the cache turns itself off:
a cache problem never stops a batch.
"""

from __future__ import annotations

import logging
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
#: Seconds a source's having no stored answer is believed before the store is asked again.
_EMPTY_RECHECK = 2.0

#: A cached answer: ``("ok", work or works)`` or ``("not_found", None)``.
Answer = tuple[str, Any]


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
        # Per source: until when (monotonic) the store is believed to hold none of its
        # answers, or -1 once it holds some. A first run asks the store once per source
        # rather than once per lookup; another process's answers are seen within
        # _EMPTY_RECHECK seconds.
        self._empty_until: dict[str, float] = {}

    @property
    def reading(self) -> bool:
        """Whether cached answers are used now (not when the store lives in memory)."""
        return self.read and not self.store.in_memory

    def get(self, source: str, key: str, *, many: bool = False) -> Answer | None:
        """The cached, unexpired answer of ``source`` for ``key``, or None."""
        if not self.reading:
            return None
        empty_until = self._empty_until.get(source)
        if empty_until is None or 0 <= empty_until <= time.monotonic():
            has = self.store.has_answers(source)
            empty_until = -1.0 if has else time.monotonic() + _EMPTY_RECHECK
            self._empty_until[source] = empty_until
        if empty_until >= 0:
            return None
        row = self.store.fetch_answer(source, key, time.time())
        if row is None:
            return None
        status, body = row
        if status != "ok":
            return (status, None)
        try:
            return (status, _decode_works(body) if many else _decode_work(body))
        except msgspec.DecodeError:
            return None  # written by another version of the record: ask again

    def put(self, source: str, answers: Iterable[tuple[str, str, Any]]) -> dict[str, str]:
        """Store ``(key, status, payload)`` answers of ``source``; failures are skipped.

        Returns, by key, why an answer could not be stored (a value out of the
        range the cache's encoding holds, say): such an answer is the source's
        bad response, not a reason to lose the others.
        """
        unstorable: dict[str, str] = {}
        if not self.write or self.store.in_memory:
            return unstorable
        now = time.time()
        rows = []
        for key, status, payload in answers:
            if status not in ("ok", "not_found"):
                continue
            try:
                body = _encode(payload) if status == "ok" else b""
            except (OverflowError, TypeError, ValueError) as e:
                unstorable[key] = f"{type(e).__name__}: {e}"
                continue
            expires = now + (self.ttl if status == "ok" else self.ttl_not_found)
            rows.append((source, key, status, body, now, expires))
        if rows:
            self.store.store_answers(rows)
            self._empty_until[source] = -1.0
        return unstorable

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
