"""Zotero items: paperfuse's records as Zotero's API JSON, and Zotero's items read back.

Items made by Zotero's own translators (tests/fixtures/zotero, see its
PROVENANCE.md) check the reading and the schema paperfuse ships; every
fixture record checks the writing.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import bibtexparser
import jsonschema
import pytest

import paperfuse
from paperfuse import Work, work_from_zotero, zotero_item
from paperfuse._zotero import ITEM_FIELDS
from tests.fixture_records import fixture_records

FIXTURES = Path(__file__).parent / "fixtures"
TRANSLATOR_ITEMS: dict[str, dict] = json.loads(
    (FIXTURES / "zotero" / "translator_items.json").read_text(encoding="utf-8")
)
CSL_SCHEMA = json.loads((FIXTURES / "csl" / "csl-data.json").read_text(encoding="utf-8"))
RECORDS = fixture_records()
#: Keys of an API item that are not fields of its type.
ITEM_KEYS = {"key", "version", "itemType", "creators", "tags", "collections", "relations"}
#: Keys of a translator's item that are not fields (its children and links).
TRANSLATOR_KEYS = {"itemType", "creators", "tags", "notes", "attachments", "seeAlso"}


@pytest.mark.parametrize("name", sorted(TRANSLATOR_ITEMS))
def test_the_schema_paperfuse_ships_knows_every_field_zotero_wrote(name: str) -> None:
    item = TRANSLATOR_ITEMS[name]
    fields = ITEM_FIELDS[item["itemType"]]
    assert set(item) - TRANSLATOR_KEYS <= set(fields)


@pytest.mark.parametrize(("name", "work"), RECORDS, ids=[name for name, _ in RECORDS])
def test_every_record_is_an_item_with_only_its_types_fields(name: str, work: Work) -> None:
    item = zotero_item(work)
    assert item["itemType"] in ITEM_FIELDS
    assert set(item) - ITEM_KEYS <= set(ITEM_FIELDS[item["itemType"]])
    assert len(item["key"]) == 8
    assert item["key"] == zotero_item(work)["key"]
    for creator in item["creators"]:
        assert creator["creatorType"] in {"author", "editor"}
        assert "name" in creator or {"firstName", "lastName"} <= set(creator)
    json.dumps(item)  # plain JSON all through


@pytest.mark.parametrize(("name", "work"), RECORDS, ids=[name for name, _ in RECORDS])
def test_every_record_reads_back_with_its_ids_and_citation_fields(name: str, work: Work) -> None:
    back = work_from_zotero(zotero_item(work))
    assert back.ids.doi == (work.ids.doi.lower() if work.ids.doi else None)
    assert (back.ids.arxiv, back.ids.pmid, back.ids.pmcid) == (
        work.ids.arxiv,
        work.ids.pmid,
        work.ids.pmcid,
    )
    assert (back.volume, back.issue, back.pages) == (work.volume, work.issue, work.pages)
    assert back.year == work.year
    assert len(back.authors) == len(work.authors)


def test_a_journal_article_has_its_journal_ids_and_split_names() -> None:
    work = Work(
        status="resolved",
        ids=paperfuse.Ids(doi="10.1038/nature09534", pmid="20981092", pmcid="PMC3042601"),
        title="A map of human genome variation from population-scale sequencing",
        authors=(paperfuse.Author(name="Richard M. Durbin"),),
        venue="Nature",
        container_short="Nature",
        volume="467",
        issue="7319",
        pages="1061-1073",
        published="2010-10-28",
        issn=("0028-0836", "1476-4687"),
        type="journal-article",
    )
    item = zotero_item(work)
    assert item["itemType"] == "journalArticle"
    assert item["publicationTitle"] == "Nature"
    assert (item["volume"], item["issue"], item["pages"]) == ("467", "7319", "1061-1073")
    assert item["date"] == "2010-10-28"
    assert item["DOI"] == "10.1038/nature09534"
    # Zotero's schema (version 41) gives journal articles PMID and PMCID fields.
    assert (item["PMID"], item["PMCID"]) == ("20981092", "PMC3042601")
    assert item["creators"] == [
        {"creatorType": "author", "firstName": "Richard M.", "lastName": "Durbin"}
    ]


def test_an_identifier_its_type_has_no_field_for_goes_in_extra() -> None:
    work = Work(
        status="resolved",
        ids=paperfuse.Ids(doi="10.1021/acsami.3c09983.s001", arxiv="2101.00001"),
        title="A supplement",
        type="component",
        primary_category="cs.LG",
    )
    item = zotero_item(work)
    assert item["itemType"] == "document"
    assert item["DOI"] == "10.1021/acsami.3c09983.s001"
    assert item["extra"] == "arXiv:2101.00001 [cs.LG]"


def test_an_arxiv_preprint_is_a_preprint_in_the_arxiv_repository() -> None:
    work = Work(
        status="resolved",
        ids=paperfuse.Ids(arxiv="math/0211159"),
        title="The entropy formula for the Ricci flow and its geometric applications",
        authors=(paperfuse.Author(name="Grisha Perelman"),),
        published="2002-11-11",
    )
    item = zotero_item(work)
    assert item["itemType"] == "preprint"
    assert (item["repository"], item["archiveID"]) == ("arXiv", "arXiv:math/0211159")
    assert item["url"] == "https://arxiv.org/abs/math/0211159"


def test_a_failed_work_is_no_item() -> None:
    with pytest.raises(ValueError, match="not_found"):
        zotero_item(Work(input="10.1/x", status="not_found", error="no source knows it"))


# -- Zotero's items read back -------------------------------------------------------------


def test_pubmed_item_gives_its_pmid_and_pmcid_from_extra() -> None:
    work = work_from_zotero(TRANSLATOR_ITEMS["PubMed.js #9"])
    assert (work.ids.doi, work.ids.pmid, work.ids.pmcid) == (
        "10.1038/nature09534",
        "20981092",
        "PMC3042601",
    )
    assert work.type == "journal-article"
    assert work.venue == "Nature"
    consortium, first_person = work.authors[:2]
    # A single-field creator is kept whole: its family name is the whole name, never split.
    assert consortium.family == consortium.name == "1000 Genomes Project Consortium"
    assert consortium.given is None
    assert (first_person.given, first_person.family) == ("Gonçalo R.", "Abecasis")


def test_arxiv_items_give_their_arxiv_ids() -> None:
    preprint = work_from_zotero(TRANSLATOR_ITEMS["arXiv.org.js #11"])
    assert (preprint.ids.arxiv, preprint.type, preprint.venue) == (
        "math/0211159",
        "posted-content",
        None,
    )
    published = work_from_zotero(TRANSLATOR_ITEMS["arXiv.org.js #1"])
    assert published.ids.arxiv == "1107.4612"  # from "arXiv:1107.4612 [astro-ph.CO]" in extra
    assert published.ids.doi == "10.1111/j.1365-2966.2011.19851.x"


def test_a_thesis_gives_its_university_as_publisher_and_doi_from_extra() -> None:
    thesis = TRANSLATOR_ITEMS["Crossref REST.js #3"]
    work = work_from_zotero(thesis)
    assert (work.type, work.publisher, work.year) == (
        "dissertation",
        "The University of Iowa",
        1958,
    )
    assert work.ids.doi is None
    # Earlier versions of the same translator put the thesis's DOI in extra.
    work = work_from_zotero({**thesis, "extra": "DOI: 10.17077/etd.xnw0xnau"})
    assert work.ids.doi == "10.17077/etd.xnw0xnau"
    assert (work.authors[0].given, work.authors[0].family) == ("Joseph Emil", "Kasper")


def test_a_single_field_creator_stays_whole() -> None:
    work = work_from_zotero(TRANSLATOR_ITEMS["Crossref REST.js #5"])
    assert [(a.given, a.family) for a in work.authors] == [(None, "Anonymous Reviewer")]
    entry = bibtexparser.parse_string(paperfuse.render([work], "bibtex")).entries[0]
    assert entry["author"] == "{Anonymous Reviewer}"
    assert json.loads(paperfuse.render([work], "csl-json"))[0]["author"] == [
        {"family": "Anonymous Reviewer"}
    ]


@pytest.mark.parametrize("name", sorted(TRANSLATOR_ITEMS))
def test_zoteros_items_come_back_as_they_were(name: str) -> None:
    original = TRANSLATOR_ITEMS[name]
    again = zotero_item(work_from_zotero(original))
    assert again["itemType"] == original["itemType"]
    for field in ("title", "volume", "issue", "pages", "ISSN"):
        assert again.get(field) == original.get(field), field
    assert [c.get("lastName") or c.get("name") for c in again["creators"]] == [
        c.get("lastName") for c in original["creators"] if c["creatorType"] in {"author", "editor"}
    ]


@pytest.mark.parametrize("name", sorted(TRANSLATOR_ITEMS))
def test_zoteros_items_export_as_bibtex_and_valid_csl(name: str) -> None:
    work = work_from_zotero(TRANSLATOR_ITEMS[name])
    entry = bibtexparser.parse_string(paperfuse.render([work], "bibtex")).entries
    assert len(entry) == 1
    assert entry[0]["title"]
    jsonschema.validate(json.loads(paperfuse.render([work], "csl-json")), CSL_SCHEMA)


@pytest.mark.parametrize(
    "item",
    [None, [], "journalArticle", {"title": "no type"}, {"itemType": 3}],
)
def test_what_is_no_item_is_refused(item: object) -> None:
    with pytest.raises(ValueError, match="itemType"):
        work_from_zotero(item)


def test_mistyped_fields_are_ignored() -> None:
    work = work_from_zotero(
        {"itemType": "journalArticle", "title": ["a list"], "volume": 12, "creators": "x"}
    )
    assert (work.title, work.volume, work.authors) == (None, "12", ())


def test_the_zotero_format_writes_one_array_of_the_resolved_works() -> None:
    found = Work(status="resolved", title="Found", ids=paperfuse.Ids(doi="10.1/found"))
    lost = Work(input="10.1/lost", status="not_found")
    out = io.StringIO()
    out.write(paperfuse.render([found, lost], "zotero"))
    items = json.loads(out.getvalue())
    assert [item["title"] for item in items] == ["Found"]
    assert json.loads(paperfuse.render([], "zotero")) == []
