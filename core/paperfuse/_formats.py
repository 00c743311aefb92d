"""Output formats: how a :class:`Work` is written out.

Plugins add formats through the ``paperfuse_register_formats`` hook by
returning :class:`OutputFormat` subclasses; ``paperfuse resolve --format NAME``
picks one.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import msgspec

from ._records import Work, encode_json

__all__ = ["BibTeXFormat", "CSLJSONFormat", "JSONFormat", "OutputFormat"]


class OutputFormat:
    """Base class of an output format.

    ``render`` turns one work into text; a batch is the renderings of its
    works, one after another, each ending with a newline (so JSON output
    of a batch is JSON Lines).
    """

    #: Unique name used by ``--format``.
    name: ClassVar[str]
    #: One line for ``paperfuse plugins`` and ``--help``.
    description: ClassVar[str] = ""

    def render(self, work: Work) -> str:
        """The text of one work, without a trailing newline."""
        raise NotImplementedError


class JSONFormat(OutputFormat):
    """The canonical record as JSON, one line per work."""

    name = "json"
    description = "the canonical record as JSON (JSON Lines for several inputs)"

    def render(self, work: Work) -> str:
        return encode_json(work).decode()


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([&%$#_{}])", r"\\\1", text)


class BibTeXFormat(OutputFormat):
    """A BibTeX entry, as reference managers import it."""

    name = "bibtex"
    description = "a BibTeX entry per work"

    def render(self, work: Work) -> str:
        kind = "article" if work.venue else "misc"
        fields: list[tuple[str, str | None]] = [
            ("title", work.title),
            ("author", " and ".join(_bibtex_author(a) for a in work.authors) or None),
            ("journal" if kind == "article" else "howpublished", work.venue),
            ("year", str(work.year) if work.year else None),
            ("volume", work.volume),
            ("number", work.issue),
            ("pages", work.pages),
            ("publisher", work.publisher),
            ("doi", work.ids.doi),
            ("eprint", work.ids.arxiv),
            ("archiveprefix", "arXiv" if work.ids.arxiv else None),
            ("primaryclass", work.primary_category if work.ids.arxiv else None),
            ("pmid", work.ids.pmid),
            ("url", work.best_oa_location.url if work.best_oa_location else None),
        ]
        body = ",\n".join(f"  {k} = {{{_bibtex_escape(v)}}}" for k, v in fields if v)
        return f"@{kind}{{{_citation_key(work)},\n{body}\n}}"


def _bibtex_author(author: Any) -> str:
    if author.family:
        return f"{author.family}, {author.given}" if author.given else author.family
    return author.name


def _citation_key(work: Work) -> str:
    """A key like ``knuth1984literate``: first author, year, first title word."""
    surname = ""
    if work.authors:
        first = work.authors[0]
        surname = first.family or first.name.split()[-1]
    words = re.findall(r"[A-Za-z]+", work.title or "")
    word = next((w for w in words if len(w) > 3), words[0] if words else "")
    key = re.sub(r"[^a-z0-9]", "", f"{surname}{work.year or ''}{word}".lower())
    return key or re.sub(r"[^A-Za-z0-9]", "", work.ids.doi or work.ids.arxiv or "") or "paperfuse"


class CSLJSONFormat(OutputFormat):
    """CSL-JSON, the format of Zotero, Pandoc and citeproc."""

    name = "csl-json"
    description = "a CSL-JSON item per work (Zotero, Pandoc, citeproc)"

    def render(self, work: Work) -> str:
        item: dict[str, Any] = {
            "id": work.ids.doi or (f"arxiv:{work.ids.arxiv}" if work.ids.arxiv else work.input),
            "type": "article-journal" if work.venue else "article",
            "title": work.title,
            "author": [
                {"family": a.family, "given": a.given} if a.family else {"literal": a.name}
                for a in work.authors
            ],
            "container-title": work.venue,
            "publisher": work.publisher,
            "volume": work.volume,
            "issue": work.issue,
            "page": work.pages,
            "DOI": work.ids.doi,
            "PMID": work.ids.pmid,
            "PMCID": work.ids.pmcid,
            "ISSN": work.issn[0] if work.issn else None,
            "abstract": work.abstract,
            "URL": work.best_oa_location.url if work.best_oa_location else None,
        }
        if work.published:
            parts = [int(p) for p in work.published[:10].split("-") if p.isdigit()]
            item["issued"] = {"date-parts": [parts]}
        elif work.year:
            item["issued"] = {"date-parts": [[work.year]]}
        item = {k: v for k, v in item.items() if v not in (None, [], "")}
        return msgspec.json.encode(item).decode()
