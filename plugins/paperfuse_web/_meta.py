"""The metadata a landing page embeds, read with lxml.html into a partial record.

Publishers and repositories describe an article in its page's ``<head>`` in
several vocabularies, often more than one at once:

- Highwire Press ``citation_*`` meta tags (what Google Scholar asks for);
- Dublin Core (``DC.*``, ``dcterms.*``) and PRISM (``prism.*``) meta tags;
- schema.org JSON-LD (``ScholarlyArticle`` and its kin) in ``<script>``;
- Open Graph (``og:*``, ``article:*``), a last resort for the title and date;
- COinS (an OpenURL ContextObject in a ``<span class="Z3988">``'s title).

Each field is taken from the first vocabulary that gives it, in that order.
Only fields that describe the page's own work are read: reference lists
(``citation_reference``) name other works and are ignored. A value that
cannot be used costs only its field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urljoin

import lxml.etree
import lxml.html

from paperfuse import (
    Author,
    Ids,
    OALocation,
    Work,
    identify,
    plausible_year,
    storable,
)

__all__ = ["PageMetadata", "is_open_licence", "read_page", "to_work"]

#: JSON-LD types read as the page's work, preferred first.
_SCHOLARLY_TYPES = (
    "ScholarlyArticle",
    "MedicalScholarlyArticle",
    "Article",
    "TechArticle",
    "Report",
    "Thesis",
    "Chapter",
    "Book",
)
#: Crossref-style types for what the page says it is.
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
#: Most JSON-LD blocks and characters read from one page.
_MAX_JSONLD = 20
_MAX_JSONLD_CHARS = 1_000_000
_MAX_AUTHORS = 2_000


class PageMetadata:
    """What one page says about its work: per field, the values of each vocabulary."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.meta: dict[str, list[str]] = {}
        self.jsonld: dict[str, Any] | None = None
        self.coins: dict[str, list[str]] = {}
        self.licence_links: list[str] = []
        self.canonical: str | None = None
        #: The ``citation_author*`` tags in document order (an institution follows its author).
        self.ordered: list[tuple[str, str]] = []

    @property
    def vocabularies(self) -> list[str]:
        """The vocabularies the page uses, by the names docs/sources.md gives them."""
        found = []
        keys = self.meta.keys()
        if any(k.startswith("citation_") for k in keys):
            found.append("highwire")
        if any(k.startswith(("dc.", "dcterms.")) for k in keys):
            found.append("dublin-core")
        if any(k.startswith("prism.") for k in keys):
            found.append("prism")
        if self.jsonld is not None:
            found.append("json-ld")
        if any(k.startswith(("og:", "article:")) for k in keys):
            found.append("open-graph")
        if self.coins:
            found.append("coins")
        return found

    def all(self, *names: str) -> list[str]:
        """Every value of the first meta name (lower case) that has any."""
        for name in names:
            if self.meta.get(name):
                return self.meta[name]
        return []

    def first(self, *names: str) -> str | None:
        values = self.all(*names)
        return values[0] if values else None


# -- reading the page -----------------------------------------------------------------------


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


def read_page(body: bytes, url: str, encoding: str | None = None) -> PageMetadata:
    """The metadata of the HTML page ``body`` fetched from ``url``.

    ``encoding`` is the charset the response declared, if any (the page's
    own ``<meta charset>`` is read otherwise). Raises ``ValueError`` for a
    body that is no HTML document at all.
    """
    parser = lxml.html.HTMLParser(
        encoding=encoding, remove_comments=True, no_network=True, default_doctype=False
    )
    try:
        root = lxml.html.document_fromstring(body, parser=parser)
    except (lxml.etree.LxmlError, ValueError, LookupError) as e:
        raise ValueError(f"not an HTML document ({e})") from None
    page = PageMetadata(url)
    for element in root.iter("meta"):
        name = element.get("name") or element.get("property") or ""
        content = _clean(element.get("content"))
        if name and content:
            key = name.strip().lower()
            page.meta.setdefault(key, []).append(content)
            if key.startswith("citation_author"):
                page.ordered.append((key, content))
    for element in root.iter("link", "a"):
        rel = (element.get("rel") or "").lower().split()
        href = _clean(element.get("href"))
        if not href:
            continue
        if "license" in rel:
            page.licence_links.append(urljoin(url, href))
        elif "canonical" in rel and element.tag == "link" and page.canonical is None:
            page.canonical = urljoin(url, href)
    page.jsonld = _jsonld(root)
    page.coins = _coins(root)
    return page


def _jsonld(root: Any) -> dict[str, Any] | None:
    """The page's work in its JSON-LD: the first item of a scholarly type, best type first."""
    items: list[dict[str, Any]] = []
    scripts = root.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]')
    for script in scripts[:_MAX_JSONLD]:
        text = (script.text or "").strip()
        if not text or len(text) > _MAX_JSONLD_CHARS:
            continue
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            continue
        items.extend(_items(data, depth=0))
    for wanted in _SCHOLARLY_TYPES:
        for item in items:
            if wanted in _types(item):
                return item
    return None


def _items(data: Any, depth: int) -> Iterator[dict[str, Any]]:
    """Every typed object of a JSON-LD document: top level, ``@graph``, ``mainEntity``."""
    if depth > 4:
        return
    if isinstance(data, list):
        for entry in data[:200]:
            yield from _items(entry, depth + 1)
    elif isinstance(data, dict):
        if "@type" in data:
            yield data
        for key in ("@graph", "mainEntity"):
            if key in data:
                yield from _items(data[key], depth + 1)


def _types(item: dict[str, Any]) -> list[str]:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return [k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)]


def _coins(root: Any) -> dict[str, list[str]]:
    """The first COinS ContextObject of the page, key by key."""
    spans = root.xpath('//span[contains(concat(" ", normalize-space(@class), " "), " Z3988 ")]')
    for span in spans:
        title = span.get("title") or ""
        if "rft" not in title:
            continue
        found: dict[str, list[str]] = {}
        for key, value in parse_qsl(title[:20_000], keep_blank_values=False):
            cleaned = _clean(value)
            if cleaned:
                found.setdefault(key.lower(), []).append(cleaned)
        return found
    return {}


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
    text = _clean(value) if isinstance(value, str) else None
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
        return _clean(value.get("name")) or _clean(value.get("@value"))
    return _clean(value) if isinstance(value, str) else None


def _ld_list(value: Any) -> list[Any]:
    return value[:_MAX_AUTHORS] if isinstance(value, list) else [value] if value else []


def _ld_author(value: Any) -> Author | None:
    if isinstance(value, str):
        return _author(value)
    if not isinstance(value, dict):
        return None
    given, family = _clean(value.get("givenName")), _clean(value.get("familyName"))
    name = _clean(value.get("name")) or " ".join(p for p in (given, family) if p)
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
                kind = _clean(entry.get("propertyID")) or ""
                value = _clean(entry.get("value")) or _clean(entry.get("@value"))
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
        kinds = _types(part)
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
        return _clean(value.get("url")) or _clean(value.get("@id")) or _ld_text(value)
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
    for kind in _types(ld) if ld else ():
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
