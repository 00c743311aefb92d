"""DataCite's DOI record (JSON:API ``data.attributes``) as a partial paperfuse record.

The mapping reads the fields of DataCite's metadata schema (kernel 4) as the
REST API serves them, but trusts none of them to be there or to have the
documented type: fields may be null, missing, mistyped or new, and some have
changed shape over the years (``publisher`` a string or an object,
``affiliation`` strings or objects). A value it cannot use costs only its
field (or its one creator, relation or funder), and what it keeps is always
something the cache and the output can encode: no integer beyond 64 bits, no
year no paper has, no nesting without end.
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Iterator
from typing import Any

import lxml.etree
import lxml.html
import msgspec

from paperfuse import YEARS, Author, Funder, Ids, Relation, Work, identify, plausible_year

__all__ = ["attributes_to_work", "clean_text", "doi_record_to_work", "relation_type"]

#: DataCite's resourceTypeGeneral as the record's type, in Crossref's vocabulary
#: where it has one. Crossref has no type for software: "software" it is.
_TYPES = {
    "Book": "book",
    "BookChapter": "book-chapter",
    "ComputationalNotebook": "software",
    "ConferencePaper": "proceedings-article",
    "ConferenceProceeding": "proceedings",
    "DataPaper": "journal-article",
    "Dataset": "dataset",
    "Dissertation": "dissertation",
    "Journal": "journal",
    "JournalArticle": "journal-article",
    "PeerReview": "peer-review",
    "Preprint": "posted-content",
    "Report": "report",
    "Software": "software",
    "Standard": "standard",
}
#: For the catch-all "Text": words of the free-text resourceType, first match wins.
_TEXT_HINTS = (
    ("preprint", "posted-content"),
    ("chapter", "book-chapter"),
    ("conference", "proceedings-article"),
    ("proceedings", "proceedings-article"),
    ("thesis", "dissertation"),
    ("dissertation", "dissertation"),
    ("report", "report"),
    ("book", "book"),
    ("article", "journal-article"),
)
#: arXiv's DOIs (DataCite) name the arXiv id of the work.
_ARXIV_PREFIX = "10.48550/"
#: relatedIdentifierType -> the scheme paperfuse knows it by (others: lower case).
_SCHEMES = {"doi": "doi", "arxiv": "arxiv", "pmid": "pmid", "url": "url", "pmcid": "pmcid"}
#: How each known scheme's value is written so that identify() reads it as that scheme.
_SPELLING = {"doi": "{}", "arxiv": "arXiv:{}", "pmid": "PMID:{}", "pmcid": "{}", "url": "{}"}
#: Relation types the container of the work is named by.
_CONTAINER_RELATIONS = ("IsPartOf", "IsPublishedIn")
#: Most entries of a list field read, and most relations kept: a record listing
#: thousands of references costs bounded time and stays a reasonable size.
_MAX_ITEMS = 2000
_MAX_RELATIONS = 500
_MAX_SUBJECTS = 100
_COUNTS = range(0, 2**53)
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?![\d])")
_ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])\s*/?\s*$", re.IGNORECASE)
_ISSN = re.compile(r"^(\d{4})-?(\d{3}[\dX])$", re.IGNORECASE)
_ISBN = re.compile(r"^(?:97[89][- ]?)?\d[\d -]{7,15}[\dX]$", re.IGNORECASE)
_RELATION = re.compile(r"^[A-Z][A-Za-z]{1,60}$")
_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
#: Elements whose content is no text of the abstract, and those that end a line.
_DROPPED = ("script", "style", "head", "title")
_BLOCKS = ("br", "p", "div", "li", "tr", "td", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol")
_HTML = lxml.html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)


# -- values -------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A string with its whitespace collapsed; None for anything else or nothing."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def _get(data: Any, key: str) -> str | None:
    return _text(data.get(key)) if isinstance(data, dict) else None


def _number_text(value: Any) -> str | None:
    """A volume, issue or page: text, or a sane integer written as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if value in _COUNTS else None
    return _text(value)


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if value in _COUNTS else None


def _date(value: Any) -> str | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, as precise as the value is; None if no date.

    DataCite dates are W3C-DTF or RKMS-ISO8601 ranges (``2011-01/2012-03``);
    a range gives its start, a timestamp its day.
    """
    text = _text(value)
    if not text:
        return None
    match = _DATE.match(text.split("/", 1)[0])
    if not match or int(match[1]) not in YEARS:
        return None
    year, month, day = match[1], match[2], match[3]
    if month is None:
        return year
    if not 1 <= int(month) <= 12:
        return year
    if day is None:
        return f"{year}-{month}"
    try:
        datetime.date(int(year), int(month), int(day))
    except ValueError:
        return f"{year}-{month}"
    return f"{year}-{month}-{day}"


def _items(value: Any) -> Iterator[Any]:
    """The entries of a list field (a lone object counts as a list of one), bounded."""
    if isinstance(value, dict):
        yield value
    elif isinstance(value, list):
        yield from value[:_MAX_ITEMS]


def _strings(value: Any) -> Iterator[str]:
    for item in _items(value) if not isinstance(value, str) else (value,):
        text = _text(item)
        if text:
            yield text


def clean_text(value: Any) -> str | None:
    """Text of a description that may hold HTML markup, as one clean paragraph.

    Markup goes through lxml's HTML parser (no network, no entities loaded,
    recovering from broken markup), block elements become spaces and scripts
    are dropped; markup that arrives escaped (``&lt;p&gt;``) is read as
    markup; text without tags only has its entities decoded. Control
    characters are left out.
    """
    text = value if isinstance(value, str) else " ".join(_strings(value))
    text = _CONTROL.sub("", text)
    if not text.strip():
        return None
    if not _TAG.search(text):
        text = html.unescape(text)
    if _TAG.search(text):
        try:
            root = lxml.html.fragment_fromstring(text, create_parent="div", parser=_HTML)
        except (lxml.etree.LxmlError, ValueError):
            root = None
        if root is not None:
            for element in list(root.iter(*_DROPPED)):
                element.drop_tree()
            for element in root.iter(*_BLOCKS):
                element.text = " " + (element.text or "")
                element.tail = " " + (element.tail or "")
            text = root.text_content()
        else:
            text = _TAG.sub(" ", text)
    return _text(_CONTROL.sub("", text))  # entities may have named some


# -- people ---------------------------------------------------------------------------------


def _orcid(identifiers: Any) -> str | None:
    """The ORCID among a person's nameIdentifiers, as an https://orcid.org/ URL."""
    for item in _items(identifiers):
        if not isinstance(item, dict):
            continue
        scheme = _get(item, "nameIdentifierScheme") or ""
        value = _get(item, "nameIdentifier") or ""
        if scheme.upper() == "ORCID" or "orcid.org/" in value.lower():
            match = _ORCID.search(value)
            if match:
                return f"https://orcid.org/{match[1].upper()}"
    return None


def _affiliations(value: Any) -> tuple[str, ...]:
    """Affiliation names: strings, or objects with a ``name`` (``affiliation=true``)."""
    if isinstance(value, str):
        value = [value]
    names = (_text(a) if isinstance(a, str) else _get(a, "name") for a in _items(value))
    return tuple(dict.fromkeys(n for n in names if n))


def _person(data: Any) -> Author | None:
    """One creator or contributor; None when it names nobody.

    An organisation (``nameType`` Organizational) keeps its name whole. A
    person's name is "given family" from ``givenName`` and ``familyName``;
    when only ``name`` is given and the person is marked Personal, DataCite's
    "Family, Given" form is split at its one comma.
    """
    if not isinstance(data, dict):
        return None
    name, given, family = _get(data, "name"), _get(data, "givenName"), _get(data, "familyName")
    kind = _get(data, "nameType")
    affiliations = _affiliations(data.get("affiliation"))
    orcid = _orcid(data.get("nameIdentifiers"))
    if kind == "Organizational":
        name = name or " ".join(p for p in (given, family) if p)
        if not name:
            return None
        return Author(name=name, orcid=orcid, affiliations=affiliations)
    if name and not (given or family) and kind == "Personal" and name.count(",") == 1:
        family, given = (part.strip() or None for part in name.split(","))
    display = " ".join(p for p in (given, family) if p) or name
    if not display:
        return None
    return Author(
        name=display,
        given=given,
        family=family,
        orcid=orcid,
        affiliations=affiliations,
    )


def _creators(value: Any) -> tuple[Author, ...]:
    people = [p for p in map(_person, _items(value)) if p is not None]
    return tuple(
        msgspec.structs.replace(person, sequence="first" if i == 0 else "additional")
        for i, person in enumerate(people)
    )


def _editors(value: Any) -> tuple[Author, ...]:
    people = (
        _person(item)
        for item in _items(value)
        if isinstance(item, dict) and _get(item, "contributorType") == "Editor"
    )
    return tuple(p for p in people if p is not None)


# -- titles, container, identifiers --------------------------------------------------------


def _titles(value: Any) -> tuple[str | None, str | None]:
    """The title (the first without a titleType) and the subtitle."""
    title = subtitle = fallback = None
    for item in _items(value):
        text = _get(item, "title")
        if not text:
            continue
        kind = item.get("titleType")
        if kind is None or kind == "":
            title = title or text
        elif kind == "Subtitle":
            subtitle = subtitle or text
        else:
            fallback = fallback or text
    return title or fallback, subtitle


def _publisher(value: Any) -> str | None:
    """A string, or since 2023 (``publisher=true``) an object with a ``name``."""
    return _text(value) if isinstance(value, str) else _get(value, "name")


def _published_in(attributes: dict[str, Any]) -> dict[str, Any]:
    """The first relatedItem the work is published in (schema 4.4), or {}."""
    for item in _items(attributes.get("relatedItems")):
        if isinstance(item, dict) and _get(item, "relationType") in _CONTAINER_RELATIONS:
            return item
    return {}


def _pages(first: str | None, last: str | None) -> str | None:
    if first and last and first != last:
        return f"{first}-{last}"
    return first or last


def _issn(value: Any) -> str | None:
    match = _ISSN.match(_text(value) or "")
    return f"{match[1]}-{match[2].upper()}" if match else None


def _isbn(value: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    text = re.sub(r"^ISBN[:\s]*", "", text, flags=re.IGNORECASE)
    digits = re.sub(r"[- ]", "", text)
    return text if _ISBN.match(text) and len(digits) in (10, 13) else None


def _container_ids(attributes: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """ISSNs and ISBNs of what the work is part of, then ISBNs the work itself has."""
    issns: list[str | None] = []
    isbns: list[str | None] = []
    container = attributes.get("container")
    if isinstance(container, dict):
        kind = (_get(container, "identifierType") or "").upper()
        if kind in ("ISSN", "EISSN"):
            issns.append(_issn(container.get("identifier")))
        elif kind == "ISBN":
            isbns.append(_isbn(container.get("identifier")))
    for item in _items(attributes.get("relatedIdentifiers")):
        if isinstance(item, dict) and _get(item, "relationType") in _CONTAINER_RELATIONS:
            kind = (_get(item, "relatedIdentifierType") or "").upper()
            if kind in ("ISSN", "EISSN"):
                issns.append(_issn(item.get("relatedIdentifier")))
            elif kind == "ISBN":
                isbns.append(_isbn(item.get("relatedIdentifier")))
    for item in _items(attributes.get("relatedItems")):
        if isinstance(item, dict) and _get(item, "relationType") in _CONTAINER_RELATIONS:
            ident = item.get("relatedItemIdentifier")
            kind = (_get(ident, "relatedItemIdentifierType") or "").upper()
            value = ident.get("relatedItemIdentifier") if isinstance(ident, dict) else None
            if kind in ("ISSN", "EISSN"):
                issns.append(_issn(value))
            elif kind == "ISBN":
                isbns.append(_isbn(value))
    for kind, value in _own_identifiers(attributes):
        if kind == "ISBN":
            isbns.append(_isbn(value))
    return (
        tuple(dict.fromkeys(i for i in issns if i)),
        tuple(dict.fromkeys(i for i in isbns if i)),
    )


def _own_identifiers(attributes: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(type in upper case, value) of ``identifiers`` and ``alternateIdentifiers``."""
    for item in _items(attributes.get("identifiers")):
        if isinstance(item, dict):
            yield (_get(item, "identifierType") or "").upper(), item.get("identifier")
    for item in _items(attributes.get("alternateIdentifiers")):
        if isinstance(item, dict):
            kind = _get(item, "alternateIdentifierType") or ""
            yield kind.upper(), item.get("alternateIdentifier")


def _identified(scheme: str, value: Any) -> tuple[str, str] | None:
    """(scheme, value) as identify() normalises it, for a value said to be of ``scheme``.

    A URL that is really a DOI, arXiv or PubMed address gives that identifier.
    """
    text = _text(value)
    if not text or len(text) > 2000:
        return None
    if scheme in ("arxiv", "pmid") and text.lower().startswith(("http", scheme)):
        spelled = text
    else:
        spelled = _SPELLING[scheme].format(text)
    found = identify(spelled).identifiers
    for identifier in found:
        if identifier.scheme == scheme:
            return scheme, identifier.value
    if scheme == "url" and found:
        return found[0].scheme, found[0].value
    return None


def _ids(doi: str, attributes: dict[str, Any]) -> Ids:
    """The DOI and what the record states of the work's other identifiers."""
    known: dict[str, str] = {}
    version: int | None = None
    if doi.startswith(_ARXIV_PREFIX):
        for identifier in identify(doi).identifiers:
            if identifier.scheme == "arxiv":
                known["arxiv"], version = identifier.value, identifier.version
    for kind, value in _own_identifiers(attributes):
        scheme = _SCHEMES.get(kind.lower())
        if scheme in ("arxiv", "pmid", "pmcid") and scheme not in known:
            found = _identified(scheme, value)
            if found and found[0] == scheme:
                known[scheme] = found[1]
    return Ids(
        doi=doi,
        arxiv=known.get("arxiv"),
        arxiv_version=version if "arxiv" in known else None,
        pmid=known.get("pmid"),
        pmcid=known.get("pmcid"),
    )


# -- relations, funders, rights -------------------------------------------------------------


def relation_type(kind: str) -> str:
    """DataCite's relationType in paperfuse's form: ``IsVersionOf`` -> ``is-version-of``."""
    return _WORD_START.sub("-", kind).lower()


def _relations(value: Any) -> tuple[Relation, ...]:
    found: dict[tuple[str, str, str], Relation] = {}
    for item in _items(value):
        if len(found) >= _MAX_RELATIONS:
            break
        if not isinstance(item, dict):
            continue
        kind = _get(item, "relationType")
        declared = _get(item, "relatedIdentifierType")
        if not kind or not _RELATION.match(kind) or not declared:
            continue
        scheme = _SCHEMES.get(declared.lower())
        if scheme:
            identified = _identified(scheme, item.get("relatedIdentifier"))
            if identified is None:
                continue
            scheme, target = identified
        else:
            scheme = declared.lower()
            target = _get(item, "relatedIdentifier") or ""
            if not target or len(target) > 2000:
                continue
        relation = Relation(type=relation_type(kind), scheme=scheme, value=target)
        found.setdefault((relation.type, relation.scheme, relation.value), relation)
    return tuple(found.values())


def _funders(value: Any) -> tuple[Funder, ...]:
    """fundingReferences, one Funder per funder with its awards gathered."""
    grouped: dict[tuple[str, str | None], list[str]] = {}
    for item in _items(value):
        name = _get(item, "funderName")
        if not name:
            continue
        doi = None
        kind = (_get(item, "funderIdentifierType") or "").lower()
        identifier = item.get("funderIdentifier")
        if kind == "crossref funder id" or "10.13039/" in (_text(identifier) or ""):
            found = _identified("doi", identifier)
            doi = found[1] if found else None
        awards = grouped.setdefault((name, doi), [])
        award = _number_text(item.get("awardNumber"))
        if award is None:
            award = _get(item.get("awardNumber"), "awardNumber")
        if award and award not in awards:
            awards.append(award)
    return tuple(Funder(name=n, doi=d, awards=tuple(a)) for (n, d), a in grouped.items())


def _license(value: Any) -> str | None:
    """The first licence URL of rightsList (``info:eu-repo`` access terms are no licence)."""
    for item in _items(value):
        uri = _get(item, "rightsUri")
        if uri and uri.lower().startswith(("http://", "https://")):
            return uri
    return None


def _abstract(value: Any) -> str | None:
    for item in _items(value):
        if isinstance(item, dict) and _get(item, "descriptionType") == "Abstract":
            text = clean_text(item.get("description"))
            if text:
                return text
    return None


# -- dates and type ---------------------------------------------------------------------------


def _dates(value: Any, doi: str) -> tuple[str | None, list[dict[str, str]]]:
    """The publication date, and every dated event (type, date, information) for ``extra``.

    The Issued date, as precise as given; when it gives only the year (or the
    month), a date that says the same and more refines it: the Available date,
    and for arXiv's DOIs the Submitted date (when the first version was posted,
    arXiv's publication date).
    """
    issued = None
    refining = ("Available", "Submitted") if doi.startswith(_ARXIV_PREFIX) else ("Available",)
    finer: list[str] = []
    events: list[dict[str, str]] = []
    for item in _items(value):
        date = _date(item.get("date")) if isinstance(item, dict) else None
        kind = _get(item, "dateType")
        if not date or not kind:
            continue
        if kind == "Issued" and issued is None:
            issued = date
        elif kind in refining:
            finer.append(date)
        event = {"dateType": kind, "date": date}
        information = _get(item, "dateInformation")
        if information:
            event["dateInformation"] = information
        if len(events) < 50:
            events.append(event)
    if issued is not None and len(issued) < 10:
        same = [d for d in finer if d.startswith(issued) and len(d) > len(issued)]
        if same:
            issued = max(same, key=len)
    return issued, events


def _type(doi: str, types: Any) -> str | None:
    """The record's type from resourceTypeGeneral; arXiv's DOIs are preprints."""
    if doi.startswith(_ARXIV_PREFIX):
        return "posted-content"
    general = _get(types, "resourceTypeGeneral")
    if not general:
        return None
    if general in _TYPES:
        return _TYPES[general]
    if general == "Text":
        specific = (_get(types, "resourceType") or "").lower()
        return next((kind for word, kind in _TEXT_HINTS if word in specific), None)
    return "other"


def _extra(data: dict[str, Any], attributes: dict[str, Any], events: list[Any]) -> dict[str, Any]:
    """Facts with no key of their own in the record, kept under ``extra["datacite"]``."""
    extra: dict[str, Any] = {}
    types = attributes.get("types")
    for key in ("resourceTypeGeneral", "resourceType"):
        value = _get(types, key)
        if value:
            extra[key] = value
    subjects = [
        s for s in (_get(item, "subject") for item in _items(attributes.get("subjects"))) if s
    ]
    if subjects:
        extra["subjects"] = list(dict.fromkeys(subjects))[:_MAX_SUBJECTS]
    for key in ("version", "url"):
        value = _number_text(attributes.get(key))
        if value:
            extra[key] = value
    if events:
        extra["dates"] = events
    client = data.get("relationships")
    client = client.get("client") if isinstance(client, dict) else None
    client = client.get("data") if isinstance(client, dict) else None
    if _get(client, "id"):
        extra["client"] = _get(client, "id")
    return extra


# -- the record ---------------------------------------------------------------------------------


def attributes_to_work(
    attributes: Any, doi: str | None = None, data: dict[str, Any] | None = None
) -> Work | None:
    """The partial work of one DOI's ``attributes``; None when they name no DOI."""
    if not isinstance(attributes, dict):
        return None
    doi = (_get(attributes, "doi") or doi or "").lower()
    if not doi.startswith("10."):
        return None
    title, subtitle = _titles(attributes.get("titles"))
    issued, events = _dates(attributes.get("dates"), doi)
    year = plausible_year(attributes.get("publicationYear"))
    published = issued or (str(year) if year else None)
    if year is None and published:
        year = int(published[:4])
    container = attributes.get("container")
    container = container if isinstance(container, dict) else {}
    item = _published_in(attributes)
    item_titles = _titles(item.get("titles"))[0] if item else None
    venue = _get(container, "title") or item_titles
    volume = _number_text(container.get("volume")) or _number_text(item.get("volume"))
    issue = _number_text(container.get("issue")) or _number_text(item.get("issue"))
    pages = _pages(
        _number_text(container.get("firstPage")) or _number_text(item.get("firstPage")),
        _number_text(container.get("lastPage")) or _number_text(item.get("lastPage")),
    )
    issns, isbns = _container_ids(attributes)
    language = _get(attributes, "language")
    extra = _extra(data or {}, attributes, events)
    return Work(
        ids=_ids(doi, attributes),
        title=title,
        subtitle=subtitle,
        authors=_creators(attributes.get("creators")),
        editors=_editors(attributes.get("contributors")),
        abstract=_abstract(attributes.get("descriptions")),
        published=published,
        year=year,
        venue=venue,
        volume=volume,
        issue=issue,
        pages=pages,
        publisher=_publisher(attributes.get("publisher")),
        issn=issns,
        isbn=isbns,
        type=_type(doi, attributes.get("types")),
        language=language if language and len(language) <= 35 else None,
        license=_license(attributes.get("rightsList")),
        funders=_funders(attributes.get("fundingReferences")),
        relations=_relations(attributes.get("relatedIdentifiers")),
        cited_by_count=_count(attributes.get("citationCount")),
        references_count=_count(attributes.get("referenceCount")),
        extra={"datacite": extra} if extra else {},
    )


def doi_record_to_work(answer: Any) -> Work | None:
    """The partial work of an answer of ``/dois/{doi}``; None when it holds no DOI record."""
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict):
        return None
    doi = data.get("id") if isinstance(data.get("id"), str) else None
    return attributes_to_work(data.get("attributes"), doi, data)
