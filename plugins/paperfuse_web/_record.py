"""A landing page's metadata as a partial record: each field from the first vocabulary
that gives it.

The order is Highwire ``citation_*``, JSON-LD, PRISM, Dublin Core, COinS, and
Open Graph last (its title only for an ``article``). Only fields that describe
the page's own work are read: reference lists (``citation_reference``) and body
text name other works and are ignored. A value that cannot be used costs only
its field.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from paperfuse import (
    Author,
    Ids,
    OALocation,
    Work,
    identify,
    plausible_year,
    storable,
)

from ._page import PageMetadata, clean, types

__all__ = ["is_open_licence", "to_work"]

#: Crossref-style types for what a JSON-LD work says it is.
_JSONLD_TYPES = {
    "ScholarlyArticle": "journal-article",
    "MedicalScholarlyArticle": "journal-article",
    "Report": "report",
    "Thesis": "dissertation",
    "Chapter": "book-chapter",
    "Book": "book",
}
#: Platforms whose pages are repository copies, by the ``generator`` meta tag.
_REPOSITORY_GENERATORS = re.compile(r"dspace|eprints|invenio|fedora|islandora|bepress", re.I)
_OPEN_LICENCE = re.compile(
    r"creativecommons\.org/(?:licenses|publicdomain)/|\bcc[- ]?(?:by|0)\b|public[- ]domain", re.I
)
_DATE = re.compile(r"^([0-9]{4})(?:[-/.]([0-9]{1,2})(?:[-/.]([0-9]{1,2}))?)?")
_DMY = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")
#: Most authors (and entries of any JSON-LD list) read from one page.
_MAX_AUTHORS = 2_000


# -- values ------------------------------------------------------------------------------------


def _date(value: str | None) -> str | None:
    """An ISO date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) from the forms pages use.

    ``2013/08/01``, ``2013-08-01``, ``2013``, ``2013-08-01T00:00:00Z`` and
    OJS's day-first ``01/08/2013``.
    """
    if not value:
        return None
    text = value.strip()
    dmy = _DMY.match(text)
    if dmy:
        text = f"{dmy.group(3)}-{dmy.group(2)}-{dmy.group(1)}"
    match = _DATE.match(text)
    if not match or plausible_year(match.group(1)) is None:
        return None
    parts = [match.group(1)]
    for group in (match.group(2), match.group(3)):
        if group is None:
            break
        number = int(group)
        if not 1 <= number <= (12 if len(parts) == 1 else 31):
            break
        parts.append(f"{number:02d}")
    return "-".join(parts)


def _ids_of(texts: list[str], scheme: str) -> str | None:
    """The first identifier of ``scheme`` that one of ``texts`` stands for."""
    prefixes = {"doi": ("", "doi:"), "pmid": ("PMID: ",), "arxiv": ("", "arXiv:")}[scheme]
    for text in texts:
        cleaned = text.strip()
        if cleaned.lower().startswith("info:doi/"):
            cleaned = cleaned[len("info:doi/") :]
        elif cleaned.lower().startswith("info:pmid/"):
            cleaned = cleaned[len("info:pmid/") :]
        for prefix in prefixes:
            for identifier in identify(prefix + cleaned).identifiers:
                if identifier.scheme == scheme and identifier.confidence >= 1.0:
                    return identifier.value
    return None


def _author(name: str, affiliations: tuple[str, ...] = ()) -> Author | None:
    """An author from a name as pages write it: ``Family, Given`` or ``Given Family``."""
    name = " ".join(name.split())
    if not name:
        return None
    if name.count(",") == 1:
        family, given = (p.strip() for p in name.split(","))
        if family and given:
            return Author(
                name=f"{given} {family}", given=given, family=family, affiliations=affiliations
            )
    return Author(name=name, affiliations=affiliations)


def _highwire_authors(page: PageMetadata) -> list[Author]:
    """``citation_author`` in order, each with the ``citation_author_institution`` and
    ``citation_author_orcid`` tags that follow it; or OJS's old ``citation_authors``."""
    authors: list[dict[str, Any]] = []
    for name, content in page.ordered:
        if name == "citation_author":
            authors.append({"name": content, "affiliations": [], "orcid": None})
        elif name == "citation_author_institution" and authors:
            authors[-1]["affiliations"].append(content)
        elif name == "citation_author_orcid" and authors:
            authors[-1]["orcid"] = _orcid(content)
    found = []
    for data in authors[:_MAX_AUTHORS]:
        author = _author(data["name"], tuple(dict.fromkeys(data["affiliations"])))
        if author is not None and data["orcid"]:
            author = Author(**{**_fields(author), "orcid": data["orcid"]})
        if author is not None:
            found.append(author)
    if not found:
        for listed in page.all("citation_authors"):
            found += [a for a in map(_author, listed.split(";")) if a is not None]
    return found


def _fields(author: Author) -> dict[str, Any]:
    return {f: getattr(author, f) for f in author.__struct_fields__}


def _orcid(value: Any) -> str | None:
    text = clean(value) if isinstance(value, str) else None
    match = re.search(r"([0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X])", text or "")
    return f"https://orcid.org/{match.group(1)}" if match else None


# -- JSON-LD values ------------------------------------------------------------------------------


def _ld_text(value: Any) -> str | None:
    """Text from a JSON-LD value: a string, the first of a list, or an object's name/@value."""
    if isinstance(value, list):
        for entry in value:
            text = _ld_text(entry)
            if text:
                return text
        return None
    if isinstance(value, dict):
        return clean(value.get("name")) or clean(value.get("@value"))
    return clean(value) if isinstance(value, str) else None


def _ld_list(value: Any) -> list[Any]:
    return value[:_MAX_AUTHORS] if isinstance(value, list) else [value] if value else []


def _ld_author(value: Any) -> Author | None:
    if isinstance(value, str):
        return _author(value)
    if not isinstance(value, dict):
        return None
    given, family = clean(value.get("givenName")), clean(value.get("familyName"))
    name = clean(value.get("name")) or " ".join(p for p in (given, family) if p)
    if not name:
        return None
    orcid = None
    for key in ("@id", "sameAs", "identifier", "url"):
        for entry in _ld_list(value.get(key)):
            orcid = orcid or _orcid(entry if isinstance(entry, str) else _ld_text(entry))
    affiliations = tuple(a for a in map(_ld_text, _ld_list(value.get("affiliation"))) if a)
    if given or family:
        return Author(name=name, given=given, family=family, orcid=orcid, affiliations=affiliations)
    author = _author(name, affiliations)
    return Author(**{**_fields(author), "orcid": orcid}) if author and orcid else author


def _ld_identifiers(item: dict[str, Any]) -> list[str]:
    """Identifier texts of a JSON-LD work: ``identifier`` (text or PropertyValue), ``sameAs``,
    ``@id``, ``url``."""
    texts: list[str] = []
    for key in ("identifier", "sameAs", "@id", "url"):
        for entry in _ld_list(item.get(key)):
            if isinstance(entry, str):
                texts.append(entry)
            elif isinstance(entry, dict):
                kind = clean(entry.get("propertyID")) or ""
                value = clean(entry.get("value")) or clean(entry.get("@value"))
                if value:
                    texts.append(f"{kind}:{value}" if kind.lower() in ("doi", "pmid") else value)
    return texts


def _ld_container(item: dict[str, Any]) -> dict[str, str]:
    """Volume, issue, venue and ISSN from a JSON-LD work's nested ``isPartOf``."""
    found: dict[str, str] = {}
    part: Any = item.get("isPartOf")
    for _ in range(4):
        if isinstance(part, list):
            part = part[0] if part else None
        if not isinstance(part, dict):
            break
        kinds = types(part)
        if "PublicationVolume" in kinds and "volume" not in found:
            text = _ld_text(part.get("volumeNumber"))
            if text:
                found["volume"] = text
        elif "PublicationIssue" in kinds and "issue" not in found:
            text = _ld_text(part.get("issueNumber"))
            if text:
                found["issue"] = text
        elif "venue" not in found:
            name = _ld_text(part.get("name"))
            if name:
                found["venue"] = name
            issn = _ld_text(part.get("issn"))
            if issn:
                found["issn"] = issn
        part = part.get("isPartOf")
    return found


def is_open_licence(licence: str | None) -> bool:
    """Whether a page's licence statement names an open licence (Creative Commons, PD)."""
    return bool(licence) and bool(_OPEN_LICENCE.search(licence or ""))


# -- the record ----------------------------------------------------------------------------------


def _first(*values: str | None) -> str | None:
    for value in values:
        if value:
            return value
    return None


def _pages(first: str | None, last: str | None) -> str | None:
    if first and last and first != last:
        return f"{first}-{last}"
    return first


def to_work(page: PageMetadata, source: str = "web") -> Work | None:
    """The partial work the page describes; None when it carries no usable metadata."""
    ld = page.jsonld or {}
    coins = page.coins

    def c(key: str) -> str | None:
        values = coins.get(key)
        return values[0] if values else None

    container = _ld_container(ld) if ld else {}
    title = _first(
        page.first("citation_title"),
        _ld_text(ld.get("headline")) or _ld_text(ld.get("name")),
        page.first("prism.title"),
        page.first("dc.title", "dcterms.title"),
        c("rft.atitle") or c("rft.title") or c("rft.btitle"),
        page.first("og:title") if page.first("og:type") == "article" else None,
    )
    identifier_texts = [
        *page.all("citation_doi"),
        *page.all("prism.doi"),
        *_ld_identifiers(ld),
        *page.all("dc.identifier", "dcterms.identifier"),
        *[v for v in coins.get("rft_id", []) if v.lower().startswith("info:doi/")],
        *coins.get("rft.doi", []),
    ]
    doi = _ids_of(identifier_texts, "doi")
    pmid = _ids_of(
        [*page.all("citation_pmid"), *[v for v in coins.get("rft_id", []) if "pmid" in v.lower()]],
        "pmid",
    )
    arxiv = _ids_of(
        [
            *page.all("citation_arxiv_id"),
            *[v for v in page.all("dc.identifier") if "arxiv" in v.lower()],
        ],
        "arxiv",
    )
    authors = (
        _highwire_authors(page)
        or [a for a in map(_ld_author, _ld_list(ld.get("author"))) if a is not None]
        or [a for a in map(_author, page.all("dc.creator", "dcterms.creator")) if a is not None]
        or _coins_authors(coins)
    )
    published = _date(
        _first(
            page.first("citation_publication_date", "citation_date", "citation_online_date"),
            _ld_text(ld.get("datePublished")),
            page.first("prism.publicationdate", "prism.coverdate"),
            page.first("dc.date.issued", "dcterms.issued", "dc.date", "dcterms.date"),
            c("rft.date"),
            page.first("article:published_time"),
        )
    )
    venue = _first(
        page.first("citation_journal_title", "citation_conference_title", "citation_book_title"),
        container.get("venue"),
        page.first("prism.publicationname"),
        page.first("dc.relation.ispartof", "dcterms.ispartof", "dc.source"),
        c("rft.jtitle") or c("rft.btitle") if c("rft.atitle") else None,
    )
    volume = _first(
        page.first("citation_volume"),
        container.get("volume"),
        page.first("prism.volume"),
        c("rft.volume"),
    )
    issue = _first(
        page.first("citation_issue"),
        container.get("issue"),
        page.first("prism.number", "prism.issueidentifier"),
        c("rft.issue"),
    )
    pages = _first(
        _pages(page.first("citation_firstpage"), page.first("citation_lastpage")),
        _pages(_ld_text(ld.get("pageStart")), _ld_text(ld.get("pageEnd")))
        or _ld_text(ld.get("pagination")),
        _pages(page.first("prism.startingpage"), page.first("prism.endingpage")),
        _pages(c("rft.spage"), c("rft.epage")) or c("rft.pages"),
    )
    publisher = _first(
        page.first("citation_publisher", "dc.publisher", "dcterms.publisher"),
        _ld_text(ld.get("publisher")),
        c("rft.pub"),
    )
    issns = [
        *page.all("citation_issn"),
        *([container["issn"]] if "issn" in container else []),
        *page.all("prism.issn"),
        *page.all("prism.eissn"),
        *coins.get("rft.issn", []),
        *coins.get("rft.eissn", []),
    ]
    issn = tuple(dict.fromkeys(i for i in issns if re.fullmatch(r"[0-9]{4}-?[0-9]{3}[0-9Xx]", i)))
    abstract = _first(
        page.first("citation_abstract"),
        _ld_text(ld.get("abstract")) or _ld_text(ld.get("description")),
        page.first("dcterms.abstract", "dc.description.abstract", "dc.description"),
    )
    licence = _licence(page, ld)
    pdf_url = _url(page, page.first("citation_pdf_url"))
    landing = _url(page, page.first("citation_abstract_html_url", "citation_fulltext_html_url"))
    landing = landing or page.url
    kind = _type(page, ld)
    language = _first(
        page.first("citation_language", "dc.language", "dcterms.language"),
        _ld_text(ld.get("inLanguage")),
    )
    keywords = _keywords(page, ld)
    if not (title or doi or pmid or arxiv):
        return None
    host_type = _host_type(page, doi)
    locations = _locations(pdf_url, landing, licence, host_type, source)
    extra = storable(
        {
            "url": page.url,
            "vocabularies": page.vocabularies,
            "pdf_url": pdf_url,
            "abstract_html_url": page.first("citation_abstract_html_url"),
            "licence_on_page": licence,
        }
    )
    urls = tuple(dict.fromkeys(u for u in (page.url, page.canonical) if u))
    return Work(
        ids=Ids(doi=doi, pmid=pmid, arxiv=arxiv, urls=urls),
        title=title,
        authors=tuple(authors),
        abstract=abstract,
        published=published,
        year=plausible_year(published[:4]) if published else None,
        venue=venue,
        volume=volume,
        issue=issue,
        pages=pages,
        publisher=publisher,
        issn=issn,
        type=kind,
        language=language,
        keywords=keywords,
        license=licence if is_open_licence(licence) or _is_url(licence) else None,
        oa_locations=locations,
        extra={source: {k: v for k, v in (extra or {}).items() if v}},
    )


def _is_url(text: str | None) -> bool:
    """Whether a licence statement is a link (a licence's URL), not a copyright line."""
    return bool(text) and (text or "").lower().startswith(("http://", "https://"))


def _coins_authors(coins: dict[str, list[str]]) -> list[Author]:
    authors = [a for a in map(_author, coins.get("rft.au", [])) if a is not None]
    if authors:
        return authors
    last, first = coins.get("rft.aulast"), coins.get("rft.aufirst")
    if last:
        given = first[0] if first else None
        name = f"{given} {last[0]}" if given else last[0]
        return [Author(name=name, given=given, family=last[0])]
    return []


def _url(page: PageMetadata, value: str | None) -> str | None:
    if not value:
        return None
    absolute = urljoin(page.url, value)
    return absolute if absolute.startswith(("http://", "https://")) else None


def _licence(page: PageMetadata, ld: dict[str, Any]) -> str | None:
    """The licence the page states; an open one first, when it states several."""
    stated = [
        *page.all("citation_license"),
        *page.all("dc.rights", "dcterms.rights", "dc.rights.uri", "dcterms.license"),
        *[t for t in map(_ld_text_or_url, _ld_list(ld.get("license"))) if t],
        *page.licence_links,
    ]
    for text in stated:
        if is_open_licence(text):
            return text
    return stated[0] if stated else None


def _ld_text_or_url(value: Any) -> str | None:
    if isinstance(value, dict):
        return clean(value.get("url")) or clean(value.get("@id")) or _ld_text(value)
    return _ld_text(value)


def _type(page: PageMetadata, ld: dict[str, Any]) -> str | None:
    if page.first("citation_journal_title"):
        return "journal-article"
    if page.first("citation_conference_title"):
        return "proceedings-article"
    if page.first("citation_dissertation_institution"):
        return "dissertation"
    if page.first("citation_technical_report_institution"):
        return "report"
    for kind in types(ld) if ld else ():
        if kind in _JSONLD_TYPES:
            return _JSONLD_TYPES[kind]
    return None


def _keywords(page: PageMetadata, ld: dict[str, Any]) -> tuple[str, ...]:
    listed = page.all("citation_keywords", "keywords", "dc.subject")
    if not listed and ld:
        raw = ld.get("keywords")
        listed = [raw] if isinstance(raw, str) else [k for k in _ld_list(raw) if isinstance(k, str)]
    words = [w.strip() for text in listed for w in re.split(r"[;,]", text)]
    return tuple(dict.fromkeys(w for w in words if w))[:100]


def _host_type(page: PageMetadata, doi: str | None) -> str | None:
    """``repository`` for a repository platform's page, ``publisher`` for a page with a
    DOI elsewhere, unknown otherwise."""
    generator = " ".join(page.all("generator"))
    if _REPOSITORY_GENERATORS.search(generator) or re.search(r"/(handle|bitstream)/", page.url):
        return "repository"
    return "publisher" if doi else None


def _locations(
    pdf_url: str | None,
    landing: str | None,
    licence: str | None,
    host_type: str | None,
    source: str,
) -> tuple[OALocation, ...]:
    """The page's free copy: a location when the page states an open licence; otherwise
    ``citation_pdf_url`` is only a candidate, kept when another source reports that copy
    (``candidate=True``, see docs/oa-ranking.md)."""
    if not pdf_url:
        return ()
    version = "publishedVersion" if host_type == "publisher" else None
    if is_open_licence(licence):
        return (
            OALocation(
                url=landing or pdf_url,
                url_for_pdf=pdf_url,
                url_for_landing_page=landing,
                host_type=host_type,
                version=version,
                license=licence,
                source=source,
                evidence="open licence stated on the landing page",
            ),
        )
    return (
        OALocation(
            url=pdf_url,
            url_for_pdf=pdf_url,
            url_for_landing_page=landing,
            host_type=host_type,
            version=version,
            source=source,
            evidence="citation_pdf_url of the landing page (not known to be free)",
            candidate=True,
        ),
    )
