"""Awaiting something for at most so many seconds, in the task that awaits it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import Any

__all__ = ["within"]

if sys.version_info >= (3, 11):

    async def within(awaitable: Awaitable[Any], seconds: float) -> Any:
        """Await ``awaitable`` in this task (so it starts now), for at most ``seconds``.

        ``asyncio.wait_for`` runs it as a task of its own, which starts only at
        the event loop's next turn, after everything else ready to run: for
        every request and every call to a source, that was a task made and a
        turn waited.
        """
        async with asyncio.timeout(seconds):
            return await awaitable

else:  # pragma: no cover - Python 3.10
    within = asyncio.wait_for
