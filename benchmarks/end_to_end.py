"""End to end: 2,000 arXiv ids through paperfuse's CLI against its peers, in one run.

A local server, in a process of its own, answers every arXiv query with one
pre-built 2,000-entry feed (built as ``arxiv_parse.py`` builds it, its
``opensearch:totalResults`` set to 2,000): no per-request work, no latency and
no rate rule, so that what is measured is each client's own cost. Alternating,
each run a fresh process with start-up included, the script times:

- paperfuse: ``paperfuse resolve --input ids.txt --format json -o out.jsonl``
  with ``PAPERFUSE_ARXIV_URL`` pointing at the server,
  ``PAPERFUSE_ARXIV_MIN_INTERVAL=0``, a fresh ``PAPERFUSE_CACHE_DIR`` and a
  configuration file that disables the other sources (the arXiv package asks
  arXiv only; the feed's entries carry some DOIs, which would otherwise be
  asked of Crossref, Unpaywall and the rest). Every plugin is still loaded;
- the ``arxiv`` package (4.x) fetching and parsing the same ids
  (``Client(page_size=2000, delay_seconds=0)``), into its ``Result`` objects;
- a bare httpx + lxml + msgspec script: one POST, entries parsed into a
  msgspec struct each, written as JSON Lines;
- the floor of paperfuse's own stack: what any client built on the
  dependencies paperfuse is made of must at least do. asyncio and
  ``httpx.AsyncClient`` (the engine is asynchronous), pluggy imported (its
  plugins), lxml and msgspec: one POST, entries parsed into a msgspec struct
  each, written as JSON Lines; no plugin, cache, record or provenance;
- the floor: ``http.client`` + lxml, entries parsed, written as JSON Lines.

It prints medians, the ratio paperfuse / arxiv (target: at most 0.8), and
the same ratio for the floor of paperfuse's stack.

    .venv/bin/pip install -q -e '.[bench]'
    .venv/bin/python benchmarks/end_to_end.py [RUNS]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any

ENTRIES = 2000
#: The row of the floor of paperfuse's own stack (see the module's docstring).
STACK = "asyncio + httpx.AsyncClient + pluggy + lxml + msgspec"
HERE = Path(__file__).resolve().parent

ARXIV_SCRIPT = """
import sys
import arxiv
url, ids_path = sys.argv[1], sys.argv[2]
ids = open(ids_path).read().split()
client = arxiv.Client(page_size=len(ids), delay_seconds=0, num_retries=0)
client.query_url_format = url + "/api/query?{}"
results = list(client.results(arxiv.Search(id_list=ids, max_results=None)))
assert len(results) == len(ids), len(results)
"""

#: What both bare msgspec clients do with the feed (``body``): each entry parsed into a
#: msgspec struct, written to ``out`` as JSON Lines.
_PARSE_AND_WRITE = """
A = "{http://www.w3.org/2005/Atom}"

class Entry(msgspec.Struct):
    id: str
    title: str
    summary: str
    published: str
    authors: list[str]
    pdf: str | None

root = etree.fromstring(body)
encode = msgspec.json.Encoder().encode
with open(out, "wb") as f:
    for e in root.iterchildren(A + "entry"):
        pdf = None
        for link in e.iterchildren(A + "link"):
            if link.get("title") == "pdf":
                pdf = link.get("href")
        f.write(encode(Entry(
            id=e.findtext(A + "id"),
            title=" ".join(e.findtext(A + "title").split()),
            summary=" ".join(e.findtext(A + "summary").split()),
            published=e.findtext(A + "published"),
            authors=[a.findtext(A + "name") for a in e.iterchildren(A + "author")],
            pdf=pdf,
        )) + b"\\n")
"""

HTTPX_SCRIPT = (
    """
import sys
import httpx
import msgspec
from lxml import etree

url, ids_path, out = sys.argv[1], sys.argv[2], sys.argv[3]
ids = open(ids_path).read().split()
data = {"id_list": ",".join(ids), "start": "0", "max_results": str(len(ids))}
with httpx.Client() as client:
    body = client.post(url + "/api/query", data=data).content
"""
    + _PARSE_AND_WRITE
)

STACK_SCRIPT = (
    """
import asyncio
import sys
import httpx
import msgspec
import pluggy  # noqa: F401  (imported by every paperfuse run: its plugins)
from lxml import etree

async def fetch(url, data):
    async with httpx.AsyncClient() as client:
        return (await client.post(url + "/api/query", data=data)).content

url, ids_path, out = sys.argv[1], sys.argv[2], sys.argv[3]
ids = open(ids_path).read().split()
data = {"id_list": ",".join(ids), "start": "0", "max_results": str(len(ids))}
body = asyncio.run(fetch(url, data))
"""
    + _PARSE_AND_WRITE
)

HTTP_CLIENT_SCRIPT = """
import http.client
import json
import sys
from urllib.parse import urlencode, urlsplit
from lxml import etree

A = "{http://www.w3.org/2005/Atom}"
url, ids_path, out = sys.argv[1], sys.argv[2], sys.argv[3]
ids = open(ids_path).read().split()
parts = urlsplit(url)
conn = http.client.HTTPConnection(parts.hostname, parts.port)
body = urlencode({"id_list": ",".join(ids), "start": "0", "max_results": str(len(ids))})
conn.request("POST", "/api/query", body, {"Content-Type": "application/x-www-form-urlencoded"})
data = conn.getresponse().read()
root = etree.fromstring(data)
with open(out, "w") as f:
    for e in root.iterchildren(A + "entry"):
        f.write(json.dumps({
            "id": e.findtext(A + "id"),
            "title": " ".join(e.findtext(A + "title").split()),
            "authors": [a.findtext(A + "name") for a in e.iterchildren(A + "author")],
        }) + "\\n")
"""


def build_feed() -> bytes:
    """The 2,000-entry feed of ``arxiv_parse.py``, its total set to its own length."""
    sys.path.insert(0, str(HERE))
    from arxiv_parse import build_feed as build  # a sibling script
    from lxml import etree

    root = etree.fromstring(build(ENTRIES))
    total = root.find("{http://a9.com/-/spec/opensearch/1.1/}totalResults")
    total.text = str(ENTRIES)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def serve(feed_path: str) -> None:
    """Answer every request on 127.0.0.1 with the feed; print the port, serve forever."""
    feed = Path(feed_path).read_bytes()
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/atom+xml; charset=utf-8\r\n"
        b"Content-Length: " + str(len(feed)).encode() + b"\r\n\r\n"
    )

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.wfile.write(head)
            self.wfile.write(feed)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def other_sources() -> list[str]:
    """Every installed source but arXiv's (the peers ask arXiv alone)."""
    import paperfuse

    return sorted(set(paperfuse.PluginHost().sources) - {"arxiv"})


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 11
    try:
        import arxiv  # noqa: F401
    except ImportError:
        sys.exit("the arxiv package is missing: pip install -e '.[bench]'")
    python = sys.executable
    paperfuse = str(Path(python).parent / "paperfuse")
    with tempfile.TemporaryDirectory(prefix="paperfuse-e2e-") as tmp:
        work = Path(tmp)
        feed = build_feed()
        (work / "feed.xml").write_bytes(feed)
        ids = [f"17{n // 1000 + 1:02d}.{n % 1000 + 1:05d}" for n in range(ENTRIES)]
        (work / "ids.txt").write_text("\n".join(ids) + "\n")
        config = "".join(f'[sources."{name}"]\nenabled = false\n' for name in other_sources())
        (work / "config.toml").write_text(config)
        server = subprocess.Popen(
            [python, __file__, "--serve", str(work / "feed.xml")], stdout=subprocess.PIPE, text=True
        )
        try:
            url = f"http://127.0.0.1:{server.stdout.readline().strip()}"  # type: ignore[union-attr]
            clients = _clients(python, paperfuse, url, work)
            times: dict[str, list[float]] = {name: [] for name in clients}
            for command in clients.values():
                command(-1)  # a first run, not timed: bytecode written, files in the page cache
            for run in range(runs):
                for name, command in clients.items():
                    times[name].append(command(run))
        finally:
            server.terminate()
            server.wait()
    print(f"2,000 arXiv ids, one {len(feed):,}-byte feed served locally with no per-request work;")
    print(f"{runs} alternating runs each, every run a fresh process (start-up included)")
    print(f"{'client':<56} {'median s':>9} {'best s':>7}")
    for name, values in times.items():
        print(f"{name:<56} {statistics.median(values):>9.3f} {min(values):>7.3f}")
    ours = statistics.median(times["paperfuse resolve (CLI, JSON Lines out)"])
    theirs = statistics.median(times[f"arxiv {version('arxiv')} (fetch + parse)"])
    print(f"ratio paperfuse / arxiv (medians): {ours / theirs:.2f}  (target: at most 0.80)")
    stack = statistics.median(times[STACK])
    print(f"ratio of the floor of paperfuse's stack / arxiv (medians): {stack / theirs:.2f}")


def _clients(python: str, paperfuse: str, url: str, work: Path) -> dict[str, Any]:
    """Each client as a function of the run number that runs it once and returns seconds."""
    ids = str(work / "ids.txt")
    # Each client as installed: its modules compiled once (PYTHONDONTWRITEBYTECODE, which
    # a development shell may set, would make every run compile paperfuse's source).
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PAPERFUSE_") and k != "PYTHONDONTWRITEBYTECODE"
    }

    def timed(command: list[str], env: dict[str, str] | None = None) -> float:
        start = time.perf_counter()
        subprocess.run(command, env=env or base_env, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start

    def ours(run: int) -> float:
        out = work / f"paperfuse-{run}.jsonl"
        env = dict(
            base_env,
            PAPERFUSE_CONFIG=str(work / "config.toml"),
            PAPERFUSE_CACHE_DIR=str(work / f"cache-{run}"),
            PAPERFUSE_ARXIV_URL=url,
            PAPERFUSE_ARXIV_MIN_INTERVAL="0",
        )
        command = [paperfuse, "resolve", "--input", ids, "--format", "json", "-q", "-o", str(out)]
        start = time.perf_counter()
        # Exit status 1 would say some input did not resolve: every one must.
        subprocess.run(command, env=env, check=True)
        seconds = time.perf_counter() - start
        lines = out.read_text().splitlines()
        assert len(lines) == ENTRIES, len(lines)
        assert all(json.loads(line)["status"] == "resolved" for line in lines)
        out.unlink()
        return seconds

    def bare(script: str, name: str) -> Any:
        def run_it(run: int) -> float:
            out = work / f"{name}-{run}.jsonl"
            seconds = timed([python, "-c", script, url, ids, str(out)])
            assert len(out.read_text().splitlines()) == ENTRIES
            out.unlink()
            return seconds

        return run_it

    return {
        "paperfuse resolve (CLI, JSON Lines out)": ours,
        f"arxiv {version('arxiv')} (fetch + parse)": lambda run: timed(
            [python, "-c", ARXIV_SCRIPT, url, ids]
        ),
        "httpx + lxml + msgspec (JSON Lines out)": bare(HTTPX_SCRIPT, "httpx"),
        STACK: bare(STACK_SCRIPT, "stack"),
        "http.client + lxml (JSON Lines out)": bare(HTTP_CLIENT_SCRIPT, "http-client"),
    }


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(sys.argv[2])
    else:
        main()
