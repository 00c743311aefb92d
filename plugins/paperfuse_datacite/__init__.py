"""paperfuse source for DataCite, the registration agency of research data and software.

``datacite`` asks DataCite's REST API (``/dois/{doi}``) for the DOIs it
registered: datasets, software, arXiv's 10.48550 DOIs, Zenodo, figshare,
Dryad and many repositories. Creators with given and family names, ORCIDs
and affiliations; titles; publisher; dates; type; container; licence;
funders; and the related identifiers (versions, preprints, identical works)
that the resolver follows to the same work's other records.

Registered through the ``paperfuse`` entry-point group like any third-party
plugin, and uses only paperfuse's public API.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import paperfuse

from ._source import DataCiteSource

if TYPE_CHECKING:
    from ._mapping import attributes_to_work, clean_text, doi_record_to_work, relation_type

__all__ = [
    "DataCiteSource",
    "attributes_to_work",
    "clean_text",
    "doi_record_to_work",
    "relation_type",
]


@paperfuse.hookimpl
def paperfuse_register_sources() -> Iterable[type[paperfuse.Source]]:
    return [DataCiteSource]


# Its mapping loads when first used: every run loads this plugin.
__getattr__, __dir__ = paperfuse.lazy_exports(
    __name__,
    {
        "attributes_to_work": "._mapping",
        "clean_text": "._mapping",
        "doi_record_to_work": "._mapping",
        "relation_type": "._mapping",
    },
)
