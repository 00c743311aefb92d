"""How a snapshot index stores its records: raw objects compressed in a store of their own.

The records are the recorded Unpaywall snapshot sample of tests/fixtures/unpaywall/snapshot/.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import sqlite3
from pathlib import Path

import duckdb
import pytest
from snapshot_sample import SAMPLE

from paperfuse import Config
from paperfuse_unpaywall import UnpaywallSnapshotSource

pytestmark = pytest.mark.usefixtures("logger_as_it_was")


def test_raw_objects_are_stored_compressed_and_answered_as_they_were(tmp_path: Path) -> None:
    index = UnpaywallSnapshotSource.snapshot_index(Config(cache_dir=str(tmp_path)))
    index.index([SAMPLE])
    lines = gzip.decompress(SAMPLE.read_bytes()).splitlines()
    text = sum(len(line) for line in lines)
    index.close()
    with contextlib.closing(sqlite3.connect(index.raw_store)) as raw:
        stored = raw.execute("SELECT sum(length(body)), count(*) FROM raw").fetchone()
    # zstd with a dictionary trained on the records: several times smaller than the text.
    assert stored[0] < text / 3
    assert stored[1] == len(lines)
    dois = [json.loads(line)["doi"] for line in lines]
    found = index.lookup(dois)
    assert [json.loads(found[d]) for d in dois] == [json.loads(line) for line in lines]
    index.close()


def test_an_index_of_the_older_layout_is_indexed_again(tmp_path: Path) -> None:
    """An index written before the raw objects were compressed (text in ``raw``)."""
    index = UnpaywallSnapshotSource.snapshot_index(Config(cache_dir=str(tmp_path)))
    index.database.parent.mkdir(parents=True)
    first = gzip.decompress(SAMPLE.read_bytes()).splitlines()[0]
    stat = SAMPLE.stat()
    with duckdb.connect(str(index.database)) as db:
        db.execute(
            "CREATE TABLE files (path VARCHAR PRIMARY KEY, size BIGINT, mtime_ns BIGINT,"
            " records BIGINT, seconds DOUBLE, complete BOOLEAN)"
        )
        db.execute(
            "INSERT INTO files VALUES (?, ?, ?, 1, 0.1, true)",
            [str(SAMPLE), stat.st_size, stat.st_mtime_ns],
        )
        db.execute("CREATE TABLE records (key VARCHAR, file VARCHAR, raw VARCHAR)")
        db.execute(
            "INSERT INTO records VALUES (?, ?, ?)",
            [json.loads(first)["doi"].lower(), str(SAMPLE), first.decode()],
        )
    assert index.stale([SAMPLE]) == [SAMPLE]  # the file is indexed, but in the old layout
    (done,) = index.index([SAMPLE])
    assert done.records == 2150
    doi = json.loads(first)["doi"]
    assert json.loads(index.lookup([doi])[doi]) == json.loads(first)
    assert index.stale([SAMPLE]) == []
    index.close()


def test_raw_objects_of_files_forgotten_or_interrupted_are_removed(tmp_path: Path) -> None:
    """The raw store keeps the objects of the files indexed, and no others."""
    lines = gzip.decompress(SAMPLE.read_bytes()).splitlines()
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_bytes(b"\n".join(lines[:1000]) + b"\n")
    second.write_bytes(b"\n".join(lines[1000:]) + b"\n")
    index = UnpaywallSnapshotSource.snapshot_index(Config(cache_dir=str(tmp_path / "cache")))
    index.index([first, second])
    index.close()
    # As if an index was stopped after the raw store committed, before DuckDB did.
    with contextlib.closing(sqlite3.connect(index.raw_store)) as raw:
        raw.execute("INSERT INTO raw VALUES (1000000, x'00')")
        raw.commit()
    index.index([second])  # the first file is forgotten
    with contextlib.closing(sqlite3.connect(index.raw_store)) as raw:
        assert raw.execute("SELECT count(*) FROM raw").fetchone()[0] == len(lines) - 1000
    doi = json.loads(lines[-1])["doi"]
    assert json.loads(index.lookup([doi])[doi]) == json.loads(lines[-1])
    index.close()


def test_snapshot_info_counts_the_raw_store_in_the_index_size(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from paperfuse.cli import main

    env = {"PAPERFUSE_CACHE_DIR": str(tmp_path)}
    runner = CliRunner()
    assert runner.invoke(main, ["snapshot", "index", "-q", str(SAMPLE)], env=env).exit_code == 0
    details = json.loads(runner.invoke(main, ["snapshot", "info", "--json"], env=env).stdout)
    raw = Path(details["raw_store"])
    assert raw.name == "unpaywall-snapshot.duckdb.raw"
    assert details["bytes"] == Path(details["path"]).stat().st_size + raw.stat().st_size
