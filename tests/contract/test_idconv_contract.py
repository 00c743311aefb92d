"""The PMC ID converter source keeps the source contract of paperfuse.testing.

The recorded answer of tests/fixtures/idconv/ (see PROVENANCE.md there) for
10.1038/ng.590 answers the converter; the converter answers unknown ids inside
a 200, so a 404 is a wrong URL: an error. It does not search.
"""

from __future__ import annotations

from pathlib import Path

import paperfuse_idconv
from paperfuse.testing import FakeUpstream, SourceContract

FIXTURES = Path(__file__).parents[1] / "fixtures" / "idconv"
PATH = "/tools/idconv/api/v1/articles/"


class TestIdConvContract(SourceContract):
    plugin = paperfuse_idconv
    source = "idconv"
    found = ("10.1038/ng.590",)
    not_found_status = None

    def replay(self, upstream: FakeUpstream) -> None:
        upstream.answer(
            PATH,
            file=FIXTURES / "rcrossref_idconv_doi_10.1038_ng.590.json",
            params={"idtype": "doi", "ids": "10.1038/ng.590"},
        )
