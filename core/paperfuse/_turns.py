"""Long work in turns of the event loop, so that the rest of a batch is not held up.

A source that turns a large answer into records in one step (2,000 entries
of an arXiv feed, 100 works of an OpenAlex list) holds the event loop for
that long: every other source's answers wait to be read and its next
requests wait to leave. :func:`in_turns` hands the items out a few at a time
and lets the loop run the rest in between.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import TypeVar

__all__ = ["TURN", "in_turns"]

T = TypeVar("T")

#: Items handed out between two turns of the event loop, by default.
TURN = 32


async def in_turns(items: Iterable[T], every: int = TURN) -> AsyncIterator[T]:
    """Each of ``items``, giving the event loop a turn after every ``every`` of them.

    For a source's mapping of a large answer::

        async for item in paperfuse.in_turns(results):
            works.append(to_work(item))
    """
    if every < 1:
        raise ValueError(f"every must be at least 1, not {every}")
    for count, item in enumerate(items, 1):
        yield item
        if count % every == 0:
            await asyncio.sleep(0)
