"""Partitions: paperfuse.resolve_partition, and paperfuse.dask on a local cluster of processes.

The inputs are DOIs of the recorded Unpaywall snapshot sample
(tests/fixtures/unpaywall/snapshot/), answered by the ``unpaywall-snapshot``
source alone: every other plugin is disabled, so nothing asks a network.
The records of the cluster are compared with those of ``paperfuse resolve``
for the same inputs.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import msgspec
import pytest
from snapshot_sample import SAMPLE

import paperfuse
from paperfuse import Config, SourceSettings, encode_json

#: Every installed plugin but Unpaywall's (whose API source is skipped without an
#: email): the snapshot answers alone.
OTHERS = sorted({ep.name for ep in entry_points(group="paperfuse")} - {"unpaywall"})


def inputs() -> list[str]:
    """120 DOIs of the sample, some in upper case, and two the snapshot does not hold."""
    dois = [json.loads(line)["doi"] for line in gzip.decompress(SAMPLE.read_bytes()).splitlines()]
    chosen = dois[::18][:120]
    chosen[5] = chosen[5].upper()
    return [*chosen[:60], "10.1234/not-in-the-snapshot", *chosen[60:], "not an identifier"]


def write_config(folder: Path) -> Path:
    path = folder / "paperfuse.toml"
    path.write_text(
        f"cache_dir = {json.dumps(str(folder / 'cache'))}\n"
        f"disabled_plugins = {json.dumps(OTHERS)}\n"
        "[sources.unpaywall-snapshot.options]\n"
        f"path = {json.dumps(str(SAMPLE))}\n"
    )
    return path


def snapshot_config(folder: Path) -> Config:
    return Config(
        cache_dir=str(folder / "cache"),
        disabled_plugins=OTHERS,
        sources={"unpaywall-snapshot": SourceSettings(options={"path": str(SAMPLE)})},
    )


def cli_records(folder: Path, rows: list[str]) -> list[dict[str, object]]:
    """What ``paperfuse resolve`` prints for ``rows`` (JSON Lines), run as a user runs it."""
    (folder / "inputs.txt").write_text("\n".join(rows) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFUSE_") or k == "PATH"}
    env["PAPERFUSE_CONFIG"] = str(write_config(folder))
    result = subprocess.run(
        [sys.executable, "-m", "paperfuse", "resolve", "-q", "--input", str(folder / "inputs.txt")],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_resolve_partition_keeps_input_order_and_one_resolver_per_process(
    tmp_path: Path,
) -> None:
    from paperfuse import _partition

    rows = inputs()
    config = snapshot_config(tmp_path)
    before = len(_partition._resolvers)
    first = list(paperfuse.resolve_partition(iter(rows[:50]), config))
    second = list(paperfuse.resolve_partition(rows[50:], config))
    works = first + second
    assert [w.input for w in works] == rows
    assert [w.status for w in works].count("resolved") == 120
    assert works[60].status == "not_found"
    assert works[-1].status == "not_found"  # a title, and no source here searches titles
    # The same configuration reuses the process's resolver (and its open index).
    assert len(_partition._resolvers) == before + 1
    resolver, _ = _partition._resolvers[msgspec.msgpack.encode(config)]
    assert resolver.stats()["unpaywall-snapshot"].calls >= 1
    blank = [w.status for w in paperfuse.resolve_partition([None, ""], config)]
    assert blank == ["invalid", "invalid"]  # a missing value keeps its place


@pytest.fixture(scope="module")
def cluster() -> object:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            worker_dashboard_address=None,
        ) as local,
        distributed.Client(local) as client,
    ):
        yield client


def test_dask_bag_on_two_worker_processes_gives_the_records_of_the_cli(
    tmp_path: Path, cluster: object
) -> None:
    import dask.bag as db

    import paperfuse.dask

    rows = inputs()
    config = snapshot_config(tmp_path)
    # Index once before the cluster starts, as docs/scale.md advises (workers would
    # otherwise wait for each other's write lock and find the index done).
    subprocess.run(
        [
            sys.executable,
            "-m",
            "paperfuse",
            "snapshot",
            "index",
            "-q",
            str(SAMPLE),
            "--cache-dir",
            str(tmp_path / "cache"),
        ],
        check=True,
        timeout=120,
        capture_output=True,
    )
    bag = db.from_sequence(rows, npartitions=6)
    works = paperfuse.dask.resolve_bag(bag, config).compute()
    workers = cluster.run(os.getpid)  # type: ignore[attr-defined]
    assert len(set(workers.values())) == 2
    records = [json.loads(encode_json(w)) for w in works]
    assert [r["input"] for r in records] == rows  # input order, partition by partition
    assert records == cli_records(tmp_path, rows)


def test_dask_dataframe_lines_up_with_its_input_rows(tmp_path: Path, cluster: object) -> None:
    import dask.dataframe as dd
    import pandas as pd

    import paperfuse.dask

    rows = inputs()
    frame = pd.DataFrame({"doi": rows, "row": range(len(rows))})
    frame.index = [f"r{n}" for n in range(len(rows))]
    result = paperfuse.dask.resolve_dataframe(
        dd.from_pandas(frame, npartitions=4, sort=False), "doi", snapshot_config(tmp_path)
    ).compute()
    assert list(result.index) == list(frame.index)
    assert list(result["input"]) == rows
    assert list(result.columns) == list(paperfuse.dask.RECORD_COLUMNS)
    assert (result["status"] == "resolved").sum() == 120
    gold = result[result["oa_status"] == "gold"].iloc[0]
    assert gold["best_oa_url"].startswith("http")
    assert paperfuse.decode_work(gold["record"].encode()).ids.doi == gold["doi"]
    assert result["year"].dtype == "Int64"
