"""Crossref and PubMed look-ups: paperfuse's CLI beside the field's own clients, in one run.

A local server, in a process of its own, answers from recorded real answers
(tests/fixtures, see their PROVENANCE.md) with the asked identifier put in:

- Crossref ``/works/{doi}`` and ``/works?filter=doi:...`` from the recorded
  work of 10.1038/nature12373, and doi.org's ``/ra/{prefix}``;
- E-utilities ``efetch.fcgi`` (GET or POST, ``id=`` a list) from the recorded
  PubMed record of PMID 29915538, one ``PubmedArticle`` per asked PMID.

Bodies are built before the clients run: no per-request work, no latency. Each
client runs alternately, in a fresh process (start-up included), and must
bring back every record:

Crossref, 500 DOIs, one request at a time and no pause (what each client's
own cost is):

- paperfuse: ``paperfuse resolve --input dois.txt --format json`` with only
  the ``crossref`` source enabled (lists of 40 DOIs, as against the real API);
- habanero (Crossref's Python client, ``Crossref(base_url=...).works(ids=...)``:
  one ``/works/{doi}`` request per DOI, JSON into dicts);
- a bare httpx + msgspec loop with paperfuse's request plan (the same lists).

PubMed, 2,000 PMIDs at NCBI's documented rate with an API key (10 requests a
second), 200 PMIDs a request:

- paperfuse with only the ``pubmed`` source (an API key set, so 10 a second);
- Biopython's ``Entrez.efetch`` + ``Entrez.read`` (its own 10-a-second pause
  with an API key);
- a bare httpx + lxml loop with the same batches and pauses.

It prints the median and best wall time per client and the floor the rate
rule sets (PubMed: 10 requests in 0.9 s at least).

    .venv/bin/pip install -q -e '.[bench]'
    .venv/bin/python benchmarks/peers.py [RUNS]
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "tests" / "fixtures"
CROSSREF_WORK = FIXTURES / "crossref" / "skgif_10.1038_nature12373.json"
PUBMED_RECORD = FIXTURES / "pubmed" / "eutils_efetch_29915538.xml"
RECORDED_DOI = "10.1038/nature12373"
RECORDED_PMID = "29915538"
DOIS = 500
PMIDS = 2_000
PUBMED_BATCH = 200
CROSSREF_BATCH = 40


def dois() -> list[str]:
    return [f"10.5555/bench.{n:05d}" for n in range(DOIS)]


def pmids() -> list[str]:
    return [str(30_000_000 + n) for n in range(PMIDS)]


class Answers:
    """Every body the server gives, built from the recorded answers before any client runs."""

    def __init__(self) -> None:
        recorded = json.loads(CROSSREF_WORK.read_bytes())["message"]
        template = json.dumps(recorded)
        self.works = {d: json.loads(template.replace(RECORDED_DOI, d)) for d in dois()}
        self.work_bodies = {
            d: json.dumps({"status": "ok", "message-type": "work", "message": w}).encode()
            for d, w in self.works.items()
        }
        xml = PUBMED_RECORD.read_text()
        article = re.search(r"<PubmedArticle>.*</PubmedArticle>", xml, re.S)
        assert article is not None
        self.head = xml[: article.start()].encode()
        self.tail = xml[article.end() :].encode()
        self.articles = {p: article.group().replace(RECORDED_PMID, p).encode() for p in pmids()}

    def crossref_list(self, query: dict[str, list[str]]) -> bytes:
        asked = [f.removeprefix("doi:") for f in query.get("filter", [""])[0].split(",")]
        items = [self.works[d] for d in asked if d in self.works]
        message = {"total-results": len(items), "items": items}
        return json.dumps(
            {"status": "ok", "message-type": "work-list", "message": message}
        ).encode()

    def efetch(self, ids: list[str]) -> bytes:
        return (
            self.head + b"\n".join(self.articles[p] for p in ids if p in self.articles) + self.tail
        )


def serve() -> None:
    """The server process: prints its port, answers until terminated."""
    answers = Answers()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in one write with Nagle off: a reused connection
        # otherwise waits on the client's delayed ACK (~40 ms) at every answer.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._answer(parse_qs(urlsplit(self.path).query))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._answer(parse_qs(self.rfile.read(length).decode()))

        def _answer(self, query: dict[str, list[str]]) -> None:
            path = unquote(urlsplit(self.path).path)
            kind = "application/json"
            if path.startswith("/ra/"):
                prefix = path.removeprefix("/ra/")
                body = json.dumps([{"DOI": prefix, "RA": "Crossref"}]).encode()
            elif path == "/works":
                body = answers.crossref_list(query)
            elif path.startswith("/works/"):
                body = answers.work_bodies.get(path.removeprefix("/works/"), b"")
            elif path.endswith("/efetch.fcgi"):
                body, kind = answers.efetch(query.get("id", [""])[0].split(",")), "text/xml"
            else:
                body = b""
            status = "200 OK" if body else "404 Not Found"
            head = (
                f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            self.wfile.write(head.encode() + body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


HABANERO_SCRIPT = """
import sys
from habanero import Crossref
url, path = sys.argv[1], sys.argv[2]
ids = open(path).read().split()
works = Crossref(base_url=url).works(ids=ids)
assert len(works) == len(ids) and all(w["message"]["DOI"] for w in works), len(works)
"""

CROSSREF_BARE_SCRIPT = """
import sys
import httpx
import msgspec
url, path, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
ids = open(path).read().split()
decode = msgspec.json.decode
found = 0
with httpx.Client() as client:
    for start in range(0, len(ids), batch):
        part = ids[start : start + batch]
        params = {"filter": ",".join(f"doi:{d}" for d in part), "rows": str(len(part))}
        found += len(decode(client.get(url + "/works", params=params).content)["message"]["items"])
assert found == len(ids), found
"""

ENTREZ_SCRIPT = """
import sys
from Bio import Entrez
url, path, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
ids = open(path).read().split()
Entrez.email, Entrez.api_key = "bench@example.org", "bench-key"
build = Entrez._build_request
Entrez._build_request = lambda cgi, *a, **k: build(
    cgi.replace("https://eutils.ncbi.nlm.nih.gov", url), *a, **k
)
found = 0
for start in range(0, len(ids), batch):
    handle = Entrez.efetch(db="pubmed", id=",".join(ids[start : start + batch]), retmode="xml")
    found += len(Entrez.read(handle)["PubmedArticle"])
assert found == len(ids), found
"""

PUBMED_BARE_SCRIPT = """
import sys
import time
import httpx
from lxml import etree
url, path, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
ids = open(path).read().split()
found, last = 0, 0.0
with httpx.Client() as client:
    for start in range(0, len(ids), batch):
        time.sleep(max(0.0, last + 0.1 - time.monotonic()))
        last = time.monotonic()
        data = {"db": "pubmed", "id": ",".join(ids[start : start + batch]), "retmode": "xml"}
        body = client.post(url + "/entrez/eutils/efetch.fcgi", data=data).content
        root = etree.fromstring(body)
        found += sum(1 for a in root.iter("PubmedArticle") if a.findtext(".//PMID"))
assert found == len(ids), found
"""


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    python = sys.executable
    paperfuse = str(Path(python).parent / "paperfuse")
    with tempfile.TemporaryDirectory(prefix="paperfuse-peers-") as tmp:
        work = Path(tmp)
        (work / "dois.txt").write_text("\n".join(dois()) + "\n")
        (work / "pmids.txt").write_text("\n".join(pmids()) + "\n")
        server = subprocess.Popen([python, __file__, "--serve"], stdout=subprocess.PIPE, text=True)
        try:
            url = f"http://127.0.0.1:{server.stdout.readline().strip()}"  # type: ignore[union-attr]
            tables = {
                f"Crossref, {DOIS:,} DOIs (no pause)": _crossref_clients(
                    python, paperfuse, url, work
                ),
                f"PubMed, {PMIDS:,} PMIDs (10 requests a second)": _pubmed_clients(
                    python, paperfuse, url, work
                ),
            }
            times = {t: {name: [] for name in clients} for t, clients in tables.items()}
            for clients in tables.values():
                for command in clients.values():
                    command()  # a first run, not timed: bytecode written, files in the page cache
            for _ in range(runs):
                for title, clients in tables.items():
                    for name, command in clients.items():
                        times[title][name].append(command())
        finally:
            server.terminate()
            server.wait()
    print(f"{runs} alternating runs each, every run a fresh process (start-up included)")
    for title, clients in times.items():
        print(f"\n{title}")
        print(f"{'client':<52} {'median s':>9} {'best s':>7}")
        for name, values in clients.items():
            print(f"{name:<52} {statistics.median(values):>9.3f} {min(values):>7.3f}")
    floor = (PMIDS // PUBMED_BATCH - 1) * 0.1
    print(f"\nPubMed's floor at 10 requests a second: {floor:.1f} s of pauses")


def _base_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PAPERFUSE_") and k != "PYTHONDONTWRITEBYTECODE"
    }


def _timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env or _base_env(), check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _paperfuse(
    paperfuse: str, work: Path, only: str, inputs: str, url: str, extra: dict[str, str]
) -> Any:
    """paperfuse's CLI with one source enabled, asking the local server."""
    from paperfuse import PluginHost

    others = sorted(set(PluginHost().sources) - {only})
    config = "".join(f'[sources."{name}"]\nenabled = false\n' for name in others)
    config += f"[sources.{only}]\nmin_interval = {extra.pop('min_interval')}\n"
    (work / f"{only}.toml").write_text(config)
    runs = iter(range(10**6))

    def run() -> float:
        n = next(runs)
        out = work / f"{only}-{n}.jsonl"
        env = dict(
            _base_env(),
            PAPERFUSE_CONFIG=str(work / f"{only}.toml"),
            PAPERFUSE_CACHE_DIR=str(work / f"cache-{only}-{n}"),
            PAPERFUSE_DOI_URL=url,
            **{f"PAPERFUSE_{only.upper()}_URL": url},
            **extra,
        )
        command = [paperfuse, "resolve", "--input", str(work / inputs), "-q", "-o", str(out)]
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True)
        seconds = time.perf_counter() - start
        lines = out.read_text().splitlines()
        assert all(json.loads(line)["status"] == "resolved" for line in lines), only
        out.unlink()
        return seconds

    return run


def _crossref_clients(python: str, paperfuse: str, url: str, work: Path) -> dict[str, Any]:
    ids = str(work / "dois.txt")
    return {
        "paperfuse resolve (crossref only)": _paperfuse(
            paperfuse, work, "crossref", "dois.txt", url, {"min_interval": "0"}
        ),
        f"habanero {version('habanero')} (one request a DOI)": lambda: _timed(
            [python, "-c", HABANERO_SCRIPT, url, ids]
        ),
        f"httpx + msgspec (lists of {CROSSREF_BATCH})": lambda: _timed(
            [python, "-c", CROSSREF_BARE_SCRIPT, url, ids, str(CROSSREF_BATCH)]
        ),
    }


def _pubmed_clients(python: str, paperfuse: str, url: str, work: Path) -> dict[str, Any]:
    ids = str(work / "pmids.txt")
    keyed = {"min_interval": "0.1", "PAPERFUSE_NCBI_API_KEY": "bench-key"}
    return {
        "paperfuse resolve (pubmed only, API key)": _paperfuse(
            paperfuse, work, "pubmed", "pmids.txt", url, keyed
        ),
        f"Biopython {version('biopython')} Entrez.efetch + read": lambda: _timed(
            [python, "-c", ENTREZ_SCRIPT, url, ids, str(PUBMED_BATCH)]
        ),
        f"httpx + lxml ({PUBMED_BATCH} a request, 10 a second)": lambda: _timed(
            [python, "-c", PUBMED_BARE_SCRIPT, url, ids, str(PUBMED_BATCH)]
        ),
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        main()
