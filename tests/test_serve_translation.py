"""``POST /search`` and ``POST /export``: translation-server's shape, on the real server.

The sources are paperfuse.testing's in-memory fakes, and the arXiv source at a
fake upstream replaying arXiv's recorded feed; the items exported are Zotero
translators' own (tests/fixtures/zotero).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
import httpx
import jsonschema
import pytest
import rispy

import paperfuse_arxiv
from paperfuse.serve import create_app
from paperfuse.testing import FakeUpstream, Reply, ResolverFactory, SourcesPlugin, fake_source
from tests.serving import TITLE, Broken, Table, running

FIXTURES = Path(__file__).parent / "fixtures"
ITEMS: dict[str, dict] = json.loads(
    (FIXTURES / "zotero" / "translator_items.json").read_text(encoding="utf-8")
)
CSL_SCHEMA = json.loads((FIXTURES / "csl" / "csl-data.json").read_text(encoding="utf-8"))
TEXT = {"Content-Type": "text/plain"}


@pytest.fixture
def server(paperfuse_resolver: ResolverFactory) -> Iterator[str]:
    resolver = paperfuse_resolver(SourcesPlugin(Table, Broken))
    with running(create_app(resolver=resolver, max_body=64 * 1024, max_inputs=20)) as url:
        yield url


# -- POST /search ----------------------------------------------------------------------------


def test_search_answers_zotero_items(server: str) -> None:
    answer = httpx.post(f"{server}/search", content="10.1234/found", headers=TEXT)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    [item] = answer.json()
    assert item["itemType"] == "journalArticle"
    assert (item["title"], item["DOI"], item["volume"], item["pages"]) == (
        "A found work",
        "10.1234/found",
        "7",
        "1-9",
    )
    assert item["publicationTitle"] == "Journal of Found Things"


def test_search_of_an_ambiguous_title_is_300_with_choices_keyed_by_doi(server: str) -> None:
    answer = httpx.post(f"{server}/search", content=TITLE, headers=TEXT)
    assert answer.status_code == 300
    choices = answer.json()
    assert set(choices) == {"10.1234/one", "10.1234/two"}
    assert all(choice["title"] == TITLE for choice in choices.values())
    assert {choice["description"] for choice in choices.values()} == {"2017", "2019"}


def test_search_of_a_title_nobody_knows_is_an_empty_list(
    paperfuse_resolver: ResolverFactory,
) -> None:
    Empty = fake_source("empty", ["doi"], searches_titles=True, candidates=[])
    with running(create_app(resolver=paperfuse_resolver(SourcesPlugin(Empty)))) as url:
        answer = httpx.post(f"{url}/search", content="Words about nothing at all", headers=TEXT)
    assert (answer.status_code, answer.json()) == (200, [])


@pytest.mark.parametrize(
    ("body", "headers", "status", "says"),
    [
        ("10.1234/absent", TEXT, 501, "no source knows"),
        ("arXiv:not-an-id", TEXT, 422, ""),
        ("PMID:12345", TEXT, 502, "down for test"),
        ("   ", TEXT, 400, "POST data not provided"),
        ("10.1234/found", {"Content-Type": "application/json"}, 415, "text/plain"),
        ("x" * (65 * 1024), TEXT, 413, "limit"),
    ],
)
def test_search_failures(server: str, body: str, headers: dict, status: int, says: str) -> None:
    answer = httpx.post(f"{server}/search", content=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert says in json.dumps(answer.json())


# -- POST /export ----------------------------------------------------------------------------


def export(server: str, items: object, format: str) -> httpx.Response:
    return httpx.post(f"{server}/export", params={"format": format}, json=items)


def test_export_writes_zoteros_items_as_bibtex(server: str) -> None:
    answer = export(server, list(ITEMS.values()), "bibtex")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/x-bibtex")
    entries = bibtexparser.parse_string(answer.text).entries
    assert len(entries) == len(ITEMS)
    by_doi = {e.fields_dict["doi"].value: e for e in entries if "doi" in e.fields_dict}
    pubmed = by_doi["10.1038/nature09534"]
    assert pubmed.entry_type == "article"
    assert (pubmed["volume"], pubmed["number"], pubmed["pages"]) == ("467", "7319", "1061--1073")


def test_export_as_csljson_is_valid_csl_as_translation_server_types_it(server: str) -> None:
    answer = export(server, list(ITEMS.values()), "csljson")
    assert answer.headers["content-type"] == "application/json"
    items = answer.json()
    jsonschema.validate(items, CSL_SCHEMA)
    assert {item["type"] for item in items} >= {"article-journal", "thesis", "article", "chapter"}


def test_export_as_ris_and_as_paperfuses_own_formats(server: str) -> None:
    ris = export(server, [ITEMS["Crossref REST.js #9"]], "ris")
    [record] = rispy.loads(ris.text)
    assert (record["type_of_reference"], record["doi"]) == ("JOUR", "10.1300/j150v03n04_02")
    biblatex = export(server, [ITEMS["arXiv.org.js #11"]], "biblatex")
    assert "eprint = {math/0211159}" in biblatex.text
    csl = export(server, [ITEMS["Crossref REST.js #3"]], "csl-json")
    assert csl.headers["content-type"].startswith("application/vnd.citationstyles.csl+json")


def test_search_then_export_is_translation_servers_round_trip(server: str) -> None:
    items = httpx.post(f"{server}/search", content="10.1234/found", headers=TEXT).json()
    entry = bibtexparser.parse_string(export(server, items, "bibtex").text).entries[0]
    assert (entry["doi"], entry["title"], entry["pmid"]) == (
        "10.1234/found",
        "A found work",
        "123456",
    )


def test_export_leaves_out_notes_and_attachments(server: str) -> None:
    note = {"itemType": "note", "note": "<p>read this</p>"}
    answer = export(server, [note, ITEMS["Crossref REST.js #9"]], "ris")
    assert len(rispy.loads(answer.text)) == 1


@pytest.mark.parametrize(
    ("params", "body", "status", "says"),
    [
        ({"format": "mods"}, [{"itemType": "book"}], 400, "Invalid format specified ('mods')"),
        ({}, [{"itemType": "book"}], 400, "Invalid format specified"),
        ({"format": "bibtex"}, {"itemType": "book"}, 400, "array of items"),
        ({"format": "bibtex"}, [], 400, "array of items"),
        ({"format": "bibtex"}, [{"itemType": "book"}, {"title": "x"}], 400, "item 1"),
        ({"format": "bibtex"}, [{"itemType": "book"}] * 21, 413, "21 items"),
    ],
)
def test_export_failures(server: str, params: dict, body: object, status: int, says: str) -> None:
    answer = httpx.post(f"{server}/export", params=params, json=body)
    assert answer.status_code == status
    assert says in answer.json()["error"]


def test_export_wants_json(server: str) -> None:
    answer = httpx.post(f"{server}/export?format=bibtex", content="[]", headers=TEXT)
    assert answer.status_code == 415


def test_export_of_a_body_that_is_no_json_is_400(server: str) -> None:
    answer = httpx.post(
        f"{server}/export?format=bibtex",
        content=b"[{",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400


# -- end to end: arXiv at a fake upstream ---------------------------------------------------


def test_search_of_an_arxiv_id_through_the_arxiv_source(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    paperfuse_upstream.route(
        "/api/query",
        lambda asked: Reply.file(FIXTURES / "arxiv" / "pubs_id_1710.08557.xml"),
    )
    resolver = paperfuse_resolver(
        {"arxiv": paperfuse_arxiv}, urls={"arxiv": paperfuse_upstream.url}
    )
    with running(create_app(resolver=resolver)) as url:
        answer = httpx.post(f"{url}/search", content="arXiv:1710.08557", headers=TEXT, timeout=30)
    assert answer.status_code == 200
    [item] = answer.json()
    assert (item["itemType"], item["repository"], item["archiveID"]) == (
        "preprint",
        "arXiv",
        "arXiv:1710.08557",
    )
    assert all(c["lastName"] and c["firstName"] for c in item["creators"])
