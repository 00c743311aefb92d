"""The OpenAlex works snapshot (``openalex-snapshot``): indexing, look-ups by each
identifier, newest wins, resuming, re-indexing, hostile lines, and a library resolved
with no API at all.

The snapshot files are built here in OpenAlex's layout
(``data/works/updated_date=YYYY-MM-DD/part_NNN.gz``, gzipped JSON Lines, a
``manifest``) from the recorded API work objects in tests/fixtures/openalex/ (see
PROVENANCE.md there): the works are recorded, the files around them are built. The
hostile lines are synthetic, built in the test that uses them, and say so. No server.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner

import paperfuse
import paperfuse_openalex
from openalex_replay import PLOS, load, replay
from paperfuse import Config, snapshot_files
from paperfuse.cli import main
from paperfuse.testing import FakeUpstream, ResolverFactory, report
from paperfuse_openalex import OpenAlexSnapshotSource, to_work
from paperfuse_openalex._snapshot import OpenAlexSnapshotIndex, alias_key

FIXTURES = Path(__file__).parent / "fixtures" / "openalex"
OLD_2025 = "commonmeta_2025_work_10.1371_journal.pone.0000030.json"
OLD_2022 = "researchassistant_2022_work_W2741809807_host_venue.json"

pytestmark = pytest.mark.usefixtures("logger_as_it_was")


def recorded_works() -> list[dict[str, Any]]:
    """Every recorded work object: the single works, the 2025 and 2022 shapes, the list's."""
    works = []
    for path in sorted(FIXTURES.glob("*.json")):
        body = json.loads(path.read_bytes())
        works += body.get("results", [body])
    return works


def write_snapshot(root: Path, works: list[dict[str, Any]] | None = None) -> Path:
    """The works in OpenAlex's snapshot layout under ``root``; the works folder."""
    folder = root / "data" / "works"
    by_day: dict[str, list[dict[str, Any]]] = {}
    for work in recorded_works() if works is None else works:
        by_day.setdefault(work["updated_date"][:10], []).append(work)
    entries = []
    for day, day_works in sorted(by_day.items()):
        part = folder / f"updated_date={day}" / "part_000.gz"
        part.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(gzip.compress(b"".join(json.dumps(w).encode() + b"\n" for w in day_works)))
        entries.append({"url": f"s3://openalex/{part.relative_to(root)}", "meta": {}})
    (folder / "manifest").write_text(json.dumps({"entries": entries}))
    return folder


def openalex_index(cache: Path) -> OpenAlexSnapshotIndex:
    return OpenAlexSnapshotSource.snapshot_index(Config(cache_dir=str(cache)))


def test_the_layout_is_indexed_and_each_identifier_finds_its_work(tmp_path: Path) -> None:
    folder = write_snapshot(tmp_path)
    files = snapshot_files([folder])
    assert len(files) == 6  # the partitions; the manifest is not a snapshot file
    index = openalex_index(tmp_path / "cache")
    done = index.index(files)
    assert sum(f.records for f in done) == len(recorded_works()) == 10
    asked = {
        "doi:10.7717/PEERJ.4375": "W2741809807",
        "pmid:29456894": "W2741809807",
        "pmcid:PMC5815332": "W2741809807",
        "mag:2741809807": "W2741809807",
        "W2741809807": "W2741809807",
        "openalex:W2741809807": "W2741809807",
        "https://openalex.org/W2600965442": "W2600965442",  # a work without a DOI
        "doi:10.1101/097196": "W2581393460",
        "doi:10.1234/not-in-the-snapshot": None,
        "pmid:1": None,
    }
    found = index.lookup(asked)
    assert {k: json.loads(v)["id"].rsplit("/", 1)[-1] for k, v in found.items()} == {
        k: v for k, v in asked.items() if v
    }
    index.close()


def test_the_newest_updated_date_wins_by_every_identifier(tmp_path: Path) -> None:
    """The PLOS work is recorded twice: 2025 (with a PMCID) and 2026 (without)."""
    index = openalex_index(tmp_path / "cache")
    index.index(snapshot_files([write_snapshot(tmp_path)]))
    newest = load(PLOS)["updated_date"]
    assert newest > load(OLD_2025)["updated_date"]
    found = index.lookup(
        ["doi:10.1371/journal.pone.0000030", "W1982728624", "pmid:17183658", "pmcid:PMC1762313"]
    )
    assert len(found) == 4
    assert {json.loads(raw)["updated_date"] for raw in found.values()} == {newest}
    index.close()


def test_a_work_answers_as_the_api_source_answers_it(
    tmp_path: Path, paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    """The same recorded work, from the snapshot and from the API at a local server."""
    replay(paperfuse_upstream)
    doi = "10.1371/journal.pone.0000030"
    snapshot_only = {"openalex": {"enabled": False}}
    folder = write_snapshot(tmp_path / "dump", [load(PLOS)])
    snapshot_only["openalex-snapshot"] = {"options": {"path": str(folder)}}
    with paperfuse_resolver(
        paperfuse_openalex, settings=snapshot_only, cache_dir=tmp_path / "a"
    ) as resolver:
        from_snapshot = resolver.resolve(doi)
    with paperfuse_resolver(
        paperfuse_openalex,
        urls={"openalex": paperfuse_upstream.url},
        settings={"openalex": {"api_key": "k-1"}, "openalex-snapshot": {"enabled": False}},
        cache_dir=tmp_path / "b",
    ) as resolver:
        from_api = resolver.resolve(doi)
    assert report(from_snapshot, "openalex-snapshot").status == "ok"
    assert report(from_api, "openalex").status == "ok"

    def comparable(work: paperfuse.Work) -> Any:
        data = msgspec.to_builtins(work)
        text = json.dumps(data, sort_keys=True).replace("openalex-snapshot", "openalex")
        found = json.loads(text)
        for volatile in ("sources", "provenance", "reports", "resolved_at", "elapsed"):
            found.pop(volatile, None)
        return found

    assert from_snapshot.title == from_api.title
    assert comparable(from_snapshot) == comparable(from_api)
    # and the record is the API source's own mapping of the recorded work
    mapped = to_work(load(PLOS), "openalex-snapshot")
    assert mapped is not None
    assert (from_snapshot.ids.doi, from_snapshot.year) == (mapped.ids.doi, mapped.year)
    assert [o.url for o in from_snapshot.oa_locations] == [o.url for o in mapped.oa_locations]


def test_an_interrupted_index_resumes_at_the_file_it_was_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped while writing the third file's identifiers: nothing done is done again."""
    import paperfuse_openalex._snapshot as module

    files = snapshot_files([write_snapshot(tmp_path)])
    index = openalex_index(tmp_path / "cache")
    real = module._aliases
    third = json.loads(gzip.decompress(files[2].read_bytes()).splitlines()[0])["id"]

    def interrupted(line: bytes) -> list[bytes]:
        if third.encode() in line:  # as if Ctrl-C came while on the third file
            raise KeyboardInterrupt
        return real(line)

    monkeypatch.setattr(module, "_aliases", interrupted)
    with pytest.raises(KeyboardInterrupt):
        index.index(files)
    monkeypatch.setattr(module, "_aliases", real)
    assert [Path(f.path) for f in index.files()] == files  # the works: all indexed
    written = {f: index.alias_file(f).stat().st_mtime_ns for f in files[:2]}
    assert not index.alias_file(files[2]).exists()  # no half-written file is taken as done
    assert index.stale(files) == files  # no identifiers are indexed yet
    assert index.index(files) == []  # the works are not read again
    assert {f: index.alias_file(f).stat().st_mtime_ns for f in files[:2]} == written
    assert index.stale(files) == []
    assert len(index.lookup(["doi:10.7717/peerj.4375", "pmid:17183658", "W97658052"])) == 3
    index.close()


def test_identifiers_of_an_interrupted_file_are_written_again(tmp_path: Path) -> None:
    files = snapshot_files([write_snapshot(tmp_path)])
    index = openalex_index(tmp_path / "cache")
    index.index(files)
    # As if the identifier pass had stopped: its file is gone, the works are indexed.
    index.alias_file(files[0]).unlink()
    assert index.stale(files) == [files[0]]
    index.index(files)
    assert index.stale(files) == []
    index.close()


def test_a_changed_partition_is_indexed_again(tmp_path: Path) -> None:
    folder = write_snapshot(tmp_path)
    files = snapshot_files([folder])
    index = openalex_index(tmp_path / "cache")
    index.index(files)
    assert index.index(files) == []  # nothing changed, nothing read
    # The 2022 partition now holds the work under another DOI (edited here, and said so).
    work = load(OLD_2022)
    work["doi"] = work["ids"]["doi"] = "https://doi.org/10.5555/moved"
    changed = files[0]
    assert "2022" in str(changed)
    changed.write_bytes(gzip.compress(json.dumps(work).encode() + b"\n"))
    assert index.stale(files) == [changed]
    assert [Path(f.path) for f in index.index(files)] == [changed]
    found = index.lookup(["doi:10.5555/moved", "doi:10.7717/peerj.4375"])
    assert list(found) == ["doi:10.5555/moved"]
    assert len(list(index.alias_folder.glob("*.jsonl.gz"))) == len(files)  # the old one went
    index.close()


def test_hostile_lines_are_skipped_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Synthetic hostile lines (built here) around a recorded work."""
    good = json.dumps(load(OLD_2022)).encode()
    hostile = [
        b"{this is not json",
        b"[1, 2, 3]",
        b'{"id": 5, "doi": "https://doi.org/10.1/number-id"}',
        b'{"doi": "https://doi.org/10.1/no-id"}',
        b'{"id": "https://openalex.org/W1", "ids": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    ]
    path = tmp_path / "data" / "works" / "updated_date=2022-05-27" / "part_000.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(b"\n".join([*hostile, good]) + b"\n"))
    index = openalex_index(tmp_path / "cache")
    (entry,) = index.index([path.resolve()])
    assert "4 lines of the snapshot" in caplog.text
    assert entry.records == 2
    assert set(index.lookup(["doi:10.7717/peerj.4375", "doi:10.1/number-id", "W1"])) == {
        "doi:10.7717/peerj.4375",
        "W1",
    }
    index.close()


def test_the_cli_tells_the_flavour_indexes_it_and_resolves_with_no_api(tmp_path: Path) -> None:
    """A library with every API source off resolves DOIs, a PMID and a W-id from the dump."""
    folder = write_snapshot(tmp_path / "dump")
    cache = tmp_path / "cache"
    env = {"PAPERFUSE_CACHE_DIR": str(cache)}
    runner = CliRunner()
    indexed = runner.invoke(main, ["snapshot", "index", "-q", str(folder)], env=env)
    assert indexed.exit_code == 0, indexed.output
    assert "openalex-snapshot" in indexed.output
    assert "indexed 6 of 6 files (10 records)" in indexed.output
    info = runner.invoke(main, ["snapshot", "info"], env=env)
    assert "openalex-snapshot" in info.output
    assert "10 records in all" in info.output
    names = sorted(paperfuse.PluginHost().sources)
    off = "".join(f"[sources.{n}]\nenabled = false\n" for n in names if not n.endswith("-snapshot"))
    config = tmp_path / "paperfuse.toml"
    config.write_text(f'{off}[sources.openalex-snapshot.options]\npath = "{folder}"\n')
    inputs = ["10.7717/peerj.4375", "pmid:17183658", "W2581393460", "10.1234/absent"]
    env["PAPERFUSE_CONFIG"] = str(config)
    result = runner.invoke(main, ["resolve", "-q", *inputs], env=env)
    assert result.exit_code == 1, result.output  # one input was not found
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [r["status"] for r in records] == ["resolved", "resolved", "resolved", "not_found"]
    assert "The state of OA" in records[0]["title"]
    for record in records[:3]:
        assert {s["name"] for s in record["sources"] if s["status"] == "ok"} == {
            "openalex-snapshot"
        }


def test_without_a_path_the_source_says_how_or_answers_from_the_index_made_before(
    tmp_path: Path, paperfuse_resolver: ResolverFactory
) -> None:
    doi = "10.7717/peerj.4375"
    off = {"openalex": {"enabled": False}}
    with paperfuse_resolver(paperfuse_openalex, settings=off, cache_dir=tmp_path / "c") as r:
        skipped = report(r.resolve(doi), "openalex-snapshot")
    assert skipped.status == "skipped"
    assert "[sources.openalex-snapshot.options]" in (skipped.error or "")
    index = openalex_index(tmp_path / "c")
    index.index(snapshot_files([write_snapshot(tmp_path / "dump")]))
    index.close()
    with paperfuse_resolver(paperfuse_openalex, settings=off, cache_dir=tmp_path / "c") as r:
        work = r.resolve(doi)
    assert work.status == "resolved"
    assert report(work, "openalex-snapshot").status == "ok"


def test_a_stored_work_that_cannot_be_read_is_an_error_for_its_identifier_alone(
    tmp_path: Path, paperfuse_resolver: ResolverFactory
) -> None:
    """A synthetic line nested deeper than a JSON reader goes (built here), and a recorded work."""
    deep = b'{"id": "https://openalex.org/W1000000001", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    path = tmp_path / "works" / "updated_date=2022-05-27" / "part_000.gz"
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(deep + b"\n" + json.dumps(load(OLD_2022)).encode() + b"\n"))
    settings = {
        "openalex": {"enabled": False},
        "openalex-snapshot": {"options": {"path": str(tmp_path / "works")}},
    }
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # Python's default: a test before may have raised it
    try:
        with paperfuse_resolver(
            paperfuse_openalex, settings=settings, cache_dir=tmp_path / "c"
        ) as r:
            bad, good = r.resolve_many(["openalex:W1000000001", "W2741809807"])
    finally:
        sys.setrecursionlimit(limit)
    assert report(bad, "openalex-snapshot").status == "error"
    assert "cannot be read" in (report(bad, "openalex-snapshot").error or "")
    assert good.status == "resolved"


@pytest.mark.parametrize(
    ("scheme", "value", "key"),
    [
        ("doi", "https://doi.org/10.7717/PeerJ.4375", "doi:10.7717/peerj.4375"),
        ("doi", "10.7717/peerj.4375", "doi:10.7717/peerj.4375"),
        ("pmid", "https://pubmed.ncbi.nlm.nih.gov/29456894", "pmid:29456894"),
        ("pmid", "29456894", "pmid:29456894"),
        ("pmcid", "https://www.ncbi.nlm.nih.gov/pmc/articles/5815332", "pmcid:pmc5815332"),
        ("pmcid", "https://pmc.ncbi.nlm.nih.gov/articles/PMC5815332/", "pmcid:pmc5815332"),
        ("pmcid", "PMC5815332", "pmcid:pmc5815332"),
        ("mag", "2741809807", "mag:2741809807"),
    ],
)
def test_identifiers_are_keyed_as_openalex_writes_them_and_as_they_are_asked(
    scheme: str, value: str, key: str
) -> None:
    assert alias_key(scheme, value) == key
