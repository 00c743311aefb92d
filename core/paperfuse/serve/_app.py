"""The Starlette application of ``paperfuse serve``: routes, limits and lifecycle.

One :class:`~paperfuse.Resolver` serves every request. It is entered when the
server starts and closed when it stops (the lifespan), which closes the
sources' HTTP clients and flushes the cache. Every answer that is not a
record or a bibliography is JSON with an ``error`` saying why.
"""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.schemas import SchemaGenerator

from .. import Config, OutputFormat, Resolver, Work, __version__, to_builtins
from .._formats import BatchWriter
from ._metrics import Metrics

__all__ = ["DEFAULT_MAX_BODY", "DEFAULT_MAX_INPUTS", "create_app"]

#: The largest request body accepted (bytes); beyond it, 413.
DEFAULT_MAX_BODY = 10 * 1024 * 1024
#: The most inputs one ``POST /resolve`` may carry; beyond it, 413.
DEFAULT_MAX_INPUTS = 10_000

#: The HTTP status of a record, by the work's status.
STATUS_CODES = {"resolved": 200, "not_found": 404, "ambiguous": 300, "invalid": 422, "error": 502}

#: Media types of the built-in formats; a plugin's format may declare ``media_type``.
MEDIA_TYPES = {
    "json": "application/json",
    "csl-json": "application/vnd.citationstyles.csl+json",
    "bibtex": "application/x-bibtex",
    "biblatex": "application/x-bibtex",
    "ris": "application/x-research-info-systems",
}

_SCHEMAS = SchemaGenerator(
    {"openapi": "3.0.0", "info": {"title": "paperfuse", "version": __version__}}
)


class _TooLarge(Exception):
    """The request body (or its inputs) is beyond the server's limit."""


def create_app(
    config: Config | None = None,
    *,
    resolver: Resolver | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    max_inputs: int = DEFAULT_MAX_INPUTS,
) -> Starlette:
    """A Starlette application answering paperfuse's HTTP API (see docs/serve.md).

    ``resolver`` is the one resolver every request shares (by default one
    made from ``config``, itself :func:`paperfuse.load_config` by default);
    the application enters it on start-up and closes it on shut-down.
    ``max_body`` limits a request body in bytes and ``max_inputs`` the inputs
    of one ``POST /resolve``: beyond either, the answer is 413.
    """
    shared = resolver if resolver is not None else Resolver(config)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with shared:
            yield

    def format_of(name: str) -> OutputFormat | JSONResponse:
        formats = shared.host.formats
        if name not in formats:
            return _error(422, f"unknown format {name!r}; known: {', '.join(sorted(formats))}")
        return formats[name]()

    async def resolve_one(request: Request) -> Response:
        """Resolve one identifier, title or citation into a record.
        ---
        summary: Resolve one input
        parameters:
          - {name: id, in: query, required: true, schema: {type: string}}
          - {name: format, in: query, required: false, schema: {type: string, default: json}}
        responses:
          200: {description: The record, in the format asked}
          300: {description: A title matched several works; the scored candidates}
          404: {description: No source knows the input}
          422: {description: The input or the format is not usable}
          502: {description: Every source that could answer failed}
        """
        text = request.query_params.get("id")
        if not text or not text.strip():
            return _error(422, "give the input to resolve as ?id=...")
        renderer = format_of(request.query_params.get("format", "json"))
        if isinstance(renderer, Response):
            return renderer
        work = await shared.aresolve(text)
        status = STATUS_CODES.get(work.status or "error", 502)
        if status != 200 and renderer.bibliography:
            return _record_response(status, work)
        if renderer.name == "json":
            return _record_response(status, work)
        return Response(_document(renderer, [work]), status, media_type=_media_type(renderer))

    async def resolve_many(request: Request) -> Response:
        """Resolve many inputs: a JSON list of strings, or text with one input per line.
        ---
        summary: Resolve a batch
        parameters:
          - {name: format, in: query, required: false, schema: {type: string, default: json}}
        requestBody:
          content:
            application/json: {schema: {type: array, items: {type: string}}}
            text/plain: {schema: {type: string}}
        responses:
          200: {description: JSON Lines in input order, or one bibliography}
          413: {description: The body or the number of inputs is beyond the limit}
          422: {description: The body or the format is not usable}
        """
        renderer = format_of(request.query_params.get("format", "json"))
        if isinstance(renderer, Response):
            return renderer
        try:
            texts = _inputs(await _body(request, max_body), request, max_inputs)
        except _TooLarge as e:
            return _error(413, str(e))
        except ValueError as e:
            return _error(422, str(e))
        media_type = "application/jsonl" if renderer.name == "json" else _media_type(renderer)
        return StreamingResponse(_stream(shared, renderer, texts), media_type=media_type)

    async def identify(request: Request) -> Response:
        """Which identifiers a text holds (no source is asked).
        ---
        summary: Identify a text
        parameters:
          - {name: text, in: query, required: true, schema: {type: string}}
        responses:
          200: {description: The identification}
          422: {description: No text was given}
        """
        text = request.query_params.get("text")
        if text is None:
            return _error(422, "give the text to identify as ?text=...")
        return JSONResponse(to_builtins(shared.identify(text)))

    async def formats(request: Request) -> Response:
        """The output formats: paperfuse's and the plugins'.
        ---
        summary: List formats
        responses:
          200: {description: One object per format}
        """
        return JSONResponse(
            [
                {
                    "name": name,
                    "description": cls.description,
                    "bibliography": cls.bibliography,
                    "media_type": _media_type(cls()),
                }
                for name, cls in sorted(shared.host.formats.items())
            ]
        )

    async def health(request: Request) -> Response:
        """The server's state and each source's: ok, paused or gone, and what it cost so far.
        ---
        summary: Health
        responses:
          200: {description: The server and its sources}
        """
        stats = shared.stats()
        sources = {}
        for name in sorted(shared.host.sources):
            figures = stats.get(name)
            paused = figures.paused if figures else None
            gone = figures.gone if figures else None
            state = "gone" if gone else "paused" if paused else "ok"
            sources[name] = {"state": state, "reason": gone or paused, **_figures(figures)}
        return JSONResponse({"status": "ok", "version": __version__, "sources": sources})

    async def metrics_text(request: Request) -> Response:
        """Prometheus metrics: requests per source, cache hits, requests and latency per route.
        ---
        summary: Metrics
        responses:
          200: {description: Prometheus text exposition format}
        """
        return PlainTextResponse(
            metrics.exposition(shared.stats()), media_type="text/plain; version=0.0.4"
        )

    async def openapi(request: Request) -> Response:
        """The OpenAPI description of this API."""
        return JSONResponse(_SCHEMAS.get_schema(routes=app.routes))

    routes = [
        Route("/resolve", resolve_one, methods=["GET"]),
        Route("/resolve", resolve_many, methods=["POST"]),
        Route("/identify", identify, methods=["GET"]),
        Route("/formats", formats, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics_text, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.resolver = shared
    app.add_middleware(_Timing, metrics=metrics)
    return app


class _Timing:
    """ASGI middleware counting requests and their duration per route and status."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.observe(
                scope["method"], scope["path"], status, time.perf_counter() - started
            )


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": status, "error": message}, status)


def _record_response(status: int, work: Work) -> Response:
    return Response(msgspec.json.encode(to_builtins(work)), status, media_type="application/json")


def _media_type(renderer: OutputFormat) -> str:
    declared = getattr(renderer, "media_type", None) or MEDIA_TYPES.get(renderer.name)
    return declared or "text/plain"


def _figures(figures: Any) -> dict[str, Any]:
    if figures is None:
        return {"requests": 0, "calls": 0, "cache_hits": 0}
    return {"requests": figures.requests, "calls": figures.calls, "cache_hits": figures.cache_hits}


def _document(renderer: OutputFormat, works: Sequence[Work]) -> str:
    """The whole document of ``works`` in ``renderer``'s format, as the CLI writes it."""
    out = io.StringIO()
    writer = BatchWriter(renderer, out)
    for work in works:
        writer.add(work)
    writer.close()
    return out.getvalue()


async def _stream(
    resolver: Resolver, renderer: OutputFormat, texts: list[str]
) -> AsyncIterator[str]:
    """The document of ``texts``' records, each part sent as soon as its record is done."""
    out = io.StringIO()
    writer = BatchWriter(renderer, out)

    def drain() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    yield drain()
    works = resolver.aresolve_many(texts)
    try:
        async for work in works:
            writer.add(work)
            part = drain()
            if part:
                yield part
    finally:
        await works.aclose()  # type: ignore[attr-defined]
    writer.close()
    yield drain()


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it grows beyond ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge(f"the request body is over the limit of {limit:,} bytes")
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > limit:
            raise _TooLarge(f"the request body is over the limit of {limit:,} bytes")
    return bytes(chunks)


def _inputs(body: bytes, request: Request, limit: int) -> list[str]:
    """The inputs of a body: a JSON list of strings, or one input per line of text."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or (not kind and body.lstrip()[:1] == b"["):
        try:
            texts = msgspec.json.decode(body, type=list[str])
        except msgspec.DecodeError as e:
            raise ValueError(f"the body is not a JSON list of strings: {e}") from None
    else:
        try:
            lines = body.decode("utf-8").splitlines()
        except UnicodeDecodeError:
            raise ValueError("the body is not UTF-8 text") from None
        texts = [line.strip() for line in lines if line.strip()]
    if not texts:
        raise ValueError("the body holds no input")
    if len(texts) > limit:
        raise _TooLarge(f"{len(texts):,} inputs are over the limit of {limit:,}")
    return texts
