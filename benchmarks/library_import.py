"""Library import at the rate-limit bound: paperfuse against a simulated upstream.

Starts the simulated upstream (benchmarks/upstream.py: arXiv, Unpaywall and
Open Access Button on one local port, built from the recorded responses,
with latency and enforced rate limits), then resolves three workloads with
the public API (``paperfuse.Resolver(paperfuse.load_config())`` and
``resolve_many``, results streamed and only counted):

(a) distinct new-style arXiv ids (10,000);
(b) distinct DOIs (2,000);
(c) a mixed list (2,000): arXiv ids (some versioned, some as URLs), DOIs
    (some as doi.org URLs), PMCIDs, duplicates and a few malformed lines.

Each workload runs twice in a fresh Python process: first with an empty cache
folder, then again with the same folder. Every run uses the documented
politeness (the client's defaults: arXiv one request every 3 s, Unpaywall 4
at a time, OAB one a second), and the upstream enforces the same figures.
Reported per source: requests (counted by the upstream, and by the resolver
when it has ``Resolver.stats()``) against the minimum the batch allows,
violations of the rate limits, and when the source's last answer came against
the earliest it could have; per run: wall time against the bound the limits
and latencies imply, milliseconds per record and peak memory (ru_maxrss of
the run's own process). Then the ``arxiv`` package (4.x) on workload (a)
against the same server, next to paperfuse with only its arXiv source; then
peak memory for 2,000 and 100,000 arXiv ids at a fast pace.

    .venv/bin/pip install -q -e '.[bench]'
    .venv/bin/python benchmarks/library_import.py           # the full run
    .venv/bin/python benchmarks/library_import.py --quick   # smaller workloads

It exits non-zero only when something crashes; a missed target is reported,
not raised.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import upstream  # noqa: E402

BATCH = 2_000  # arXiv ids per request (the API's and paperfuse's batch size)
SOURCES = ("arxiv", "unpaywall", "oab")
EMAIL = "benchmark@example.org"

#: How the upstream answers in the main runs: documented politeness, some misses.
MAIN_SERVER = [
    "--arxiv-missing-fraction", "0.01",
    "--unpaywall-missing-fraction", "0.01",
    "--arxiv-doi-fraction", "0.3",
    "--unpaywall-arxiv-fraction", "0.3",
]  # fmt: skip
#: The fast pace of the memory runs (client and server both at 0.05 s for arXiv).
FAST_INTERVAL = 0.05
FAST_SERVER = [
    *MAIN_SERVER,
    "--arxiv-interval", str(FAST_INTERVAL),
    "--arxiv-latency", "0.01",
    "--arxiv-latency-per-entry", "0",
    "--unpaywall-latency", "0.005",
    "--oab-latency", "0.005",
]  # fmt: skip


# -- workloads (generated, streamed: the same in every process) ------------------------------


def arxiv_ids(n: int, first_month: int = 0) -> Iterator[str]:
    """``n`` distinct new-style arXiv ids, 50,000 to a month from 2101 on."""
    for i in range(n):
        month = first_month + i // 50_000
        yield f"{21 + month // 12}{month % 12 + 1:02d}.{i % 50_000 + 1:05d}"


def dois(n: int, journal: str = "pfb") -> Iterator[str]:
    """``n`` distinct DOIs in three publishers' styles (one with capitals)."""
    for i in range(n):
        kind = i % 3
        if kind == 0:
            yield f"10.1016/j.{journal}.2020.{i:06d}"
        elif kind == 1:
            yield f"10.1103/PhysRev{journal.upper()}.{100 + i % 7}.{i:06d}"
        else:
            yield f"10.1038/s{41000 + i % 997}-{journal}-{i:06d}-x"


MALFORMED = (
    "arXiv:1501.0001",  # 4 digits after 1501
    "doi:10.5555/",  # a prefix without suffix
    "PMC0",
    "%%%",
    "2401.123456",
    "1501.00001v",
)


def mixed(n: int) -> list[str]:
    """A mixed list of ``n`` lines: ids of every kind, duplicates, malformed lines."""
    rng = random.Random(6)
    n_arxiv, n_doi, n_pmc = n * 40 // 100, n * 35 // 100, n * 12 // 100
    n_bad = n * 3 // 100
    lines: list[str] = []
    for i, arxiv_id in enumerate(arxiv_ids(n_arxiv, first_month=24)):  # 2301 on
        style = i % 10
        if style == 0:
            lines.append(f"{arxiv_id}v{1 + i % 3}")
        elif style == 1:
            lines.append(f"arXiv:{arxiv_id}")
        elif style == 2:
            lines.append(f"https://arxiv.org/abs/{arxiv_id}")
        else:
            lines.append(arxiv_id)
    for i, doi in enumerate(dois(n_doi, journal="pfm")):
        lines.append(f"https://doi.org/{doi}" if i % 5 == 0 else doi)
    lines += [f"PMC{3_000_000 + 7 * i}" for i in range(n_pmc)]
    lines += [MALFORMED[i % len(MALFORMED)] for i in range(n_bad)]
    rng.shuffle(lines)
    duplicates = [rng.choice(lines) for _ in range(n - len(lines))]
    for line in duplicates:
        lines.insert(rng.randrange(len(lines) + 1), line)
    return lines


def workload(spec: dict[str, Any]) -> Iterator[str]:
    kind, n = spec["workload"], spec["n"]
    if kind == "arxiv":
        return arxiv_ids(n)
    if kind == "doi":
        return dois(n)
    return iter(mixed(n))


# -- the lower bound and the minimum ----------------------------------------------------------


@dataclass
class Plan:
    """What a batch must ask at least, and the earliest each source can be done."""

    minimum: dict[str, int] = field(default_factory=dict)
    done: dict[str, float] = field(default_factory=dict)  # per source, seconds from start
    bound: float = 0.0
    notes: list[str] = field(default_factory=list)


def _schedule(
    jobs: list[tuple[float, int, str]], servers: int, interval: float, latency: float
) -> dict[str, float]:
    """Non-delay list scheduling of identical jobs ``(release, priority, key)``; their ends.

    With identical jobs every non-delay schedule starts jobs at the same
    times, so the makespan is the least possible; ``priority`` (lower first)
    only decides which released job takes a free slot.
    """
    jobs = sorted(jobs)
    free = [0.0] * (servers or max(1, len(jobs)))
    heapq.heapify(free)
    ready: list[tuple[int, float, str]] = []
    ends: dict[str, float] = {}
    last_start = -math.inf
    i = 0
    while i < len(jobs) or ready:
        t = max(free[0], last_start + interval)
        if not ready:
            t = max(t, jobs[i][0])
        while i < len(jobs) and jobs[i][0] <= t:
            release, priority, key = jobs[i]
            heapq.heappush(ready, (priority, release, key))
            i += 1
        _, _, key = heapq.heappop(ready)
        heapq.heappop(free)
        last_start = t
        ends[key] = t + latency
        heapq.heappush(free, t + latency)
    return ends


def plan(inputs: list[str], server_argv: list[str], arxiv_only: bool = False) -> Plan:
    """The minimum requests and the time bound of resolving ``inputs`` against the upstream.

    What must be asked follows the resolver's rules and the world's (see
    :class:`upstream.World`): every input's own identifiers; the DOI of each
    arXiv entry found (to Unpaywall); the arXiv id of the arXiv copy that
    Unpaywall lists for a DOI input (to arXiv, "round 2": arXiv has not
    found that item yet; for an arXiv input the copy is the input itself);
    Open Access Button once (it answers 410 and is not asked again). The
    entries of round 2 carry the DOI that revealed them: there is no round 3.

    Minimum requests: arXiv ceil(ids / 2,000) over every distinct id of the
    run (a client may hold round-1 ids back until round 2 is known; asked
    round by round it is one more request here and there, see the notes);
    Unpaywall one per distinct DOI; Open Access Button 1.

    Time bound: the largest of these, each of which no schedule can beat:
    arXiv's round 1 in batches of 2,000 one interval apart, the last one
    answered one latency later; Unpaywall's DOIs, each released when the
    arXiv answer that reveals it can be in at the earliest, run
    ``concurrency`` at a time, one latency each (non-delay list scheduling
    of identical jobs: the least makespan); round 2 at arXiv, one latency
    after the Unpaywall answer revealing its last id, those DOIs served
    first; Open Access Button one latency after it has something to ask.
    """
    import paperfuse

    args = upstream.parser().parse_args(server_argv)
    world = upstream.world_from_args(server_argv)
    result = Plan()

    def arxiv_latency(entries: int) -> float:
        return args.arxiv_latency + args.arxiv_latency_per_entry * entries

    arxiv_round1: dict[tuple[str, int | None], None] = {}
    input_dois: dict[str, None] = {}
    oab_inputs = False
    for text in inputs:
        for identifier in paperfuse.identify(text).identifiers:
            if identifier.scheme == "arxiv":
                arxiv_round1[(identifier.value, identifier.version)] = None
            elif identifier.scheme == "doi":
                input_dois[identifier.value] = None
            if identifier.scheme in ("doi", "pmcid", "pmid", "url"):
                oab_inputs = True

    # Round 1 at arXiv: batches of 2,000 in input order, one interval apart.
    ids = list(arxiv_round1)
    arxiv_done = 0.0
    released: dict[str, float] = dict.fromkeys(input_dois, 0.0)  # DOI -> known at the earliest
    start = 0.0
    for k in range(0, len(ids), BATCH):
        if k:
            start = max(start + args.arxiv_interval, arxiv_done)
        found = [base for base, _ in ids[k : k + BATCH] if world.arxiv_found(base)]
        arxiv_done = start + arxiv_latency(len(found))
        for base in found:
            doi = world.arxiv_doi(base)
            if doi is not None and doi not in released:
                released[doi] = arxiv_done
    round1_requests = math.ceil(len(ids) / BATCH)
    if arxiv_only:
        result.minimum = {"arxiv": round1_requests, "unpaywall": 0, "oab": 0}
        result.done = {"arxiv": arxiv_done, "unpaywall": 0.0, "oab": 0.0}
        result.bound = arxiv_done
        return result

    # Unpaywall: one request per distinct DOI, ``concurrency`` at a time; the DOIs
    # that send an item to arXiv first (the earliest round 2 could start).
    round2: dict[str, str] = {}  # arXiv id -> the DOI that revealed it
    jobs = []
    for doi, release in released.items():
        reveals = None
        if doi in input_dois and world.doi_found(doi):
            reveals = world.doi_arxiv(doi)
            if reveals is not None and (reveals, None) not in arxiv_round1:
                round2[reveals] = doi
        jobs.append((release, 0 if reveals else 1, doi))
    doi_ends = _schedule(
        jobs, args.unpaywall_concurrency, args.unpaywall_interval, args.unpaywall_latency
    )
    if round2:
        last = max(doi_ends[d] for d in round2.values())
        tail = len(round2) - BATCH * ((len(round2) - 1) // BATCH)
        arxiv_done = max(arxiv_done, last + arxiv_latency(tail))

    oab_release = None
    if oab_inputs:
        oab_release = 0.0
    elif released:
        oab_release = min(released.values())
    total_ids = len(ids) + len(round2)
    result.minimum = {
        "arxiv": math.ceil(total_ids / BATCH),
        "unpaywall": len(released),
        "oab": 0 if oab_release is None else 1,
    }
    result.done = {
        "arxiv": arxiv_done,
        "unpaywall": max(doi_ends.values(), default=0.0),
        "oab": 0.0 if oab_release is None else oab_release + args.oab_latency,
    }
    result.bound = max(result.done.values())
    per_round = round1_requests + math.ceil(len(round2) / BATCH)
    result.notes.append(
        f"arXiv ids: {len(ids):,} in round 1, {len(round2):,} in round 2 (revealed by"
        f" Unpaywall); minimum {result.minimum['arxiv']} request(s), {per_round} if asked"
        f" round by round; {len(released):,} distinct DOIs"
    )
    return result


# -- one run in a fresh process ------------------------------------------------------------------


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one workload in this (fresh) process and describe what happened."""
    if spec.get("client") == "arxiv-package":
        return _child_arxiv_package(spec)
    import paperfuse

    baseline = _peak_rss_mb()
    statuses: Counter[str] = Counter()
    started = time.monotonic()
    cpu0 = _cpu_s()
    t0 = time.perf_counter()
    resolver = paperfuse.Resolver(paperfuse.load_config())
    with resolver:
        for work in resolver.resolve_many(workload(spec)):
            statuses[work.status] += 1
        stats = None
        if callable(getattr(resolver, "stats", None)):
            stats = {
                name: {k: getattr(s, k, None) for k in ("requests", "calls", "cache_hits")}
                for name, s in resolver.stats().items()
            }
    wall = time.perf_counter() - t0
    return {
        "started": started,
        "wall": wall,
        "cpu": _cpu_s() - cpu0,
        "records": sum(statuses.values()),
        "statuses": dict(statuses),
        "client_stats": stats,
        "peak_rss_mb": _peak_rss_mb(),
        "baseline_rss_mb": baseline,
    }


def _child_arxiv_package(spec: dict[str, Any]) -> dict[str, Any]:
    import arxiv

    baseline = _peak_rss_mb()
    ids = list(arxiv_ids(spec["n"]))
    started = time.monotonic()
    cpu0 = _cpu_s()
    t0 = time.perf_counter()
    client = arxiv.Client(page_size=BATCH, delay_seconds=3.0, num_retries=3)
    client.query_url_format = spec["url"] + "/api/query?{}"
    results = 0
    error = None
    try:
        for _ in client.results(arxiv.Search(id_list=ids, max_results=None)):
            results += 1
    except Exception as e:  # reported, not raised: a client's failure is a finding
        error = f"{type(e).__name__}: {e}"[:300]
    wall = time.perf_counter() - t0
    return {
        "started": started,
        "wall": wall,
        "cpu": _cpu_s() - cpu0,
        "records": results,
        "statuses": {"resolved": results},
        "client_stats": None,
        "error": error,
        "peak_rss_mb": _peak_rss_mb(),
        "baseline_rss_mb": baseline,
    }


@dataclass
class Run:
    label: str
    cold: bool
    spec: dict[str, Any]
    result: dict[str, Any]
    upstream: dict[str, Any]  # per service, from /_stats
    plan: Plan | None

    def requests(self, source: str) -> int:
        return self.upstream[source]["requests"]

    def violations(self, source: str) -> int:
        return self.upstream[source]["violations"]

    def done_at(self, source: str) -> float | None:
        last = self.upstream[source]["last_done"]
        return None if last is None else last - self.result["started"]

    def client_requests(self, source: str) -> int | None:
        stats = self.result.get("client_stats")
        if not stats or source not in stats:
            return None
        return stats[source]["requests"]


class Bench:
    def __init__(self, server: upstream.Server, workdir: Path) -> None:
        self.server = server
        self.workdir = workdir
        self.config = workdir / "empty.toml"
        self.config.write_text("# no settings: the documented defaults\n")

    def env(self, cache: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFUSE_")}
        env.update(
            PAPERFUSE_CONFIG=str(self.config),  # not the user's own settings
            PAPERFUSE_CACHE_DIR=str(cache),
            PAPERFUSE_EMAIL=EMAIL,
            PAPERFUSE_ARXIV_URL=self.server.url,
            PAPERFUSE_UNPAYWALL_URL=self.server.url,
            PAPERFUSE_OAB_URL=self.server.url,
        )
        env.update(extra or {})
        return env

    def run(
        self, label: str, spec: dict[str, Any], cache: Path, *, cold: bool,
        plan_: Plan | None = None, extra_env: dict[str, str] | None = None,
    ) -> Run:  # fmt: skip
        self.server.reset()
        spec = {**spec, "url": self.server.url}
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
            env=self.env(cache, extra_env),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            raise RuntimeError(f"the run {label!r} crashed (exit {done.returncode})")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        stats = self.server.stats(trace=True)["services"]
        traces = {name: service.pop("trace") for name, service in stats.items()}
        stats["unpaywall"]["slot_idle_ms"] = _slot_idle_ms(traces["unpaywall"], self.server.args)
        run = Run(label, cold, spec, result, stats, plan_)
        print(f"  {label} ({'cold' if cold else 'warm'} cache): {_brief(run)}", flush=True)
        return run


def _slot_idle_ms(trace: list[list[float]], args: argparse.Namespace) -> float | None:
    """Unpaywall: how long, on average per request, a free slot waited for the next one.

    (``concurrency`` x the time from the first arrival to the last answer,
    less the time requests spent at the server) / requests. It includes the
    server's own handling of a request (under a millisecond) and any time the
    client had nothing to ask.
    """
    if not trace or not args.unpaywall_concurrency:
        return None
    first = min(t[0] for t in trace)
    last = max(t[1] for t in trace)
    busy = sum(t[1] - t[0] for t in trace)
    return (args.unpaywall_concurrency * (last - first) - busy) / len(trace) * 1000


def calibrate(url: str, requests: int, concurrency: int) -> float:
    """Wall time of a bare httpx loop: ``requests`` Unpaywall GETs, ``concurrency`` at a time."""
    import asyncio

    import httpx

    async def go() -> float:
        async with httpx.AsyncClient() as client:
            todo = iter(range(requests))

            async def worker() -> None:
                for i in todo:
                    response = await client.get(
                        f"{url}/v2/10.1016/j.calibration.{i:06d}", params={"email": EMAIL}
                    )
                    response.json()

            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return time.perf_counter() - t0

    return asyncio.run(go())


def calibration_line(server: upstream.Server, requests: int = 400) -> str:
    """The floor of a Python HTTP client here: a bare httpx loop against the same server."""
    concurrency = server.args.unpaywall_concurrency
    server.reset()
    wall = calibrate(server.url, requests, concurrency)
    bound = math.ceil(requests / concurrency) * server.args.unpaywall_latency
    per_request = (wall - bound) / requests * concurrency * 1000
    return (
        f"Calibration: a bare httpx loop, {requests} Unpaywall GETs {concurrency} at a time:"
        f" {wall:.2f} s against a bound of {bound:.2f} s ({_pct(wall, bound)}; the floor of a"
        f" Python HTTP client here, {per_request:.1f} ms a request)"
    )


def _brief(run: Run) -> str:
    parts = [f"{run.result['wall']:.2f} s"]
    parts += [f"{s} {run.requests(s)} req/{run.violations(s)} viol" for s in SOURCES]
    parts.append(f"peak {run.result['peak_rss_mb']:.0f} MB")
    return ", ".join(parts)


# -- the report ------------------------------------------------------------------------------


def _table(rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _s(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _pct(value: float, bound: float) -> str:
    return f"{(value / bound - 1) * 100:+.1f}%" if bound else "-"


def report(
    pairs: list[tuple[Run, Run]], compare: list[Run], memory: list[Run]
) -> tuple[str, list[str]]:
    out: list[str] = []
    rows = [
        [
            "workload",
            "run",
            "source",
            "requests",
            "client",
            "minimum",
            "violations",
            "done at s",
            "bound s",
        ]
    ]
    for cold, warm in pairs:
        for run in (cold, warm):
            for n, source in enumerate(SOURCES):
                minimum = run.plan.minimum[source] if run.cold and run.plan else 0
                bound = run.plan.done[source] if run.cold and run.plan else None
                client = run.client_requests(source)
                done = run.done_at(source) if run.requests(source) else None
                rows.append([
                    run.label if run.cold and n == 0 else "",
                    ("cold" if run.cold else "warm") if n == 0 else "",
                    source,
                    f"{run.requests(source):,}",
                    "-" if client is None else f"{client:,}",
                    f"{minimum:,}",
                    f"{run.violations(source):,}",
                    _s(done),
                    _s(bound) if run.requests(source) else "-",
                ])  # fmt: skip
    out.append("Per source (requests counted by the upstream; 'client' by Resolver.stats()):")
    out.append(_table(rows, {3, 4, 5, 6, 7, 8}))

    rows = [
        [
            "workload",
            "run",
            "records",
            "wall s",
            "client CPU s",
            "bound s",
            "vs bound",
            "ms/record",
            "peak MB",
            "statuses",
        ]
    ]
    for cold, warm in pairs:
        for run in (cold, warm):
            r = run.result
            bound = run.plan.bound if run.cold and run.plan else None
            rows.append([
                run.label if run.cold else "",
                "cold" if run.cold else "warm",
                f"{r['records']:,}",
                _s(r["wall"]),
                _s(r["cpu"]),
                _s(bound),
                _pct(r["wall"], bound) if bound else "-",
                _s(r["wall"] * 1000 / max(1, r["records"]), 3),
                _s(r["peak_rss_mb"], 0),
                ", ".join(f"{k} {v:,}" for k, v in sorted(r["statuses"].items())),
            ])  # fmt: skip
    out.append("")
    out.append(
        "Per run (wall: from creating the Resolver to closing it, in the run's own process):"
    )
    out.append(_table(rows, {2, 3, 4, 5, 6, 7, 8}))

    if compare:
        rows = [
            [
                "client, workload (a) arXiv only",
                "requests",
                "violations",
                "wall s",
                "client CPU s",
                "bound s",
                "vs bound",
                "peak MB",
                "records",
                "note",
            ]
        ]
        for run in compare:
            r = run.result
            bound = run.plan.bound if run.plan else None
            rows.append([
                run.label,
                f"{run.requests('arxiv'):,}",
                f"{run.violations('arxiv'):,}",
                _s(r["wall"]),
                _s(r["cpu"]),
                _s(bound),
                _pct(r["wall"], bound) if bound else "-",
                _s(r["peak_rss_mb"], 0),
                f"{r['records']:,}",
                r.get("note", ""),
            ])  # fmt: skip
        out.append("")
        out.append("Against the arxiv package (arXiv only, same server, same limits):")
        out.append(_table(rows, {1, 2, 3, 4, 5, 6, 7, 8}))

    if memory:
        rows = [
            [
                "memory, arXiv ids at a fast pace",
                "records",
                "wall s",
                "client CPU s",
                "peak MB",
                "after imports MB",
                "requests arxiv/unpaywall/oab",
                "violations",
            ]
        ]
        for run in memory:
            r = run.result
            rows.append([
                run.label,
                f"{r['records']:,}",
                _s(r["wall"]),
                _s(r["cpu"]),
                _s(r["peak_rss_mb"], 1),
                _s(r["baseline_rss_mb"], 1),
                "/".join(f"{run.requests(s):,}" for s in SOURCES),
                f"{sum(run.violations(s) for s in SOURCES):,}",
            ])  # fmt: skip
        out.append("")
        out.append(
            f"Peak memory (arXiv interval {FAST_INTERVAL} s at both ends, latencies"
            " 10 ms / 5 ms, otherwise as above):"
        )
        out.append(_table(rows, {1, 2, 3, 4, 5, 6, 7}))

    return "\n".join(out), targets(pairs, compare, memory)


def targets(pairs: list[tuple[Run, Run]], compare: list[Run], memory: list[Run]) -> list[str]:
    lines = []
    # Requests equal to the minimum.
    over = []
    for cold, _ in pairs:
        for source in SOURCES:
            got, least = cold.requests(source), cold.plan.minimum[source]
            if got != least:
                over.append(f"{cold.label} {source} {got:,} vs {least:,}")
    lines.append("requests = minimum: " + ("met" if not over else "NOT met: " + "; ".join(over)))
    # Violations.
    bad = [
        f"{run.label} ({'cold' if run.cold else 'warm'}) {s} {run.violations(s)}"
        for cold, warm in pairs
        for run in (cold, warm)
        for s in SOURCES
        if run.violations(s)
    ]
    bad += [
        f"{r.label} {s} {r.violations(s)}"
        for r in compare + memory
        for s in SOURCES
        if r.violations(s)
    ]
    lines.append("zero violations: " + ("met" if not bad else "NOT met: " + "; ".join(bad)))
    # Wall time within 10 % of the bound.
    slow = []
    for cold, _ in pairs:
        ratio = cold.result["wall"] / cold.plan.bound - 1
        if ratio > 0.10:
            slow.append(f"{cold.label} {ratio * 100:+.1f}%")
    figures = ", ".join(
        f"{c.label.split()[0]} {_pct(c.result['wall'], c.plan.bound)}" for c, _ in pairs
    )
    lines.append(
        f"wall time within 10% of the bound ({figures}): "
        + ("met" if not slow else "NOT met: " + "; ".join(slow))
    )
    # Second run.
    warm_bad = []
    for _, warm in pairs:
        total = sum(warm.requests(s) for s in SOURCES)
        per = warm.result["wall"] * 1000 / max(1, warm.result["records"])
        if total:
            warm_bad.append(f"{warm.label} made {total:,} requests")
        if per >= 1.0:
            warm_bad.append(f"{warm.label} {per:.3f} ms/record")
    per_all = ", ".join(
        f"{w.label.split()[0]} {w.result['wall'] * 1000 / max(1, w.result['records']):.3f}"
        for _, w in pairs
    )
    lines.append(
        f"second run: zero requests, under 1 ms/record ({per_all} ms): "
        + ("met" if not warm_bad else "NOT met: " + "; ".join(warm_bad))
    )
    # Memory.
    if len(memory) >= 2:
        small, large = memory[0], memory[-1]
        ratio = large.result["peak_rss_mb"] / small.result["peak_rss_mb"]
        verdict = "met" if ratio <= 1.2 else "NOT met"
        lines.append(
            f"peak memory flat ({small.result['records']:,} -> {large.result['records']:,} inputs:"
            f" {small.result['peak_rss_mb']:.0f} -> {large.result['peak_rss_mb']:.0f} MB,"
            f" x{ratio:.2f}; flat means at most x1.20): {verdict}"
        )
    return lines


# -- main ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smaller workloads, for a smoke run")
    p.add_argument("--skip-compare", action="store_true", help="no arxiv package comparison")
    p.add_argument("--skip-memory", action="store_true", help="no memory runs")
    p.add_argument("--only", choices=("a", "b", "c"), action="append", help="only these workloads")
    p.add_argument("--json", type=Path, help="also write every figure to this file")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))), flush=True)
        return

    try:
        import aiohttp  # noqa: F401
    except ImportError:
        sys.exit("aiohttp is missing: .venv/bin/pip install -q -e '.[bench]'")
    if args.quick:
        sizes = {"a": 2_000, "b": 200, "c": 400, "memory": (2_000, 20_000)}
    else:
        sizes = {"a": 10_000, "b": 2_000, "c": 2_000, "memory": (2_000, 20_000, 100_000)}
    specs = {
        "a": ({"workload": "arxiv", "n": sizes["a"]}, f"(a) {sizes['a']:,} arXiv ids"),
        "b": ({"workload": "doi", "n": sizes["b"]}, f"(b) {sizes['b']:,} DOIs"),
        "c": ({"workload": "mixed", "n": sizes["c"]}, f"(c) {sizes['c']:,} mixed"),
    }
    chosen = args.only or ["a", "b", "c"]
    started = time.time()
    import paperfuse

    print(
        f"paperfuse {paperfuse.__version__}, Python {sys.version.split()[0]},"
        f" {os.cpu_count()} CPUs; upstream: benchmarks/upstream.py {' '.join(MAIN_SERVER)}",
        flush=True,
    )
    pairs: list[tuple[Run, Run]] = []
    compare: list[Run] = []
    memory: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="paperfuse-bench-") as tmp:
        workdir = Path(tmp)
        with upstream.start(MAIN_SERVER) as server:
            bench = Bench(server, workdir)
            calibration = calibration_line(server)
            print(calibration, flush=True)
            for key in chosen:
                spec, label = specs[key]
                inputs = list(workload(spec))
                the_plan = plan(inputs, MAIN_SERVER)
                cache = workdir / f"cache-{key}"
                cold = bench.run(label, spec, cache, cold=True, plan_=the_plan)
                warm = bench.run(label, spec, cache, cold=False)
                pairs.append((cold, warm))
            if not args.skip_compare:
                spec, _ = specs["a"]
                inputs = list(workload(spec))
                arxiv_plan = plan(inputs, MAIN_SERVER, arxiv_only=True)
                ours = bench.run(
                    "paperfuse (arXiv source only)", spec, workdir / "cache-compare", cold=True,
                    plan_=arxiv_plan, extra_env={"PAPERFUSE_DISABLED_PLUGINS": "unpaywall,oab"},
                )  # fmt: skip
                from importlib.metadata import version

                theirs = bench.run(
                    f"arxiv {version('arxiv')} (page_size 2000, delay 3 s)",
                    {**spec, "client": "arxiv-package"}, workdir / "unused", cold=True,
                    plan_=arxiv_plan,
                )  # fmt: skip
                ids_per_url = spec["n"]
                theirs.result["note"] = (
                    f"every request's URL holds all {ids_per_url:,} ids"
                    f" ({len(','.join(arxiv_ids(ids_per_url))) // 1000} kB), paged with start"
                    + (f"; failed: {theirs.result['error']}" if theirs.result.get("error") else "")
                )
                ours.result["note"] = "POST bodies of 2,000 ids"
                compare = [ours, theirs]
        if not args.skip_memory:
            with upstream.start(FAST_SERVER) as server:
                bench = Bench(server, workdir)
                for n in sizes["memory"]:
                    memory.append(
                        bench.run(
                            f"{n:,} arXiv ids", {"workload": "arxiv", "n": n},
                            workdir / f"cache-memory-{n}", cold=True,
                            extra_env={"PAPERFUSE_ARXIV_MIN_INTERVAL": str(FAST_INTERVAL)},
                        )
                    )  # fmt: skip
    text, verdicts = report(pairs, compare, memory)
    print()
    print(text)
    print()
    print("Notes:")
    for cold, _ in pairs:
        idle = cold.upstream["unpaywall"].get("slot_idle_ms")
        slot = "" if idle is None else f"; a free Unpaywall slot waited {idle:.1f} ms a request"
        print(f"- {cold.label}: {'; '.join(cold.plan.notes)}{slot}")
    print(f"- {calibration}")
    print()
    print("Targets:")
    for line in verdicts:
        print(f"- {line}")
    print(f"\n(total {time.time() - started:.0f} s)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "pairs": [[_dump(c), _dump(w)] for c, w in pairs],
                    "compare": [_dump(r) for r in compare],
                    "memory": [_dump(r) for r in memory],
                    "targets": verdicts,
                },
                indent=2,
            )
        )


def _dump(run: Run) -> dict[str, Any]:
    plan_ = run.plan
    return {
        "label": run.label,
        "cold": run.cold,
        "result": run.result,
        "upstream": run.upstream,
        "plan": None if plan_ is None else {
            "minimum": plan_.minimum, "done": plan_.done, "bound": plan_.bound,
            "notes": plan_.notes,
        },
    }  # fmt: skip


if __name__ == "__main__":
    main()
