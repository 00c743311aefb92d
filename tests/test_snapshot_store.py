"""How a snapshot index stores its records: raw objects compressed, older layouts indexed again.

The records are the recorded Unpaywall snapshot sample of tests/fixtures/unpaywall/snapshot/.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb

from paperfuse import Config
from paperfuse_unpaywall import UnpaywallSnapshotSource

SAMPLE = (
    Path(__file__).parent
    / "fixtures"
    / "unpaywall"
    / "snapshot"
    / "ezunpaywall_snapshot_2150records.jsonl.gz"
).resolve()


def test_raw_objects_are_stored_compressed_and_answered_as_they_were(tmp_path: Path) -> None:
    index = UnpaywallSnapshotSource.snapshot_index(Config(cache_dir=str(tmp_path)))
    index.index([SAMPLE])
    lines = gzip.decompress(SAMPLE.read_bytes()).splitlines()
    text = sum(len(line) for line in lines)
    index.close()
    with duckdb.connect(str(index.database), read_only=True) as db:
        stored = db.execute("SELECT sum(octet_length(raw)) FROM records").fetchone()[0]
    # zstd with a dictionary trained on the records: several times smaller than the text.
    assert stored < text / 3
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
