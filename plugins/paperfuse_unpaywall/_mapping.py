"""Unpaywall's DOI object as a partial paperfuse record.

The mapping reads every documented field but trusts none of them to be there
or to have the documented type: fields may be null, missing, mistyped or new,
across the years of the API and of its data snapshots. A value it cannot use
costs only its field (or its one author, its one location), and what it keeps
is always something the cache and the output can encode: no integer beyond
64 bits, no year no paper has, no nesting without end.
"""

from __future__ import annotations

from typing import Any

import msgspec

from paperfuse import (
    Author,
    Identifier,
    Ids,
    OALocation,
    Work,
    builtin_schemes,
    identify,
    plausible_year,
    storable,
)

__all__ = ["doi_object_to_work", "search_result_to_work"]

#: Values Unpaywall puts in fields it no longer fills.
_DEPRECATED = "deprecated"
_OA_STATUSES = ("gold", "hybrid", "bronze", "green", "closed")
#: The kinds of identifiers a location's URL may name.
REVEALED_SCHEMES = ("arxiv", "pmcid", "pmid")
#: Hosts whose URLs name an arXiv id, a PMCID or a PMID, and the schemes that read those
#: URLs: what they find there is what every built-in scheme together finds of these
#: kinds (the others, the URL scheme above all, would only parse each URL again).
#: Other hosts' URLs are not parsed.
REVEALING_HOSTS = {
    "arxiv.org": ("arxiv",),
    "ncbi.nlm.nih.gov": ("pmcid", "pmid"),
    "europepmc.org": ("pmcid", "pmid"),
}
_SCHEMES = {s.name: s for s in builtin_schemes() if s.name in REVEALED_SCHEMES}
#: Fields kept under ``extra["unpaywall"]`` (facts with no key of their own in the
#: record), each with the type it must have to be kept.
_EXTRA_FIELDS: dict[str, type] = {
    "is_paratext": bool,
    "has_repository_copy": bool,
    "data_standard": int,
    "updated": str,
    "doi_url": str,
}
#: Objects kept whole under ``extra["unpaywall"]``, cleaned by :func:`_plain`.
_EXTRA_OBJECTS = ("first_oa_location", "oa_locations_embargoed")
#: What msgpack and JSON encoders take, and how deep a kept object may nest.
#: Unpaywall's author positions (the 2025 shape) as Crossref's sequence.
_SEQUENCE = {"first": "first", "middle": "additional", "last": "additional"}


def _text(value: Any) -> str | None:
    """A string with its whitespace collapsed; None for anything else or nothing."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text if text and text != _DEPRECATED else None


def _str(data: Any, key: str) -> str | None:
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, str):
        value = value.strip()
        return value if value and value != _DEPRECATED else None
    return None


def _bool(data: dict[str, Any], key: str) -> bool | None:
    value = data.get(key)
    return value if isinstance(value, bool) else None


def _extra(data: dict[str, Any]) -> dict[str, Any]:
    """The facts kept under ``extra["unpaywall"]``, each of its documented type."""
    extra: dict[str, Any] = {}
    for key, kind in _EXTRA_FIELDS.items():
        value = data.get(key)
        if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
            if kind is int and value not in range(100):
                continue
            extra[key] = value
    for key in _EXTRA_OBJECTS:
        value = storable(data.get(key))
        if value:
            extra[key] = value
    return extra


def _author(data: Any) -> Author | None:
    """One entry of ``z_authors``, in either shape Unpaywall has served; None if it names nobody.

    Crossref's (``given``, ``family``, ``name``, ``ORCID``, ``sequence``,
    ``affiliation``), and since 2025 a raw one (``raw_author_name``,
    ``author_position``, ``is_corresponding``, ``raw_affiliation_strings``),
    whose name goes whole into ``name``.
    """
    if not isinstance(data, dict):
        return None
    affiliation = data.get("affiliation")
    if affiliation is not None and not isinstance(affiliation, list):
        data = {**data, "affiliation": None}  # only a list of {"name": ...} is read
    author = Author.from_crossref(data)
    raw = data.get("raw_affiliation_strings")
    affiliations = tuple(
        dict.fromkeys(a for a in map(_text, raw if isinstance(raw, list) else ()) if a)
    )
    position = data.get("author_position")
    sequence = _SEQUENCE.get(position) if isinstance(position, str) else None
    if author is None:
        name = _text(data.get("raw_author_name"))
        if not name:
            return None
        return Author(name=name, affiliations=affiliations, sequence=sequence)
    changes: dict[str, Any] = {}
    if affiliations and not author.affiliations:
        changes["affiliations"] = affiliations
    if sequence and not author.sequence:
        changes["sequence"] = sequence
    return msgspec.structs.replace(author, **changes) if changes else author


def _location(data: Any, source: str) -> OALocation | None:
    if not isinstance(data, dict):
        return None
    url = _str(data, "url") or _str(data, "url_for_pdf") or _str(data, "url_for_landing_page")
    if not url:
        return None
    return OALocation(
        url=url,
        url_for_pdf=_str(data, "url_for_pdf"),
        url_for_landing_page=_str(data, "url_for_landing_page"),
        host_type=_str(data, "host_type"),
        version=_str(data, "version"),
        license=_str(data, "license"),
        source=source,
        evidence=_str(data, "evidence"),
        oa_date=_str(data, "oa_date"),
        pmh_id=_str(data, "pmh_id"),
        updated=_str(data, "updated"),
        is_best=_bool(data, "is_best"),
        repository_institution=_str(data, "repository_institution"),
        endpoint_id=_str(data, "endpoint_id"),
    )


def _revealed(locations: tuple[OALocation, ...]) -> dict[str, Identifier]:
    """Identifiers of the work that its locations name: arXiv, PMC, PubMed."""
    found: dict[str, Identifier] = {}
    texts: dict[str, set[str]] = {}
    for location in locations:
        for url in (location.url, location.url_for_pdf, location.url_for_landing_page):
            if url:
                for host, names in REVEALING_HOSTS.items():
                    if host in url:
                        texts.setdefault(url, set()).update(names)
        if location.pmh_id and location.pmh_id.lower().startswith("oai:arxiv.org:"):
            texts.setdefault("arXiv:" + location.pmh_id.split(":", 2)[2], set()).add("arxiv")
    for text in sorted(texts):
        schemes = [_SCHEMES[name] for name in REVEALED_SCHEMES if name in texts[text]]
        for identifier in identify(text, schemes).identifiers:
            if identifier.scheme in REVEALED_SCHEMES:
                found.setdefault(identifier.scheme, identifier)
    return found


def doi_object_to_work(data: Any, source: str = "unpaywall") -> Work | None:
    """The partial work of one DOI object; None when it is not one."""
    if not isinstance(data, dict) or not _str(data, "doi"):
        return None
    doi = (_str(data, "doi") or "").lower()
    raw_locations = data.get("oa_locations")
    locations = (
        tuple(loc for loc in (_location(d, source) for d in raw_locations) if loc is not None)
        if isinstance(raw_locations, list)
        else ()
    )
    authors = data.get("z_authors")
    revealed = _revealed(locations)
    issns = _str(data, "journal_issns")
    extra = _extra(data)
    oa_status = _str(data, "oa_status")
    return Work(
        ids=Ids(
            doi=doi,
            arxiv=revealed["arxiv"].value if "arxiv" in revealed else None,
            pmcid=revealed["pmcid"].value if "pmcid" in revealed else None,
            pmid=revealed["pmid"].value if "pmid" in revealed else None,
        ),
        title=_str(data, "title"),
        authors=tuple(a for a in map(_author, authors) if a is not None)
        if isinstance(authors, list)
        else (),
        published=_str(data, "published_date"),
        year=plausible_year(data.get("year")),
        venue=_str(data, "journal_name"),
        publisher=_str(data, "publisher"),
        issn=tuple(i.strip() for i in issns.split(",") if i.strip()) if issns else (),
        issn_l=_str(data, "journal_issn_l"),
        type=_str(data, "genre"),
        journal_is_oa=_bool(data, "journal_is_oa"),
        journal_is_in_doaj=_bool(data, "journal_is_in_doaj"),
        is_oa=_bool(data, "is_oa"),
        oa_status=oa_status if oa_status in _OA_STATUSES else None,  # type: ignore[arg-type]
        best_oa_location=_location(data.get("best_oa_location"), source),
        oa_locations=locations,
        extra={"unpaywall": extra} if extra else {},
    )


def search_result_to_work(result: Any, source: str = "unpaywall") -> Work | None:
    """The partial work of one result of ``/v2/search``, its ``score`` kept when sane."""
    if not isinstance(result, dict):
        return None
    work = doi_object_to_work(result.get("response"), source)
    if work is None:
        return None
    score = result.get("score")
    if isinstance(score, bool) or not isinstance(score, (int, float)) or storable(score) is None:
        return work
    extra = {**work.extra.get("unpaywall", {}), "search_score": score}
    return msgspec.structs.replace(work, extra={"unpaywall": extra})
