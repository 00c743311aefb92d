"""The lookups a source's runtime has yet to answer: waiting to be asked, and asked.

Beside each lookup's future two things are kept, for the sources that linger
(a batching source such as arXiv's, whose partial batch waits for the
identifiers other sources are still revealing, see ``Politeness.max_linger``):

- whether it is for an input's own identifier. Once every input has been
  read, no more such identifiers come, so a batch holding one leaves
  without lingering: its answers (the DOI an arXiv record gives, say) are
  what the other sources need next, and the identifiers revealed meanwhile
  go in a later batch;
- the schemes of each lingering source its work has none of (a work with
  an arXiv id lacks nothing arXiv's batch waits for). A lingering batch
  waits for the lookups that may still reveal one of its identifiers, not
  for those of works that have one already; and lookups that may reveal
  one are asked first, so that a lingering batch leaves while the revealing
  source still has other work, rather than once it has none.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._records import Identifier
    from ._runtime import Outcome

__all__ = ["Lookups"]

Key = tuple[Any, ...]
Waiter = tuple["Identifier", "asyncio.Future[Outcome]"]


class Lookups:
    """One source's lookups not yet answered, keyed by identifier (one per identifier)."""

    __slots__ = ("_asked", "_first", "_given", "_lacking", "_lacks", "_then")

    def __init__(self) -> None:
        # Waiting to be asked: those whose works lack a scheme a lingering source waits
        # for, then the others, each in the order they came.
        self._first: OrderedDict[Key, Waiter] = OrderedDict()
        self._then: OrderedDict[Key, Waiter] = OrderedDict()
        self._asked: dict[Key, asyncio.Future[Outcome]] = {}
        self._given: set[Key] = set()  # waiting, and some input's own identifier
        self._lacks: dict[Key, frozenset[str]] = {}  # waiting or asked, lacking a scheme
        # Per scheme, how many lookups lack it: [waiting, asked].
        self._lacking: dict[str, list[int]] = {}

    def __len__(self) -> int:
        """How many identifiers wait to be asked."""
        return len(self._first) + len(self._then)

    @property
    def asked(self) -> int:
        """How many identifiers are being asked now."""
        return len(self._asked)

    @property
    def holds_given(self) -> bool:
        """Whether an input's own identifier waits to be asked."""
        return bool(self._given)

    def future(self, key: Key) -> asyncio.Future[Outcome] | None:
        """The future of the identifier's lookup when it is waiting or asked, else None."""
        future = self._asked.get(key)
        if future is None:
            waiter = self._first.get(key) or self._then.get(key)
            future = waiter[1] if waiter is not None else None
        return future

    def add(
        self,
        identifier: Identifier,
        future: asyncio.Future[Outcome],
        *,
        given: bool,
        lacking: frozenset[str],
    ) -> None:
        """Queue a new identifier: ``given`` when it is an input's own, ``lacking`` the
        waited-for schemes its work has none of."""
        key = identifier.key
        (self._first if lacking else self._then)[key] = (identifier, future)
        if given:
            self._given.add(key)
        if lacking:
            self._lacks[key] = lacking
            self._count(lacking, 0, 1)

    def join(self, key: Key, *, given: bool, lacking: frozenset[str]) -> None:
        """Another input waits for the identifier's lookup (see :meth:`add`)."""
        asked = key in self._asked
        if given and not asked:
            self._given.add(key)
        new = lacking - self._lacks.get(key, frozenset())
        if not new:
            return
        self._lacks[key] = self._lacks.get(key, frozenset()) | new
        self._count(new, 1 if asked else 0, 1)
        if not asked and key in self._then:  # now it may reveal: asked first
            self._first[key] = self._then.pop(key)

    def take(self, size: int) -> list[Identifier]:
        """Up to ``size`` waiting identifiers, first those that may reveal, now asked."""
        batch: list[Identifier] = []
        for queue in (self._first, self._then):
            while queue and len(batch) < size:
                key, (identifier, future) = queue.popitem(last=False)
                self._asked[key] = future
                self._given.discard(key)
                lacks = self._lacks.get(key)
                if lacks:
                    self._count(lacks, 0, -1)
                    self._count(lacks, 1, 1)
                batch.append(identifier)
        return batch

    def answered(self, key: Key) -> asyncio.Future[Outcome] | None:
        """The future of an asked identifier, no longer asked; None when it was not."""
        future = self._asked.pop(key, None)
        if future is not None and (lacks := self._lacks.pop(key, None)):
            self._count(lacks, 1, -1)
        return future

    def drain(self) -> list[asyncio.Future[Outcome]]:
        """Every waiting identifier's future, none waiting any more."""
        futures = []
        for queue in (self._first, self._then):
            while queue:
                key, (_, future) = queue.popitem(last=False)
                self._given.discard(key)
                if lacks := self._lacks.pop(key, None):
                    self._count(lacks, 0, -1)
                futures.append(future)
        return futures

    def lacking(self, schemes: Collection[str], *, waiting: bool = True) -> bool:
        """Whether a lookup of a work lacking one of ``schemes`` is asked now, or (with
        ``waiting``) waits to be."""
        for scheme in schemes:
            counts = self._lacking.get(scheme)
            if counts is not None and (counts[1] or (waiting and counts[0])):
                return True
        return False

    def _count(self, schemes: frozenset[str], where: int, by: int) -> None:
        for scheme in schemes:
            self._lacking.setdefault(scheme, [0, 0])[where] += by
