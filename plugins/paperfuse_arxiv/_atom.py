"""Reading the arXiv API's Atom feeds into paperfuse records, safely and fast.

The parser refuses DTDs and entity declarations outright (an Atom feed has
none), never loads anything from the network, and reads each entry's children
in one pass. Both feed generations are understood: the classic one, whose
links carry ``rel``/``title``/``type``, and the 2025 one, whose entry links
carry only ``href``.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import msgspec
from lxml import etree

from paperfuse import Author, BadResponse, Ids, OALocation, Work

__all__ = ["Feed", "FeedError", "abs_url", "parse_feed", "pdf_url"]

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
    collect_ids=False,
)

#: ``.../abs/<id>[vN]``: the entry id; old-style ids keep their archive.
_ENTRY_ID = re.compile(r"/abs/(?P<id>[^\s?#]+?)(?:v(?P<version>\d+))?/?$")
#: An archive with a subject class (``math.DG/0211159``): the class is not part of the id.
_SUBJECT_CLASS = re.compile(r"^([a-z-]+)\.[A-Za-z-]+/")
#: A comment that says the paper was accepted: evidence of an accepted manuscript.
_ACCEPTED = re.compile(
    r"\b(accepted (for publication )?(in|by|at|to)|to appear in|in press)\b", re.IGNORECASE
)


class FeedError(msgspec.Struct, frozen=True):
    """An error entry of a feed (``.../api/errors#...``): the API refused the query."""

    message: str
    slug: str


class Feed(msgspec.Struct, frozen=True):
    """One parsed feed: the works, the errors, and the ``opensearch`` totals."""

    works: tuple[Work, ...]
    errors: tuple[FeedError, ...]
    total: int | None
    start: int | None
    per_page: int | None


def abs_url(arxiv_id: str, version: int | None = None) -> str:
    """The abstract page of an arXiv id (of one version when given)."""
    return f"https://arxiv.org/abs/{arxiv_id}{_v(version)}"


def pdf_url(arxiv_id: str, version: int | None = None) -> str:
    """The PDF of an arXiv id (of one version when given)."""
    return f"https://arxiv.org/pdf/{arxiv_id}{_v(version)}"


def _v(version: int | None) -> str:
    return f"v{version}" if version is not None else ""


def _excerpt(data: bytes) -> str:
    text = data[:120].decode("utf-8", "replace")
    return " ".join(text.split()) + ("…" if len(data) > 120 else "")


def parse_feed(data: bytes) -> Feed:
    """The works and errors of an Atom feed; :class:`BadResponse` if it is none.

    An empty body, malformed XML, an HTML page, a document with a DTD or
    entity declarations, or XML whose root is not an Atom feed are all
    refused with a short excerpt of what came back.
    """
    if not data.strip():
        raise BadResponse("empty response body where an Atom feed was expected")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise BadResponse(f"refused a response with a DTD or entities: {_excerpt(data)!r}")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as e:
        raise BadResponse(f"malformed XML ({e}): {_excerpt(data)!r}") from None
    if root is None or root.tag != f"{_ATOM}feed":
        raise BadResponse(f"not an Atom feed: {_excerpt(data)!r}")
    works: list[Work] = []
    errors: list[FeedError] = []
    for entry in root.iterchildren(f"{_ATOM}entry"):
        entry_id = entry.findtext(f"{_ATOM}id") or ""
        if "/api/errors" in entry_id:
            message = _clean(entry.findtext(f"{_ATOM}summary")) or "unknown error"
            errors.append(FeedError(message=message, slug=entry_id.partition("#")[2]))
        else:
            works.append(_entry(entry, entry_id))
    return Feed(
        works=tuple(works),
        errors=tuple(errors),
        total=_int(root.findtext(f"{_OPENSEARCH}totalResults")),
        start=_int(root.findtext(f"{_OPENSEARCH}startIndex")),
        per_page=_int(root.findtext(f"{_OPENSEARCH}itemsPerPage")),
    )


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _clean(text: str | None) -> str | None:
    """Whitespace collapsed; None for empty text."""
    if text is None:
        return None
    return " ".join(text.split()) or None


def _timestamp(text: str | None) -> str | None:
    """An Atom date as a timezone-aware ISO 8601 date-time (UTC when none is given)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


def _split_id(entry_id: str) -> tuple[str | None, int | None]:
    match = _ENTRY_ID.search(entry_id)
    if match is None:
        return None, None
    arxiv_id = _SUBJECT_CLASS.sub(r"\1/", match["id"])
    version = int(match["version"]) if match["version"] else None
    return arxiv_id, version


def _entry(entry: etree._Element, entry_id: str) -> Work:
    """One entry as a partial work; unknown children are ignored."""
    title = summary = published = updated = comment = journal_ref = primary = None
    dois: list[str] = []
    authors: list[Author] = []
    categories: list[str] = []
    doi_link = None
    for child in entry.iterchildren():
        tag = child.tag
        if tag == f"{_ATOM}title":
            title = _clean(child.text)
        elif tag == f"{_ATOM}summary":
            summary = _clean(child.text)
        elif tag == f"{_ATOM}author":
            authors.append(_author(child))
        elif tag == f"{_ATOM}category":
            term = child.get("term")
            if term and term not in categories:
                categories.append(term)
        elif tag == f"{_ATOM}published":
            published = _timestamp(child.text)
        elif tag == f"{_ATOM}updated":
            updated = _timestamp(child.text)
        elif tag == f"{_ATOM}link":
            href = child.get("href") or ""
            if child.get("title") == "doi" or "doi.org/" in href:
                doi_link = href
        elif tag == f"{_ARXIV}doi":
            dois.extend((child.text or "").split())
        elif tag == f"{_ARXIV}comment":
            comment = _clean(child.text)
        elif tag == f"{_ARXIV}journal_ref":
            journal_ref = _clean(child.text)
        elif tag == f"{_ARXIV}primary_category":
            primary = child.get("term")
    arxiv_id, version = _split_id(entry_id)
    if not dois and doi_link:
        dois.append(doi_link.split("doi.org/", 1)[-1])
    locations: tuple[OALocation, ...] = ()
    if arxiv_id:
        locations = (_location(arxiv_id, comment, updated),)
    extra = {"arxiv": {"dois": dois}} if len(dois) > 1 else {}
    return Work(
        ids=Ids(arxiv=arxiv_id, arxiv_version=version, doi=dois[0] if dois else None),
        title=title,
        authors=tuple(authors),
        abstract=summary,
        published=published[:10] if published else None,
        updated=updated,
        year=int(published[:4]) if published else None,
        type="posted-content",
        categories=tuple(categories),
        primary_category=primary or (categories[0] if categories else None),
        journal_ref=journal_ref,
        comment=comment,
        oa_locations=locations,
        extra=extra,
    )


def _author(element: etree._Element) -> Author:
    name = ""
    affiliations: list[str] = []
    for child in element.iterchildren():
        if child.tag == f"{_ATOM}name":
            name = _clean(child.text) or ""
        elif child.tag == f"{_ARXIV}affiliation":
            affiliation = _clean(child.text)
            if affiliation:
                affiliations.append(affiliation)
    return Author(name=name, affiliations=tuple(affiliations))


def _location(arxiv_id: str, comment: str | None, updated: str | None) -> OALocation:
    """The record as a green OA location: a submitted version unless the comment says accepted.

    The URLs name no version: the best free copy is the latest one.
    """
    accepted = comment is not None and _ACCEPTED.search(comment) is not None
    return OALocation(
        url=abs_url(arxiv_id),
        url_for_pdf=pdf_url(arxiv_id),
        url_for_landing_page=abs_url(arxiv_id),
        host_type="repository",
        version="acceptedVersion" if accepted else "submittedVersion",
        source="arxiv",
        evidence=f"arXiv comment: {comment}" if accepted else "arXiv record",
        updated=updated,
    )
