"""Splitting whole names into given and family names.

Some sources give an author's name only whole: arXiv always (``Bart Van
Parys``), Unpaywall and others sometimes. Citation styles sort and format by
family name, so paperfuse splits such names with nameparser (a proven parser
of Western name order), keeping particles with the family name (``Van
Parys``, ``de Sa``, ``Di Caro``, ``van der Waals``). An organisation (``H1
Collaboration``, ``The LHCb collaboration``, ``METRIC Study Group``) is left
whole, and so is a name that cannot be split (one word: ``OECD``, ``Plato``):
its ``family`` stays None, which every output format writes whole (a CSL
``literal``, a braced BibTeX name).

Every author paperfuse split says so (``Author.split_by_paperfuse``); names a
source split are never touched. :func:`paperfuse.merge` applies
:func:`split_names`, so every merged record carries split names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import msgspec

from ._records import Author

if TYPE_CHECKING:
    from nameparser import Parser

__all__ = ["is_organisation", "split_name", "split_names"]

# Words that name a body of people or an institution, hardly ever a person's name.
_ORGANISATION_WORDS = (
    "academy",
    "agency",
    "alliance",
    "association",
    "board of",
    "bureau",
    "center",
    "centre",
    "coalition",
    "collaboration",
    "collaborations",
    "collaborative",
    "college",
    "commission",
    "committee",
    "company",
    "conference",
    "consortia",
    "consortium",
    "corporation",
    "council",
    "department",
    "federation",
    "forum",
    "foundation",
    "gmbh",
    "group",
    "groups",
    "inc",
    "initiative",
    "institut",
    "institute",
    "institution",
    "investigators",
    "laboratories",
    "laboratory",
    "llc",
    "ltd",
    "ministry",
    "nations",
    "network",
    "office of",
    "on behalf of",
    "organisation",
    "organization",
    "partnership",
    "program",
    "programme",
    "project",
    "school of",
    "society",
    "survey",
    "task force",
    "team",
    "universidad",
    "universidade",
    "university",
    "università",
    "universität",
    "université",
    "working party",
)
_ORGANISATION_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(w) for w in _ORGANISATION_WORDS) + r")\b", re.IGNORECASE
)
# A digit ("H1", "2019 Novel Coronavirus Investigating Team"), an ampersand or a
# colon is found in names of bodies, not of people.
_NOT_A_PERSON_RE = re.compile(r"[0-9&:;@/()\[\]]")
# Longer than any person's name a source writes out whole.
_MOST_WORDS = 6
# nameparser reads hundreds of words as titles ("Lama", "King", "Judge"), many of
# them given names or surnames too; in an author list only these are honorifics.
_HONORIFICS = frozenset({"dr", "prof", "professor", "doctor", "mr", "mrs", "ms", "sir", "dame"})


# Letters of the Latin script, and the marks within a name's word (O'Neil, Jean-Pierre, A.).
_LATIN_WORD_RE = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'\u2019.-]*")


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    """Every word nameparser's parser reads as more than a name (particles, suffixes...).

    Read from :mod:`paperfuse._name_words` when the installed nameparser is the
    version those words were written from: loading nameparser and its lexicon
    takes ~40 ms, the first split of every run, and most runs split only plain
    names, which need the words and not the parser. Any other version of
    nameparser gives its own words.
    """
    from importlib.metadata import PackageNotFoundError, version

    from . import _name_words

    try:
        installed = version("nameparser")
    except PackageNotFoundError:
        installed = None
    if installed == _name_words.NAMEPARSER_VERSION:
        return _name_words.WORDS
    return parser_vocabulary()


def parser_vocabulary() -> frozenset[str]:
    """:func:`_vocabulary` as nameparser's parser has it (how ``_name_words`` is made)."""
    lexicon = _parser().lexicon
    fields = (
        "titles",
        "given_name_titles",
        "after_given_titles",
        "suffix_acronyms",
        "suffix_acronyms_ambiguous",
        "suffix_words",
        "particles",
        "particles_ambiguous",
        "conjunctions",
        "conjunctions_ambiguous",
        "bound_given_names",
        "maiden_markers",
        "surnames",
        "honorific_tails",
    )
    return frozenset(word.rstrip("-") for field in fields for word in getattr(lexicon, field))


def _plain_split(words: list[str]) -> tuple[str, str] | None:
    """``(given, family)`` of a plain Latin-script name, the last word the family name.

    Plain: every word Latin letters (with ``'``, ``-``, ``.``) and none that
    nameparser reads as more than a name (a particle, suffix, title,
    conjunction...). For such a name nameparser gives exactly this (the tests
    check it), in a hundredth of the time, which counts in batches of
    millions of authors. None when the name is not plain.
    """
    vocabulary = _vocabulary()
    for word in words:
        if not _LATIN_WORD_RE.fullmatch(word):
            return None
        lowered = word.lower().strip(".")
        if lowered in vocabulary or any(part in vocabulary for part in lowered.split("-")):
            return None
    return " ".join(words[:-1]), words[-1]


@lru_cache(maxsize=1)
def _parser() -> Parser:
    """nameparser's parser with its default vocabulary, less titles that are also names."""
    from nameparser import Lexicon, Parser  # imported on first use: it takes a while

    lexicon = Lexicon.default()
    return Parser(
        lexicon=lexicon.remove(titles=[t for t in lexicon.titles if t not in _HONORIFICS])
    )


def is_organisation(name: str) -> bool:
    """Whether ``name`` names an organisation (a collaboration, a group, an institute...).

    Decided by its words (``Collaboration``, ``Consortium``, ``Study Group``,
    ``University``, ... and a leading ``The``) and characters no person's name
    holds (digits, ``&``, ``:``).
    """
    text = " ".join(name.split())
    return bool(
        text.lower().startswith("the ")
        or _ORGANISATION_RE.search(text)
        or _NOT_A_PERSON_RE.search(text)
    )


@lru_cache(maxsize=65536)
def split_name(name: str) -> tuple[str, str] | None:
    """``(given, family)`` of a person's whole name, or None when it is not to be split.

    Particles stay with the family name (``Bart Van Parys`` gives ``("Bart",
    "Van Parys")``); a ``Family, Given`` name is read as such; honorifics
    (``Dr.``) are dropped and a generational suffix (``Jr.``) is kept after the
    family name. None for an organisation, a single word, or a name too long
    to be a person's.
    """
    text = " ".join(name.split())
    words = text.split()
    if len(words) < 2 or len(words) > _MOST_WORDS or is_organisation(text):
        return None
    return _plain_split(words) or _parsed_split(text)


def _parsed_split(text: str) -> tuple[str, str] | None:
    """``(given, family)`` of ``text`` as nameparser reads it, or None when it finds no both."""
    parsed = _parser().parse(text)
    family = parsed.family.strip()
    # A "title" that is no honorific is the start of the given names ("Yu. V. Shestakov").
    title = "" if parsed.title.lower().strip(".") in _HONORIFICS else parsed.title
    given = " ".join(p for p in (title, parsed.given, parsed.middle) if p).strip()
    if not family or not given:
        return None
    if parsed.suffix:
        family = f"{family} {parsed.suffix}".strip()
    if "," in family or "," in given:
        return None  # a comma nameparser did not read as "Family, Given"
    if not set(f"{given} {family}".split()) <= set(text.replace(",", " ").split()):
        return None  # a word nameparser changed ("A«»" read as "A" with a nickname)
    return given, family


def split_names(authors: Sequence[Author]) -> tuple[Author, ...]:
    """``authors`` with each whole name no source split split by :func:`split_name`.

    An author whose ``family`` is set is kept as it is (its source split it);
    an organisation or an unsplittable name keeps ``family`` None. Authors
    split here have ``split_by_paperfuse`` True.
    """
    result: list[Author] = []
    for author in authors:
        parts = None if author.family else split_name(author.name)
        if parts is None:
            result.append(author)
        else:
            given, family = parts
            result.append(
                msgspec.structs.replace(author, given=given, family=family, split_by_paperfuse=True)
            )
    return tuple(result)
