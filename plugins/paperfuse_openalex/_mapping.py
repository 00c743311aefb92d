"""An OpenAlex work object (``/works/{id}``, or one result of a list) as a partial
paperfuse record.

Three answer shapes are read: the 2022 one (``host_venue``,
``alternate_host_venues``, the work ``type`` in Crossref's words), the 2023-2025
one (``primary_location``, ``locations``, ``type_crossref``, ``grants``,
``versions``) and the 2026 one (no ``type_crossref``, ``grants`` or
``versions``; ``awards``, ``funders`` and ``content_urls`` instead). No field
is trusted to be there or to have the documented type: a value this mapping
cannot use costs only its field (or its one author, location or funder).
"""

from __future__ import annotations

import re
from typing import Any

from paperfuse import (
    Author,
    Funder,
    Ids,
    Institution,
    OALocation,
    Relation,
    Work,
    builtin_schemes,
    identify,
    plausible_year,
    storable,
)

__all__ = ["abstract_from_inverted_index", "to_work"]

#: Most entries read from one list (authors, locations, funders...).
_MAX_ENTRIES = 2_000
#: Most words an abstract is rebuilt from (an inverted index is one key a word).
_MAX_ABSTRACT_WORDS = 20_000
_OA_STATUSES = {"gold": "gold", "diamond": "gold", "hybrid": "hybrid", "bronze": "bronze"}
_OA_STATUSES |= {"green": "green", "closed": "closed"}
_VERSIONS = ("submittedVersion", "acceptedVersion", "publishedVersion")
#: OpenAlex's source types that are a publisher's platform, not a repository.
_PUBLISHER_SOURCES = frozenset({"journal", "conference", "ebook platform", "book series"})
#: Crossref's work types, so that a ``raw_type`` in them is taken as it is.
_CROSSREF_TYPES = frozenset(
    {
        "book",
        "book-chapter",
        "book-part",
        "book-section",
        "book-series",
        "book-set",
        "book-track",
        "component",
        "database",
        "dataset",
        "dissertation",
        "edited-book",
        "grant",
        "journal",
        "journal-article",
        "journal-issue",
        "journal-volume",
        "monograph",
        "other",
        "peer-review",
        "posted-content",
        "proceedings",
        "proceedings-article",
        "proceedings-series",
        "reference-book",
        "reference-entry",
        "report",
        "report-component",
        "report-series",
        "standard",
    }
)
#: OpenAlex's own work types (since 2023) in Crossref's words, where no Crossref type is given.
_TYPES = {
    "article": "journal-article",
    "book": "book",
    "book-chapter": "book-chapter",
    "dataset": "dataset",
    "dissertation": "dissertation",
    "editorial": "journal-article",
    "erratum": "journal-article",
    "letter": "journal-article",
    "review": "journal-article",
    "paratext": "component",
    "peer-review": "peer-review",
    "preprint": "posted-content",
    "reference-entry": "reference-entry",
    "report": "report",
    "standard": "standard",
    "supplementary-materials": "component",
    "other": "other",
}
_DIGITS = re.compile(r"[0-9]{1,12}")
#: Hosts whose URLs name an arXiv id, a PMCID or a PMID; others are not read.
_REVEALING_HOSTS = ("arxiv.org", "ncbi.nlm.nih.gov", "europepmc.org")
#: The kinds of identifiers the locations reveal, and the built-in schemes that read
#: them: of these kinds they find what every built-in scheme together finds (the DOI
#: and URL schemes would only parse each text again).
_REVEALED = ("arxiv", "pmcid", "pmid")
_REVEALING_SCHEMES = [s for s in builtin_schemes() if s.name in _REVEALED]
#: OAI-PMH id prefixes that name an arXiv id or a PMC number.
_PMH_ARXIV = "oai:arxiv.org:"
_PMH_PMC = "oai:pubmedcentral.nih.gov:"


# -- values ---------------------------------------------------------------------------------


def _table(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value[:_MAX_ENTRIES] if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    """A string with its whitespace collapsed; None for anything else or nothing."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value < 2**63 else None


def _after(value: Any, marker: str) -> str | None:
    """The part of a URL-shaped id after ``marker`` (``https://doi.org/``), or the text."""
    text = _text(value)
    if not text:
        return None
    index = text.lower().find(marker)
    return (text[index + len(marker) :] if index >= 0 else text).strip() or None


def _work_id(value: Any) -> str | None:
    """``W2741809807`` from ``https://openalex.org/W2741809807`` (or the bare id)."""
    text = _after(value, "openalex.org/")
    if not text:
        return None
    text = text.rsplit("/", 1)[-1].upper()
    return text if re.fullmatch(r"W[0-9]{1,12}", text) else None


def _doi(value: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    found = identify(text)
    return next((i.value for i in found.identifiers if i.scheme == "doi"), None)


def _pmid(value: Any) -> str | None:
    text = _after(value, "pubmed.ncbi.nlm.nih.gov/")
    text = text.strip("/") if text else None
    return text if text and _DIGITS.fullmatch(text) and text.strip("0") else None


def _pmcid(value: Any) -> str | None:
    """``PMC5815332`` from ``https://www.ncbi.nlm.nih.gov/pmc/articles/5815332`` (OpenAlex
    writes the number without ``PMC``), ``PMC5815332`` or digits."""
    text = _text(value)
    if not text:
        return None
    last = text.rstrip("/").rsplit("/", 1)[-1].upper().removeprefix("PMC")
    return f"PMC{last}" if _DIGITS.fullmatch(last) and last.strip("0") else None


def _orcid(value: Any) -> str | None:
    text = _after(value, "orcid.org/")
    if not text or not re.fullmatch(r"[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]", text.upper()):
        return None
    return f"https://orcid.org/{text.upper()}"


def _ror(value: Any) -> str | None:
    text = _after(value, "ror.org/")
    if not text or not re.fullmatch(r"0[a-z0-9]{6}[0-9]{2}", text.lower()):
        return None
    return f"https://ror.org/{text.lower()}"


# -- parts ----------------------------------------------------------------------------------


def _institution(data: Any) -> Institution | None:
    data = _table(data)
    name = _text(data.get("display_name"))
    if not name:
        return None
    country = _text(data.get("country_code"))
    return Institution(
        name=name,
        ror=_ror(data.get("ror")),
        country=country.upper() if country and len(country) == 2 and country.isascii() else None,
    )


def _author(data: Any) -> Author | None:
    """One authorship; None when it names nobody. The name comes whole (OpenAlex does
    not split names): the merge splits it, and says so."""
    data = _table(data)
    person = _table(data.get("author"))
    name = _text(person.get("display_name")) or _text(data.get("raw_author_name"))
    if not name:
        return None
    institutions = tuple(
        dict.fromkeys(i for i in map(_institution, _list(data.get("institutions"))) if i)
    )
    raw = _list(data.get("raw_affiliation_strings"))
    if not raw and isinstance(data.get("raw_affiliation_string"), str):
        raw = [data["raw_affiliation_string"]]  # the 2022 shape: one string
    affiliations = tuple(dict.fromkeys(t for t in map(_text, raw) if t))
    if not affiliations:
        affiliations = tuple(i.name for i in institutions)
    position = _text(data.get("author_position"))
    return Author(
        name=name,
        orcid=_orcid(person.get("orcid")),
        affiliations=affiliations,
        sequence={"first": "first", "middle": "additional", "last": "additional"}.get(
            position or ""
        ),
        institutions=institutions,
    )


def abstract_from_inverted_index(index: Any) -> str | None:
    """The abstract's text from OpenAlex's ``abstract_inverted_index`` (word -> positions).

    Words are put back at their positions and joined with single spaces; a
    position given twice keeps its first word; an index with no usable entry,
    or one larger than any abstract, gives None.
    """
    if not isinstance(index, dict) or not index:
        return None
    placed: dict[int, str] = {}
    beyond = _MAX_ABSTRACT_WORDS * 10
    for word, positions in list(index.items())[:_MAX_ABSTRACT_WORDS]:
        if not isinstance(word, str) or not isinstance(positions, list):
            continue
        for position in positions[:_MAX_ABSTRACT_WORDS]:
            # A count (an int, not a bool) below the bound; tested inline, as this
            # loop runs once per word of every abstract.
            if type(position) is int and 0 <= position < beyond:
                placed.setdefault(position, word)
    text = " ".join(placed[p] for p in sorted(placed))
    return _text(text)


def _host_type(data: dict[str, Any]) -> str | None:
    """``publisher`` or ``repository``: from the location's source type (2023+) or the
    2022 ``host_venue.type`` (``publisher``/``repository``)."""
    source = _table(data.get("source"))
    kind = _text(source.get("type")) or _text(data.get("type"))
    if kind is None:
        return None
    kind = kind.lower()
    if kind in ("publisher", *_PUBLISHER_SOURCES):
        return "publisher"
    return "repository" if kind == "repository" else None


def _location(data: Any, source: str) -> OALocation | None:
    """An OA location from a location (2023+) or a host venue (2022); None when the copy
    is not free or has no URL."""
    data = _table(data)
    if data.get("is_oa") is not True:
        return None
    pdf = _text(data.get("pdf_url"))
    landing = _text(data.get("landing_page_url")) or _text(data.get("url"))
    url = pdf or landing
    if not url:
        return None
    version = _text(data.get("version"))
    host = _table(data.get("source"))
    repository = _host_type(data) == "repository"
    return OALocation(
        url=url,
        url_for_pdf=pdf,
        url_for_landing_page=landing,
        host_type=_host_type(data),
        version=version if version in _VERSIONS else None,
        license=_text(data.get("license")),
        source=source,
        repository_institution=_text(host.get("display_name")) if repository else None,
        pmh_id=_pmh(data.get("id")),
    )


def _pmh(value: Any) -> str | None:
    """The OAI-PMH id of a repository location (``pmh:oai:...`` in OpenAlex's location id)."""
    text = _text(value)
    return text[len("pmh:") :] if text and text.startswith("pmh:oai:") else None


def _locations(data: dict[str, Any], source: str) -> tuple[OALocation, ...]:
    """Every free copy: ``locations`` (2023+), or ``host_venue`` and
    ``alternate_host_venues`` (2022); each URL once."""
    raw = _list(data.get("locations"))
    if not raw:
        raw = [data.get("host_venue"), *_list(data.get("alternate_host_venues"))]
    found: dict[str, OALocation] = {}
    for location in (_location(item, source) for item in raw):
        if location is not None:
            found.setdefault(location.url, location)
    return tuple(found.values())


def _revealed(data: dict[str, Any]) -> tuple[dict[str, str], tuple[Relation, ...]]:
    """What every location (free or not) says of the work's other identifiers: arXiv
    ids, PMCIDs and PMIDs in arxiv.org, PMC and Europe PMC URLs and in OAI-PMH ids
    (``oai:arXiv.org:...``, ``oai:pubmedcentral.nih.gov:NNN``), and other DOIs of the
    work (a preprint's, as a location ``doi:...``) as ``has-version`` relations."""
    texts: set[str] = set()
    dois: dict[str, None] = {}
    own = _doi(data.get("doi"))
    for location in map(_table, _list(data.get("locations"))):
        for key in ("landing_page_url", "pdf_url"):
            url = _text(location.get(key))
            if url and any(host in url.lower() for host in _REVEALING_HOSTS):
                texts.add(url)
        kind = _text(location.get("id")) or ""
        lowered = kind.lower()
        if lowered.startswith(f"pmh:{_PMH_ARXIV}"):
            texts.add("arXiv:" + kind[len(f"pmh:{_PMH_ARXIV}") :])
        elif lowered.startswith(f"pmh:{_PMH_PMC}"):
            number = kind[len(f"pmh:{_PMH_PMC}") :]
            if _DIGITS.fullmatch(number):
                texts.add(f"PMC{number}")
        elif lowered.startswith("doi:"):
            other = _doi(kind[len("doi:") :])
            if other and other != own:
                dois.setdefault(other)
    found: dict[str, str] = {}
    for text in sorted(texts):
        for identifier in identify(text, _REVEALING_SCHEMES).identifiers:
            if identifier.scheme in _REVEALED:
                found.setdefault(identifier.scheme, identifier.value)
    relations = tuple(Relation(type="has-version", scheme="doi", value=d) for d in dois)
    return found, relations


def _funders(data: dict[str, Any]) -> tuple[Funder, ...]:
    """Funders with their award numbers: the 2026 ``funders`` and ``awards``, or the
    older ``grants`` (``funder``, ``funder_display_name``, ``award_id``)."""
    names: dict[str, str] = {}  # funder id -> name, in order
    rors: dict[str, str | None] = {}
    awards: dict[str, list[str]] = {}
    for funder in map(_table, _list(data.get("funders"))):
        key = _text(funder.get("id")) or _text(funder.get("display_name"))
        name = _text(funder.get("display_name"))
        if key and name:
            names.setdefault(key, name)
            rors.setdefault(key, _ror(funder.get("ror")))
    grants = [
        (g.get("funder_id"), g.get("funder_display_name"), g.get("funder_award_id"))
        for g in map(_table, _list(data.get("awards")))
    ]
    grants += [
        (g.get("funder"), g.get("funder_display_name"), g.get("award_id"))
        for g in map(_table, _list(data.get("grants")))
    ]
    for funder_id, funder_name, award in grants:
        key = _text(funder_id) or _text(funder_name)
        name = _text(funder_name) or names.get(key or "")
        if not key or not name:
            continue
        names.setdefault(key, name)
        rors.setdefault(key, None)
        number = _text(award)
        if number and number not in awards.setdefault(key, []):
            awards[key].append(number)
    return tuple(
        Funder(name=name, ror=rors.get(key), awards=tuple(awards.get(key, ())))
        for key, name in names.items()
    )


def _type(data: dict[str, Any], primary: dict[str, Any]) -> str | None:
    """The work type in Crossref's words: ``type_crossref`` (2023-2025), the primary
    location's Crossref ``raw_type`` (2026), a 2022 ``type``, or OpenAlex's type mapped."""
    for value in (data.get("type_crossref"), primary.get("raw_type"), data.get("type")):
        text = _text(value)
        if text and text.lower() in _CROSSREF_TYPES and text.lower() != "other":
            return text.lower()
    kind = _text(data.get("type"))
    return _TYPES.get(kind.lower()) if kind else None


def _pages(biblio: dict[str, Any]) -> str | None:
    first, last = _text(biblio.get("first_page")), _text(biblio.get("last_page"))
    if first and last and first != last:
        return f"{first}-{last}"
    return first or last


def _mesh(data: dict[str, Any]) -> tuple[str, ...]:
    """MeSH headings as PubMed's source writes them: a ``*`` after a major topic, the
    qualifier after a ``/``."""
    found: dict[str, None] = {}
    for entry in map(_table, _list(data.get("mesh"))):
        name = _text(entry.get("descriptor_name"))
        if not name:
            continue
        qualifier = _text(entry.get("qualifier_name"))
        star = "*" if entry.get("is_major_topic") is True else ""
        found.setdefault(f"{name}{star}/{qualifier}" if qualifier else f"{name}{star}")
    return tuple(found)


def _extra(data: dict[str, Any], work_id: str | None) -> dict[str, Any]:
    """OpenAlex facts with no key of their own in the record."""
    extra: dict[str, Any] = {}
    if work_id:
        extra["id"] = work_id
    kind = _text(data.get("type"))
    if kind:
        extra["type"] = kind
    for key in ("indexed_in", "content_urls", "has_content", "is_paratext", "locations_count"):
        value = storable(data.get(key), max_depth=3, max_entries=50)
        if value not in (None, {}, []):
            extra[key] = value
    versions = [w for w in map(_work_id, _list(data.get("versions"))) if w]
    if versions:
        extra["versions"] = versions
    return extra


# -- the work -------------------------------------------------------------------------------


def to_work(data: Any, source: str = "openalex") -> Work | None:
    """The partial work of one OpenAlex work object; None when it is not one."""
    if not isinstance(data, dict):
        return None
    work_id = _work_id(data.get("id"))
    if work_id is None:
        return None
    ids = _table(data.get("ids"))
    primary = _table(data.get("primary_location")) or _table(data.get("host_venue"))
    venue = _table(primary.get("source")) or _table(data.get("host_venue"))
    biblio = _table(data.get("biblio"))
    open_access = _table(data.get("open_access"))
    locations = _locations(data, source)
    best = _location(data.get("best_oa_location"), source)
    oa_url = _text(open_access.get("oa_url"))
    if best is None and oa_url:
        best = next((loc for loc in locations if oa_url in (loc.url, loc.url_for_pdf)), None)
    if best is not None:
        best = OALocation(**{**_fields(best), "is_best": True})
        locations = tuple(
            OALocation(**{**_fields(loc), "is_best": True}) if loc.url == best.url else loc
            for loc in locations
        )
    mag = _text(ids.get("mag"))
    other = {"openalex": work_id}
    if mag and _DIGITS.fullmatch(mag):
        other["mag"] = mag.lstrip("0") or "0"
    issns = _list(venue.get("issn"))
    status = _text(open_access.get("oa_status"))
    keywords = tuple(
        dict.fromkeys(
            k
            for k in (_text(_table(e).get("display_name")) for e in _list(data.get("keywords")))
            if k
        )
    )
    extra = _extra(data, work_id)
    journal = venue.get("type") == "journal"
    revealed, relations = _revealed(data)
    return Work(
        ids=Ids(
            doi=_doi(data.get("doi")) or _doi(ids.get("doi")),
            arxiv=revealed.get("arxiv"),
            pmid=_pmid(ids.get("pmid")) or revealed.get("pmid"),
            pmcid=_pmcid(ids.get("pmcid")) or revealed.get("pmcid"),
            other=other,
        ),
        relations=relations,
        title=_text(data.get("title")) or _text(data.get("display_name")),
        authors=tuple(a for a in map(_author, _list(data.get("authorships"))) if a is not None),
        abstract=abstract_from_inverted_index(data.get("abstract_inverted_index")),
        published=_date(data.get("publication_date")),
        year=plausible_year(data.get("publication_year")),
        venue=_text(venue.get("display_name")),
        volume=_text(biblio.get("volume")),
        issue=_text(biblio.get("issue")),
        pages=_pages(biblio),
        publisher=_text(venue.get("host_organization_name")) or _text(venue.get("publisher")),
        issn=tuple(dict.fromkeys(i for i in map(_text, issns) if i)),
        issn_l=_text(venue.get("issn_l")),
        type=_type(data, primary),
        language=_text(data.get("language")),
        journal_is_oa=_bool(venue.get("is_oa")) if journal else None,
        journal_is_in_doaj=_bool(venue.get("is_in_doaj")) if journal else None,
        is_oa=_bool(open_access.get("is_oa")),
        oa_status=_OA_STATUSES.get(status.lower()) if status else None,  # type: ignore[arg-type]
        best_oa_location=best,
        oa_locations=locations,
        funders=_funders(data),
        retracted=_bool(data.get("is_retracted")),
        cited_by_count=_count(data.get("cited_by_count")),
        references_count=_count(data.get("referenced_works_count")),
        keywords=keywords,
        mesh=_mesh(data),
        extra={source: extra} if extra else {},
    )


def _fields(location: OALocation) -> dict[str, Any]:
    return {f: getattr(location, f) for f in location.__struct_fields__}


def _date(value: Any) -> str | None:
    """An ISO date (``2006-12-20``, or shorter), as precise as valid."""
    text = _text(value)
    if not text or not re.fullmatch(r"[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?", text):
        return None
    return text if plausible_year(text[:4]) is not None else None
