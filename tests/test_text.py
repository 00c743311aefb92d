"""Tests of the text normalisation that matching and search queries share (paperfuse._text).

``normalize_title`` is what candidates are compared by (tests/test_match.py has its tables);
``search_words`` is what a source puts in a search query. One set of rules serves both, so
that a letter the matcher reads one way is searched for the same way.
"""

from __future__ import annotations

import pytest

import paperfuse
from paperfuse import Query
from paperfuse_arxiv import search_query


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Schrödinger’s <i>cat</i>", ["Schrodinger", "s", "cat"]),
        ("Schr\\\"odinger's \\emph{cat}", ["Schrodinger", "s", "cat"]),
        (
            "$\\alpha$-synuclein and α-synuclein",
            ["alpha", "synuclein", "and", "alpha", "synuclein"],
        ),
        ("Søren Kierkegaard, Łódź", ["Soren", "Kierkegaard", "Lodz"]),
        ("Either\u2014Or: H<sub>2</sub>O", ["Either", "Or", "H2O"]),
        ('"quoted" (ti:x) AND y*', ["quoted", "ti", "x", "AND", "y"]),
        ("東京 2020", ["2020"]),
        ("", []),
    ],
)
def test_search_words_are_ascii_words_of_the_plain_text(text: str, expected: list[str]) -> None:
    assert paperfuse.search_words(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Schrödinger’s Cat", "Schr\\\"odinger's <i>cat</i>"),
        ("$\\alpha$-Synuclein", "α-synuclein"),
        ("Søren &amp; Kierkegaard", "Soren and Kierkegaard"),
    ],
)
def test_search_words_and_titles_read_letters_alike(a: str, b: str) -> None:
    """What the matcher takes for one title, a search asks for with the same words."""
    assert paperfuse.normalize_title(a) == paperfuse.normalize_title(b)
    assert [w.lower() for w in paperfuse.search_words(a)] == paperfuse.normalize_title(b).split()


def test_arxiv_searches_letters_without_an_ascii_form_spelled_as_matching_reads_them() -> None:
    """arXiv's query once dropped "ø" ("Sren") and joined words across a dash ("YinYang")."""
    query = Query(kind="title", text="Søren and the Yin\u2014Yang problem", title=None)
    assert search_query(query) == (
        'ti:"Soren the Yin Yang problem" ANDNOT ti:erratum ANDNOT ti:corrigendum'
        " ANDNOT ti:retraction"
    )


@pytest.mark.parametrize(
    ("query", "limit", "expected"),
    [
        (
            Query(kind="citation", text="Smith J.  A  title.\n2020", title="A title"),
            None,
            "Smith J. A title. 2020",
        ),
        (Query(kind="title", text="  A  long\ttitle ", title=None), None, "A long title"),
        (Query(kind="title", text="Smith 2020 A title", title="A title"), None, "A title"),
        (Query(kind="citation", text="one two three", title=None), 7, "one two"),
    ],
)
def test_a_query_says_what_to_send_a_search_service(
    query: Query, limit: int | None, expected: str
) -> None:
    assert query.search_text(limit) == expected
