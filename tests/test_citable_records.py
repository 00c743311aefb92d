"""Records people can cite: a journal DOI resolved through its registration agency and
Unpaywall together, from recorded answers replayed by a local server.

Crossref's answer for 10.1038/nature12373 and Unpaywall's for the same DOI are
both real (see tests/fixtures/crossref/PROVENANCE.md and
tests/fixtures/unpaywall/PROVENANCE.md); doi.org is not asked here (its root
is a closed port), so the agency is unknown and every DOI source is asked.
"""

from __future__ import annotations

from pathlib import Path

from pytest_httpserver import HTTPServer

import paperfuse
import paperfuse_crossref
import paperfuse_unpaywall
from paperfuse import Config, SourceSettings

FIXTURES = Path(__file__).parent / "fixtures"
EMAIL = "librarian@example.org"


def _serve(server: HTTPServer) -> None:
    crossref = (FIXTURES / "crossref" / "skgif_10.1038_nature12373.json").read_bytes()
    unpaywall = (FIXTURES / "unpaywall" / "unpywall_10.1038_nature12373.json").read_bytes()
    server.expect_request("/works/10.1038/nature12373").respond_with_data(
        crossref, content_type="application/json"
    )
    server.expect_request("/v2/10.1038/nature12373").respond_with_data(
        unpaywall, content_type="application/json"
    )


def test_a_journal_doi_is_citable_with_its_free_copy(httpserver: HTTPServer) -> None:
    _serve(httpserver)
    url = httpserver.url_for("").rstrip("/")
    config = Config(
        email=EMAIL,
        use_cache=False,
        sources={
            "crossref": SourceSettings(url=url, min_interval=0.0),
            "unpaywall": SourceSettings(url=url, min_interval=0.0),
            "doi": SourceSettings(url="http://127.0.0.1:9"),
        },
    )
    plugins = {"crossref": paperfuse_crossref, "unpaywall": paperfuse_unpaywall}
    with paperfuse.Resolver(config, entry_points=False, plugins=plugins) as resolver:
        work = resolver.resolve("https://doi.org/10.1038/NATURE12373")

    assert work.status == "resolved"
    statuses = {r.name: r.status for r in work.sources}
    assert (statuses["crossref"], statuses["unpaywall"]) == ("ok", "ok")
    # The metadata of record, from the registration agency.
    assert (work.venue, work.volume, work.issue, work.pages) == ("Nature", "500", "7460", "54-58")
    assert work.container_short == "Nature"
    assert work.published is not None
    assert work.published.startswith("2013-07")
    assert work.publisher == "Springer Science and Business Media LLC"
    assert work.type == "journal-article"
    assert work.language == "en"
    assert work.references_count == 30
    first = work.authors[0]
    assert (first.given, first.family, first.sequence) == ("G.", "Kucsko", "first")
    assert all(a.given and a.family for a in work.authors)
    for field in ("venue", "volume", "issue", "pages", "authors"):
        assert work.provenance[field].source == "crossref", field
    # The free copies, from Unpaywall, ranked in the same record.
    assert work.is_oa is True
    assert work.oa_status == "green"
    assert work.best_oa_location is not None
    assert len(work.oa_locations) == 4
    assert work.provenance["oa_locations"].source == "unpaywall"
