"""paperfuse on Spark: the recipe of docs/scale.md, run on a local Spark of two cores.

Indexes the recorded Unpaywall snapshot sample (2,150 records,
tests/fixtures/unpaywall/snapshot/) into a temporary cache folder, then
resolves its DOIs (and a few it does not hold) on ``local[2]`` Spark, twice:
with ``DataFrame.mapInPandas`` and with ``RDD.mapPartitions``, each calling
:func:`paperfuse.resolve_partition`. Checks that both give, row for row, the
records that ``Resolver.resolve_many`` gives in this process, and prints the
time of each. Only the ``unpaywall-snapshot`` source answers: nothing asks a
network.

Runs where a Java runtime and pyspark are installed, and says it is skipped
(exit status 0) where they are not::

    .venv/bin/pip install pyspark      # and a JVM: apt-get install openjdk-17-jre-headless
    .venv/bin/python benchmarks/spark_partitions.py
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import paperfuse
from paperfuse import Config, SourceSettings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests/fixtures/unpaywall/snapshot/ezunpaywall_snapshot_2150records.jsonl.gz"
#: Every installed plugin but Unpaywall's: the snapshot answers alone.
OTHERS = sorted({ep.name for ep in entry_points(group="paperfuse")} - {"unpaywall"})
SCHEMA = (
    "input string, status string, doi string, title string, year int,"
    " oa_status string, record string"
)


def row(work: paperfuse.Work) -> dict[str, Any]:
    """The columns kept of a record (the whole record as JSON in ``record``)."""
    return {
        "input": work.input,
        "status": work.status,
        "doi": work.ids.doi,
        "title": work.title,
        "year": work.year,
        "oa_status": work.oa_status,
        "record": paperfuse.encode_json(work).decode(),
    }


def main() -> int:
    if shutil.which("java") is None:
        print("skipped: no Java runtime (java) on PATH")
        return 0
    try:
        import pandas as pd
        from pyspark.sql import SparkSession
    except ImportError as e:
        print(f"skipped: {e.name} is not installed (pip install pyspark pandas)")
        return 0

    folder = Path(tempfile.mkdtemp(prefix="paperfuse-spark-"))
    try:
        config = Config(
            cache_dir=str(folder / "cache"),
            disabled_plugins=OTHERS,
            sources={"unpaywall-snapshot": SourceSettings(options={"path": str(SAMPLE)})},
        )
        lines = gzip.decompress(SAMPLE.read_bytes()).splitlines()
        dois = [json.loads(line)["doi"] for line in lines]
        dois[100:100] = ["10.1234/not-in-the-snapshot", "not an identifier"]
        # Index once, before the workers start (they would wait for each other's lock).
        from paperfuse_unpaywall import UnpaywallSnapshotSource

        index = UnpaywallSnapshotSource.snapshot_index(config)
        index.index([SAMPLE.resolve()])
        index.close()
        with paperfuse.Resolver(config) as resolver:
            expected = [row(w) for w in resolver.resolve_many(dois)]

        # The executors' Python must have paperfuse: this one.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        spark = (
            SparkSession.builder.master("local[2]")
            .appName("paperfuse")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        try:
            # repartition shuffles: number the rows to put the answers back in input order
            frame = spark.createDataFrame(
                pd.DataFrame({"n": range(len(dois)), "doi": dois})
            ).repartition(4)

            def resolve_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
                # Runs in Spark's Python workers: one resolver per worker, kept across tasks.
                for batch in batches:
                    works = paperfuse.resolve_partition(batch["doi"].tolist(), config)
                    out = pd.DataFrame([row(w) for w in works])
                    out.insert(0, "n", batch["n"].to_numpy())
                    yield out

            started = time.perf_counter()
            result = frame.mapInPandas(resolve_batches, schema=f"n long, {SCHEMA}").toPandas()
            in_pandas = time.perf_counter() - started
            got = result.sort_values("n").drop(columns="n").to_dict("records")
            check("mapInPandas", got, expected)

            def resolve_rows(rows: Iterator[Any]) -> Iterator[tuple[int, dict[str, Any]]]:
                rows = list(rows)
                works = paperfuse.resolve_partition((r.doi for r in rows), config)
                for r, work in zip(rows, works, strict=True):
                    yield r.n, row(work)

            started = time.perf_counter()
            pairs = frame.rdd.mapPartitions(resolve_rows).collect()
            in_rdd = time.perf_counter() - started
            check("mapPartitions", [r for _, r in sorted(pairs, key=lambda p: p[0])], expected)
        finally:
            spark.stop()
        print(
            f"{len(dois):,} inputs on local[2] Spark: mapInPandas {in_pandas:.1f} s,"
            f" mapPartitions {in_rdd:.1f} s (worker start-up and the first index open included)"
        )
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check(name: str, got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return all(
            (a[k] == b[k]) or (a[k] != a[k] and b[k] is None) or (a[k] is None and b[k] != b[k])
            for k in b
        )

    bad = [n for n, (a, b) in enumerate(zip(got, expected, strict=False)) if not same(a, b)]
    if len(got) != len(expected) or bad:
        raise SystemExit(f"{name}: {len(bad)} rows differ from resolve_many (first: {bad[:3]})")
    print(f"{name}: {len(got):,} records, the same as resolve_many's, in input order")


if __name__ == "__main__":
    sys.exit(main())
