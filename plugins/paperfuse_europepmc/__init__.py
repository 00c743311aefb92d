"""paperfuse source for Europe PMC's REST search.

``europepmc`` looks up PMIDs, PMCIDs and DOIs in Europe PMC (PubMed, PMC and
preprint servers), several in one query joined with OR, and answers title and
citation queries with its search: title, authors with ORCIDs and affiliations,
journal, volume, issue, pages, publication date, abstract, language, MeSH
headings, keywords, publication types, and the free full text Europe PMC and
PMC hold (repository copies, with the licence it gives) or the publisher offers.

Registered through the ``paperfuse`` entry-point group like any third-party
plugin, and uses only paperfuse's public API.
"""

from __future__ import annotations

from collections.abc import Iterable

import paperfuse

from ._mapping import result_to_record
from ._markup import markup_text
from ._source import EuropePMCSource, query_term

__all__ = ["EuropePMCSource", "markup_text", "query_term", "result_to_record"]


@paperfuse.hookimpl
def paperfuse_register_sources() -> Iterable[type[paperfuse.Source]]:
    return [EuropePMCSource]
