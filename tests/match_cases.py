"""Title and citation queries with their candidates, built from the recorded search answers.

The candidates are what the searching sources' own mappings make of every recorded
search answer in tests/fixtures (Crossref's work list, Unpaywall's searches, arXiv's
query feeds, Europe PMC's searches), one answer being one candidate list, as a
source returns it. The queries are made from each candidate's own title, first
author and year, the ways users and reference lists write them: exact, with case and
punctuation lost, with a typo, a word missing, a word added, a negation, a sequel
marker, two words swapped; as citations in several styles, with and without a parsed
title, author and year, and as a comment on the paper. Each query is asked against
the answer its work came from, so most candidates are near neighbours (same search,
same field), and a work recorded in two answers comes from both.

Used by ``tests/test_match_calibration.py`` (old and new scorer decide alike on
every pair) and ``benchmarks/matching.py`` (10,000 citation queries).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

import msgspec

from paperfuse import BadResponse, Query, Work
from paperfuse_arxiv._atom import parse_feed
from paperfuse_crossref._mapping import work_to_record
from paperfuse_europepmc._mapping import result_to_record
from paperfuse_unpaywall._mapping import search_result_to_work

FIXTURES = Path(__file__).parent / "fixtures"
#: The difflib scorer's decisions on every case (``tests/record_match_decisions.py``).
DECISIONS = FIXTURES / "matching" / "difflib_decisions.txt"

#: The recorded answers of searches (or of lists shaped like a search answer), by source.
SEARCH_ANSWERS = {
    "crossref": ("crossref/commonmeta_works_rows_*.json",),
    "unpaywall": ("unpaywall/psu_search_*.json",),
    "arxiv": (
        "arxiv/arxivvanity_query_*.xml",
        "arxiv/arxivvanity_test-data_*.xml",
        "arxiv/rsxiv_search_*.xml",
    ),
    "europepmc": ("europepmc/*search*.json",),
}


def _read(source: str, path: Path) -> Iterator[Work | None]:
    if source == "arxiv":
        try:
            yield from parse_feed(path.read_bytes()).works
        except BadResponse:
            return
        return
    data = json.loads(path.read_bytes())
    if source == "crossref":
        for item in data["message"]["items"]:
            yield work_to_record(item, source)
    elif source == "unpaywall":
        for result in data["results"]:
            yield search_result_to_work(result, source)
    else:
        for result in data["resultList"]["result"]:
            yield result_to_record(result, source)


@cache
def search_answers() -> tuple[tuple[str, str, tuple[Work, ...]], ...]:
    """Every recorded search answer: (source, file name, the candidate works it holds)."""
    answers = []
    for source, patterns in SEARCH_ANSWERS.items():
        for pattern in patterns:
            for path in sorted(FIXTURES.glob(pattern)):
                works = tuple(w for w in _read(source, path) if w is not None and w.title)
                if works:
                    answers.append((source, path.name, works))
    return tuple(answers)


def _surname(work: Work) -> str | None:
    if not work.authors:
        return None
    first = work.authors[0]
    if first.family:
        return first.family
    return first.name.split(",")[0] if "," in first.name else first.name.split()[-1]


def _typo(title: str) -> str:
    """The title with two letters of its longest word swapped (a typist's slip)."""
    words = title.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) > 3:
        words[longest] = word[:1] + word[2] + word[1] + word[3:]
    return " ".join(words)


def _without_a_word(title: str) -> str:
    words = title.split()
    return " ".join(words[: len(words) // 2] + words[len(words) // 2 + 1 :]) if words else title


def _with_a_word(title: str, word: str) -> str:
    words = title.split()
    return " ".join([*words[:2], word, *words[2:]])


def _swapped(title: str) -> str:
    words = title.split()
    if len(words) > 2:
        words[1], words[2] = words[2], words[1]
    return " ".join(words)


def title_queries(work: Work) -> list[Query]:
    """Title queries for one candidate: the title as users type it, right and wrong."""
    title = work.title or ""
    author, year = _surname(work), work.year
    shouted = " ".join("".join(c for c in title if c.isalnum() or c.isspace()).split()).upper()
    variants = [
        (title, None, None),
        (title, author, year),
        (shouted.lower(), None, None),
        (_typo(title), None, None),
        (_typo(title), author, year),
        (_without_a_word(title), author, year),
        (_with_a_word(title, "new"), None, None),
        (_with_a_word(title, "not"), author, year),
        (f"{title}. Part II", author, year),
        (_swapped(title), author, year),
        (title, "Smith", None),
        (title, author, (year or 2000) - 7),
    ]
    return [Query(kind="title", text=t, title=t, author=a, year=y) for t, a, y in variants]


def citation_queries(work: Work, volume: int = 12) -> list[Query]:
    """Citation queries for one candidate, in the styles reference lists use.

    ``volume`` is the volume number the citations give (the benchmark varies it
    to make more distinct citations of one work).
    """
    title = (work.title or "").rstrip(".")
    author, year = _surname(work) or "Anonymous", work.year or 2000
    venue = work.venue or "J. Stud."
    styles = [
        (f"{author}, A. et al. {title}. {venue} {volume}, 34–56 ({year}).", author, year, None),
        (
            f"{author} A, Brown B, Chen C. {title}. {venue}. {year};{volume}(3):34-56.",
            author,
            year,
            None,
        ),
        (f'{author}, A. ({year}). "{_typo(title)}," {venue}, {volume}(3).', author, year, None),
        (f"{author} A. {title}. {venue} {year}.", None, None, title),
        (f"{author} A, et al. {_without_a_word(title)}. {venue}. {year}.", author, year, None),
        (f"{author}, A. {title}: Part II. {venue} ({year}).", author, year, None),
        (f"Smith J. Comment on: {title}. {venue}. {year + 1}.", "Smith", year + 1, None),
        (f"{title} {venue} {year}", None, None, None),
    ]
    return [Query(kind="citation", text=t, title=p, author=a, year=y) for t, a, y, p in styles]


def _same_ids(a: Work, b: Work) -> bool:
    """Whether two candidates carry one DOI or one arXiv id."""
    return bool(
        (a.ids.doi and a.ids.doi.lower() == (b.ids.doi or "").lower())
        or (a.ids.arxiv and a.ids.arxiv == b.ids.arxiv)
    )


def candidate_lists(window: int = 20) -> Iterator[tuple[Work, tuple[tuple[str, Work], ...]]]:
    """Every recorded candidate with the candidates a query for it is asked against.

    Those are the ``window`` candidates of its answer around it (answers of 100
    are cut into pages, as a source asks for up to a page of candidates), plus
    the same work from the other recorded answers (the same search recorded
    twice, months apart), as a second source would return it.
    """
    answers = search_answers()
    for number, (source, _, works) in enumerate(answers):
        for start in range(0, len(works), window):
            page = tuple((source, w) for w in works[start : start + window])
            for _, work in page:
                twins = tuple(
                    (other, w)
                    for n, (other, _, others) in enumerate(answers)
                    if n != number
                    for w in others
                    if _same_ids(w, work)
                )
                yield work, page + twins


def cases() -> Iterator[tuple[Query, tuple[tuple[str, Work], ...]]]:
    """Every title and citation query with the candidates it is asked against."""
    for work, candidates in candidate_lists():
        for query in (*title_queries(work), *citation_queries(work)):
            yield query, candidates


def _matched(work: Work) -> tuple[object, ...]:
    """What matching reads of a candidate: a new field of the record changes nothing here."""
    authors = tuple((a.name, a.given, a.family) for a in work.authors)
    return (work.title, work.subtitle, work.year, authors, msgspec.to_builtins(work.ids))


def case_digest(every: Iterable[tuple[Query, tuple[tuple[str, Work], ...]]]) -> str:
    """A digest of every query and candidate, to tell recorded decisions from stale ones."""
    digest = hashlib.sha256()
    for query, candidates in every:
        digest.update(msgspec.json.encode(query))
        for source, work in candidates:
            digest.update(source.encode())
            digest.update(msgspec.json.encode(_matched(work)))
    return digest.hexdigest()
