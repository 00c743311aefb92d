"""Inputs that are no identifier: a title, or a citation with its title, author and year."""

from __future__ import annotations

import re

from .._records import Query
from .base import WRAPPERS

__all__ = ["as_query"]

_PAREN_YEAR_RE = re.compile(r"\((1[6-9][0-9][0-9]|20[0-9][0-9])[a-z]?\)")
_YEAR_RE = re.compile(r"(?<![\w./:-])(1[6-9][0-9][0-9]|20[0-9][0-9])(?![\w/])")
_JOURNAL_RE = re.compile(
    r"[0-9]\s*\([0-9]+\)|[0-9]:\s*[0-9]|\bpp?\.\s*[0-9]|\b(?:vol|no)\.\s*[0-9]"
    r"|[0-9]\s*[-\u2013]\s*[0-9]",
    re.IGNORECASE,
)
_ET_AL_RE = re.compile(r"\bet\s+al\b", re.IGNORECASE)
_NAME = r"[^\W\d_][\w'\u2019-]*"
# First-author forms at the start of a citation; group 1 is the surname.
_FIRST_AUTHOR_RES = (
    re.compile(rf"({_NAME}),\s+(?:[^\W\d_]\.|[^\W\d_]{{2,}}\b)"),  # Smith, J. / Smith, John
    re.compile(rf"({_NAME})\s+[A-Z]{{1,3}}(?:[,.]|\s+et\s+al\b)"),  # Smith JA, (Vancouver)
    re.compile(rf"(?:[A-Z]\.[\s-]?){{1,3}}\s*({_NAME})"),  # J. Smith / J.-P. Serre
    re.compile(rf"({_NAME})\s+(?:et\s+al\b|&\s)"),  # Smith et al.
    re.compile(rf"[^\W\d_]+\s+({_NAME}),\s+[^\W\d_]+\s+{_NAME}[,.]"),  # Ashish Vaswani, Noam ...
)
_QUOTED_RE = re.compile(r'"([^"]{3,})"|\u201c([^\u201d]{3,})\u201d')
_SEGMENT_SPLIT_RE = re.compile(r"[.?!]\s+")
_INITIALS_RE = re.compile(r"(?:[A-Z]\.?-?){1,3},?")
_TITLE_TRIM = " .,;:"
_MIN_TITLE_WORDS = 3


def _year(text: str) -> int | None:
    """A plausible publication year: in parentheses if there is one, else the first."""
    match = _PAREN_YEAR_RE.search(text) or _YEAR_RE.search(text)
    return None if match is None else int(match.group(1))


def _first_author(text: str) -> str | None:
    """The first author's surname when ``text`` starts with an author."""
    for pattern in _FIRST_AUTHOR_RES:
        match = pattern.match(text)
        if match is not None and match.group(1)[0].isupper() and len(match.group(1)) > 1:
            return match.group(1)
    return None


def _is_citation(text: str, author: str | None) -> bool:
    """Whether ``text`` reads like a reference rather than a bare title."""
    if _PAREN_YEAR_RE.search(text):
        return True
    if _YEAR_RE.search(text) and (
        author is not None
        or _ET_AL_RE.search(text)
        or _JOURNAL_RE.search(text)
        or text.count(",") >= 3
    ):
        return True
    return len(text) >= 60 and text.count(".") >= 3


def _looks_like_authors(segment: str) -> bool:
    """Whether a sentence of a citation is a list of names rather than a title."""
    words = segment.replace(",", " ").split()
    initials = sum(1 for word in words if _INITIALS_RE.fullmatch(word))
    return bool(_ET_AL_RE.search(segment)) or "&" in segment or 3 * initials >= len(words)


def _title_like(segment: str) -> bool:
    """Whether a sentence of a citation can be its title: words, no year, no names."""
    return (
        len(segment.split()) >= _MIN_TITLE_WORDS
        and not _YEAR_RE.search(segment)
        and not _looks_like_authors(segment)
    )


def _citation_title(text: str, author: str | None) -> str | None:
    """The part of a citation that looks like its title, if one does."""
    quoted = _QUOTED_RE.search(text)
    if quoted is not None:
        return (quoted.group(1) or quoted.group(2)).strip(_TITLE_TRIM)
    paren_year = _PAREN_YEAR_RE.search(text)
    if paren_year is not None:
        # APA: the title is the sentence right after "(2020)."; with no author
        # before the year, the text before it ("A title (2017)") is the title.
        after = _SEGMENT_SPLIT_RE.split(text[paren_year.end() :].lstrip(_TITLE_TRIM), maxsplit=1)
        title = after[0].strip(_TITLE_TRIM)
        if title and not _YEAR_RE.search(title):
            return title
        before = text[: paren_year.start()].strip(_TITLE_TRIM)
        if author is None and _title_like(before):
            return before
    segments = [segment.strip(_TITLE_TRIM) for segment in _SEGMENT_SPLIT_RE.split(text)]
    if author is not None:
        segments = segments[1:]
    return next((segment for segment in segments if _title_like(segment)), None)


def as_query(text: str) -> Query:
    """``text`` as a title or citation query, with what can be read from it."""
    text = " ".join(text.split())
    author = _first_author(text)
    if _is_citation(text, author):
        return Query(
            kind="citation",
            text=text,
            title=_citation_title(text, author),
            author=author,
            year=_year(text),
        )
    title = text[1:-1].strip() if len(text) > 2 and WRAPPERS.get(text[0]) == text[-1] else text
    return Query(kind="title", text=text, title=title)
