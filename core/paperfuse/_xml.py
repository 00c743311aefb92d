"""Reading an XML answer safely: one hardened parse for every source.

:func:`parse_xml` never loads a DTD or anything else from the network, never
expands entities, and refuses before parsing what must not be parsed: an
empty body, an HTML page (named by its title), a document declaring entities
or with an internal DTD subset, any DOCTYPE unless the service is known to
send a public one (``allow_doctype``), and UTF-16/32 bodies (their bytes would
hide those declarations from the byte check; the document's own encoding
declaration is never followed, every body is read as UTF-8). Whatever is
refused is a :class:`~paperfuse.BadResponse` whose message names the problem
and quotes the start of the body.
"""

from __future__ import annotations

import asyncio
import codecs
import html
import re
import threading
from collections.abc import Collection

from lxml import etree

from ._errors import BadResponse

__all__ = ["parse_xml", "parse_xml_in_turns", "xml_parser"]

#: Bytes :func:`parse_xml_in_turns` parses between two turns of the event loop.
XML_TURN = 256 * 1024

#: Byte order marks of the encodings whose bytes hide ASCII text from a byte search
#: (UTF-32 first: its little-endian mark begins with UTF-16's), then how ``<`` begins
#: a document in them when there is no mark.
_WIDE = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
    (b"<\x00\x00\x00", "utf-32-le", "UTF-32"),
    (b"\x00\x00\x00<", "utf-32-be", "UTF-32"),
    (b"<\x00", "utf-16-le", "UTF-16"),
    (b"\x00<", "utf-16-be", "UTF-16"),
)
#: An HTML page (an error page of a proxy or the server), maybe after an XML declaration.
_HTML = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b",
    re.IGNORECASE | re.DOTALL,
)
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
#: A DOCTYPE with an internal subset (``[ ... ]``), where entities would be declared.
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)

_local = threading.local()  # an lxml parser must not be shared between threads


def xml_parser() -> etree.XMLParser:
    """A new lxml parser with the settings :func:`parse_xml` uses.

    It reads UTF-8 whatever the document declares, resolves no entity, loads
    no DTD and nothing from the network or from files (any external resource
    it is asked for reads as empty), refuses huge trees and drops
    comments and processing instructions. Use it only after the checks of
    :func:`parse_xml` (for incremental parsing, say): alone, it does not
    refuse a document that declares entities.
    """
    parser = etree.XMLParser(
        encoding="utf-8",  # never the document's own declaration: see parse_xml()
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        # collect_ids stays on: off, libxml2 reads a DOCTYPE's external subset (a local
        # file such as file:///etc/passwd) whatever load_dtd says.
    )
    parser.resolvers.add(_NothingResolver())
    return parser


class _NothingResolver(etree.Resolver):
    """Answers every request for an external resource (DTD, entity) with nothing."""

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        return self.resolve_string("", context)


def parse_xml(
    body: bytes,
    *,
    allow_doctype: bool = False,
    expected: str = "XML",
    roots: Collection[str] | None = None,
) -> etree._Element:
    """The root element of an XML answer, or :class:`~paperfuse.BadResponse`.

    ``allow_doctype`` accepts a DOCTYPE that only names an external DTD (as
    PubMed's answers carry; the DTD is not loaded); a DOCTYPE with an
    internal subset and any entity declaration are refused all the same.
    ``expected`` names what the answer should have been, for messages ("an
    Atom feed", "PubMed XML"). ``roots``, when given, are the tags the root
    may have (``{namespace}local`` for a namespaced one); another root is
    refused as "not <expected>".
    """
    _screen(body, allow_doctype=allow_doctype, expected=expected)
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = xml_parser()
    try:
        root = etree.fromstring(body, parser)
    except (etree.LxmlError, ValueError) as e:
        raise _malformed(e, body) from None
    return _checked_root(root, body, expected, roots)


async def parse_xml_in_turns(
    body: bytes,
    *,
    allow_doctype: bool = False,
    expected: str = "XML",
    roots: Collection[str] | None = None,
) -> etree._Element:
    """:func:`parse_xml` for a large answer, in turns of the event loop.

    The same checks, parser settings and errors; the body is parsed
    :data:`XML_TURN` bytes at a time (a parser of its own, fed), and other
    tasks run in between: a 4 MB feed is some 16 turns of a few milliseconds
    rather than one of ~45 ms.
    """
    if len(body) <= XML_TURN:
        return parse_xml(body, allow_doctype=allow_doctype, expected=expected, roots=roots)
    _screen(body, allow_doctype=allow_doctype, expected=expected)
    parser = xml_parser()
    view = memoryview(body)
    try:
        for start in range(0, len(body), XML_TURN):
            parser.feed(bytes(view[start : start + XML_TURN]))
            await asyncio.sleep(0)
        root = parser.close()
    except (etree.LxmlError, ValueError) as e:
        raise _malformed(e, body) from None
    return _checked_root(root, body, expected, roots)


def _malformed(error: Exception, body: bytes) -> BadResponse:
    return BadResponse(f"malformed XML ({error}): {_excerpt(body)!r}")


def _checked_root(
    root: etree._Element | None, body: bytes, expected: str, roots: Collection[str] | None
) -> etree._Element:
    if root is None or (roots is not None and root.tag not in roots):
        raise BadResponse(f"not {expected}: {_excerpt(body)!r}")
    return root


def _screen(body: bytes, *, allow_doctype: bool, expected: str) -> None:
    """Refuse, before any parsing, what cannot be the answer or must not be parsed.

    The checks search bytes, so they hold only for bytes the parser reads as
    UTF-8, which it is told to do whatever the document declares. A UTF-16 or
    UTF-32 body is refused; it is decoded first to be checked, so that an
    HTML page or a DTD in it is named as such.
    """
    if not body.strip():
        raise BadResponse(f"empty response body where {expected} was expected")
    wide = _wide_encoding(body)
    text = body
    if wide is not None:
        text = body.decode(wide[0], "replace").lstrip("\ufeff").encode("utf-8", "replace")
    if _HTML.match(text[:4096]):
        raise BadResponse(f"not {expected} (got HTML: {_html_summary(text)!r})")
    not_utf8 = f" (and not UTF-8: got {wide[1]})" if wide is not None else ""
    if not allow_doctype and (_DOCTYPE.search(text) or _ENTITY.search(text)):
        raise BadResponse(
            f"refused a response with a DTD or entities{not_utf8}: {_excerpt(text)!r}"
        )
    if _ENTITY.search(text) or _INTERNAL_SUBSET.search(text):
        raise BadResponse(
            f"refused a response with entity declarations{not_utf8}: {_excerpt(text)!r}"
        )
    if wide is not None:
        raise BadResponse(
            f"not UTF-8 (got {wide[1]}; {expected} comes in UTF-8): {_excerpt(text)!r}"
        )


def _wide_encoding(body: bytes) -> tuple[str, str] | None:
    """The codec and name of a UTF-16 or UTF-32 body, by its byte order mark or first bytes."""
    for start, codec, name in _WIDE:
        if body.startswith(start):
            return codec, name
    return None


def _excerpt(body: bytes) -> str:
    text = body[:120].decode("utf-8", "replace")
    return " ".join(text.split()) + ("…" if len(body) > 120 else "")


def _html_summary(body: bytes) -> str:
    """An HTML page in a few words: its title, or its first characters."""
    match = _HTML_TITLE.search(body[:8192])
    if match:
        title = " ".join(html.unescape(match[1].decode("utf-8", "replace")).split())
        if title:
            return title[:120]
    return _excerpt(body)
