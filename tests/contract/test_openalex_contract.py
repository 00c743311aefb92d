"""The OpenAlex source and its schemes keep the contracts of paperfuse.testing.

Recorded bodies from tests/fixtures/openalex/ (see PROVENANCE.md there), replayed
by tests/openalex_replay.py: single works answer ``/works/{key}``; the title
search is answered in the recorded list's shape around recorded works.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import paperfuse_openalex
from openalex_replay import PLOS_TITLE, replay
from paperfuse.testing import FakeUpstream, SchemeContract, SourceContract
from paperfuse_openalex import MagScheme, OpenAlexScheme


class TestOpenAlexContract(SourceContract):
    plugin = paperfuse_openalex
    source = "openalex"
    found = ("W1982728624", "https://openalex.org/W2581393460", "10.1017/9781108348843")
    unknown = "10.1371/not-there"
    search_title = PLOS_TITLE
    #: OpenAlex requires an API key: every test gives the suite's fake one.
    settings: ClassVar[Mapping[str, Any]] = {"api_key": SourceContract.api_key}

    def replay(self, upstream: FakeUpstream) -> None:
        replay(upstream)


class TestOpenAlexSchemeContract(SchemeContract):
    scheme = OpenAlexScheme
    valid = (
        "W1982728624",
        "w1982728624",
        "openalex:W2581393460",
        "https://openalex.org/W97658052",
        "https://api.openalex.org/works/W97658052",
        "http://openalex.org/works/w97658052",
    )
    malformed = ("openalex:A5070892021", "https://openalex.org/W12", "https://openalex.org/S123")


class TestMagSchemeContract(SchemeContract):
    scheme = MagScheme
    valid = ("mag:1982728624", "MAG: 2741809807")
    malformed = ("mag:W123", "mag:")
