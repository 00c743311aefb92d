"""Crossref's abstracts, JATS markup in a JSON string, as clean plain text.

Publishers deposit abstracts as JATS XML fragments (``<jats:p>``,
``<jats:sec>``, ``<jats:title>``, ``<jats:italic>``, MathML...), with the
``jats:`` prefix undeclared and, now and then, HTML entities (``&nbsp;``) or
markup that is not well formed. The fragment is read with a hardened parser:
no DTD, no entity of its own, nothing from the network, depth bounded; a
fragment that still does not parse is read without a parser (tags dropped,
entities decoded), so a bad abstract costs at most its markup, never the record.

Paragraphs, section titles and list items become paragraphs separated by a
blank line; inline markup keeps only its text; a heading that only says
"Abstract" is dropped.
"""

from __future__ import annotations

import html
import re
from html.entities import html5
from xml.sax.saxutils import escape

from lxml import etree

__all__ = ["abstract_text"]

#: Prefixes publishers use in abstracts, declared on the wrapping element so that
#: the fragment is well formed XML with namespaces.
_NAMESPACES = {
    "jats": "http://www.ncbi.nlm.nih.gov/JATS1",
    "mml": "http://www.w3.org/1998/Math/MathML",
    "xlink": "http://www.w3.org/1999/xlink",
    "ali": "http://www.niso.org/schemas/ali/1.0/",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "xml": None,  # predeclared by XML itself
}
_OPEN = "<paperfuse-abstract {}>".format(
    " ".join(f'xmlns:{p}="{uri}"' for p, uri in _NAMESPACES.items() if uri)
)
_CLOSE = "</paperfuse-abstract>"

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,  # libxml2's limits: 256 levels deep, no giant text nodes
    remove_comments=True,
    remove_pis=True,
    collect_ids=False,
)

#: Elements that make a paragraph of their own (local names, any namespace).
_BLOCKS = frozenset(
    {"p", "sec", "title", "list-item", "def-item", "disp-quote", "abstract", "trans-abstract"}
    | {"statement", "boxed-text", "fig", "table-wrap", "caption", "label", "div", "li", "h1"}
    | {"h2", "h3", "h4", "h5", "h6", "blockquote", "list"}
)
#: Elements whose content is no part of the text (an object's alternatives, metadata).
_SKIPPED = frozenset({"object-id", "alternatives", "annotation", "annotation-xml", "script"})
#: Headings that only announce the abstract.
_ABSTRACT_HEADINGS = frozenset({"abstract", "summary", "abstract:", "summary:"})
#: Markup in the text itself: a doctype or entity declaration is never read.
_DECLARATION = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_WHOLE_DECLARATION = re.compile(
    r"<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>|<!ENTITY[^>]*>", re.IGNORECASE | re.DOTALL
)
_NAMED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{0,31});")
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_TAG = re.compile(r"<[^<>]*>")
_BLOCK_TAG = re.compile(
    r"</?(?:[A-Za-z][\w.-]*:)?(?:p|sec|title|list-item|li|div|br|break)\b[^<>]*>", re.IGNORECASE
)
_BREAKS = re.compile(r"\s*\n\s*\n\s*")


def _named_entities_as_characters(text: str) -> str:
    """HTML's named entities (``&nbsp;``) as the characters they stand for.

    XML knows only five named entities; the others would make the fragment
    ill formed. Their characters are escaped where XML needs it.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _XML_ENTITIES:
            return match.group(0)
        character = html5.get(name + ";")
        return escape(character) if character is not None else match.group(0)

    return _NAMED_ENTITY.sub(replace, text)


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _paragraphs(root: etree._Element) -> list[str]:
    """The text of ``root``'s blocks, in document order, each one paragraph."""
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = " ".join("".join(current).split())
        if text:
            paragraphs.append(text)
        current.clear()

    def walk(element: etree._Element) -> None:
        name = _local(element.tag)
        if name in _SKIPPED:
            return
        block = name in _BLOCKS
        if block:
            flush()
        if element.text:
            current.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                current.append(child.tail)
        if block:
            if name == "title" and " ".join("".join(current).split()).lower() in (
                _ABSTRACT_HEADINGS
            ):
                current.clear()
            flush()
        elif name in ("break", "br"):
            current.append(" ")

    walk(root)
    flush()
    return paragraphs


def _without_parser(fragment: str) -> str:
    """The text of a fragment that is no well formed XML: tags dropped, entities decoded."""
    text = _BLOCK_TAG.sub("\n\n", fragment)
    text = html.unescape(_TAG.sub("", text))
    paragraphs = (" ".join(p.split()) for p in _BREAKS.split(text))
    kept = [p for p in paragraphs if p and p.lower() not in _ABSTRACT_HEADINGS]
    return "\n\n".join(kept)


def abstract_text(fragment: object) -> str | None:
    """Crossref's ``abstract`` as plain text with paragraphs; None when there is none."""
    if not isinstance(fragment, str) or not fragment.strip():
        return None
    if _DECLARATION.search(fragment):
        text = _without_parser(_WHOLE_DECLARATION.sub("", fragment))
    else:
        source = _OPEN + _named_entities_as_characters(fragment) + _CLOSE
        try:
            root = etree.fromstring(source.encode("utf-8", "surrogatepass"), _PARSER)
        except (etree.XMLSyntaxError, ValueError, UnicodeError):
            text = _without_parser(fragment)
        else:
            text = "\n\n".join(_paragraphs(root))
    return text or None
