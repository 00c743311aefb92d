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
from typing import TYPE_CHECKING

import paperfuse

from ._snapshot import CrossrefSnapshotSource
from ._source import CrossrefSource

if TYPE_CHECKING:
    from ._jats import abstract_text
    from ._mapping import RETRACTING_UPDATES, work_to_record

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


# Its mapping loads when first used: every run loads this plugin.
__getattr__, __dir__ = paperfuse.lazy_exports(
    __name__,
    {"abstract_text": "._jats", "RETRACTING_UPDATES": "._mapping", "work_to_record": "._mapping"},
)
