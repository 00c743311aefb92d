"""Output formats: how a :class:`Work` is written out.

Plugins add formats through the ``paperfuse_register_formats`` hook by
returning :class:`OutputFormat` subclasses; ``paperfuse resolve --format NAME``
picks one.

Every built-in format writes any record, even one holding lone surrogates
(what bytes that are not UTF-8 become in Python): they are written as U+FFFD,
so that a batch's output never stops at one odd record.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import msgspec

from ._records import Work, encode_json

__all__ = ["CSLJSONFormat", "JSONFormat", "OutputFormat", "writable_json"]

_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_ISO_DATE_PART_RE = re.compile("[0-9]+")


def _writable(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, so that it encodes as UTF-8."""
    return _SURROGATE_RE.sub("\ufffd", text)


def _scrubbed(value: Any) -> Any:
    """Builtins ``value`` with every string (keys too) made :func:`_writable`."""
    if isinstance(value, str):
        return _writable(value)
    if isinstance(value, dict):
        return {_scrubbed(k): _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v) for v in value]
    return value


def writable_json(value: Any) -> str:
    """``value`` (a record, or builtins) as compact JSON that always encodes as UTF-8.

    The same text as :func:`encode_json`; a lone surrogate anywhere becomes U+FFFD
    instead of an error.
    """
    try:
        return encode_json(value).decode()
    except UnicodeEncodeError:
        builtins = msgspec.to_builtins(value, order="deterministic")
        return msgspec.json.encode(_scrubbed(builtins), order="deterministic").decode()


class OutputFormat:
    """Base class of an output format.

    ``render`` turns one work into text; a batch is the renderings of its
    works, one after another, each ending with a newline (so JSON output
    of a batch is JSON Lines).
    """

    #: Unique name used by ``--format``.
    name: ClassVar[str]
    #: One line for ``paperfuse plugins`` and ``--help``.
    description: ClassVar[str] = ""

    def render(self, work: Work) -> str:
        """The text of one work, without a trailing newline."""
        raise NotImplementedError


class JSONFormat(OutputFormat):
    """The canonical record as JSON, one line per work."""

    name = "json"
    description = "the canonical record as JSON (JSON Lines for several inputs)"

    def render(self, work: Work) -> str:
        return writable_json(work)


class CSLJSONFormat(OutputFormat):
    """CSL-JSON, the format of Zotero, Pandoc and citeproc."""

    name = "csl-json"
    description = "a CSL-JSON item per work (Zotero, Pandoc, citeproc)"

    def render(self, work: Work) -> str:
        item: dict[str, Any] = {
            "id": work.ids.doi or (f"arxiv:{work.ids.arxiv}" if work.ids.arxiv else work.input),
            "type": "article-journal" if work.venue else "article",
            "title": work.title,
            "author": [
                {"family": a.family, "given": a.given} if a.family else {"literal": a.name}
                for a in work.authors
            ],
            "container-title": work.venue,
            "publisher": work.publisher,
            "volume": work.volume,
            "issue": work.issue,
            "page": work.pages,
            "DOI": work.ids.doi,
            "PMID": work.ids.pmid,
            "PMCID": work.ids.pmcid,
            "ISSN": work.issn[0] if work.issn else None,
            "abstract": work.abstract,
            "URL": work.best_oa_location.url if work.best_oa_location else None,
        }
        parts = _date_parts(work.published)
        if parts:
            item["issued"] = {"date-parts": [parts]}
        elif work.year:
            item["issued"] = {"date-parts": [[work.year]]}
        item = {k: v for k, v in item.items() if v not in (None, [], "")}
        try:
            return msgspec.json.encode(item).decode()
        except UnicodeEncodeError:
            return msgspec.json.encode(_scrubbed(msgspec.to_builtins(item))).decode()


def _date_parts(published: str | None) -> list[int]:
    """The leading ASCII numbers of an ISO 8601 date (``2020-01-02`` gives 2020, 1, 2).

    Only ASCII digits count: ``int()`` reads fullwidth digits too, and
    ``str.isdigit()`` accepts superscripts that ``int()`` then refuses.
    """
    parts: list[int] = []
    for part in (published or "")[:10].split("-"):
        if not _ISO_DATE_PART_RE.fullmatch(part):
            break
        parts.append(int(part))
    return parts
