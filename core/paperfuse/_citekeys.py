"""Citation keys: ``authorYEARword``, plain ASCII, unique within a batch.

The same key names a work in every bibliography format (a BibTeX entry's key,
a CSL item's ``id`` and ``citation-key``), so one batch written as .bib and as
CSL-JSON cites alike. Keys follow the habit of reference managers: the first
author's family name, the year and the first significant word of the title,
transliterated to ASCII (``Müller`` is ``muller``, ``Ŝ`` is ``s``) and
lower-cased; a key repeated within a batch gets a suffix ``a``, ``b``, ...
(after ``z``, ``aa``); a key never starts with a digit.
"""

from __future__ import annotations

import re

from unidecode import unidecode

from ._records import Author, Work

__all__ = ["CitationKeys", "citation_key"]

_NOT_KEY_RE = re.compile(r"[^a-z0-9]+")
# Lone surrogates (what bytes that are not UTF-8 become): no letter to transliterate.
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_WORD_RE = re.compile(r"[^\W_]+")
# Words a title often starts with that say nothing of the work.
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "via",
        "towards",
        "toward",
        "about",
        "over",
        "under",
        "is",
        "are",
        "be",
        "can",
        "do",
        "does",
        "how",
        "what",
        "when",
        "where",
        "which",
        "why",
    ]
)


def _transliterated(text: str) -> str:
    return unidecode(_SURROGATE_RE.sub("", text))


def _ascii(text: str) -> str:
    return _NOT_KEY_RE.sub("", _transliterated(text).lower())


def _surname(author: Author) -> str:
    if author.family:
        return author.family
    # A whole name nobody split: its last word, unless it is an organisation,
    # whose first word names it better ("LHCb collaboration" -> "lhcb").
    words = author.name.split()
    if not words:
        return ""
    if author.name.lower().startswith("the ") and len(words) > 1:
        words = words[1:]
    return words[-1] if len(words) < 4 and "collaboration" not in author.name.lower() else words[0]


def _title_word(title: str | None) -> str:
    words = [_ascii(w) for w in _WORD_RE.findall(_transliterated(title or ""))]
    words = [w for w in words if w]
    for word in words:
        if word not in _STOP_WORDS and not word.isdigit():
            return word
    return words[0] if words else ""


def citation_key(work: Work) -> str:
    """The key of ``work`` before it is made unique: ``author`` ``year`` ``word``.

    Missing parts are left out; a work with none of them is keyed by its DOI,
    arXiv id, PMID or PMCID (``doi101038nature12373``), else ``ref``. The key
    starts with a letter: one that would start with a digit gets ``ref``
    before it.
    """
    surname = _ascii(_surname(work.authors[0])) if work.authors else ""
    year = str(work.year) if work.year else ""
    key = f"{surname}{year}{_title_word(work.title)}"
    if not surname and not work.title:
        ids = work.ids
        for prefix, value in (
            ("doi", ids.doi),
            ("arxiv", ids.arxiv),
            ("pmid", ids.pmid),
            ("", ids.pmcid),
        ):
            if value:
                key = f"{prefix}{_ascii(value)}{year}"
                break
    if not key:
        return "ref"
    return key if key[0].isalpha() else f"ref{key}"


def _suffix(n: int) -> str:
    """``a`` for 1, ``b`` for 2, ..., ``z`` for 26, ``aa`` for 27, like spreadsheet columns."""
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


class CitationKeys:
    """Hands out keys unique within one batch (one instance per output file)."""

    def __init__(self) -> None:
        self._taken: set[str] = set()
        self._next: dict[str, int] = {}

    def key(self, work: Work) -> str:
        """A key for ``work`` that this instance has not handed out before."""
        base = citation_key(work)
        key = base
        while key in self._taken:
            n = self._next.get(base, 0) + 1
            self._next[base] = n
            key = f"{base}{_suffix(n)}"
        self._taken.add(key)
        return key
