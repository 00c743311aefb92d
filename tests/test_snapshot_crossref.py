"""Crossref's public data file (``crossref-snapshot``): indexing both of its forms,
look-ups by DOI, newest ``indexed`` wins, resuming, re-indexing, hostile items, and a
library resolved with no API at all.

The data files are built here in the public data file's layout (a folder of
``NNN.json.gz`` files, each ``{"items": [...]}``) and in its JSON Lines form, from
the recorded REST API work objects in tests/fixtures/crossref/ (see PROVENANCE.md
there): the works are recorded, the files around them are built. The hostile items
are synthetic, built in the test that uses them, and say so. No server.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner

import paperfuse
import paperfuse_crossref
from paperfuse import Config, snapshot_files
from paperfuse.cli import main
from paperfuse.testing import ResolverFactory, report
from paperfuse_crossref import CrossrefSnapshotSource, work_to_record
from paperfuse_crossref._snapshot import CrossrefSnapshotIndex

FIXTURES = Path(__file__).parent / "fixtures" / "crossref"
LIST = "commonmeta_works_rows_20_filter_prefix_3a10.5555_2ctype_3ajournal_article.json"
ELIFE = "commonmeta_10.7554_elife.01567.json"
NATURE = "skgif_10.1038_nature12373.json"

pytestmark = pytest.mark.usefixtures("logger_as_it_was")


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_bytes())["message"]


def recorded_works() -> list[dict[str, Any]]:
    """Every recorded work object: the single works and the list's twenty."""
    works = []
    for path in sorted(FIXTURES.glob("*.json")):
        message = json.loads(path.read_bytes())["message"]
        works += message.get("items", [message])
    return works


def write_data_file(folder: Path, works: list[dict[str, Any]], per_file: int = 5) -> list[Path]:
    """The works in the public data file's layout: ``N.json.gz`` files of ``items``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, start in enumerate(range(0, len(works), per_file)):
        path = folder / f"{n}.json.gz"
        path.write_bytes(
            gzip.compress(json.dumps({"items": works[start : start + per_file]}).encode())
        )
        paths.append(path.resolve())
    return paths


def crossref_index(cache: Path) -> CrossrefSnapshotIndex:
    return CrossrefSnapshotSource.snapshot_index(Config(cache_dir=str(cache)))


def test_the_data_file_is_indexed_and_every_doi_found(tmp_path: Path) -> None:
    works = recorded_works()
    paths = write_data_file(tmp_path / "data", works)
    assert snapshot_files([tmp_path / "data"]) == paths
    index = crossref_index(tmp_path / "cache")
    done = index.index(paths)
    assert [Path(f.path) for f in done] == paths  # named by the data file's files
    assert sum(f.records for f in done) == len(works) == 26
    asked = [f" {w['DOI'].upper()}" for w in works]
    found = index.lookup([*asked, "10.1234/not-in-the-file"])
    assert set(found) == set(asked)
    line = json.loads(found[asked[0]])
    assert line["work"] == works[0]  # the work object, as recorded
    assert [Path(f.path) for f in index.files()] == paths
    index.close()


def test_the_json_lines_form_and_a_pretty_printed_file_are_read_too(tmp_path: Path) -> None:
    works = recorded_works()
    lines = tmp_path / "data" / "crossref-works.jsonl.gz"
    lines.parent.mkdir()
    lines.write_bytes(gzip.compress(b"".join(json.dumps(w).encode() + b"\n" for w in works[:10])))
    pretty = tmp_path / "data" / "pretty.json"
    pretty.write_text(json.dumps({"items": works[10:]}, indent=2))
    index = crossref_index(tmp_path / "cache")
    index.index([lines.resolve(), pretty.resolve()])
    assert len(index.lookup([w["DOI"] for w in works])) == len(works)
    index.close()


def test_the_most_recently_indexed_work_wins(tmp_path: Path) -> None:
    """The recorded eLife work twice: as recorded, and an older copy (edited here)."""
    newest = load(ELIFE)
    older = json.loads(json.dumps(newest))
    older["indexed"] = {
        "date-parts": [[2019, 10, 2]],
        "date-time": "2019-10-02T00:00:00Z",
        "timestamp": 1569974400000,
    }
    older["title"] = ["an older title"]
    # The older copy in the file named last, and in the same form, so neither wins by place.
    write_data_file(tmp_path / "data" / "a", [newest])
    write_data_file(tmp_path / "data" / "b", [older])
    index = crossref_index(tmp_path / "cache")
    index.index(snapshot_files([tmp_path / "data"]))
    line = index.lookup([newest["DOI"]])[newest["DOI"]]
    assert json.loads(line)["work"]["title"] == newest["title"]
    index.close()


def test_an_interrupted_index_resumes_at_the_file_it_was_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped while converting the third file (one file converted, then indexed, at a time)."""
    import paperfuse_crossref._snapshot as module

    works = recorded_works()
    paths = write_data_file(tmp_path / "data", works)
    index = crossref_index(tmp_path / "cache")
    real = module._line
    third = works[10]["DOI"].encode()

    def interrupted(raw: bytes) -> bytes | None:
        if third in raw:  # as if Ctrl-C came while on the third file
            raise KeyboardInterrupt
        return real(raw)

    monkeypatch.setattr(module, "_CHUNK", 1)
    monkeypatch.setattr(module, "_line", interrupted)
    with pytest.raises(KeyboardInterrupt):
        index.index(paths)
    monkeypatch.setattr(module, "_line", real)
    assert [Path(f.path) for f in index.files()] == paths[:2]  # named by the data file's files
    assert not index.lines_file(paths[2]).exists()  # no half-written file is taken as done
    assert index.stale(paths) == paths[2:]
    again = [Path(f.path) for f in index.index(paths)]
    assert again == paths[2:]  # the files done are not read again
    assert index.stale(paths) == []
    assert len(index.lookup([w["DOI"] for w in works])) == 26
    index.close()


def test_a_conversion_cut_short_is_done_again(tmp_path: Path) -> None:
    paths = write_data_file(tmp_path / "data", recorded_works())
    index = crossref_index(tmp_path / "cache")
    index.lines_folder.mkdir(parents=True)
    # What a kill during the conversion of the first file leaves: a partial file only.
    index.lines_file(paths[0]).with_suffix(".partial").write_bytes(b"cut")
    assert index.stale(paths) == paths
    index.index(paths)
    assert index.stale(paths) == []
    index.close()


def test_a_changed_file_is_indexed_again_and_a_file_no_longer_named_forgotten(
    tmp_path: Path,
) -> None:
    works = recorded_works()
    paths = write_data_file(tmp_path / "data", works)
    index = crossref_index(tmp_path / "cache")
    index.index(paths)
    assert index.index(paths) == []  # nothing changed, nothing read
    paths[0].write_bytes(gzip.compress(json.dumps({"items": works[:1]}).encode()))
    assert index.stale(paths) == [paths[0]]
    assert [Path(f.path) for f in index.index(paths)] == [paths[0]]
    assert works[1]["DOI"] not in index.lookup([works[1]["DOI"]])  # no longer in the file
    index.index(paths[1:])
    assert [Path(f.path) for f in index.files()] == paths[1:]
    assert works[0]["DOI"] not in index.lookup([works[0]["DOI"]])
    assert len(list(index.lines_folder.glob("*.jsonl.gz"))) == len(paths) - 1
    index.close()


def test_hostile_items_and_files_are_skipped_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Synthetic hostile items and files (built here) beside recorded works."""
    good = load(NATURE)
    hostile_items: list[Any] = [5, "text", [1], {"DOI": 7}, {"DOI": "  "}, {"title": ["no DOI"]}]
    items = tmp_path / "data" / "0.json.gz"
    items.parent.mkdir()
    items.write_bytes(gzip.compress(json.dumps({"items": [*hostile_items, good]}).encode()))
    not_json = tmp_path / "data" / "1.json.gz"
    not_json.write_bytes(gzip.compress(b'{"items": [{"DOI": "10.1/cut", "title": '))
    lines = tmp_path / "data" / "2.jsonl"
    lines.write_bytes(b"{not json\n" + json.dumps(load(ELIFE)).encode() + b"\n[]\n")
    cut = tmp_path / "data" / "3.json.gz"
    cut.write_bytes(gzip.compress(json.dumps({"items": [load(ELIFE)]}).encode())[:-30])
    index = crossref_index(tmp_path / "cache")
    done = index.index(snapshot_files([tmp_path / "data"]))
    assert [f.records for f in done] == [1, 0, 1, 0]
    assert "6 works of the snapshot" in caplog.text
    assert "2 works of the snapshot" in caplog.text
    assert "not a readable items file" in caplog.text
    assert "breaks off" in caplog.text
    assert set(index.lookup([good["DOI"], "10.7554/elife.01567", "10.1/cut"])) == {
        good["DOI"],
        "10.7554/elife.01567",
    }
    index.close()


def test_a_work_answers_as_the_api_mapping_gives_it(
    tmp_path: Path, paperfuse_resolver: ResolverFactory
) -> None:
    write_data_file(tmp_path / "data", [load(ELIFE)])
    with paperfuse_resolver(
        paperfuse_crossref,
        settings={
            "crossref": {"enabled": False},
            "crossref-snapshot": {"options": {"path": str(tmp_path / "data")}},
        },
        cache_dir=tmp_path / "cache",
    ) as resolver:
        work = resolver.resolve("10.7554/eLife.01567")
        assert resolver.cache.info().answers.get("crossref-snapshot") is None
    assert report(work, "crossref-snapshot").status == "ok"
    mapped = work_to_record(load(ELIFE), "crossref-snapshot")
    assert mapped is not None
    assert (work.title, work.ids.doi, work.venue, work.volume) == (
        mapped.title,
        mapped.ids.doi,
        mapped.venue,
        mapped.volume,
    )
    assert [a.orcid for a in work.authors] == [a.orcid for a in mapped.authors]
    assert work.references_count == mapped.references_count


def test_the_cli_tells_the_flavour_and_a_library_resolves_from_dumps_alone(
    tmp_path: Path,
) -> None:
    """Every API source off: DOIs answer from Crossref's file and OpenAlex's snapshot."""
    data = tmp_path / "crossref"
    write_data_file(data, recorded_works())
    openalex = tmp_path / "openalex" / "data" / "works" / "updated_date=2026-07-22"
    openalex.mkdir(parents=True)
    plos = (Path(__file__).parent / "fixtures" / "openalex").joinpath(
        "commonmeta_work_10.1371_journal.pone.0000030.json"
    )
    (openalex / "part_000.gz").write_bytes(gzip.compress(plos.read_bytes().replace(b"\n", b"")))
    cache = tmp_path / "cache"
    env = {"PAPERFUSE_CACHE_DIR": str(cache)}
    runner = CliRunner()
    first = runner.invoke(main, ["snapshot", "index", "-q", str(data)], env=env)
    assert first.exit_code == 0, first.output
    assert "crossref-snapshot: indexed 6 of 6 files (26 records)" in first.output
    second = runner.invoke(main, ["snapshot", "index", "-q", str(openalex.parent)], env=env)
    assert "openalex-snapshot: indexed 1 of 1 files (1 records)" in second.output
    info = runner.invoke(main, ["snapshot", "info", "--json"], env=env)
    stores = [msgspec.json.decode(line) for line in info.stdout.splitlines()]
    assert {s["source"]: s["records"] for s in stores} == {
        "crossref-snapshot": 26,
        "openalex-snapshot": 1,
    }
    names = sorted(paperfuse.PluginHost().sources)
    off = "".join(f"[sources.{n}]\nenabled = false\n" for n in names if not n.endswith("-snapshot"))
    config = tmp_path / "paperfuse.toml"
    config.write_text(
        f'{off}[sources.crossref-snapshot.options]\npath = "{data}"\n'
        f'[sources.openalex-snapshot.options]\npath = "{openalex.parent}"\n'
    )
    env["PAPERFUSE_CONFIG"] = str(config)
    asked = ["10.7554/elife.01567", "10.1038/nature12373", "10.1371/journal.pone.0000030"]
    result = runner.invoke(main, ["resolve", "-q", *asked], env=env)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [r["status"] for r in records] == ["resolved"] * 3
    answered = [{s["name"] for s in r["sources"] if s["status"] == "ok"} for r in records]
    assert answered[:2] == [{"crossref-snapshot"}] * 2
    assert answered[2] == {"openalex-snapshot"}  # a DOI only OpenAlex's snapshot holds
    assert records[1]["volume"] == "500"


def test_without_a_path_the_source_says_how_or_answers_from_the_index_made_before(
    tmp_path: Path, paperfuse_resolver: ResolverFactory
) -> None:
    doi = "10.1038/nature12373"
    off = {"crossref": {"enabled": False}}
    with paperfuse_resolver(paperfuse_crossref, settings=off, cache_dir=tmp_path / "c") as r:
        skipped = report(r.resolve(doi), "crossref-snapshot")
    assert skipped.status == "skipped"
    assert "[sources.crossref-snapshot.options]" in (skipped.error or "")
    index = crossref_index(tmp_path / "c")
    index.index(write_data_file(tmp_path / "data", recorded_works()))
    index.close()
    with paperfuse_resolver(paperfuse_crossref, settings=off, cache_dir=tmp_path / "c") as r:
        work = r.resolve(doi)
    assert work.status == "resolved"
    assert (work.venue, work.volume, work.pages) == ("Nature", "500", "54-58")
