"""Unpaywall snapshot: the SQLite index (the old path) and the DuckDB index side by side.

Generates a synthetic snapshot in a temporary folder (deleted at the end):
``--records`` DOI objects (1,000,000 by default) cloned from the 2,150
recorded records of tests/fixtures/unpaywall/snapshot/ (each copy keeps its
record's shape, OA locations and all, under a DOI of its own:
``<doi>.syn<n>``), gzipped JSON Lines in ``--files`` files (the layout of
Unpaywall's data feed; one file is the full snapshot's). Then, each in a
process of its own (peak memory is that process's ru_maxrss):

1. **Index**: the old path (each line's DOI read with msgspec, lines stored
   in the embedded SQLite store, ``SourceStore.fill``) and the DuckDB path
   (``paperfuse snapshot index``, the CLI: one pass over each file; keys and
   typed columns in DuckDB, raw objects zstd-compressed in an SQLite file
   beside it). Rate, CPU seconds, store size (both files), peak memory.
2. **Storage look-ups**: ``--lookups`` DOIs of the snapshot, shuffled, asked
   of each store alone: one SQLite get per DOI; DuckDB 2,000 at a time
   (``SnapshotIndex.lookup``: the join on DuckDB's key column, then the raw
   objects read by id from SQLite and decompressed).
3. **End to end**: the same DOIs resolved into merged records and encoded as
   JSON, by the library (``Resolver.resolve_many``; the old path through the
   old source, re-created here, with its answer cache on as it was) and, for
   DuckDB, by the CLI (``paperfuse resolve --input dois.txt --output
   records.jsonl``, every plugin but Unpaywall's disabled).

Each measurement runs ``--repeat`` times, the two engines alternated, and
the median is reported (the machine may be shared).

``--scale-keys N`` then measures look-ups against N synthetic keys (no raw
objects), each in a process of its own: the key index's probe
(``SnapshotIndex._probe``, what look-ups do) and, beside it, DuckDB's join
with the whole key column (what they did, and still do for an index whose
key index is not built), per DOI, with peak memory; and the build of the key
index from DuckDB's key column (keys a second, peak memory, its size).
``--scale-only`` skips the comparison above and measures only that.

    .venv/bin/python benchmarks/snapshot.py                          # 1,000,000 records
    .venv/bin/python benchmarks/snapshot.py --records 100000 --lookups 20000
    .venv/bin/python benchmarks/snapshot.py --scale-only --scale-keys 1000000 10000000

It exits non-zero only when something crashes; a missed target is reported.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests/fixtures/unpaywall/snapshot/ezunpaywall_snapshot_2150records.jsonl.gz"
#: Every installed plugin but Unpaywall's: the snapshot answers alone.
OTHERS = sorted({ep.name for ep in entry_points(group="paperfuse")} - {"unpaywall"})
INDEX_TARGET = 40_000  # records a second
LOOKUP_TARGET = 10_000_000  # DOIs an hour, end to end through the CLI


# -- the synthetic snapshot -----------------------------------------------------------------


def generate(folder: Path, records: int, files: int) -> list[Path]:
    """``records`` cloned DOI objects in ``files`` gzipped JSON Lines files."""
    lines = gzip.decompress(SAMPLE.read_bytes()).splitlines()
    shapes = [json.loads(line) for line in lines]
    per_file = -(-records // files)
    paths = []
    n = 0
    for part in range(files):
        path = folder / f"unpaywall_snapshot_part{part:03}.jsonl.gz"
        with gzip.open(path, "wb", compresslevel=1) as out:
            for _ in range(min(per_file, records - n)):
                record = dict(shapes[n % len(shapes)])
                record["doi"] = f"{record['doi']}.syn{n}"
                out.write(json.dumps(record).encode() + b"\n")
                n += 1
        paths.append(path)
    return paths


def all_dois(paths: Sequence[Path], records: int) -> list[str]:
    shapes = [json.loads(line)["doi"] for line in gzip.decompress(SAMPLE.read_bytes()).splitlines()]
    return [f"{shapes[n % len(shapes)]}.syn{n}" for n in range(records)]


# -- the old path, re-created (the unpaywall-snapshot source before DuckDB) -------------------


def legacy_plugin() -> Any:
    """A plugin module with the old SQLite snapshot source, as it was."""
    import types
    from collections.abc import Mapping as _Mapping

    import msgspec

    import paperfuse
    from paperfuse_unpaywall import doi_object_to_work

    class LegacySnapshotSource(paperfuse.Source):
        name = "legacy-snapshot"
        schemes = ("doi",)
        batch_size = 1_000
        politeness = paperfuse.Politeness(min_interval=0.0, max_concurrency=1)
        role = "open access index"

        async def lookup(
            self, identifiers: Sequence[paperfuse.Identifier]
        ) -> _Mapping[paperfuse.Identifier, paperfuse.LookupResult]:
            records = self.context.store.table("records")
            found: dict[paperfuse.Identifier, paperfuse.LookupResult] = {}
            for identifier in identifiers:
                line = records.get(identifier.value)
                found[identifier] = (
                    doi_object_to_work(msgspec.json.decode(line), self.name) if line else None
                )
            return found

    module = types.ModuleType("legacy_snapshot")

    @paperfuse.hookimpl
    def paperfuse_register_sources() -> list[type[paperfuse.Source]]:
        return [LegacySnapshotSource]

    module.paperfuse_register_sources = paperfuse_register_sources  # type: ignore[attr-defined]
    return module


def legacy_index(cache: Path, paths: Sequence[str]) -> dict[str, Any]:
    import asyncio

    from paperfuse._store import SourceStore, Store, default_store_path
    from paperfuse_unpaywall import snapshot_records

    store = Store(default_store_path(str(cache)))
    records = SourceStore(store, "legacy-snapshot").table("records")
    count = 0
    for path in paths:
        count += asyncio.run(records.fill(snapshot_records(Path(path))))
    store.close()
    return {"records": count}


def legacy_storage(cache: Path, dois: Sequence[str]) -> dict[str, Any]:
    from paperfuse._store import SourceStore, Store, default_store_path

    store = Store(default_store_path(str(cache)))
    records = SourceStore(store, "legacy-snapshot").table("records")
    started = time.perf_counter()
    found = sum(1 for doi in dois if records.get(doi) is not None)
    return {"found": found, "seconds": time.perf_counter() - started}


def duckdb_storage(cache: Path, dois: Sequence[str]) -> dict[str, Any]:
    from paperfuse import Config
    from paperfuse_unpaywall import UnpaywallSnapshotSource

    index = UnpaywallSnapshotSource.snapshot_index(Config(cache_dir=str(cache)))
    started = time.perf_counter()
    found = 0
    for n in range(0, len(dois), 2_000):
        found += len(index.lookup(dois[n : n + 2_000]))
    return {"found": found, "seconds": time.perf_counter() - started}


def library(engine: str, cache: Path, paths: Sequence[str], dois: Sequence[str]) -> dict[str, Any]:
    """Resolve ``dois`` with the library, each record encoded as JSON (and dropped)."""
    import paperfuse
    import paperfuse_unpaywall
    from paperfuse import Config, SourceSettings, encode_json

    if engine == "sqlite":
        config = Config(cache_dir=str(cache))  # the old source cached its answers
        plugins = {"legacy": legacy_plugin()}
    else:
        config = Config(
            cache_dir=str(cache),
            sources={"unpaywall-snapshot": SourceSettings(options={"path": list(paths)})},
        )
        plugins = {"unpaywall": paperfuse_unpaywall}
    started = time.perf_counter()
    resolved = 0
    with paperfuse.Resolver(config, entry_points=False, plugins=plugins) as resolver:
        for work in resolver.resolve_many(dois):
            encode_json(work)
            resolved += work.status == "resolved"
    return {"resolved": resolved, "seconds": time.perf_counter() - started}


# -- running each measurement in a process of its own -----------------------------------------


def child(task: str, *args: str) -> dict[str, Any]:
    """Run ``task`` in a fresh process; its result, wall time and peak memory."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, __file__, "--child", task, *args],
        capture_output=True,
        text=True,
        check=False,
        env=clean_env(),
    )
    if result.returncode != 0:
        raise SystemExit(f"{task} failed:\n{result.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    out["wall"] = time.perf_counter() - started
    return out


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFUSE_")}
    env.update(extra or {})
    return env


def run_child(task: str, args: list[str]) -> None:
    cache = Path(args[0])
    if task == "scale-build":
        result = scale_build(cache, int(args[1]), Path(args[2]).read_text().split())
    elif task in ("scale-probe", "scale-join"):
        result = scale_lookups(cache, Path(args[1]).read_text().split(), task[6:])
    elif task == "legacy-index":
        started = time.perf_counter()
        result = legacy_index(cache, args[1:])
        result["seconds"] = time.perf_counter() - started
    else:
        dois = Path(args[1]).read_text().split()
        paths = args[2:]
        if task == "legacy-storage":
            result = legacy_storage(cache, dois)
        elif task == "duckdb-storage":
            result = duckdb_storage(cache, dois)
        elif task == "legacy-library":
            result = library("sqlite", cache, paths, dois)
        elif task == "duckdb-library":
            result = library("duckdb", cache, paths, dois)
        else:
            raise SystemExit(f"unknown task {task}")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_mb"] = usage.ru_maxrss / 1024
    result["cpu"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(result))


def timed_command(command: list[str], env: Mapping[str, str]) -> dict[str, Any]:
    """Run a CLI command; its wall time and the peak memory of its process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=dict(env), check=False)
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"{command[:3]} failed:\n{result.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    # ru_maxrss of children is the largest of any child so far: report it only when it grew.
    peak = after.ru_maxrss / 1024 if after.ru_maxrss > before.ru_maxrss else None
    return {"seconds": seconds, "cpu": cpu, "peak_mb": peak}


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


# -- the report -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--lookups", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Generate into this folder and keep it.")
    parser.add_argument("--scale-keys", type=int, nargs="*", default=[], metavar="N")
    parser.add_argument("--scale-only", action="store_true", help="Only --scale-keys.")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child[0], args.child[1:])
        return

    folder = args.keep or Path(tempfile.mkdtemp(prefix="paperfuse-snapshot-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        report(folder, args)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def report(folder: Path, args: argparse.Namespace) -> None:
    if args.scale_only:
        dois = all_dois([], max(args.records, 10_000))
        random.Random(18).shuffle(dois)
        for keys in args.scale_keys:
            print(scale_keys(folder, keys, dois[:10_000]), flush=True)
        return
    data = folder / "snapshot"
    data.mkdir(exist_ok=True)
    started = time.perf_counter()
    paths = sorted(data.glob("*.jsonl.gz")) or generate(data, args.records, args.files)
    raw = 0
    for path in paths:
        with gzip.open(path, "rb") as lines:
            raw += sum(len(line) for line in lines)
    print(
        f"snapshot: {args.records:,} records in {len(paths)} files,"
        f" {size_mb(data):,.0f} MB gzipped, ~{raw / 1e6:,.0f} MB of JSON"
        f" ({time.perf_counter() - started:.0f} s to make)",
        flush=True,
    )
    names = [str(p) for p in paths]
    dois = all_dois(paths, args.records)
    random.Random(18).shuffle(dois)
    asked = folder / "dois.txt"
    asked.write_text("\n".join(dois[: args.lookups]) + "\n")

    index: dict[str, list[dict[str, Any]]] = {"sqlite": [], "duckdb": []}
    sizes: dict[str, float] = {}
    for n in range(args.repeat):
        for engine in ("sqlite", "duckdb") if n % 2 == 0 else ("duckdb", "sqlite"):
            cache = folder / f"cache-{engine}"
            shutil.rmtree(cache, ignore_errors=True)
            if engine == "sqlite":
                run = child("legacy-index", str(cache), *names)
            else:
                run = timed_command(
                    [
                        sys.executable,
                        "-m",
                        "paperfuse",
                        "snapshot",
                        "index",
                        "-q",
                        "--cache-dir",
                        str(cache),
                        *names,
                    ],
                    clean_env(),
                )
                run["records"] = args.records
            index[engine].append(run)
            sizes[engine] = size_mb(cache)
            print(f"  index {engine}: {run['seconds']:.1f} s", flush=True)

    lookups: dict[str, dict[str, list[dict[str, Any]]]] = {
        "storage": {"sqlite": [], "duckdb": []},
        "library": {"sqlite": [], "duckdb": []},
        "cli": {"duckdb": []},
    }
    config = folder / "paperfuse.toml"
    config.write_text(
        f"cache_dir = {json.dumps(str(folder / 'cache-duckdb'))}\n"
        f"disabled_plugins = {json.dumps(OTHERS)}\n"
        "[sources.unpaywall-snapshot.options]\n"
        f"path = {json.dumps(names)}\n"
    )
    for n in range(args.repeat):
        for engine in ("sqlite", "duckdb") if n % 2 == 0 else ("duckdb", "sqlite"):
            cache = str(folder / f"cache-{engine}")
            task = "legacy" if engine == "sqlite" else "duckdb"
            lookups["storage"][engine].append(child(f"{task}-storage", cache, str(asked)))
            if engine == "sqlite":  # the old source cached answers: start each run without them
                _forget_answers(Path(cache))
            lookups["library"][engine].append(child(f"{task}-library", cache, str(asked), *names))
        out = folder / "records.jsonl"
        lookups["cli"]["duckdb"].append(
            timed_command(
                [
                    sys.executable,
                    "-m",
                    "paperfuse",
                    "resolve",
                    "-q",
                    "--input",
                    str(asked),
                    "--output",
                    str(out),
                ],
                clean_env({"PAPERFUSE_CONFIG": str(config)}),
            )
        )
        print(f"  look-ups, round {n + 1} done", flush=True)

    print_table(args, index, sizes, lookups, raw)
    for keys in args.scale_keys:
        print(scale_keys(folder, keys, dois[:10_000]), flush=True)


def scale_keys(folder: Path, keys: int, asked: Sequence[str]) -> str:
    """Look-ups against ``keys`` synthetic keys: the key index's probe, and DuckDB's join."""
    made = folder / "keys"
    shutil.rmtree(made, ignore_errors=True)
    made.mkdir()
    try:
        asked_file = made / "asked.txt"
        asked_file.write_text("\n".join(asked) + "\n")
        build = child("scale-build", str(made), str(keys), str(asked_file))
        runs: dict[str, list[dict[str, Any]]] = {"probe": [], "join": []}
        for n in range(3):  # alternated, each in a fresh process
            for how in ("probe", "join") if n % 2 == 0 else ("join", "probe"):
                runs[how].append(child(f"scale-{how}", str(made), str(asked_file)))
    finally:
        shutil.rmtree(made, ignore_errors=True)
    probe, join = (
        {k: statistics.median(r[k] for r in runs[how]) for k in ("per_doi", "peak_mb")}
        for how in ("probe", "join")
    )
    return (
        f"{keys:,} keys: key index {probe['per_doi'] * 1e3:.4f} ms a DOI"
        f" (peak {probe['peak_mb']:,.0f} MB); DuckDB join {join['per_doi'] * 1e3:.4f} ms a DOI"
        f" (peak {join['peak_mb']:,.0f} MB); key index built in {build['key_seconds']:.1f} s"
        f" ({build['keys_per_s']:,.0f} keys/s, build peak {build['peak_mb']:,.0f} MB),"
        f" {build['keys_mb']:,.0f} MB; raw store {build['raw_mb']:,.0f} MB,"
        f" DuckDB {build['duckdb_mb']:,.0f} MB; 2,000 DOIs a batch, look-ups with their raw"
        " objects read, medians of 3 processes"
    )


def scale_index(folder: Path) -> Any:
    from paperfuse import SnapshotIndex

    return SnapshotIndex(folder / "keys.duckdb", key="doi", columns={"updated": "VARCHAR"})


def scale_build(folder: Path, keys: int, asked: Sequence[str]) -> dict[str, Any]:
    """A snapshot index of ``keys`` synthetic keys (and ``asked``), its key index timed.

    The keys look like DOIs ('10.<prefix>/<md5>'), in no order; each has a
    small raw object (``{"doi": ..., "updated": ...}``, zstd). One file holds
    them all (the full snapshot's layout), so the key index is built by one
    sorted pass, as ``paperfuse snapshot index`` builds it after the files.
    """
    import sqlite3

    import duckdb
    import zstandard

    index = scale_index(folder)
    compress = zstandard.ZstdCompressor(level=1).compress
    with duckdb.connect(str(index.database), config={"memory_limit": "256MB"}) as db:
        index._create(db)
        db.execute(
            "INSERT INTO records SELECT '10.' || (1000 + i % 9000) || '/' || md5(i::VARCHAR),"
            " 'synthetic', '2020-01-01T00:00:00', i + 1 FROM range(?) AS t(i)",
            [keys],
        )
        db.execute(
            "INSERT INTO records SELECT lower(k), 'synthetic', '2020-01-01T00:00:00', ? + n"
            " FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(k, n)",
            [keys, list(asked)],
        )
        db.execute(
            "INSERT INTO files VALUES ('synthetic', 0, 0, ?, 0, true, 1, ?)",
            [keys + len(asked), keys + len(asked)],
        )
        db.execute("CHECKPOINT")
        raw = index._raw_writer()
        rows = db.execute(
            "SELECT id, to_json({doi: key, updated: updated})::VARCHAR FROM records ORDER BY id"
        )
        while batch := rows.fetchmany(100_000):
            raw.executemany(
                "INSERT INTO raw VALUES (?, ?)", [(i, compress(t.encode())) for i, t in batch]
            )
        raw.commit()
        raw.close()
        started = time.perf_counter()
        index._key_files(db)
        seconds = time.perf_counter() - started
    pages = float("nan")  # dbstat is in most SQLite builds, not all
    with contextlib.suppress(sqlite3.Error), sqlite3.connect(index.raw_store) as raw:
        pages = raw.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN ('keys', 'sqlite_autoindex_keys_1')"
        ).fetchone()[0]
    return {
        "key_seconds": seconds,
        "keys_per_s": (keys + len(asked)) / seconds,
        "keys_mb": pages / 1e6,
        "raw_mb": index.raw_store.stat().st_size / 1e6,
        "duckdb_mb": index.database.stat().st_size / 1e6,
    }


def scale_lookups(folder: Path, asked: Sequence[str], how: str) -> dict[str, Any]:
    """Per DOI: the key index's look-up or DuckDB's join, 2,000 DOIs a batch, median of 3.

    Both read the raw objects of the records found (the join as ``lookup``
    did before the key index); each round asks the DOIs in a new order.
    """
    index = scale_index(folder)
    connection = index._connection()
    if how == "probe" and not index._keys_ready:
        raise SystemExit("the key index is not built")
    times = []
    for round_ in range(3):
        order = list(asked)
        random.Random(round_).shuffle(order)
        started = time.perf_counter()
        found = 0
        for n in range(0, len(order), 2_000):
            wanted = {d.lower(): [d] for d in order[n : n + 2_000]}
            if how == "probe":
                found += len(index._probe(connection, wanted))
            else:
                rows = index._join(connection, wanted)
                found += len(index._bodies(id_ for id_, _ in rows))
        times.append((time.perf_counter() - started) / len(order))
        if found != len(order):
            raise SystemExit(f"{how}: found {found} of {len(order)}")
    index.close()
    return {"per_doi": statistics.median(times)}


def _forget_answers(cache: Path) -> None:
    from paperfuse._store import Store, default_store_path

    store = Store(default_store_path(str(cache)))
    store.delete_answers(None, None)
    store.close()


def median(runs: list[dict[str, Any]], key: str) -> float:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else float("nan")


def print_table(
    args: argparse.Namespace,
    index: dict[str, list[dict[str, Any]]],
    sizes: dict[str, float],
    lookups: dict[str, dict[str, list[dict[str, Any]]]],
    raw: int,
) -> None:
    n = args.lookups
    print()
    print("| | SQLite (old path) | DuckDB | target |")
    print("|---|---|---|---|")
    rates = {e: args.records / median(index[e], "seconds") for e in index}
    print(
        f"| index rate | {rates['sqlite']:,.0f} records/s | {rates['duckdb']:,.0f} records/s"
        f" | >= {INDEX_TARGET:,} records/s |"
    )
    print(
        f"| store size | {sizes['sqlite']:,.0f} MB ({sizes['sqlite'] * 1e6 / raw:.2f}x the JSON)"
        f" | {sizes['duckdb']:,.0f} MB ({sizes['duckdb'] * 1e6 / raw:.2f}x) | |"
    )
    print(
        f"| CPU time, indexing | {median(index['sqlite'], 'cpu'):,.0f} s"
        f" | {median(index['duckdb'], 'cpu'):,.0f} s | |"
    )
    print(
        f"| peak memory, indexing | {median(index['sqlite'], 'peak_mb'):,.0f} MB"
        f" | {median(index['duckdb'], 'peak_mb'):,.0f} MB | flat |"
    )
    for kind, label in (("storage", "storage look-ups"), ("library", "end to end, library")):
        per_hour = {e: n / median(lookups[kind][e], "seconds") * 3600 for e in lookups[kind]}
        per_doi = {e: median(lookups[kind][e], "seconds") / n * 1e3 for e in lookups[kind]}
        print(
            f"| {label} | {per_hour['sqlite'] / 1e6:,.2f} M DOIs/h ({per_doi['sqlite']:.3f} ms)"
            f" | {per_hour['duckdb'] / 1e6:,.2f} M DOIs/h ({per_doi['duckdb']:.3f} ms) | |"
        )
    cli = median(lookups["cli"]["duckdb"], "seconds")
    print(
        f"| end to end, CLI (`paperfuse resolve`) | | {n / cli * 3600 / 1e6:,.2f} M DOIs/h"
        f" ({cli / n * 1e3:.3f} ms) | >= {LOOKUP_TARGET / 1e6:,.0f} M DOIs/h |"
    )
    peaks = [median(lookups["library"][e], "peak_mb") for e in ("sqlite", "duckdb")]
    print(f"| peak memory, library look-ups | {peaks[0]:,.0f} MB | {peaks[1]:,.0f} MB | flat |")
    print()
    print(
        f"medians of {args.repeat} runs, engines alternated; {n:,} shuffled DOIs of the"
        f" snapshot; index runs: {[round(r['seconds'], 1) for r in index['duckdb']]} s (DuckDB),"
        f" {[round(r['seconds'], 1) for r in index['sqlite']]} s (SQLite);"
        f" CLI runs: {[round(r['seconds'], 1) for r in lookups['cli']['duckdb']]} s"
    )
    met_index = rates["duckdb"] >= INDEX_TARGET
    met_lookup = n / cli * 3600 >= LOOKUP_TARGET
    verdict = {True: "met", False: "MISSED"}
    print(f"index target {verdict[met_index]}; look-up target {verdict[met_lookup]}")


if __name__ == "__main__":
    main()
