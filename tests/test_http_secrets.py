"""Secrets in errors and logs: masked whole, masked when cut, masked in every HTTP logger.

A resolution through the OAB source with a contact email and an API key,
at DEBUG logging for every logger, must leave neither in any log record,
nor in the error of a body that echoes them, nor reach another origin that
the service redirects to.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator

import pytest
from pytest_httpserver import HTTPServer

import paperfuse
import paperfuse_oab
from paperfuse import Config, SourceSettings, redact
from paperfuse._redact import RedactingFilter, filter_http_logs, unfilter_http_logs
from paperfuse.testing import ResolverFactory

EMAIL = "secret-probe-91@example.org"
KEY = "k-probe-7f3a9c5e"
#: What must never show: the email's and the key's distinctive parts, in any encoding.
LEAKS = re.compile(r"secret-probe|probe-91|example\.org|k-probe|7f3a9c", re.IGNORECASE)


@pytest.fixture
def other() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1")
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


Make = Callable[[HTTPServer], paperfuse.Resolver]


@pytest.fixture
def oab_resolver(paperfuse_resolver: ResolverFactory) -> Make:
    """Resolvers of the OA.Works source at the local server, with the email and key, no cache."""

    def make(server: HTTPServer) -> paperfuse.Resolver:
        return paperfuse_resolver(
            {"oab": paperfuse_oab},
            urls={"oab": server.url_for("").rstrip("/")},
            email=EMAIL,
            settings={"oab": {"api_key": KEY}},
            use_cache=False,
        )

    return make


def _record_texts(records: list[logging.LogRecord]) -> Iterator[str]:
    for record in records:
        yield record.getMessage()
        yield repr(record.args)
        yield repr(record.msg)


# -- redaction ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "error for secret-probe-91%40ex",
        "error for secret-probe-91@exam'",
        "email=secret-probe-91%40exa… and more",
        "k-probe-7f3a9",
    ],
)
def test_a_secret_cut_short_is_still_masked(text: str) -> None:
    masked = redact(text, [EMAIL, KEY])
    assert not LEAKS.search(masked), masked
    assert "***" in masked


def test_redact_cuts_after_masking() -> None:
    text = "x" * 100 + " email=" + EMAIL + " and the rest of a long error message"
    masked = redact(text, [EMAIL], limit=120)
    assert len(masked) <= 120
    assert masked.startswith("x" * 100 + " email=***")
    assert not LEAKS.search(masked)


def test_redact_leaves_text_without_secrets_alone() -> None:
    assert redact("HTTP 500: internal error", [EMAIL, KEY, None]) == "HTTP 500: internal error"
    assert redact("short", [EMAIL], limit=120) == "short"


def test_an_echoed_secret_in_an_error_excerpt_is_masked(
    httpserver: HTTPServer, oab_resolver: Make
) -> None:
    """The service echoes the email in a body paperfuse cannot read; 120 characters are shown."""
    echo = "x" * 93 + " email="  # the first 120 characters end in "...%40ex"
    echo = echo + EMAIL.replace("@", "%40") + " was not understood"
    httpserver.expect_request(re.compile(".*")).respond_with_data(echo, status=200)
    with oab_resolver(httpserver) as r:
        work = r.resolve("10.5555/abc")
    report = {s.name: s for s in work.sources}["oab"]
    assert report.status == "error"
    assert "malformed JSON" in (report.error or "")
    assert not LEAKS.search(paperfuse.encode_json(work).decode())


def test_an_arxiv_error_page_echoing_the_user_agent_is_masked(httpserver: HTTPServer) -> None:
    """A proxy's error page that echoes the request's User-Agent (and so the email)."""
    import paperfuse_arxiv

    page = "Forbidden. Your client " + "(" + EMAIL + ") " * 3 + "is not allowed here." * 20
    httpserver.expect_request(re.compile(".*")).respond_with_data(page, status=403)
    settings = SourceSettings(url=httpserver.url_for("").rstrip("/"), min_interval=0.0)
    config = Config(email=EMAIL, use_cache=False, sources={"arxiv": settings})
    with paperfuse.Resolver(
        config, entry_points=False, plugins={"arxiv": paperfuse_arxiv}
    ) as resolver:
        work = resolver.resolve("arXiv:1710.08557")
    report = {s.name: s for s in work.sources}["arxiv"]
    assert report.status == "error"
    assert "HTTP 403" in (report.error or "")
    assert not LEAKS.search(paperfuse.encode_json(work).decode())


# -- logs --------------------------------------------------------------------------------------


def test_the_filter_reaches_every_http_logger() -> None:
    logging.getLogger("httpcore.http11")  # exists before
    attached = filter_http_logs([EMAIL])
    assert attached is not None
    try:
        for name in ("httpx", "httpcore", "httpcore.http11", "httpcore.connection", "hpack"):
            assert attached in logging.getLogger(name).filters, name
    finally:
        unfilter_http_logs(attached)
    assert attached not in logging.getLogger("httpcore.http11").filters
    assert filter_http_logs([None]) is None  # nothing to hide, nothing attached


def test_the_filter_masks_arguments_too() -> None:
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "GET %s", (EMAIL,), None)
    RedactingFilter([EMAIL]).filter(record)
    assert not LEAKS.search(record.getMessage())
    assert not LEAKS.search(repr(record.args))


def test_debug_logs_of_a_redirected_resolution_carry_no_secret(
    httpserver: HTTPServer, other: HTTPServer, caplog: pytest.LogCaptureFixture, oab_resolver: Make
) -> None:
    other.expect_request(re.compile(".*")).respond_with_json({"url": "https://repo.example/x"})
    # The service redirects elsewhere and names the email in the Location
    # (which paperfuse refuses to follow), then redirects without it.
    located = other.url_for("/find") + "?mailto=" + EMAIL.replace("@", "%40")
    httpserver.expect_oneshot_request("/find").respond_with_data(
        "", status=302, headers={"Location": located}
    )
    httpserver.expect_request(re.compile(".*")).respond_with_data(
        "", status=302, headers={"Location": other.url_for("/find")}
    )
    caplog.set_level(logging.DEBUG)
    with oab_resolver(httpserver) as r:
        first = r.resolve("10.5555/abc")
        second = r.resolve("10.5555/def")
    # the service itself got the key and the email; the other origin neither
    assert httpserver.log[0][0].headers["x-apikey"] == KEY
    assert EMAIL in httpserver.log[0][0].headers["User-Agent"]
    assert other.log, "the clean redirect was followed"
    for request, _ in other.log:
        seen = request.url + "\n" + "\n".join(f"{k}: {v}" for k, v in request.headers.items())
        assert not LEAKS.search(seen), seen
    assert any(r.name.startswith("httpcore") for r in caplog.records)  # DEBUG was on
    for text in _record_texts(caplog.records):
        assert not LEAKS.search(text), text
    for work in (first, second):
        assert not LEAKS.search(paperfuse.encode_json(work).decode())
