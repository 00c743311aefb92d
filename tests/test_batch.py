"""Library imports: the answer cache, resuming, batch input and output, progress
and summary, and a cache shared by processes or found broken."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

import paperfuse
from engine_resolvers import make_resolver
from installed_plugins import install_distribution
from paperfuse import Config, Ids, Work
from paperfuse._store import Store
from paperfuse.testing import CLI, Isolation, fake_source

# -- the cache, through the resolver ---------------------------------------------------------


def _table_source(**attributes: object) -> type:
    records = {
        ("doi", f"10.5555/{n}"): Work(title=f"T{n}", ids=Ids(doi=f"10.5555/{n}")) for n in range(50)
    }
    return fake_source("table", ["doi"], records=records, batch_size=10, **attributes)


def _run(source: type, inputs: list[str], **config: object) -> list[Work]:
    with make_resolver(source, config=Config(**config)) as resolver:
        return list(resolver.resolve_many(inputs))


def test_second_run_makes_no_request_found_or_not_found(tmp_path: Path) -> None:
    source = _table_source()
    inputs = [f"10.5555/{n}" for n in range(30)] + ["10.5555/missing-1", "10.5555/missing-2"]
    first = _run(source, inputs, cache_dir=str(tmp_path))
    calls = len(source.calls)
    assert calls == 4
    second = _run(source, inputs, cache_dir=str(tmp_path))
    assert len(source.calls) == calls  # not one more call
    assert [w.title for w in second] == [w.title for w in first]
    assert [w.status for w in second] == [w.status for w in first]
    report = second[0].sources[0]
    assert (report.status, report.cached, report.requests) == ("ok", True, 0)
    assert second[-1].sources[0].status == "not_found"
    assert second[-1].sources[0].cached


def test_not_found_expires_sooner_than_found(tmp_path: Path) -> None:
    source = _table_source()
    inputs = ["10.5555/1", "10.5555/missing"]
    _run(source, inputs, cache_dir=str(tmp_path), cache_ttl_not_found=0.01)
    time.sleep(0.05)
    _run(source, inputs, cache_dir=str(tmp_path), cache_ttl_not_found=0.01)
    asked_again = [call[2] for call in source.calls[1:]]
    assert asked_again == [("doi:10.5555/missing",)]


def test_no_cache_and_refresh(tmp_path: Path) -> None:
    source = _table_source()
    _run(source, ["10.5555/1"], cache_dir=str(tmp_path), use_cache=False)
    _run(source, ["10.5555/1"], cache_dir=str(tmp_path))  # nothing was written: asks
    assert len(source.calls) == 2
    _run(source, ["10.5555/1"], cache_dir=str(tmp_path), refresh=True)  # asks again
    assert len(source.calls) == 3
    _run(source, ["10.5555/1"], cache_dir=str(tmp_path))  # the refresh was stored
    assert len(source.calls) == 3


def test_title_searches_are_cached(tmp_path: Path) -> None:
    search = fake_source(
        "search",
        [],
        searches_titles=True,
        candidates=[
            Work(title="A study of caching in scholarly resolvers", ids=Ids(doi="10.5555/c"))
        ],
    )
    for _ in range(2):
        works = _run(search, ["A study of caching in scholarly resolvers"], cache_dir=str(tmp_path))
        assert works[0].ids.doi == "10.5555/c"
    assert len(search.calls) == 1


def test_interrupted_batch_resumes_where_it_stopped(tmp_path: Path) -> None:
    source = _table_source()
    inputs = [f"10.5555/{n}" for n in range(50)]
    with make_resolver(source, config=Config(cache_dir=str(tmp_path), window=10)) as resolver:
        stream = resolver.resolve_many(inputs)
        for _ in range(20):
            next(stream)
        stream.close()  # the batch is interrupted
    calls_before = len(source.calls)
    asked_before = {i for call in source.calls for i in call[2]}
    _run(source, inputs, cache_dir=str(tmp_path))
    asked_after = [i for call in source.calls[calls_before:] for i in call[2]]
    assert asked_before.isdisjoint(asked_after)
    assert len(asked_before) + len(asked_after) == 50


def test_errors_are_not_cached(tmp_path: Path) -> None:
    failing = fake_source("table", ["doi"], fail_with=RuntimeError("down"))
    _run(failing, ["10.5555/1"], cache_dir=str(tmp_path))
    _run(failing, ["10.5555/1"], cache_dir=str(tmp_path))
    assert len(failing.calls) == 2


def test_unreadable_cache_file_is_set_aside_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "paperfuse.sqlite3").write_bytes(b"this is not a database" * 100)
    source = _table_source()
    works = _run(source, ["10.5555/1"], cache_dir=str(tmp_path))
    assert works[0].title == "T1"
    assert "cannot be read" in caplog.text
    assert list(tmp_path.glob("paperfuse.sqlite3.unreadable-*"))
    _run(source, ["10.5555/1"], cache_dir=str(tmp_path))
    assert len(source.calls) == 1  # the rebuilt cache works


_WRITER = """
import sys, time
from pathlib import Path
from paperfuse._store import Store
store = Store(Path(sys.argv[1]))
for n in range(200):
    row = (sys.argv[2], f"k{n}", "ok", b"x" * 100, time.time(), time.time() + 60)
    store.store_answers([row])
    store.increment("writes")
store.close()
"""


def test_two_processes_share_the_cache_without_losing_writes(tmp_path: Path) -> None:
    path = tmp_path / "paperfuse.sqlite3"
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(path), f"source{n}"]) for n in range(2)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    store = Store(path)
    counts = store.answer_counts(time.time())
    assert counts == {
        "source0": {"found": 200, "not_found": 0, "expired": 0},
        "source1": {"found": 200, "not_found": 0, "expired": 0},
    }
    assert store.counter("writes") == 400
    assert store.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


# -- the command line ---------------------------------------------------------------------------

SOURCE = """
import asyncio, os, paperfuse

class Table(paperfuse.Source):
    name = "table"
    schemes = ("doi",)
    batch_size = 5

    async def lookup(self, identifiers):
        await asyncio.sleep(float(os.environ.get("TABLE_DELAY", "0")))
        with open(os.environ["TABLE_LOG"], "a") as log:
            log.write("".join(i.value + "\\n" for i in identifiers))
        return {
            i: paperfuse.Work(title="T " + i.value) if "missing" not in i.value else None
            for i in identifiers
        }

@paperfuse.hookimpl
def paperfuse_register_sources():
    return [Table]
"""


@pytest.fixture
def table_log(
    tmp_path: Path, paperfuse_isolated: Isolation, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The fake source ``table`` installed, and the only plugin any ``paperfuse`` process
    loads; returns the file where it logs what it was asked."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    install_distribution(
        plugins, "paperfuse-table", {"table": "paperfuse_table"}, {"paperfuse_table": SOURCE}
    )
    log = tmp_path / "asked.log"
    log.touch()
    monkeypatch.setenv("PYTHONPATH", str(plugins))
    monkeypatch.setenv("TABLE_LOG", str(log))
    paperfuse_isolated.use_plugins(entry_points=["table"])
    return log


def _asked(log: Path) -> list[str]:
    return log.read_text().split()


def test_input_file_output_file_summary_and_rerun(
    paperfuse_cli: CLI, table_log: Path, tmp_path: Path
) -> None:
    listing = tmp_path / "ids.txt"
    listing.write_text("10.5555/a\n\n10.5555/b\nnot an id 12\n1234.1234\n10.5555/missing\n")
    out = tmp_path / "records.jsonl"
    first = paperfuse_cli.subprocess("resolve", "--input", str(listing), "--output", str(out))
    assert first.exit_code == 1
    assert first.stdout == ""
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["input"], r["status"]) for r in records] == [
        ("10.5555/a", "resolved"),
        ("10.5555/b", "resolved"),
        ("not an id 12", "not_found"),
        ("1234.1234", "invalid"),
        ("10.5555/missing", "not_found"),
    ]
    assert not out.with_name("records.jsonl.partial").exists()
    assert "paperfuse: 5 inputs in" in first.stderr
    assert "2 resolved, 2 not found, 0 ambiguous, 1 invalid, 0 errors" in first.stderr
    assert "paperfuse:   table: 0 requests, 0 answers from the cache" in first.stderr
    asked = _asked(table_log)
    second = paperfuse_cli.subprocess("resolve", "--input", str(listing), "--output", str(out))
    assert _asked(table_log) == asked  # zero requests the second time
    assert "table: 0 requests, 3 answers from the cache" in second.stderr
    quiet = paperfuse_cli.subprocess("resolve", "-q", "--input", str(listing), "-o", str(out))
    assert quiet.stderr == ""


def test_csv_column_and_stdin(paperfuse_cli: CLI, table_log: Path, tmp_path: Path) -> None:
    table = tmp_path / "library.csv"
    table.write_text('title,DOI\n"A, paper",10.5555/a\nno doi,\nB,https://doi.org/10.5555/B\n')
    run = paperfuse_cli.subprocess("resolve", "--input", str(table), "--column", "DOI")
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert [(r["input"], r["status"]) for r in records] == [
        ("10.5555/a", "resolved"),
        ("", "invalid"),
        ("https://doi.org/10.5555/B", "resolved"),
    ]
    missing = paperfuse_cli.subprocess("resolve", "--input", str(table), "--column", "doi")
    assert missing.exit_code == 2
    assert "--column 'doi' is not a column of" in missing.stderr
    assert "(found: title, DOI)" in missing.stderr
    piped = paperfuse_cli.subprocess("resolve", "--input", "-", input="10.5555/c\n10.5555/d\n")
    assert [json.loads(line)["title"] for line in piped.stdout.splitlines()] == [
        "T 10.5555/c",
        "T 10.5555/d",
    ]


def test_usage_errors(paperfuse_cli: CLI, table_log: Path) -> None:
    both = paperfuse_cli.subprocess("resolve", "10.5555/a", "--input", "-")
    assert both.exit_code == 2
    assert "not both" in both.stderr
    assert paperfuse_cli.subprocess("resolve", "--column", "DOI", "10.5555/a").exit_code == 2


def test_interrupt_leaves_no_output_posing_as_complete_and_resumes(
    paperfuse_cli: CLI, table_log: Path, tmp_path: Path
) -> None:
    listing = tmp_path / "ids.txt"
    listing.write_text("".join(f"10.5555/{n}\n" for n in range(40)))
    out = tmp_path / "records.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "paperfuse.cli", "resolve", "-i", str(listing), "-o", str(out)],
        env=paperfuse_cli.process_environment(
            env={"TABLE_DELAY": "0.3", "PAPERFUSE_TABLE_MAX_CONCURRENCY": "1"}
        ),
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while len(_asked(table_log)) < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted after" in stderr
    assert "run the same command again to resume" in stderr
    assert not out.exists()  # only the .partial file, never a half-written one under its name
    assert out.with_name("records.jsonl.partial").exists()
    asked_before = set(_asked(table_log))
    assert 10 <= len(asked_before) < 40
    rerun = paperfuse_cli.subprocess("resolve", "-i", str(listing), "-o", str(out))
    assert rerun.exit_code == 0
    asked_after = _asked(table_log)[len(asked_before) :]
    assert asked_before.isdisjoint(asked_after)
    assert len(out.read_text().splitlines()) == 40


def test_progress_bar_on_a_terminal_only(
    paperfuse_cli: CLI, table_log: Path, tmp_path: Path
) -> None:
    listing = tmp_path / "ids.txt"
    listing.write_text("".join(f"10.5555/{n}\n" for n in range(12)))
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "paperfuse.cli", "resolve", "-i", str(listing)],
        env=paperfuse_cli.process_environment(),
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    process.wait(timeout=30)
    os.close(leader)
    text = seen.decode(errors="replace")
    assert "12/12" in text
    assert "rec/s" in text
    assert "paperfuse: 12 inputs in" in text
    piped = paperfuse_cli.subprocess("resolve", "-i", str(listing))
    assert "12/12" not in piped.stderr  # not a terminal: a summary, no bar


def test_cache_info_and_clear(paperfuse_cli: CLI, table_log: Path) -> None:
    paperfuse_cli.subprocess("resolve", "10.5555/a", "10.5555/missing")
    info = paperfuse_cli.subprocess("cache", "info")
    assert info.exit_code == 0
    assert "table: 1 found, 1 not found, 0 expired" in info.stdout
    details = json.loads(paperfuse_cli.subprocess("cache", "info", "--json").stdout)
    assert details["answers"]["table"] == {"found": 1, "not_found": 1, "expired": 0}
    cleared = paperfuse_cli.subprocess("cache", "clear", "--source", "table")
    assert cleared.stdout.strip() == "removed 2 cached answers"
    assert "no answers cached" in paperfuse_cli.subprocess("cache", "info").stdout


def test_resolver_stats() -> None:
    source = _table_source()
    with make_resolver(source, config=Config(use_cache=False)) as resolver:
        list(resolver.resolve_many([f"10.5555/{n}" for n in range(25)]))
        stats = resolver.stats()
    assert stats["table"] == paperfuse.SourceStats(requests=0, calls=3, cache_hits=0)


def test_store_counter_is_atomic(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3")
    assert [store.increment("n") for _ in range(3)] == [1, 2, 3]
    assert store.counter("n") == 3
    assert store.counter("other") == 0
    store.close()


def test_summary_says_which_source_was_paused(
    paperfuse_cli: CLI, table_log: Path, tmp_path: Path
) -> None:
    """Issue 10.10: a source that keeps failing is paused, and the summary says so."""
    listing = tmp_path / "ids.txt"
    listing.write_text("".join(f"10.5555/{n}\n" for n in range(60)))  # 12 calls of 5
    run = paperfuse_cli.subprocess(
        "resolve", "--input", str(listing), env={"TABLE_LOG": str(tmp_path / "no" / "such" / "log")}
    )
    assert run.exit_code == 1
    assert len(run.stdout.splitlines()) == 60
    assert "paperfuse:   table: paused for the rest of this run after 5 failures" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_reader_that_stops_early_ends_the_run_quietly(
    paperfuse_cli: CLI, table_log: Path, tmp_path: Path
) -> None:
    """``paperfuse resolve ... | head -1``: a closed pipe is no traceback."""
    listing = tmp_path / "ids.txt"
    listing.write_text("".join(f"10.5555/{n}\n" for n in range(3000)))
    command = [sys.executable, "-m", "paperfuse.cli", "resolve", "--input", str(listing)]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=paperfuse_cli.process_environment(),
    ) as process:
        assert process.stdout is not None
        process.stdout.readline()
        process.stdout.close()  # the reader goes away
        _, stderr = process.communicate(timeout=120)
    assert b"Traceback" not in stderr
    assert b"BrokenPipeError" not in stderr
