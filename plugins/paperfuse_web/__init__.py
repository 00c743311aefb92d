"""paperfuse source for publishers' and repositories' landing pages.

``web`` answers the URLs no other scheme can turn into an identifier
(``https://www.nature.com/articles/nature12373``, a ScienceDirect ``/pii/``
page, a repository's handle page): it fetches the page, safely (robots.txt,
one request a second per host, at most 5 redirects, HTML only, a size cap,
no private or local address, no cookies or credentials), and reads the
metadata the page embeds: Highwire ``citation_*`` tags, Dublin Core, PRISM,
schema.org JSON-LD, Open Graph and COinS. A DOI, PMID or arXiv id it finds
goes back to the engine, so that the registration agency's full record
follows.

Registered through the ``paperfuse`` entry-point group like any third-party
plugin, and uses only paperfuse's public API.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import paperfuse

from ._source import WebSource

if TYPE_CHECKING:
    from ._guard import refusal
    from ._page import read_page
    from ._record import to_work

__all__ = ["WebSource", "read_page", "refusal", "to_work"]


@paperfuse.hookimpl
def paperfuse_register_sources() -> Iterable[type[paperfuse.Source]]:
    return [WebSource]


# The page reader and the address guard load on first use: every run loads this plugin.
__getattr__, __dir__ = paperfuse.lazy_exports(
    __name__, {"read_page": "._page", "refusal": "._guard", "to_work": "._record"}
)
