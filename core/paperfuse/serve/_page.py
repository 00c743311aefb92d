"""The page at ``/``: a person pastes an identifier and sees the record.

Rendered on the server (Jinja2, every value escaped), so it works with
scripts off; the one script only adds copy buttons. The page and its assets
come with a Content-Security-Policy that allows nothing but this server's own
style sheet and script, so no text a source returns can run as code.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import msgspec
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from .. import Identifier, Work, __version__
from ._api import STATUS_CODES, Api, candidate_key, document

__all__ = ["page_routes"]

#: What the page allows: this server's own style sheet, script and form; nothing else.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self';"
        " form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_HEADLINES = {
    "not_found": "No source knows this input",
    "invalid": "This input cannot be used",
    "error": "Every source that could answer failed",
}
_ASSETS = {"page.css": "text/css; charset=utf-8", "page.js": "text/javascript; charset=utf-8"}
_environment = Environment(
    loader=PackageLoader("paperfuse.serve", "page"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def page_routes(api: Api) -> list[BaseRoute]:
    template = _environment.get_template("page.html")
    assets = {
        name: resources.files("paperfuse.serve").joinpath("page", name).read_bytes()
        for name in _ASSETS
    }

    async def page(request: Request) -> Response:
        text = (request.query_params.get("id") or "").strip()
        work = await api.resolve(request, text) if text else None
        context: dict[str, Any] = {"text": text, "work": work, "version": __version__}
        status = 200
        if work is not None:
            status = STATUS_CODES.get(work.status or "error", 502)
            context.update(
                headline=_HEADLINES.get(work.status or "error", "No record"),
                ids=_ids(api, work),
                formats=_formats(api, work) if work.status == "resolved" else [],
                candidates=[(c, candidate_key(c)) for c in work.candidates],
            )
        # A page is a page: 200 for any outcome the page shows, so browsers render it.
        headers = {**_SECURITY_HEADERS, "X-Paperfuse-Status": str(status)}
        return HTMLResponse(template.render(context), headers=headers)

    def asset(name: str) -> Route:
        async def answer(request: Request) -> Response:
            return Response(assets[name], media_type=_ASSETS[name], headers=_SECURITY_HEADERS)

        return Route(f"/assets/{name}", answer, methods=["GET"], include_in_schema=False)

    return [
        Route("/", page, methods=["GET"], include_in_schema=False),
        *(asset(name) for name in _ASSETS),
    ]


def _ids(api: Api, work: Work) -> list[tuple[str, str, str | None]]:
    """Each identifier of ``work``: its scheme's name, its value, and a link when it has one."""
    ids = work.ids
    named = [("DOI", "doi", ids.doi), ("arXiv", "arxiv", ids.arxiv)]
    named += [("PMID", "pmid", ids.pmid), ("PMCID", "pmcid", ids.pmcid)]
    named += [(name, name, value) for name, value in sorted(ids.other.items())]
    rows = []
    for label, scheme_name, value in named:
        if not value:
            continue
        scheme = api.resolver.host.schemes.get(scheme_name)
        url = scheme.url(Identifier(scheme=scheme_name, value=value)) if scheme else None
        rows.append((label, value, url if url and url.startswith("https://") else None))
    return rows


def _formats(api: Api, work: Work) -> list[tuple[str, str, str]]:
    """Every bibliography format's rendering of ``work``, then the JSON record."""
    rendered = []
    for name, cls in sorted(api.resolver.host.formats.items()):
        if name == "json":
            continue
        try:
            rendered.append((name, cls.description, document(cls(), [work])))
        except Exception as e:  # a plugin's format failing is shown, not a failed page
            rendered.append((name, cls.description, f"this format failed: {e}"))
    record = msgspec.json.format(msgspec.json.encode(msgspec.to_builtins(work)), indent=2)
    rendered.append(("json", "paperfuse's record, with provenance", record.decode()))
    return rendered
