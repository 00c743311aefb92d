"""A batch stopped by a signal, in a real process: Ctrl-C (SIGINT) ends it cleanly with
exit status 130 and one message, whatever the process was doing; after SIGKILL, the
``.partial`` output holds every record the run had printed, each a complete line."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from installed_plugins import install_distribution
from paperfuse.testing import CLI, Isolation

SOURCE = """
    import asyncio, os, time, paperfuse

    class Table(paperfuse.Source):
        name = "table"
        schemes = ("doi",)
        batch_size = 1
        politeness = paperfuse.Politeness(min_interval=0.0, max_concurrency=16)

        async def lookup(self, identifiers):
            value = identifiers[0].value
            with open(os.environ["TABLE_LOG"], "a") as log:
                log.write(value + "\\n")
            if "hang" in value:
                await asyncio.sleep(3600)
            if "busy" in value:
                # A long step inside the task, as parsing a large answer is: a signal
                # arriving now is raised inside the task.
                time.sleep(2)
            return {i: paperfuse.Work(title="T " + i.value) for i in identifiers}

    @paperfuse.hookimpl
    def paperfuse_register_sources():
        return [Table]
"""

Start = Callable[..., subprocess.Popen[str]]


@pytest.fixture
def start(
    tmp_path: Path,
    paperfuse_isolated: Isolation,
    paperfuse_cli: CLI,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Start]:
    """Start ``paperfuse resolve`` on the given inputs, with the fake source only."""
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
    started: list[subprocess.Popen[str]] = []

    def run(inputs: list[str], *args: str, **env: str) -> subprocess.Popen[str]:
        listing = tmp_path / "ids.txt"
        listing.write_text("".join(f"{text}\n" for text in inputs))
        process = subprocess.Popen(
            [sys.executable, "-m", "paperfuse.cli", "resolve", "-i", str(listing), *args],
            env=paperfuse_cli.process_environment(env=env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    run.log = log  # type: ignore[attr-defined]
    yield run
    for process in started:  # a failed test leaves no process behind
        if process.poll() is None:
            process.kill()
            process.communicate()


def _wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def _asked(start: Start) -> list[str]:
    return start.log.read_text().split()  # type: ignore[attr-defined]


def _assert_clean_interrupt(process: subprocess.Popen[str]) -> str:
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "paperfuse: interrupted after" in stderr
    assert "run the same command again to resume" in stderr
    assert "Task exception" not in stderr, stderr
    assert "Traceback" not in stderr, stderr
    assert "never retrieved" not in stderr, stderr
    return stderr


def test_ctrl_c_while_a_task_is_busy_ends_cleanly(start: Start, tmp_path: Path) -> None:
    inputs = ["10.5555/1", "10.5555/2", "10.5555/busy", "10.5555/4"]
    process = start(inputs, "-o", str(tmp_path / "out.jsonl"))
    _wait_for(lambda: "10.5555/busy" in _asked(start))
    time.sleep(0.3)  # inside the source's two-second step
    process.send_signal(signal.SIGINT)
    _assert_clean_interrupt(process)


@pytest.fixture
def silent_server() -> Iterator[tuple[str, threading.Event]]:
    """A local server that accepts connections and never answers (a hung service)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    connected = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            held.append(client)
            connected.set()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", connected
    server.close()
    for client in held:
        client.close()


def test_ctrl_c_while_waiting_for_a_slow_service_ends_cleanly(
    start: Start, tmp_path: Path, silent_server: tuple[str, threading.Event]
) -> None:
    url, connected = silent_server
    process = start(
        ["arXiv:1710.08557", "arXiv:math/0211159"],
        "-o",
        str(tmp_path / "out.jsonl"),
        PAPERFUSE_PLUGINS="arxiv",  # only arXiv, asking the silent server
        PAPERFUSE_ARXIV_URL=url,
    )
    assert connected.wait(timeout=30)
    process.send_signal(signal.SIGINT)
    stderr = _assert_clean_interrupt(process)
    assert "interrupted after 0 records" in stderr


def test_sigkill_leaves_every_printed_record_in_the_partial_file(
    start: Start, tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    partial = tmp_path / "out.jsonl.partial"
    done = [f"10.5555/{n}" for n in range(1, 6)]
    # Output is in input order: the five before the hanging input are printed, the
    # three after it are answered but wait behind it.
    process = start([*done, "10.5555/hang", "10.5555/7", "10.5555/8"], "-o", str(out))
    _wait_for(lambda: "10.5555/hang" in _asked(start))

    def printed() -> int:
        return partial.read_bytes().count(b"\n") if partial.exists() else 0

    try:
        _wait_for(lambda: printed() >= len(done), seconds=10)
    finally:
        process.kill()
        process.communicate()
    lines = partial.read_bytes().split(b"\n")
    assert lines[-1] == b""  # the file ends with a complete line
    assert [json.loads(line)["input"] for line in lines[:-1]] == done
    assert not out.exists()
