"""Open Access Button answers as partial paperfuse records.

Three shapes have been served over the years, and all are read: the current
one (``url`` and ``metadata``), the 2020 one (the same, with ``found``,
``checked`` and timings), and the 2019 ``data.availability`` list. Every
field is read defensively: anything may be missing, null or of another type.
"""

from __future__ import annotations

from typing import Any

from paperfuse import Author, Ids, OALocation, Work, identify

__all__ = ["find_answer_to_work", "is_find_answer"]

#: Keys by which an answer of any generation is recognised.
_ANSWER_KEYS = ("url", "metadata", "data")


def is_find_answer(data: Any) -> bool:
    """Whether ``data`` has the shape of a ``/find`` answer (found or not)."""
    return isinstance(data, dict) and any(key in data for key in _ANSWER_KEYS)


def _str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
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
        return Author(name=data.strip()) if data.strip() else None
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
    if isinstance(legacy, dict):
        for item in legacy.get("availability") or ():
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
    year = _str(metadata, "year")
    return Work(
        ids=Ids(
            doi=_identifier("doi", _str(metadata, "doi")),
            pmid=_identifier("pmid", f"PMID:{metadata['pmid']}" if metadata.get("pmid") else None),
            pmcid=_identifier("pmcid", _str(metadata, "pmcid")),
        ),
        title=_title(_str(metadata, "title")),
        authors=tuple(a for a in map(_author, authors) if a) if isinstance(authors, list) else (),
        published=_str(metadata, "published"),
        year=int(year) if year and year.isdigit() else None,
        venue=_str(metadata, "journal"),
        volume=_str(metadata, "volume"),
        issue=_str(metadata, "issue"),
        pages=_str(metadata, "page"),
        publisher=_str(metadata, "publisher"),
        issn=_issns(metadata.get("issn")),
        type=_str(metadata, "type") or _str(metadata, "crossref_type"),
        oa_locations=tuple(_location(url, source) for url in urls),
    )
