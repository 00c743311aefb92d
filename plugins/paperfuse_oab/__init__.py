"""paperfuse source for the Open Access Button API.

Finds a free copy and metadata for a DOI, PMCID, PMID, URL, title or
citation; the DOI or PMCID it reveals goes back to the resolver (the one way,
among the built-in sources, from a PMID to a DOI). Since November 2025 the
public API answers HTTP 410: the source then steps aside, reported ``gone``,
and the other sources finish the work.

Registered through the ``paperfuse`` entry-point group like any third-party
plugin, and uses only paperfuse's public API.
"""

from __future__ import annotations

from collections.abc import Iterable

import paperfuse

from ._mapping import find_answer_to_work
from ._source import OABSource

__all__ = ["OABSource", "find_answer_to_work"]


@paperfuse.hookimpl
def paperfuse_register_sources() -> Iterable[type[paperfuse.Source]]:
    return [OABSource]
