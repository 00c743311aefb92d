"""The landing-page source keeps the source contract of paperfuse.testing.

The contract points the source's URL at its fake upstream: the web source then
asks that gateway for every page, as ``{url}/{page URL}`` (as a Wayback Machine
root or a fetching proxy is used), so the page of ``https://www.nature.com/...``
is served from the upstream's ``/https://www.nature.com/...``. The page is
tests/fixtures/web/nature_highwire.html (BUILT from Nature's meta-tag
conventions; see PROVENANCE.md there).
"""

from __future__ import annotations

from pathlib import Path

import paperfuse_web
from paperfuse.testing import FakeUpstream, SourceContract

FIXTURES = Path(__file__).parents[1] / "fixtures" / "web"
PAGE = "https://www.nature.com/articles/nature12373"


class TestWebContract(SourceContract):
    plugin = paperfuse_web
    source = "web"
    found = (PAGE,)
    unknown = "https://www.nature.com/articles/not-there"

    def replay(self, upstream: FakeUpstream) -> None:
        upstream.answer(f"/{PAGE}", file=FIXTURES / "nature_highwire.html")
