"""The Starlette application of ``paperfuse serve``: routes, limits and lifecycle.

One :class:`~paperfuse.Resolver` serves every request. It is entered when the
server starts and closed when it stops (the lifespan), which closes the
sources' HTTP clients and flushes the cache. Every answer that is not a
record, a bibliography or the page is JSON with an ``error`` saying why.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.schemas import SchemaGenerator

from .. import Config, Resolver, __version__
from ._api import Api
from ._limits import (
    DEFAULT_MAX_BODY,
    DEFAULT_MAX_INPUTS,
    DEFAULT_MAX_PER_CLIENT,
    ClientLimit,
)
from ._metrics import Metrics
from ._page import page_routes
from ._translation import translation_routes

__all__ = ["create_app"]

_SCHEMAS = SchemaGenerator(
    {"openapi": "3.0.0", "info": {"title": "paperfuse", "version": __version__}}
)


def create_app(
    config: Config | None = None,
    *,
    resolver: Resolver | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    max_inputs: int = DEFAULT_MAX_INPUTS,
    max_per_client: int = DEFAULT_MAX_PER_CLIENT,
    cors_origins: Sequence[str] = (),
) -> Starlette:
    """A Starlette application answering paperfuse's HTTP API (see docs/serve.md).

    ``resolver`` is the one resolver every request shares (by default one
    made from ``config``, itself :func:`paperfuse.load_config` by default);
    the application enters it on start-up and closes it on shut-down.
    ``max_body`` limits a request body in bytes and ``max_inputs`` the inputs
    of one request: beyond either, the answer is 413. ``max_per_client``
    limits the requests one client address has in flight (beyond it, 429).
    ``cors_origins`` are the web origins whose pages may call the API from a
    browser (``"*"`` for any); none by default, so no page elsewhere can.
    """
    shared = resolver if resolver is not None else Resolver(config)
    metrics = Metrics()
    api = Api(shared, metrics, max_body=max_body, max_inputs=max_inputs)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with shared:
            yield

    async def openapi(request: Request) -> Response:
        """The OpenAPI description of this API."""
        return JSONResponse(_SCHEMAS.get_schema(routes=app.routes))

    routes: list[BaseRoute] = [
        *api.routes(),
        *translation_routes(api),
        *page_routes(api),
        Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.resolver = shared
    app.state.metrics = metrics
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
            max_age=600,
        )
    app.add_middleware(ClientLimit, limit=max_per_client, on_refused=metrics.refused)
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
