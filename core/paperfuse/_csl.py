"""CSL-JSON: the input format of citeproc (Zotero, Pandoc, Mendeley, citeproc-py).

:func:`csl_item` turns a resolved :class:`Work` into one CSL item, a dict
that validates against the official schema (``csl-data.json`` of
citation-style-language/schema) and that citation processors render;
:class:`CSLJSONFormat` writes a batch as one JSON array, the form Pandoc's
``--bibliography`` and citeproc read.

What goes where (see docs/formats.md): the Crossref-vocabulary ``type`` becomes a
CSL type; authors and editors are ``family``/``given`` (names no source split
are split by the merge), ``literal`` only for organisations; an arXiv preprint
is an ``article`` with ``publisher`` "arXiv", ``number`` ``arXiv:ID`` and its
``version``; ``URL`` is the DOI link or a landing page, never a PDF; the arXiv
comment and journal reference go in ``note``; the licence, which the schema
has no key for, goes in ``custom``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

import msgspec

from ._citekeys import CitationKeys, citation_key
from ._formats import OutputFormat, _scrubbed, _writable
from ._names import split_names
from ._records import Author, Work

__all__ = ["CSL_TYPES", "CSLJSONFormat", "csl_item", "csl_type"]

#: Crossref's work types (the record's ``type``) as CSL item types.
CSL_TYPES: dict[str, str] = {
    "journal-article": "article-journal",
    "proceedings-article": "paper-conference",
    "book-chapter": "chapter",
    "book-section": "chapter",
    "book-part": "chapter",
    "book-track": "chapter",
    "book": "book",
    "monograph": "book",
    "edited-book": "book",
    "reference-book": "book",
    "book-set": "book",
    "book-series": "book",
    "proceedings": "book",
    "proceedings-series": "book",
    "reference-entry": "entry",
    "dissertation": "thesis",
    "thesis": "thesis",
    "report": "report",
    "report-component": "report",
    "report-series": "report",
    "dataset": "dataset",
    "database": "dataset",
    "posted-content": "article",
    "preprint": "article",
    "peer-review": "review",
    "standard": "standard",
    "software": "software",
    "journal": "periodical",
    "journal-volume": "periodical",
    "journal-issue": "periodical",
    "component": "document",
    "grant": "document",
}
#: CSL types of works that an arXiv id numbers (a preprint and nothing more).
_PREPRINT_CSL_TYPES = frozenset({"article"})
_ISO_DATE_PART_RE = re.compile("[0-9]+")


def csl_type(work: Work) -> str:
    """The CSL type of ``work``, from its Crossref-vocabulary ``type``.

    A work of no or an unknown type (``other``) is an ``article-journal``
    when it has a venue, an ``article`` (a preprint) when it has an arXiv id,
    else a ``document``.
    """
    mapped = CSL_TYPES.get((work.type or "").lower())
    if mapped:
        return mapped
    if work.venue:
        return "article-journal"
    return "article" if work.ids.arxiv else "document"


def _date_parts(published: str | None) -> list[int]:
    """The leading ASCII numbers of an ISO 8601 date (``2020-01-02`` gives 2020, 1, 2).

    Only ASCII digits count: ``int()`` reads fullwidth digits too, and
    ``str.isdigit()`` accepts superscripts that ``int()`` then refuses.
    """
    parts: list[int] = []
    for part in (published or "")[:10].split("-"):
        if not _ISO_DATE_PART_RE.fullmatch(part):
            break
        parts.append(int(part))
    if len(parts) > 1 and not 1 <= parts[1] <= 12:
        return parts[:1]
    if len(parts) > 2 and not 1 <= parts[2] <= 31:
        return parts[:2]
    return parts


def _name(author: Author) -> dict[str, str]:
    """A CSL name: ``family`` and ``given``, or ``literal`` for a name written whole."""
    if author.family:
        name = {"family": author.family}
        if author.given:
            name["given"] = author.given
        return name
    return {"literal": author.name}


def _is_pdf(url: str, work: Work) -> bool:
    if urlsplit(url).path.lower().endswith(".pdf"):
        return True
    return any(url == location.url_for_pdf for location in work.oa_locations)


def _url(work: Work) -> str | None:
    """The DOI link, else a landing page (arXiv, PMC, PubMed, an OA copy's): never a PDF."""
    ids = work.ids
    if ids.doi:
        return "https://doi.org/" + quote(_writable(ids.doi), safe="/:;()._-~")
    if ids.arxiv:
        return f"https://arxiv.org/abs/{ids.arxiv}"
    if ids.pmcid:
        return f"https://pmc.ncbi.nlm.nih.gov/articles/{ids.pmcid}/"
    if ids.pmid:
        return f"https://pubmed.ncbi.nlm.nih.gov/{ids.pmid}/"
    locations = [work.best_oa_location] if work.best_oa_location else []
    candidates = [
        *(location.url_for_landing_page for location in [*locations, *work.oa_locations]),
        *ids.urls,
        *(location.url for location in [*locations, *work.oa_locations]),
    ]
    for url in candidates:
        if url and url.startswith(("https://", "http://")) and not _is_pdf(url, work):
            return url
    return None


def _note(work: Work, kind: str) -> str | None:
    """The arXiv comment, the journal reference of a preprint, the arXiv id of a published work."""
    lines = []
    if work.comment:
        lines.append(work.comment)
    if work.journal_ref:
        lines.append(f"Journal reference: {work.journal_ref}")
    if work.ids.arxiv and kind not in _PREPRINT_CSL_TYPES:
        lines.append(f"arXiv:{work.ids.arxiv}")
    return "\n".join(lines) or None


def csl_item(work: Work, *, key: str | None = None) -> dict[str, Any]:
    """The CSL item (a dict ready for ``json.dumps``) of a resolved ``work``.

    ``key`` is its ``id`` and ``citation-key``: by default the work's own
    citation key (``authorYEARword``, see :class:`paperfuse.CitationKeys`
    for keys unique within a batch). Keys whose value is unknown are left
    out, never null. Names that no source split (a work made by hand, not
    by the resolver) are split here as the merge would. A work whose
    ``status`` says it failed is no reference: a ``ValueError``.
    """
    if work.status not in (None, "resolved"):
        raise ValueError(
            f"{work.input!r} is no reference: its status is {work.status} ({work.error})"
        )
    kind = csl_type(work)
    preprint = kind in _PREPRINT_CSL_TYPES and bool(work.ids.arxiv)
    key = key or citation_key(work)
    title = work.title
    if title and work.subtitle and work.subtitle.lower() not in title.lower():
        title = f"{title}: {work.subtitle}"
    item: dict[str, Any] = {
        "id": key,
        "citation-key": key,
        "type": kind,
        "title": title,
        "author": [_name(a) for a in split_names(work.authors)],
        "editor": [_name(a) for a in split_names(work.editors)],
        "container-title": work.venue,
        "container-title-short": work.container_short,
        "volume": work.volume,
        "issue": work.issue,
        "page": work.pages,
        "number": f"arXiv:{work.ids.arxiv}" if preprint else work.article_number,
        "version": str(work.ids.arxiv_version) if preprint and work.ids.arxiv_version else None,
        "publisher": "arXiv" if preprint and not work.publisher else work.publisher,
        "DOI": work.ids.doi,
        "PMID": work.ids.pmid,
        "PMCID": work.ids.pmcid,
        "ISSN": work.issn_l or (work.issn[0] if work.issn else None),
        "ISBN": work.isbn[0] if work.isbn else None,
        "URL": _url(work),
        "abstract": work.abstract,
        "language": work.language,
        "keyword": ", ".join(work.keywords) or None,
        "note": _note(work, kind),
        "custom": {"license": work.license} if work.license else None,
    }
    parts = _date_parts(work.published)
    if parts:
        item["issued"] = {"date-parts": [parts]}
    elif work.year:
        item["issued"] = {"date-parts": [[work.year]]}
    return {k: v for k, v in item.items() if v not in (None, [], "", {})}


def _encoded(item: dict[str, Any]) -> str:
    """``item`` as compact JSON; a lone surrogate anywhere becomes U+FFFD."""
    try:
        return msgspec.json.encode(item).decode()
    except UnicodeEncodeError:
        return msgspec.json.encode(_scrubbed(item)).decode()


class CSLJSONFormat(OutputFormat):
    """CSL-JSON, the format of Zotero, Pandoc and citeproc: a batch is one JSON array.

    Each item is on a line of its own; the array's brackets come before the
    first and after the last, so the output is one valid JSON document
    whether it holds no item, one or many.
    """

    name = "csl-json"
    description = "a CSL-JSON array of the resolved works (Zotero, Pandoc, citeproc)"
    bibliography = True
    separator = ","

    def __init__(self) -> None:
        self._keys = CitationKeys()

    def begin(self) -> str:
        return "[\n"

    def end(self) -> str:
        return "]\n"

    def render(self, work: Work) -> str:
        return _encoded(csl_item(work, key=self._keys.key(work)))
