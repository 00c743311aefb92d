"""Running ``paperfuse serve`` for tests (in a thread of the test process, or as a command),
and the in-memory sources the server's tests share."""

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

from paperfuse import Author, Ids, OALocation, SourceUnavailable, Work
from paperfuse.testing import fake_source

__all__ = ["HOSTILE", "TITLE", "Broken", "Table", "running", "serve_command"]

#: A title two works share: resolving it is ambiguous.
TITLE = "Neuromechanical Approaches for the Study of Biological Grasp"
#: Markup that would run if a page put it in as it is.
HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>'

#: A source that knows 10.1234/found (with a free copy) and 10.1234/hostile, and
#: answers every title query with two works titled TITLE.
Table = fake_source(
    "table",
    ["doi"],
    records={
        ("doi", "10.1234/found"): Work(
            title="A found work",
            ids=Ids(doi="10.1234/found", pmid="123456"),
            authors=(Author(name="Ada Lovelace"), Author(name="Charles Babbage")),
            year=2020,
            volume="7",
            issue="2",
            pages="1-9",
            type="journal-article",
            venue="Journal of Found Things",
            oa_locations=(
                OALocation(
                    url="https://repository.example/found.pdf",
                    url_for_pdf="https://repository.example/found.pdf",
                    host_type="repository",
                    version="acceptedVersion",
                    license="cc-by",
                ),
            ),
        ),
        ("doi", "10.1234/hostile"): Work(
            title=f"A title with markup {HOSTILE}",
            ids=Ids(doi="10.1234/hostile"),
            authors=(Author(name=HOSTILE),),
            year=2021,
        ),
    },
    searches_titles=True,
    candidates=[
        Work(title=TITLE, ids=Ids(doi="10.1234/one"), year=2017),
        Work(title=TITLE, ids=Ids(doi="10.1234/two"), year=2019),
    ],
)
#: A source of PMIDs that is down.
Broken = fake_source(
    "broken", ["pmid"], fail_with=SourceUnavailable("down for test", source="broken")
)


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
