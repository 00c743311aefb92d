"""paperfuse source for OpenAlex, with its identifier schemes.

``openalex`` asks OpenAlex for works by OpenAlex id, DOI, PMID, PMCID or MAG
id, and answers title and citation queries with its search: identifiers,
authorships with ORCIDs and institutions (ROR ids), venue, biblio, abstract,
every free copy with its version, licence and host, funders and awards, and
the retraction flag. OpenAlex requires an API key (``PAPERFUSE_OPENALEX_API_KEY``);
without one the source is skipped with a message that says how to get one. Its
calls are planned by what they cost (see ``_cost.py`` and docs/sources.md).

``openalex-snapshot`` answers the same identifiers from a local copy of
OpenAlex's works snapshot instead (no network, no API key; docs/scale.md).

The ``openalex`` scheme reads OpenAlex work ids (``W2741809807``,
``openalex:W...``, openalex.org and api.openalex.org URLs) and the ``mag``
scheme ``mag:NNN`` Microsoft Academic Graph ids, which only OpenAlex resolves.

Registered through the ``paperfuse`` entry-point group like any third-party
plugin, and uses only paperfuse's public API.
"""

from __future__ import annotations

from collections.abc import Iterable

import paperfuse

from ._cost import LIST_PRICE, SEARCH_PRICE, SINGLE_PRICE, Ledger
from ._mapping import abstract_from_inverted_index, to_work
from ._scheme import MagScheme, OpenAlexScheme
from ._snapshot import OpenAlexSnapshotSource
from ._source import OpenAlexSource

__all__ = [
    "LIST_PRICE",
    "SEARCH_PRICE",
    "SINGLE_PRICE",
    "Ledger",
    "MagScheme",
    "OpenAlexScheme",
    "OpenAlexSnapshotSource",
    "OpenAlexSource",
    "abstract_from_inverted_index",
    "to_work",
]


@paperfuse.hookimpl
def paperfuse_register_sources() -> Iterable[type[paperfuse.Source]]:
    return [OpenAlexSource, OpenAlexSnapshotSource]


@paperfuse.hookimpl
def paperfuse_register_schemes() -> Iterable[paperfuse.IdentifierScheme]:
    return [OpenAlexScheme(), MagScheme()]
