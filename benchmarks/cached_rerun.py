"""Cached reruns: the cost per record of a batch whose every answer is cached, and its memory.

A synthetic cache is filled once, through the public API: a
``paperfuse.Resolver`` whose HTTP transport (``Resolver(transport=...)``)
answers at once, with no rate rule, as the services would: arXiv with a
compact entry per asked id (one in 20 with a DOI), Unpaywall with its
recorded "isn't in Unpaywall" 404 for those DOIs, the Open Access Button
with its HTTP 410 "permanently shut down" (remembered by the source). The
sources are the three of the library-import benchmark (arXiv, Unpaywall,
Open Access Button); the other installed sources are disabled in the
configuration file (their plugins still load).

Then each rerun is a fresh process of its own that resolves the first N of
those ids (N = 10,000, 100,000, 1,000,000 by default) with the same cache, the
sources' documented politeness, and a transport that refuses (and counts)
any request: a cached rerun must make none. Wall time runs from creating
the Resolver to closing it (``resolve_many``, statuses counted as the
records stream by); start-up (the interpreter, ``import paperfuse``) is
given apart; peak memory is the process's own high-water mark (``VmHWM``). Target: under
0.2 ms per record at 10,000 inputs, no fixed sleep, memory flat to 10^6.

    .venv/bin/python benchmarks/cached_rerun.py [--sizes 10000,100000,1000000] [--runs 3]

Filling the cache for 10^6 ids takes several minutes (the resolver's own
first run, at no rate limit); the cache is kept in ``--cache DIR`` when
given, so that reruns can be measured again without filling it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ATOM_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"'
    ' xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
    "<title>arXiv Query</title><id>http://arxiv.org/api/x</id>"
    "<updated>2026-01-01T00:00:00-05:00</updated>"
    "<opensearch:totalResults>{total}</opensearch:totalResults>"
    "<opensearch:startIndex>0</opensearch:startIndex>"
    "<opensearch:itemsPerPage>{total}</opensearch:itemsPerPage>"
)
ENTRY = (
    "<entry><id>http://arxiv.org/abs/{id}v1</id>"
    "<updated>2017-01-02T00:00:00Z</updated><published>2017-01-01T00:00:00Z</published>"
    "<title>A synthetic work {id}</title><summary>An abstract of {id}.</summary>"
    "<author><name>Ada Lovelace</name></author>{doi}"
    '<link href="http://arxiv.org/abs/{id}v1" rel="alternate" type="text/html"/>'
    '<link title="pdf" href="http://arxiv.org/pdf/{id}v1" rel="related" type="application/pdf"/>'
    '<arxiv:primary_category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>'
    '<category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/></entry>'
)
UNPAYWALL_404 = (
    '{{"HTTP_status_code": 404, "error": true, "message": "\'{doi}\' isn\'t in Unpaywall."}}'
)
OAB_GONE = '{"error": "The Open Access Button API has been permanently shut down.", "status": 410}'
#: The sources of the library-import benchmark; every other installed one is disabled.
SOURCES = ("arxiv", "unpaywall", "oab")
EMAIL = "bench@example.org"


def _other_sources() -> list[str]:
    """Every installed source but the benchmark's three."""
    import paperfuse

    return sorted(set(paperfuse.PluginHost().sources) - set(SOURCES))


def arxiv_ids(n: int) -> list[str]:
    """``n`` distinct new-style arXiv ids (5-digit numbers, months 2015-01 on)."""
    return [
        f"{15 + k // 1_200_000}{1 + k // 99_999 % 12:02d}.{1 + k % 99_999:05d}" for k in range(n)
    ]


def _response(status: int, text: str, kind: str = "application/json") -> Any:
    """An answer whose body is read as a network body is (paperfuse streams bodies)."""
    import httpx

    class Body(httpx.AsyncByteStream):
        def __init__(self, data: bytes) -> None:
            self.data = data

        async def __aiter__(self) -> Any:
            yield self.data

    data = text.encode()
    headers = {"Content-Type": kind, "Content-Length": str(len(data))}
    return httpx.Response(status, stream=Body(data), headers=headers)


def answering_transport() -> Any:
    """An httpx transport that answers as the three services would, at once."""
    from urllib.parse import parse_qs

    import httpx

    async def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/api/query"):
            body = await request.aread()
            form = parse_qs(body.decode()) if body else {}
            ids = (form.get("id_list") or [request.url.params.get("id_list", "")])[0].split(",")
            entries = []
            for n, arxiv_id in enumerate(ids):
                doi = f"<arxiv:doi>10.5555/{arxiv_id}</arxiv:doi>" if n % 20 == 0 else ""
                entries.append(ENTRY.format(id=arxiv_id, doi=doi))
            feed = ATOM_HEAD.format(total=len(ids)) + "".join(entries) + "</feed>"
            return _response(200, feed, "application/atom+xml")
        if path.startswith("/v2/"):
            doi = path[len("/v2/") :]
            return _response(404, UNPAYWALL_404.format(doi=doi))
        if path in ("/find", "/metadata"):
            return _response(410, OAB_GONE)
        return _response(404, "not here", "text/plain")

    return httpx.MockTransport(handle)


def refusing_transport(counter: list[int]) -> Any:
    import httpx

    async def handle(request: httpx.Request) -> httpx.Response:
        counter[0] += 1
        return _response(503, "a cached rerun must not ask", "text/plain")

    return httpx.MockTransport(handle)


def child(mode: str, ids_path: str, n: int) -> None:
    """One run in this process: ``fill`` the cache, or ``rerun`` the first ``n`` ids."""
    started = time.perf_counter()
    import resource

    import paperfuse

    imported = time.perf_counter()
    # Read as the records stream by: a list of 10^6 ids would be the process's own memory.
    ids = (line.strip() for line in itertools.islice(open(ids_path), n))  # noqa: SIM115
    requests = [0]
    transport = answering_transport() if mode == "fill" else refusing_transport(requests)
    statuses: dict[str, int] = {}
    begin = time.perf_counter()
    with paperfuse.Resolver(paperfuse.load_config(), transport=transport) as resolver:
        for work in resolver.resolve_many(ids):
            statuses[work.status or "?"] = statuses.get(work.status or "?", 0) + 1
        stats = resolver.stats()
    wall = time.perf_counter() - begin
    print(
        json.dumps(
            {
                "records": sum(statuses.values()),
                "statuses": statuses,
                "wall": wall,
                "startup": imported - started,
                "maxrss_mb": _peak_rss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
                "refused_requests": requests[0],
                "source_requests": {k: v.requests for k, v in stats.items()},
                "cache_hits": {k: v.cache_hits for k, v in stats.items() if v.cache_hits},
            }
        )
    )


def _peak_rss_mb(maxrss_kb: int) -> float:
    """The process's own peak resident memory: ``VmHWM`` where Linux gives it.

    ``ru_maxrss`` of a process started by ``subprocess`` is at least its
    parent's peak at the time (Linux keeps the high-water mark of the memory
    the child was forked or vforked from across ``exec``): with the parent
    holding 10^6 ids, it said 94 MB for a child whose own peak was 62 MB.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return maxrss_kb / 1024


def run_child(mode: str, ids: Path, n: int, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(ids), str(n)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated input counts")
    p.add_argument("--runs", type=int, default=3, help="reruns of each size (median shown)")
    p.add_argument("--cache", type=Path, help="keep the filled cache in this folder")
    p.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="paperfuse-rerun-") as tmp:
        work = Path(tmp)
        cache = args.cache or work / "cache"
        ids = work / "ids.txt"
        ids.write_text("\n".join(arxiv_ids(max(sizes))) + "\n")
        config = work / "config.toml"
        config.write_text("".join(f'[sources."{s}"]\nenabled = false\n' for s in _other_sources()))
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("PAPERFUSE_") and k != "PYTHONDONTWRITEBYTECODE"
        }
        env |= {
            "PAPERFUSE_CONFIG": str(config),
            "PAPERFUSE_CACHE_DIR": str(cache),
            "PAPERFUSE_EMAIL": EMAIL,
        }
        filled = [int(p.name.split("-")[1]) for p in cache.glob("filled-*")]
        if not filled or max(filled) < max(sizes):
            marker = cache / f"filled-{max(sizes)}"
            fast = {f"PAPERFUSE_{s}_MIN_INTERVAL": "0" for s in ("ARXIV", "UNPAYWALL", "OAB")}
            print(f"filling the cache with {max(sizes):,} ids ...", flush=True)
            done = run_child("fill", ids, max(sizes), env | fast)
            print(f"  filled in {done['wall']:.1f} s: {done['statuses']}", flush=True)
            marker.touch()
        rows = []
        for n in sizes:
            runs = [run_child("rerun", ids, n, env) for _ in range(args.runs)]
            rows.append((n, runs))
            print(f"  {n:,}: {[round(r['wall'], 2) for r in runs]} s", flush=True)
    print(f"\nCached reruns ({args.runs} runs each, median; wall: Resolver made to closed)")
    print(
        f"{'inputs':>10} {'wall s':>8} {'ms/record':>10} {'start-up s':>10} {'peak MB':>8}"
        f" {'requests':>8}  statuses"
    )
    for n, runs in rows:
        wall = statistics.median(r["wall"] for r in runs)
        startup = statistics.median(r["startup"] for r in runs)
        rss = max(r["maxrss_mb"] for r in runs)
        asked = max(r["refused_requests"] for r in runs)
        statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(runs[0]["statuses"].items()))
        print(
            f"{n:>10,} {wall:>8.2f} {wall * 1000 / n:>10.3f} {startup:>10.2f} {rss:>8.0f}"
            f" {asked:>8}  {statuses}"
        )


if __name__ == "__main__":
    main()
