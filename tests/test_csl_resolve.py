"""From Python, one call: a resolved work as a CSL item or a bibliography, against local servers.

Crossref and Unpaywall answer from their recorded answers for 10.1038/nature12373
(tests/fixtures/crossref/skgif_10.1038_nature12373.json and
tests/fixtures/unpaywall/unpywall_10.1038_nature12373.json), served by a local
server; doi.org's registration-agency look-up answers 404 there (unknown prefix:
Crossref is asked). The same record is the example of docs/formats.md, which
these tests keep true.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import paperfuse
import paperfuse_crossref
import paperfuse_unpaywall
from paperfuse import Config, SourceSettings, Work

FIXTURES = Path(__file__).parent / "fixtures"
DOCS = Path(__file__).parent.parent / "docs" / "formats.md"
DOI = "10.1038/nature12373"


def serve_nature12373(server: HTTPServer) -> None:
    """The recorded Crossref and Unpaywall answers for 10.1038/nature12373 at ``server``."""

    def crossref(request: Request) -> Response:
        body = (FIXTURES / "crossref" / "skgif_10.1038_nature12373.json").read_bytes()
        return Response(body, content_type="application/json")

    def unpaywall(request: Request) -> Response:
        body = (FIXTURES / "unpaywall" / "unpywall_10.1038_nature12373.json").read_bytes()
        return Response(body, content_type="application/json")

    def agency(request: Request) -> Response:
        return Response(json.dumps([{"DOI": "10.1038", "status": "Invalid DOI"}]), status=404)

    server.expect_request(f"/works/{DOI}").respond_with_handler(crossref)
    server.expect_request(f"/v2/{DOI}").respond_with_handler(unpaywall)
    server.expect_request(re.compile(r"^/ra/.*")).respond_with_handler(agency)


def resolver_at(server: HTTPServer) -> paperfuse.Resolver:
    url = server.url_for("").rstrip("/")
    config = Config(
        email="librarian@example.org",
        use_cache=False,
        sources={
            "crossref": SourceSettings(url=url, min_interval=0.0),
            "unpaywall": SourceSettings(url=url, min_interval=0.0),
            "doi": SourceSettings(url=url, min_interval=0.0),
        },
    )
    plugins = {"crossref": paperfuse_crossref, "unpaywall": paperfuse_unpaywall}
    return paperfuse.Resolver(config, entry_points=False, plugins=plugins)


@pytest.fixture
def nature12373(httpserver: HTTPServer) -> Iterator[Work]:
    serve_nature12373(httpserver)
    with resolver_at(httpserver) as resolver:
        yield resolver.resolve(DOI)


def test_a_resolved_work_as_a_csl_item(nature12373: Work) -> None:
    item = paperfuse.csl_item(nature12373)
    assert item["id"] == "kucsko2013nanometre"
    assert item["type"] == "article-journal"
    assert item["author"][:2] == [
        {"family": "Kucsko", "given": "G."},
        {"family": "Maurer", "given": "P. C."},
    ]
    assert (item["container-title"], item["volume"], item["issue"], item["page"]) == (
        "Nature",
        "500",
        "7460",
        "54-58",
    )
    assert item["issued"] == {"date-parts": [[2013, 7, 31]]}
    assert item["URL"] == "https://doi.org/10.1038/nature12373"
    assert json.loads(json.dumps(item)) == item  # plain JSON data


def test_a_resolved_work_as_a_csl_json_file(nature12373: Work) -> None:
    (item,) = json.loads(paperfuse.render(nature12373, "csl-json"))
    assert item == paperfuse.csl_item(nature12373)


def _documented(kind: str) -> Any:
    """The JSON block of docs/formats.md under ``<!-- example: kind -->``."""
    text = DOCS.read_text()
    match = re.search(rf"<!-- example: {kind} -->\s*```json\n(.*?)```", text, re.S)
    assert match, f"docs/formats.md has no {kind} example"
    return json.loads(match.group(1))


def test_docs_show_this_record_as_json_and_csl_json(nature12373: Work) -> None:
    record = msgspec.to_builtins(nature12373)
    assert _documented("json") == json.loads(json.dumps(record))
    assert _documented("csl-json") == [paperfuse.csl_item(nature12373)]


def test_docs_show_this_record_as_a_zotero_item(nature12373: Work) -> None:
    assert _documented("zotero") == json.loads(paperfuse.render(nature12373, "zotero"))
