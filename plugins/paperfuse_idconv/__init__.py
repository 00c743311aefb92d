"""paperfuse source for the PMC ID converter of NCBI.

``idconv`` asks the PMC ID Converter API which PMID, PMCID and DOI belong
together. It answers with identifiers only, never with bibliographic fields:
what it reveals (a DOI's PMID and PMCID, a PMCID's PMID and DOI) lets the
resolver ask PubMed, Crossref and the other sources with the ids they accept.
The service knows the articles in PubMed Central; an article outside PMC is
not found here.

Registered through the ``paperfuse`` entry-point group like any third-party
plugin, and uses only paperfuse's public API.
"""

from __future__ import annotations

from collections.abc import Iterable

import paperfuse

from ._mapping import answer_records, normalised, record_to_work
from ._source import IdConverterSource

__all__ = ["IdConverterSource", "answer_records", "normalised", "record_to_work"]


@paperfuse.hookimpl
def paperfuse_register_sources() -> Iterable[type[paperfuse.Source]]:
    return [IdConverterSource]
