"""A landing page's embedded metadata, read with lxml.html, vocabulary by vocabulary.

Publishers and repositories describe an article in its page's ``<head>`` in
several vocabularies, often more than one at once: Highwire Press
``citation_*`` meta tags (what Google Scholar asks for), Dublin Core
(``DC.*``, ``dcterms.*``) and PRISM (``prism.*``) meta tags, schema.org
JSON-LD (``ScholarlyArticle`` and its kin) in ``<script>``, Open Graph
(``og:*``, ``article:*``), and COinS (an OpenURL ContextObject in a
``<span class="Z3988">``'s title). :func:`read_page` gathers them as they
are; :mod:`._record` makes the record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urljoin

import lxml.etree
import lxml.html

__all__ = ["PageMetadata", "clean", "read_page", "types"]

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
#: Most JSON-LD blocks and characters read from one page.
_MAX_JSONLD = 20
_MAX_JSONLD_CHARS = 1_000_000


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


def clean(value: Any) -> str | None:
    """A string with its whitespace collapsed; None for anything else, or for nothing."""
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
        content = clean(element.get("content"))
        if name and content:
            key = name.strip().lower()
            page.meta.setdefault(key, []).append(content)
            if key.startswith("citation_author"):
                page.ordered.append((key, content))
    for element in root.iter("link", "a"):
        rel = (element.get("rel") or "").lower().split()
        href = clean(element.get("href"))
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
            if wanted in types(item):
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


def types(item: dict[str, Any]) -> list[str]:
    """A JSON-LD object's ``@type`` names (one or a list; ``schema:`` or URL forms shortened)."""
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return [re.split(r"[/:#]", k)[-1] for k in kinds if isinstance(k, str)]


def _coins(root: Any) -> dict[str, list[str]]:
    """The first COinS ContextObject of the page, key by key."""
    spans = root.xpath('//span[contains(concat(" ", normalize-space(@class), " "), " Z3988 ")]')
    for span in spans:
        title = span.get("title") or ""
        if "rft" not in title:
            continue
        found: dict[str, list[str]] = {}
        for key, value in parse_qsl(title[:20_000], keep_blank_values=False):
            cleaned = clean(value)
            if cleaned:
                found.setdefault(key.lower(), []).append(cleaned)
        return found
    return {}
