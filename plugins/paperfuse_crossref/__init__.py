"""paperfuse source for Crossref's REST API.

``crossref`` asks Crossref for the metadata of record of DOIs it registered
(several in one request), and answers title and citation queries with its
bibliographic search: authors with ORCIDs and affiliations, container, volume,
issue, pages, dates, licences, funders, relations between versions (a preprint
and its publication) and updates (corrections, retractions). A contact email
(``PAPERFUSE_EMAIL``) puts paperfuse in Crossref's polite pool; an optional
Metadata Plus token (``PAPERFUSE_CROSSREF_API_KEY``) is sent as Crossref asks.
``crossref-snapshot`` answers DOIs from a local copy of Crossref's annual
public data file instead (no network; docs/scale.md).

Registered through the ``paperfuse`` entry-point group like any third-party
plugin, and uses only paperfuse's public API.
"""

from __future__ import annotations

from collections.abc import Iterable

import paperfuse

from ._jats import abstract_text
from ._mapping import RETRACTING_UPDATES, work_to_record
from ._snapshot import CrossrefSnapshotSource
from ._source import CrossrefSource

__all__ = [
    "RETRACTING_UPDATES",
    "CrossrefSnapshotSource",
    "CrossrefSource",
    "abstract_text",
    "work_to_record",
]


@paperfuse.hookimpl
def paperfuse_register_sources() -> Iterable[type[paperfuse.Source]]:
    return [CrossrefSource, CrossrefSnapshotSource]
