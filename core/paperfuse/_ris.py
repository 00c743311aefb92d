"""RIS: a work as the tagged record EndNote, Zotero, Mendeley and library systems import.

Each work becomes one RIS record (``TY`` ... ``ER``), written by rispy. RIS is
plain text, one value per line: values are put on one line and HTML markup is
dropped (math is kept as written). Names are ``Family, Given``; an
organisation is written whole. ``UR`` is the link to cite (the DOI's, else the
landing page), ``L1`` the PDF of the best free copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

import rispy

from ._bibtex import date_parts, is_preprint, landing_url, one_line, plain_text, record_type
from ._citekeys import CitationKeys
from ._formats import OutputFormat
from ._records import Author, Work

__all__ = ["RISFormat"]

_PAGE_RANGE_RE = re.compile(r"\s*[-‐‑‒–—]+\s*")

#: RIS reference types by the record's (Crossref) type.
_TYPES = {
    "journal-article": "JOUR",
    "proceedings-article": "CPAPER",
    "book-chapter": "CHAP",
    "book-section": "CHAP",
    "book-part": "CHAP",
    "book-track": "CHAP",
    "reference-entry": "CHAP",
    "book": "BOOK",
    "monograph": "BOOK",
    "reference-book": "BOOK",
    "book-set": "BOOK",
    "edited-book": "EDBOOK",
    "proceedings": "CONF",
    "dissertation": "THES",
    "report": "RPRT",
    "report-component": "RPRT",
    "report-series": "RPRT",
    "dataset": "DATA",
    "software": "COMP",
    "standard": "STAND",
    "posted-content": "UNPB",
}
_BOOKS = frozenset({"BOOK", "EDBOOK", "CHAP", "CONF", "CPAPER"})


def _line(text: str | None) -> str:
    """``text`` as one RIS value: one line, no markup, lone surrogates as U+FFFD."""
    return plain_text(text)


def _identifier(text: str | None) -> str:
    """An identifier or URL as one RIS value, otherwise as it is."""
    return "".join(one_line(text).split())


def ris_name(author: Author) -> str:
    """``Family, Given``, or the whole name of an organisation."""
    if not author.family:
        return _line(author.name)
    given = _line(author.given)
    return f"{_line(author.family)}, {given}" if given else _line(author.family)


def ris_type(work: Work) -> str:
    """The RIS reference type (``TY``) of ``work``."""
    return _TYPES.get(record_type(work), "GEN")


class _Writer(rispy.RisWriter):
    """rispy's writer without its numbered header line, and one ``UR`` per line.

    rispy joins the URLs of ``UR`` with ``;``, which a URL may itself hold;
    a line per URL is what RIS readers expect anyway.
    """

    DEFAULT_DELIMITER_MAPPING: ClassVar[dict[str, str]] = {}

    def set_header(self, count: int) -> str:
        return ""


class RISFormat(OutputFormat):
    """An RIS record per work, for EndNote, Zotero, Mendeley and library catalogues."""

    name = "ris"
    description = "an RIS file: one record per resolved work (EndNote, Zotero, Mendeley)"
    bibliography: ClassVar[bool] = True

    def __init__(self) -> None:
        super().__init__()
        # The ID tag carries the citation key, unique within the batch.
        self._keys = CitationKeys()

    def render(self, work: Work) -> str:
        return rispy.dumps([self.reference(work)], implementation=_Writer).rstrip("\n")

    def reference(self, work: Work) -> dict[str, str | list[str]]:
        """The record of ``work`` as rispy's dict (field names of rispy's default mapping)."""
        return {k: v for k, v in self._fields(work) if v}

    def _fields(self, work: Work) -> Iterator[tuple[str, str | list[str]]]:
        kind = ris_type(work)
        yield "type_of_reference", kind
        yield "id", self._keys.key(work)
        yield "authors", [n for n in map(ris_name, work.authors) if n]
        yield "secondary_authors", [n for n in map(ris_name, work.editors) if n]
        title = _line(work.title)
        if work.subtitle:
            title = f"{title}: {_line(work.subtitle)}" if title else _line(work.subtitle)
        yield "primary_title", title
        venue = _line(work.venue)
        if kind == "JOUR":
            yield "journal_name", venue
        yield "secondary_title", venue
        yield "alternate_title1", _line(work.container_short)
        yield "volume", _line(work.volume)
        yield "number", _line(work.issue)
        start, _, end = _PAGE_RANGE_RE.sub("-", _line(work.pages)).partition("-")
        yield "start_page", start or _line(work.article_number)
        yield "end_page", end
        yield "year", str(work.year) if work.year else ""
        date = date_parts(work)
        yield "date", "/".join(date) if len(date) > 1 else ""
        yield "publisher", _line(work.publisher) or ("arXiv" if work.ids.arxiv else "")
        numbers = work.isbn if kind in _BOOKS and work.isbn else work.issn or work.isbn
        yield "issn", ", ".join(n for n in map(_line, numbers) if n)
        # Identifiers and links as they are: no markup to drop, no entity to read.
        yield "doi", _identifier(work.ids.doi)
        yield "urls", [url for url in (landing_url(work),) if url]
        location = work.best_oa_location
        yield "file_attachments1", _identifier(location.url_for_pdf) if location else ""
        if _identifier(work.ids.arxiv):
            category = _identifier(work.primary_category)
            number = f"arXiv:{_identifier(work.ids.arxiv)}"
            yield "accession_number", f"{number} [{category}]" if category else number
        yield "abstract", _line(work.abstract)
        yield "language", _line(work.language)
        keywords = dict.fromkeys(k for k in map(_line, (*work.keywords, *work.mesh)) if k)
        yield "keywords", list(keywords)
        notes = [_line(work.comment)]
        if is_preprint(work) and work.journal_ref:
            notes.append(_line(f"Journal reference: {work.journal_ref}"))
        yield "notes", [n for n in notes if n]
