"""A large batch's answers wake their waiters a few at a time, every one of them.

Every waiter woken in one turn of the event loop runs before the loop reads
its sockets again: 2,000 of arXiv's answers woken at once held every other
source's answers and next requests for a second and more. The runtime hands
the answers over ``_HANDED_A_TURN`` a turn, by callbacks that nothing can
cancel, so that every waiter still gets its answer.
"""

from __future__ import annotations

import asyncio

from engine_resolvers import make_resolver
from paperfuse import Ids, Work
from paperfuse._runtime import _HANDED_A_TURN, HandOvers, Outcome, _hand_over
from paperfuse.testing import fake_source


def _answers(count: int) -> list[tuple[asyncio.Future[Outcome], Outcome]]:
    loop = asyncio.get_running_loop()
    return [(loop.create_future(), Outcome("not_found", None, 1)) for _ in range(count)]


def test_answers_are_handed_over_a_few_each_turn_until_all_are() -> None:
    async def run() -> list[int]:
        answers = _answers(3 * _HANDED_A_TURN + 5)
        _hand_over(answers, 0)
        done = [sum(f.done() for f, _ in answers)]
        while done[-1] < len(answers):
            await asyncio.sleep(0)
            done.append(sum(f.done() for f, _ in answers))
        return done

    handed = asyncio.run(run())
    assert handed == [
        _HANDED_A_TURN,
        2 * _HANDED_A_TURN,
        3 * _HANDED_A_TURN,
        3 * _HANDED_A_TURN + 5,
    ]


def test_other_work_runs_between_the_turns_of_a_large_batch() -> None:
    async def run() -> tuple[int, int]:
        answers = _answers(10 * _HANDED_A_TURN)
        seen: list[int] = []
        asyncio.get_running_loop().call_soon(lambda: seen.append(sum(f.done() for f, _ in answers)))
        _hand_over(answers, 0)
        await asyncio.gather(*(f for f, _ in answers))
        return seen[0], len(answers)

    when_other_ran, total = asyncio.run(run())
    assert when_other_ran < total


def test_an_answer_already_given_is_left_as_it_is() -> None:
    async def run() -> list[Outcome]:
        answers = _answers(2 * _HANDED_A_TURN)
        first = Outcome("error", "lookup was cancelled", 0)
        answers[-1][0].set_result(first)
        _hand_over(answers, 0)
        return list(await asyncio.gather(*(f for f, _ in answers)))

    outcomes = asyncio.run(run())
    assert outcomes[-1].status == "error"
    assert {o.status for o in outcomes[:-1]} == {"not_found"}


def test_every_waiter_of_a_large_batch_is_answered() -> None:
    count = 10 * _HANDED_A_TURN + 3
    records = {
        ("doi", f"10.5555/{n}"): Work(title=f"T{n}", ids=Ids(doi=f"10.5555/{n}"))
        for n in range(count)
    }
    source = fake_source("table", ["doi"], records=records, batch_size=count)

    async def run() -> list[str]:
        async with make_resolver(source) as resolver:
            inputs = [f"10.5555/{n}" for n in range(count)]
            return [w.status async for w in resolver.aresolve_many(inputs)]

    statuses = asyncio.run(asyncio.wait_for(run(), 30))
    assert statuses == ["resolved"] * count
    assert len(source.calls) == 1


def test_a_batch_is_counted_while_its_answers_are_being_handed_over() -> None:
    """A batching source cuts its next batch only once no waiter is left to wake: the
    waiters still to wake may ask it for more identifiers (OpenAlex's lists)."""

    async def run() -> list[int]:
        handovers = HandOvers()
        _hand_over(_answers(_HANDED_A_TURN), 0, handovers)  # one turn: never counted
        counts = [handovers.count]
        answers = _answers(3 * _HANDED_A_TURN + 1)
        _hand_over(answers, 0, handovers)
        counts.append(handovers.count)
        while not all(f.done() for f, _ in answers):
            await asyncio.sleep(0)
            counts.append(handovers.count)
        return counts

    assert asyncio.run(run()) == [0, 1, 1, 1, 0]
