"""The resolution engine with fake sources: batching, concurrency, expansion,
matching, merge with provenance, OA ranking and source reports."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Sequence
from typing import ClassVar

import pytest

import paperfuse
from engine_resolvers import make_resolver
from paperfuse import (
    Author,
    Config,
    Identifier,
    Ids,
    OALocation,
    Politeness,
    SourceGone,
    SourceSettings,
    SourceUnavailable,
    Work,
)
from paperfuse.testing import FakeSource, fake_source

# -- 1. API ----------------------------------------------------------------------------


def test_resolve_returns_a_work_and_resolver_closes() -> None:
    source = fake_source(
        "fake", ["doi"], records={("doi", "10.1234/a"): Work(title="A", ids=Ids(doi="10.1234/a"))}
    )
    with make_resolver(source) as resolver:
        work = resolver.resolve("https://doi.org/10.1234/A")
    assert isinstance(work, Work)
    assert (work.title, work.ids.doi, work.status, work.input) == (
        "A",
        "10.1234/a",
        "resolved",
        "https://doi.org/10.1234/A",
    )
    assert resolver._http is None
    assert resolver._runtimes is None


def test_resolve_many_streams_in_input_order_and_async_twins_agree() -> None:
    records = {("doi", f"10.1234/{i}"): Work(title=f"T{i}") for i in range(50)}
    source = fake_source("fake", ["doi"], records=records, batch_size=7)
    inputs = [f"10.1234/{i}" for i in reversed(range(50))] + ["not a doi at all 10.1"]
    with make_resolver(source) as resolver:
        results = list(resolver.resolve_many(iter(inputs)))
    assert [w.input for w in results] == inputs
    assert [w.title for w in results[:-1]] == [f"T{i}" for i in reversed(range(50))]

    async def run() -> list[Work]:
        async with make_resolver(source) as resolver:
            single = await resolver.aresolve("10.1234/3")
            assert single.title == "T3"
            return [w async for w in resolver.aresolve_many(inputs)]

    assert [w.title for w in asyncio.run(run())] == [w.title for w in results]


def test_resolve_many_holds_a_bounded_window() -> None:
    records = {("doi", f"10.1234/{i}"): Work(title=f"T{i}") for i in range(30)}
    source = fake_source("fake", ["doi"], records=records, batch_size=100)
    read: list[int] = []

    def inputs():  # type: ignore[no-untyped-def]
        for i in range(30):
            read.append(i)
            yield f"10.1234/{i}"

    with make_resolver(source, config=Config(window=10)) as resolver:
        stream = resolver.resolve_many(inputs())
        first = next(stream)
        assert first.title == "T0"
        assert len(read) <= 11  # the window, not the whole batch, was read
        rest = list(stream)
    assert len(rest) == 29
    assert all(len(call[2]) <= 10 for call in source.calls)


# -- 2. Batching across inputs -----------------------------------------------------------


def test_ten_thousand_inputs_make_five_batches_of_two_thousand() -> None:
    ids = [f"21{m:02d}.{n:05d}" for m in range(1, 11) for n in range(1, 1001)]
    source = fake_source(
        "fake",
        ["arxiv"],
        batch_size=2000,
        answer=lambda batch: {i: Work(title=f"paper {i.value}") for i in batch},
    )
    with make_resolver(source) as resolver:
        results = list(resolver.resolve_many(ids))
    assert len(source.calls) == 5
    assert [len(call[2]) for call in source.calls] == [2000] * 5
    assert [w.title for w in results] == [f"paper {i}" for i in ids]
    assert all(w.status == "resolved" for w in results)


def test_duplicates_in_the_input_are_asked_once() -> None:
    records = {("doi", f"10.1234/{i}"): Work(title=f"T{i}") for i in range(10)}
    source = fake_source("fake", ["doi"], records=records, batch_size=1000)
    inputs = [f"10.1234/{i % 10}" for i in range(300)] + [
        "doi:10.1234/3",
        "https://doi.org/10.1234/3",
    ]
    with make_resolver(source) as resolver:
        results = list(resolver.resolve_many(inputs))
    asked = [identifier for call in source.calls for identifier in call[2]]
    assert sorted(asked) == sorted(f"doi:10.1234/{i}" for i in range(10))
    assert [w.title for w in results[-2:]] == ["T3", "T3"]


# -- 3. Concurrency and politeness ---------------------------------------------------


def test_slow_source_does_not_delay_what_another_source_can_complete() -> None:
    slow = fake_source(
        "slow", ["arxiv"], delay=0.5, records={("arxiv", "1710.08557"): Work(title="slow")}
    )
    fast = fake_source("fast", ["doi"], records={("doi", "10.1234/x"): Work(title="fast")})
    done_while_slow_busy: list[bool] = []

    async def run() -> tuple[Work, Work]:
        async with make_resolver(slow, fast) as resolver:

            async def fast_one() -> Work:
                work = await resolver.aresolve("10.1234/x")
                done_while_slow_busy.append(slow.in_flight == 1)
                return work

            return await asyncio.gather(resolver.aresolve("arXiv:1710.08557"), fast_one())

    slow_work, fast_work = asyncio.run(run())
    assert (slow_work.title, fast_work.title) == ("slow", "fast")
    assert done_while_slow_busy == [True]
    assert len(slow.calls) == 1


def test_interval_of_a_slow_paced_source_holds_under_a_thousand_inputs() -> None:
    interval = 0.2
    paced = fake_source(
        "paced",
        ["doi"],
        batch_size=100,
        politeness=Politeness(min_interval=interval, max_concurrency=1),
        answer=lambda batch: {i: Work(title=i.value) for i in batch},
    )
    with make_resolver(paced) as resolver:
        results = list(resolver.resolve_many(f"10.9999/{n}" for n in range(1000)))
    assert all(w.status == "resolved" for w in results)
    starts = sorted(call[0] for call in paced.calls)
    assert len(starts) == 10
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= interval - 0.005  # clock resolution, never an early request
    assert paced.most_in_flight == 1


def test_concurrency_limit_is_kept() -> None:
    source = fake_source(
        "wide",
        ["doi"],
        batch_size=1,
        delay=0.02,
        politeness=Politeness(min_interval=0.0, max_concurrency=3),
        answer=lambda batch: {i: Work(title=i.value) for i in batch},
    )
    with make_resolver(source) as resolver:
        list(resolver.resolve_many(f"10.9999/{n}" for n in range(40)))
    assert source.most_in_flight == 3


def test_configuration_overrides_declared_politeness() -> None:
    source = fake_source(
        "wide",
        ["doi"],
        batch_size=1,
        delay=0.01,
        politeness=Politeness(min_interval=0.0, max_concurrency=8),
        answer=lambda batch: {i: Work(title=i.value) for i in batch},
    )
    config = Config(sources={"wide": SourceSettings(max_concurrency=1)})
    with make_resolver(source, config=config) as resolver:
        list(resolver.resolve_many(f"10.9999/{n}" for n in range(10)))
    assert source.most_in_flight == 1


# -- 4. Expansion ----------------------------------------------------------------------


def test_identifier_revealed_by_one_source_is_asked_of_another() -> None:
    arxiv = fake_source(
        "arxiv",
        ["arxiv"],
        records={
            ("arxiv", "1710.08557"): Work(
                title="Preprint title",
                ids=Ids(arxiv="1710.08557", arxiv_version=2, doi="10.1103/PhysRevD.97.044001"),
            )
        },
    )
    journal = fake_source(
        "journal",
        ["doi"],
        records={
            ("doi", "10.1103/physrevd.97.044001"): Work(
                venue="Physical Review D", ids=Ids(doi="10.1103/physrevd.97.044001")
            )
        },
    )
    with make_resolver(arxiv, journal) as resolver:
        work = resolver.resolve("arXiv:1710.08557v2")
    assert work.venue == "Physical Review D"
    assert work.ids.arxiv == "1710.08557"
    assert work.ids.arxiv_version == 2
    assert work.ids.doi == "10.1103/physrevd.97.044001"
    assert journal.calls[0][2] == ("doi:10.1103/physrevd.97.044001",)
    reports = {r.name: r.status for r in work.sources}
    assert reports == {"arxiv": "ok", "journal": "ok"}


def test_oa_location_urls_reveal_identifiers() -> None:
    publisher = fake_source(
        "publisher",
        ["doi"],
        records={
            ("doi", "10.1234/p"): Work(
                title="T",
                oa_locations=(
                    OALocation(
                        url="https://www.ncbi.nlm.nih.gov/pmc/articles/PMC4000000/",
                        host_type="repository",
                        version="acceptedVersion",
                    ),
                ),
            )
        },
    )
    pmc = fake_source("pmc", ["pmcid"], records={("pmcid", "PMC4000000"): Work(ids=Ids(pmid="1"))})
    with make_resolver(publisher, pmc) as resolver:
        work = resolver.resolve("10.1234/p")
    assert pmc.calls
    assert pmc.calls[0][2] == ("pmcid:PMC4000000",)
    assert {r.name: r.status for r in work.sources}["pmc"] == "ok"


def test_expansion_stops_after_max_rounds() -> None:
    chain = [
        fake_source(
            f"s{n}",
            [f"x{n}"],
            records={(f"x{n}", "v"): Work(ids=Ids(other={f"x{n + 1}": "v"}), title=f"s{n}")},
        )
        for n in range(5)
    ]
    start = Work(ids=Ids(other={"x0": "v"}), title="start")
    seed = fake_source("seed", ["doi"], records={("doi", "10.1234/seed"): start})
    with make_resolver(seed, *chain, config=Config(max_rounds=3)) as resolver:
        work = resolver.resolve("10.1234/seed")
    asked = {source.name for source in chain if source.calls}
    assert asked == {"s0", "s1"}  # seed is round 1, s0 round 2, s1 round 3
    assert {r.name: r.status for r in work.sources}["s2"] == "skipped"


def test_source_is_asked_with_its_preferred_identifier_first() -> None:
    seed = fake_source(
        "seed",
        ["arxiv"],
        records={("arxiv", "1501.00001"): Work(ids=Ids(doi="10.1234/d", pmid="123"))},
    )
    multi = fake_source("multi", ["doi", "pmid"], records={("doi", "10.1234/d"): Work(title="M")})
    with make_resolver(seed, multi) as resolver:
        resolver.resolve("arXiv:1501.00001")
    assert [call[2] for call in multi.calls] == [("doi:10.1234/d",)]


# -- 5. Title and citation queries -----------------------------------------------------


def _candidate(title: str, doi: str, year: int, author: str) -> Work:
    return Work(
        title=title,
        ids=Ids(doi=doi),
        year=year,
        authors=(Author(name=f"A. {author}", family=author),),
    )


def test_title_query_accepts_a_clear_match_and_looks_up_its_doi() -> None:
    search = fake_source(
        "search",
        ["doi"],
        searches_titles=True,
        candidates=[
            _candidate("Gravitational waves from binary black holes", "10.1234/gw", 2016, "Abbott"),
            _candidate("Black holes in binary systems", "10.1234/bh", 1973, "Shakura"),
        ],
    )
    details = fake_source(
        "details", ["doi"], records={("doi", "10.1234/gw"): Work(venue="Physical Review Letters")}
    )
    with make_resolver(search, details) as resolver:
        work = resolver.resolve("Gravitational Waves from Binary Black Holes")
    assert work.status == "resolved"
    assert work.ids.doi == "10.1234/gw"
    assert work.venue == "Physical Review Letters"
    assert work.candidates[0].score >= 0.92
    assert search.calls[0][2] == ("Gravitational Waves from Binary Black Holes",)


def test_near_miss_title_is_not_accepted() -> None:
    search = fake_source(
        "search",
        [],
        searches_titles=True,
        candidates=[_candidate("Recognition of images by deep learning", "10.1234/x", 2019, "Li")],
    )
    with make_resolver(search) as resolver:
        work = resolver.resolve("Deep learning for image recognition")
    assert work.status in ("not_found", "ambiguous")
    assert work.ids.doi is None
    assert work.candidates
    assert work.candidates[0].score < 0.92
    assert "below the threshold" in (work.error or "")


def test_two_close_candidates_are_ambiguous_and_listed_with_scores() -> None:
    search = fake_source(
        "search",
        [],
        searches_titles=True,
        candidates=[
            _candidate("A survey of graph neural networks", "10.1234/one", 2020, "Zhou"),
            _candidate("A survey of graph neural networks", "10.1234/two", 2020, "Wu"),
        ],
    )
    with make_resolver(search) as resolver:
        work = resolver.resolve("A survey of graph neural networks")
    assert work.status == "ambiguous"
    assert {c.ids.doi for c in work.candidates} == {"10.1234/one", "10.1234/two"}
    assert all(c.score >= 0.92 for c in work.candidates)


def test_title_query_without_searching_sources_is_reported() -> None:
    with make_resolver(fake_source("doi-only", ["doi"])) as resolver:
        work = resolver.resolve("Some title of a paper")
    assert work.status == "not_found"
    assert work.error == "no installed source can search titles"


# -- 6. Merge with provenance ------------------------------------------------------------


def _preprint_and_publication() -> tuple[type, type]:
    arxiv = fake_source(
        "arxiv",
        ["arxiv"],
        records={
            ("arxiv", "1710.08557"): Work(
                title="Relativistic jets, a preprint",
                abstract="We study jets.",
                published="2017-10-23",
                year=2017,
                ids=Ids(arxiv="1710.08557", arxiv_version=1, doi="10.1234/pub"),
                categories=("astro-ph.HE",),
                authors=(Author(name="Jane Doe", affiliations=("Somewhere",)),),
            )
        },
    )
    unpaywall = fake_source(
        "unpaywall",
        ["doi"],
        records={
            ("doi", "10.1234/pub"): Work(
                title="Relativistic jets",
                published="2018-03-01",
                year=2018,
                venue="The Astrophysical Journal",
                publisher="IOP Publishing",
                ids=Ids(doi="10.1234/pub"),
                authors=(Author(name="Jane Doe", given="Jane", family="Doe", orcid="0000-0001"),),
                oa_status="green",
                best_oa_location=OALocation(url="https://arxiv.org/abs/1710.08557"),
            )
        },
    )
    return arxiv, unpaywall


def test_preprint_and_publication_merge_with_provenance() -> None:
    arxiv, unpaywall = _preprint_and_publication()
    with make_resolver(arxiv, unpaywall) as resolver:
        work = resolver.resolve("1710.08557")
    assert (work.ids.arxiv, work.ids.doi) == ("1710.08557", "10.1234/pub")
    assert (work.venue, work.published, work.year) == (
        "The Astrophysical Journal",
        "2018-03-01",
        2018,
    )
    assert work.abstract == "We study jets."
    assert work.authors[0].orcid == "0000-0001"
    assert work.categories == ("astro-ph.HE",)
    published = work.provenance["published"]
    assert published.source == "unpaywall"
    assert [(o.source, o.value) for o in published.others] == [("arxiv", "2017-10-23")]
    assert work.provenance["abstract"].source == "arxiv"
    assert work.provenance["title"].source == "unpaywall"
    assert work.provenance["ids.doi"].source == "unpaywall"
    assert work.provenance["venue"].others == ()


def test_merge_policy_is_changed_by_configuration() -> None:
    arxiv, unpaywall = _preprint_and_publication()
    config = Config(merge={"published": ["arxiv", "unpaywall"], "default": ["arxiv"]})
    with make_resolver(arxiv, unpaywall, config=config) as resolver:
        work = resolver.resolve("1710.08557")
    assert work.published == "2017-10-23"
    assert work.title == "Relativistic jets, a preprint"
    assert work.venue == "The Astrophysical Journal"  # only one source gives it


# -- 7. Best OA location -------------------------------------------------------------------


def _with_locations(work: Work, *locations: OALocation) -> Work:
    import msgspec

    return msgspec.structs.replace(work, oa_locations=locations)


def test_oa_locations_are_pooled_ranked_and_explained() -> None:
    arxiv, unpaywall = _preprint_and_publication()
    arxiv.records[("arxiv", "1710.08557")] = _with_locations(
        arxiv.records[("arxiv", "1710.08557")],
        OALocation(
            url="http://arxiv.org/abs/1710.08557/",
            url_for_pdf="https://arxiv.org/pdf/1710.08557",
            host_type="repository",
            version="submittedVersion",
            source="arxiv",
        ),
    )
    unpaywall.records[("doi", "10.1234/pub")] = _with_locations(
        unpaywall.records[("doi", "10.1234/pub")],
        OALocation(
            url="https://arxiv.org/abs/1710.08557",
            host_type="repository",
            version="submittedVersion",
            license="cc-by",
            source="unpaywall",
        ),
        OALocation(
            url="https://europepmc.org/articles/PMC5000000",
            url_for_pdf="https://europepmc.org/articles/PMC5000000?pdf=render",
            host_type="repository",
            version="acceptedVersion",
            source="unpaywall",
        ),
    )
    with make_resolver(arxiv, unpaywall) as resolver:
        work = resolver.resolve("1710.08557")
    assert len(work.oa_locations) == 2  # the arXiv copy given twice is one location
    arxiv_copy = next(loc for loc in work.oa_locations if "arxiv.org" in loc.url)
    assert arxiv_copy.url_for_pdf == "https://arxiv.org/pdf/1710.08557"
    assert arxiv_copy.license == "cc-by"
    best = work.best_oa_location
    assert best is not None
    assert best.url == "https://europepmc.org/articles/PMC5000000"
    assert best.reason
    assert "accepted" in best.reason
    assert (work.is_oa, work.oa_status) == (True, "green")
    assert work.provenance["oa_status"].source == "paperfuse"
    best_prov = work.provenance["best_oa_location"]
    assert [(o.source, o.value) for o in best_prov.others] == [
        ("unpaywall", "https://arxiv.org/abs/1710.08557")
    ]


def test_oa_ranking_is_replaceable_by_hook_and_by_configured_policy() -> None:
    locations = (
        OALocation(url="https://a.example/1", host_type="repository", version="publishedVersion"),
        OALocation(url="https://b.example/2", host_type="repository", version="submittedVersion"),
    )
    source = fake_source(
        "src", ["doi"], records={("doi", "10.1234/o"): Work(title="T", oa_locations=locations)}
    )

    class WorstFirst:
        def rank(self, work: Work, pool: Sequence[OALocation]) -> tuple[OALocation, ...]:
            import msgspec

            ranked = sorted(pool, key=lambda loc: loc.url, reverse=True)
            first = msgspec.structs.replace(ranked[0], status="green", reason="last URL wins")
            return (first, *ranked[1:])

    with make_resolver(source, oa_ranking=WorstFirst()) as resolver:
        work = resolver.resolve("10.1234/o")
    assert work.best_oa_location is not None
    assert work.best_oa_location.url == "https://b.example/2"
    assert work.best_oa_location.reason == "last URL wins"

    class RankingPlugin:
        @paperfuse.hookimpl
        def paperfuse_rank_oa_locations(
            self, work: Work, locations: Sequence[OALocation]
        ) -> tuple[OALocation, ...]:
            return WorstFirst().rank(work, locations)

    with make_resolver(source, plugins={"ranking": RankingPlugin()}) as resolver:
        work = resolver.resolve("10.1234/o")
    assert work.best_oa_location is not None
    assert work.best_oa_location.url == "https://b.example/2"

    with make_resolver(source) as resolver:
        work = resolver.resolve("10.1234/o")
    assert work.best_oa_location is not None
    assert work.best_oa_location.url == "https://a.example/1"


def test_configured_oa_ranking_must_exist() -> None:
    with pytest.raises(paperfuse.ConfigError, match="oa_ranking"):
        make_resolver(config=Config(oa_ranking="no_such_module:policy"))


# -- 8. Source reports and failures --------------------------------------------------------


def test_failing_sources_leave_other_data_intact_and_are_attributed() -> None:
    good = fake_source("good", ["doi"], records={("doi", "10.1234/g"): Work(title="Good")})
    raising = fake_source("raising", ["doi"], fail_with=RuntimeError("boom"))
    slow = fake_source("slow", ["doi"], delay=5.0)
    garbage = fake_source("garbage", ["doi"], answer=lambda batch: ["not", "a", "mapping"])
    down = fake_source(
        "down", ["doi"], fail_with=SourceUnavailable("HTTP 503 after 4 attempts", source="down")
    )
    config = Config(sources={"slow": SourceSettings(call_timeout=0.1)})
    with make_resolver(good, raising, slow, garbage, down, config=config) as resolver:
        work = resolver.resolve("10.1234/g")
    assert work.title == "Good"
    assert work.status == "resolved"
    reports = {r.name: r for r in work.sources}
    assert reports["good"].status == "ok"
    assert reports["raising"].status == "error"
    assert reports["raising"].error == "plugin error: RuntimeError: boom"
    assert reports["slow"].error == "timed out after 0.1 s"
    assert reports["garbage"].error == "plugin error: lookup returned list, not a mapping"
    assert reports["down"].error == "HTTP 503 after 4 attempts"


def test_every_failure_gives_status_error_with_reasons() -> None:
    raising = fake_source("raising", ["doi"], fail_with=RuntimeError("boom"))
    with make_resolver(raising) as resolver:
        work = resolver.resolve("10.1234/g")
    assert work.status == "error"
    assert work.error == "no source found it; raising: plugin error: RuntimeError: boom"


def test_per_identifier_errors_stay_with_their_input() -> None:
    def answer(batch: Sequence[Identifier]) -> dict[Identifier, object]:
        return {
            i: SourceUnavailable("bad id", source="fake")
            if i.value == "10.1234/bad"
            else Work(title=i.value)
            for i in batch
        }

    source = fake_source("fake", ["doi"], answer=answer)
    with make_resolver(source) as resolver:
        good, bad = resolver.resolve_many(["10.1234/good", "10.1234/bad"])
    assert good.status == "resolved"
    assert (bad.status, bad.sources[0].error) == ("error", "bad id")


def test_gone_source_is_reported_in_every_result_and_asked_once() -> None:
    gone = fake_source(
        "gone",
        ["doi"],
        batch_size=1,
        politeness=Politeness(max_concurrency=1),
        fail_with=SourceGone("HTTP 410: the service has shut down", source="gone"),
    )
    good = fake_source(
        "good", ["doi"], answer=lambda batch: {i: Work(title=i.value) for i in batch}
    )
    with make_resolver(gone, good) as resolver:
        first = resolver.resolve("10.1234/a")
        rest = list(resolver.resolve_many(["10.1234/b", "10.1234/c"]))
    assert len(gone.calls) == 1
    for work in (first, *rest):
        report = {r.name: r for r in work.sources}["gone"]
        assert (report.status, report.error) == ("gone", "HTTP 410: the service has shut down")
        assert work.status == "resolved"


def test_skipped_sources_say_why() -> None:
    class NeedsEmail(fake_source("needs-email", ["doi"])):  # type: ignore[misc]
        def unavailable_reason(self) -> str | None:
            return "set PAPERFUSE_EMAIL" if not self.context.email else None

    good = fake_source("good", ["doi"], records={("doi", "10.1234/g"): Work(title="Good")})
    other = fake_source("pmid-only", ["pmid"])
    disabled = fake_source("off", ["doi"])
    config = Config(sources={"off": SourceSettings(enabled=False)})
    with make_resolver(NeedsEmail, good, other, disabled, config=config) as resolver:
        work = resolver.resolve("10.1234/g")
    reports = {r.name: (r.status, r.error) for r in work.sources}
    assert reports["needs-email"] == ("skipped", "set PAPERFUSE_EMAIL")
    assert reports["off"] == ("skipped", "disabled by configuration")
    assert reports["pmid-only"] == (
        "skipped",
        "not asked: accepts pmid; this work has none of them",
    )


def test_secrets_are_redacted_from_source_errors() -> None:
    leaky = fake_source(
        "leaky", ["doi"], fail_with=RuntimeError("GET /v2/x?email=secret%40example.org failed")
    )
    config = Config(email="secret@example.org")
    with make_resolver(leaky, config=config) as resolver:
        work = resolver.resolve("10.1234/x")
    text = paperfuse.encode_json(work).decode()
    assert "secret" not in text
    assert "email=***" in text


def test_source_that_cannot_be_created_is_reported() -> None:
    class Broken(fake_source("broken", ["doi"])):  # type: ignore[misc]
        def __init__(self, context: paperfuse.SourceContext) -> None:
            raise ValueError("missing database file")

    good = fake_source("good", ["doi"], records={("doi", "10.1234/g"): Work(title="Good")})
    with make_resolver(Broken, good) as resolver:
        work = resolver.resolve("10.1234/g")
    reports = {r.name: (r.status, r.error) for r in work.sources}
    assert reports["broken"] == (
        "skipped",
        "plugin error: source could not be created: ValueError: missing database file",
    )
    assert work.title == "Good"


def test_invalid_input_is_reported_without_asking() -> None:
    source = fake_source("fake", ["doi", "arxiv"])
    with make_resolver(source) as resolver:
        results = list(resolver.resolve_many(["", "1234.1234", "10.5555/fine"]))
    assert [w.status for w in results[:2]] == ["invalid", "invalid"]
    assert results[0].error
    assert results[1].error
    assert "34" in results[1].error
    assert source.calls
    assert all("1234" not in c[2][0] for c in source.calls)


def test_no_source_for_the_scheme_says_so() -> None:
    with make_resolver(fake_source("doi-only", ["doi"])) as resolver:
        work = resolver.resolve("PMID: 123456")
    assert work.status == "not_found"
    assert (
        work.error == "no source can answer this yet: no installed source accepts pmid identifiers"
    )


def test_one_resolver_one_event_loop() -> None:
    source = fake_source("fake", ["doi"], records={("doi", "10.1234/g"): Work(title="Good")})
    resolver = make_resolver(source)
    assert resolver.resolve("10.1234/g").title == "Good"

    async def other_loop() -> None:
        await resolver.aresolve("10.1234/g")

    with pytest.raises(RuntimeError, match="one event loop"):
        asyncio.run(other_loop())
    resolver.close()


def _arxiv_revealer() -> type[FakeSource]:
    """A source answering each DOI 10.5555/N with the arXiv id 2101.0000N, two at a time."""
    return fake_source(
        "revealer",
        ["doi"],
        batch_size=1,
        delay=0.02,
        politeness=Politeness(max_concurrency=2),
        answer=lambda batch: {
            i: Work(ids=Ids(arxiv=f"2101.{int(i.value[8:]):05d}")) for i in batch
        },
    )


def _costly(
    max_linger: float,
    answer: Callable[[Sequence[Identifier]], dict[Identifier, Work]] = lambda batch: {
        i: Work(title=i.value) for i in batch
    },
) -> type[FakeSource]:
    """An arXiv-like source: batches of 100, one call every 0.2 s, lingering for ids."""
    return fake_source(
        "costly",
        ["arxiv"],
        batch_size=100,
        politeness=Politeness(min_interval=0.2, max_concurrency=1, max_linger=max_linger),
        answer=answer,
    )


def test_costly_source_lingers_for_ids_other_sources_reveal() -> None:
    revealer, costly = _arxiv_revealer(), _costly(max_linger=5.0)
    with make_resolver(revealer, costly) as resolver:
        works = list(resolver.resolve_many([f"10.5555/{n}" for n in range(1, 21)]))
    assert [w.title for w in works] == [f"2101.{n:05d}" for n in range(1, 21)]
    assert len(costly.calls) == 1  # one full batch, not one per answer of the revealer
    assert len(costly.calls[0][2]) == 20


def test_a_lingering_batch_waits_for_the_sources_that_reveal_its_ids_not_for_others() -> None:
    revealer = _arxiv_revealer()
    # Busy for ~2 s after the revealer is done, and reveals no arXiv id.
    slow = fake_source(
        "slow",
        ["doi"],
        batch_size=1,
        delay=0.1,
        politeness=Politeness(max_concurrency=1),
        answer=lambda batch: {i: Work(title="slow") for i in batch},
    )
    slow_busy_when_asked: list[bool] = []

    def answer(batch: Sequence[Identifier]) -> dict[Identifier, Work]:
        slow_busy_when_asked.append(len(slow.calls) < 20)
        return {i: Work(title=i.value) for i in batch}

    costly = _costly(max_linger=10.0, answer=answer)
    with make_resolver(revealer, slow, costly) as resolver:
        works = list(resolver.resolve_many([f"10.5555/{n}" for n in range(1, 21)]))
    assert len(costly.calls) == 1  # every id the revealer revealed, in one batch
    assert len(costly.calls[0][2]) == 20
    assert slow_busy_when_asked == [True]  # not held back until the slow source was done
    assert all(w.status == "resolved" for w in works)


def test_a_batch_of_inputs_own_ids_leaves_once_every_input_is_read() -> None:
    revealer, costly = _arxiv_revealer(), _costly(max_linger=5.0)
    given = [f"2201.{n:05d}" for n in range(1, 6)]
    with make_resolver(revealer, costly) as resolver:
        works = list(resolver.resolve_many([*given, *(f"10.5555/{n}" for n in range(1, 21))]))
    assert all(w.status == "resolved" for w in works)
    first, revealed = sorted(costly.calls)  # by start
    # The inputs' own ids did not wait for the revealed ones: their answers (an
    # arXiv record's DOI) are what the other sources ask next.
    assert sorted(first[2]) == [f"arxiv:{i}" for i in given]
    assert first[0] < max(end for _, end, _ in revealer.calls)
    assert len(revealed[2]) == 20  # then every revealed id, in one batch


def test_a_lingering_batch_leaves_while_the_revealer_asks_for_works_that_have_its_ids() -> None:
    # PMIDs converted to DOIs at once; the DOIs 10.5555/10000N reveal arXiv ids.
    converter = fake_source(
        "converter",
        ["pmid"],
        batch_size=1,
        delay=0.01,
        politeness=Politeness(max_concurrency=8),
        answer=lambda batch: {i: Work(ids=Ids(doi=f"10.5555/{i.value}")) for i in batch},
    )
    revealer = fake_source(
        "revealer",
        ["doi"],
        batch_size=1,
        delay=0.1,
        politeness=Politeness(max_concurrency=1),
        answer=lambda batch: {
            i: Work(ids=Ids(arxiv=f"2101.{int(i.value[8:]) % 1000:05d}"))
            if i.value.startswith("10.5555/1000")
            else Work(title="published")
            for i in batch
        },
    )

    def answer(batch: Sequence[Identifier]) -> dict[Identifier, Work]:
        # The inputs' arXiv ids give DOIs of works that have an arXiv id already.
        return {
            i: Work(title=i.value, ids=Ids(doi=f"10.5555/given.{i.value[-1]}"))
            if i.value.startswith("2201.")
            else Work(title=i.value)
            for i in batch
        }

    costly = _costly(max_linger=5.0, answer=answer)
    inputs = [f"2201.0000{n}" for n in range(1, 4)] + [f"PMID: 10000{n}" for n in range(1, 7)]
    with make_resolver(converter, revealer, costly) as resolver:
        works = list(resolver.resolve_many(inputs))
    assert all(w.status == "resolved" for w in works)
    asked = [call[2][0] for call in sorted(revealer.calls)]
    # Asked first: the DOIs whose answers may reveal an arXiv id, though they were
    # known after those of works that have one (the first of which was asked already).
    assert asked == [
        "doi:10.5555/given.1",
        *(f"doi:10.5555/10000{n}" for n in range(1, 7)),
        "doi:10.5555/given.2",
        "doi:10.5555/given.3",
    ]
    first, revealed = sorted(costly.calls)
    assert len(first[2]) == 3
    assert sorted(revealed[2]) == [f"arxiv:2101.{n:05d}" for n in range(1, 7)]
    # The revealed ids left once no answer could reveal another, while the revealer
    # still asked for the works that have an arXiv id.
    assert revealed[0] < max(end for _, end, _ in revealer.calls)


def test_lingering_is_bounded_when_a_revealing_source_hangs() -> None:
    class Revealer(fake_source("revealer", ["doi"], batch_size=1)):  # type: ignore[misc]
        hanging: ClassVar[int] = 0

        async def lookup(self, identifiers: Sequence[Identifier]) -> dict[Identifier, Work]:
            if identifiers[0].value == "10.5555/hangs":
                type(self).hanging += 1
                await asyncio.sleep(5.0)
            return {i: Work(ids=Ids(arxiv="2101.00001")) for i in identifiers}

    costly = _costly(max_linger=0.3)
    config = Config(sources={"revealer": SourceSettings(call_timeout=2.0)})
    answered_while_hanging: list[bool] = []

    async def run() -> list[Work]:
        async with make_resolver(Revealer, costly, config=config) as resolver:
            tasks = [
                asyncio.create_task(resolver.aresolve(text))
                for text in ("10.5555/reveals", "10.5555/hangs")
            ]
            while not costly.calls:
                await asyncio.sleep(0.01)
            answered_while_hanging.append(Revealer.hanging == 1)
            return list(await asyncio.gather(*tasks))

    revealed, hung = asyncio.run(run())
    # The revealed id's batch waited for the hanging lookup (its work has no arXiv
    # id yet), but no longer than max_linger.
    assert answered_while_hanging == [True]
    assert revealed.title == "2101.00001"
    assert hung.status == "error"
