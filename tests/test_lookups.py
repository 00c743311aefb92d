"""The lookups a source's runtime has yet to answer (paperfuse._waiting.Lookups)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from paperfuse import Identifier
from paperfuse._waiting import Lookups

ARXIV = frozenset({"arxiv"})
NONE: frozenset[str] = frozenset()


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def doi(n: int) -> Identifier:
    return Identifier(scheme="doi", value=f"10.5555/{n}")


def values(batch: list[Identifier]) -> list[str]:
    return [i.value for i in batch]


def test_lookups_of_works_lacking_a_waited_scheme_are_asked_first(
    loop: asyncio.AbstractEventLoop,
) -> None:
    lookups = Lookups()
    for n, lacking in enumerate([NONE, ARXIV, NONE, ARXIV, NONE]):
        lookups.add(doi(n), loop.create_future(), given=False, lacking=lacking)
    assert len(lookups) == 5
    assert values(lookups.take(3)) == ["10.5555/1", "10.5555/3", "10.5555/0"]
    assert values(lookups.take(10)) == ["10.5555/2", "10.5555/4"]
    assert len(lookups) == 0
    assert lookups.asked == 5


def test_a_lookup_another_work_lacking_a_scheme_waits_for_moves_ahead(
    loop: asyncio.AbstractEventLoop,
) -> None:
    lookups = Lookups()
    futures = [loop.create_future() for _ in range(3)]
    for n, future in enumerate(futures):
        lookups.add(doi(n), future, given=False, lacking=NONE)
    lookups.join(doi(2).key, given=False, lacking=ARXIV)
    assert lookups.future(doi(2).key) is futures[2]
    assert lookups.lacking(["arxiv"])
    assert values(lookups.take(1)) == ["10.5555/2"]
    assert values(lookups.take(5)) == ["10.5555/0", "10.5555/1"]


def test_what_a_lookup_lacks_is_counted_until_it_is_answered(
    loop: asyncio.AbstractEventLoop,
) -> None:
    lookups = Lookups()
    future = loop.create_future()
    lookups.add(doi(1), future, given=False, lacking=frozenset({"arxiv", "pmid"}))
    assert lookups.lacking(["arxiv"])
    assert lookups.lacking(["pmid", "pmcid"])
    assert not lookups.lacking(["pmcid"])
    assert not lookups.lacking(["arxiv"], waiting=False)  # waiting, not asked yet
    lookups.take(1)
    assert lookups.lacking(["arxiv"], waiting=False)
    # Another work that lacks a further scheme joins the lookup already asked.
    lookups.join(doi(1).key, given=True, lacking=frozenset({"pmcid"}))
    assert lookups.lacking(["pmcid"], waiting=False)
    assert not lookups.holds_given  # asked already: nothing of it waits
    assert lookups.answered(doi(1).key) is future
    assert lookups.answered(doi(1).key) is None
    assert not lookups.lacking(["arxiv", "pmid", "pmcid"])
    assert lookups.future(doi(1).key) is None


def test_an_inputs_own_identifier_is_held_until_it_is_asked_or_drained(
    loop: asyncio.AbstractEventLoop,
) -> None:
    lookups = Lookups()
    lookups.add(doi(1), loop.create_future(), given=False, lacking=NONE)
    assert not lookups.holds_given
    lookups.join(doi(1).key, given=True, lacking=NONE)
    assert lookups.holds_given
    lookups.take(1)
    assert not lookups.holds_given
    futures = [loop.create_future() for _ in range(2)]
    lookups.add(doi(2), futures[0], given=True, lacking=ARXIV)
    lookups.add(doi(3), futures[1], given=False, lacking=NONE)
    assert lookups.drain() == futures
    assert len(lookups) == 0
    assert not lookups.holds_given
    assert not lookups.lacking(["arxiv"])
    assert lookups.asked == 1  # the one taken before is still asked
