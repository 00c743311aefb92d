"""A request's own cost: paperfuse's SourceClient over httpcore and over the bulk path.

Unpaywall is asked once per DOI, four at a time, so at 50 ms of latency each
millisecond a request spends in the client adds 2 % to a batch. This script
sends ``--requests`` Unpaywall GETs, ``--concurrency`` at a time, to the
simulated upstream (benchmarks/upstream.py) at each ``--latency``, through:

- ``SourceClient, httpcore``: paperfuse's client as a source uses it (pacer,
  retries, the deadline, bodies decoded and capped, JSON decoded), over
  httpcore, as a pool's first 64 requests are sent;
- ``SourceClient, bulk``: the same over the bulk path (aiohttp behind httpx's
  interface, ``paperfuse._bulk``), as a pool's later requests are sent;
- ``bare httpx`` and ``bare aiohttp``: a loop with no politeness at all, the
  floor of each client here.

Each runs in this process, alternately, ``--repeat`` times. Reported: wall
time against the bound (``ceil(requests / concurrency) * latency``), and the
client's CPU time per request (user + system, this process only; the
upstream runs in a process of its own).

    .venv/bin/pip install -q -e '.[bench]'
    .venv/bin/python benchmarks/http_path.py
    .venv/bin/python benchmarks/http_path.py --latency 0,0.05 --requests 1500 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import math
import resource
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import upstream
from library_import import EMAIL, MAIN_SERVER, _table

Loop = Callable[[str, int, int], Awaitable[None]]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _doi_url(url: str, i: int) -> str:
    return f"{url}/v2/10.1016/j.calibration.{i:06d}"


async def _workers(concurrency: int, requests: int, one: Callable[[int], Awaitable[None]]) -> None:
    todo = iter(range(requests))

    async def worker() -> None:
        for i in todo:
            await one(i)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def _source_client(bulk: bool, pump: bool = False) -> Loop:
    async def run(url: str, requests: int, concurrency: int) -> None:
        import httpx

        from paperfuse._http import CALLS_AHEAD, Pacer, SourceClient, user_agent
        from paperfuse._pump import RequestPump
        from paperfuse._transport import LazyTransport

        bulk_after = 0 if bulk else sys.maxsize
        transport = LazyTransport(bulk_after=bulk_after)
        # As a resolver runs such a source: calls ahead of the request slots.
        calls = concurrency * CALLS_AHEAD if pump else concurrency
        pumped = RequestPump(bulk_after=bulk_after) if pump else None
        async with httpx.AsyncClient(
            headers={"User-Agent": user_agent(EMAIL)}, transport=transport
        ) as http:
            client = SourceClient(
                name="unpaywall",
                http=http,
                pacer=Pacer(0.0, concurrency, max_calls=calls),
                secrets=(EMAIL,),
                pump=pumped,
            )

            async def one(i: int) -> None:
                response = await client.get(_doi_url(url, i), params={"email": EMAIL})
                client.decode_json(response)

            try:
                await _workers(calls, requests, one)
            finally:
                if pumped is not None:
                    await pumped.aclose()

    return run


async def _bare_httpx(url: str, requests: int, concurrency: int) -> None:
    import httpx

    async with httpx.AsyncClient() as http:

        async def one(i: int) -> None:
            (await http.get(_doi_url(url, i), params={"email": EMAIL})).json()

        await _workers(concurrency, requests, one)


async def _bare_aiohttp(url: str, requests: int, concurrency: int) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:

        async def one(i: int) -> None:
            async with session.get(_doi_url(url, i), params={"email": EMAIL}) as response:
                await response.json()

        await _workers(concurrency, requests, one)


CLIENTS: dict[str, Loop] = {
    "SourceClient, httpcore": _source_client(bulk=False),
    "SourceClient, bulk": _source_client(bulk=True),
    "SourceClient, pump": _source_client(bulk=True, pump=True),
    "bare httpx": _bare_httpx,
    "bare aiohttp": _bare_aiohttp,
}


def _measure(loop: Loop, url: str, requests: int, concurrency: int) -> tuple[float, float]:
    async def timed() -> tuple[float, float]:
        await loop(url, 1, 1)  # imports and first connection, not counted
        cpu, start = _cpu(), time.perf_counter()
        await loop(url, requests, concurrency)
        return time.perf_counter() - start, _cpu() - cpu

    return asyncio.run(timed())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--latency", default="0,0.05", help="comma-separated latencies in seconds")
    p.add_argument("--requests", type=int, default=1_000)
    p.add_argument("--concurrency", type=int, default=4, help="Unpaywall's default is 4")
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args()
    rows = []
    for latency in (float(x) for x in args.latency.split(",")):
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in CLIENTS}
        with upstream.start([*MAIN_SERVER, "--latency", str(latency)]) as server:
            for repeat in range(args.repeat):
                names = list(CLIENTS) if repeat % 2 == 0 else list(CLIENTS)[::-1]
                for name in names:
                    server.reset()
                    figures[name].append(
                        _measure(CLIENTS[name], server.url, args.requests, args.concurrency)
                    )
        bound = math.ceil(args.requests / args.concurrency) * latency
        for name, runs in figures.items():
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs) / args.requests * 1000
            over = f"{(wall / bound - 1) * 100:+.1f}%" if bound else "-"
            rows.append([name, f"{latency * 1000:.0f}", f"{wall:.2f}", f"{bound:.2f}", over,
                         f"{cpu:.2f}"])  # fmt: skip
    header = ["client", "latency ms", "wall s", "bound s", "overhead", "CPU ms/request"]
    print(
        f"{args.requests} Unpaywall GETs, {args.concurrency} at a time; medians of"
        f" {args.repeat} alternating runs"
    )
    print(_table([header, *rows], right={1, 2, 3, 4, 5}))


if __name__ == "__main__":
    main()
