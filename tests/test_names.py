"""Names no source split are split into given and family; organisations stay whole."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fixture_records import fixture_records
from hypothesis import example, given, settings
from hypothesis import strategies as st

from paperfuse import Author, Work, _name_words, encode_json, merge
from paperfuse._names import (
    _parsed_split,
    _plain_split,
    _vocabulary,
    is_organisation,
    parser_vocabulary,
    split_name,
    split_names,
)


@pytest.mark.parametrize(
    ("name", "given", "family"),
    [
        # particles stay with the family name, in the case the source wrote them
        ("Bart Van Parys", "Bart", "Van Parys"),
        ("Luc Van Gool", "Luc", "Van Gool"),
        ("Christopher De Sa", "Christopher", "De Sa"),
        ("Christopher de Sa", "Christopher", "de Sa"),
        ("Luigi Di Caro", "Luigi", "Di Caro"),
        ("Johannes Diderik van der Waals", "Johannes Diderik", "van der Waals"),
        ("Hendrik ter Horst", "Hendrik", "ter Horst"),
        ("H. de Vries", "H.", "de Vries"),
        ("Juan de la Cruz", "Juan", "de la Cruz"),
        # a first word that is a particle elsewhere is a given name here
        ("Bin Bi", "Bin", "Bi"),
        ("Le Lu", "Le", "Lu"),
        # initials, middle names, hyphens, diacritics
        ("E B Davies", "E B", "Davies"),
        ("Donald E. Knuth", "Donald E.", "Knuth"),
        ("Jean-Pierre Serre", "Jean-Pierre", "Serre"),
        ("Andrzej Skoczeń", "Andrzej", "Skoczeń"),
        ("Abdeldjalil Aïssa-El-Bey", "Abdeldjalil", "Aïssa-El-Bey"),
        ("Yu. V. Shestakov", "Yu. V.", "Shestakov"),
        # "Family, Given" as some sources write it
        ("Smith, John", "John", "Smith"),
        # nameparser reads "Lama", "King", "Dean" as titles; in author lists they are names
        ("Lama Affara", "Lama", "Affara"),
        ("Dean Foster", "Dean", "Foster"),
        ("King Lee", "King", "Lee"),
        # an honorific is dropped; a generational suffix stays with the family name
        ("Dr. Jane Doe", "Jane", "Doe"),
        ("Martin Luther King Jr.", "Martin Luther", "King Jr."),
        # runs of spaces are one space
        ("  Ada   Lovelace ", "Ada", "Lovelace"),
    ],
)
def test_split_name(name: str, given: str, family: str) -> None:
    assert split_name(name) == (given, family)


@pytest.mark.parametrize(
    "name",
    [
        "H1 Collaboration",
        "The LHCb collaboration",
        "ATLAS Collaboration",
        "LIGO Scientific Collaboration and Virgo Collaboration",
        "The 1000 Genomes Project Consortium",
        "Wellcome Trust Case Control Consortium",
        "METRIC Study Group",
        "Human Microbiome Project Consortium",
        "The Bucharest University of Economic Studies, Romania",
        "United Nations Conference on Trade and Development",
        "Kyiv National University of Trade and Economics",
        "Max Planck Institute for Biology",
        "Planck Collaboration",
        "WHO Working Group",
        "Smith & Jones",
        "PROSPER Investigators",
    ],
)
def test_organisations_stay_whole(name: str) -> None:
    assert is_organisation(name)
    assert split_name(name) is None
    (author,) = split_names([Author(name=name)])
    assert (author.family, author.given, author.split_by_paperfuse) == (None, None, False)


@pytest.mark.parametrize("name", ["OECD", "Plato", "Charles III", ""])
def test_names_that_cannot_be_split_stay_whole(name: str) -> None:
    assert split_name(name) is None


@pytest.mark.parametrize(
    "name", ["Bart Van Parys", "Grace Hopper", "Hendrik ter Horst", "Theodore Teamson"]
)
def test_people_are_no_organisations(name: str) -> None:
    assert not is_organisation(name)


def test_a_name_a_source_split_is_kept_as_it_is() -> None:
    author = Author(name="Ludwig van Beethoven", given="Ludwig van", family="Beethoven")
    assert split_names([author]) == (author,)


def test_split_authors_say_so() -> None:
    authors = split_names(
        [
            Author(name="Bart Van Parys", orcid="https://orcid.org/0000-0002-1825-0097"),
            Author(name="Ada Lovelace", given="Ada", family="Lovelace"),
            Author(name="H1 Collaboration"),
        ]
    )
    assert [(a.given, a.family, a.split_by_paperfuse) for a in authors] == [
        ("Bart", "Van Parys", True),
        ("Ada", "Lovelace", False),
        (None, None, False),
    ]
    assert authors[0].name == "Bart Van Parys"  # the whole name is kept
    assert authors[0].orcid == "https://orcid.org/0000-0002-1825-0097"


def test_merge_splits_authors_and_editors() -> None:
    partial = Work(
        title="T",
        authors=(Author(name="Luigi Di Caro"), Author(name="The LHCb collaboration")),
        editors=(Author(name="Johannes Diderik van der Waals"),),
    )
    work = merge([("arxiv", partial)])
    assert [(a.given, a.family) for a in work.authors] == [
        ("Luigi", "Di Caro"),
        (None, None),
    ]
    assert [(a.given, a.family) for a in work.editors] == [("Johannes Diderik", "van der Waals")]
    assert work.provenance["authors"].source == "arxiv"
    assert merge([("arxiv", work)]).authors == work.authors  # splitting twice changes nothing


def test_the_json_record_says_which_authors_paperfuse_split() -> None:
    work = merge([("arxiv", Work(title="T", authors=(Author(name="Bart Van Parys"),)))])
    (author,) = json.loads(encode_json(work))["authors"]
    assert author["given"] == "Bart"
    assert author["family"] == "Van Parys"
    assert author["split_by_paperfuse"] is True


# The real arXiv answers in tests/fixtures, finished as the resolver finishes them.
REAL = {
    "arxiv/arxivvanity_query_cs_ml_start0_max100.xml#6": ("Bart Van Parys", "Bart", "Van Parys"),
    "arxiv/arxivvanity_query_cs_ml_start0_max100.xml#36": (
        "Christopher De Sa",
        "Christopher",
        "De Sa",
    ),
    "arxiv/arxivvanity_query_cs_ml_start100_max100.xml#6": ("Luigi Di Caro", "Luigi", "Di Caro"),
    "arxiv/rsxiv_search_electron_and_proton.xml#0": ("H. de Vries", "H.", "de Vries"),
    "arxiv/arxivdocs_typical_response_all_electron_max1.xml#0": ("H1 Collaboration", None, None),
    "pubmed/biomcp_efetch_22663011.xml#0": ("METRIC Study Group", None, None),
}


@pytest.mark.parametrize("record", sorted(REAL))
def test_real_records_carry_split_names(record: str) -> None:
    name, given, family = REAL[record]
    work = dict(fixture_records())[record]
    (author,) = [a for a in work.authors if a.name == name]
    assert (author.given, author.family) == (given, family)
    assert author.split_by_paperfuse is (family is not None and record.startswith("arxiv/"))


def test_every_person_in_the_recorded_answers_has_a_family_name() -> None:
    """Over every record the fixtures hold: a person has a family name (split from the
    whole name's own words), an author without one is an organisation or one word."""
    for record, work in fixture_records():
        for author in (*work.authors, *work.editors):
            if author.family is None:
                assert is_organisation(author.name) or len(author.name.split()) == 1, (
                    f"{record}: {author.name!r} left whole"
                )
            elif author.split_by_paperfuse:
                words = author.name.replace(",", " ").split()
                parts = f"{author.given} {author.family}".split()
                assert sorted(parts) == sorted(words), f"{record}: {author}"


@example("< < JP,V")  # a comma nameparser kept inside the family name
@example("< A«»")  # quotes nameparser took off as a nickname's
@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=60),
        st.lists(st.text(min_size=1, max_size=12), max_size=7).map(" ".join),
        st.lists(
            st.sampled_from(["Van", "de", "Jr.", "Dr.", "Lama", ",", "Yu.", "O'Neil", "la"])
        ).map(" ".join),
    )
)
def test_any_text_splits_into_its_own_words_or_stays_whole(name: str) -> None:
    """Whatever a source sends (lone surrogates, controls, scripts of every kind)."""
    parts = split_name(name)
    if parts is not None:
        given_names, family = parts
        assert given_names
        assert family
        assert set(f"{given_names} {family}".split()) <= set(name.replace(",", " ").split())


LATIN_WORDS = st.one_of(
    st.sampled_from(
        [
            "Bart",
            "Van",
            "van",
            "der",
            "Parys",
            "De",
            "Sa",
            "Di",
            "Caro",
            "Bin",
            "Le",
            "Lu",
            "Jr.",
            "III",
            "Dr.",
            "Yu.",
            "Lama",
            "King",
            "Abdul",
            "Al-Harbi",
            "O'Neil",
            "E",
            "B",
            "A.",
            "Jean-Pierre",
            "María",
            "Skoczeń",
            "y",
            "and",
            "St.",
            "Mac",
            "Ho",
            "Kim",
        ]
    ),
    st.from_regex(r"[A-Z][a-z]{1,9}", fullmatch=True),
    st.from_regex(r"[A-Z]\.", fullmatch=True),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(LATIN_WORDS, min_size=2, max_size=5))
def test_the_quick_split_of_plain_names_is_what_nameparser_gives(words: list[str]) -> None:
    """Plain names skip nameparser (a hundred times faster); they must come out the same."""
    plain = _plain_split(words)
    if plain is not None:
        assert plain == _parsed_split(" ".join(words))


def test_most_names_of_the_recorded_answers_are_plain() -> None:
    names = {a.name for _, work in fixture_records() for a in work.authors}
    split = [n for n in names if len(n.split()) > 1 and not is_organisation(n)]
    plain = [n for n in split if _plain_split(n.split()) is not None]
    assert len(plain) > 0.8 * len(split)
    for name in plain:
        assert _plain_split(name.split()) == _parsed_split(name), name


def test_the_words_that_make_a_name_not_plain_are_the_installed_parsers() -> None:
    """The written words stand in for nameparser's only when they are its own."""
    _vocabulary.cache_clear()
    try:
        assert _vocabulary() == parser_vocabulary()
    finally:
        _vocabulary.cache_clear()


def test_another_version_of_nameparser_gives_its_own_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_name_words, "NAMEPARSER_VERSION", "0.0.0")
    monkeypatch.setattr(_name_words, "WORDS", frozenset({"plain"}))
    _vocabulary.cache_clear()
    try:
        assert _vocabulary() == parser_vocabulary()
        assert "plain" not in _vocabulary()
    finally:
        _vocabulary.cache_clear()


def test_plain_names_are_split_without_loading_nameparser() -> None:
    """Loading nameparser and its lexicon is most of a first split's cost."""
    script = (
        "import sys\n"
        "from paperfuse._names import split_name\n"
        "assert split_name('Grace Brewster Hopper') is not None\n"
        "assert split_name('John Smith') == ('John', 'Smith')\n"
        "print('nameparser' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
