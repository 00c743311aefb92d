"""Open Access Button answers as partial paperfuse records.

Three shapes have been served over the years, and all are read: the current
one (``url`` and ``metadata``), the 2020 one (the same, with ``found``,
``checked`` and timings), and the 2019 ``data.availability`` list. Every
field is read defensively: anything may be missing, null or of another type,
and a value that cannot be used costs only its field (or its one author, its
one free copy). Numbers are kept only when sane: a year no paper has, or an
integer beyond 64 bits, which the cache could not encode, is left out.
"""

from __future__ import annotations

import math
from typing import Any

from paperfuse import Author, Ids, OALocation, Work, identify, plausible_year

__all__ = ["find_answer_to_work", "is_find_answer"]

#: Keys by which an answer of any generation is recognised.
_ANSWER_KEYS = ("url", "metadata", "data")
#: Years paperfuse believes, and the integers any encoder takes.
_INT64 = range(-(2**63), 2**63)


def is_find_answer(data: Any) -> bool:
    """Whether ``data`` has the shape of a ``/find`` answer (found or not)."""
    return isinstance(data, dict) and any(key in data for key in _ANSWER_KEYS)


def _str(data: dict[str, Any], key: str) -> str | None:
    """A text field, whitespace collapsed; a sane number is taken as its text."""
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value) if value in _INT64 else None
    elif isinstance(value, float):
        value = str(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def _title(text: str | None) -> str | None:
    """A title without the literal quotes some answers wrap it in."""
    if text and len(text) > 1 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    return text or None


def _author(data: Any) -> Author | None:
    """An author from Crossref's contributor shape, or a plain name."""
    if isinstance(data, str):
        name = " ".join(data.split())
        return Author(name=name) if name else None
    if isinstance(data, dict) and not isinstance(data.get("affiliation"), (list, type(None))):
        data = {**data, "affiliation": None}  # only a list of {"name": ...} is read
    return Author.from_crossref(data)


def _location(url: str, source: str) -> OALocation:
    is_pdf = url.lower().split("?", 1)[0].endswith(".pdf") or "/pdf/" in url.lower()
    return OALocation(
        url=url,
        url_for_pdf=url if is_pdf else None,
        url_for_landing_page=None if is_pdf else url,
        source=source,
        evidence="Open Access Button",
    )


def _issns(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return ()
    return tuple(v.strip() for v in value if isinstance(v, str) and v.strip())


def _identifier(scheme: str, value: str | None) -> str | None:
    """``value`` normalised as a ``scheme`` identifier; None when it is not one."""
    if not value:
        return None
    for identifier in identify(value).identifiers:
        if identifier.scheme == scheme:
            return identifier.value
    return None


def find_answer_to_work(data: Any, source: str = "oab") -> Work | None:
    """The partial work of a ``/find`` (or ``/metadata``) answer; None when it holds neither
    a free copy nor metadata."""
    if not isinstance(data, dict):
        return None
    urls: list[str] = []
    if isinstance(data.get("url"), str) and data["url"].strip():
        urls.append(data["url"].strip())
    legacy = data.get("data")
    availability = legacy.get("availability") if isinstance(legacy, dict) else None
    if isinstance(availability, list):
        for item in availability:
            if isinstance(item, dict) and item.get("type") == "article":
                url = _str(item, "url")
                if url and url not in urls:
                    urls.append(url)
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    if not urls and not metadata:
        return None
    authors = metadata.get("author")
    pmid = _str(metadata, "pmid")
    return Work(
        ids=Ids(
            doi=_identifier("doi", _str(metadata, "doi")),
            pmid=_identifier("pmid", f"PMID:{pmid}" if pmid else None),
            pmcid=_identifier("pmcid", _str(metadata, "pmcid")),
        ),
        title=_title(_str(metadata, "title")),
        authors=tuple(a for a in map(_author, authors) if a) if isinstance(authors, list) else (),
        published=_str(metadata, "published"),
        year=plausible_year(metadata.get("year")),
        venue=_str(metadata, "journal"),
        volume=_str(metadata, "volume"),
        issue=_str(metadata, "issue"),
        pages=_str(metadata, "page"),
        publisher=_str(metadata, "publisher"),
        issn=_issns(metadata.get("issn")),
        type=_str(metadata, "type") or _str(metadata, "crossref_type"),
        oa_locations=tuple(_location(url, source) for url in urls),
    )
