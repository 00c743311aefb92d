"""paperfuse source for PubMed, through NCBI's E-utilities.

``pubmed`` fetches the PubMed (MEDLINE) records of PMIDs, 200 to a request,
and answers title and citation queries with ``esearch``: title, authors with
ORCIDs and affiliations, journal and its ISO abbreviation, volume, issue,
pages, dates, the abstract with its section labels, language, publication
types, MeSH headings, keywords, the DOI and PMCID, and retractions. A contact
email (``PAPERFUSE_EMAIL``) is sent as NCBI asks, with ``tool=paperfuse``; an
optional API key (``PAPERFUSE_PUBMED_API_KEY``) raises the rate limit from 3
to 10 requests a second.

Registered through the ``paperfuse`` entry-point group like any third-party
plugin, and uses only paperfuse's public API.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import paperfuse

from ._source import PubMedSource

if TYPE_CHECKING:
    from ._xml import is_rate_limit_body, parse_articles

__all__ = ["PubMedSource", "is_rate_limit_body", "parse_articles"]


@paperfuse.hookimpl
def paperfuse_register_sources() -> Iterable[type[paperfuse.Source]]:
    return [PubMedSource]


# Its mapping loads when first used: every run loads this plugin.
__getattr__, __dir__ = paperfuse.lazy_exports(
    __name__, {"is_rate_limit_body": "._xml", "parse_articles": "._xml"}
)
