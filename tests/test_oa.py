"""Tests of OA location pooling, status and the default ranking (paperfuse._oa).

Locations come from real Unpaywall records copied into tests/fixtures/unpaywall/ (see
PROVENANCE.md there) or are built from the URLs those records hold.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from paperfuse._oa import (
    DefaultOARanking,
    OARankingPolicy,
    is_open_license,
    location_key,
    location_status,
    pool_locations,
    rank_oa,
    summarize,
)
from paperfuse._records import Ids, OALocation, Work

FIXTURES = Path(__file__).parent / "fixtures" / "unpaywall"

NATURE = "unpywall_10.1038_nature12373.json"
PHYSREVE = "unpywall_10.1103_physreve.88.012814.json"
ENVINT = "unpywall_10.1016_j.envint.2020.105730.json"
JNS = "unpywall_10.1016_j.jns.2020.116832.json"
PRL = "snapshot/ezunpaywall_10.1103_physrevlett.120.052501.json"

VOR = "publisher's version of record (publishedVersion at the publisher, DOI known)"


def load(name: str) -> dict[str, Any]:
    """One recorded Unpaywall DOI object."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def to_work(record: dict[str, Any]) -> Work:
    """The few work fields the OA ranking reads, from an Unpaywall DOI object."""
    return Work(
        ids=Ids(doi=record["doi"]),
        title=record.get("title"),
        year=record.get("year"),
        journal_is_oa=record.get("journal_is_oa"),
        journal_is_in_doaj=record.get("journal_is_in_doaj"),
    )


def to_location(loc: dict[str, Any], source: str = "unpaywall") -> OALocation:
    """An Unpaywall oa_location as an OALocation, without Unpaywall's own verdicts."""
    return OALocation(
        url=loc["url"],
        url_for_pdf=loc.get("url_for_pdf"),
        url_for_landing_page=loc.get("url_for_landing_page"),
        host_type=loc.get("host_type"),
        version=loc.get("version"),
        license=loc.get("license"),
        evidence=loc.get("evidence"),
        oa_date=loc.get("oa_date"),
        pmh_id=loc.get("pmh_id"),
        updated=loc.get("updated"),
        source=source,
    )


def locations_of(record: dict[str, Any]) -> list[OALocation]:
    return [to_location(loc) for loc in record["oa_locations"]]


def urls(locations: Sequence[OALocation]) -> list[str]:
    return [loc.url for loc in locations]


# Real URLs of 10.1038/nature12373 (Kucsko et al., Nature 2013), from the Unpaywall record.
NATURE_DOI = "10.1038/nature12373"
PMC_AAM = OALocation(
    url="https://www.ncbi.nlm.nih.gov/pmc/articles/PMC4221854",
    url_for_landing_page="https://www.ncbi.nlm.nih.gov/pmc/articles/PMC4221854",
    host_type="repository",
    version="acceptedVersion",
    source="unpaywall",
)
EPMC_AAM = OALocation(
    url="http://europepmc.org/articles/pmc4221854?pdf=render",
    url_for_pdf="http://europepmc.org/articles/pmc4221854?pdf=render",
    url_for_landing_page="http://europepmc.org/articles/pmc4221854",
    host_type="repository",
    version="acceptedVersion",
    source="unpaywall",
)
ARXIV_PREPRINT = OALocation(
    url="http://arxiv.org/pdf/1304.1068",
    url_for_pdf="http://arxiv.org/pdf/1304.1068",
    url_for_landing_page="http://arxiv.org/abs/1304.1068",
    host_type="repository",
    version="submittedVersion",
    source="unpaywall",
)
DASH_VOR = OALocation(
    url="https://dash.harvard.edu/bitstream/1/12285462/1/Nanometer-Scale%20Thermometry.pdf",
    url_for_pdf="https://dash.harvard.edu/bitstream/1/12285462/1/Nanometer-Scale%20Thermometry.pdf",
    host_type="repository",
    version="publishedVersion",
    source="unpaywall",
)
#: A free copy at the publisher, added for the worked example of docs/oa-ranking.md.
NATURE_FREE = OALocation(
    url="https://www.nature.com/articles/nature12373",
    url_for_landing_page="https://www.nature.com/articles/nature12373",
    host_type="publisher",
    version="publishedVersion",
    source="unpaywall",
)
NATURE_WORK = Work(ids=Ids(doi=NATURE_DOI), journal_is_oa=False, journal_is_in_doaj=False)


# --- location_key ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://arxiv.org/abs/1304.1068", "https://arxiv.org/abs/1304.1068"),
        (
            "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC4221854",
            "https://ncbi.nlm.nih.gov/pmc/articles/PMC4221854/",
        ),
        (
            "https://WWW.NCBI.NLM.NIH.GOV/pmc/articles/PMC4221854",
            "http://www.ncbi.nlm.nih.gov/pmc/articles/PMC4221854",
        ),
        ("http://arxiv.org/abs/1304.1068#abstract", "http://arxiv.org/abs/1304.1068"),
        ("https://doi.org/10.1038/nature12373/", "https://doi.org/10.1038/nature12373"),
    ],
)
def test_location_key_equates_variants_of_one_url(a: str, b: str) -> None:
    assert location_key(a) == location_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # path case is kept: PMC ids in paths are not guaranteed case-insensitive
        ("http://europepmc.org/articles/pmc4221854", "http://europepmc.org/articles/PMC4221854"),
        # the query selects a different representation
        (
            "http://europepmc.org/articles/pmc4221854?pdf=render",
            "http://europepmc.org/articles/pmc4221854",
        ),
        # same repository record, two different files
        (
            "http://mediatum.ub.tum.de/doc/1536007/file.pdf",
            "https://mediatum.ub.tum.de/doc/1536007/document.pdf",
        ),
    ],
)
def test_location_key_keeps_what_distinguishes_copies(a: str, b: str) -> None:
    assert location_key(a) != location_key(b)


def test_location_key_shape() -> None:
    assert location_key("HTTPS://www.Example.EDU/Paper.PDF/?a=1#p2") == "example.edu/Paper.PDF?a=1"


# --- pool_locations -------------------------------------------------------------------------


def test_pool_merges_same_url_from_two_sources_and_fills_fields() -> None:
    from_unpaywall = OALocation(
        url="http://arxiv.org/abs/1304.1068",
        host_type="repository",
        version="submittedVersion",
        evidence="oa repository (via OAI-PMH doi match)",
        pmh_id="oai:arXiv.org:1304.1068",
        source="unpaywall",
    )
    from_arxiv = OALocation(
        url="https://arxiv.org/abs/1304.1068/",
        url_for_pdf="https://arxiv.org/pdf/1304.1068",
        host_type="repository",
        version="acceptedVersion",
        license="http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
        source="arxiv",
    )
    pooled = pool_locations([from_unpaywall, from_arxiv])
    assert len(pooled) == 1
    (one,) = pooled
    assert one.url == "http://arxiv.org/abs/1304.1068"  # the first seen URL stays
    assert one.url_for_pdf == "https://arxiv.org/pdf/1304.1068"  # filled from arXiv
    assert one.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert one.pmh_id == "oai:arXiv.org:1304.1068"  # kept from Unpaywall
    assert one.version == "submittedVersion"  # set fields are not overwritten
    assert one.source == "unpaywall,arxiv"


def test_pool_keeps_first_seen_order_and_distinct_urls() -> None:
    record = load(PRL)
    locations = locations_of(record)
    again = [
        OALocation(url=loc.url.replace("http://", "https://"), source="oab") for loc in locations
    ]
    pooled = pool_locations([*locations, *again])
    assert urls(pooled) == urls(locations)  # 15 distinct copies, in Unpaywall's order
    assert all(loc.source == "unpaywall,oab" for loc in pooled)


def test_pool_three_sources_www_and_trailing_slash() -> None:
    a = OALocation(url="https://www.ncbi.nlm.nih.gov/pmc/articles/PMC4221854", source="unpaywall")
    b = OALocation(
        url="http://ncbi.nlm.nih.gov/pmc/articles/PMC4221854/",
        version="acceptedVersion",
        source="oab",
    )
    c = OALocation(
        url="https://www.ncbi.nlm.nih.gov/pmc/articles/PMC4221854/",
        host_type="repository",
        source="unpaywall",
    )
    (one,) = pool_locations([a, b, c])
    assert one.source == "unpaywall,oab"  # a source is named once
    assert one.version == "acceptedVersion"
    assert one.host_type == "repository"


def test_pool_drops_locations_without_any_url() -> None:
    assert pool_locations([OALocation(url=""), EPMC_AAM]) == [EPMC_AAM]


# --- status -----------------------------------------------------------------------------------


def test_gold_publisher_copy_in_oa_journal() -> None:
    record = load(ENVINT)  # Environment International: journal_is_oa and in DOAJ
    work = to_work(record)
    publisher, pmc = locations_of(record)
    assert location_status(publisher, work) == "gold"
    assert location_status(pmc, work) == "green"
    ranked = rank_oa(work, [pmc, publisher])
    assert (ranked.is_oa, ranked.oa_status) == (True, "gold")
    assert ranked.best_oa_location is not None
    assert ranked.best_oa_location.url == "https://doi.org/10.1016/j.envint.2020.105730"
    assert ranked.oa_status == record["oa_status"]


def test_gold_when_only_in_doaj() -> None:
    work = Work(ids=Ids(doi="10.1016/j.envint.2020.105730"), journal_is_in_doaj=True)
    publisher = to_location(load(ENVINT)["oa_locations"][0])
    assert location_status(publisher, work) == "gold"


def test_hybrid_publisher_copy_with_cc_by_in_subscription_journal() -> None:
    record = load(PRL)  # Physical Review Letters, cc-by article
    work = to_work(record)
    ranked = rank_oa(work, locations_of(record))
    assert (ranked.is_oa, ranked.oa_status) == (True, "hybrid")
    assert ranked.oa_status == record["oa_status"]
    assert ranked.best_oa_location is not None
    assert ranked.best_oa_location.url == record["best_oa_location"]["url"]
    assert (
        ranked.best_oa_location.reason
        == f"{VOR}; ties with 1 other on version, won on order (listed first)"
    )
    statuses = {loc.url: loc.status for loc in ranked.oa_locations}
    assert statuses["https://doi.org/10.1103/physrevlett.120.052501"] == "hybrid"
    assert statuses["https://eprints.ucm.es/47042/1/FrailePrieto26libre.pdf"] == "green"


def test_bronze_free_publisher_copy_without_licence() -> None:
    record = load(JNS)
    work = to_work(record)
    ranked = rank_oa(work, locations_of(record))
    assert (ranked.is_oa, ranked.oa_status) == (True, "bronze")
    assert ranked.oa_status == record["oa_status"]
    assert ranked.best_oa_location is not None
    assert ranked.best_oa_location.url == "https://doi.org/10.1016/j.jns.2020.116832"
    assert ranked.best_oa_location.reason == f"{VOR}; best of 2 locations"


def test_author_manuscript_licence_is_not_open() -> None:
    # Unpaywall called this APS accepted manuscript "hybrid" (evidence: crossref license);
    # paperfuse's rule counts only open licences, and "publisher-specific, author manuscript"
    # is not one, so this free publisher copy is bronze.
    record = load(PHYSREVE)
    work = to_work(record)
    aps, arxiv = locations_of(record)
    assert location_status(aps, work) == "bronze"
    assert location_status(arxiv, work) == "green"
    ranked = rank_oa(work, [arxiv, aps])
    assert ranked.best_oa_location is not None
    assert ranked.best_oa_location.url == "https://link.aps.org/accepted/10.1103/PhysRevE.88.012814"
    assert ranked.best_oa_location.reason == "accepted manuscript with a PDF; best of 2 locations"
    assert ranked.oa_status == "bronze"


def test_green_only_repository_copies() -> None:
    record = load(NATURE)
    work = to_work(record)
    ranked = rank_oa(work, locations_of(record))
    assert (ranked.is_oa, ranked.oa_status) == (True, "green")
    assert ranked.oa_status == record["oa_status"]
    # The same order Unpaywall gives: DASH published PDF, Europe PMC, PMC, arXiv.
    assert urls(ranked.oa_locations) == [loc["url"] for loc in record["oa_locations"]]
    assert ranked.best_oa_location is not None
    assert ranked.best_oa_location.url == record["best_oa_location"]["url"]
    assert ranked.best_oa_location.reason == "published version with a PDF; best of 4 locations"


def test_closed_without_locations() -> None:
    ranked = rank_oa(NATURE_WORK, [])
    assert (ranked.is_oa, ranked.oa_status, ranked.best_oa_location) == (False, "closed", None)
    assert ranked.oa_locations == ()
    assert summarize(NATURE_WORK, ()) == (False, "closed", None)


@pytest.mark.parametrize(
    ("license", "open_"),
    [
        ("cc-by", True),
        ("cc-by-nc-nd", True),
        ("cc-by-sa", True),
        ("cc0", True),
        ("public-domain", True),
        ("pd", True),
        ("https://creativecommons.org/licenses/by/4.0/", True),
        ("publisher-specific-oa", False),
        ("implied-oa", False),
        (
            "publisher-specific, author manuscript: http://link.aps.org/licenses/aps-default-accepted-manuscript-license",
            False,
        ),
        ("http://arxiv.org/licenses/nonexclusive-distrib/1.0/", False),
        (None, False),
        ("", False),
    ],
)
def test_open_licences(license: str | None, open_: bool) -> None:
    assert is_open_license(license) is open_
    work = Work(ids=Ids(doi=NATURE_DOI), journal_is_oa=False)
    location = OALocation(
        url="https://www.nature.com/articles/nature12373", host_type="publisher", license=license
    )
    assert location_status(location, work) == ("hybrid" if open_ else "bronze")


def test_unknown_host_type_inferred_from_doi_link() -> None:
    work = Work(ids=Ids(doi="10.1016/j.jns.2020.116832"))
    at_doi = OALocation(url="https://doi.org/10.1016/J.JNS.2020.116832", version="publishedVersion")
    other_doi = OALocation(url="https://doi.org/10.1016/j.tmaid.2020.101663")
    repository = OALocation(url="https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7151535")
    assert location_status(at_doi, work) == "bronze"
    assert location_status(other_doi, work) == "green"
    assert location_status(repository, work) == "green"
    assert location_status(at_doi, Work()) == "green"  # no DOI known: nothing says publisher
    # the inferred publisher copy also counts as the version of record
    ranked = DefaultOARanking().rank(work, [repository, at_doi])
    assert ranked[0] is not None
    assert ranked[0].url == at_doi.url
    assert ranked[0].reason == f"{VOR}; best of 2 locations"


# --- order --------------------------------------------------------------------------------------


def _tiers() -> list[OALocation]:
    """One location per tier, best first."""
    return [
        NATURE_FREE,  # 1 version of record at the publisher, DOI known
        DASH_VOR,  # 2 published, PDF
        OALocation(
            url="https://dash.harvard.edu/handle/1/12285462",
            host_type="repository",
            version="publishedVersion",
        ),  # 3 published
        EPMC_AAM,  # 4 accepted, PDF
        PMC_AAM,  # 5 accepted
        ARXIV_PREPRINT,  # 6 submitted, PDF
        OALocation(
            url="http://arxiv.org/abs/1304.1068", host_type="repository", version="submittedVersion"
        ),  # 7 submitted
        OALocation(url="https://scholar.archive.org/work/nature12373", host_type="repository"),
    ]


def test_every_step_of_the_order() -> None:
    best_first = _tiers()
    ranked = DefaultOARanking().rank(NATURE_WORK, list(reversed(best_first)))
    assert urls(ranked) == urls(best_first)


@pytest.mark.parametrize("step", range(7))
def test_each_step_beats_the_next(step: int) -> None:
    tiers = _tiers()
    better, worse = tiers[step], tiers[step + 1]
    ranked = DefaultOARanking().rank(NATURE_WORK, [worse, better])
    assert urls(ranked) == [better.url, worse.url]
    assert ranked[0].reason is not None
    assert ranked[0].reason.endswith("; best of 2 locations")


def test_version_of_record_needs_a_doi() -> None:
    publisher = NATURE_FREE  # published at the publisher, no PDF
    repository = DASH_VOR  # published in a repository, with a PDF
    with_doi = DefaultOARanking().rank(NATURE_WORK, [repository, publisher])
    without_doi = DefaultOARanking().rank(Work(), [publisher, repository])
    assert urls(with_doi) == [publisher.url, repository.url]
    assert urls(without_doi) == [repository.url, publisher.url]
    assert without_doi[0].reason == "published version with a PDF; best of 2 locations"


def test_rank_sets_status_best_flag_and_reason_only_on_the_winner() -> None:
    record = load(NATURE)
    stale = [
        OALocation(
            url=loc.url, version=loc.version, host_type=loc.host_type, is_best=True, reason="x"
        )
        for loc in locations_of(record)
    ]
    ranked = DefaultOARanking().rank(to_work(record), stale)
    assert [loc.is_best for loc in ranked] == [True, False, False, False]
    assert [loc.reason is None for loc in ranked] == [False, True, True, True]
    assert all(loc.status == "green" for loc in ranked)


# --- tie-breaks -----------------------------------------------------------------------------


def _accepted_pdf(url: str, host_type: str = "repository") -> OALocation:
    return OALocation(url=url, url_for_pdf=url, host_type=host_type, version="acceptedVersion")


EPMC = _accepted_pdf("https://europepmc.org/articles/PMC4221854?pdf=render")
PMC = _accepted_pdf("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC4221854/pdf/nihms-628431.pdf")
ARXIV = _accepted_pdf("https://arxiv.org/pdf/1304.1068v2")
EDU = _accepted_pdf(
    "https://dash.harvard.edu/bitstream/1/12285462/1/Nanometer-Scale%20Thermometry.pdf"
)
OTHER = _accepted_pdf("http://eprints.whiterose.ac.uk/126821/1/proof_no_cover2.pdf")


def test_host_tie_break_order() -> None:
    ranked = DefaultOARanking().rank(NATURE_WORK, [OTHER, EDU, ARXIV, PMC, EPMC])
    assert urls(ranked) == urls([EPMC, PMC, ARXIV, EDU, OTHER])
    assert ranked[0].reason == (
        "accepted manuscript with a PDF; ties with 4 others on version, "
        "won on host (Europe PMC before PMC)"
    )


@pytest.mark.parametrize(
    ("winner", "loser", "names"),
    [
        (EPMC, PMC, "Europe PMC before PMC"),
        (PMC, ARXIV, "PMC before arXiv"),
        (ARXIV, EDU, "arXiv before .edu host"),
        (EDU, OTHER, ".edu host before other host"),
    ],
)
def test_each_host_tie_break(winner: OALocation, loser: OALocation, names: str) -> None:
    ranked = DefaultOARanking().rank(NATURE_WORK, [loser, winner])
    assert urls(ranked) == [winner.url, loser.url]
    assert ranked[0].reason == (
        f"accepted manuscript with a PDF; ties with 1 other on version, won on host ({names})"
    )


def test_new_pmc_host_counts_as_pmc() -> None:
    new_pmc = _accepted_pdf("https://pmc.ncbi.nlm.nih.gov/articles/PMC4221854/")
    pubmed = _accepted_pdf("https://pubmed.ncbi.nlm.nih.gov/23903748/")
    ranked = DefaultOARanking().rank(NATURE_WORK, [pubmed, ARXIV, new_pmc])
    assert urls(ranked) == urls([new_pmc, ARXIV, pubmed])


def test_publisher_before_repository_on_equal_host() -> None:
    record = load(PHYSREVE)
    work = to_work(record)
    aps = to_location(record["oa_locations"][0])  # publisher, accepted, PDF
    repository = _accepted_pdf("http://eprints.whiterose.ac.uk/126821/2/PhysRevLett.120.052501.pdf")
    ranked = DefaultOARanking().rank(work, [repository, aps])
    assert urls(ranked) == [aps.url, repository.url]
    assert ranked[0].reason == (
        "accepted manuscript with a PDF; ties with 1 other on version, "
        "won on host type (publisher before repository)"
    )


def test_stable_order_on_full_ties() -> None:
    record = load(PRL)
    work = to_work(record)
    accepted = [loc for loc in locations_of(record) if loc.version == "acceptedVersion"]
    assert len(accepted) == 4
    forward = DefaultOARanking().rank(work, accepted)
    backward = DefaultOARanking().rank(work, list(reversed(accepted)))
    assert urls(forward) == urls(accepted)
    assert urls(backward) == list(reversed(urls(accepted)))
    assert forward[0].reason == (
        "accepted manuscript with a PDF; ties with 3 others on version, won on order (listed first)"
    )


# --- reasons and the worked example of docs/oa-ranking.md ---------------------------------------


def test_worked_example_publisher_bronze_beats_pmc_and_arxiv() -> None:
    ranked = rank_oa(NATURE_WORK, [ARXIV_PREPRINT, PMC_AAM, NATURE_FREE])
    assert urls(ranked.oa_locations) == urls([NATURE_FREE, PMC_AAM, ARXIV_PREPRINT])
    assert [loc.status for loc in ranked.oa_locations] == ["bronze", "green", "green"]
    assert ranked.oa_status == "bronze"
    assert ranked.best_oa_location is not None
    assert ranked.best_oa_location.reason == f"{VOR}; best of 3 locations"


def test_without_the_publisher_copy_the_accepted_manuscript_wins() -> None:
    ranked = rank_oa(NATURE_WORK, [ARXIV_PREPRINT, PMC_AAM])
    assert ranked.best_oa_location is not None
    assert ranked.best_oa_location.url == PMC_AAM.url
    assert ranked.best_oa_location.reason == "accepted manuscript; best of 2 locations"
    assert ranked.oa_status == "green"


def test_only_location_reason() -> None:
    (only,) = DefaultOARanking().rank(NATURE_WORK, [ARXIV_PREPRINT])
    assert only.reason == "submitted version (preprint) with a PDF; the only location"
    unknown = OALocation(url="https://scholar.archive.org/work/nature12373")
    (only,) = DefaultOARanking().rank(NATURE_WORK, [unknown])
    assert only.reason == "copy of unknown version; the only location"


# --- rank_oa and policies ---------------------------------------------------------------------


def test_rank_oa_pools_before_ranking() -> None:
    from_arxiv = OALocation(
        url="https://arxiv.org/pdf/1304.1068",
        host_type="repository",
        version="submittedVersion",
        source="arxiv",
    )
    ranked = rank_oa(NATURE_WORK, [ARXIV_PREPRINT, PMC_AAM, from_arxiv])
    assert len(ranked.oa_locations) == 2
    arxiv = ranked.oa_locations[1]
    assert arxiv.source == "unpaywall,arxiv"
    assert arxiv.url_for_landing_page == "http://arxiv.org/abs/1304.1068"


class _Reversed:
    """A replacement policy: the opposite of the default order, statuses left unset."""

    def rank(self, work: Work, locations: Sequence[OALocation]) -> tuple[OALocation, ...]:
        return tuple(
            OALocation(url=loc.url, host_type=loc.host_type, version=loc.version)
            for loc in reversed(locations)
        )


def test_rank_oa_uses_the_given_policy_and_fills_statuses() -> None:
    assert isinstance(DefaultOARanking(), OARankingPolicy)
    assert isinstance(_Reversed(), OARankingPolicy)
    ranked = rank_oa(NATURE_WORK, [NATURE_FREE, PMC_AAM], policy=_Reversed())
    assert urls(ranked.oa_locations) == [PMC_AAM.url, NATURE_FREE.url]
    assert [loc.status for loc in ranked.oa_locations] == ["green", "bronze"]
    assert (ranked.is_oa, ranked.oa_status) == (True, "green")


def test_summarize_follows_the_first_location() -> None:
    ranked = DefaultOARanking().rank(NATURE_WORK, [PMC_AAM, NATURE_FREE])
    is_oa, status, best = summarize(NATURE_WORK, ranked)
    assert (is_oa, status) == (True, "bronze")
    assert best == ranked[0]


class _ArxivFirst(DefaultOARanking):
    """A tweak of the default: arXiv before the PMCs, everything else unchanged."""

    host_order = ("arXiv", "Europe PMC", "PMC", ".edu host", "other host")


def test_subclass_changes_one_criterion_and_keeps_the_reasons() -> None:
    ranked = _ArxivFirst().rank(NATURE_WORK, [EPMC, PMC, ARXIV])
    assert urls(ranked) == urls([ARXIV, EPMC, PMC])
    assert ranked[0].reason == (
        "accepted manuscript with a PDF; ties with 2 others on version, "
        "won on host (arXiv before Europe PMC)"
    )


def test_location_key_without_scheme() -> None:
    assert location_key("www.europepmc.org/articles/PMC4221854/") == location_key(
        "https://europepmc.org/articles/PMC4221854"
    )
