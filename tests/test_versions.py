"""Records people can cite, the engine's part: which agency holds a DOI, versions of one
work followed and merged with the version of record first, retractions kept."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from engine_resolvers import make_resolver
from paperfuse import (
    Config,
    Identifier,
    Ids,
    Relation,
    SourceSettings,
    Update,
    Work,
    merge,
)
from paperfuse.testing import fake_source

FIXTURES = Path(__file__).parent / "fixtures" / "doi_ra"


def _agency_source(agency: str, records: dict[str, Work]) -> type:
    """A source that, like the agencies' sources, answers only its agency's DOIs."""
    calls: list[str] = []

    async def lookup(self: Any, identifiers: Sequence[Identifier]) -> dict[Identifier, Any]:
        found: dict[Identifier, Any] = {}
        for identifier in identifiers:
            if await self.context.registration_agency(identifier.value) not in (agency, None):
                continue  # another agency's DOI: no request
            calls.append(identifier.value)
            found[identifier] = records.get(identifier.value)
        return found

    return type(
        f"Agency_{agency}",
        (fake_source(agency, ["doi"], batch_size=1),),
        {"lookup": lookup, "asked": calls},
    )


def _doi_org(server: HTTPServer) -> None:
    for prefix in ("10.7554", "10.5061"):
        body = (FIXTURES / f"commonmeta_ra_{prefix}.json").read_bytes()
        server.expect_request(f"/ra/{prefix}").respond_with_data(
            body, content_type="application/json"
        )


def _config(server: HTTPServer, tmp_path: Path, **extra: Any) -> Config:
    url = server.url_for("").rstrip("/")
    return Config(
        cache_dir=str(tmp_path), sources={"doi": SourceSettings(url=url, min_interval=0.0)}, **extra
    )


def test_a_doi_goes_only_to_its_registration_agency(httpserver: HTTPServer, tmp_path: Path) -> None:
    _doi_org(httpserver)
    crossref = _agency_source("crossref", {"10.7554/elife.01567": Work(title="Crossref work")})
    datacite = _agency_source("datacite", {"10.5061/dryad.8515": Work(title="Dryad data")})
    inputs = ["10.7554/eLife.01567", "10.5061/dryad.8515", "10.7554/elife.00001", "10.48550/x"]
    with make_resolver(crossref, datacite, config=_config(httpserver, tmp_path)) as resolver:
        works = list(resolver.resolve_many(inputs))
    assert [w.title for w in works[:2]] == ["Crossref work", "Dryad data"]
    assert crossref.asked == ["10.7554/elife.01567", "10.7554/elife.00001"]
    assert datacite.asked == ["10.5061/dryad.8515", "10.48550/x"]  # arXiv's: known, not asked
    asked = sorted(request.path for request, _ in httpserver.log)
    assert asked == ["/ra/10.7554"]  # once for its two DOIs; Dryad's and arXiv's are known


def test_an_agency_answer_is_kept_for_good(httpserver: HTTPServer, tmp_path: Path) -> None:
    _doi_org(httpserver)
    crossref = _agency_source("crossref", {})
    for _ in range(2):
        with make_resolver(crossref, config=_config(httpserver, tmp_path, use_cache=False)) as r:
            r.resolve("10.7554/elife.01567")
    assert len(httpserver.log) == 1  # the second run asked doi.org nothing


def test_an_unknown_agency_asks_every_agency_and_is_not_kept(tmp_path: Path) -> None:
    """doi.org unreachable: the agency is unknown, each source asks (nothing is lost)."""
    config = Config(
        cache_dir=str(tmp_path), sources={"doi": SourceSettings(url="http://127.0.0.1:9")}
    )
    crossref = _agency_source("crossref", {"10.1234/a": Work(title="Found anyway")})
    datacite = _agency_source("datacite", {})
    with make_resolver(crossref, datacite, config=config) as resolver:
        work = resolver.resolve("10.1234/a")
    assert work.title == "Found anyway"
    assert datacite.asked == ["10.1234/a"]


@pytest.mark.parametrize(
    "body",
    [b"<html>busy</html>", b"[]", b'[{"DOI": "10.7554", "RA": 7}]', b"[" * 100_000],
)
def test_an_odd_doi_org_answer_leaves_the_agency_unknown(
    httpserver: HTTPServer, tmp_path: Path, body: bytes
) -> None:
    httpserver.expect_request(re.compile("/ra/.*")).respond_with_data(body)
    crossref = _agency_source("crossref", {"10.7554/x": Work(title="T")})
    with make_resolver(crossref, config=_config(httpserver, tmp_path)) as resolver:
        assert resolver.resolve("10.7554/x").title == "T"


def test_a_preprint_and_its_published_version_become_one_record() -> None:
    """A preprint DOI names its published version: venue, date and DOI come from the latter."""
    preprint = Work(
        title="A preprint title",
        ids=Ids(doi="10.1101/097196"),
        type="posted-content",
        published="2017-01-02",
        relations=(Relation(type="is-preprint-of", scheme="doi", value="10.7554/ELIFE.01567"),),
    )
    published = Work(
        title="The published title",
        ids=Ids(doi="10.7554/elife.01567"),
        type="journal-article",
        venue="eLife",
        volume="3",
        published="2014-02-11",
        relations=(Relation(type="has-preprint", scheme="doi", value="10.1101/097196"),),
    )
    agency = fake_source(
        "crossref",
        ["doi"],
        records={("doi", "10.1101/097196"): preprint, ("doi", "10.7554/elife.01567"): published},
        batch_size=1,
    )
    oa = fake_source("unpaywall", ["doi"], records={}, batch_size=1)
    with make_resolver(agency, oa, config=Config(use_cache=False)) as resolver:
        work = resolver.resolve("10.1101/097196")
    assert work.status == "resolved"
    assert (work.ids.doi, work.venue, work.volume, work.published) == (
        "10.7554/elife.01567",
        "eLife",
        "3",
        "2014-02-11",
    )
    assert work.type == "journal-article"
    asked = sorted(call[2][0] for call in agency.calls)
    assert asked == ["doi:10.1101/097196", "doi:10.7554/elife.01567"]
    assert sorted(call[2][0] for call in oa.calls) == asked  # the OA source sees both too


def test_a_retraction_one_source_knows_of_holds_in_the_record() -> None:
    notice = Update(
        direction="updated-by", type="retraction", doi="10.5555/notice", source="retraction-watch"
    )
    merged = merge(
        [
            ("unpaywall", Work(title="T", retracted=False)),
            ("crossref", Work(title="T", retracted=True, updates=(notice,))),
        ]
    )
    assert merged.retracted is True
    assert merged.updates == (notice,)
    assert merged.provenance["retracted"].source == "crossref"


def test_the_registration_agency_wins_the_fields_of_record() -> None:
    merged = merge(
        [
            ("unpaywall", Work(venue="Nature (London)", volume=None, isbn=("1",))),
            ("crossref", Work(venue="Nature", volume="499", pages="418-422", isbn=("2",))),
            ("arxiv", Work(venue=None, abstract="From the preprint.")),
        ]
    )
    assert (merged.venue, merged.volume, merged.pages) == ("Nature", "499", "418-422")
    assert merged.provenance["venue"].source == "crossref"
    assert merged.isbn == ("2", "1")
    assert merged.abstract == "From the preprint."
