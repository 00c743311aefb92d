"""Data snapshots on DuckDB: indexing, look-ups, resuming, re-indexing, hostile lines.

Every record here is a recorded Unpaywall snapshot record from
tests/fixtures/unpaywall/snapshot/ (the 2,150-record gzipped sample, used as
it is, and copies of its lines); the hostile lines are synthetic, built in
the tests, and say so. No server: a snapshot needs none.
"""

from __future__ import annotations

import gzip
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from snapshot_sample import SAMPLE

import paperfuse
import paperfuse_unpaywall
from paperfuse import Config, SnapshotIndex, SourceSettings, snapshot_database, snapshot_files
from paperfuse.cli import main
from paperfuse_unpaywall import UnpaywallSnapshotSource

pytestmark = pytest.mark.usefixtures("logger_as_it_was")


def sample_lines() -> list[bytes]:
    return gzip.decompress(SAMPLE.read_bytes()).splitlines()


def unpaywall_index(cache: Path) -> SnapshotIndex:
    return UnpaywallSnapshotSource.snapshot_index(Config(cache_dir=str(cache)))


def split_sample(folder: Path, parts: int) -> list[Path]:
    """The sample cut into ``parts`` gzipped files (the data feed's layout)."""
    lines = sample_lines()
    folder.mkdir(parents=True, exist_ok=True)
    size = -(-len(lines) // parts)
    paths = []
    for n in range(parts):
        path = folder / f"changed_dois_part{n:02}.jsonl.gz"
        path.write_bytes(gzip.compress(b"\n".join(lines[n * size : (n + 1) * size]) + b"\n"))
        paths.append(path)
    return paths


def test_the_recorded_sample_is_indexed_and_every_record_found(tmp_path: Path) -> None:
    index = unpaywall_index(tmp_path)
    done = index.index([SAMPLE.resolve()])
    records = [json.loads(line) for line in sample_lines()]
    assert [f.records for f in done] == [2150]
    assert index.database == tmp_path / "snapshots" / "unpaywall-snapshot.duckdb"
    # Upper case and spaces in the asked DOIs are found; the answer is keyed as asked.
    asked = [f" {r['doi'].upper()}" for r in records]
    found = index.lookup([*asked, "10.1234/not-in-the-snapshot"])
    assert len(found) == 2150
    for key, record in zip(asked, records, strict=True):
        assert json.loads(found[key]) == record  # the raw object, unchanged
    counts = index.counts("oa_status")
    assert counts == {"green": 700, "gold": 680, "closed": 333, "bronze": 318, "hybrid": 119}
    index.close()


def test_typed_columns_hold_the_records_values(tmp_path: Path) -> None:
    import duckdb

    index = unpaywall_index(tmp_path)
    index.index([SAMPLE.resolve()])
    index.close()
    first = json.loads(sample_lines()[0])
    with duckdb.connect(str(index.database), read_only=True) as db:
        row = db.execute(
            "SELECT is_oa, oa_status, year, genre, journal_issn_l FROM records WHERE key = ?",
            [first["doi"].lower()],
        ).fetchone()
        types = dict(
            db.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'records'"
            ).fetchall()
        )
    assert row == (
        first["is_oa"],
        first["oa_status"],
        first["year"],
        first["genre"],
        first["journal_issn_l"],
    )
    assert types["is_oa"] == "BOOLEAN"
    assert types["year"] == "INTEGER"


def test_a_file_indexed_is_not_read_again_and_a_changed_one_is(tmp_path: Path) -> None:
    parts = split_sample(tmp_path / "feed", 3)
    index = unpaywall_index(tmp_path / "cache")
    assert [Path(f.path) for f in index.index(parts)] == parts
    assert index.index(parts) == []  # nothing changed, nothing read
    assert index.stale(parts) == []
    # One file changes: only it is indexed again, and its old records are gone.
    lines = gzip.decompress(parts[1].read_bytes()).splitlines()
    old = json.loads(lines[0])["doi"]
    renamed = json.loads(lines[0])
    renamed["doi"] = "10.9999/renamed"
    lines[0] = json.dumps(renamed).encode()
    parts[1].write_bytes(gzip.compress(b"\n".join(lines)))
    assert index.stale(parts) == [parts[1]]
    assert [Path(f.path) for f in index.index(parts)] == [parts[1]]
    found = index.lookup([old, "10.9999/renamed"])
    assert list(found) == ["10.9999/renamed"]
    assert sum(f.records for f in index.files()) == 2150
    # A file no longer named is forgotten with its records.
    index.index(parts[:2])
    assert [Path(f.path) for f in index.files()] == parts[:2]
    last = json.loads(gzip.decompress(parts[2].read_bytes()).splitlines()[0])["doi"]
    assert index.lookup([last]) == {}
    index.close()


def test_an_interrupted_index_resumes_at_the_file_it_was_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = split_sample(tmp_path / "feed", 4)
    index = unpaywall_index(tmp_path / "cache")
    import paperfuse._snapshots as snapshots

    real = snapshots._line_batches

    def interrupted(path: Path) -> Iterator[list[bytes] | None]:
        batches = real(path)
        yield next(batches)  # the third file's first batch goes in...
        if path == parts[2]:
            raise KeyboardInterrupt  # ...then Ctrl-C comes, as if while the file was read
        yield from batches

    monkeypatch.setattr(snapshots, "_BATCH_BYTES", 64 * 1024)
    monkeypatch.setattr(snapshots, "_line_batches", interrupted)
    index.index(parts[:2])  # two files done
    with pytest.raises(KeyboardInterrupt):
        index.index(parts)
    monkeypatch.setattr(snapshots, "_line_batches", real)
    # The files done are recorded; the one it was on left nothing behind.
    indexed = [Path(f.path) for f in index.files()]
    assert indexed[:2] == parts[:2]
    assert parts[2] not in indexed
    assert parts[2] in index.stale(parts)
    resumed = index.index(parts)
    again = [Path(f.path) for f in resumed]
    assert parts[2] in again  # the file it was on, from its start
    assert not set(again) & set(parts[:2])  # the files done are not read again
    assert sum(f.records for f in index.files()) == 2150
    every = [json.loads(line)["doi"] for line in sample_lines()]
    assert len(index.lookup(every)) == 2150
    index.close()


def test_hostile_lines_are_skipped_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Synthetic hostile lines (built here) among two recorded records."""
    good = sample_lines()[:2]
    hostile = [
        b"\xff\xfe not UTF-8",
        b'{"doi": "10.1/latin1-\xe9"}',  # a Latin-1 byte inside a string
        b"{this is not json",
        b"[1, 2, 3]",
        b'{"doi": 5}',
        b'{"doi": null}',
        b'{"doi": "   "}',
        b'{"no_doi": "here"}',
        b"[" * 100_000,
        b'{"doi": "10.1/deep", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"doi": "10.1/truncated", "title": "cut',
        b"",
        b'{"doi": "10.1/mistyped", "year": "two thousand", "is_oa": "perhaps"}',
    ]
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(b"\n".join([good[0], *hostile, good[1]]) + b"\n")
    index = unpaywall_index(tmp_path / "cache")
    (entry,) = index.index([path])
    dois = [json.loads(line)["doi"] for line in good]
    asked = [*dois, "10.1/latin1-é", "10.1/truncated", "10.1/mistyped", "10.1/deep"]
    found = index.lookup(asked)
    # Nesting is the mapping's concern at look-up (an error for that DOI alone).
    assert set(found) == {*dois, "10.1/mistyped", "10.1/deep"}
    # A readable object whose typed fields do not fit keeps NULL there, and its raw object.
    assert json.loads(found["10.1/mistyped"])["year"] == "two thousand"
    assert entry.records == len(found)
    # Counted: the 10 lines that are no record (not the blank line).
    assert "10 lines of the snapshot" in caplog.text
    index.close()


def test_a_gzip_cut_short_keeps_the_lines_before_the_break(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = SAMPLE.read_bytes()
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    index = unpaywall_index(tmp_path / "cache")
    (entry,) = index.index([path])
    assert 0 < entry.records < 2150
    assert entry.complete is False
    assert "breaks off" in caplog.text
    first = json.loads(sample_lines()[0])["doi"]
    assert first in index.lookup([first])
    index.close()


def test_a_key_in_two_files_answers_its_most_recently_updated_record(tmp_path: Path) -> None:
    record = json.loads(sample_lines()[0])
    older, newer = dict(record), dict(record)
    older["updated"], older["oa_status"] = "2019-01-01T00:00:00", "closed"
    newer["updated"], newer["oa_status"] = "2021-01-01T00:00:00", "gold"
    (tmp_path / "b.jsonl").write_text(json.dumps(older) + "\n")
    (tmp_path / "a.jsonl").write_text(json.dumps(newer) + "\n")
    index = unpaywall_index(tmp_path / "cache")
    index.index(snapshot_files([tmp_path]))
    assert json.loads(index.lookup([record["doi"]])[record["doi"]])["oa_status"] == "gold"
    index.close()


def test_a_folder_stands_for_its_snapshot_files(tmp_path: Path) -> None:
    parts = split_sample(tmp_path / "feed", 2)
    (tmp_path / "feed" / "README.txt").write_text("not a snapshot file")
    assert snapshot_files([tmp_path / "feed"]) == [p.resolve() for p in parts]


def snapshot_config(cache: Path, path: Path | list[str]) -> Config:
    value = path if isinstance(path, list) else str(path)
    return Config(
        cache_dir=str(cache),
        sources={"unpaywall-snapshot": SourceSettings(options={"path": value})},
    )


def test_answers_from_the_snapshot_are_not_copied_into_the_answer_cache(tmp_path: Path) -> None:
    cfg = snapshot_config(tmp_path / "cache", SAMPLE.resolve())
    doi = json.loads(sample_lines()[5])["doi"]
    with paperfuse.Resolver(cfg, entry_points=False, plugins={"u": paperfuse_unpaywall}) as r:
        work = r.resolve(doi)
        assert work.status == "resolved"
        assert r.cache.info().answers.get("unpaywall-snapshot") is None
        assert r.stats()["unpaywall-snapshot"].cache_hits == 0


def test_the_source_reads_a_folder_and_a_list_of_files(tmp_path: Path) -> None:
    parts = split_sample(tmp_path / "feed", 3)
    dois = [json.loads(line)["doi"] for line in sample_lines()]
    for value in (tmp_path / "feed", [str(p) for p in parts]):
        cfg = snapshot_config(tmp_path / "cache", value)
        with paperfuse.Resolver(cfg, entry_points=False, plugins={"u": paperfuse_unpaywall}) as r:
            works = list(r.resolve_many([dois[0], dois[1000], dois[-1]]))
        assert [w.status for w in works] == ["resolved"] * 3


def test_cli_snapshot_index_then_info_then_resolve(tmp_path: Path) -> None:
    parts = split_sample(tmp_path / "feed", 2)
    cache = tmp_path / "cache"
    runner = CliRunner()
    env = {"PAPERFUSE_CACHE_DIR": str(cache)}
    first = runner.invoke(main, ["snapshot", "index", "--quiet", str(tmp_path / "feed")], env=env)
    assert first.exit_code == 0, first.output
    assert "indexed 2 of 2 files (2,150 records)" in first.output
    again = runner.invoke(main, ["snapshot", "index", "-q", *map(str, parts)], env=env)
    assert "indexed 0 of 2 files" in again.output
    info = runner.invoke(main, ["snapshot", "info", "--json"], env=env)
    details = msgspec.json.decode(info.stdout)
    assert details["records"] == 2150
    assert details["path"] == str(snapshot_database(str(cache), "unpaywall-snapshot"))
    assert [f["path"] for f in details["files"]] == [str(p) for p in parts]
    text = runner.invoke(main, ["snapshot", "info"], env=env).output
    assert "2,150 records in all" in text
    assert "oa_status green: 700" in text


def test_cli_snapshot_refuses_a_source_that_is_not_a_snapshot(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["snapshot", "info", "--source", "crossref", "--cache-dir", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert "not a snapshot source" in result.output
    assert "unpaywall-snapshot" in result.output


def test_two_processes_can_read_the_index_at_once(tmp_path: Path) -> None:
    """Look-ups open the index read-only, so that the workers of a cluster share it."""
    import subprocess
    import sys

    index = unpaywall_index(tmp_path)
    index.index([SAMPLE.resolve()])
    doi = json.loads(sample_lines()[0])["doi"]
    assert doi in index.lookup([doi])  # this process holds it open
    code = (
        "import sys; from paperfuse import Config; "
        "from paperfuse_unpaywall import UnpaywallSnapshotSource as S; "
        f"i = S.snapshot_index(Config(cache_dir={str(tmp_path)!r})); "
        f"sys.exit(0 if {doi!r} in i.lookup([{doi!r}]) else 1)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=60, env=os.environ).returncode == 0
    index.close()


def test_indexing_what_another_process_reads_and_is_current_does_not_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers that both found the index missing: the second must not wait for ever.

    The first indexed it and now reads it (a read-only connection, which shuts
    out writers); the second, waiting for the write lock, sees that the index
    is current and goes on.
    """
    import subprocess
    import sys

    import paperfuse._snapshots as snapshots

    index = unpaywall_index(tmp_path)
    index.index([SAMPLE.resolve()])
    index.close()
    doi = json.loads(sample_lines()[0])["doi"]
    code = (
        "import sys, time; from paperfuse import Config; "
        "from paperfuse_unpaywall import UnpaywallSnapshotSource as S; "
        f"i = S.snapshot_index(Config(cache_dir={str(tmp_path)!r})); "
        f"assert i.lookup([{doi!r}]); print('reading', flush=True); time.sleep(60)"
    )
    reader = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout is not None
        assert reader.stdout.readline().strip() == "reading"
        monkeypatch.setattr(snapshots, "LOCK_WAIT", 20.0)
        started = time.monotonic()
        assert index.index([SAMPLE.resolve()]) == []
        assert time.monotonic() - started < 10
    finally:
        reader.kill()
        reader.wait()
