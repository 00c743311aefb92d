"""Counting the turns of an event loop, to see that long work lets other tasks run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class TurnCounter:
    """Counts the turns of the running event loop, from the first :meth:`seen` on.

    ``seen_at`` holds the count at each call of :meth:`seen` (or of a function
    :meth:`wrap` made): calls made in one step of a task share a turn; calls
    with other tasks' turns between them do not.
    """

    def __init__(self) -> None:
        self.turns = 0
        self.seen_at: list[int] = []
        self.running = True
        self._loop: asyncio.AbstractEventLoop | None = None

    def _tick(self) -> None:
        if self.running and self._loop is not None:
            self.turns += 1
            self._loop.call_soon(self._tick)

    def seen(self) -> None:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._loop.call_soon(self._tick)
        self.seen_at.append(self.turns)

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.seen()
            return function(*args, **kwargs)

        return counted

    @property
    def distinct(self) -> int:
        """In how many turns the calls were made."""
        return len(set(self.seen_at))
