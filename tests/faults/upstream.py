"""The three built-in services as the hostile server plays them, healthy or not.

``healthy(request)`` answers as the real service would, with recorded bodies
from tests/fixtures/ (see the PROVENANCE.md files there); ``world(faulty,
fault)`` answers every request of one service with ``fault`` and the others
healthily, so that a test sees both what the faulty source reports and that
the others' answers are not lost. Every hostile body here is synthetic, built
in code from a recorded one or from nothing, and says so.

It also builds the configuration and runs resolutions with a bound on time,
so that a resolution that hangs fails its test instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hostile import Hang, HostileServer, Reply, Request, Respond

import paperfuse
import paperfuse_arxiv
import paperfuse_oab
import paperfuse_unpaywall
from paperfuse import Config, SourceReport, SourceSettings, Work, encode_json

FIXTURES = Path(__file__).parent.parent / "fixtures"
SOURCES = ("arxiv", "unpaywall", "oab")
PLUGINS = {"arxiv": paperfuse_arxiv, "unpaywall": paperfuse_unpaywall, "oab": paperfuse_oab}
EMAIL = "fault-suite@example.org"

#: One input per source that only that source answers in the healthy world.
INPUTS = {
    "arxiv": "arXiv:1710.08557",
    "unpaywall": "10.1038/nature12373",
    "oab": "10.1103/PhysRevLett.80.3915",
}
BATCH = tuple(INPUTS.values())
#: Statuses a work may have (docs/record.md).
WORK_STATUSES = {"resolved", "not_found", "ambiguous", "invalid", "error"}


def recorded(name: str) -> bytes:
    """A recorded body from tests/fixtures/ (``arxiv/...``, ``unpaywall/...``, ``oab/...``)."""
    return (FIXTURES / name).read_bytes()


ARXIV_FEED = recorded("arxiv/pubs_id_1710.08557.xml")
ARXIV_EMPTY = recorded("arxiv/rsxiv_id_1201.56789_empty.xml")
UNPAYWALL_OBJECT = recorded("unpaywall/unpywall_10.1038_nature12373.json")
UNPAYWALL_404 = recorded("unpaywall/psu_404_10.000_doi1.json")
OAB_ANSWER = recorded("oab/psu_find_10.1103_physrevlett.80.3915.json")

ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}
JSON = {"Content-Type": "application/json"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
CONTENT_TYPE = {"arxiv": ATOM, "unpaywall": JSON, "oab": JSON}


# -- who is asked what --------------------------------------------------------------------------


def service(request: Request) -> str | None:
    """Which service a request is meant for, by its documented path."""
    path = request.path
    if path.startswith("/api/query"):
        return "arxiv"
    if path.startswith("/v2/"):
        return "unpaywall"
    if path.startswith(("/find", "/metadata")):
        return "oab"
    return None


def asked_ids(request: Request) -> list[str]:
    """The identifiers (or query texts) one request asks about."""
    kind = service(request)
    params = request.params
    if kind == "arxiv":
        return [i for i in params.get("id_list", "").split(",") if i]
    if kind == "unpaywall":
        return [request.path[len("/v2/") :]]
    if kind == "oab":
        return [v for k, v in params.items() if k in ("id", "title", "citation")]
    return []


def healthy(request: Request) -> Reply:
    """The service's real answer (recorded), or its not-found answer."""
    kind = service(request)
    ids = asked_ids(request)
    if kind == "arxiv":
        found = any(i.startswith("1710.08557") for i in ids)
        return Respond(200, ARXIV_FEED if found else ARXIV_EMPTY, ATOM)
    if kind == "unpaywall":
        if ids == ["10.1038/nature12373"]:
            return Respond(200, UNPAYWALL_OBJECT, JSON)
        return Respond(404, UNPAYWALL_404, JSON)
    if kind == "oab" and request.path.startswith("/find"):
        if ids == ["10.1103/physrevlett.80.3915"]:
            return Respond(200, OAB_ANSWER, JSON)
        return Respond(404, b'{"error": "not found"}', JSON)  # synthetic: no 404 was recorded
    return Respond(404, b"not here", {"Content-Type": "text/plain"})


def world(faulty: str, fault: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
    """A handler: ``fault`` for every request of the ``faulty`` service, the truth for others."""

    def handle(request: Request) -> Reply:
        return fault(request) if service(request) == faulty else healthy(request)

    return handle


def counted(
    faulty: str, times: int, fault: Callable[[Request], Reply]
) -> Callable[[Request], Reply]:
    """``fault`` for the first ``times`` requests of ``faulty``, then the truth."""
    seen = 0
    lock = threading.Lock()

    def handle(request: Request) -> Reply:
        nonlocal seen
        if service(request) == faulty:
            with lock:
                seen += 1
                hit = seen <= times
            if hit:
                return fault(request)
        return healthy(request)

    return handle


# -- hostile bodies (all synthetic, most built from a recorded one) -------------------------------

HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>503 Service Temporarily Unavailable</title></head>"
    b"<body><h1>Service Temporarily Unavailable</h1><p>Back soon.</p></body></html>"
)
DEPTH = 100_000
#: The billion laughs, small enough to write out, large enough to hurt when expanded.
XML_BOMB = """<?xml version="1.0" encoding="{encoding}"?>
<!DOCTYPE feed [
<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/1710.08557v1</id>
<title>&lol9;</title></entry></feed>"""
#: External entities naming a file and a URL: a parser resolving them reads one, asks the other.
XXE = """<?xml version="1.0" encoding="{encoding}"?>
<!DOCTYPE feed [
<!ENTITY file SYSTEM "file://{path}">
<!ENTITY remote SYSTEM "{url}">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/1710.08557v1</id>
<title>&file;</title><summary>&remote;</summary></entry></feed>"""


def xml_bomb(encoding: str) -> bytes:
    return XML_BOMB.format(encoding=encoding.upper()).encode(encoding)


def xxe(encoding: str, path: Path, url: str) -> bytes:
    return XXE.format(encoding=encoding.upper(), path=path, url=url).encode(encoding)


def invalid_utf8(kind: str) -> bytes:
    """The recorded body with bytes that are not UTF-8 inside a text value."""
    if kind == "arxiv":
        return ARXIV_FEED.replace(b"Neuromechanical", b"Neuro\xff\xfe\xc3mechanical")
    if kind == "unpaywall":
        return UNPAYWALL_OBJECT.replace(b"Nanometre", b"Nano\xff\xfe\xc3metre")
    return OAB_ANSWER.replace(b"Stable", b"St\xff\xfe\xc3able")


def deeply_nested(kind: str) -> bytes:
    """A body nested 100,000 levels deep, shaped like the service's answer."""
    if kind == "arxiv":
        return (
            b'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            + b"<entry>" * DEPTH
            + b"</entry>" * DEPTH
            + b"</feed>"
        )
    key = b'"title"' if kind == "unpaywall" else b'"metadata"'
    return b'{"doi": "10.1038/nature12373", ' + key + b": " + b"[" * DEPTH + b"]" * DEPTH + b"}"


HUGE = 10**30  # far beyond 2**64


def huge_integer(kind: str) -> bytes:
    """The recorded body with a version or a year larger than 2**64."""
    if kind == "arxiv":
        return ARXIV_FEED.replace(b"1710.08557v1</id>", b"1710.08557v%d</id>" % HUGE)
    if kind == "unpaywall":
        return UNPAYWALL_OBJECT.replace(b'"year": 2013', b'"year": %d' % HUGE)
    return OAB_ANSWER.replace(b'"year": "1998"', b'"year": %d' % HUGE)


def healthy_body(kind: str) -> bytes:
    return {"arxiv": ARXIV_FEED, "unpaywall": UNPAYWALL_OBJECT, "oab": OAB_ANSWER}[kind]


def json_with(body: bytes, change: Callable[[Any], None]) -> bytes:
    """A recorded JSON body, parsed, changed in place by ``change``, and written again."""
    data = json.loads(body)
    change(data)
    return json.dumps(data).encode()


# -- configuration and bounded resolutions --------------------------------------------------------


def settings(kind: str, url: str, overrides: Mapping[str, Any]) -> SourceSettings:
    """Test settings of one source: no politeness waits, no lingering, short timeouts."""
    options = {"empty_feed_retries": 0} if kind == "arxiv" else {}
    values: dict[str, Any] = {
        "url": url,
        "min_interval": 0.0,
        "max_linger": 0.0,
        "timeout": 3.0,
        "call_timeout": 10.0,
        "options": options,
    }
    values.update(overrides)
    return SourceSettings(**values)


def config(
    url: str,
    cache_dir: Path,
    *,
    per_source: Mapping[str, Mapping[str, Any]] | None = None,
    **fields: Any,
) -> Config:
    """A configuration with every built-in source at ``url`` (or its own ``url`` override)."""
    per_source = per_source or {}
    sources = {kind: settings(kind, url, per_source.get(kind, {})) for kind in SOURCES}
    fields.setdefault("email", EMAIL)
    return Config(cache_dir=str(cache_dir), sources=sources, **fields)


@dataclass
class Run:
    """The outcome of a bounded resolution."""

    works: list[Work]
    elapsed: float

    def by_input(self) -> dict[str, Work]:
        return {w.input or "": w for w in self.works}


def resolve(cfg: Config, inputs: Sequence[str], *, bound: float = 15.0) -> Run:
    """Resolve ``inputs`` with the built-in sources; fail the test if it takes over ``bound`` s.

    The resolution runs on an event loop in a thread of its own, cancelled at
    the bound: a resolution that hangs fails the test that caused it and the
    suite goes on.
    """
    result: dict[str, Any] = {}

    async def work() -> list[Work]:
        async with paperfuse.Resolver(cfg, entry_points=False, plugins=PLUGINS) as resolver:
            return [w async for w in resolver.aresolve_many(list(inputs))]

    def run() -> None:
        try:
            result["works"] = asyncio.run(asyncio.wait_for(work(), bound))
        except BaseException as e:  # reported by the test's thread
            result["error"] = e

    started = time.monotonic()
    thread = threading.Thread(target=run, name="bounded-resolution", daemon=True)
    thread.start()
    thread.join(bound + 10)
    elapsed = time.monotonic() - started
    if thread.is_alive():
        pytest.fail(f"the resolution hung: not finished {bound + 10:g} s in, even when cancelled")
    if isinstance(result.get("error"), asyncio.TimeoutError):
        pytest.fail(f"the resolution did not finish within {bound:g} s")
    if "error" in result:
        raise result["error"]
    return Run(works=result["works"], elapsed=elapsed)


# -- what every result must show ------------------------------------------------------------------


def report(work: Work, name: str) -> SourceReport:
    reports = {r.name: r for r in work.sources}
    assert name in reports, f"{work.input}: no report of {name} in {sorted(reports)}"
    return reports[name]


def check_one_result_per_input(works: Sequence[Work], inputs: Iterable[str]) -> None:
    """One result per input, in input order, each with a known status and printable."""
    assert [w.input for w in works] == list(inputs)
    for work in works:
        assert work.status in WORK_STATUSES, f"{work.input}: status {work.status!r}"
        encode_json(work)  # every result can be written out
        if work.status == "error":
            assert work.error, f"{work.input}: status error without a reason"
            assert "internal error" not in work.error, f"{work.input}: {work.error}"


def check_attributed(
    works: Sequence[Work],
    faulty: str,
    *,
    allowed: Iterable[str] = ("error",),
    says: str | None = None,
) -> list[SourceReport]:
    """The faulty source's report in every result it was asked for: an attributed failure.

    Its status is one of ``allowed`` (``error`` unless said otherwise) with a
    reason; the reason never calls an upstream fault a plugin error and, when
    ``says`` is given, holds those words. Returns the reports of the asked.
    """
    allowed = set(allowed)
    asked = [(w, report(w, faulty)) for w in works]
    asked = [(w, r) for w, r in asked if r.status != "skipped"]
    assert asked, f"{faulty} was asked for none of the inputs"
    for work, source in asked:
        where = f"{work.input}: {faulty} reported {source.status} ({source.error})"
        assert source.status in allowed, where
        if source.status in ("error", "gone"):
            assert source.error, where
            assert "plugin error" not in source.error, where
            assert "internal error" not in source.error, where
            if says is not None:  # a source paused after such failures may say only that
                said = says in source.error.lower() or "paused" in source.error.lower()
                assert said, f"{where}: no {says!r} in the reason"
    return [r for _, r in asked]


def check_others_answered(works: Sequence[Work], faulty: str) -> None:
    """Every input that a healthy source answers is resolved by it, whatever the faulty did."""
    found = {w.input: w for w in works}
    for name, text in INPUTS.items():
        if name == faulty or text not in found:
            continue
        work = found[text]
        source = report(work, name)
        assert (work.status, source.status) == ("resolved", "ok"), (
            f"{text}: {work.status}, {name} {source.status} ({source.error}); "
            f"the fault of {faulty} cost another source's answer"
        )


# -- a table of synthetic DOIs, for batches of real processes --------------------------------------


def synthetic_object(doi: str) -> bytes:
    """A minimal Unpaywall DOI object for ``doi`` (synthetic, not a recorded answer)."""
    return json.dumps(
        {
            "doi": doi,
            "title": f"Synthetic record {doi}",
            "year": 2020,
            "is_oa": False,
            "oa_status": "closed",
            "oa_locations": [],
            "z_authors": [{"given": "Ada", "family": "Author", "sequence": "first"}],
        }
    ).encode()


def table(
    *, delay: float = 0.0, hang: Callable[[str], bool] = lambda doi: False
) -> Callable[[Request], Reply]:
    """Unpaywall answering every DOI with a synthetic object after ``delay`` s; ``hang``ing some."""

    def handle(request: Request) -> Reply:
        if service(request) != "unpaywall":
            return healthy(request)
        (doi,) = asked_ids(request)
        if hang(doi):
            return Hang()
        return Respond(200, synthetic_object(doi), JSON, delay=delay)

    return handle


def unpaywall_answers(server: HostileServer) -> dict[str, float]:
    """DOI -> when Unpaywall's answer for it was sent in full (the last time)."""
    return {asked_ids(r)[0]: t for r, t in server.answered_at() if service(r) == "unpaywall"}


def unpaywall_asked(server: HostileServer) -> list[str]:
    """Every DOI Unpaywall was asked, in order, repeats included."""
    return [asked_ids(r)[0] for r in server.asked(lambda r: service(r) == "unpaywall")]


# -- the command line ----------------------------------------------------------------------


class CLI:
    """Runs ``python -m paperfuse.cli`` in a real process, against local servers only."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "paperfuse.cli", *args]

    def run(
        self, *args: str, timeout: float = 60, input: bytes | None = None, **env: str
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            self.command(*args),
            input=input,
            capture_output=True,
            timeout=timeout,
            env={**self.env, **env},
        )

    def start(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.command(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**self.env, **env},
        )


def dois(prefix: str, count: int) -> list[str]:
    """``count`` distinct DOIs of the test prefix."""
    return [f"10.5555/{prefix}-{n}" for n in range(count)]


def listing(tmp_path: Path, inputs: Sequence[str]) -> Path:
    """An input file of ``inputs``, one a line."""
    path = tmp_path / "inputs.txt"
    path.write_text("".join(f"{text}\n" for text in inputs))
    return path


def records(data: bytes) -> list[dict[str, Any]]:
    """The JSON Lines records of a command's output."""
    return [json.loads(line) for line in data.decode().splitlines() if line.strip()]
