"""The OpenAlex source: the mapping of three answer shapes, resolution through a local
server, the API key, and requests planned by what they cost.

Expected values were read by eye from the files in tests/fixtures/openalex/ (see
PROVENANCE.md there). Bodies built in this file or in tests/openalex_replay.py say so.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
import pytest
from turns import TurnCounter

import paperfuse_openalex
from openalex_replay import (
    BIORXIV,
    BOOK,
    PLOS,
    PLOS_TITLE,
    list_answer,
    load,
    replay,
    synthetic_work,
)
from paperfuse import Work
from paperfuse.testing import CLI, Asked, FakeUpstream, Isolation, Reply, ResolverFactory, report
from paperfuse_openalex import abstract_from_inverted_index, to_work

KEY = "oa-test-key-3f2a9c81"
OLD_2025 = "commonmeta_2025_work_10.1371_journal.pone.0000030.json"
OLD_2022 = "researchassistant_2022_work_W2741809807_host_venue.json"


def mapped(name: str) -> Work:
    work = to_work(load(name))
    assert work is not None
    return work


def resolver_for(factory: ResolverFactory, upstream: FakeUpstream, **options: Any) -> Any:
    return factory(
        paperfuse_openalex,
        urls={"openalex": upstream.url},
        settings={"openalex": {"api_key": KEY, "options": options}},
    )


# -- the mapping: the 2026 shape ---------------------------------------------------------------


def test_a_2026_journal_article_is_mapped_field_by_field() -> None:
    work = mapped(PLOS)
    assert work.ids.doi == "10.1371/journal.pone.0000030"
    assert work.ids.pmid == "17183658"
    assert work.ids.pmcid == "PMC1762313"  # from the PMC location's oai:pubmedcentral.nih.gov id
    assert work.ids.other == {"openalex": "W1982728624", "mag": "1982728624"}
    assert work.title == PLOS_TITLE
    assert (work.published, work.year, work.language) == ("2006-12-20", 2006, "en")
    assert (work.venue, work.issn_l, work.issn) == ("PLoS ONE", "1932-6203", ("1932-6203",))
    assert work.publisher == "Public Library of Science"
    assert (work.volume, work.issue, work.pages) == ("1", "1", "e30")
    assert work.type == "journal-article"  # the primary location's Crossref type
    assert (work.journal_is_oa, work.journal_is_in_doaj) == (True, True)
    assert (work.is_oa, work.oa_status, work.retracted) == (True, "gold", False)
    assert work.cited_by_count == 85
    first = work.authors[0]
    assert (first.name, first.orcid, first.sequence) == (
        "Markus Ralser",
        "https://orcid.org/0000-0001-9535-7413",
        "first",
    )
    assert first.given is None
    assert first.family is None
    (institution,) = first.institutions
    assert (institution.name, institution.ror, institution.country) == (
        "Max Planck Institute for Molecular Genetics",
        "https://ror.org/03ate3e03",
        "DE",
    )
    assert first.affiliations[0] == "Max Planck Institute for Molecular Genetics, Berlin, Germany"
    assert work.authors[-1].sequence == "additional"
    assert work.abstract is not None
    assert work.abstract.startswith("Triosephosphate isomerase (TPI) deficiency is an autosomal")
    assert "Animals" in work.mesh
    assert "Triosephosphate isomerase" in work.keywords
    assert work.extra["openalex"]["content_urls"]["pdf"].endswith("W1982728624.pdf")
    assert work.extra["openalex"]["type"] == "article"


def test_2026_funders_carry_their_ror_ids_and_awards() -> None:
    funders = {f.name: f for f in mapped(PLOS).funders}
    assert set(funders) == {
        "Wayne State University",
        "University of New South Wales",
        "Austrian Science Fund",
        "Max-Planck-Gesellschaft",
    }
    fwf = funders["Austrian Science Fund"]
    assert (fwf.ror, fwf.awards) == ("https://ror.org/013tf3c58", ("S9302-B05",))
    assert funders["Wayne State University"].awards == ()


def test_every_free_location_is_an_oa_location_and_the_best_is_marked() -> None:
    data = load(PLOS)
    work = mapped(PLOS)
    free = [loc for loc in data["locations"] if loc["is_oa"]]
    assert len(work.oa_locations) == len(free) < len(data["locations"])
    publisher = work.oa_locations[0]
    assert publisher.url_for_pdf == data["primary_location"]["pdf_url"]
    assert publisher.url_for_landing_page == "https://doi.org/10.1371/journal.pone.0000030"
    assert (publisher.host_type, publisher.version, publisher.license) == (
        "publisher",
        "publishedVersion",
        "cc-by",
    )
    assert publisher.is_best is True
    assert publisher.source == "openalex"
    assert work.best_oa_location == publisher
    doaj = next(loc for loc in work.oa_locations if "doaj.org" in loc.url)
    assert (doaj.host_type, doaj.version, doaj.license) == (
        "repository",
        "submittedVersion",
        "cc-by-sa",
    )
    assert doaj.pmh_id == "oai:doaj.org/article:2ffe296abbf34d4387df9705584a8543"


def test_a_preprint_is_posted_content_in_a_repository() -> None:
    work = mapped(BIORXIV)
    assert work.type == "posted-content"
    assert work.ids.other["openalex"] == "W2581393460"
    (location,) = work.oa_locations
    assert (location.host_type, location.version) == ("repository", "acceptedVersion")
    assert location.repository_institution == "bioRxiv (Cold Spring Harbor Laboratory)"


def test_locations_reveal_an_arxiv_copy_and_another_doi_of_the_work() -> None:
    """Two locations added here to the recorded preprint, in the 2026 shape: an arXiv
    copy (OAI-PMH id and arxiv.org URL) and the published version's DOI."""
    data = load(BIORXIV)
    data["locations"] += [
        {
            "id": "pmh:oai:arXiv.org:1710.08557",
            "is_oa": True,
            "landing_page_url": "https://arxiv.org/abs/1710.08557",
            "source": {"type": "repository", "display_name": "arXiv"},
        },
        {"id": "doi:10.5555/Published", "is_oa": False, "landing_page_url": None},
    ]
    work = to_work(data)
    assert work is not None
    assert work.ids.arxiv == "1710.08557"
    assert [(r.type, r.scheme, r.value) for r in work.relations] == [
        ("has-version", "doi", "10.5555/published")
    ]
    assert len(work.oa_locations) == 2  # the closed one is no OA location


def test_a_book_is_a_book() -> None:
    work = mapped(BOOK)
    assert work.ids.doi == "10.1017/9781108348843"
    assert work.type == "monograph"  # Crossref's type, as the primary location gives it


# -- the mapping: older shapes ----------------------------------------------------------------


def test_the_2025_shape_with_type_crossref_grants_and_versions() -> None:
    data = load(OLD_2025)
    assert "type_crossref" in data
    assert "grants" in data
    assert "awards" not in data
    work = mapped(OLD_2025)
    assert work.type == "journal-article"
    assert work.ids.doi == "10.1371/journal.pone.0000030"
    assert work.venue == "PLoS ONE"
    assert work.oa_locations
    assert work.best_oa_location is not None
    # grants in the older shape (the recorded list is empty; these entries are built here)
    data["grants"] = [
        {
            "funder": "https://openalex.org/F4320321181",
            "funder_display_name": "Austrian Science Fund",
            "award_id": "S9302-B05",
        },
        {
            "funder": "https://openalex.org/F4320321181",
            "funder_display_name": "Austrian Science Fund",
            "award_id": "P-123",
        },
        {"funder": None, "funder_display_name": None, "award_id": "orphan"},
    ]
    data["versions"] = ["https://openalex.org/W1"]
    work = to_work(data)
    assert work is not None
    (funder,) = work.funders
    assert (funder.name, funder.awards) == ("Austrian Science Fund", ("S9302-B05", "P-123"))
    assert work.extra["openalex"]["versions"] == ["W1"]


def test_the_2022_shape_with_host_venue_and_alternate_host_venues() -> None:
    work = mapped(OLD_2022)
    assert work.ids.doi == "10.7717/peerj.4375"
    assert (work.ids.pmid, work.ids.pmcid) == ("29456894", "PMC5815332")
    assert (work.venue, work.issn_l, work.publisher) == ("PeerJ", "2167-8359", "PeerJ")
    assert (work.type, work.volume, work.pages) == ("journal-article", "6", None)
    urls = [loc.url for loc in work.oa_locations]
    assert urls == [
        "https://doi.org/10.7717/peerj.4375",
        "https://peerj.com/articles/4375.pdf",
        "http://europepmc.org/articles/pmc5815332?pdf=render",
    ]
    assert [loc.host_type for loc in work.oa_locations] == ["publisher", "publisher", "repository"]
    assert work.best_oa_location is not None
    assert work.best_oa_location.url == "https://peerj.com/articles/4375.pdf"
    assert work.authors[0].affiliations == ("Impactstory, Sanford, NC, USA",)
    assert work.authors[0].institutions[0].ror == "https://ror.org/02nr0ka47"


def test_the_abstract_is_rebuilt_from_the_inverted_index() -> None:
    index = {"world": [1, 3], "hello": [0], "again": [2], 5: [4], "x": "bad", "y": [-1, "2"]}
    index |= {"flag": [True, False], "far": [2**70, 10**6], "half": [2.0]}  # no positions
    assert abstract_from_inverted_index(index) == "hello world again world"
    assert abstract_from_inverted_index({}) is None
    assert abstract_from_inverted_index(None) is None


def test_wrong_types_cost_only_their_field() -> None:
    data = load(PLOS)
    data |= {"publication_year": "2006", "title": 12, "biblio": [], "funders": "x"}
    data["authorships"] = [{"author": {"display_name": "Ada Lovelace", "orcid": "nonsense"}}, 7]
    data["locations"] = [{"is_oa": True}, {"is_oa": "yes", "pdf_url": "https://x.org/a.pdf"}]
    data["ids"] = {"pmid": "https://pubmed.ncbi.nlm.nih.gov/0", "mag": 12}
    work = to_work(data)
    assert work is not None
    assert (work.year, work.title, work.volume) == (2006, PLOS_TITLE, None)
    # the funders list is unreadable; the awards still name their funder
    assert [(f.name, f.ror, f.awards) for f in work.funders] == [
        ("Austrian Science Fund", None, ("S9302-B05",))
    ]
    assert [(a.name, a.orcid) for a in work.authors] == [("Ada Lovelace", None)]
    assert work.ids.pmid is None
    assert "mag" not in work.ids.other
    assert work.oa_locations == () or all(loc.url for loc in work.oa_locations)
    assert to_work({"id": "https://openalex.org/A123"}) is None
    assert to_work(["a list"]) is None


# -- resolution through a local server --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("https://openalex.org/W1982728624", "/works/W1982728624"),
        ("PMID:17183658", "/works/pmid:17183658"),
        ("10.1371/journal.pone.0000030", "/works/doi:10.1371/journal.pone.0000030"),
        ("mag:1982728624", "/works/mag:1982728624"),
    ],
)
def test_a_w_id_a_pmid_a_doi_and_a_mag_id_resolve_with_oa_locations_and_split_names(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory, text: str, path: str
) -> None:
    replay(paperfuse_upstream)
    with resolver_for(paperfuse_resolver, paperfuse_upstream) as resolver:
        work = resolver.resolve(text)
    assert work.status == "resolved", work.error
    assert report(work, "openalex").status == "ok"
    assert work.title == PLOS_TITLE
    assert work.ids.other["openalex"] == "W1982728624"
    assert work.oa_locations
    assert work.oa_status == "gold"
    assert work.best_oa_location is not None
    assert work.best_oa_location.source == "openalex"
    first = work.authors[0]
    assert (first.given, first.family, first.split_by_paperfuse) == ("Markus", "Ralser", True)
    assert first.institutions[0].ror == "https://ror.org/03ate3e03"
    asked = paperfuse_upstream.requests(re.compile("/works.*"))
    assert asked[0].path == path
    assert asked[0].params["api_key"] == KEY
    assert KEY not in msgspec.json.encode(work).decode()


def test_without_an_api_key_the_source_is_skipped_with_how_to_get_one(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    replay(paperfuse_upstream)
    with paperfuse_resolver(
        paperfuse_openalex, urls={"openalex": paperfuse_upstream.url}
    ) as resolver:
        work = resolver.resolve("W1982728624")
    skipped = report(work, "openalex")
    assert skipped.status == "skipped"
    assert "openalex.org/settings/api" in (skipped.error or "")
    assert "PAPERFUSE_OPENALEX_API_KEY" in (skipped.error or "")
    assert paperfuse_upstream.asked == []


def test_a_404_with_an_html_body_is_not_found(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    paperfuse_upstream.answer(
        "/works/W999999999",
        "<html><head><title>404 Not Found</title></head><body>Not Found</body></html>",
        status=404,
        content_type="text/html",
    )
    with resolver_for(paperfuse_resolver, paperfuse_upstream) as resolver:
        work = resolver.resolve("openalex:W999999999")
    assert report(work, "openalex").status == "not_found"
    assert work.status == "not_found"


def test_a_title_search_gives_candidates_to_the_matcher(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    replay(paperfuse_upstream)
    with resolver_for(paperfuse_resolver, paperfuse_upstream) as resolver:
        work = resolver.resolve(PLOS_TITLE)
    assert work.status == "resolved", work.error
    assert work.ids.doi == "10.1371/journal.pone.0000030"
    assert report(work, "openalex").status == "ok"
    (search,) = paperfuse_upstream.requests("/works")
    assert search.params["search"].startswith("Triose Phosphate Isomerase")
    assert search.params["per_page"] == "5"


def test_searches_are_counted_across_runs_and_refused_past_the_allowance(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    """Each search costs $0.001 (the recorded answer's meta.cost_usd); an allowance of
    $0.0015 pays for one, in this run or the next, and the second is refused unasked."""
    replay(paperfuse_upstream)
    with resolver_for(paperfuse_resolver, paperfuse_upstream, daily_allowance=0.0015) as r:
        first = r.resolve(PLOS_TITLE)
    assert report(first, "openalex").status == "ok"
    with resolver_for(paperfuse_resolver, paperfuse_upstream, daily_allowance=0.0015) as r:
        second = r.resolve("Nanometre-scale thermometry in a living cell")
    error = report(second, "openalex").error or ""
    assert "daily allowance of $0.0015 is spent" in error
    assert "search costs $0.001" in error
    assert len(paperfuse_upstream.requests("/works")) == 1


# -- requests planned by what they cost --------------------------------------------------------


class CostingUpstream:
    """OpenAlex's prices at a fake upstream: lists of the DOIs asked at $0.0001 (their
    ``meta.cost_usd`` and ``X-RateLimit-Cost-USD``), single look-ups free. The works are
    stand-ins built from the recorded PLOS work (see :func:`synthetic_work`)."""

    def __init__(self, upstream: FakeUpstream) -> None:
        self.lists = 0
        self.singles = 0
        self.charged = 0.0
        upstream.route("/works", self._list, params={"filter": re.compile("^doi:")})
        upstream.route(re.compile(r"/works/doi:.+"), self._single)

    def _list(self, asked: Asked) -> Reply:
        self.lists += 1
        self.charged += 0.0001
        dois = asked.params["filter"].removeprefix("doi:").split("|")
        assert len(dois) <= 100
        assert asked.params["per_page"] == str(len(dois))
        answer = list_answer([synthetic_work(d) for d in dois], 0.0001)
        return Reply(answer, headers={"X-RateLimit-Cost-USD": "0.0001"})

    def _single(self, asked: Asked) -> Reply:
        self.singles += 1
        doi = (asked.path or "").removeprefix("/works/doi:")
        return Reply(synthetic_work(doi), headers={"X-RateLimit-Cost-USD": "0"})


def _dois(count: int, prefix: str = "10.5555/batch") -> list[str]:
    return [f"{prefix}.{n}" for n in range(count)]


def test_dois_within_the_allowance_are_asked_in_lists_of_a_hundred(
    paperfuse_upstream: FakeUpstream,
    paperfuse_resolver: ResolverFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With the free key's $1 a day, 2,000 DOIs cost 20 lists ($0.002): the fewest calls."""
    costing = CostingUpstream(paperfuse_upstream)
    with resolver_for(paperfuse_resolver, paperfuse_upstream) as resolver:
        works = list(resolver.resolve_many(_dois(2_000)))
    assert all(w.status == "resolved" for w in works)
    assert (costing.lists, costing.singles) == (20, 0)
    assert costing.charged == pytest.approx(0.002)
    assert "daily allowance" not in caplog.text


def test_a_list_of_a_hundred_works_is_decoded_and_mapped_in_turns(
    paperfuse_upstream: FakeUpstream,
    paperfuse_resolver: ResolverFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Eight works at a time, the event loop running other tasks in between: mapped in one
    step, a list held every other source's answers and requests for ~25 ms. Each work is
    decoded in the turn that maps it: decoded whole, a page of 100 real works (~2 MB)
    holds the interpreter for 15-80 ms, and with it the thread that sends requests. The
    body as a whole is read only into its undecoded members."""
    import paperfuse_openalex._source as source

    costing = CostingUpstream(paperfuse_upstream)
    counter = TurnCounter()
    monkeypatch.setattr(source, "to_work", counter.wrap(source.to_work))
    decoded: list[tuple[int, Any, int]] = []  # (bytes, type, turn) of each JSON decode
    real_decode = msgspec.json.decode

    def decode(data: Any, *, type: Any = Any, **options: Any) -> Any:
        decoded.append((len(data), type, counter.turns))
        return real_decode(data, type=type, **options)

    monkeypatch.setattr(msgspec.json, "decode", decode)
    with resolver_for(paperfuse_resolver, paperfuse_upstream) as resolver:
        works = list(resolver.resolve_many(_dois(100)))
    counter.running = False
    assert all(w.status == "resolved" for w in works)
    assert (costing.lists, costing.singles) == (1, 0)
    assert len(counter.seen_at) == 100
    assert counter.distinct == 13  # twelve turns of eight, then four
    one_work = len(msgspec.json.encode(synthetic_work("10.5555/batch.99")))
    into_values = [(size, turn) for size, kind, turn in decoded if kind is Any]
    assert len(into_values) == 101  # the page's meta, then each work
    assert max(size for size, _ in into_values) <= 2 * one_work  # served with spaces
    assert [turn for _, turn in into_values[1:]] == counter.seen_at
    whole = [kind for size, kind, _ in decoded if size > 100 * one_work]
    assert whole == [dict[str, msgspec.Raw], list[msgspec.Raw] | None]  # page, its works


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"[1, 2]", "JSON of another shape (Expected `object`, got `array`)"),
        (b'{"meta": {}, "results": 5}', "not an OpenAlex list of works"),
        (b'{"meta": {}}', "not an OpenAlex list of works"),
        (b'{"meta": {}, "results": [{"id": 1e999}]}', "malformed JSON"),
        (b'{"meta": {"cost_usd": 1e999}, "results": []}', "malformed JSON"),
        (b'{"meta": {}, "results": ["\xff"]}', "malformed JSON"),
        (b'{"meta": {}, "results": [' + b"[" * 100_000 + b"]}", "JSON nested too deep"),
    ],
)
def test_a_list_answer_of_another_shape_is_an_error_for_its_dois(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory, body: bytes, error: str
) -> None:
    """Bodies built here: what a broken proxy or service might send for a list."""
    paperfuse_upstream.answer(
        "/works", body, content_type="application/json", params={"filter": re.compile("^doi:")}
    )
    with resolver_for(paperfuse_resolver, paperfuse_upstream) as r:
        works = list(r.resolve_many(_dois(2, "10.5555/shape")))
    assert [report(w, "openalex").status for w in works] == ["error", "error"]
    assert error in (report(works[0], "openalex").error or "")


def test_ten_thousand_dois_past_the_allowance_go_on_one_by_one_for_free(
    paperfuse_upstream: FakeUpstream,
    paperfuse_resolver: ResolverFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An allowance of $0.0095 pays for 95 lists (9,500 DOIs); the other 500 DOIs are
    asked one by one, free: 595 calls, the fewest the allowance allows, and never a
    cent more than the allowance. Spending 90 % of it warns."""
    costing = CostingUpstream(paperfuse_upstream)
    with (
        caplog.at_level(logging.WARNING, logger="paperfuse"),
        resolver_for(paperfuse_resolver, paperfuse_upstream, daily_allowance=0.0095) as resolver,
    ):
        works = list(resolver.resolve_many(_dois(10_000)))
    assert all(w.status == "resolved" for w in works)
    assert (costing.lists, costing.singles) == (95, 500)
    assert costing.charged <= 0.0095 + 1e-12
    assert "has spent $0.0086 of its $0.0095 daily allowance" in caplog.text
    assert "leaves no room for priced lists" in caplog.text
    assert KEY not in caplog.text


def test_the_days_spend_is_kept_across_runs(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    """Two lists spend an allowance of $0.0002; the next run asks its DOIs one by one."""
    costing = CostingUpstream(paperfuse_upstream)
    with resolver_for(paperfuse_resolver, paperfuse_upstream, daily_allowance=0.0002) as r:
        list(r.resolve_many(_dois(200, "10.5555/first")))
    assert (costing.lists, costing.singles) == (2, 0)
    with resolver_for(paperfuse_resolver, paperfuse_upstream, daily_allowance=0.0002) as r:
        works = list(r.resolve_many(_dois(30, "10.5555/second")))
    assert all(w.status == "resolved" for w in works)
    assert (costing.lists, costing.singles) == (2, 30)


def test_stats_say_what_is_left_of_the_allowance_in_usd(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    """Resolver.stats() (and so paperfuse serve's /health) gives the allowance left."""
    CostingUpstream(paperfuse_upstream)
    with resolver_for(paperfuse_resolver, paperfuse_upstream, daily_allowance=0.0005) as r:
        list(r.resolve_many(_dois(200, "10.5555/stats")))
        stats = r.stats()["openalex"]
    assert (stats.daily_budget, stats.budget_unit) == (0.0005, "USD")
    assert stats.budget_left == pytest.approx(0.0003)


def test_the_services_remaining_allowance_is_heeded(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    """An answer that says nothing is left today (spent elsewhere with the same key) stops
    the priced lists, whatever the configured allowance."""
    costing = CostingUpstream(paperfuse_upstream)
    paperfuse_upstream.route(
        "/works",
        lambda asked: Reply(
            list_answer([synthetic_work(d) for d in asked.params["filter"][4:].split("|")], 0.0001),
            headers={"X-RateLimit-Remaining-USD": "0"},
        ),
        params={"filter": re.compile("^doi:")},
        times=1,
    )
    with resolver_for(paperfuse_resolver, paperfuse_upstream) as r:
        works = list(r.resolve_many(_dois(100)))
        works += r.resolve_many(_dois(50, "10.5555/later"))
    assert all(w.status == "resolved" for w in works)
    assert costing.lists == 0  # the one list was answered by the route above
    assert costing.singles == 50


def test_a_refused_filter_falls_back_to_free_look_ups(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    """OpenAlex has answered PMID lists with HTTP 400 (ourresearch/OpenAlex issue 8):
    the PMIDs are then asked one by one."""
    replay(paperfuse_upstream)
    paperfuse_upstream.answer(
        "/works", {"error": "Invalid"}, status=400, params={"filter": re.compile("^pmid:")}
    )
    with resolver_for(paperfuse_resolver, paperfuse_upstream) as r:
        works = list(r.resolve_many(["PMID:17183658", "PMID:1"]))
    assert works[0].status == "resolved"
    assert report(works[1], "openalex").status == "not_found"
    paths = [a.path for a in paperfuse_upstream.requests(re.compile("/works.*"))]
    assert paths.count("/works") == 1
    assert "/works/pmid:17183658" in paths
    assert "/works/pmid:1" in paths


def test_a_pmid_missing_from_a_list_is_asked_alone_but_a_missing_doi_is_not(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    replay(paperfuse_upstream)
    with resolver_for(paperfuse_resolver, paperfuse_upstream) as r:
        works = list(
            r.resolve_many(
                ["PMID:17183658", "PMID:2", "10.1371/journal.pone.0000030", "10.1371/not-there"]
            )
        )
    assert [report(w, "openalex").status for w in works] == ["ok", "not_found", "ok", "not_found"]
    paths = [a.path for a in paperfuse_upstream.requests(re.compile("/works.*"))]
    assert sorted(paths) == ["/works", "/works", "/works/pmid:2"]


def test_a_failed_list_gives_back_what_it_held_of_the_allowance(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    """A list refused with HTTP 403 (no cost header: it cost nothing) is an error for its
    DOIs; the allowance it held is free again, so the next list is made."""
    costing = CostingUpstream(paperfuse_upstream)
    paperfuse_upstream.answer(
        "/works", "<html>Forbidden</html>", status=403, content_type="text/html", times=1
    )
    with resolver_for(paperfuse_resolver, paperfuse_upstream, daily_allowance=0.0001) as r:
        failed = list(r.resolve_many(_dois(2, "10.5555/failed")))
        works = list(r.resolve_many(_dois(2, "10.5555/later")))
    assert [report(w, "openalex").status for w in failed] == ["error", "error"]
    assert "HTTP 403" in (report(failed[0], "openalex").error or "")
    assert all(w.status == "resolved" for w in works)
    assert (costing.lists, costing.singles) == (1, 0)


def test_amounts_are_shown_to_the_cent_or_as_precisely_as_needed() -> None:
    from paperfuse_openalex._cost import dollars

    assert [dollars(1.0), dollars(0.0015), dollars(0.0001), dollars(12.5)] == [
        "$1.00",
        "$0.0015",
        "$0.0001",
        "$12.50",
    ]


def test_every_work_of_the_recorded_2026_list_is_mapped() -> None:
    answer = load("commonmeta_2026_list_sample_5.json")
    assert answer["meta"]["cost_usd"] == 0.0001
    works = [to_work(item) for item in answer["results"]]
    assert len(works) == 5
    assert all(w is not None and w.ids.other["openalex"].startswith("W") for w in works)


def test_the_ledger_counts_what_answers_say_and_heeds_the_services_remaining_figure() -> None:
    from paperfuse_openalex import Ledger

    ledger = Ledger(None, 0.0003, "openalex")
    assert ledger.reserve(0.0001)
    assert ledger.reserve(0.0001)
    assert ledger.reserve(0.0001)
    assert not ledger.reserve(0.0001)  # three in flight fill the allowance
    ledger.settle(0.0001, 0.0001)
    ledger.release(0.0001)
    ledger.release(0.0001)
    assert ledger.spent() == pytest.approx(0.0001)
    assert ledger.left() == pytest.approx(0.0002)
    ledger.settle(0.0, 0.0, {"x-ratelimit-remaining-usd": "0.00005"})
    assert ledger.left() == pytest.approx(0.00005)  # the service knows of spending elsewhere
    assert not ledger.reserve(0.0001)
    ledger.settle(0.0, 0.0, {"x-ratelimit-remaining-usd": "a lot"})  # unreadable: unchanged
    assert ledger.left() == pytest.approx(0.00005)


def test_the_command_line_takes_the_key_from_the_environment_and_never_prints_it(
    paperfuse_upstream: FakeUpstream, paperfuse_isolated: Isolation, paperfuse_cli: CLI
) -> None:
    replay(paperfuse_upstream)
    paperfuse_isolated.use_plugins(paperfuse_openalex)
    ran = paperfuse_cli(
        "resolve",
        "W1982728624",
        urls={"openalex": paperfuse_upstream.url},
        env={"PAPERFUSE_OPENALEX_API_KEY": KEY},
    )
    assert ran.exit_code == 0, ran.stderr
    (work,) = ran.works()
    assert work.title == PLOS_TITLE
    assert paperfuse_upstream.requests()[0].params["api_key"] == KEY
    assert KEY not in ran.stdout + ran.stderr
    ran = paperfuse_cli("resolve", "W1982728624", urls={"openalex": paperfuse_upstream.url})
    (work,) = ran.works()
    assert report(work, "openalex").status == "skipped"
    assert "PAPERFUSE_OPENALEX_API_KEY" in (report(work, "openalex").error or "")
