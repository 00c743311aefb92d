"""Running a command's work in an event loop that Ctrl-C stops cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Coroutine
from types import FrameType
from typing import Any, TypeVar

__all__ = ["end_leftover_tasks", "run_in", "run_interruptibly"]

T = TypeVar("T")

#: How often, and for how long each time, tasks left running at the end are
#: cancelled and waited for (a task may swallow one cancellation: see below).
_CLEANUP_ROUNDS = 10
_CLEANUP_WAIT = 1.0


def run_interruptibly(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` in a new event loop; Ctrl-C cancels it, then raises ``KeyboardInterrupt``.

    Tasks still running when ``main`` ends are cancelled and waited for, as
    :func:`asyncio.run` does, but again while any is left (within a bound):
    on Python 3.10, ``asyncio.wait_for`` and the shielded clean-up of an HTTP
    connection can each swallow one cancellation, which would leave the
    process waiting for ever on a service that never answers.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return run_in(loop, main)
    finally:
        try:
            end_leftover_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def run_in(loop: asyncio.AbstractEventLoop, main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to its end in ``loop``; Ctrl-C cancels it, then raises ``KeyboardInterrupt``.

    Left to Python, Ctrl-C raises ``KeyboardInterrupt`` wherever the main
    thread is. Inside an asyncio task's step (a source parsing its answer, a
    merge) that ends the task with the exception: its work is left half done,
    nothing retrieves the exception, and Python prints "Task exception was
    never retrieved ... KeyboardInterrupt" on the way out. Here the first
    Ctrl-C only cancels ``main``, which unwinds in order, and
    ``KeyboardInterrupt`` is raised once it has; a second Ctrl-C is raised at
    once, a way out of work that does not end. This is how
    :class:`asyncio.Runner` (Python 3.11) treats SIGINT, done here for Python
    3.10 too. Outside the main thread, or where the program handles SIGINT
    itself, the signal is left alone.
    """
    task = loop.create_task(main)
    interrupts = 0

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1 and not task.done():
            task.cancel()
            loop.call_soon_threadsafe(lambda: None)  # wake the loop from its wait
            return
        raise KeyboardInterrupt

    handled = (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    previous = signal.signal(signal.SIGINT, on_sigint) if handled else None
    try:
        return loop.run_until_complete(task)
    except asyncio.CancelledError:
        if interrupts:
            raise KeyboardInterrupt from None
        raise
    except BaseException:
        if not task.done():  # interrupted from outside: unwind the work in order first
            task.cancel()
            with contextlib.suppress(BaseException):
                loop.run_until_complete(task)
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def end_leftover_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the tasks still running and wait for them, again while some are left."""
    for _ in range(_CLEANUP_ROUNDS):
        pending = asyncio.all_tasks(loop)
        if not pending:
            return
        for task in pending:
            task.cancel()
        done, _ = loop.run_until_complete(asyncio.wait(pending, timeout=_CLEANUP_WAIT))
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                loop.call_exception_handler(
                    {
                        "message": "unhandled exception in a task cancelled at the end",
                        "exception": task.exception(),
                        "task": task,
                    }
                )
