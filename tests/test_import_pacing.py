"""Pacing in a library import: what a call costs the source's interval.

Two defects the library-import benchmark (benchmarks/library_import.py) showed
once DataCite and Crossref were in its simulated upstream:

- a call that sends no request (DataCite's answer for a Crossref DOI, known
  from the DOI's registration agency) still took an interval: 400 DOIs kept
  DataCite's worker busy for 400 x 0.3 s, and the batch for two minutes;
- a slot granted to a call that first waited on something else (doi.org's
  answer) was used late, so that two calls started their requests on each
  other's heels, and the upstream counted a violation of Crossref's limit.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import paperfuse
from engine_resolvers import make_resolver
from paperfuse import Identifier, Politeness, Source
from paperfuse.testing import fake_source


def test_calls_that_send_no_request_cost_no_interval() -> None:
    """Five look-ups answered without a request, one every 5 s at most: not 20 s of waiting.

    (A source that does not declare ``paced_by_requests`` keeps its calls an interval
    apart: tests/test_resolver.py, test_interval_of_a_slow_paced_source_holds_...)"""
    source = fake_source(
        "quiet",
        ["doi"],
        batch_size=1,
        politeness=Politeness(min_interval=5.0, max_concurrency=1),
        paced_by_requests=True,  # it says every request goes through its client
    )
    inputs = [f"10.5555/{n}" for n in range(5)]

    async def run() -> list[paperfuse.Work]:
        async with make_resolver(source) as resolver:
            return [w async for w in resolver.aresolve_many(inputs)]

    started = time.monotonic()
    works = asyncio.run(asyncio.wait_for(run(), 60))
    assert [w.status for w in works] == ["not_found"] * 5
    assert len(source.calls) == 5
    # Without giving the unused slot back, the calls start 5 s apart (20 s in all).
    assert time.monotonic() - started < 10


class _Gated(Source):
    """Each call waits for one shared moment (like doi.org's answer for a prefix), then
    sends one request to ``base_url``."""

    name = "gated"
    schemes = ("doi",)
    batch_size = 1
    politeness = Politeness(min_interval=0.3, max_concurrency=3)
    paced_by_requests = True
    base_url = "http://127.0.0.1:1"
    gate: ClassVar[asyncio.Event | None] = None

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, Any]:
        cls = type(self)
        if cls.gate is None:
            cls.gate = asyncio.Event()
            asyncio.get_running_loop().call_later(0.8, cls.gate.set)
        await cls.gate.wait()
        await self.context.client.get(f"{self.context.base_url}/x", params={"id": "1"})
        return dict.fromkeys(identifiers)


def test_slots_used_late_still_keep_the_interval_between_requests(
    httpserver: HTTPServer,
) -> None:
    """Three calls granted 0.3 s apart all wait for one moment: their requests still
    arrive 0.3 s apart, not together."""
    arrivals: list[float] = []

    def handler(request: Request) -> Response:
        arrivals.append(time.monotonic())
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/x").respond_with_handler(handler)
    url = httpserver.url_for("").rstrip("/")
    config = paperfuse.Config(sources={"gated": paperfuse.SourceSettings(url=url)})
    _Gated.gate = None
    inputs = [f"10.5555/{n}" for n in range(3)]

    async def run() -> list[paperfuse.Work]:
        async with make_resolver(_Gated, config=config) as resolver:
            return [w async for w in resolver.aresolve_many(inputs)]

    works = asyncio.run(asyncio.wait_for(run(), 30))
    assert [w.status for w in works] == ["not_found"] * 3
    assert len(arrivals) == 3
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) >= 0.25, gaps
