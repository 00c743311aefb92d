"""paperfuse's own endpoints: resolve, identify, formats, health and metrics."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Sequence
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from .. import Candidate, OutputFormat, Resolver, SourceStats, Work, __version__, to_builtins
from .._formats import BatchWriter
from ._limits import ClientGone, TooLarge, read_body, unless_client_leaves
from ._metrics import Metrics

__all__ = ["STATUS_CODES", "Api", "candidate_key", "document", "error", "media_type"]

#: The HTTP status of a record, by the work's status.
STATUS_CODES = {"resolved": 200, "not_found": 404, "ambiguous": 300, "invalid": 422, "error": 502}

#: Media types of the built-in formats; a plugin's format may declare ``media_type``.
MEDIA_TYPES = {
    "json": "application/json",
    "csl-json": "application/vnd.citationstyles.csl+json",
    "bibtex": "application/x-bibtex",
    "biblatex": "application/x-bibtex",
    "ris": "application/x-research-info-systems",
    "zotero": "application/json",
}


def error(status: int, message: str) -> JSONResponse:
    """A JSON answer saying why a request failed."""
    return JSONResponse({"status": status, "error": message}, status)


def media_type(renderer: OutputFormat) -> str:
    """The media type of ``renderer``'s output."""
    declared = getattr(renderer, "media_type", None) or MEDIA_TYPES.get(renderer.name)
    return declared or "text/plain"


def document(renderer: OutputFormat, works: Sequence[Work]) -> str:
    """The whole document of ``works`` in ``renderer``'s format, as the CLI writes it."""
    out = io.StringIO()
    writer = BatchWriter(renderer, out)
    for work in works:
        writer.add(work)
    writer.close()
    return out.getvalue()


def candidate_key(candidate: Candidate) -> str | None:
    """The identifier that resolves ``candidate``: its DOI, arXiv id, PMID or PMCID."""
    ids = candidate.ids
    return ids.doi or (f"arXiv:{ids.arxiv}" if ids.arxiv else None) or ids.pmid or ids.pmcid


def record_response(status: int, work: Work) -> Response:
    """``work`` as paperfuse's JSON record, under ``status``."""
    return Response(msgspec.json.encode(to_builtins(work)), status, media_type="application/json")


class Api:
    """The endpoints, over the one resolver every request shares."""

    def __init__(self, resolver: Resolver, metrics: Metrics, *, max_body: int, max_inputs: int):
        self.resolver = resolver
        self.metrics = metrics
        self.max_body = max_body
        self.max_inputs = max_inputs

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/resolve", self.resolve_one, methods=["GET"]),
            Route("/resolve", self.resolve_many, methods=["POST"]),
            Route("/identify", self.identify, methods=["GET"]),
            Route("/formats", self.formats, methods=["GET"]),
            Route("/health", self.health, methods=["GET"]),
            Route("/metrics", self.metrics_text, methods=["GET"]),
        ]

    # -- shared by the endpoints -----------------------------------------------------------

    def format_named(self, name: str) -> OutputFormat | None:
        """A new instance of the format called ``name``, or None when there is none."""
        cls = self.resolver.host.formats.get(name)
        return cls() if cls is not None else None

    def unknown_format(self, name: str, status: int = 422) -> JSONResponse:
        known = ", ".join(sorted(self.resolver.host.formats))
        return error(status, f"unknown format {name!r}; known: {known}")

    async def resolve(self, request: Request, text: str) -> Work | None:
        """The work of ``text``, or None when the client left before it was ready."""
        try:
            return await unless_client_leaves(request, self.resolver.aresolve(text))
        except ClientGone:
            self.metrics.client_left()
            return None

    async def body(self, request: Request) -> bytes | JSONResponse:
        """The request body, or the 413 answer when it is over the limit."""
        try:
            return await read_body(request, self.max_body)
        except TooLarge as e:
            return error(413, str(e))

    # -- endpoints -------------------------------------------------------------------------

    async def resolve_one(self, request: Request) -> Response:
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
          429: {description: This client has too many requests in flight}
          502: {description: Every source that could answer failed}
        """
        text = request.query_params.get("id")
        if not text or not text.strip():
            return error(422, "give the input to resolve as ?id=...")
        name = request.query_params.get("format", "json")
        renderer = self.format_named(name)
        if renderer is None:
            return self.unknown_format(name)
        work = await self.resolve(request, text)
        if work is None:
            return error(499, "the client left before the answer was ready")
        status = STATUS_CODES.get(work.status or "error", 502)
        if (status != 200 and renderer.bibliography) or renderer.name == "json":
            return record_response(status, work)
        return Response(document(renderer, [work]), status, media_type=media_type(renderer))

    async def resolve_many(self, request: Request) -> Response:
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
        name = request.query_params.get("format", "json")
        renderer = self.format_named(name)
        if renderer is None:
            return self.unknown_format(name)
        body = await self.body(request)
        if isinstance(body, Response):
            return body
        try:
            texts = _inputs(body, request.headers.get("content-type", ""))
        except ValueError as e:
            return error(422, str(e))
        if len(texts) > self.max_inputs:
            return error(413, f"{len(texts):,} inputs are over the limit of {self.max_inputs:,}")
        kind = "application/jsonl" if renderer.name == "json" else media_type(renderer)
        return StreamingResponse(_stream(self.resolver, renderer, texts), media_type=kind)

    async def identify(self, request: Request) -> Response:
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
            return error(422, "give the text to identify as ?text=...")
        return JSONResponse(to_builtins(self.resolver.identify(text)))

    async def formats(self, request: Request) -> Response:
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
                    "media_type": media_type(cls()),
                }
                for name, cls in sorted(self.resolver.host.formats.items())
            ]
        )

    async def health(self, request: Request) -> Response:
        """The server's state and each source's: ok, paused or gone, what it cost, budget left.
        ---
        summary: Health
        responses:
          200: {description: The server and its sources}
        """
        stats = self.resolver.stats()
        sources = {}
        for name in sorted(self.resolver.host.sources):
            figures = stats.get(name)
            paused = figures.paused if figures else None
            gone = figures.gone if figures else None
            state = "gone" if gone else "paused" if paused else "ok"
            sources[name] = {"state": state, "reason": gone or paused, **_figures(figures)}
        return JSONResponse({"status": "ok", "version": __version__, "sources": sources})

    async def metrics_text(self, request: Request) -> Response:
        """Prometheus metrics: requests per source, cache hits, requests and latency per route.
        ---
        summary: Metrics
        responses:
          200: {description: Prometheus text exposition format}
        """
        return PlainTextResponse(
            self.metrics.exposition(self.resolver.stats()), media_type="text/plain; version=0.0.4"
        )


def _figures(figures: SourceStats | None) -> dict[str, Any]:
    if figures is None:
        figures = SourceStats()
    return {
        "requests": figures.requests,
        "calls": figures.calls,
        "cache_hits": figures.cache_hits,
        "daily_budget": figures.daily_budget,
        "budget_left": figures.budget_left,
        "budget_unit": figures.budget_unit,
    }


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


def _inputs(body: bytes, content_type: str) -> list[str]:
    """The inputs of a body: a JSON list of strings, or one input per line of text."""
    kind = content_type.split(";")[0].strip().lower()
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
    return texts
