"""paperfuse sources for Unpaywall: the REST API v2 and its data snapshot.

``unpaywall`` asks the API for each DOI (the contact email from
``PAPERFUSE_EMAIL`` is required; without it the source is skipped with a
message that says how to set it) and searches titles; every OA location, the
Crossref metadata and Unpaywall's own view of the best copy come back.
``unpaywall-snapshot`` answers DOIs from a local snapshot file instead, for
more DOIs than the API's 100,000 calls a day allow.

Registered through the ``paperfuse`` entry-point group like any third-party
plugin, and uses only paperfuse's public API.
"""

from __future__ import annotations

from collections.abc import Iterable

import paperfuse

from ._mapping import doi_object_to_work
from ._snapshot import UnpaywallSnapshotSource, snapshot_records
from ._source import UnpaywallSource

__all__ = [
    "UnpaywallSnapshotSource",
    "UnpaywallSource",
    "doi_object_to_work",
    "snapshot_records",
]


@paperfuse.hookimpl
def paperfuse_register_sources() -> Iterable[type[paperfuse.Source]]:
    return [UnpaywallSource, UnpaywallSnapshotSource]
