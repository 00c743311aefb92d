"""Python's garbage collector and thread switching, tuned while a batch's loop runs, then as
they were.

A batch allocates many small objects (answers, records, tasks) that hold no
reference cycles, and Python collects its youngest generation every 700 new
objects: 2,000 arXiv ids asked of nine sources spent about 0.4 s of 3.3 s of
CPU collecting, a tenth of the run, and each full collection (70 ms each,
more as the heap grows) held the event loop, and with it every request
waiting to leave. While a batch runs, what was there before it (modules,
classes, plugins, the caller's own objects) is frozen, so that no full
collection scans it again, and the youngest generation is collected every
10,000 new objects. The same 2,000 ids then spend about a third as long
collecting (0.13 s), with no full collection at all.

The interpreter's switch interval is 1 ms while a batch runs (5 ms by
default): the request pump's thread (:mod:`paperfuse._pump`), woken by an
answer that frees one of Unpaywall's slots, waits at most that long for the
interpreter while the batch's loop runs Python code, before it sends that
slot's next request. 2,000 DOIs at 50 ms: 12 % over the bound instead of 14.

These settings belong to the whole process: they are changed when
the first of any overlapping batches starts and put back when the last one
ends, so each is changed only around a synchronous run of the event loop
(``Resolver.resolve_many`` between two handings-over of works, the CLI's
whole batch), never across a generator's yields, which a caller may leave
unfinished. ``aresolve_many`` runs in the caller's own loop and changes
nothing. Objects a caller froze itself (``gc.freeze()`` before forking
workers, say) are left frozen: the batch then only collects less often.
"""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["SWITCH_INTERVAL", "YOUNG_THRESHOLD", "tuned_for_batches"]

#: New objects between collections of the youngest generation while a batch runs.
YOUNG_THRESHOLD = 10_000
#: The interpreter's thread switch interval while a batch runs (seconds), at most.
SWITCH_INTERVAL = 0.001

_lock = threading.Lock()
_batches = 0
_threshold: tuple[int, ...] = ()
_switch = 0.0
_froze = False


@contextmanager
def tuned_for_batches() -> Iterator[None]:
    """Run the body with the collector tuned for a batch (see the module's docstring)."""
    global _batches, _threshold, _switch, _froze
    with _lock:
        if _batches == 0:
            _switch = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch, SWITCH_INTERVAL))
            _threshold = gc.get_threshold()
            _froze = gc.get_freeze_count() == 0
            if _froze:
                gc.freeze()
            gc.set_threshold(max(_threshold[0], YOUNG_THRESHOLD), *_threshold[1:])
        _batches += 1
    try:
        yield
    finally:
        with _lock:
            _batches -= 1
            if _batches == 0:
                sys.setswitchinterval(_switch)
                gc.set_threshold(*_threshold)
                if _froze:
                    gc.unfreeze()
