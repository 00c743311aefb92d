"""Secrets under the most verbose logging, through redirects and errors.

The contact email and an Open Access Button API key are set to marker strings;
the hostile server redirects (to its own origin with the email in the
Location, and to another origin), and answers errors whose bodies quote the
secrets where a 120-character excerpt cuts them in half. The promise (issue
10, points 3 and 15; docs/configuration.md): no secret, whole, URL-encoded or
in part, appears in output, errors, provenance, logs or the cache file, and
another origin is never sent one.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
import upstream
from hostile import HostileServer, Reply, Request, Respond
from upstream import CLI, INPUTS

from installed_plugins import BUILT_IN_PLUGINS
from paperfuse import encode_json

pytestmark = [pytest.mark.faults, pytest.mark.usefixtures("http_path")]

EMAIL = "secret-probe-91@example.org"
KEY = "key-probe-7731"
#: What must never be found: each secret's distinctive parts, so that a secret
#: cut short (``secret-probe-91%40ex``) or URL-encoded is found too.
NEEDLES = (b"secret-probe", b"probe-91", b"key-probe", b"probe-7731")
#: The excerpts of error bodies are 120 characters: these bodies put a secret across the cut.
CUT = 120


def _across_the_cut(secret: str) -> bytes:
    """A body whose first 120 characters end three characters short of the end of ``secret``."""
    return b"E" * (CUT - len(secret) + 3) + secret.encode() + b" (echoed by a hostile server)"


def _found(haystack: bytes) -> list[str]:
    low = haystack.lower()
    return [n.decode() for n in NEEDLES if n in low]


def hostile_handler(elsewhere: HostileServer) -> Callable[[Request], Reply]:
    """Every source meets a redirect and an error that quote the secrets (synthetic bodies)."""

    def handle(request: Request) -> Reply:
        kind = upstream.service(request)
        ids = upstream.asked_ids(request)
        if kind == "arxiv":  # to another origin, which echoes what it was sent
            return Respond(302, b"", {"Location": f"{elsewhere.url}/echo"})
        if kind == "unpaywall":
            if ids == ["10.1038/nature12373"]:
                return upstream.healthy(request)  # something to cache
            if request.path.endswith("/again"):
                return Respond(400, _across_the_cut(quote(EMAIL, safe="")), upstream.JSON)
            # A redirect on the same origin, its Location carrying the email.
            location = f"{request.path}/again?email={quote(EMAIL, safe='')}"
            return Respond(302, b"", {"Location": location})
        if kind == "oab":
            if ids == ["10.1103/physrevlett.80.3915"]:
                return Respond(302, b"", {"Location": f"{elsewhere.url}/find?id={ids[0]}"})
            return Respond(400, _across_the_cut(KEY), upstream.JSON)
        return Respond(404)

    return handle


def echo(request: Request) -> Reply:
    """The other origin: answers with the request it got (so a leak shows twice)."""
    if upstream.service(request) == "oab":
        return upstream.healthy(request)
    return Respond(200, b"<html><pre>" + request.raw + b"</pre></html>", upstream.HTML)


INPUTS_WITH_SECRETS = [*upstream.BATCH, "10.5555/secret-redirect"]


def test_no_secret_in_results_logs_or_cache_at_debug_level(
    server: HostileServer,
    elsewhere: HostileServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.handler = hostile_handler(elsewhere)
    elsewhere.handler = echo
    for name in ("", "paperfuse", "httpx", "httpcore", "stamina", "asyncio"):
        caplog.set_level(logging.DEBUG, logger=name)
    cfg = upstream.config(
        server.url, tmp_path / "cache", email=EMAIL, per_source={"oab": {"api_key": KEY}}
    )
    run = upstream.resolve(cfg, INPUTS_WITH_SECRETS)
    upstream.check_one_result_per_input(run.works, INPUTS_WITH_SECRETS)
    assert upstream.report(run.by_input()[INPUTS["unpaywall"]], "unpaywall").status == "ok"
    assert len(caplog.records) > 10, "the verbose logging did not reach the test"

    places = {
        "results": b"\n".join(encode_json(w) for w in run.works),
        "results (repr)": repr(run.works).encode(),
        "log text": caplog.text.encode(),
        "log messages": "\n".join(r.getMessage() for r in caplog.records).encode(),
        "the other origin": elsewhere.raw_bytes(),
    }
    for path in sorted((tmp_path / "cache").iterdir()):
        places[f"cache file {path.name}"] = path.read_bytes()
    leaks = {where: found for where, data in places.items() if (found := _found(data))}
    assert not leaks, f"secrets found: {leaks}"


#: The command line with every logger at DEBUG (``paperfuse`` has no flag for it).
DEBUG_CLI = (
    "import logging, sys; logging.basicConfig(level=logging.DEBUG, stream=sys.stderr);"
    "from paperfuse.cli import main; main(prog_name='paperfuse')"
)


def test_no_secret_in_the_output_of_a_command_at_debug_level(
    server: HostileServer, elsewhere: HostileServer, cli: CLI, tmp_path: Path
) -> None:
    server.handler = hostile_handler(elsewhere)
    elsewhere.handler = echo
    settings = tmp_path / "config.toml"
    settings.write_text(
        "".join(
            f"[sources.{name}]\nurl = {server.url!r}\nmin_interval = 0.0\nmax_linger = 0.0\n"
            "timeout = 5.0\n"
            for name in upstream.SOURCES
        )
    )
    out = tmp_path / "out.jsonl"
    env = {
        **cli.env,
        "PAPERFUSE_CONFIG": str(settings),
        "PAPERFUSE_EMAIL": EMAIL,
        "PAPERFUSE_OAB_API_KEY": KEY,
        "PAPERFUSE_PLUGINS": ",".join(sorted(BUILT_IN_PLUGINS)),  # every built-in source
    }
    for name in upstream.SOURCES:
        env.pop(f"PAPERFUSE_{name.upper()}_URL", None)
    run = subprocess.run(
        [sys.executable, "-c", DEBUG_CLI, "resolve", *INPUTS_WITH_SECRETS, "-o", str(out)],
        capture_output=True,
        timeout=60,
        env=env,
    )
    assert run.returncode in (0, 1), run.stderr.decode(errors="replace")
    assert b"DEBUG" in run.stderr, "the verbose logging did not reach stderr"
    places = {"stdout": run.stdout, "stderr": run.stderr, "the other origin": elsewhere.raw_bytes()}
    for path in sorted(tmp_path.iterdir()):
        if path.name.startswith("out.jsonl"):
            places[path.name] = path.read_bytes()
    for path in sorted((tmp_path / "cache").iterdir()):
        places[f"cache file {path.name}"] = path.read_bytes()
    assert out.exists()
    leaks = {where: found for where, data in places.items() if (found := _found(data))}
    assert not leaks, f"secrets found: {leaks}"
