"""The answer cache under stress: not closed, shared, corrupt, locked, unusable, missing.

The promises (issue 10, points 5, 7 and 8; docs/batch.md): every answer is
committed within a bounded time on every path, whether or not more answers
come; two processes share one cache; a file SQLite cannot read is set aside
with a warning; a locked cache is not corrupt (wait, or run without it for
this run, and say so); a cache folder that cannot be used turns the cache off
with one warning while resolution goes on, the daily budget kept in memory.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
import upstream
from hostile import HostileServer
from upstream import CLI, PLUGINS

import paperfuse
from paperfuse import Work

pytestmark = pytest.mark.faults

#: How long an answer may wait before it is committed ("a bounded time"; generous).
COMMIT_WITHIN = 1.0


def _warnings(stderr: bytes) -> list[str]:
    return [line for line in stderr.decode().splitlines() if "warning" in line.lower()]


def _check_run(run: Any, inputs: list[str], resolved: int | None = None) -> list[dict[str, Any]]:
    """One line per input; no traceback; ``resolved`` of them resolved (all by default)."""
    stderr = run.stderr.decode()
    assert "Traceback" not in stderr, stderr
    records = upstream.records(run.stdout)
    assert [r["input"] for r in records] == inputs, stderr
    statuses = [r["status"] for r in records]
    wanted = len(inputs) if resolved is None else resolved
    assert statuses.count("resolved") == wanted, f"{[r.get('error') for r in records]}\n{stderr}"
    for record in records:
        for report in record["sources"]:
            assert "plugin error" not in (report.get("error") or ""), report
            assert "internal error" not in (report.get("error") or ""), report
    return records


# -- from Python: answers committed without closing the resolver ----------------------------------


def _resolver(cfg: paperfuse.Config) -> paperfuse.Resolver:
    return paperfuse.Resolver(cfg, entry_points=False, plugins=PLUGINS)


def _cached_elsewhere(cfg: paperfuse.Config, doi: str) -> Work:
    """``doi`` resolved by a second resolver on the same cache (it asks only if not cached)."""
    with _resolver(cfg) as other:
        return other.resolve(doi)


@pytest.mark.parametrize("mode", ["resolve", "aresolve in a running loop"])
def test_an_answer_is_committed_while_the_resolver_stays_open(
    mode: str, server: HostileServer, tmp_path: Path
) -> None:
    server.handler = upstream.table()
    cfg = upstream.config(server.url, tmp_path / "cache")
    first, second = upstream.dois("open", 2)

    if mode == "resolve":
        resolver = _resolver(cfg)
        try:
            resolver.resolve(first)
            resolver.resolve(second)
            time.sleep(COMMIT_WITHIN)
            again = _cached_elsewhere(cfg, second)
        finally:
            resolver.close()
    else:

        async def main() -> Work:
            resolver = _resolver(cfg)
            try:
                await resolver.aresolve(first)
                await resolver.aresolve(second)
                await asyncio.sleep(COMMIT_WITHIN)  # the loop runs on; the caller does not close
                return await asyncio.to_thread(_cached_elsewhere, cfg, second)
            finally:
                await resolver.aclose()

        again = asyncio.run(main())

    assert again.status == "resolved"
    assert upstream.unpaywall_asked(server).count(second) == 1, (
        f"the answer was not in the cache {COMMIT_WITHIN:g} s after it came"
    )
    assert upstream.report(again, "unpaywall").cached


# -- shared, corrupt, locked ----------------------------------------------------------------------


def test_two_processes_share_one_cache_at_once(
    server: HostileServer, cli: CLI, tmp_path: Path
) -> None:
    inputs = upstream.dois("shared", 30)
    server.handler = upstream.table(delay=0.02)
    listing = upstream.listing(tmp_path, inputs)
    processes = [cli.start("resolve", "-i", str(listing)) for _ in range(2)]
    for process in processes:
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr.decode()
        assert _warnings(stderr) == []
        assert [r["input"] for r in upstream.records(stdout)] == inputs
    asked = len(upstream.unpaywall_asked(server))
    third = cli.run("resolve", "-i", str(listing))
    _check_run(third, inputs)
    assert len(upstream.unpaywall_asked(server)) == asked, "the shared cache lost answers"
    with sqlite3.connect(tmp_path / "cache" / "paperfuse.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_corrupt_cache_file_is_set_aside_and_the_run_goes_on(
    server: HostileServer, cli: CLI, tmp_path: Path
) -> None:
    inputs = upstream.dois("corrupt", 3)
    server.handler = upstream.table()
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "paperfuse.sqlite3").write_bytes(b"this is not a database" * 100)
    run = cli.run("resolve", *inputs)
    _check_run(run, inputs)
    assert len(_warnings(run.stderr)) == 1, run.stderr.decode()
    asked = len(upstream.unpaywall_asked(server))
    _check_run(cli.run("resolve", *inputs), inputs)
    assert len(upstream.unpaywall_asked(server)) == asked, "the rebuilt cache does not work"


def test_a_locked_cache_is_not_taken_for_corrupt(
    server: HostileServer, cli: CLI, tmp_path: Path
) -> None:
    """Another process holds the cache locked for longer than paperfuse waits."""
    seeded, fresh = upstream.dois("seeded", 3), upstream.dois("fresh", 2)
    server.handler = upstream.table()
    _check_run(cli.run("resolve", *seeded), seeded)
    path = tmp_path / "cache" / "paperfuse.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        run = cli.run("resolve", *seeded, *fresh, timeout=120)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    _check_run(run, seeded + fresh)
    stderr = run.stderr.decode()
    said = any(word in stderr.lower() for word in ("lock", "busy", "in use"))
    assert said, f"the run did not say the cache was locked: {stderr}"
    assert not list(path.parent.glob("*unreadable*")), "a locked cache was set aside as corrupt"
    asked = len(upstream.unpaywall_asked(server))
    _check_run(cli.run("resolve", *seeded), seeded)
    assert len(upstream.unpaywall_asked(server)) == asked, "the cached answers were lost"


# -- cache folders that cannot be used -----------------------------------------------------------


@pytest.mark.parametrize("where", ["under a regular file", "a regular file in its place"])
def test_an_unusable_cache_folder_turns_the_cache_off_with_one_warning(
    where: str, server: HostileServer, cli: CLI, tmp_path: Path
) -> None:
    """Root ignores permission bits: the folder is made unusable by a file in the way."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    folder = blocker / "cache" if where == "under a regular file" else blocker
    settings = tmp_path / "config.toml"
    settings.write_text("[sources.unpaywall]\ndaily_budget = 3\n")
    inputs = upstream.dois("nocache", 5)
    server.handler = upstream.table()
    run = cli.run(
        "resolve", *inputs, PAPERFUSE_CACHE_DIR=str(folder), PAPERFUSE_CONFIG=str(settings)
    )
    records = _check_run(run, inputs, resolved=3)  # the daily budget holds, kept in memory
    assert len(upstream.unpaywall_asked(server)) == 3
    refused = [r for r in records if r["status"] != "resolved"]
    for record in refused:
        report = next(s for s in record["sources"] if s["name"] == "unpaywall")
        assert "budget" in (report.get("error") or ""), report
    about_the_cache = [w for w in _warnings(run.stderr) if "cache" in w or "store" in w]
    assert len(about_the_cache) == 1, run.stderr.decode()
    assert "set aside" not in about_the_cache[0], about_the_cache[0]


def test_a_missing_cache_folder_is_made(server: HostileServer, cli: CLI, tmp_path: Path) -> None:
    inputs = upstream.dois("missing", 3)
    server.handler = upstream.table()
    folder = tmp_path / "not" / "yet" / "there"
    run = cli.run("resolve", *inputs, PAPERFUSE_CACHE_DIR=str(folder))
    _check_run(run, inputs)
    assert _warnings(run.stderr) == []
    asked = len(upstream.unpaywall_asked(server))
    _check_run(cli.run("resolve", *inputs, PAPERFUSE_CACHE_DIR=str(folder)), inputs)
    assert len(upstream.unpaywall_asked(server)) == asked
