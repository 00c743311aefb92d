"""A simulated upstream for benchmarks: arXiv, Unpaywall and Open Access Button on one port.

Every answer is built from the recorded responses in tests/fixtures/ (their
shapes are never invented), with identifiers rewritten so that each asked
identifier gets a record of its own:

- arXiv ``GET|POST /api/query``: an ``id_list`` gets an Atom feed with one
  entry per id (a recorded entry of the two recorded 100-entry search feeds,
  its id, links and version rewritten), honouring ``start`` and
  ``max_results`` like the real API (``max_results`` defaults to 10; an id
  list longer than ``max_results`` gives ``max_results`` entries and the
  whole count in ``opensearch:totalResults``). Ids in the "missing" set are
  left out, as the API leaves out ids it does not know. A fraction of the
  entries carry an ``<arxiv:doi>`` (and the classic DOI link), so a client
  then asks Unpaywall about that DOI. An id that is no arXiv id gets the
  recorded error feed ("incorrect id format for ...", HTTP 400). A
  ``search_query`` gets the recorded search feed.
- Unpaywall ``GET /v2/{doi}`` (422 without ``email``, like the real API): a
  recorded DOI object with its DOI rewritten. For a fraction of DOIs its arXiv
  location (``oai:arXiv.org:...`` and arxiv.org URLs) points at an arXiv id
  derived from the DOI, so that a client asks arXiv in a second round; the
  others get a recorded object without an arXiv location. PMC numbers are
  rewritten too, so that no two DOIs share one. A fraction may be missing
  (the recorded 404 body). ``GET /v2/search`` gets the recorded search answer.
- Open Access Button ``GET /find``, ``GET|POST /metadata``: HTTP 410,
  "permanently shut down" (the service's real state since November 2025);
  with ``--oab-alive``, the recorded ``/find`` answer instead.

The world is consistent: the DOI of an arXiv entry leads (through Unpaywall)
back to that arXiv id, and an arXiv id that Unpaywall revealed for a DOI
carries that DOI. :class:`World` holds these rules, so that a benchmark can
predict what a batch must ask and compute the minimum number of requests.

Latency is per service (arXiv: a base plus a little per entry served).

Rate limits are enforced, defaults being the documented politeness: arXiv one
request every 3 s and one at a time; Unpaywall at most 4 requests in flight;
Open Access Button one request per second, one at a time. A request that
arrives less than ``interval - tolerance`` after the previous request to the
same service (refused or not: every arrival counts), or while ``concurrency``
requests to it are in flight, is answered 429 with ``Retry-After`` and
counted as a violation of that service. The tolerance (default 50 ms) absorbs
the jitter between the client stamping a request and this server reading it:
both run on one machine, where that gap is a few milliseconds. A request is
"in flight" from its arrival (its headers read) until its handler has built
the answer, so the count can never exceed what the client has outstanding.

``GET /_stats`` returns JSON per service (requests, violations, statuses,
largest number in flight, smallest gap between arrivals, arrival times on
``time.monotonic()``, which on Linux every process shares); ``POST /_reset``
zeroes them. Run it standalone::

    .venv/bin/python benchmarks/upstream.py --port 8765 [--arxiv-interval 3 ...]

or from Python with :func:`start`, which runs it in a subprocess (so that its
CPU does not compete with a client in one interpreter) and waits until it
answers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import hashlib
import json
import math
import re
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV_NS = "{http://arxiv.org/schemas/atom}"

ARXIV_ENTRIES = (
    "arxiv/arxivvanity_query_cs_ml_start0_max100.xml",
    "arxiv/arxivvanity_query_cs_ml_start100_max100.xml",
)
ARXIV_ERROR = "arxiv/arxivdocs_error_incorrect_id_format_1234.12345.xml"
ARXIV_SEARCH = "arxiv/rsxiv_search_electron_and_proton.xml"
#: Recorded DOI objects with an arXiv location (the DOI, the arXiv id, the PMC number).
UNPAYWALL_WITH_ARXIV = (
    ("unpaywall/unpywall_10.1038_nature12373.json", "1304.1068", "4221854"),
    ("unpaywall/unpywall_10.1103_physreve.88.012814.json", "1304.0473", None),
)
#: Recorded DOI objects without one.
UNPAYWALL_WITHOUT_ARXIV = (
    ("unpaywall/unpywall_10.1016_j.envint.2020.105730.json", None, "7151430"),
    ("unpaywall/unpywall_10.1016_j.jns.2020.116832.json", None, "7151535"),
    ("unpaywall/unpywall_10.1016_j.tmaid.2020.101663.json", None, "7151271"),
)
UNPAYWALL_404 = "unpaywall/psu_404_10.000_doi1.json"
UNPAYWALL_SEARCH = "unpaywall/psu_search_stable_characteristic_evolution_2023-09.json"
OAB_FIND = "oab/psu_find_10.1103_physrevlett.80.3915.json"
#: What the Open Access Button API answers since November 2025 (as in tests/test_oab.py).
OAB_GONE = {"error": "The Open Access Button API has been permanently shut down.", "status": 410}

#: The prefix of DOIs this world gives to arXiv entries (Crossref's test prefix).
ARXIV_DOI_PREFIX = "10.5555/pfbench.arxiv."
_NEW_ID = re.compile(r"^(\d{4})\.(\d{4,5})(?:v(\d+))?$")
_OLD_ID = re.compile(r"^([a-z-]+(?:\.[A-Z]{2})?)/(\d{7})(?:v(\d+))?$")


def unit(kind: str, text: str) -> float:
    """A deterministic number in [0, 1) for ``text`` (the same in every process)."""
    digest = hashlib.blake2b(f"{kind}:{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def split_version(arxiv_id: str) -> tuple[str, int | None] | None:
    """``(id without version, version)``, or None when ``arxiv_id`` is no arXiv id."""
    for pattern in (_NEW_ID, _OLD_ID):
        match = pattern.match(arxiv_id)
        if match:
            version = match.group(3)
            base = arxiv_id[: match.start(3) - 1] if version else arxiv_id
            return base, int(version) if version else None
    return None


@dataclass
class World:
    """The rules that tie identifiers together, shared by the server and the benchmark."""

    #: Share of arXiv entries that carry a journal DOI.
    arxiv_doi_fraction: float = 0.3
    #: Share of arXiv ids the API does not know (left out of feeds).
    arxiv_missing_fraction: float = 0.0
    #: arXiv ids always left out.
    arxiv_missing: frozenset[str] = frozenset()
    #: Share of DOIs whose Unpaywall object has an arXiv copy (a derived arXiv id).
    unpaywall_arxiv_fraction: float = 0.3
    #: Share of DOIs Unpaywall does not know (404).
    unpaywall_missing_fraction: float = 0.0
    #: arXiv ids revealed by Unpaywall, with the DOI that revealed them.
    _origin: dict[str, str] = field(default_factory=dict, repr=False)

    def arxiv_found(self, base_id: str) -> bool:
        if base_id in self.arxiv_missing:
            return False
        return unit("arxiv-missing", base_id) >= self.arxiv_missing_fraction

    def arxiv_doi(self, base_id: str) -> str | None:
        """The journal DOI of an arXiv entry, if it has one."""
        origin = self._origin.get(base_id)
        if origin is not None:
            return origin
        if unit("arxiv-doi", base_id) < self.arxiv_doi_fraction:
            return ARXIV_DOI_PREFIX + base_id
        return None

    def doi_found(self, doi: str) -> bool:
        if doi.startswith(ARXIV_DOI_PREFIX):
            return True  # arXiv's own DOIs are registered
        return unit("doi-missing", doi) >= self.unpaywall_missing_fraction

    def doi_arxiv(self, doi: str) -> str | None:
        """The arXiv id of the arXiv copy Unpaywall lists for ``doi`` (lower-cased), if any."""
        if doi.startswith(ARXIV_DOI_PREFIX):
            return doi[len(ARXIV_DOI_PREFIX) :]
        if unit("doi-arxiv", doi) >= self.unpaywall_arxiv_fraction:
            return None
        # Months 1801-1912 are never used by the benchmark's own id lists.
        h = int(unit("doi-arxiv-id", doi) * 24 * 99_999)
        month, number = divmod(h, 99_999)
        arxiv_id = f"{18 + month // 12}{month % 12 + 1:02d}.{number + 1:05d}"
        self._origin.setdefault(arxiv_id, doi)
        return arxiv_id

    @staticmethod
    def doi_pmc(doi: str) -> str:
        """The PMC number Unpaywall's PMC locations give for ``doi``."""
        return str(1_000_000 + int(unit("doi-pmc", doi) * 8_999_999))


# -- recorded material, prepared once -------------------------------------------------------


class _Template:
    """A piece of recorded bytes with markers, filled by joining (fast for 2,000 entries)."""

    def __init__(self, text: bytes, markers: tuple[bytes, ...]) -> None:
        pattern = b"(" + b"|".join(re.escape(m) for m in markers) + b")"
        self.parts = re.split(pattern, text)

    def fill(self, values: dict[bytes, bytes]) -> bytes:
        return b"".join(values.get(p, p) for p in self.parts)


_ID = b"\x00ID\x00"
_VID = b"\x00VID\x00"
_DOI = b"\x00DOI\x00"


def _arxiv_entry_templates() -> list[_Template]:
    from lxml import etree

    templates = []
    for name in ARXIV_ENTRIES:
        root = etree.fromstring((FIXTURES / name).read_bytes())
        for entry in root.iterchildren(f"{ATOM}entry"):
            entry = copy.deepcopy(entry)
            entry.tail = None
            full = entry.findtext(f"{ATOM}id").rsplit("/abs/", 1)[1]
            base, _ = split_version(full)
            for child in list(entry):
                if child.tag == f"{ARXIV_NS}doi" or (
                    child.tag == f"{ATOM}link" and child.get("title") == "doi"
                ):
                    entry.remove(child)
            text = etree.tostring(entry, encoding="UTF-8", xml_declaration=False)
            text = re.sub(re.escape(base.encode()) + rb"v\d+", _VID, text)
            text = text.replace(base.encode(), _ID)
            head, _, tail = text.rpartition(b"</entry>")
            templates.append(_Template(head + _DOI + b"</entry>" + tail, (_ID, _VID, _DOI)))
    return templates


def _feed_frame() -> tuple[bytes, bytes]:
    """The recorded feed around its entries, with markers for the opensearch figures."""
    text = (FIXTURES / ARXIV_ENTRIES[0]).read_bytes()
    head = text[: text.index(b"<entry>")].rstrip() + b"\n"
    tail = b"\n" + text[text.rindex(b"</entry>") + len(b"</entry>") :].lstrip()
    for tag in (b"totalResults", b"startIndex", b"itemsPerPage"):
        marker = b"\x00" + tag + b"\x00"
        head = re.sub(
            rb"(<opensearch:" + tag + rb"[^>]*>)\d+(<)",
            lambda m, marker=marker: m[1] + marker + m[2],
            head,
        )
    head = re.sub(rb"<link [^>]*rel=\"self\"[^>]*/>\s*", b"", head)
    head = re.sub(
        rb"<title[^>]*>.*?</title>", b'<title type="html">ArXiv Query</title>', head, flags=re.S
    )
    return head, tail


def _unpaywall_template(name: str, arxiv_id: str | None, pmc: str | None) -> tuple[str, str]:
    """The recorded DOI object as JSON text with markers, and its recorded DOI."""
    data = json.loads((FIXTURES / name).read_text())
    doi = data["doi"]
    text = json.dumps(data, separators=(",", ":"))
    text = re.sub(re.escape(doi), "\x00DOI\x00", text, flags=re.I)
    if arxiv_id:
        text = text.replace(arxiv_id, "\x00ARXIV\x00")
    if pmc:
        text = text.replace(pmc, "\x00PMC\x00")
    return text, doi


# -- the server ----------------------------------------------------------------------------


@dataclass
class Limits:
    """A service's latency and enforced rate limits."""

    latency: float
    interval: float = 0.0
    concurrency: int = 0  # 0: no limit
    per_entry: float = 0.0


@dataclass
class ServiceStats:
    requests: int = 0
    violations: int = 0
    too_early: int = 0
    too_many: int = 0
    statuses: Counter = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    min_gap: float | None = None
    first_arrival: float | None = None
    last_arrival: float | None = None
    last_done: float | None = None
    ids_asked: int = 0
    entries_served: int = 0
    #: (arrival, done, status) of every request, sent only when asked (``/_stats?trace=1``).
    trace: list[tuple[float, float, int]] = field(default_factory=list)

    def as_json(self, trace: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not trace:
            del data["trace"]
        data["statuses"] = {str(k): v for k, v in sorted(self.statuses.items())}
        return data


class Upstream:
    """The three services, their rules and their counters."""

    def __init__(
        self,
        world: World,
        limits: dict[str, Limits],
        *,
        tolerance: float = 0.05,
        oab_alive: bool = False,
    ) -> None:
        self.world = world
        self.limits = limits
        self.tolerance = tolerance
        self.oab_alive = oab_alive
        self.stats = {name: ServiceStats() for name in limits}
        self.entries = _arxiv_entry_templates()
        self.feed_head, self.feed_tail = _feed_frame()
        self.head_template = _Template(
            self.feed_head,
            (b"\x00totalResults\x00", b"\x00startIndex\x00", b"\x00itemsPerPage\x00"),
        )
        self.error_feed = (FIXTURES / ARXIV_ERROR).read_bytes()
        self.search_feed = (FIXTURES / ARXIV_SEARCH).read_bytes()
        self.with_arxiv = [_unpaywall_template(*t) for t in UNPAYWALL_WITH_ARXIV]
        self.without_arxiv = [_unpaywall_template(*t) for t in UNPAYWALL_WITHOUT_ARXIV]
        self.not_found = json.loads((FIXTURES / UNPAYWALL_404).read_text())
        self.unpaywall_search = (FIXTURES / UNPAYWALL_SEARCH).read_bytes()
        self.oab_find = json.loads((FIXTURES / OAB_FIND).read_text())

    # -- politeness ---------------------------------------------------------------------

    def admit(self, service: str) -> tuple[float, str | None]:
        """Count an arrival; the time, and a reason when it breaks the service's limits."""
        now = time.monotonic()
        stats, limits = self.stats[service], self.limits[service]
        stats.requests += 1
        if stats.first_arrival is None:
            stats.first_arrival = now
        reason = None
        if stats.last_arrival is not None:
            gap = now - stats.last_arrival
            stats.min_gap = gap if stats.min_gap is None else min(stats.min_gap, gap)
            if limits.interval and gap < limits.interval - self.tolerance:
                stats.too_early += 1
                reason = (
                    f"{gap:.3f} s after the previous request; the limit is {limits.interval:g} s"
                )
        stats.last_arrival = now
        if reason is None and limits.concurrency and stats.in_flight >= limits.concurrency:
            stats.too_many += 1
            reason = (
                f"{stats.in_flight} requests already in flight; the limit is {limits.concurrency}"
            )
        if reason is not None:
            stats.violations += 1
        return now, reason

    async def handle(self, service: str, request: Any, answer: Any) -> Any:
        """Admit, answer (after the service's latency) and count one request."""
        from aiohttp import web

        arrival, reason = self.admit(service)
        stats = self.stats[service]
        if reason is not None:
            limits = self.limits[service]
            wait = max(1, math.ceil(limits.interval)) if limits.interval else 1
            stats.statuses[429] += 1
            stats.trace.append((arrival, arrival, 429))
            return web.json_response(
                {"HTTP_status_code": 429, "error": True, "message": f"Too many requests: {reason}"},
                status=429,
                headers={"Retry-After": str(wait)},
            )
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            status, body, content_type, entries = await answer(request)
            latency = self.limits[service].latency + self.limits[service].per_entry * entries
            delay = arrival + latency - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        finally:
            stats.in_flight -= 1
            stats.last_done = time.monotonic()
        stats.statuses[status] += 1
        stats.entries_served += entries
        stats.trace.append((arrival, stats.last_done, status))
        return web.Response(body=body, status=status, content_type=content_type, charset="utf-8")

    # -- arXiv --------------------------------------------------------------------------

    async def arxiv(self, request: Any) -> tuple[int, bytes, str, int]:
        params = dict(request.query)
        if request.method == "POST":
            params.update(await request.post())
        atom = "application/atom+xml"
        id_list = [i.strip() for i in str(params.get("id_list", "")).split(",") if i.strip()]
        if not id_list:
            if params.get("search_query"):
                return 200, self.search_feed, atom, 0
            return 200, self.feed([], 0, 0, 10), atom, 0
        self.stats["arxiv"].ids_asked += len(id_list)
        asked: list[tuple[str, int | None]] = []
        for text in dict.fromkeys(id_list):
            parsed = split_version(text)
            if parsed is None:
                return 400, self.error_feed.replace(b"1234.12345", escape(text).encode()), atom, 0
            asked.append(parsed)
        try:
            start = max(0, int(params.get("start", 0)))
            size = max(0, int(params.get("max_results", 10)))
        except ValueError:
            return 400, self.error_feed, atom, 0
        found = [(base, v) for base, v in asked if self.world.arxiv_found(base)]
        page = found[start : start + size]
        return 200, self.feed(page, len(found), start, size), atom, len(page)

    def feed(self, page: list[tuple[str, int | None]], total: int, start: int, size: int) -> bytes:
        parts = [
            self.head_template.fill(
                {
                    b"\x00totalResults\x00": str(total).encode(),
                    b"\x00startIndex\x00": str(start).encode(),
                    b"\x00itemsPerPage\x00": str(size).encode(),
                }
            )
        ]
        for base, version in page:
            template = self.entries[int(unit("entry", base) * len(self.entries))]
            doi = self.world.arxiv_doi(base)
            doi_xml = b""
            if doi:
                d = escape(doi).encode()
                doi_xml = (
                    b'<arxiv:doi xmlns:arxiv="http://arxiv.org/schemas/atom">' + d + b"</arxiv:doi>"
                    b'<link title="doi" href="http://dx.doi.org/' + d + b'" rel="related"/>'
                )
            b = base.encode()
            parts.append(template.fill({_ID: b, _VID: b + b"v%d" % (version or 1), _DOI: doi_xml}))
            parts.append(b"\n")
        parts.append(self.feed_tail)
        return b"".join(parts)

    # -- Unpaywall ----------------------------------------------------------------------

    async def unpaywall(self, request: Any) -> tuple[int, bytes, str, int]:
        email = request.query.get("email", "")
        if "@" not in email:
            body = {
                "HTTP_status_code": 422,
                "error": True,
                "message": "You must provide a valid email address, like ?email=you@example.com",
            }
            return 422, json.dumps(body).encode(), "application/json", 0
        doi = request.match_info["doi"].strip().lower()
        if doi == "search":
            return 200, self.unpaywall_search, "application/json", 0
        if not self.world.doi_found(doi):
            body = dict(self.not_found)
            body["message"] = body["message"].replace("10.000/doi1", doi)
            return 404, json.dumps(body, indent=4).encode(), "application/json", 0
        arxiv_id = self.world.doi_arxiv(doi)
        pool = self.with_arxiv if arxiv_id else self.without_arxiv
        text, _ = pool[int(unit("doi-template", doi) * len(pool))]
        for marker, value in (
            ("\x00DOI\x00", doi),
            ("\x00ARXIV\x00", arxiv_id or ""),
            ("\x00PMC\x00", self.world.doi_pmc(doi)),
        ):
            text = text.replace(marker, json.dumps(value)[1:-1])
        return 200, text.encode(), "application/json", 0

    # -- Open Access Button ---------------------------------------------------------------

    async def oab(self, request: Any) -> tuple[int, bytes, str, int]:
        if not self.oab_alive:
            return 410, json.dumps(OAB_GONE).encode(), "application/json", 0
        answer = copy.deepcopy(self.oab_find)
        asked = request.query.get("id", "")
        if asked.startswith("10."):
            answer["metadata"]["doi"] = asked
        if request.path.endswith("/metadata"):
            answer = {"metadata": answer["metadata"]}
        return 200, json.dumps(answer).encode(), "application/json", 0

    # -- the application ----------------------------------------------------------------

    def app(self) -> Any:
        from aiohttp import web

        def route(service: str, answer: Any) -> Any:
            async def handler(request: web.Request) -> web.StreamResponse:
                return await self.handle(service, request, answer)

            return handler

        async def stats(request: web.Request) -> web.StreamResponse:
            return web.json_response(
                {
                    "now": time.monotonic(),
                    "services": {
                        k: v.as_json(trace=request.query.get("trace") == "1")
                        for k, v in self.stats.items()
                    },
                    "limits": {k: asdict(v) for k, v in self.limits.items()},
                    "tolerance": self.tolerance,
                }
            )

        async def reset(request: web.Request) -> web.StreamResponse:
            self.stats = {name: ServiceStats() for name in self.limits}
            return web.json_response({"reset": True})

        # Id lists of 2,000 (or, from the arxiv package, 10,000) ids go in the URL or body.
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("GET", "/api/query", route("arxiv", self.arxiv))
        app.router.add_route("POST", "/api/query", route("arxiv", self.arxiv))
        app.router.add_route("GET", "/v2/{doi:.+}", route("unpaywall", self.unpaywall))
        app.router.add_route("GET", "/find", route("oab", self.oab))
        app.router.add_route("GET", "/metadata", route("oab", self.oab))
        app.router.add_route("POST", "/metadata", route("oab", self.oab))
        app.router.add_route("GET", "/_stats", stats)
        app.router.add_route("POST", "/_reset", reset)
        return app


async def serve(upstream: Upstream, host: str, port: int) -> None:
    from aiohttp import web

    runner = web.AppRunner(
        upstream.app(),
        access_log=None,
        # The arxiv package puts a whole id list (10,000 ids: 110 kB) in every URL.
        max_line_size=1024 * 1024,
        max_field_size=1024 * 1024,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024)
    await site.start()
    bound = runner.addresses[0]
    print(json.dumps({"url": f"http://{bound[0]}:{bound[1]}"}), flush=True)
    await asyncio.Event().wait()


# -- command line and subprocess -------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--tolerance", type=float, default=0.05, help="seconds of jitter allowed")
    p.add_argument("--arxiv-latency", type=float, default=0.3)
    p.add_argument("--arxiv-latency-per-entry", type=float, default=0.0001)
    p.add_argument("--arxiv-interval", type=float, default=3.0)
    p.add_argument("--arxiv-concurrency", type=int, default=1)
    p.add_argument("--unpaywall-latency", type=float, default=0.05)
    p.add_argument("--unpaywall-interval", type=float, default=0.0)
    p.add_argument("--unpaywall-concurrency", type=int, default=4)
    p.add_argument("--oab-latency", type=float, default=0.05)
    p.add_argument("--oab-interval", type=float, default=1.0)
    p.add_argument("--oab-concurrency", type=int, default=1)
    p.add_argument("--oab-alive", action="store_true", help="answer /find instead of 410")
    p.add_argument("--arxiv-doi-fraction", type=float, default=0.3)
    p.add_argument("--arxiv-missing-fraction", type=float, default=0.0)
    p.add_argument("--arxiv-missing", default="", help="comma-separated ids left out")
    p.add_argument("--unpaywall-arxiv-fraction", type=float, default=0.3)
    p.add_argument("--unpaywall-missing-fraction", type=float, default=0.0)
    return p


def from_args(args: argparse.Namespace) -> Upstream:
    world = World(
        arxiv_doi_fraction=args.arxiv_doi_fraction,
        arxiv_missing_fraction=args.arxiv_missing_fraction,
        arxiv_missing=frozenset(i for i in args.arxiv_missing.split(",") if i),
        unpaywall_arxiv_fraction=args.unpaywall_arxiv_fraction,
        unpaywall_missing_fraction=args.unpaywall_missing_fraction,
    )
    limits = {
        "arxiv": Limits(
            args.arxiv_latency,
            args.arxiv_interval,
            args.arxiv_concurrency,
            args.arxiv_latency_per_entry,
        ),
        "unpaywall": Limits(
            args.unpaywall_latency, args.unpaywall_interval, args.unpaywall_concurrency
        ),
        "oab": Limits(args.oab_latency, args.oab_interval, args.oab_concurrency),
    }
    return Upstream(world, limits, tolerance=args.tolerance, oab_alive=args.oab_alive)


def world_from_args(argv: list[str]) -> World:
    """The :class:`World` a server started with ``argv`` uses."""
    args = parser().parse_args(argv)
    return World(
        arxiv_doi_fraction=args.arxiv_doi_fraction,
        arxiv_missing_fraction=args.arxiv_missing_fraction,
        arxiv_missing=frozenset(i for i in args.arxiv_missing.split(",") if i),
        unpaywall_arxiv_fraction=args.unpaywall_arxiv_fraction,
        unpaywall_missing_fraction=args.unpaywall_missing_fraction,
    )


class Server:
    """The simulated upstream in a subprocess; a context manager."""

    def __init__(self, argv: list[str] = ()) -> None:
        self.argv = ["--port", "0", *argv]
        self.args = parser().parse_args(self.argv)
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), *self.argv],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()  # written once the port listens
        if not line:
            raise RuntimeError(f"the simulated upstream did not start (exit {self.process.wait()})")
        self.url = json.loads(line)["url"]
        self.stats()  # and answers
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def _call(self, method: str, path: str) -> Any:
        request = urllib.request.Request(
            self.url + path, method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def stats(self, trace: bool = False) -> dict[str, Any]:
        return self._call("GET", "/_stats?trace=1" if trace else "/_stats")

    def reset(self) -> None:
        self._call("POST", "/_reset")


def start(argv: list[str] = ()) -> Server:
    """A :class:`Server` (use it with ``with``) running with the command-line ``argv``."""
    return Server(list(argv))


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(from_args(args), args.host, args.port))


if __name__ == "__main__":
    main()
