"""DataCite's DOI records mapped field by field, and against wrong types, absurd
numbers, deep nesting and markup.

Expected values were read by eye from the recorded answers in
tests/fixtures/datacite/. A bad value in one field costs only that field (or
that one creator, relation or funder). The hostile values are built in test
code, on top of the recorded answers.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import paperfuse
from mutations import JSON_VALUES, mutated_json
from paperfuse import Funder, Relation, Work
from paperfuse_datacite import attributes_to_work, clean_text, doi_record_to_work, relation_type

FIXTURES = Path(__file__).parent / "fixtures" / "datacite"
DRYAD = "commonmeta_10.5061_dryad.8515.json"
LIPICS = "commonmeta_10.4230_lipics.tqc.2013.93.json"
FIGSHARE = "commonmeta_10.6084_m9.figshare.1449060.json"
ZENODO = "commonmeta_10.5281_zenodo.48440.json"
RECORDS = [DRYAD, LIPICS, FIGSHARE, ZENODO]
HUGE = 2**64 * 10**12


def load(name: str = DRYAD) -> Any:
    return json.loads((FIXTURES / name).read_text())


def attributes(name: str = DRYAD) -> dict[str, Any]:
    return load(name)["data"]["attributes"]  # type: ignore[no-any-return]


def mapped(name: str = DRYAD, **changes: Any) -> Work:
    answer = load(name)
    answer["data"]["attributes"].update(changes)
    work = doi_record_to_work(answer)
    assert work is not None
    assert_sane(work)
    return work


def related(kind: str, value: Any, scheme: str) -> dict[str, Any]:
    """One relatedIdentifiers entry, in DataCite's shape."""
    return {"relationType": kind, "relatedIdentifier": value, "relatedIdentifierType": scheme}


def assert_storable(work: Work) -> None:
    """What the cache (msgpack) and the output (JSON) do with every record must work."""
    msgspec.msgpack.encode(work)
    paperfuse.encode_json(work)


def assert_sane(work: Work) -> None:
    assert_storable(work)
    assert work.year is None or 1000 <= work.year <= 3000
    assert all(isinstance(a.name, str) and a.name for a in (*work.authors, *work.editors))
    assert all(isinstance(f.name, str) and f.name for f in work.funders)
    for count in (work.cited_by_count, work.references_count):
        assert count is None or 0 <= count < 2**63


# -- the recorded answers ---------------------------------------------------------------------


def test_dryad_dataset_with_eight_creators() -> None:
    work = mapped(DRYAD)
    assert work.ids.doi == "10.5061/dryad.8515"
    assert work.title == "Data from: A new malaria agent in African hominids."
    assert work.subtitle is None
    assert (work.type, work.publisher, work.language) == ("dataset", "Dryad", "en")
    assert (work.published, work.year) == ("2011-02-01", 2011)  # the Issued date, to the day
    assert len(work.authors) == 8
    first = work.authors[0]
    assert (first.name, first.given, first.family, first.sequence) == (
        "Benjamin Ollomo",
        "Benjamin",
        "Ollomo",
        "first",
    )
    assert first.affiliations == ("Centre International de Recherches Médicales de Franceville",)
    douzery = work.authors[3]
    assert (douzery.given, douzery.family, douzery.affiliations) == (
        "Emmanuel J. P.",
        "Douzery",
        (),
    )
    assert {a.sequence for a in work.authors[1:]} == {"additional"}
    assert work.authors[7].name == "François Renaud"
    assert work.license == "https://creativecommons.org/publicdomain/zero/1.0/legalcode"
    assert work.relations == (
        Relation(type="is-cited-by", scheme="doi", value="10.1371/journal.ppat.1000446"),
    )
    assert (work.cited_by_count, work.references_count) == (1, 1)
    assert work.abstract is not None
    assert work.abstract.startswith(
        "Plasmodium falciparum is the major human malaria agent responsible for 200 to 300"
        " million infections"
    )
    assert "\n" not in work.abstract
    assert work.editors == ()
    assert (work.venue, work.volume, work.issue, work.pages) == (None, None, None, None)
    extra = work.extra["datacite"]
    assert extra["resourceTypeGeneral"] == "Dataset"
    assert extra["subjects"] == ["Plasmodium", "Malaria", "mitochondrial genome", "Parasites"]
    assert (extra["version"], extra["client"]) == ("1", "dryad.dryad")
    assert extra["url"] == "https://datadryad.org/dataset/doi:10.5061/dryad.8515"
    assert {"dateType": "Submitted", "date": "2011-02-01"} in extra["dates"]


def test_lipics_conference_paper_with_container_and_editors() -> None:
    work = mapped(LIPICS)
    assert work.ids.doi == "10.4230/lipics.tqc.2013.93"
    assert work.title == "The Minimum Size of Qubit Unextendible Product Bases"
    assert work.type == "proceedings-article"
    assert [(a.name, a.given, a.family) for a in work.authors] == [
        ("Nathaniel Johnston", "Nathaniel", "Johnston")
    ]
    assert [(e.name, e.given, e.family) for e in work.editors] == [
        ("Simone Severini", "Simone", "Severini"),
        ("Fernando Brandao", "Fernando", "Brandao"),
    ]
    assert (work.venue, work.volume, work.issue, work.pages) == (
        "LIPIcs, Volume 22, TQC 2013",
        "22",
        None,
        "93-105",
    )
    # Issued says only the year 2013; the Available date says the day.
    assert (work.published, work.year) == ("2013-11-13", 2013)
    assert work.publisher == "Schloss Dagstuhl – Leibniz-Zentrum für Informatik"
    assert work.issn == ("1868-8969",)
    assert work.isbn == ("978-3-939897-55-2",)
    assert work.license == "https://creativecommons.org/licenses/by/3.0/legalcode"
    assert work.language == "en"
    assert set(work.relations) == {
        Relation(type="is-part-of", scheme="doi", value="10.4230/lipics.tqc.2013"),
        Relation(type="is-part-of", scheme="isbn", value="978-3-939897-55-2"),
        Relation(type="is-part-of", scheme="issn", value="1868-8969"),
    }
    assert work.abstract is not None
    assert work.abstract.startswith("We investigate the problem of constructing unextendible")
    assert "SeriesInformation" not in work.abstract
    assert "LIPIcs, Vol. 22" not in work.abstract  # a SeriesInformation description
    assert (work.cited_by_count, work.references_count) == (0, 0)


def test_figshare_dataset_with_an_orcid_and_html_in_its_abstract() -> None:
    work = mapped(FIGSHARE)
    assert work.ids.doi == "10.6084/m9.figshare.1449060"
    assert work.type == "dataset"
    assert [a.name for a in work.authors] == [
        "Ian Dworkin",
        "John Pool",
        "William Pitchers",
        "Maria Pesevski",
    ]
    assert work.authors[0].orcid == "https://orcid.org/0000-0002-2874-287X"
    assert {a.orcid for a in work.authors[1:]} == {None}
    assert (work.published, work.year, work.publisher) == ("2020", 2020, "figshare")
    assert work.license == "https://creativecommons.org/licenses/by/4.0/legalcode"
    assert work.abstract is not None
    assert work.abstract.startswith(
        "These are raw wing images from Drosophila melanogaster isofemale lines"
    )
    assert "<" not in work.abstract
    assert "microscope. Please note." in work.abstract  # a <br> is a space, not nothing
    assert work.relations == ()
    assert work.language is None


def test_zenodo_software_with_a_related_url() -> None:
    work = mapped(ZENODO)
    assert work.ids.doi == "10.5281/zenodo.48440"
    assert work.type == "software"
    assert work.extra["datacite"]["resourceTypeGeneral"] == "Software"
    assert work.title == "Analysis Tools for Crossover Experiment of UI using Choice Architecture"
    assert [(a.name, a.given, a.family) for a in work.authors] == [
        ("Kristian Garza", "Kristian", "Garza")
    ]
    assert (work.published, work.year, work.publisher) == ("2016-03-27", 2016, "Zenodo")
    # The first licence with a URL; "info:eu-repo/semantics/openAccess" names no licence.
    assert work.license == "https://creativecommons.org/licenses/by-nc-sa/4.0/legalcode"
    assert work.relations == (
        Relation(
            type="is-supplement-to",
            scheme="url",
            value="https://github.com/kjgarza/frame_experiment_analysis/tree/v1.0",
        ),
    )
    assert work.extra["datacite"]["version"] == "v1.0"
    assert work.abstract is not None
    assert "<br>" not in work.abstract
    assert "- Data structures for the experimental data. - Visualisation functions" in (
        work.abstract
    )


# -- shapes the recorded answers do not show -------------------------------------------------------


def test_an_organisation_keeps_its_name_whole() -> None:
    creators = [
        {"name": "Smith, Jones and Partners", "nameType": "Organizational"},
        {"name": "Doe, Jane", "nameType": "Personal"},
        {"name": "Department of Physics, University of Somewhere"},
        {"name": "ATLAS Collaboration", "nameType": "Organizational", "givenName": "x"},
    ]
    work = mapped(DRYAD, creators=creators)
    assert [(a.name, a.given, a.family) for a in work.authors] == [
        ("Smith, Jones and Partners", None, None),
        ("Jane Doe", "Jane", "Doe"),  # a person's "Family, Given" is split
        ("Department of Physics, University of Somewhere", None, None),  # no nameType: whole
        ("ATLAS Collaboration", None, None),
    ]


def test_orcids_in_every_spelling_and_affiliation_objects() -> None:
    creators = [
        {
            "givenName": "Ann",
            "familyName": "Lee",
            "nameIdentifiers": [
                {"nameIdentifier": "0000-0001-5000-0007", "nameIdentifierScheme": "ORCID"}
            ],
            "affiliation": [
                {"name": " CERN ", "affiliationIdentifier": "https://ror.org/01ggx4157"}
            ],
        },
        {
            "givenName": "Bo",
            "familyName": "Li",
            "nameIdentifiers": [
                {"nameIdentifier": "https://ror.org/x", "nameIdentifierScheme": "ROR"},
                {"nameIdentifier": "http://orcid.org/0000-0002-1825-009x/"},
            ],
            "affiliation": "Somewhere University",
        },
        {
            "givenName": "Cy",
            "nameIdentifiers": [
                {"nameIdentifier": "not an orcid", "nameIdentifierScheme": "ORCID"}
            ],
        },
    ]
    work = mapped(DRYAD, creators=creators)
    assert [a.orcid for a in work.authors] == [
        "https://orcid.org/0000-0001-5000-0007",
        "https://orcid.org/0000-0002-1825-009X",
        None,
    ]
    assert work.authors[0].affiliations == ("CERN",)
    assert work.authors[1].affiliations == ("Somewhere University",)
    assert work.authors[2].name == "Cy"


def test_titles_subtitle_and_publisher_object() -> None:
    titles = [
        {"title": "Translated", "titleType": "TranslatedTitle"},
        {"title": "Main title", "lang": "en"},
        {"title": "A subtitle", "titleType": "Subtitle"},
    ]
    work = mapped(
        DRYAD, titles=titles, publisher={"name": "Dryad Digital Repository", "lang": "en"}
    )
    assert (work.title, work.subtitle) == ("Main title", "A subtitle")
    assert work.publisher == "Dryad Digital Repository"
    only_typed = mapped(DRYAD, titles=[{"title": "Alt", "titleType": "AlternativeTitle"}])
    assert only_typed.title == "Alt"


@pytest.mark.parametrize(
    ("general", "specific", "expected"),
    [
        ("JournalArticle", None, "journal-article"),
        ("ConferencePaper", None, "proceedings-article"),
        ("Preprint", None, "posted-content"),
        ("Dissertation", None, "dissertation"),
        ("Report", None, "report"),
        ("Book", None, "book"),
        ("BookChapter", None, "book-chapter"),
        ("Software", None, "software"),
        ("Dataset", None, "dataset"),
        ("Collection", None, "other"),
        ("Image", None, "other"),
        ("Text", "Journal article", "journal-article"),
        ("Text", "Thesis", "dissertation"),
        ("Text", "Preprint", "posted-content"),
        ("Text", None, None),  # "Text" alone says nothing more
        (5, None, None),
    ],
)
def test_resource_types_in_crossrefs_vocabulary(general: Any, specific: Any, expected: Any) -> None:
    types = {"resourceTypeGeneral": general, "resourceType": specific}
    assert mapped(DRYAD, types=types).type == expected


@pytest.mark.parametrize(
    ("dates", "year", "published"),
    [
        ([{"date": "2011-02", "dateType": "Issued"}], 2011, "2011-02"),
        ([{"date": "2011-02-30", "dateType": "Issued"}], 2011, "2011-02"),
        ([{"date": "2011-13-01", "dateType": "Issued"}], 2011, "2011"),
        ([{"date": "2010-01-01/2011-12-31", "dateType": "Issued"}], 2011, "2010-01-01"),
        ([{"date": "2011-05-01", "dateType": "Available"}], 2011, "2011"),
        (
            [
                {"date": "2011", "dateType": "Issued"},
                {"date": "2011-05", "dateType": "Available"},
                {"date": "2011-05-03T10:00:00Z", "dateType": "Available"},
            ],
            2011,
            "2011-05-03",
        ),
        (
            [
                {"date": "2011", "dateType": "Issued"},
                {"date": "2012-01-01", "dateType": "Available"},
            ],
            2011,
            "2011",
        ),
        (
            [
                {"date": "2011", "dateType": "Issued"},
                {"date": "2011-03-01", "dateType": "Submitted"},
            ],
            2011,
            "2011",  # a submission to a publisher is no publication
        ),
        (
            [
                {"date": "2011-02", "dateType": "Issued"},
                {"date": "2011-05-01", "dateType": "Available"},
            ],
            2011,
            "2011-02",
        ),
        ([{"date": 2011, "dateType": "Issued"}], 2011, "2011"),
        ([{"date": "99999-01-01", "dateType": "Issued"}], 2011, "2011"),
        ("x", 2011, "2011"),
    ],
)
def test_the_issued_date_as_precise_as_given(dates: Any, year: int, published: str) -> None:
    work = mapped(DRYAD, dates=dates)
    assert (work.year, work.published) == (year, published)


def test_without_publication_year_the_year_comes_from_the_date() -> None:
    work = mapped(DRYAD, publicationYear=None)
    assert (work.year, work.published) == (2011, "2011-02-01")
    assert mapped(DRYAD, publicationYear="2012", dates=[]).published == "2012"


def test_funding_references_grouped_by_funder() -> None:
    funding = [
        {
            "funderName": "European Commission",
            "funderIdentifier": "https://doi.org/10.13039/501100000780",
            "funderIdentifierType": "Crossref Funder ID",
            "awardNumber": "654039",
        },
        {
            "funderName": "European Commission",
            "funderIdentifier": "http://dx.doi.org/10.13039/501100000780",
            "funderIdentifierType": "Crossref Funder ID",
            "awardNumber": "777536",
        },
        {
            "funderName": "Wellcome Trust",
            "funderIdentifier": "https://ror.org/029chgv08",
            "funderIdentifierType": "ROR",
        },
        {"funderIdentifier": "10.13039/1", "awardNumber": "x"},
        "nobody",
    ]
    work = mapped(DRYAD, fundingReferences=funding)
    assert work.funders == (
        Funder(
            name="European Commission", doi="10.13039/501100000780", awards=("654039", "777536")
        ),
        Funder(name="Wellcome Trust"),
    )


def test_relations_are_normalised_like_identify() -> None:
    entries = [
        related("IsVersionOf", "https://doi.org/10.1214/10-AOAS390", "DOI"),
        related("IsIdenticalTo", "arXiv:1710.08557v2", "arXiv"),
        related("IsPreviousVersionOf", "1710.08557", "arXiv"),
        related("HasVersion", "https://doi.org/10.5281/ZENODO.1", "URL"),
        related("IsSupplementTo", "12345678", "PMID"),
        related("IsNewVersionOf", "hdl:1234/5", "Handle"),
        related("IsVersionOf", "not a doi", "DOI"),
        related("is version of!", "10.1/x", "DOI"),
        related("IsVersionOf", "10.1214/10-aoas390", "DOI"),
        related("Cites", 5, "DOI"),
    ]
    work = mapped(DRYAD, relatedIdentifiers=entries)
    assert work.relations == (
        Relation(type="is-version-of", scheme="doi", value="10.1214/10-aoas390"),
        Relation(type="is-identical-to", scheme="arxiv", value="1710.08557"),
        Relation(type="is-previous-version-of", scheme="arxiv", value="1710.08557"),
        Relation(type="has-version", scheme="doi", value="10.5281/zenodo.1"),
        Relation(type="is-supplement-to", scheme="pmid", value="12345678"),
        Relation(type="is-new-version-of", scheme="handle", value="hdl:1234/5"),
    )


def test_relation_types_in_lower_case_hyphen_form() -> None:
    assert relation_type("IsVersionOf") == "is-version-of"
    assert relation_type("HasPart") == "has-part"
    assert relation_type("IsIdenticalTo") == "is-identical-to"


def test_a_thousand_references_are_bounded() -> None:
    entries = [related("References", f"10.1234/{i}", "DOI") for i in range(5000)]
    work = mapped(DRYAD, relatedIdentifiers=entries)
    assert len(work.relations) == 500


def test_arxiv_doi_and_stated_identifiers_go_into_ids() -> None:
    answer = load(ZENODO)
    answer["data"]["attributes"] |= {
        "doi": "10.48550/arXiv.1710.08557",
        "identifiers": [
            {"identifier": "PMID: 29618526", "identifierType": "PMID"},
            {"identifier": "PMC5832410", "identifierType": "PMCID"},
        ],
    }
    work = doi_record_to_work(answer)
    assert work is not None
    assert (work.ids.doi, work.ids.arxiv) == ("10.48550/arxiv.1710.08557", "1710.08557")
    assert (work.ids.pmid, work.ids.pmcid) == ("29618526", "PMC5832410")
    assert work.type == "posted-content"  # arXiv's DOIs are preprints, whatever the type says
    dated = attributes(ZENODO) | {
        "doi": "10.48550/arXiv.1710.08557",
        "dates": [
            {"date": "2017-10-24T00:21:32Z", "dateType": "Submitted", "dateInformation": "v1"},
            {"date": "2017", "dateType": "Issued"},
        ],
    }
    posted = attributes_to_work(dated)
    assert posted is not None
    assert posted.published == "2017-10-24"  # an arXiv preprint is published when posted
    stated = mapped(
        ZENODO,
        alternateIdentifiers=[
            {"alternateIdentifier": "1501.00001", "alternateIdentifierType": "arXiv"}
        ],
    )
    assert stated.ids.arxiv == "1501.00001"


def test_container_from_related_items_when_the_container_is_empty() -> None:
    assert attributes(LIPICS)["relatedItems"]  # the recorded answer holds them (schema 4.4)
    work = mapped(LIPICS, container={}, relatedIdentifiers=[])
    assert (work.venue, work.volume, work.pages) == ("LIPIcs, Volume 22, TQC 2013", "22", "93-105")
    assert work.issn == ("1868-8969",)  # from the second related item


def test_clean_text_of_markup() -> None:
    assert clean_text("<p>A <i>B</i>C</p><p>D&amp;E</p>") == "A BC D&E"
    assert clean_text("H<sub>2</sub>O &lt; 5") == "H2O < 5"
    assert clean_text("a < b and c > d") == "a < b and c > d"
    assert clean_text("x <script>alert(1)</script> y") == "x y"
    assert clean_text("Tom &amp; Jerry") == "Tom & Jerry"
    assert clean_text("&lt;p&gt;Escaped &lt;i&gt;markup&lt;/i&gt;&lt;/p&gt;") == "Escaped markup"
    assert clean_text("<b>\x01bell\x00</b> and \x7f") == "bell and"
    assert clean_text("   ") is None
    assert clean_text(5) is None
    assert clean_text(["one", "two"]) == "one two"


# -- one bad field costs that field ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("creators", "x"),
        ("creators", [5, None, {"name": 7}]),
        ("titles", {"title": 5}),
        ("publisher", ["Dryad"]),
        ("publicationYear", HUGE),
        ("dates", [{"date": HUGE, "dateType": "Issued"}]),
        ("types", "Dataset"),
        ("container", [1]),
        ("rightsList", {"rightsUri": 5}),
        ("descriptions", [{"description": {"x": 1}, "descriptionType": "Abstract"}]),
        ("relatedIdentifiers", {"relationType": 1}),
        ("fundingReferences", [{"funderName": "F", "awardNumber": HUGE}]),
        ("citationCount", HUGE),
        ("referenceCount", -1),
        ("language", 5),
        ("subjects", [{"subject": ["x"]}]),
        ("version", HUGE),
    ],
)
def test_a_field_of_the_wrong_type_costs_only_that_field(field: str, value: Any) -> None:
    work = mapped(DRYAD, **{field: value})
    assert work.ids.doi == "10.5061/dryad.8515"
    if field != "titles":
        assert work.title == "Data from: A new malaria agent in African hominids."
    if field != "creators":
        assert len(work.authors) == 8


@pytest.mark.parametrize(
    "year",
    [HUGE, -HUGE, 2**63, "9" * 30, "9" * 5000, "²⁰¹³", "١٠", 1, 99999, 2013.5, True, "2013x"],
)
def test_an_absurd_year_costs_only_the_year(year: Any) -> None:
    work = mapped(DRYAD, publicationYear=year, dates=[])
    assert (work.year, work.published) == (None, None)


def test_answers_that_are_no_doi_record_give_none() -> None:
    for answer in (None, [], "x", {"data": []}, {"data": {"attributes": 5}}, {"errors": []}):
        assert doi_record_to_work(answer) is None
    assert attributes_to_work({"doi": "not a doi"}) is None
    assert attributes_to_work({"titles": [{"title": "T"}]}, "10.1/x") is not None


def test_deeply_nested_values_are_not_kept() -> None:
    deep: Any = []
    for _ in range(500):
        deep = [deep]
    work = mapped(DRYAD, subjects=deep, creators=deep, relatedIdentifiers=deep, descriptions=deep)
    assert (work.authors, work.relations, work.abstract) == ((), (), None)
    assert "subjects" not in work.extra["datacite"]


# -- properties -----------------------------------------------------------------------------------

KEYS = sorted({key for name in RECORDS for key in attributes(name)} | {"identifiers"})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_json([load(name) for name in RECORDS]))
def test_mutated_recorded_answers_map_to_sane_records(answer: Any) -> None:
    work = doi_record_to_work(answer)
    if work is not None:
        assert_sane(work)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), JSON_VALUES, max_size=12))
def test_attributes_of_known_keys_and_any_values_map_to_sane_records(data: Any) -> None:
    work = attributes_to_work(data | {"doi": "10.1234/x"})
    assert work is not None
    assert_sane(work)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_any_json_value_is_a_record_or_none(data: Any) -> None:
    for answer in (data, {"data": {"id": "10.1/x", "attributes": data}}):
        work = doi_record_to_work(answer)
        if work is not None:
            assert_sane(work)


def test_mapping_leaves_the_answer_unchanged() -> None:
    answer = load(LIPICS)
    before = copy.deepcopy(answer)
    doi_record_to_work(answer)
    assert answer == before
