"""Reading the arXiv API's Atom feeds into paperfuse records, safely and fast.

Feeds are read with :func:`paperfuse.parse_xml`, which refuses DTDs and
entity declarations outright (an Atom feed has none), reads every feed as
UTF-8 (what arXiv sends; a wider encoding is refused, and an encoding
declaration is not followed, so that no encoding can hide a DTD), and never
loads anything from the network; each entry's children are read in one pass. A value it cannot
read costs only its field. Both feed generations are understood: the classic
one, whose links carry ``rel``/``title``/``type``, and the 2025 one, whose
entry links carry only ``href``.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import msgspec
from lxml import etree

from paperfuse import (
    Author,
    Ids,
    OALocation,
    Work,
    in_turns,
    parse_xml,
    parse_xml_in_turns,
    xml_parser,
)

__all__ = ["Feed", "FeedError", "abs_url", "parse_feed", "pdf_url"]

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
# Tags compared for every child of every entry: built once.
_FEED = f"{_ATOM}feed"
_ENTRY = f"{_ATOM}entry"
_ID = f"{_ATOM}id"
_TITLE = f"{_ATOM}title"
_SUMMARY = f"{_ATOM}summary"
_AUTHOR = f"{_ATOM}author"
_NAME = f"{_ATOM}name"
_CATEGORY = f"{_ATOM}category"
_PUBLISHED = f"{_ATOM}published"
_UPDATED = f"{_ATOM}updated"
_LINK = f"{_ATOM}link"
_DOI = f"{_ARXIV}doi"
_COMMENT = f"{_ARXIV}comment"
_JOURNAL_REF = f"{_ARXIV}journal_ref"
_PRIMARY = f"{_ARXIV}primary_category"
_AFFILIATION = f"{_ARXIV}affiliation"

#: The hardened parser settings paperfuse.parse_xml reads feeds with.
_PARSER = xml_parser()

#: ``.../abs/<id>[vN]``: the entry id; old-style ids keep their archive.
_ENTRY_ID = re.compile(r"/abs/(?P<id>[^\s?#]+?)(?:v(?P<version>\d+))?/?$")
#: The API's usual timestamp, read without parsing it.
_UTC_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
#: Versions and years paperfuse believes; others are a bad value of that field.
_VERSIONS = range(1, 10_000)
_YEARS = range(1000, 3001)
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


def parse_feed(data: bytes) -> Feed:
    """The works and errors of an Atom feed; :class:`BadResponse` if it is none.

    An empty body, malformed XML, an HTML page, a document with a DTD or
    entity declarations (in any encoding), a feed that is not UTF-8, or XML
    whose root is not an Atom feed are all refused with a short excerpt of
    what came back.
    """
    root = parse_xml(data, expected="an Atom feed", roots=(_FEED,))
    works: list[Work] = []
    errors: list[FeedError] = []
    for entry in root.iterchildren(_ENTRY):
        _read_entry(entry, works, errors)
    return _feed(root, works, errors)


async def read_feed(data: bytes) -> Feed:
    """:func:`parse_feed` in turns of the event loop: a feed of 2,000 entries is parsed and
    read a few entries at a time, and the rest of a batch goes on in between."""
    root = await parse_xml_in_turns(data, expected="an Atom feed", roots=(_FEED,))
    works: list[Work] = []
    errors: list[FeedError] = []
    async for entry in in_turns(root.iterchildren(_ENTRY)):
        _read_entry(entry, works, errors)
    return _feed(root, works, errors)


def _read_entry(entry: etree._Element, works: list[Work], errors: list[FeedError]) -> None:
    entry_id = entry.findtext(_ID) or ""
    if "/api/errors" in entry_id:
        message = _clean(entry.findtext(_SUMMARY)) or "unknown error"
        errors.append(FeedError(message=message, slug=entry_id.partition("#")[2]))
    else:
        works.append(_entry(entry, entry_id))


def _feed(root: etree._Element, works: list[Work], errors: list[FeedError]) -> Feed:
    return Feed(
        works=tuple(works),
        errors=tuple(errors),
        total=_int(root.findtext(f"{_OPENSEARCH}totalResults")),
        start=_int(root.findtext(f"{_OPENSEARCH}startIndex")),
        per_page=_int(root.findtext(f"{_OPENSEARCH}itemsPerPage")),
    )


def _int(text: str | None) -> int | None:
    """A count of the ``opensearch`` header; None for anything but a plain, sane number."""
    text = text.strip() if text else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        return None
    return int(text)


def _clean(text: str | None) -> str | None:
    """Whitespace collapsed; None for empty text.

    The API wraps long text at newlines; replacing those is enough for most
    entries, and far cheaper than splitting every abstract into words.
    """
    if text is None:
        return None
    flat = text.replace("\n", " ").strip()
    if "  " in flat or "\t" in flat or "\r" in flat:
        flat = " ".join(flat.split())
    return flat or None


def _timestamp(text: str | None) -> str | None:
    """An Atom date as a timezone-aware ISO 8601 date-time (UTC when none is given)."""
    if not text:
        return None
    if _UTC_TIMESTAMP.fullmatch(text) and int(text[:4]) in _YEARS:
        return f"{text[:19]}+00:00"  # the API's usual "2017-10-24T00:21:32Z", fast
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.year not in _YEARS:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


def _split_id(entry_id: str) -> tuple[str | None, int | None]:
    match = _ENTRY_ID.search(entry_id)
    if match is None:
        return None, None
    arxiv_id = match["id"]
    if "/" in arxiv_id:  # old style: drop a subject class from the archive
        arxiv_id = _SUBJECT_CLASS.sub(r"\1/", arxiv_id)
    digits = match["version"]
    version = int(digits) if digits and digits.isascii() and len(digits) < 6 else None
    return arxiv_id, version if version in _VERSIONS else None


def _entry(entry: etree._Element, entry_id: str) -> Work:
    """One entry as a partial work; unknown children are ignored."""
    title = summary = published = updated = comment = journal_ref = primary = None
    dois: list[str] = []
    authors: list[Author] = []
    categories: list[str] = []
    doi_link = None
    for child in entry.iterchildren():
        tag = child.tag
        if tag == _AUTHOR:
            if len(child) == 1 and child[0].tag == _NAME:  # a name alone, the common case
                name = _clean(child[0].text)
                if name:
                    authors.append(Author(name=name))
            else:
                author = _author(child)
                if author is not None:
                    authors.append(author)
        elif tag == _CATEGORY:
            term = child.get("term")
            if term and term not in categories:
                categories.append(term)
        elif tag == _LINK:
            href = child.get("href") or ""
            if child.get("title") == "doi" or "doi.org/" in href:
                doi_link = href
        elif tag == _TITLE:
            title = _clean(child.text)
        elif tag == _SUMMARY:
            summary = _clean(child.text)
        elif tag == _PUBLISHED:
            published = _timestamp(child.text)
        elif tag == _UPDATED:
            updated = _timestamp(child.text)
        elif tag == _DOI:
            dois.extend((child.text or "").split())
        elif tag == _COMMENT:
            comment = _clean(child.text)
        elif tag == _JOURNAL_REF:
            journal_ref = _clean(child.text)
        elif tag == _PRIMARY:
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


def _author(element: etree._Element) -> Author | None:
    """An author with affiliations, None when it has no name (a name alone is read inline)."""
    name = _clean(element.findtext(_NAME))
    if not name:
        return None
    affiliations = (_clean(a.text) for a in element.iterchildren(_AFFILIATION))
    return Author(name=name, affiliations=tuple(a for a in affiliations if a))


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
