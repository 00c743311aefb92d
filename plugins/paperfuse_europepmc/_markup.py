"""Europe PMC's titles and abstracts, HTML markup in a JSON string, as plain text.

Europe PMC marks up titles and abstracts with a few HTML elements (``<i>``,
``<sup>``, ``<h4>`` section headings in structured abstracts) and entities. The
text is read without a parser: tags are dropped (block elements end a
paragraph), entities decoded, whitespace collapsed. Every pattern is linear, so
hostile markup costs time in proportion to its length, and nothing is expanded
beyond what one entity stands for.
"""

from __future__ import annotations

import html
import re

__all__ = ["markup_text"]

_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|h[1-6]|li|ul|ol|section|sec|title|blockquote|table|tr)\b[^<>]*>",
    re.IGNORECASE,
)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<!--[^<>]*-->")
_BREAKS = re.compile(r"\s*\n\s*\n\s*")
#: Headings that only announce the abstract.
_ABSTRACT_HEADINGS = frozenset({"abstract", "summary", "abstract:", "summary:"})


def markup_text(value: object, *, paragraphs: bool = False) -> str | None:
    """The plain text of a marked-up string; None for anything else or nothing left.

    With ``paragraphs``, block elements (headings of a structured abstract,
    paragraphs) separate paragraphs with a blank line; otherwise all is one line.
    """
    if not isinstance(value, str):
        return None
    text = _BLOCK_TAG.sub("\n\n" if paragraphs else " ", value)
    text = html.unescape(_TAG.sub("", text))
    if not paragraphs:
        return " ".join(text.split()) or None
    parts = (" ".join(p.split()) for p in _BREAKS.split(text))
    kept = [p for p in parts if p and p.lower() not in _ABSTRACT_HEADINGS]
    return "\n\n".join(kept) or None
