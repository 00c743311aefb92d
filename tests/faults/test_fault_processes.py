"""Real processes: killed, interrupted, fed hostile input, pointed at odd output paths.

Each test runs ``python -m paperfuse.cli`` against the hostile server playing
Unpaywall (synthetic DOI objects, see ``upstream.table``), which counts what
it was asked and when it answered. The promises (issue 10, points 2, 4, 5, 6,
10 and 18, and "Done when"): a batch killed at any moment and run again yields
exactly one line per input and asks no source again for an answer it had
received; Ctrl-C ends cleanly; bad input bytes cost only their own line;
special and unusable output paths are written directly or refused as usage
errors, never replaced or met with a traceback.
"""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import upstream
from hostile import HostileServer, Respond
from upstream import CLI

pytestmark = pytest.mark.faults

#: Time an answer the server has sent may take to be received and kept by the client.
GRACE = 0.5


def _check_complete(output: Path, inputs: list[str]) -> None:
    """The output file holds exactly one resolved line per input, in input order."""
    records = upstream.records(output.read_bytes())
    assert [r["input"] for r in records] == inputs
    assert {r["status"] for r in records} == {"resolved"}, [r.get("error") for r in records]


def _explain(run: subprocess.CompletedProcess[bytes]) -> str:
    """What a run printed, and the reasons of its results that did not resolve."""
    reasons = [
        f"{r['input']}: {r.get('error')} {[s.get('error') for s in r['sources']]}"
        for r in upstream.records(run.stdout)
        if r["status"] != "resolved"
    ]
    return "\n".join([run.stderr.decode(errors="replace"), *reasons])


def _answered_since(server: HostileServer, started: float) -> int:
    """How many requests received since ``started`` have had their answer."""
    return sum(1 for request, _ in server.answered_at() if request.received >= started)


def _wait_for_answers(server: HostileServer, *, since: float, count: int) -> bool:
    """Wait until ``count`` requests received since ``since`` have had their answer."""
    return server.wait_for(lambda: _answered_since(server, since) >= count, timeout=30)


def _clean_stderr(stderr: bytes) -> None:
    text = stderr.decode(errors="replace")
    assert "Traceback" not in text, text
    assert "Task exception was never retrieved" not in text, text
    assert "KeyboardInterrupt" not in text, text


# -- killed and interrupted batches ---------------------------------------------------------------


def test_sigkill_at_a_random_moment_then_rerun_loses_nothing_and_asks_nothing_twice(
    server: HostileServer, cli: CLI, tmp_path: Path
) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    inputs = upstream.dois("kill", 40)
    server.handler = upstream.table(delay=0.05)
    listing, out = upstream.listing(tmp_path, inputs), tmp_path / "out.jsonl"
    process = cli.start("resolve", "-i", str(listing), "-o", str(out))
    wanted = rng.randint(3, 30)
    assert server.wait_for(lambda: len(upstream.unpaywall_answers(server)) >= wanted)
    time.sleep(rng.uniform(0, 0.1))
    process.kill()
    killed_at = time.monotonic()
    process.communicate(timeout=30)
    received = {
        doi for doi, at in upstream.unpaywall_answers(server).items() if at < killed_at - GRACE
    }
    asked_before = len(upstream.unpaywall_asked(server))

    rerun = cli.run("resolve", "-i", str(listing), "-o", str(out))
    assert rerun.returncode == 0, _explain(rerun)
    _check_complete(out, inputs)
    asked_again = set(upstream.unpaywall_asked(server)[asked_before:]) & received
    assert not asked_again, f"(seed {seed}) asked again after the kill: {sorted(asked_again)}"


def test_sigkill_while_the_last_inputs_hang_keeps_every_answer_received(
    server: HostileServer, cli: CLI, tmp_path: Path
) -> None:
    """Answers received before the kill are in the cache and in the .partial file."""
    seed = random.randrange(1 << 30)
    inputs = upstream.dois("hang", 12)
    answered = random.Random(seed).randint(2, 9)
    hanging = set(inputs[answered:])
    server.handler = upstream.table(hang=lambda doi: doi in hanging)
    listing, out = upstream.listing(tmp_path, inputs), tmp_path / "out.jsonl"
    process = cli.start("resolve", "-i", str(listing), "-o", str(out))
    assert server.wait_for(lambda: len(upstream.unpaywall_answers(server)) >= answered)
    time.sleep(1.0)  # the run waits on the hanging requests, its answers long received
    process.kill()
    process.communicate(timeout=30)
    problems = []
    partial = out.with_name(out.name + ".partial")
    lines = partial.read_bytes().splitlines() if partial.exists() else []
    kept = [json.loads(line)["input"] for line in lines]  # every line whole: none was being written
    if kept != inputs[:answered]:
        problems.append(f"the .partial file holds {len(kept)} of {answered} finished records")

    server.handler = upstream.table()
    asked_before = len(upstream.unpaywall_asked(server))
    rerun = cli.run("resolve", "-i", str(listing), "-o", str(out))
    assert rerun.returncode == 0, _explain(rerun)
    _check_complete(out, inputs)
    asked_again = set(upstream.unpaywall_asked(server)[asked_before:]) - hanging
    if asked_again:
        problems.append(f"the rerun asked again for {len(asked_again)} answers received")
    assert not problems, f"(seed {seed}) " + "; ".join(problems)


def test_sigint_ends_cleanly_and_the_rerun_asks_nothing_twice(
    server: HostileServer, cli: CLI, tmp_path: Path
) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    inputs = upstream.dois("int", 80)
    server.handler = upstream.table(delay=0.05)
    listing, out = upstream.listing(tmp_path, inputs), tmp_path / "out.jsonl"
    received: set[str] = set()
    for _ in range(5):  # the unclean ending was intermittent
        started = time.monotonic()
        process = cli.start("resolve", "-i", str(listing), "-o", str(out))
        # Answers to this process: a late reply to the last one does not count.
        assert _wait_for_answers(server, since=started, count=rng.randint(1, 6))
        process.send_signal(signal.SIGINT)
        interrupted_at = time.monotonic()
        _, stderr = process.communicate(timeout=30)
        assert process.returncode == 130, stderr.decode()
        assert b"interrupted" in stderr
        _clean_stderr(stderr)
        received |= {
            d for d, at in upstream.unpaywall_answers(server).items() if at < interrupted_at - GRACE
        }
    asked_before = len(upstream.unpaywall_asked(server))
    rerun = cli.run("resolve", "-i", str(listing), "-o", str(out))
    assert rerun.returncode == 0, _explain(rerun)
    _check_complete(out, inputs)
    asked_again = set(upstream.unpaywall_asked(server)[asked_before:]) & received
    assert not asked_again, f"(seed {seed}) asked again after Ctrl-C: {sorted(asked_again)}"


def test_the_summary_says_a_failing_source_was_paused(
    server: HostileServer, cli: CLI, tmp_path: Path
) -> None:
    inputs = upstream.dois("down", 16)
    # Retry-After 0: the retries of a process (no testing mode there) cost no time.
    server.handler = lambda request: Respond(503, b"busy", {"Retry-After": "0"})
    listing = upstream.listing(tmp_path, inputs)
    run = cli.run("resolve", "-i", str(listing), PAPERFUSE_UNPAYWALL_MAX_CONCURRENCY="1")
    assert run.returncode == 1
    assert len(upstream.records(run.stdout)) == len(inputs)
    summary = [line for line in run.stderr.decode().splitlines() if "unpaywall" in line]
    assert any("paused" in line for line in summary), run.stderr.decode()


# -- hostile input --------------------------------------------------------------------------------

BAD_UTF8 = [b"10.5555/good-1", b"10.5555/\xffbad", b"10.5555/good-2"]


def test_invalid_utf8_on_stdin_costs_only_its_line(
    server: HostileServer, cli: CLI, tmp_path: Path
) -> None:
    server.handler = upstream.table()
    run = cli.run("resolve", "--input", "-", input=b"\n".join(BAD_UTF8) + b"\n")
    _clean_stderr(run.stderr)
    records = upstream.records(run.stdout)
    assert [r["status"] for r in records] == ["resolved", "invalid", "resolved"], run.stderr
    assert records[1].get("error")
    assert run.returncode == 1


def test_invalid_utf8_in_arguments_costs_only_its_line(
    server: HostileServer, cli: CLI, tmp_path: Path
) -> None:
    server.handler = upstream.table()
    run = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"paperfuse.cli", b"resolve", *BAD_UTF8],
        capture_output=True,
        timeout=60,
        env=cli.env,
    )
    _clean_stderr(run.stderr)
    records = upstream.records(run.stdout)
    assert [r["status"] for r in records] == ["resolved", "invalid", "resolved"], run.stderr
    identify = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"paperfuse.cli", b"identify", b"\xff"],
        capture_output=True,
        timeout=60,
        env=cli.env,
    )
    _clean_stderr(identify.stderr)
    assert json.loads(identify.stdout)["kind"] in ("identifier", "query", "invalid")
    assert identify.returncode in (0, 1)


@pytest.mark.parametrize(
    ("content", "column", "lines"),
    [
        pytest.param(b"\n".join(BAD_UTF8) + b"\n", None, 3, id="invalid UTF-8"),
        pytest.param("10.5555/a\n10.5555/b\n".encode("utf-16"), None, None, id="UTF-16 with a BOM"),
        pytest.param(
            b"title,DOI\nA,10.5555/a\nB," + b"9" * 200_000 + b"\nC,10.5555/c\n",
            "DOI",
            3,
            id="a CSV cell of 200,000 characters",
        ),
    ],
)
def test_a_hostile_input_file_costs_only_its_bad_lines(
    content: bytes,
    column: str | None,
    lines: int | None,
    server: HostileServer,
    cli: CLI,
    tmp_path: Path,
) -> None:
    server.handler = upstream.table()
    path = tmp_path / "inputs.txt"
    path.write_bytes(content)
    args = ["resolve", "--input", str(path)] + (["--column", column] if column else [])
    run = cli.run(*args)
    _clean_stderr(run.stderr)
    assert run.returncode in (0, 1), run.stderr.decode()
    records = upstream.records(run.stdout)
    assert records, "no line at all"
    if lines is not None:
        assert len(records) == lines
    for record in records:
        assert record["status"] in upstream.WORK_STATUSES
    if column:
        assert [r["status"] for r in records] == ["resolved", "invalid", "resolved"]


# -- output paths ----------------------------------------------------------------------------------


def _special(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(path)
    else:
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a null device of our own
        except PermissionError:
            pytest.skip("cannot make a device node here (needs root)")
    return path


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_a_special_output_file_is_written_directly_or_refused(
    kind: str, server: HostileServer, cli: CLI, tmp_path: Path
) -> None:
    server.handler = upstream.table()
    inputs = upstream.dois("special", 3)
    path = _special(tmp_path, kind)
    received = bytearray()
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK) if kind == "fifo" else None
    process = cli.start("resolve", *inputs, "-o", str(path))
    if reader is not None:
        done = threading.Event()

        def drain() -> None:
            while True:
                try:
                    chunk = os.read(reader, 65536)
                except BlockingIOError:
                    chunk = None
                if chunk:
                    received.extend(chunk)
                elif done.is_set():
                    return
                else:
                    time.sleep(0.01)

        thread = threading.Thread(target=drain, daemon=True)
        thread.start()
    _, stderr = process.communicate(timeout=60)
    if reader is not None:
        done.set()
        thread.join(5)
        os.close(reader)
    _clean_stderr(stderr)
    mode = os.lstat(path).st_mode
    assert (stat.S_ISFIFO if kind == "fifo" else stat.S_ISCHR)(mode), (
        "the special file was replaced"
    )
    assert not path.with_name(path.name + ".partial").exists()
    if process.returncode == 2:
        return  # refused as a usage error: allowed
    assert process.returncode == 0, stderr.decode()
    if kind == "fifo":
        assert [r["input"] for r in upstream.records(bytes(received))] == inputs


@pytest.mark.parametrize("where", ["under a regular file", "in a missing folder", "in /proc"])
def test_an_unusable_output_folder_is_a_usage_error(
    where: str, server: HostileServer, cli: CLI, tmp_path: Path
) -> None:
    if where == "in /proc" and not sys.platform.startswith("linux"):
        pytest.skip("/proc is Linux's")
    server.handler = upstream.table()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    output = {
        "under a regular file": blocker / "out.jsonl",
        "in a missing folder": tmp_path / "missing" / "out.jsonl",
        "in /proc": Path("/proc/paperfuse-fault-suite.jsonl"),
    }[where]
    run = cli.run("resolve", "10.5555/a", "-o", str(output))
    _clean_stderr(run.stderr)
    assert run.returncode == 2, (run.returncode, run.stderr.decode())
    assert not output.exists()
