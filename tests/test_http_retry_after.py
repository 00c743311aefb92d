"""Retry-After: waited for when reasonable, reported when not, never a crash.

A 429 or 503 asking for more than paperfuse waits (MAX_RETRY_AFTER) is not
retried: the error says how many attempts were made and what the service
asked, and carries ``retry_after`` so that the run can pause the source.
A Retry-After that is neither a number of seconds nor an HTTP date counts
as absent.
"""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import stamina
from pytest_httpserver import HTTPServer

from paperfuse import RateLimited, SourceError, SourceUnavailable
from paperfuse._http import MAX_RETRY_AFTER, Pacer, SourceClient, _retry_after
from paperfuse._transport import LazyTransport

pytestmark = pytest.mark.usefixtures("http_path")


def _run(work: Callable[[SourceClient], Any]) -> Any:
    async def main() -> Any:
        async with httpx.AsyncClient(transport=LazyTransport()) as http:
            client = SourceClient(name="test", http=http, pacer=Pacer(0.0, 4), timeout=5.0)
            return await work(client)

    return asyncio.run(main())


def _http_date(ahead: timedelta) -> str:
    return email.utils.format_datetime(datetime.now(timezone.utc) + ahead, usegmt=True)


@pytest.mark.parametrize(
    ("status", "kind"), [(429, RateLimited), (503, SourceUnavailable)], ids=["429", "503"]
)
@pytest.mark.parametrize("value", ["86400", "DATE"], ids=["seconds", "http-date"])
def test_a_retry_after_beyond_the_cap_is_not_retried(
    httpserver: HTTPServer, status: int, kind: type[SourceError], value: str
) -> None:
    if value == "DATE":
        value = _http_date(timedelta(days=1))
    httpserver.expect_request("/x").respond_with_data(
        "busy", status=status, headers={"Retry-After": value}
    )
    with stamina.set_testing(True, attempts=4), pytest.raises(kind) as caught:
        _run(lambda c: c.get(httpserver.url_for("/x")))
    assert len(httpserver.log) == 1
    error = caught.value
    assert error.retry_after is not None
    assert 86400 - 120 < error.retry_after <= 86400
    message = str(error)
    assert message.startswith(f"HTTP {status} after 1 attempt;")
    assert "4 attempts" not in message
    assert "Retry-After" in message
    assert str(round(error.retry_after)) in message or "86400" in message


def test_a_retry_after_within_the_cap_is_waited_for_and_the_message_counts_attempts(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/x").respond_with_data(
        "busy", status=429, headers={"Retry-After": "0"}
    )
    with stamina.set_testing(True, attempts=3), pytest.raises(RateLimited) as caught:
        _run(lambda c: c.get(httpserver.url_for("/x")))
    assert len(httpserver.log) == 3
    assert str(caught.value) == "HTTP 429 after 3 attempts"
    assert caught.value.retry_after is None


def test_the_message_counts_the_attempts_really_made(httpserver: HTTPServer) -> None:
    """stamina's testing mode allows one attempt; the message must not say four."""
    httpserver.expect_request("/x").respond_with_data("down", status=503)
    with pytest.raises(SourceUnavailable) as caught:
        _run(lambda c: c.get(httpserver.url_for("/x")))
    assert len(httpserver.log) == 1
    assert str(caught.value) == "HTTP 503 after 1 attempt"


GARBAGE = ["soon", "-5", "1e400", "nan", "inf", "", "   ", "1.5.2", "12 seconds", "Fri, 99 Foo"]


@pytest.mark.parametrize("value", GARBAGE)
def test_a_garbage_retry_after_counts_as_absent(httpserver: HTTPServer, value: str) -> None:
    httpserver.expect_request("/x").respond_with_data(
        "busy", status=429, headers={"Retry-After": value}
    )
    with stamina.set_testing(True, attempts=2), pytest.raises(RateLimited) as caught:
        _run(lambda c: c.get(httpserver.url_for("/x")))
    assert len(httpserver.log) == 2  # retried as without a Retry-After
    assert caught.value.retry_after is None
    assert str(caught.value) == "HTTP 429 after 2 attempts"


@pytest.mark.parametrize("value", [*GARBAGE, "9" * 400, "Mon, 01 Jan 99999 00:00:00 GMT"])
def test_retry_after_parsing_never_raises(value: str) -> None:
    response = httpx.Response(429, headers={"Retry-After": value})
    assert _retry_after(response) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0.0), ("7", 7.0), (" 30 ", 30.0), ("2.5", 2.5), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_retry_after_reads_seconds_and_dates(value: str, expected: float) -> None:
    response = httpx.Response(429, headers={"Retry-After": value})
    assert _retry_after(response) == expected


def test_retry_after_date_an_hour_ahead() -> None:
    response = httpx.Response(503, headers={"Retry-After": _http_date(timedelta(hours=1))})
    wait = _retry_after(response)
    assert wait is not None
    assert 3600 - 120 < wait <= 3600
    assert wait > MAX_RETRY_AFTER


def test_source_error_carries_retry_after() -> None:
    assert SourceError("x").retry_after is None
    assert RateLimited("x", source="s", retry_after=60.0).retry_after == 60.0
