"""paperfuse on Dask: :func:`paperfuse.resolve_partition` mapped over a bag or a dataframe.

Needs the ``scale`` extra (``pip install 'paperfuse[scale]'``). Each
partition is resolved by the resolver of the worker process that runs it
(one per worker, kept for all its partitions), and its records come back in
the partition's input order::

    import dask.bag as db
    from dask.distributed import Client, LocalCluster
    import paperfuse, paperfuse.dask

    client = Client(LocalCluster(n_workers=4, threads_per_worker=1))
    config = paperfuse.load_config(cache_dir="/shared/paperfuse-cache")
    dois = db.read_text("dois-*.txt").map(str.strip)
    records = paperfuse.dask.resolve_bag(dois, config).map(paperfuse.to_builtins)

Rate limits of web APIs are per user: fan-out is for snapshots and CPU
(docs/scale.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ._partition import resolve_partition
from ._records import Work, encode_json

if TYPE_CHECKING:
    import dask.bag
    import dask.dataframe
    import pandas

    from ._config import Config

__all__ = ["RECORD_COLUMNS", "resolve_bag", "resolve_dataframe", "resolve_pandas"]

#: The columns of :func:`resolve_dataframe`'s result, and their pandas dtypes.
RECORD_COLUMNS: dict[str, str] = {
    "input": "object",
    "status": "object",
    "doi": "object",
    "title": "object",
    "year": "Int64",
    "oa_status": "object",
    "best_oa_url": "object",
    "record": "object",
}


def resolve_bag(bag: dask.bag.Bag, config: Config | None = None) -> dask.bag.Bag:
    """A bag of :class:`~paperfuse.Work` records, one per input of ``bag``, in its order."""
    return bag.map_partitions(_resolve_list, config)


def resolve_dataframe(
    frame: dask.dataframe.DataFrame, column: str, config: Config | None = None
) -> dask.dataframe.DataFrame:
    """A dataframe of records (:data:`RECORD_COLUMNS`), one row per row of ``frame``.

    Each row's input is read from ``column``; each partition of the result
    has the index of the partition it comes from, so it lines up with
    ``frame`` (``frame.join(result)``). ``record`` holds the whole record
    as JSON text (:func:`paperfuse.decode_work` reads it back).
    """
    import pandas as pd

    meta = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in RECORD_COLUMNS.items()})
    return frame.map_partitions(resolve_pandas, column, config, meta=meta)


def resolve_pandas(
    frame: pandas.DataFrame, column: str, config: Config | None = None
) -> pandas.DataFrame:
    """One partition of :func:`resolve_dataframe` (a pandas dataframe in, records out).

    Also what Spark's ``mapInPandas`` needs, batch by batch (docs/scale.md).
    """
    import pandas as pd

    rows = [_row(work) for work in resolve_partition(frame[column].tolist(), config)]
    result = pd.DataFrame(rows, columns=list(RECORD_COLUMNS), index=frame.index)
    return result.astype(RECORD_COLUMNS)


def _resolve_list(rows: Iterable[Any], config: Config | None) -> list[Work]:
    return list(resolve_partition(rows, config))


def _row(work: Work) -> dict[str, Any]:
    best = work.best_oa_location
    return {
        "input": work.input,
        "status": work.status,
        "doi": work.ids.doi,
        "title": work.title,
        "year": work.year,
        "oa_status": work.oa_status,
        "best_oa_url": (best.url_for_pdf or best.url) if best is not None else None,
        "record": encode_json(work).decode(),
    }
