"""Unpaywall's DOI object as a partial paperfuse record.

The mapping reads every documented field but trusts none of them to be there
or to have the documented type: fields may be null, missing, or new, across
the years of the API and of its data snapshots, and none of that breaks it.
"""

from __future__ import annotations

from typing import Any

from paperfuse import Author, Identifier, Ids, OALocation, Work, identify

__all__ = ["doi_object_to_work"]

#: Values Unpaywall puts in fields it no longer fills.
_DEPRECATED = "deprecated"
_OA_STATUSES = ("gold", "hybrid", "bronze", "green", "closed")
#: Hosts whose URLs name an arXiv id, a PMCID or a PMID; others are not parsed.
_REVEALING_HOSTS = ("arxiv.org", "ncbi.nlm.nih.gov", "europepmc.org")
#: Fields kept under ``extra["unpaywall"]``: facts with no key of their own in the record.
_EXTRA_FIELDS = (
    "is_paratext",
    "has_repository_copy",
    "data_standard",
    "updated",
    "doi_url",
)


def _str(data: Any, key: str) -> str | None:
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, str):
        value = value.strip()
        return value if value and value != _DEPRECATED else None
    return None


def _bool(data: dict[str, Any], key: str) -> bool | None:
    value = data.get(key)
    return value if isinstance(value, bool) else None


def _int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


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
    texts: set[str] = set()
    for location in locations:
        urls = (location.url, location.url_for_pdf, location.url_for_landing_page)
        texts.update(u for u in urls if u and any(host in u for host in _REVEALING_HOSTS))
        if location.pmh_id and location.pmh_id.lower().startswith("oai:arxiv.org:"):
            texts.add("arXiv:" + location.pmh_id.split(":", 2)[2])
    for text in sorted(texts):
        for identifier in identify(text).identifiers:
            if identifier.scheme in ("arxiv", "pmcid", "pmid"):
                found.setdefault(identifier.scheme, identifier)
    return found


def doi_object_to_work(data: Any, source: str = "unpaywall") -> Work | None:
    """The partial work of one DOI object; None when it is not one."""
    if not isinstance(data, dict) or not _str(data, "doi"):
        return None
    doi = (_str(data, "doi") or "").lower()
    raw_locations = data.get("oa_locations")
    locations = (
        tuple(
            loc for loc in (_location(d, source) for d in (raw_locations or ())) if loc is not None
        )
        if isinstance(raw_locations, list)
        else ()
    )
    authors = data.get("z_authors")
    revealed = _revealed(locations)
    issns = _str(data, "journal_issns")
    extra = {key: data[key] for key in _EXTRA_FIELDS if data.get(key) is not None}
    for key in ("first_oa_location", "oa_locations_embargoed"):
        if data.get(key):
            extra[key] = data[key]
    oa_status = _str(data, "oa_status")
    return Work(
        ids=Ids(
            doi=doi,
            arxiv=revealed["arxiv"].value if "arxiv" in revealed else None,
            pmcid=revealed["pmcid"].value if "pmcid" in revealed else None,
            pmid=revealed["pmid"].value if "pmid" in revealed else None,
        ),
        title=_str(data, "title"),
        authors=tuple(a for a in map(Author.from_crossref, authors or ()) if a is not None)
        if isinstance(authors, list)
        else (),
        published=_str(data, "published_date"),
        year=_int(data, "year"),
        venue=_str(data, "journal_name"),
        publisher=_str(data, "publisher"),
        issn=tuple(i.strip() for i in issns.split(",") if i.strip()) if issns else (),
        issn_l=_str(data, "journal_issn_l"),
        type=_str(data, "genre"),
        journal_is_oa=_bool(data, "journal_is_oa"),
        journal_is_in_doaj=_bool(data, "journal_is_in_doaj"),
        is_oa=_bool(data, "is_oa"),
        oa_status=oa_status
        if oa_status in ("gold", "hybrid", "bronze", "green", "closed")
        else None,  # type: ignore[arg-type]
        best_oa_location=_location(data.get("best_oa_location"), source),
        oa_locations=locations,
        extra={"unpaywall": extra} if extra else {},
    )
