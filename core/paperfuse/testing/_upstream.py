"""A fake upstream: a local HTTP server that replays recorded answers by request.

Built on pytest-httpserver. Answers are routes: a method, a path (exact, or a
regular expression), and query or form parameters that must be present; the
route added last that matches answers, so a fault added after the replay
takes its place. A request no route matches gets a plain-text 404 and is
noted in :attr:`FakeUpstream.unmatched`. Every request is noted in
:attr:`FakeUpstream.asked`, as an :class:`Asked`.

``prefix`` mounts every route under a path (a service behind a proxy, at
``http://host/mirror/crossref``): :attr:`FakeUpstream.url` includes it, and a
request outside it is unmatched.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from pytest_httpserver import HTTPServer
    from werkzeug import Request, Response

__all__ = ["Asked", "FakeUpstream", "Reply", "content_type_of"]

#: A body in the shape of no service's answer, valid JSON (synthetic, not recorded).
WRONG_SHAPE_JSON = b'{"unexpected": [1, 2, {"shape": null}]}'
#: An error page as a proxy or a maintenance screen sends it (synthetic).
_HTML = (
    "<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title></head>"
    "<body><h1>Service Temporarily Unavailable</h1><p>The server could not answer"
    " {url}</p></body></html>"
)
_TYPES = {
    ".json": "application/json",
    ".xml": "application/xml",
    ".atom": "application/atom+xml",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class Reply:
    """An answer of the fake upstream: a body (bytes, text, or anything else as JSON),
    a status, a content type and headers."""

    body: bytes | str | Any = b""
    status: int = 200
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        """The werkzeug response that sends this reply."""
        from werkzeug import Response

        body, kind = self.body, self.content_type
        if not isinstance(body, (bytes, str)):
            body, kind = json.dumps(body), kind or "application/json"
        return Response(
            body,
            status=self.status,
            headers=dict(self.headers),
            content_type=kind or "application/octet-stream",
        )

    @classmethod
    def file(cls, path: str | Path, *, status: int = 200, content_type: str | None = None) -> Reply:
        """A recorded body from a file, its content type from the file's suffix."""
        path = Path(path)
        return cls(path.read_bytes(), status, content_type or content_type_of(path))


#: What a route's handler is given (the request, as :class:`Asked`) and returns.
Handler = Callable[["Asked"], "Reply | Response"]


def content_type_of(path: Path) -> str:
    """The Content-Type a recorded body file is served with, from its suffix."""
    return _TYPES.get(path.suffix.lower(), "application/octet-stream")


@dataclass(frozen=True)
class Asked:
    """One request the fake upstream received.

    ``path`` is relative to the upstream's prefix (``None`` when outside it);
    ``params`` holds the query parameters, the form fields of a POST, and the
    top-level string fields of a JSON body, first value of each.
    """

    method: str
    path: str | None
    params: Mapping[str, str]
    headers: Mapping[str, str]
    url: str
    body: bytes
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Route:
    method: str | None
    path: str | re.Pattern[str] | None
    params: Mapping[str, str | re.Pattern[str]]
    handler: Handler
    times: int | None

    def matches(self, asked: Asked) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method is not None and asked.method != self.method.upper():
            return False
        if asked.path is None:
            return False
        if isinstance(self.path, re.Pattern):
            if not self.path.fullmatch(asked.path):
                return False
        elif self.path is not None and unquote(asked.path) != unquote(self.path):
            return False
        for key, wanted in self.params.items():
            value = asked.params.get(key)
            if value is None:
                return False
            if isinstance(wanted, re.Pattern):
                if not wanted.search(value):
                    return False
            elif value != wanted:
                return False
        return True


class FakeUpstream:
    """Recorded answers served by a local pytest-httpserver, request by request.

    Take it from the ``paperfuse_upstream`` fixture (or wrap a started
    ``HTTPServer`` yourself). Point a source at :attr:`url`.
    """

    def __init__(self, server: HTTPServer, prefix: str = "") -> None:
        self.server = server
        self.prefix = prefix
        self.asked: list[Asked] = []
        self.unmatched: list[Asked] = []
        self._routes: list[_Route] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        server.expect_request(re.compile(".*")).respond_with_handler(self._respond)

    # -- where it is ---------------------------------------------------------------------------

    @property
    def prefix(self) -> str:
        """The path every route is mounted under ("" for the root)."""
        return self._prefix

    @prefix.setter
    def prefix(self, value: str) -> None:
        value = value.strip("/")
        self._prefix = f"/{value}" if value else ""

    @property
    def url(self) -> str:
        """The service root to give a source: scheme, host, port and prefix, no slash at the end."""
        return self.server.url_for("/").rstrip("/") + self.prefix

    # -- answers -------------------------------------------------------------------------------

    def route(
        self,
        path: str | re.Pattern[str] | None,
        handler: Handler,
        *,
        method: str | None = None,
        params: Mapping[str, str | re.Pattern[str]] | None = None,
        times: int | None = None,
    ) -> None:
        """Answer matching requests with ``handler(asked)``: a :class:`Reply` (or a
        werkzeug ``Response``) for the :class:`Asked` request.

        ``path`` None matches any path; ``times`` limits how often the route answers.
        """
        with self._lock:
            self._routes.append(_Route(method, path, dict(params or {}), handler, times))

    def answer(
        self,
        path: str | re.Pattern[str] | None,
        body: bytes | str | Any = b"",
        *,
        file: str | Path | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        method: str | None = None,
        params: Mapping[str, str | re.Pattern[str]] | None = None,
        times: int | None = None,
    ) -> None:
        """Answer matching requests with ``body`` or the recorded ``file``.

        A ``body`` that is neither bytes nor text is sent as JSON. The content
        type follows the file's suffix unless given.
        """
        if file is not None:
            reply = Reply.file(file, status=status, content_type=content_type)
            reply = Reply(reply.body, status, reply.content_type, dict(headers or {}))
        else:
            reply = Reply(body, status, content_type, dict(headers or {}))
        self.route(path, lambda asked: reply, method=method, params=params, times=times)

    def answer_from(
        self,
        folder: str | Path,
        choose: Callable[[Asked], str | None],
        *,
        path: str | re.Pattern[str] | None = None,
        method: str | None = None,
        status_if_missing: int = 404,
        missing_body: bytes = b"no recorded answer",
    ) -> None:
        """Answer from a folder of recorded bodies: ``choose(asked)`` names the file.

        ``choose`` returns a file name within ``folder`` for the request, or
        None when it has no recorded answer; a request without one gets
        ``status_if_missing`` (404 by default), as the service answers an
        identifier it does not know.
        """
        root = Path(folder).resolve()

        def respond(asked: Asked) -> Reply:
            name = choose(asked)
            chosen = (root / name).resolve() if name else None
            if chosen is None or not chosen.is_file() or root not in chosen.parents:
                return Reply(missing_body, status_if_missing, "text/plain")
            return Reply.file(chosen)

        self.route(path, respond, method=method)

    # -- faults ---------------------------------------------------------------------------------

    def not_found(
        self,
        path: str | re.Pattern[str] | None = None,
        *,
        body: bytes = b"Resource not found.",
        content_type: str = "text/plain",
        times: int | None = None,
    ) -> None:
        """HTTP 404 (plain text by default), as most services answer an unknown id."""
        self.answer(path, body, status=404, content_type=content_type, times=times)

    def rate_limited(
        self,
        path: str | re.Pattern[str] | None = None,
        *,
        retry_after: float | str | None = 1,
        times: int | None = None,
    ) -> None:
        """HTTP 429 with ``Retry-After`` (seconds, or an HTTP date as text; None: no header)."""
        headers = {} if retry_after is None else {"Retry-After": _seconds(retry_after)}
        self.answer(
            path,
            b'{"message": "Too Many Requests"}',
            status=429,
            headers=headers,
            content_type="application/json",
            times=times,
        )

    def server_error(
        self,
        path: str | re.Pattern[str] | None = None,
        *,
        status: int = 503,
        retry_after: float | str | None = None,
        times: int | None = None,
    ) -> None:
        """A 5xx answer (503 by default), with a ``Retry-After`` when given."""
        headers = {} if retry_after is None else {"Retry-After": _seconds(retry_after)}
        self.answer(
            path,
            b"Service Unavailable",
            status=status,
            headers=headers,
            content_type="text/plain",
            times=times,
        )

    def html(
        self,
        path: str | re.Pattern[str] | None = None,
        *,
        status: int = 200,
        times: int | None = None,
    ) -> None:
        """An HTML error page with status ``status`` (200: a captive portal or a proxy),
        quoting the whole request URL back, secrets in its query included."""

        def respond(asked: Asked) -> Reply:
            return Reply(_HTML.format(url=asked.url), status, "text/html; charset=utf-8")

        self.route(path, respond, times=times)

    def empty(
        self,
        path: str | re.Pattern[str] | None = None,
        *,
        content_type: str = "application/json",
        times: int | None = None,
    ) -> None:
        """A 200 answer with an empty body."""
        self.answer(path, b"", content_type=content_type, times=times)

    def wrong_shape(
        self,
        path: str | re.Pattern[str] | None = None,
        *,
        body: bytes = WRONG_SHAPE_JSON,
        content_type: str = "application/json",
        times: int | None = None,
    ) -> None:
        """A 200 answer that parses (valid JSON by default) but is no answer of the service."""
        self.answer(path, body, content_type=content_type, times=times)

    def slow(
        self,
        path: str | re.Pattern[str] | None = None,
        *,
        delay: float = 2.0,
        times: int | None = None,
    ) -> None:
        """Hold the answer ``delay`` seconds (for timeouts; give the source a shorter
        ``timeout``); the wait ends early when the test ends."""

        def respond(asked: Asked) -> Reply:
            self._closing.wait(delay)
            return Reply(b"{}", content_type="application/json")

        self.route(path, respond, times=times)

    # -- what was asked ---------------------------------------------------------------------------

    def requests(
        self, path: str | re.Pattern[str] | None = None, *, method: str | None = None
    ) -> list[Asked]:
        """The requests received, in order; only those to ``path`` (exact, or a regular
        expression searched in the path) and of ``method`` when given."""
        found = []
        for asked in list(self.asked):
            if method is not None and asked.method != method.upper():
                continue
            if path is not None:
                if asked.path is None:
                    continue
                if isinstance(path, re.Pattern):
                    if not path.search(asked.path):
                        continue
                elif unquote(asked.path) != unquote(path):
                    continue
            found.append(asked)
        return found

    def clear(self) -> None:
        """Forget routes and requests (the prefix stays)."""
        with self._lock:
            self._routes.clear()
            self.asked.clear()
            self.unmatched.clear()

    def close(self) -> None:
        """End held answers (:meth:`slow`) and stop answering."""
        self._closing.set()
        self.clear()

    # -- machinery --------------------------------------------------------------------------------

    def _asked(self, request: Request) -> Asked:
        path: str | None = request.path
        if self.prefix:
            if path == self.prefix or (path or "").startswith(self.prefix + "/"):
                path = path[len(self.prefix) :] or "/"  # type: ignore[index]
            else:
                path = None
        params = {k: request.args[k] for k in request.args}
        body = request.get_data(cache=True)
        if request.method == "POST":
            if request.mimetype == "application/x-www-form-urlencoded":
                params.update({k: request.form[k] for k in request.form})
            elif request.mimetype == "application/json":
                try:
                    data = json.loads(body)
                except ValueError:
                    data = None
                if isinstance(data, dict):
                    params.update({k: v for k, v in data.items() if isinstance(v, str)})
        return Asked(
            method=request.method,
            path=path,
            params=params,
            headers=dict(request.headers),
            url=request.url,
            body=body,
        )

    def _respond(self, request: Request) -> Response:
        from werkzeug import Response

        asked = self._asked(request)
        with self._lock:
            self.asked.append(asked)
            route = next((r for r in reversed(self._routes) if r.matches(asked)), None)
            if route is not None and route.times is not None:
                route.times -= 1
            if route is None:
                self.unmatched.append(asked)
        if route is None:
            return Response(b"no recorded answer", status=404, content_type="text/plain")
        answer = route.handler(asked)
        return answer.response() if isinstance(answer, Reply) else answer


def _seconds(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return f"{value:g}"
