"""CSL-JSON output: valid against the official schema, rendered by a real citation processor.

Over every record the recorded answers in tests/fixtures hold (tests/fixture_records.py),
each CSL item validates against csl-data.json (tests/fixtures/csl/, see its
PROVENANCE.md) and renders with citeproc-py's bundled Harvard style showing the
family names, year, title and, where the record has them, container, volume,
issue and pages. Then the hard cases of the issue, one test each.
"""

from __future__ import annotations

import json
import re
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle
from citeproc import formatter as citeproc_formatter
from citeproc.source.json import CiteProcJSON
from fixture_records import fixture_records

import paperfuse
from paperfuse import (
    Author,
    CSLJSONFormat,
    Ids,
    OALocation,
    OutputFormat,
    Work,
    csl_item,
    merge,
    render,
)
from paperfuse._names import is_organisation
from paperfuse.testing import Isolation

SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "csl" / "csl-data.json").read_text())
RECORDS = fixture_records()


@cache
def _validator() -> jsonschema.Draft7Validator:
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    return jsonschema.Draft7Validator(SCHEMA)


def _schema_errors(items: list[dict[str, Any]]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(items)]


@cache
def _style() -> CitationStylesStyle:
    return CitationStylesStyle("harvard-cite-them-right", validate=False)


def _rendered(item: dict[str, Any]) -> str:
    """``item``'s entry in a bibliography made by citeproc-py (plain text)."""
    with warnings.catch_warnings():
        # citeproc-py 0.11 knows neither citation-key nor custom (CSL 1.0.2) and says so
        warnings.simplefilter("ignore", UserWarning)
        source = CiteProcJSON([item])
    bibliography = CitationStylesBibliography(_style(), source, citeproc_formatter.plain)
    bibliography.register(Citation([CitationItem(item["id"])]))
    (entry,) = bibliography.bibliography()
    return str(entry)


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", re.sub(r"<[^>]+>", " ", text).lower())


def _shows(rendered: str, text: str) -> bool:
    """Whether the words of ``text`` appear in ``rendered``, in order (case and markup aside)."""
    return " ".join(_words(text)) in " ".join(_words(rendered))


def _holds_no_null(value: Any) -> bool:
    if isinstance(value, dict):
        return all(v is not None and _holds_no_null(v) for v in value.values())
    if isinstance(value, list):
        return all(v is not None and _holds_no_null(v) for v in value)
    return value is not None


# -- every recorded record ------------------------------------------------------------------


@cache
def _batch() -> list[dict[str, Any]]:
    """Every fixture record in one CSL-JSON batch, as ``resolve -f csl-json`` writes it."""
    return json.loads(render([work for _, work in RECORDS], "csl-json"))


def test_the_fixtures_hold_the_records_the_issue_speaks_of() -> None:
    assert len(RECORDS) > 400
    assert len(_batch()) == len(RECORDS)


def test_a_batch_of_every_record_validates_against_the_schema() -> None:
    errors = _schema_errors(_batch())
    assert not errors, errors[:10]


@pytest.mark.parametrize(("record", "work"), RECORDS, ids=[name for name, _ in RECORDS])
def test_every_record_is_a_valid_item_that_citeproc_renders(record: str, work: Work) -> None:
    item = csl_item(work)
    assert not _schema_errors([item]), f"{record}: {_schema_errors([item])}"
    assert _holds_no_null(item), f"{record}: {item}"
    for name in (*item.get("author", ()), *item.get("editor", ())):
        assert set(name) in ({"family", "given"}, {"family"}, {"literal"}), f"{record}: {name}"
        if "literal" in name:
            literal = name["literal"]
            assert is_organisation(literal) or len(literal.split()) == 1, f"{record}: {name}"

    rendered = _rendered(item)
    first = (item.get("author") or item.get("editor") or [{}])[0]
    if first:
        # the entry starts with the first family name: that is where a list sorts it
        lead = first.get("family") or first["literal"]
        assert _words(rendered)[: len(_words(lead))] == _words(lead), f"{record}: {rendered}"
    if work.year:
        assert str(work.year) in rendered, f"{record}: {rendered}"
    if work.title:
        # a title's first words (citeproc changes case and quotes, not words)
        assert _shows(rendered, " ".join(_words(work.title)[:6])), f"{record}: {rendered}"
    if work.venue:
        assert _shows(rendered, work.venue), f"{record}: {rendered}"
    for value in (work.volume, work.issue):
        if value:
            assert value in rendered, f"{record}: {value} not in {rendered}"
    if work.pages:
        first_page = re.split(r"[-\u2013]", work.pages)[0]
        assert first_page in rendered, f"{record}: {work.pages} not in {rendered}"


def test_keys_are_unique_within_a_batch_and_name_the_item_twice() -> None:
    ids = [item["id"] for item in _batch()]
    assert len(set(ids)) == len(ids)
    assert all(item["citation-key"] == item["id"] for item in _batch())
    assert all(re.fullmatch(r"[a-z][a-z0-9]*", key) for key in ids)


def test_no_url_is_a_pdf() -> None:
    for item in _batch():
        assert not item.get("URL", "").lower().endswith(".pdf"), item


# -- the hard cases of the issue ------------------------------------------------------------


def _preprint(**fields: Any) -> Work:
    """An arXiv preprint as the arXiv source gives it, merged as the resolver merges it."""
    defaults: dict[str, Any] = {
        "title": "Data-driven distributionally robust optimization",
        "authors": (Author(name="Bart Van Parys"), Author(name="H1 Collaboration")),
        "ids": Ids(arxiv="1709.09069", arxiv_version=2),
        "published": "2017-09-26",
        "year": 2017,
        "type": "posted-content",
        "comment": "12 pages, 3 figures",
        "journal_ref": "Phys. Rev. D 97, 044001 (2018)",
        "primary_category": "math.OC",
    }
    work = merge([("arxiv", Work(**{**defaults, **fields}))])
    return paperfuse.rank_oa(work, work.oa_locations)


def test_arxiv_names_are_split_and_organisations_literal() -> None:
    item = csl_item(_preprint())
    assert item["author"] == [
        {"family": "Van Parys", "given": "Bart"},
        {"literal": "H1 Collaboration"},
    ]
    # sorted under V, not B: citeproc writes the family name first
    assert _rendered(item).startswith("Van Parys, B.")


def test_names_of_a_work_made_by_hand_are_split_too() -> None:
    work = Work(
        title="T", authors=(Author(name="Luigi Di Caro"), Author(name="LHCb collaboration"))
    )
    assert csl_item(work)["author"] == [
        {"family": "Di Caro", "given": "Luigi"},
        {"literal": "LHCb collaboration"},
    ]


def test_an_arxiv_preprint_is_an_article_numbered_by_arxiv() -> None:
    item = csl_item(_preprint())
    assert item["type"] == "article"
    assert item["publisher"] == "arXiv"
    assert item["number"] == "arXiv:1709.09069"
    assert item["version"] == "2"
    assert item["URL"] == "https://arxiv.org/abs/1709.09069"
    assert item["issued"] == {"date-parts": [[2017, 9, 26]]}
    # the comment, and the journal reference a preprint keeps
    assert item["note"] == "12 pages, 3 figures\nJournal reference: Phys. Rev. D 97, 044001 (2018)"
    assert "container-title" not in item


def test_a_published_work_with_an_arxiv_id_is_numbered_by_its_journal() -> None:
    published = Work(
        title="T",
        type="journal-article",
        venue="Physical Review D",
        container_short="Phys. Rev. D",
        volume="97",
        issue="4",
        pages="044001",
        publisher="American Physical Society",
        ids=Ids(doi="10.1103/physrevd.97.044001", arxiv="1710.08557", arxiv_version=2),
    )
    item = csl_item(published)
    assert item["type"] == "article-journal"
    assert item["publisher"] == "American Physical Society"
    assert "number" not in item
    assert "version" not in item
    assert item["container-title-short"] == "Phys. Rev. D"
    assert item["URL"] == "https://doi.org/10.1103/physrevd.97.044001"
    assert item["note"] == "arXiv:1710.08557"


@pytest.mark.parametrize(
    ("crossref_type", "csl"),
    [
        ("journal-article", "article-journal"),
        ("proceedings-article", "paper-conference"),
        ("book-chapter", "chapter"),
        ("book-section", "chapter"),
        ("book-part", "chapter"),
        ("book", "book"),
        ("monograph", "book"),
        ("edited-book", "book"),
        ("reference-entry", "entry"),
        ("dissertation", "thesis"),
        ("report", "report"),
        ("dataset", "dataset"),
        ("posted-content", "article"),
        ("peer-review", "review"),
        ("standard", "standard"),
        ("software", "software"),
        ("journal-issue", "periodical"),
        ("component", "document"),
    ],
)
def test_crossref_types_map_to_csl_types(crossref_type: str, csl: str) -> None:
    item = csl_item(Work(title="T", type=crossref_type, venue="V"))
    assert item["type"] == csl
    assert not _schema_errors([item])


@pytest.mark.parametrize(
    ("work", "csl"),
    [
        (Work(title="T", type="other", venue="Journal"), "article-journal"),
        (Work(title="T", ids=Ids(arxiv="1709.09069")), "article"),
        (Work(title="T"), "document"),
    ],
)
def test_works_of_no_known_type(work: Work, csl: str) -> None:
    assert csl_item(work)["type"] == csl


def test_the_keys_the_issue_lists() -> None:
    work = Work(
        title="Opportunities and obstacles",
        subtitle="a review",
        type="journal-article",
        authors=(Author(name="Ada Lovelace", given="Ada", family="Lovelace"),),
        editors=(Author(name="Charles Babbage", given="Charles", family="Babbage"),),
        venue="Journal of the Royal Society, Interface",
        container_short="J R Soc Interface",
        volume="15",
        issue="141",
        pages="20170387",
        publisher="The Royal Society",
        published="2018-04",
        year=2018,
        issn=("1742-5689", "1742-5662"),
        issn_l="1742-5689",
        isbn=("978-3-16-148410-0",),
        ids=Ids(doi="10.1098/rsif.2017.0387", pmid="29618526", pmcid="PMC5938574"),
        abstract="Deep learning ...",
        language="en",
        license="https://creativecommons.org/licenses/by/4.0/",
        keywords=("deep learning", "biology"),
    )
    assert csl_item(work, key="lovelace2018opportunities") == {
        "id": "lovelace2018opportunities",
        "citation-key": "lovelace2018opportunities",
        "type": "article-journal",
        "title": "Opportunities and obstacles: a review",
        "author": [{"family": "Lovelace", "given": "Ada"}],
        "editor": [{"family": "Babbage", "given": "Charles"}],
        "container-title": "Journal of the Royal Society, Interface",
        "container-title-short": "J R Soc Interface",
        "volume": "15",
        "issue": "141",
        "page": "20170387",
        "publisher": "The Royal Society",
        "DOI": "10.1098/rsif.2017.0387",
        "PMID": "29618526",
        "PMCID": "PMC5938574",
        "ISSN": "1742-5689",
        "ISBN": "978-3-16-148410-0",
        "URL": "https://doi.org/10.1098/rsif.2017.0387",
        "abstract": "Deep learning ...",
        "language": "en",
        "keyword": "deep learning, biology",
        # the schema has no licence key: CSL's "custom" holds it
        "custom": {"license": "https://creativecommons.org/licenses/by/4.0/"},
        "issued": {"date-parts": [[2018, 4]]},
    }


def test_a_work_that_knows_little_has_no_null_keys() -> None:
    item = csl_item(Work(title="T"))
    assert item == {"id": "t", "citation-key": "t", "type": "document", "title": "T"}


@pytest.mark.parametrize(
    ("published", "year", "parts"),
    [
        ("2013-07-31", 2013, [2013, 7, 31]),
        ("2013-07", 2013, [2013, 7]),
        ("2013", 2013, [2013]),
        (None, 2013, [2013]),
        ("2013-13-01", 2013, [2013]),  # no month 13
        ("2013-02-40", 2013, [2013, 2]),
    ],
)
def test_issued_is_as_precise_as_known(published: str | None, year: int, parts: list[int]) -> None:
    item = csl_item(Work(title="T", published=published, year=year))
    assert item["issued"] == {"date-parts": [parts]}


def test_url_is_a_landing_page_never_a_pdf() -> None:
    pdf = "https://example.org/files/paper.pdf"
    landing = "https://example.org/paper"
    located = OALocation(url=pdf, url_for_pdf=pdf, url_for_landing_page=landing)
    assert csl_item(Work(title="T", oa_locations=(located,)))["URL"] == landing
    only_pdf = OALocation(url=pdf, url_for_pdf=pdf)
    assert "URL" not in csl_item(Work(title="T", oa_locations=(only_pdf,), ids=Ids(urls=(pdf,))))
    assert csl_item(Work(title="T", ids=Ids(pmcid="PMC5938574")))["URL"] == (
        "https://pmc.ncbi.nlm.nih.gov/articles/PMC5938574/"
    )
    assert csl_item(Work(title="T", ids=Ids(pmid="29618526")))["URL"] == (
        "https://pubmed.ncbi.nlm.nih.gov/29618526/"
    )


def test_doi_url_is_a_link_that_works() -> None:
    doi = "10.1002/(sici)1097-4636(199707)36:1<1::aid-jbm1>3.0.co;2-t"
    item = csl_item(Work(title="T", ids=Ids(doi=doi)))
    assert item["DOI"] == doi  # the DOI itself as it is
    assert item["URL"] == (
        "https://doi.org/10.1002/(sici)1097-4636(199707)36:1%3C1::aid-jbm1%3E3.0.co;2-t"
    )


def test_a_failed_work_is_no_item() -> None:
    failed = Work(input="10.1234/missing", status="not_found", error="no source found it")
    with pytest.raises(ValueError, match=r"10\.1234/missing"):
        csl_item(failed)


# -- a batch is one JSON array ----------------------------------------------------------------


def test_a_batch_is_one_json_array_with_an_item_a_line() -> None:
    works = [
        Work(input="a", status="resolved", title="First paper", year=2020),
        Work(input="b", status="not_found", error="no source found it"),
        Work(input="c", status="resolved", title="Second paper", year=2021),
    ]
    text = render(works, "csl-json")
    assert text == (
        "[\n"
        '{"id":"ref2020first","citation-key":"ref2020first","type":"document",'
        '"title":"First paper","issued":{"date-parts":[[2020]]}}\n'
        ',{"id":"ref2021second","citation-key":"ref2021second","type":"document",'
        '"title":"Second paper","issued":{"date-parts":[[2021]]}}\n'
        "]\n"
    )
    assert [item["title"] for item in json.loads(text)] == ["First paper", "Second paper"]


@pytest.mark.parametrize(
    "works",
    [
        [],
        [Work(input="x", status="invalid", error="not an identifier")],
        [Work(input="a", status="resolved", title="Only")],
    ],
)
def test_an_empty_or_single_batch_is_still_an_array(works: list[Work]) -> None:
    items = json.loads(render(works, "csl-json"))
    assert isinstance(items, list)
    assert len(items) == sum(w.status == "resolved" for w in works)
    assert not _schema_errors(items)


def test_keys_of_one_batch_are_made_unique() -> None:
    twin = Work(status="resolved", title="Same", year=2020, authors=(Author(name="Ada Lovelace"),))
    items = json.loads(render([twin, twin, twin], CSLJSONFormat))
    assert [i["id"] for i in items] == [
        "lovelace2020same",
        "lovelace2020samea",
        "lovelace2020sameb",
    ]
    # a new batch starts again
    (again,) = json.loads(render(twin, "csl-json"))
    assert again["id"] == "lovelace2020same"


def test_render_json_is_the_canonical_record_as_json_lines() -> None:
    works = [Work(input="a", status="resolved", title="A"), Work(input="b", status="not_found")]
    lines = render(works, "json").splitlines()
    assert [json.loads(line)["input"] for line in lines] == ["a", "b"]  # failed ones too
    assert render(works[0]) == paperfuse.encode_json(works[0]).decode() + "\n"


def test_a_format_with_only_render_writes_as_before() -> None:
    class Titles(OutputFormat):
        name = "titles"

        def render(self, work: Work) -> str:
            return work.title or "-"

    works = [Work(title="A"), Work(title="B", status="not_found")]
    assert render(works, Titles) == "A\nB\n"
    assert render(works, Titles()) == "A\nB\n"


def test_render_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="'yaml' is not one of"):
        render(Work(title="T"), "yaml")


def test_render_finds_an_installed_plugins_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paperfuse_isolated: Isolation
) -> None:
    from installed_plugins import install_distribution

    install_distribution(
        tmp_path,
        "paperfuse-titles",
        {"titles": "paperfuse_titles"},
        {
            "paperfuse_titles": """
                import paperfuse

                class Titles(paperfuse.OutputFormat):
                    name = "titles"
                    bibliography = True

                    def begin(self):
                        return "<titles>\\n"

                    def end(self):
                        return "</titles>\\n"

                    def render(self, work):
                        return "<title>" + work.title + "</title>"

                @paperfuse.hookimpl
                def paperfuse_register_formats():
                    return [Titles]
            """
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    paperfuse_isolated.use_plugins(entry_points=["titles"])
    works = [Work(title="A", status="resolved"), Work(title="B", status="not_found")]
    assert render(works, "titles") == "<titles>\n<title>A</title>\n</titles>\n"
