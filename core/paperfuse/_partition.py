"""Resolving one partition of a distributed collection: :func:`resolve_partition`.

Engines that split a large table into partitions (Dask, Spark, Ray, a
``multiprocessing`` pool) run one function per partition, many partitions
per worker process. :func:`resolve_partition` is that function: an iterator
of inputs in, their records out, in order. The worker process keeps one
:class:`~paperfuse.Resolver` per configuration for all the partitions it is
given, so that its sources' pacing, batching, snapshot index and answer
cache are the worker's, not remade per partition.

Rate limits of web APIs are per user, not per worker: ten workers asking
Unpaywall do not get ten times its allowance. Fan-out pays for snapshots
(each worker reads the same local index) and for CPU (mapping and merging);
for APIs it is capped at one worker's budget (see docs/scale.md).
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterable, Iterator

import msgspec

from ._config import Config, load_config
from ._records import Work
from ._resolver import Resolver

__all__ = ["resolve_partition"]

#: The worker's resolvers, by configuration (its msgpack bytes): made on first use.
_resolvers: dict[bytes, tuple[Resolver, threading.Lock]] = {}
_made = threading.Lock()


def resolve_partition(rows: Iterable[str | None], config: Config | None = None) -> Iterator[Work]:
    """One :class:`~paperfuse.Work` per input of ``rows``, in order, by this process's resolver.

    ``config`` (by default :func:`~paperfuse.load_config`'s) must give
    ``cache_dir`` a folder every worker can reach when answers should be
    shared (each worker then opens the same answer cache and snapshot index).
    A worker that runs partitions in several threads resolves them one at a
    time, so that its sources keep one pace. A blank or missing input (a
    ``None`` in a dataframe's column) is resolved as an empty text: a record
    with status ``invalid``, so that outputs stay aligned with inputs.
    """
    resolver, lock = _resolver(config if config is not None else load_config())
    with lock:
        yield from resolver.resolve_many("" if row is None else str(row) for row in rows)


def _resolver(config: Config) -> tuple[Resolver, threading.Lock]:
    key = msgspec.msgpack.encode(config)
    with _made:
        found = _resolvers.get(key)
        if found is None:
            found = _resolvers[key] = (Resolver(config), threading.Lock())
        return found


@atexit.register
def _close_resolvers() -> None:
    """Close the worker's resolvers when it exits (their event loops, stores, indexes)."""
    while _resolvers:
        _, (resolver, lock) = _resolvers.popitem()
        with lock:
            resolver.close()
