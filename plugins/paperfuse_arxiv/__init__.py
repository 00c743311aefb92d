"""paperfuse source for the arXiv query API.

Looks up arXiv ids in batches of up to 2,000 per request, searches titles and
citations, and reads every field the API documents from its Atom feeds. Each
record is also a green OA location, and the journal DOI it names is handed to
the resolver as a new identifier of the same work.

Registered through the ``paperfuse`` entry-point group like any third-party
plugin, and uses only paperfuse's public API.

Thank you to arXiv for use of its open access interoperability.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import paperfuse

from ._query import search_query
from ._source import ArxivSource

if TYPE_CHECKING:
    from ._atom import Feed, FeedError, parse_feed

__all__ = ["ArxivSource", "Feed", "FeedError", "parse_feed", "search_query"]


@paperfuse.hookimpl
def paperfuse_register_sources() -> Iterable[type[paperfuse.Source]]:
    return [ArxivSource]


# Its mapping loads when first used: every run loads this plugin.
__getattr__, __dir__ = paperfuse.lazy_exports(
    __name__, {"Feed": "._atom", "FeedError": "._atom", "parse_feed": "._atom"}
)
