"""Running ``paperfuse serve`` for tests: in a thread of the test process, or as a command."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette

__all__ = ["running", "serve_command"]


@contextmanager
def running(app: Starlette) -> Iterator[str]:
    """Run ``app`` in uvicorn on a free loopback port, in a thread; yield its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", server_header=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start within 10 s"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        assert not thread.is_alive(), "the server did not stop within 10 s"


@contextmanager
def serve_command(env: dict[str, str], *args: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """``paperfuse serve --port 0`` as a process of its own; yield its URL and the process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "paperfuse", "serve", "--port", "0", *args],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = None
        assert process.stderr is not None
        for line in process.stderr:  # uvicorn says where it listens, port 0 chosen
            found = re.search(r"running on (http://127\.0\.0\.1:\d+)", line, re.I)
            if found:
                url = found.group(1)
                break
        assert url, "paperfuse serve did not say where it listens"
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
