"""Library import at the rate-limit bound: paperfuse against a simulated upstream.

Starts the simulated upstream (benchmarks/upstream.py: every source paperfuse
ships on one local port, built from the recorded responses, each service at
its documented rate limits), then resolves three workloads with the public
API (``paperfuse.Resolver(paperfuse.load_config())`` and ``resolve_many``,
results streamed and only counted):

(a) distinct new-style arXiv ids (10,000);
(b) distinct DOIs (2,000);
(c) a mixed list (2,000): arXiv ids (some versioned, some as URLs), DOIs
    (some as doi.org URLs), PMCIDs, PMIDs, DataCite DOIs, duplicates and a
    few malformed lines.

Every workload runs at each upstream latency of ``--latency``, in a fresh
Python process with an empty cache folder. The default is ``default,0.15,0.4``:
the upstream's own latencies (arXiv 300 ms and 0.1 ms an entry, every other
service 50 ms: the figures of issue 17's baseline), then every service at 150
and at 400 ms. ``0`` adds a row with no latency at all, where the client's own
CPU time is the whole of the overhead (a row the target does not name). Each
runs
``--repeat`` times, alternating the order; ``--warm`` adds a second run on
the same cache. Every run uses the client's default politeness; the upstream
enforces the documented limits. Reported per source: requests (counted by
the upstream, and by ``Resolver.stats()``) against the minimum, violations,
and when its last answer came against the earliest it could have; per run:
wall time against the bound the limits and latencies imply (see :func:`plan`),
and one row per workload per latency with the median overhead. ``--compare``
adds the ``arxiv`` package on workload (a), ``--memory`` peak memory for
2,000 to 100,000 arXiv ids at a fast pace.

    .venv/bin/pip install -q -e '.[bench]'
    .venv/bin/python benchmarks/library_import.py                     # the full run
    .venv/bin/python benchmarks/library_import.py --quick --repeat 2  # smaller workloads

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
import statistics
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
SOURCES = tuple(upstream.SERVICES)
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
    n_arxiv, n_doi, n_pmc = n * 40 // 100, n * 30 // 100, n * 10 // 100
    n_pmid, n_datacite, n_bad = n * 10 // 100, n * 2 // 100, n * 3 // 100
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
    lines += [f"PMID:{35_000_000 + 11 * i}" if i % 2 else f"pmid {35_000_000 + 11 * i}"
              for i in range(n_pmid)]  # fmt: skip
    lines += [f"10.5281/zenodo.{9_000_000 + 3 * i}" for i in range(n_datacite)]
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
    jobs: list[tuple[float, int, str, float]], servers: int, interval: float
) -> dict[str, float]:
    """Non-delay list scheduling of jobs ``(release, priority, key, duration)``; their ends.

    With identical jobs every non-delay schedule starts jobs at the same
    times, so the makespan is the least possible; ``priority`` (lower first)
    only decides which released job takes a free slot.
    """
    jobs = sorted(jobs)
    free = [0.0] * (servers or max(1, len(jobs)))
    heapq.heapify(free)
    ready: list[tuple[int, float, str, float]] = []
    ends: dict[str, float] = {}
    last_start = -math.inf
    i = 0
    while i < len(jobs) or ready:
        t = max(free[0], last_start + interval)
        if not ready:
            t = max(t, jobs[i][0])
        while i < len(jobs) and jobs[i][0] <= t:
            release, priority, key, duration = jobs[i]
            heapq.heappush(ready, (priority, release, key, duration))
            i += 1
        _, _, key, duration = heapq.heappop(ready)
        heapq.heappop(free)
        last_start = t
        ends[key] = t + duration
        heapq.heappush(free, t + duration)
    return ends


#: Per source: the schemes it accepts, in its order of preference.
ACCEPTS = {
    "arxiv": ("arxiv",),
    "unpaywall": ("doi",),
    "oab": ("doi", "pmcid", "pmid"),
    "crossref": ("doi",),
    "datacite": ("doi",),
    "idconv": ("pmcid", "pmid", "doi"),
    "europepmc": ("pmid", "pmcid", "doi"),
    "openalex": ("doi", "pmid", "pmcid"),
    "pubmed": ("pmid",),
}


def _work_ids(world: upstream.World, scheme: str, value: str) -> dict[str, str]:
    """Every id of the work an input id names, in this world."""
    ids: dict[str, str] = {scheme: value}
    if scheme == "arxiv":
        if world.arxiv_found(value) and (doi := world.arxiv_doi(value)):
            ids["doi"] = doi
        return ids
    if scheme == "doi":
        doi = value
    elif scheme == "pmid":
        doi = world.pmid_doi(value)
    else:
        doi = world.pmc_doi(value[3:])
    ids["doi"] = doi
    if scheme != "doi" or world.doi_found(doi):
        if (arxiv := world.doi_arxiv(doi)) is not None:
            ids["arxiv"] = arxiv
        if (pmc := world.doi_ids(doi)) is not None:
            ids["pmid"], ids["pmcid"] = pmc[0], "PMC" + pmc[1]
    return ids


def _answers(world: upstream.World, source: str, ids: dict[str, str], asked: str) -> list[str]:
    """The schemes of the work's ids that ``source``'s answer for its ``asked`` id reveals;
    None when it does not find the work (an empty list when it finds nothing new)."""
    in_pmc = "pmcid" in ids
    found_doi = "doi" in ids and world.doi_found(ids["doi"])
    if source == "arxiv":
        return ["doi"] if world.arxiv_found(ids["arxiv"]) else None
    if source == "unpaywall":
        return ["arxiv", "pmcid"] if found_doi else None
    if source in ("idconv", "europepmc", "pubmed"):
        return ["doi", "pmid", "pmcid"] if in_pmc else None
    if source == "openalex":
        return ["doi", "pmid", "pmcid"] if (found_doi or in_pmc) else None
    return [] if found_doi else None


def plan(inputs: list[str], server_argv: list[str], arxiv_only: bool = False) -> Plan:
    """The minimum requests and the time bound of resolving ``inputs`` against the upstream.

    What must be asked follows the resolver's rules and the world's (see
    :class:`upstream.World`): each source is asked once per work, for the
    first identifier of the work it accepts that is known (an input's own, or
    one an earlier answer revealed: arXiv gives the DOI, Unpaywall an arXiv
    copy and a PMCID, the ID converter, Europe PMC, OpenAlex and PubMed the
    DOI, PMID and PMCID of a work in PMC), once per distinct identifier;
    Crossref and DataCite only for DOIs of their agency (Crossref after
    doi.org's ``/ra/`` answer for the prefix), Open Access Button once (it
    answers 410 and is not asked again).

    Time bound: per source, its identifiers in the order they can be known
    at the earliest, in batches of its batch size (a batch is released when
    its last identifier is), scheduled with the source's interval and
    concurrency (paperfuse's defaults, never faster than the documented
    limits) and the latency of each answer (non-delay list scheduling of
    jobs: the least makespan for identical jobs); an identifier is known at
    the earliest answer that reveals it. Iterated until nothing moves. The
    bound is the last answer of any source; each source's minimum requests
    is its number of batches (for Crossref, and a request of its own for each
    DOI a list did not return, as paperfuse asks it). Filter-length limits on list sizes (Crossref,
    OpenAlex) are not modelled: the bound can only be lower for it.
    """
    import paperfuse
    from paperfuse._agency import KNOWN_AGENCIES

    args = upstream.parser().parse_args(server_argv)
    world = upstream.world_from_args(server_argv)
    names = ["arxiv"] if arxiv_only else upstream.services(args)
    names = [n for n in names if n in ACCEPTS]
    result = Plan()

    items: dict[tuple[str, str], dict[str, str]] = {}
    for text in inputs:
        for identifier in paperfuse.identify(text).identifiers:
            if identifier.scheme in ("arxiv", "doi", "pmid", "pmcid"):
                key = (identifier.scheme, identifier.value)
                if key not in items:
                    items[key] = _work_ids(world, *key)
                break
    known: dict[tuple[str, str], dict[str, float]] = {k: {k[0]: 0.0} for k in items}
    service = upstream.SERVICES
    done: dict[str, float] = {}
    minimum: dict[str, int] = {}
    for _ in range(8):
        # Which identifier each source is asked, and when at the earliest.
        asks: dict[str, dict[str, float]] = {n: {} for n in names}
        asked_of: dict[tuple[tuple[str, str], str], tuple[str, str]] = {}
        prefixes: dict[str, float] = {}
        for key, times in known.items():
            ids = items[key]
            for name in names:
                options = [
                    (t, ACCEPTS[name].index(s), s) for s, t in times.items() if s in ACCEPTS[name]
                ]
                if not options:
                    continue
                t, _, scheme = min(options)
                value = ids[scheme]
                if name in ("crossref", "datacite"):
                    datacite = world.is_datacite(value)
                    if datacite != (name == "datacite"):
                        continue
                    prefix = value.split("/", 1)[0]
                    if name == "crossref" and prefix not in KNOWN_AGENCIES:
                        prefixes[prefix] = min(prefixes.get(prefix, math.inf), t)
                ask = f"{scheme}:{value}"
                asks[name][ask] = min(asks[name].get(ask, math.inf), t)
                asked_of[(key, name)] = (scheme, ask)
        # doi.org's answers for the prefixes Crossref waits on.
        ra_ends: dict[str, float] = {}
        if prefixes and "doi" in service:
            ra = service["doi"]
            ra_ends = _schedule(
                [(t, 0, p, upstream.latency(args, "doi")) for p, t in prefixes.items()],
                ra.client_concurrency,
                ra.client_interval,
            )
            minimum["doi"] = len(prefixes)
            done["doi"] = max(ra_ends.values())
        answered: dict[str, dict[str, float]] = {}
        for name in names:
            releases = asks[name]
            if name == "crossref":
                releases = {
                    a: max(t, ra_ends.get(a[4:].split("/", 1)[0], 0.0)) for a, t in releases.items()
                }
            if name == "oab":
                first = min(releases.values(), default=None)
                releases = {} if first is None else {"oab": first}
            order = sorted(releases, key=releases.get)
            size = service[name].batch
            chunks = [order[k : k + size] for k in range(0, len(order), size)]
            jobs = []
            for n, chunk in enumerate(chunks):
                duration = upstream.latency(args, name)
                if name == "arxiv":
                    found = sum(world.arxiv_found(a.split(":", 1)[1]) for a in chunk)
                    duration += args.arxiv_latency_per_entry * found
                release = max(releases[a] for a in chunk)
                jobs.append((release, 0, str(n), duration))
                if name == "crossref" and len(chunk) > 1:
                    # A DOI a list does not return is asked alone (an alias, or not there).
                    jobs += [
                        (release + duration, 1, f"{n}/{a}", duration)
                        for a in chunk
                        if not world.doi_found(a[4:])
                    ]
            ends = _schedule(jobs, service[name].client_concurrency, service[name].client_interval)
            answered[name] = {a: ends[str(n)] for n, chunk in enumerate(chunks) for a in chunk}
            minimum[name] = len(jobs)
            done[name] = max(ends.values(), default=0.0)
        # What the answers reveal, and when.
        moved = False
        for key, times in known.items():
            ids = items[key]
            for name in names:
                if (key, name) not in asked_of or name == "oab":
                    continue
                scheme, ask = asked_of[(key, name)]
                revealed = _answers(world, name, ids, scheme)
                at = answered[name].get(ask)
                if revealed is None or at is None:
                    continue
                for other in revealed:
                    if other in ids and at < times.get(other, math.inf):
                        times[other] = at
                        moved = True
        if not moved:
            break
    result.minimum = minimum
    result.done = done
    result.bound = max(done.values(), default=0.0)
    counts = Counter(s for k in items for s in items[k])
    result.notes.append(
        f"{len(items):,} distinct works; ids of their works: "
        + ", ".join(f"{s} {n:,}" for s, n in sorted(counts.items()))
        + "; last answers: "
        + ", ".join(f"{n} {t:.1f} s" for n, t in sorted(done.items(), key=lambda x: -x[1])[:3])
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
        return self.upstream.get(source, {}).get("requests", 0)

    def violations(self, source: str) -> int:
        return self.upstream.get(source, {}).get("violations", 0)

    def done_at(self, source: str) -> float | None:
        last = self.upstream.get(source, {}).get("last_done")
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
        # Bytecode caches as an installed paperfuse has them: without, each run compiles
        # every module again (0.12 s here, before the first request can leave).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(
            PAPERFUSE_CONFIG=str(self.config),  # not the user's own settings
            PAPERFUSE_CACHE_DIR=str(cache),
            PAPERFUSE_EMAIL=EMAIL,
            PAPERFUSE_ARXIV_URL=self.server.url,
            PAPERFUSE_UNPAYWALL_URL=self.server.url,
            PAPERFUSE_OAB_URL=self.server.url,
            # The sources that landed later, each under its own path of the server.
            **{
                f"PAPERFUSE_{name.upper()}_URL": f"{self.server.url}/{name}"
                for name in upstream.services(self.server.args)
                if name not in ("arxiv", "unpaywall", "oab")
            },
            PAPERFUSE_OPENALEX_API_KEY="benchmark-key",
            PAPERFUSE_DISABLED_PLUGINS="web",  # fetches users' URLs: none in these workloads
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
    bound = math.ceil(requests / concurrency) * upstream.latency(server.args, "unpaywall")
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
        for run in (r for r in (cold, warm) if r is not None):
            for n, source in enumerate(s for s in SOURCES if s in run.upstream):
                minimum = run.plan.minimum.get(source, 0) if run.cold and run.plan else 0
                bound = run.plan.done.get(source) if run.cold and run.plan else None
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
        for run in (r for r in (cold, warm) if r is not None):
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
        for source in (s for s in SOURCES if s in cold.upstream):
            got, least = cold.requests(source), cold.plan.minimum.get(source, 0)
            if got != least:
                over.append(f"{cold.label} {source} {got:,} vs {least:,}")
    lines.append("requests = minimum: " + ("met" if not over else "NOT met: " + "; ".join(over)))
    # Violations.
    bad = [
        f"{run.label} ({'cold' if run.cold else 'warm'}) {s} {run.violations(s)}"
        for cold, warm in pairs
        for run in (cold, warm)
        if run is not None
        for s in SOURCES
        if s in run.upstream and run.violations(s)
    ]
    bad += [
        f"{r.label} {s} {r.violations(s)}"
        for r in compare + memory
        for s in SOURCES
        if s in r.upstream and r.violations(s)
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
        if warm is None:
            continue
        total = sum(warm.requests(s) for s in SOURCES)
        per = warm.result["wall"] * 1000 / max(1, warm.result["records"])
        if total:
            warm_bad.append(f"{warm.label} made {total:,} requests")
        if per >= 1.0:
            warm_bad.append(f"{warm.label} {per:.3f} ms/record")
    per_all = ", ".join(
        f"{w.label.split()[0]} {w.result['wall'] * 1000 / max(1, w.result['records']):.3f}"
        for _, w in pairs
        if w is not None
    )
    if per_all:
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


def latency_label(latency_s: float | None) -> str:
    """A latency as the tables show it: milliseconds, or the upstream's own figures."""
    return "50/300" if latency_s is None else f"{latency_s * 1000:.0f}"


def sweep_table(runs: dict[tuple[str, float | None], list[Run]]) -> tuple[str, list[str]]:
    """One row per workload per latency: medians of the runs, and the verdicts."""
    rows = [["workload", "latency ms", "runs", "wall s", "bound s", "overhead", "range",
             "violations", "binding source"]]  # fmt: skip
    slow = []
    for (label, latency_s), group in runs.items():
        walls = sorted(r.result["wall"] for r in group)
        bound = group[0].plan.bound
        overheads = sorted((w / bound - 1) * 100 for w in walls)
        median = statistics.median(overheads)
        viol = sum(r.violations(s) for r in group for s in SOURCES)
        binding = max(group[0].plan.done.items(), key=lambda x: x[1])[0]
        rows.append([
            label, latency_label(latency_s), str(len(group)), _s(statistics.median(walls)),
            _s(bound), f"{median:+.1f}%", f"{overheads[0]:+.1f}..{overheads[-1]:+.1f}%",
            f"{viol:,}", binding,
        ])  # fmt: skip
        if median > 10:
            slow.append(f"{label} at {latency_label(latency_s)} ms {median:+.1f}%")
    verdict = "within 10% of the bound, every workload at every latency (medians): " + (
        "met" if not slow else "NOT met: " + "; ".join(slow)
    )
    return _table(rows, {1, 2, 3, 4, 5, 6, 7}), [verdict]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smaller workloads, for a smoke run")
    p.add_argument(
        "--latency", default="default,0.15,0.4",
        help="comma-separated upstream latencies in seconds ('default': the upstream's own,"
        " arXiv 0.3 s and others 0.05 s), each a row per workload",
    )  # fmt: skip
    p.add_argument("--repeat", type=int, default=1, help="runs per workload and latency")
    p.add_argument("--warm", action="store_true", help="also a second run on the same cache")
    p.add_argument("--compare", action="store_true", help="the arxiv package on workload (a)")
    p.add_argument("--memory", action="store_true", help="the memory runs")
    p.add_argument("--seeds-only", action="store_true", help="arXiv, Unpaywall and OAB only")
    p.add_argument("--only", choices=("a", "b", "c"), action="append", help="only these workloads")
    p.add_argument("--json", type=Path, help="also write every figure to this file")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))), flush=True)
        return

    if args.quick:
        sizes = {"a": 2_000, "b": 400, "c": 400, "memory": (2_000, 20_000)}
    else:
        sizes = {"a": 10_000, "b": 2_000, "c": 2_000, "memory": (2_000, 20_000, 100_000)}
    specs = {
        "a": ({"workload": "arxiv", "n": sizes["a"]}, f"(a) {sizes['a']:,} arXiv ids"),
        "b": ({"workload": "doi", "n": sizes["b"]}, f"(b) {sizes['b']:,} DOIs"),
        "c": ({"workload": "mixed", "n": sizes["c"]}, f"(c) {sizes['c']:,} mixed"),
    }
    chosen = args.only or ["a", "b", "c"]
    latencies: list[float | None] = [
        None if x.strip() == "default" else float(x) for x in args.latency.split(",") if x.strip()
    ]
    base = MAIN_SERVER + (["--only-seeds"] if args.seeds_only else [])
    started = time.time()
    import paperfuse

    print(
        f"paperfuse {paperfuse.__version__}, Python {sys.version.split()[0]},"
        f" {os.cpu_count()} CPUs; upstream: benchmarks/upstream.py {' '.join(base)}"
        f" --latency {args.latency}; {args.repeat} run(s) each, alternating",
        flush=True,
    )
    pairs: list[tuple[Run, Run | None]] = []
    sweep: dict[tuple[str, float | None], list[Run]] = {}
    plans: dict[tuple[str, float | None], Plan] = {}
    compare: list[Run] = []
    memory: list[Run] = []
    calibration = ""
    with tempfile.TemporaryDirectory(prefix="paperfuse-bench-") as tmp:
        workdir = Path(tmp)
        for repeat in range(args.repeat):
            # Alternate the order, so that a change in the machine's load hits every cell.
            order = latencies if repeat % 2 == 0 else latencies[::-1]
            for latency_s in order:
                server_argv = base if latency_s is None else [*base, "--latency", str(latency_s)]
                with upstream.start(server_argv) as server:
                    bench = Bench(server, workdir)
                    if not calibration and latency_s != 0:
                        calibration = calibration_line(server)
                        print(calibration, flush=True)
                    keys = chosen if repeat % 2 == 0 else chosen[::-1]
                    for key in keys:
                        spec, label = specs[key]
                        if (key, latency_s) not in plans:
                            plans[(key, latency_s)] = plan(list(workload(spec)), server_argv)
                        cache = workdir / f"cache-{key}-{latency_s}-{repeat}"
                        tag = f"{label} @ {latency_label(latency_s)} ms"
                        cold = bench.run(tag, spec, cache, cold=True, plan_=plans[(key, latency_s)])
                        warm = bench.run(tag, spec, cache, cold=False) if args.warm else None
                        sweep.setdefault((label, latency_s), []).append(cold)
                        if repeat == args.repeat - 1:
                            pairs.append((cold, warm))
        if args.compare:
            with upstream.start([*base, "--only-seeds"]) as server:
                bench = Bench(server, workdir)
                spec, _ = specs["a"]
                inputs = list(workload(spec))
                arxiv_plan = plan(inputs, [*base, "--only-seeds"], arxiv_only=True)
                disabled = ",".join(n for n in upstream.SERVICES if n != "arxiv") + ",web"
                ours = bench.run(
                    "paperfuse (arXiv source only)", spec, workdir / "cache-compare", cold=True,
                    plan_=arxiv_plan, extra_env={"PAPERFUSE_DISABLED_PLUGINS": disabled},
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
        if args.memory:
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
    summary, sweep_verdicts = sweep_table(sweep)
    print()
    print(text)
    print()
    print(
        "Wall time against the bound, per workload and upstream latency (medians of the runs;"
        " every service answers after the latency, arXiv 0.1 ms more per entry):"
    )
    print(summary)
    print()
    print("Notes:")
    for cold, _ in pairs:
        idle = cold.upstream.get("unpaywall", {}).get("slot_idle_ms")
        slot = "" if idle is None else f"; a free Unpaywall slot waited {idle:.1f} ms a request"
        print(f"- {cold.label}: {'; '.join(cold.plan.notes)}{slot}")
    if calibration:
        print(f"- {calibration}")
    print()
    print("Targets:")
    for line in sweep_verdicts + verdicts:
        print(f"- {line}")
    print(f"\n(total {time.time() - started:.0f} s)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "sweep": {
                        f"{label} @ {lat}": [_dump(r) for r in group]
                        for (label, lat), group in sweep.items()
                    },
                    "compare": [_dump(r) for r in compare],
                    "memory": [_dump(r) for r in memory],
                    "targets": sweep_verdicts + verdicts,
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
