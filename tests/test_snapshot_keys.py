"""The key index of a snapshot: look-ups that probe a B-tree of key hashes, not DuckDB's column.

Every record is a recorded Unpaywall snapshot record from
tests/fixtures/unpaywall/snapshot/ (the 2,150-record gzipped sample) or a
copy of one with its ``updated`` or ``oa_status`` changed here, which the
test says. No server: a snapshot needs none.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import sqlite3
from pathlib import Path
from typing import Any

import duckdb
import pytest
from snapshot_sample import SAMPLE

import paperfuse._snapshots as snapshots
from paperfuse import Config, SnapshotIndex
from paperfuse_unpaywall import UnpaywallSnapshotSource


def sample_lines() -> list[bytes]:
    return gzip.decompress(SAMPLE.read_bytes()).splitlines()


def unpaywall_index(cache: Path) -> SnapshotIndex:
    return UnpaywallSnapshotSource.snapshot_index(Config(cache_dir=str(cache)))


def write(path: Path, lines: list[bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path.resolve()


def keys_of(index: SnapshotIndex) -> list[int]:
    """The ids the key index holds, in order."""
    with contextlib.closing(sqlite3.connect(index.raw_store)) as raw:
        return sorted(row[0] for row in raw.execute("SELECT id FROM keys"))


def keyed_files(index: SnapshotIndex) -> set[str]:
    with contextlib.closing(sqlite3.connect(index.raw_store)) as raw:
        return {row[0] for row in raw.execute("SELECT path FROM keyed")}


def records_of(index: SnapshotIndex, keys: set[str] | None = None) -> list[int]:
    """The ids of DuckDB's rows with a key (one of ``keys``, if given), in order."""
    with duckdb.connect(str(index.database), read_only=True) as db:
        rows = db.execute("SELECT key, id FROM records WHERE key IS NOT NULL").fetchall()
    return sorted(id_ for key, id_ in rows if keys is None or key in keys)


def probed_and_joined(index: SnapshotIndex, asked: list[str]) -> tuple[dict[str, bytes], ...]:
    """What the key index answers for ``asked``, and what DuckDB's join answers."""
    connection = index._connection()
    wanted = {key.strip().lower(): [key] for key in asked}
    probed = index._probe(connection, wanted)
    rows = index._join(connection, wanted)
    bodies = index._bodies(id_ for id_, _ in rows)
    return probed, {key: bodies[id_] for id_, key in rows}


def dois(lines: list[bytes]) -> list[str]:
    return [json.loads(line)["doi"] for line in lines]


def with_fields(line: bytes, **fields: Any) -> bytes:
    record = json.loads(line)
    record.update(fields)
    return json.dumps(record).encode()


def test_look_ups_read_the_key_index_not_duckdbs_key_column(tmp_path: Path) -> None:
    lines, index = sample_indexed(tmp_path)
    assert keys_of(index) == records_of(index)  # every key, once per record
    assert keyed_files(index) == {str(SAMPLE)}
    # Emptied, DuckDB's key column cannot answer: the answers come from the key index.
    with duckdb.connect(str(index.database)) as db:
        db.execute("UPDATE records SET key = NULL")
    found = index.lookup([d.upper() + " " for d in dois(lines)])
    assert index._keys_ready
    assert len(found) == len(lines)
    assert json.loads(found[dois(lines)[7].upper() + " "]) == json.loads(lines[7])
    assert index.lookup(["10.1/not-in-the-snapshot"]) == {}
    index.close()


@pytest.mark.parametrize("newer_first", [True, False])
def test_a_key_in_several_files_answers_its_latest_record_through_the_key_index(
    tmp_path: Path, newer_first: bool
) -> None:
    """Copies of one recorded record, ``updated`` and ``oa_status`` changed here."""
    line = sample_lines()[0]
    doi = json.loads(line)["doi"]
    old = with_fields(line, updated="2019-01-01T00:00:00", oa_status="closed")
    new = with_fields(line, updated="2021-01-01T00:00:00", oa_status="gold")
    first, second = (new, old) if newer_first else (old, new)
    paths = [
        write(tmp_path / "a.jsonl", [first, *sample_lines()[1:50]]),
        write(tmp_path / "b.jsonl", [second, *sample_lines()[50:100]]),
        write(tmp_path / "c.jsonl", [with_fields(line, updated=None, oa_status="bronze")]),
        # An ``updated`` that is no JSON string: its text is DuckDB's to tell.
        write(tmp_path / "d.jsonl", [with_fields(line, updated=2020, oa_status="green")]),
        write(tmp_path / "e.jsonl", [with_fields(sample_lines()[1], updated=[2030])]),
    ]
    index = unpaywall_index(tmp_path / "cache")
    index.index(paths)
    assert json.loads(index.lookup([doi])[doi])["oa_status"] == "gold"
    assert index._keys_ready  # the probe answered, not the join
    assert json.loads(index.lookup([dois(sample_lines())[1]])[dois(sample_lines())[1]]) == {
        **json.loads(sample_lines()[1]),
        "updated": [2030],
    }
    # The same answer as DuckDB's join for every key.
    probed, joined = probed_and_joined(index, dois(sample_lines()[:100]))
    assert probed == joined
    assert len(probed) == 100
    index.close()


def test_on_a_tie_the_latest_indexed_record_answers(tmp_path: Path) -> None:
    """Two copies of one recorded record with the same ``updated``, ``oa_status`` changed here."""
    line = sample_lines()[0]
    doi = json.loads(line)["doi"]
    paths = [
        write(tmp_path / "a.jsonl", [with_fields(line, oa_status="closed")]),
        write(tmp_path / "b.jsonl", [with_fields(line, oa_status="gold")]),
    ]
    index = unpaywall_index(tmp_path / "cache")
    index.index(paths)
    assert json.loads(index.lookup([doi])[doi])["oa_status"] == "gold"
    probed, joined = probed_and_joined(index, [doi])
    assert probed == joined
    index.close()


def two_files_indexed(tmp_path: Path) -> tuple[list[bytes], Path, Path, SnapshotIndex]:
    """The sample's lines, in two files (1,000 and the rest) indexed with their keys."""
    lines = sample_lines()
    first = write(tmp_path / "a.jsonl", lines[:1000])
    second = write(tmp_path / "b.jsonl", lines[1000:])
    index = unpaywall_index(tmp_path / "cache")
    index.index([first, second])
    return lines, first, second, index


def test_a_changed_file_takes_its_old_keys_out_of_the_key_index(tmp_path: Path) -> None:
    lines, first, second, index = two_files_indexed(tmp_path)
    index.close()
    write(first, lines[:500])  # the file changes: its last 500 records are gone
    assert [Path(f.path) for f in index.index([first, second])] == [first]
    index.close()
    assert keys_of(index) == records_of(index)
    assert len(keys_of(index)) == len(lines) - 500
    assert keyed_files(index) == {str(first), str(second)}
    assert index.lookup(dois(lines[500:1000])) == {}
    assert len(index.lookup(dois(lines))) == len(lines) - 500
    index.close()


def test_a_forgotten_file_takes_its_keys_out_of_the_key_index(tmp_path: Path) -> None:
    lines, _, second, index = two_files_indexed(tmp_path)
    index.index([second])  # the snapshot is the second file alone
    index.close()
    assert keys_of(index) == records_of(index)
    assert len(keys_of(index)) == len(lines) - 1000
    assert keyed_files(index) == {str(second)}
    assert index.lookup(dois(lines[:1000])) == {}
    index.close()


def test_an_interrupted_key_index_is_built_again_and_answers_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = sample_lines()
    paths = [
        write(tmp_path / "a.jsonl", lines[:700]),
        write(tmp_path / "b.jsonl", lines[700:1400]),
        write(tmp_path / "c.jsonl", lines[1400:]),
    ]
    index = unpaywall_index(tmp_path / "cache")
    index.index(paths[:1])  # the first file, keys and all
    real = SnapshotIndex._key_rows

    def interrupted(self: SnapshotIndex, connection: Any, raw: Any, files: list[str]) -> None:
        real(self, connection, raw, files)  # the files' keys go in...
        raise KeyboardInterrupt  # ...then Ctrl-C comes, before they are committed

    monkeypatch.setattr(snapshots, "_KEYS_A_FETCH", 100)  # several fetches a file
    monkeypatch.setattr(SnapshotIndex, "_key_rows", interrupted)
    with pytest.raises(KeyboardInterrupt):
        index.index(paths)
    monkeypatch.setattr(SnapshotIndex, "_key_rows", real)
    # The records are indexed; the files after the first have no keys (none half-built).
    assert len(index.files()) == 3
    index.close()
    assert keyed_files(index) == {str(paths[0])}
    assert keys_of(index) == records_of(index, {d.lower() for d in dois(lines[:700])})
    assert index.stale(paths) == paths[1:]  # their keys are still to build
    found = index.lookup(dois(lines))  # answered meanwhile, by DuckDB's join
    assert not index._keys_ready
    assert len(found) == len(lines)
    index.close()
    assert index.index(paths) == []  # no file is read again: only the keys are built
    assert index.stale(paths) == []
    index.close()
    assert keys_of(index) == records_of(index)
    assert index.lookup(dois(lines)) == found
    assert index._keys_ready
    index.close()


def test_an_index_made_before_the_key_index_is_read_then_given_one(tmp_path: Path) -> None:
    """A raw store of the previous release: no key index (and ``user_version`` 0)."""
    lines, index = sample_indexed(tmp_path)
    with contextlib.closing(sqlite3.connect(index.raw_store)) as raw:
        raw.execute("DROP TABLE keys")
        raw.execute("DROP TABLE keyed")
        raw.execute("PRAGMA user_version = 0")
        raw.commit()
    found = index.lookup(dois(lines))  # still read, by DuckDB's join
    assert not index._keys_ready
    assert len(found) == len(lines)
    assert index.stale([SAMPLE]) == [SAMPLE]
    index.close()
    assert index.index([SAMPLE]) == []  # the file is not read again
    index.close()
    assert keys_of(index) == records_of(index)
    assert index.lookup(dois(lines)) == found
    assert index._keys_ready
    index.close()


def sample_indexed(tmp_path: Path) -> tuple[list[bytes], SnapshotIndex]:
    """The sample's lines, and an index of the sample (closed) with its keys."""
    lines = sample_lines()
    index = unpaywall_index(tmp_path / "cache")
    index.index([SAMPLE])
    index.close()
    return lines, index


def test_a_key_index_of_another_layout_is_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines, index = sample_indexed(tmp_path)
    monkeypatch.setattr(snapshots, "_KEYS_LAYOUT", snapshots._KEYS_LAYOUT + 1)
    assert index.stale([SAMPLE]) == [SAMPLE]
    assert len(index.lookup(dois(lines))) == len(lines)
    assert not index._keys_ready
    index.close()
    assert index.index([SAMPLE]) == []
    index.close()
    assert keys_of(index) == records_of(index)
    with contextlib.closing(sqlite3.connect(index.raw_store)) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == snapshots._KEYS_LAYOUT
    assert len(index.lookup(dois(lines))) == len(lines)
    assert index._keys_ready
    index.close()


def test_keys_that_share_a_hash_answer_each_with_its_own_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hash of one bit (set here) makes every key share its hash with half the others."""
    monkeypatch.setattr(snapshots, "_HASH", "(hash({}) % 2)::BIGINT")
    snapshots._hash_check.cache_clear()
    try:
        lines = sample_lines()[:300]
        paths = [write(tmp_path / "a.jsonl", lines[:150]), write(tmp_path / "b.jsonl", lines[150:])]
        index = unpaywall_index(tmp_path / "cache")
        index.index(paths)
        asked = [*dois(lines), "10.1/not-in-the-snapshot", "10.1/nor-this"]
        found = index.lookup(asked)
        assert index._keys_ready
        assert {d: json.loads(found[d]) for d in found} == {
            d: json.loads(line) for d, line in zip(dois(lines), lines, strict=True)
        }
        index.close()
    finally:
        snapshots._hash_check.cache_clear()


def test_a_key_index_hashed_by_another_duckdb_is_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As if DuckDB's ``hash`` changed with its version: the old hashes would find nothing."""
    lines, index = sample_indexed(tmp_path)
    monkeypatch.setattr(snapshots, "_HASH", "(hash({} || '!') >> 1)::BIGINT")
    snapshots._hash_check.cache_clear()
    try:
        assert index.stale([SAMPLE]) == [SAMPLE]
        assert len(index.lookup(dois(lines))) == len(lines)  # by DuckDB's join meanwhile
        assert not index._keys_ready
        index.close()
        assert index.index([SAMPLE]) == []
        index.close()
        assert keys_of(index) == records_of(index)
        assert len(index.lookup(dois(lines))) == len(lines)
        assert index._keys_ready
        index.close()
    finally:
        snapshots._hash_check.cache_clear()


def test_a_key_that_python_and_duckdb_lower_differently_answers_as_duckdb_indexed_it(
    tmp_path: Path,
) -> None:
    """A copy of a recorded record under a DOI made here: 'İ' is 'i' to DuckDB, 'i̇' to Python."""
    record = with_fields(sample_lines()[0], doi="10.1/\u0130x")
    index = unpaywall_index(tmp_path / "cache")
    index.index([write(tmp_path / "a.jsonl", [record, *sample_lines()[1:10]])])
    found = index.lookup(["10.1/ix"])  # the key as DuckDB stored it
    assert index._keys_ready
    assert json.loads(found["10.1/ix"]) == json.loads(record)
    probed, joined = probed_and_joined(index, ["10.1/ix", "10.1/\u0130x"])
    assert probed == joined
    assert list(probed) == ["10.1/ix"]
    index.close()


def test_a_changed_file_whose_index_is_interrupted_is_answered_as_before_then_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its keys are taken out before its records are read again; Ctrl-C comes while they are."""
    lines = sample_lines()
    first = write(tmp_path / "a.jsonl", lines[:1000])
    second = write(tmp_path / "b.jsonl", lines[1000:])
    index = unpaywall_index(tmp_path / "cache")
    index.index([first, second])
    index.close()
    write(first, lines[:500])  # the file changes: its last 500 records are gone
    real = snapshots._line_batches

    def interrupted(path: Path) -> Any:
        if path == first:
            raise KeyboardInterrupt
        return real(path)

    monkeypatch.setattr(snapshots, "_line_batches", interrupted)
    with pytest.raises(KeyboardInterrupt):
        index.index([first, second])
    monkeypatch.setattr(snapshots, "_line_batches", real)
    # The old records of the file are still indexed (DuckDB rolled back), without keys.
    assert sum(f.records for f in index.files()) == len(lines)
    index.close()
    assert keyed_files(index) == {str(second)}
    assert keys_of(index) == records_of(index, {d.lower() for d in dois(lines[1000:])})
    assert len(index.lookup(dois(lines))) == len(lines)  # as before the change, by the join
    assert not index._keys_ready
    index.close()
    assert [Path(f.path) for f in index.index([first, second])] == [first]
    index.close()
    assert keys_of(index) == records_of(index)
    assert index.lookup(dois(lines[500:1000])) == {}
    assert len(index.lookup(dois(lines))) == len(lines) - 500
    assert index._keys_ready
    index.close()


def test_the_openalex_and_crossref_flavours_answer_through_their_key_indexes(
    tmp_path: Path,
) -> None:
    """Their recorded works (tests/fixtures/openalex, tests/fixtures/crossref)."""
    from test_snapshot_crossref import crossref_index, write_data_file
    from test_snapshot_crossref import recorded_works as crossref_works
    from test_snapshot_openalex import openalex_index, write_snapshot

    from paperfuse import snapshot_files

    openalex = openalex_index(tmp_path / "openalex")
    openalex.index(snapshot_files([write_snapshot(tmp_path / "works")]))
    found = openalex.lookup(["doi:10.7717/PEERJ.4375", "pmid:29456894", "W2600965442"])
    assert openalex.works._keys_ready
    assert openalex.aliases._keys_ready
    assert {json.loads(v)["id"] for v in found.values()} == {
        "https://openalex.org/W2741809807",
        "https://openalex.org/W2600965442",
    }
    openalex.close()
    crossref = crossref_index(tmp_path / "crossref")
    crossref.index(write_data_file(tmp_path / "data", crossref_works()))
    found = crossref.lookup(["10.1038/NATURE12373", "10.1234/not-in-the-snapshot"])
    assert crossref.lines_index._keys_ready
    assert list(found) == ["10.1038/NATURE12373"]
    crossref.close()
