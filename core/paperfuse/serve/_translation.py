"""``POST /search`` and ``POST /export``, shaped like Zotero's translation-server.

A tool written for translation-server switches to paperfuse by changing its
base URL: ``/search`` takes identifier text and answers Zotero items (or 300
with the choices a title matched), ``/export?format=`` takes Zotero items and
answers a bibliography. docs/serve.md says what matches and what differs.
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from .. import Candidate, Work, work_from_zotero, zotero_item
from ._api import Api, candidate_key, document, error, media_type

__all__ = ["translation_routes"]

#: translation-server's export format names that paperfuse's formats answer.
EXPORT_FORMATS = {"bibtex": "bibtex", "biblatex": "biblatex", "csljson": "csl-json", "ris": "ris"}
#: translation-server answers CSL-JSON as plain JSON.
_EXPORT_MEDIA_TYPES = {"csljson": "application/json"}
#: Zotero items that are not references: their parents' notes and files.
_CHILD_ITEMS = frozenset({"note", "attachment", "annotation"})


def translation_routes(api: Api) -> list[BaseRoute]:
    async def search(request: Request) -> Response:
        """Identifier text in (DOI, arXiv id, PMID, PMCID, URL, title, citation), Zotero items out.
        ---
        summary: Search (translation-server's shape)
        requestBody:
          content:
            text/plain: {schema: {type: string}}
        responses:
          200: {description: A JSON array of Zotero items (empty when a title matched none)}
          300: {description: A title matched several works; the choices, keyed by identifier}
          400: {description: No text was given}
          413: {description: The body is beyond the limit}
          415: {description: The body is not text/plain}
          422: {description: The identifier is malformed}
          501: {description: No source knows the identifier}
          502: {description: Every source that could answer failed}
        """
        if not _is(request, "text/"):
            return error(415, "send the identifier as text/plain")
        body = await api.body(request)
        if isinstance(body, Response):
            return body
        text = body.decode("utf-8", "replace").strip()
        if not text:
            return error(400, "POST data not provided")
        work = await api.resolve(request, text)
        if work is None:
            return error(499, "the client left before the answer was ready")
        if work.status == "resolved":
            return _json(200, [zotero_item(work)])
        if work.status == "ambiguous":
            return _json(300, _choices(work.candidates))
        if work.status == "not_found":
            if api.resolver.identify(text).kind == "query":
                return _json(200, [])
            return error(501, f"no source knows {text[:200]!r}")
        if work.status == "invalid":
            return error(422, work.error or "the input is not usable")
        return JSONResponse(
            {"status": 502, "error": work.error, "sources": msgspec.to_builtins(work.sources)},
            502,
        )

    async def export(request: Request) -> Response:
        """Zotero items in, a bibliography out (bibtex, biblatex, csljson, ris, ...).
        ---
        summary: Export (translation-server's shape)
        parameters:
          - {name: format, in: query, required: true, schema: {type: string}}
        requestBody:
          content:
            application/json: {schema: {type: array, items: {type: object}}}
        responses:
          200: {description: The bibliography}
          400: {description: No or an unknown format, or the body is no array of items}
          413: {description: The body or the number of items is beyond the limit}
          415: {description: The body is not JSON}
        """
        if not _is(request, "application/json"):
            return error(415, "send the items as application/json")
        name = request.query_params.get("format", "")
        renderer = api.format_named(EXPORT_FORMATS.get(name, name))
        if renderer is None:
            known = sorted({*EXPORT_FORMATS, *api.resolver.host.formats})
            return error(400, f"Invalid format specified ({name!r}); known: {', '.join(known)}")
        body = await api.body(request)
        if isinstance(body, Response):
            return body
        try:
            items = msgspec.json.decode(body)
        except msgspec.DecodeError as e:
            return error(400, f"Input must be an array of items as JSON: {e}")
        if not isinstance(items, list) or not items:
            return error(400, "Input must be an array of items as JSON")
        if len(items) > api.max_inputs:
            return error(413, f"{len(items):,} items are over the limit of {api.max_inputs:,}")
        works: list[Work] = []
        for number, item in enumerate(items):
            try:
                work = work_from_zotero(item)
            except ValueError as e:
                return error(400, f"item {number}: {e}")
            if item["itemType"] not in _CHILD_ITEMS:
                works.append(work)
        kind = _EXPORT_MEDIA_TYPES.get(name) or media_type(renderer)
        return Response(document(renderer, works), 200, media_type=kind)

    return [
        Route("/search", search, methods=["POST"]),
        Route("/export", export, methods=["POST"]),
    ]


def _is(request: Request, kind: str) -> bool:
    """Whether the request body's media type is ``kind`` (or starts with it, for ``text/``)."""
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return declared.startswith(kind) if kind.endswith("/") else declared == kind


def _json(status: int, value: object) -> Response:
    return Response(msgspec.json.encode(value), status, media_type="application/json")


def _choices(candidates: tuple[Candidate, ...]) -> dict[str, dict[str, object]]:
    """translation-server's choices: per identifier, the title and a description."""
    choices: dict[str, dict[str, object]] = {}
    for candidate in candidates:
        key = candidate_key(candidate)
        if not key or key in choices:
            continue
        described = " – ".join(str(p) for p in (candidate.first_author, candidate.year) if p)
        choices[key] = {
            "title": candidate.title,
            "description": described,
            "score": candidate.score,
            "source": candidate.source,
        }
    return choices
