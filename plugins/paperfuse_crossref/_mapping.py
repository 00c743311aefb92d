"""A Crossref work (the ``message`` of ``/works/{doi}``, or one item of a list) as a
partial paperfuse record.

Every documented field is read, none is trusted to be there or to have the
documented type: Crossref's records come from thousands of publishers' deposits
over twenty years, and a value this mapping cannot use costs only its field (or
its one author, funder, relation or update), never the record. What it keeps is
always something the cache and the output can encode: no integer beyond 64
bits, no date no calendar has, no nesting without end. Text fields have their
HTML entities decoded (``&amp;`` in an affiliation is ``&``) and their
whitespace collapsed.
"""

from __future__ import annotations

import calendar
import html
import re
from typing import Any

import msgspec

from paperfuse import YEARS, Author, Funder, Ids, Relation, Update, Work, identify, storable

from ._jats import abstract_text

__all__ = ["RETRACTING_UPDATES", "work_to_record"]

#: Update types that withdraw a work: a work ``updated-by`` one of these is retracted.
RETRACTING_UPDATES = frozenset({"retraction", "withdrawal", "removal"})
#: The dates of a work that may be its publication date, in Crossref's names.
_PUBLICATION_DATES = ("published-print", "published-online", "published", "issued")
#: Dates kept under ``extra["crossref"]["dates"]`` as they are given.
_KEPT_DATES = (*_PUBLICATION_DATES, "posted", "accepted", "created", "deposited")
#: Licences by how well they describe the work that readers get, best first.
_LICENCE_ORDER = {"vor": 0, "unspecified": 1, "am": 2, "tdm": 3}
#: Crossref's ``id-type`` of a relation -> the scheme paperfuse names it by, and
#: the prefix that makes :func:`paperfuse.identify` read the value as that scheme.
_RELATION_SCHEMES = {
    "doi": ("doi", ""),
    "arxiv": ("arxiv", "arXiv:"),
    "pmid": ("pmid", "PMID:"),
    "pmcid": ("pmcid", ""),
    "uri": ("url", ""),
    "url": ("url", ""),
}
#: Most entries read from one list (authors, funders, relations, updates...):
#: a record with more is cut there rather than holding the cache hostage.
_MAX_ENTRIES = 2_000
_BARE_DOI = re.compile(r"^10\.[0-9]{4,9}/\S+$")
_COUNTS = range(0, 2**63)


# -- values ---------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A string with its entities decoded and whitespace collapsed; None for anything else."""
    if not isinstance(value, str):
        return None
    text = " ".join(html.unescape(value).split()) if "&" in value else " ".join(value.split())
    return text or None


def _texts(value: Any) -> tuple[str, ...]:
    """Every usable string of a list (or the one string given), in order, each once."""
    items = value[:_MAX_ENTRIES] if isinstance(value, list) else [value]
    return tuple(dict.fromkeys(t for t in map(_text, items) if t))


def _first(value: Any) -> str | None:
    texts = _texts(value)
    return texts[0] if texts else None


def _number_text(value: Any) -> str | None:
    """A volume, issue or similar: text, or a sane whole number written as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if 0 <= value < 10**9 else None
    return _text(value)


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if value in _COUNTS else None


def _part(value: Any) -> int | None:
    """One number of a date: an integer or a short text of ASCII digits."""
    if isinstance(value, str):
        text = value.strip()
        value = int(text) if text.isascii() and text.isdigit() and len(text) <= 4 else None
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _date_parts(value: Any) -> tuple[int, ...]:
    """A Crossref date object's ``date-parts`` as (year[, month[, day]]), as precise as
    valid: a month or day that no calendar has ends the date before it; () for none."""
    parts = value.get("date-parts") if isinstance(value, dict) else None
    if not isinstance(parts, list) or not parts or not isinstance(parts[0], list):
        return ()
    numbers = [_part(p) for p in parts[0][:3]]
    year = numbers[0] if numbers else None
    if year is None or year not in YEARS:
        return ()
    month = numbers[1] if len(numbers) > 1 else None
    if month is None or not 1 <= month <= 12:
        return (year,)
    day = numbers[2] if len(numbers) > 2 else None
    if day is None or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return (year, month)
    return (year, month, day)


def _iso(parts: tuple[int, ...]) -> str | None:
    return "-".join(f"{p:04d}" if i == 0 else f"{p:02d}" for i, p in enumerate(parts)) or None


def _published(data: dict[str, Any]) -> tuple[int, ...]:
    """The earliest publication date, as precisely as any of the dates that agree on it.

    Print, online, Crossref's own ``published`` and ``issued`` are compared with
    missing parts counting as earliest ("2007-07" before "2007-07-08"); then the
    most precise date within the earliest one is taken ("2007-07-08" it is).
    """
    dates = [d for d in (_date_parts(data.get(k)) for k in _PUBLICATION_DATES) if d]
    if not dates:
        return ()
    earliest = min(dates, key=lambda d: (*d, 0, 0)[:3])
    within = [d for d in dates if d[: len(earliest)] == earliest]
    return min(within, key=lambda d: (-len(d), d))


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value[:_MAX_ENTRIES] if isinstance(value, list) else []


# -- people, funders, licences --------------------------------------------------------------


def _person(data: Any) -> Author | None:
    """One contributor; entities in names and affiliations decoded. None if it names nobody."""
    author = Author.from_crossref(data)
    if author is None:
        return None
    cleaned = {
        "name": _text(author.name) or author.name,
        "given": _text(author.given),
        "family": _text(author.family),
        "affiliations": tuple(dict.fromkeys(a for a in map(_text, author.affiliations) if a)),
    }
    if all(getattr(author, k) == v for k, v in cleaned.items()):
        return author
    return msgspec.structs.replace(author, **cleaned)


def _people(data: dict[str, Any], key: str) -> tuple[Author, ...]:
    return tuple(a for a in map(_person, _list(data, key)) if a is not None)


def _doi(value: Any) -> str | None:
    """A DOI as paperfuse keeps it (lower case, no resolver prefix), or None."""
    text = _text(value)
    if not text:
        return None
    found = identify(text)
    doi = next((i.value for i in found.identifiers if i.scheme == "doi"), None)
    if doi is None and _BARE_DOI.match(text):
        doi = text.lower()  # a DOI paperfuse's own reading refuses is still the DOI given
    return doi


def _funder(data: Any) -> Funder | None:
    if not isinstance(data, dict):
        return None
    name = _text(data.get("name"))
    if not name:
        return None
    return Funder(name=name, doi=_doi(data.get("DOI")), awards=_texts(data.get("award") or []))


def _licence(data: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """The work's licence URL (the version of record's first) and every licence given."""
    licences: list[dict[str, Any]] = []
    for entry in _list(data, "license"):
        url = _text(entry.get("URL")) if isinstance(entry, dict) else None
        if not url:
            continue
        kept: dict[str, Any] = {"url": url}
        version = _text(entry.get("content-version"))
        if version:
            kept["content_version"] = version
        start = _iso(_date_parts(entry.get("start")))
        if start:
            kept["start"] = start
        delay = _count(entry.get("delay-in-days"))
        if delay is not None:
            kept["delay_in_days"] = delay
        if kept not in licences:
            licences.append(kept)
    ranked = sorted(licences, key=lambda k: _LICENCE_ORDER.get(k.get("content_version", ""), 4))
    return (ranked[0]["url"] if ranked else None), licences


# -- relations and updates ------------------------------------------------------------------


def _relation(kind: str, data: Any) -> Relation | None:
    if not isinstance(data, dict):
        return None
    id_type = _text(data.get("id-type"))
    value = _text(data.get("id"))
    if not id_type or not value:
        return None
    id_type = id_type.lower()
    if id_type not in _RELATION_SCHEMES:
        return Relation(type=kind, scheme=id_type, value=value)
    scheme, prefix = _RELATION_SCHEMES[id_type]
    if scheme == "arxiv" and value.lower().startswith("arxiv:"):
        value = value[len("arxiv:") :]
    found = identify(prefix + value)
    normalised = next((i.value for i in found.identifiers if i.scheme == scheme), None)
    return Relation(type=kind, scheme=scheme, value=normalised) if normalised else None


def _relations(data: dict[str, Any]) -> tuple[Relation, ...]:
    """Every relation Crossref states, each once, types in lower-case-hyphen form."""
    value = data.get("relation")
    if not isinstance(value, dict):
        return ()
    found: dict[Relation, None] = {}
    for key, entries in list(value.items())[:_MAX_ENTRIES]:
        kind = _text(key)
        if not kind or not isinstance(entries, list):
            continue
        kind = "-".join(kind.lower().replace("_", "-").split())
        for entry in entries[:_MAX_ENTRIES]:
            relation = _relation(kind, entry)
            if relation is not None:
                found.setdefault(relation)
            if len(found) >= _MAX_ENTRIES:
                return tuple(found)
    return tuple(found)


def _update(direction: str, data: Any) -> Update | None:
    if not isinstance(data, dict):
        return None
    kind = _text(data.get("type"))
    if not kind:
        return None
    date = _iso(_date_parts(data.get("updated")))
    return Update(
        direction=direction,  # type: ignore[arg-type]
        type=kind.lower(),
        doi=_doi(data.get("DOI")),
        date=date,
        source=_text(data.get("source")),
        label=_text(data.get("label")),
    )


def _updates(data: dict[str, Any]) -> tuple[Update, ...]:
    found: dict[Update, None] = {}
    for key in ("updated-by", "update-to"):
        for entry in _list(data, key):
            update = _update(key, entry)
            if update is not None:
                found.setdefault(update)
    return tuple(found)


def _retracted(doi: str, updates: tuple[Update, ...], data: dict[str, Any]) -> bool | None:
    """Whether the work is withdrawn: True when a notice retracts it, False when Crossref
    states updates of the work and none retracts it, None when it states none.

    A notice retracts the work when it is listed in ``updated-by`` with a
    retracting type, or when the record's own ``update-to`` points at the work
    itself (publishers that mark the article in place). A retraction notice's
    ``update-to`` points at another work: the notice is not retracted.
    """
    if any(
        u.type in RETRACTING_UPDATES
        and (u.direction == "updated-by" or (u.direction == "update-to" and u.doi == doi))
        for u in updates
    ):
        return True
    return False if updates or "updated-by" in data or "update-to" in data else None


# -- what has no field of its own -----------------------------------------------------------


def _typed(data: dict[str, Any], key: str) -> list[dict[str, str]]:
    """``issn-type`` / ``isbn-type``: each value with its type (print, electronic)."""
    kept: list[dict[str, str]] = []
    for entry in _list(data, key):
        if not isinstance(entry, dict):
            continue
        value, kind = _text(entry.get("value")), _text(entry.get("type"))
        if value and kind and {"value": value, "type": kind} not in kept:
            kept.append({"value": value, "type": kind})
    return kept


def _extra(data: dict[str, Any], licences: list[dict[str, Any]]) -> dict[str, Any]:
    """Facts without a field of their own in the record, under ``extra["crossref"]``."""
    extra: dict[str, Any] = {}
    titles = _texts(data.get("title"))
    if len(titles) > 1:
        extra["titles"] = list(titles)
    for key, name in (
        ("original-title", "original_title"),
        ("short-title", "short_title"),
        ("subject", "subjects"),
        ("alternative-id", "alternative_ids"),
        ("archive", "archives"),
    ):
        texts = _texts(data.get(key) or [])
        if texts:
            extra[name] = list(texts)
    for key, name in (
        ("issn-type", "issn_types"),
        ("isbn-type", "isbn_types"),
    ):
        typed = _typed(data, key)
        if typed:
            extra[name] = typed
    if licences:
        extra["licenses"] = licences
    dates = {k: _iso(_date_parts(data.get(k))) for k in _KEPT_DATES}
    if any(dates.values()):
        extra["dates"] = {k: v for k, v in dates.items() if v}
    for key, name in (
        ("member", "member"),
        ("prefix", "prefix"),
        ("subtype", "subtype"),
        ("group-title", "group_title"),
        ("publisher-location", "publisher_location"),
        ("edition-number", "edition"),
        ("update-policy", "update_policy"),
    ):
        text = _number_text(data.get(key))
        if text:
            extra[name] = text
    event = data.get("event")
    if isinstance(event, dict):
        kept = {k: _text(event.get(k)) for k in ("name", "location", "acronym")}
        if any(kept.values()):
            extra["event"] = {k: v for k, v in kept.items() if v}
    score = data.get("score")
    numeric = isinstance(score, (int, float)) and not isinstance(score, bool)
    if numeric and storable(score) is not None:
        extra["score"] = score
    return extra


def work_to_record(data: Any, source: str = "crossref") -> Work | None:
    """The partial work of one Crossref work object; None when it is not one (no DOI)."""
    if not isinstance(data, dict):
        return None
    doi = _doi(data.get("DOI"))
    if doi is None:
        return None
    published = _published(data)
    licence, licences = _licence(data)
    updates = _updates(data)
    extra = _extra(data, licences)
    issns = _texts(data.get("ISSN") or []) or tuple(t["value"] for t in extra.get("issn_types", []))
    isbns = _texts(data.get("ISBN") or []) or tuple(t["value"] for t in extra.get("isbn_types", []))
    return Work(
        ids=Ids(doi=doi),
        title=_first(data.get("title")),
        subtitle=_first(data.get("subtitle")),
        authors=_people(data, "author"),
        editors=_people(data, "editor"),
        abstract=abstract_text(data.get("abstract")),
        published=_iso(published),
        year=published[0] if published else None,
        venue=_first(data.get("container-title")),
        container_short=_first(data.get("short-container-title")),
        volume=_number_text(data.get("volume")),
        issue=_number_text(data.get("issue")),
        pages=_number_text(data.get("page")),
        article_number=_number_text(data.get("article-number")),
        publisher=_text(data.get("publisher")),
        issn=issns,
        isbn=isbns,
        type=_text(data.get("type")),
        language=_text(data.get("language")),
        license=licence,
        funders=tuple(dict.fromkeys(f for f in map(_funder, _list(data, "funder")) if f)),
        references_count=_count(data.get("reference-count", data.get("references-count"))),
        cited_by_count=_count(data.get("is-referenced-by-count")),
        relations=_relations(data),
        updates=updates,
        retracted=_retracted(doi, updates, data),
        extra={source: extra} if extra else {},
    )
