"""The arXiv source: recorded responses replayed by a local server, and hostile ones.

Expected values were read by eye from the fixture files in tests/fixtures/arxiv/.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import stamina
from lxml import etree
from pytest_httpserver import HTTPServer
from turns import TurnCounter
from werkzeug import Request, Response

import paperfuse
import paperfuse_arxiv
from installed_plugins import BUILT_IN_PLUGINS
from paperfuse import BadResponse, Config, Identifier, Query, SourceSettings, Work
from paperfuse.testing import CLI, Isolation, ResolverFactory
from paperfuse_arxiv import _source as arxiv_source
from paperfuse_arxiv import parse_feed, search_query

FIXTURES = Path(__file__).parent / "fixtures" / "arxiv"
ATOM = "http://www.w3.org/2005/Atom"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def feed_of(*names: str) -> bytes:
    """One feed holding the entries of several recorded feeds, as a multi-id answer."""
    root = etree.fromstring(fixture(names[0]))
    for name in names[1:]:
        for entry in etree.fromstring(fixture(name)).iterfind(f"{{{ATOM}}}entry"):
            root.append(entry)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _parse_one(name: str) -> Work:
    feed = parse_feed(fixture(name))
    assert len(feed.works) == 1
    return feed.works[0]


# -- parsing --------------------------------------------------------------------------------


def test_entry_with_doi_and_journal_reference() -> None:
    work = _parse_one("pubs_id_1710.08557.xml")
    assert work.ids.arxiv == "1710.08557"
    assert work.ids.arxiv_version == 1
    assert work.ids.doi == "10.1186/s12984-017-0305-3"
    assert work.title == (
        "On Neuromechanical Approaches for the Study of Biological Grasp and Manipulation"
    )
    assert [a.name for a in work.authors] == ["Francisco J Valero-Cuevas", "Marco Santello"]
    assert work.journal_ref == "Journal of NeuroEngineering and Rehabilitation, 2017"
    assert work.abstract is not None
    assert work.abstract.startswith("Biological and robotic grasp and manipulation are undeniably")
    assert work.abstract.endswith("make progress in these important areas.")
    assert "\n" not in work.abstract
    assert "  " not in work.abstract
    assert (work.published, work.year) == ("2017-10-24", 2017)
    assert work.updated == "2017-10-24T00:21:32+00:00"
    assert (work.primary_category, work.categories) == ("cs.RO", ("cs.RO",))
    assert work.comment is None
    location = work.oa_locations[0]
    assert location.url == "https://arxiv.org/abs/1710.08557"
    assert location.url_for_pdf == "https://arxiv.org/pdf/1710.08557"
    assert (location.host_type, location.version, location.source) == (
        "repository",
        "submittedVersion",
        "arxiv",
    )


def test_old_style_identifier() -> None:
    work = _parse_one("pubs_id_math_0211159.xml")
    assert (work.ids.arxiv, work.ids.arxiv_version) == ("math/0211159", 1)
    assert work.title == "The entropy formula for the Ricci flow and its geometric applications"
    assert [a.name for a in work.authors] == ["Grisha Perelman"]
    assert work.comment == "39 pages"
    assert work.categories == ("math.DG", "53C")
    assert work.primary_category == "math.DG"
    assert work.oa_locations[0].url_for_pdf == "https://arxiv.org/pdf/math/0211159"
    assert work.ids.doi is None


def test_authors_with_affiliations() -> None:
    work = _parse_one("pubs_id_astro-ph_9812133.xml")
    assert work.ids.arxiv == "astro-ph/9812133"
    assert work.title == "Measurements of Omega and Lambda from 42 High-Redshift Supernovae"
    assert len(work.authors) == 32
    assert work.authors[0].name == "S. Perlmutter"
    assert work.authors[0].affiliations == ("The Supernova Cosmology Project",)
    assert "Omega_M <~ 1.5" in (work.abstract or "")  # entities in text are decoded


def test_2025_feed_with_bare_links_and_doi() -> None:
    work = _parse_one("rsxiv_id_2206.06921_TRIMMED.xml")
    assert (work.ids.arxiv, work.ids.arxiv_version) == ("2206.06921", 3)
    assert work.ids.doi == "10.1512/iumj.2024.73.9928"
    assert work.journal_ref == "Indiana Univ. Math. J. 73 (2024), 1331-1356"
    assert work.categories == ("math.CA", "math.DS", "math.MG")
    assert work.primary_category == "math.CA"
    assert work.published == "2022-06-14"
    assert work.updated == "2025-01-30T01:23:42+00:00"


def test_documentation_example_with_unversioned_id_and_offsets() -> None:
    feed = parse_feed(fixture("arxivdocs_typical_response_all_electron_max1.xml"))
    assert (feed.total, feed.start, feed.per_page) == (1000, 0, 1)
    work = feed.works[0]
    assert (work.ids.arxiv, work.ids.arxiv_version) == ("hep-ex/0307015", None)
    assert (
        work.title
        == "Multi-Electron Production at High Transverse Momenta in ep Collisions at HERA"
    )
    assert work.published == "2003-07-07"
    assert work.updated == "2003-07-07T13:46:39-04:00"
    assert work.comment == "23 pages, 8 figures and 4 tables"
    assert work.journal_ref == "Eur.Phys.J. C31 (2003) 17-29"


def test_multi_entry_feed_and_its_totals() -> None:
    feed = parse_feed(fixture("arxivvanity_test-data_cs_ml_max10.xml"))
    assert (feed.total, feed.start, feed.per_page) == (46083, 0, 10)
    assert len(feed.works) == 10
    assert feed.works[0].title is not None
    assert feed.works[0].title.startswith("Radical-level Ideograph Encoder for RNN-based Sentiment")
    assert all(w.ids.arxiv and w.oa_locations for w in feed.works)


def test_empty_feed() -> None:
    feed = parse_feed(fixture("rsxiv_id_1201.56789_empty.xml"))
    assert (feed.works, feed.errors, feed.total) == ((), (), 0)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "arxivdocs_error_incorrect_id_format_1234.12345.xml",
            "incorrect id format for 1234.12345",
        ),
        ("pubs_id_invalidid.xml", "incorrect id format for INVALIDID"),
    ],
)
def test_error_feed(name: str, message: str) -> None:
    feed = parse_feed(fixture(name))
    assert feed.works == ()
    assert [e.message for e in feed.errors] == [message]


def test_accepted_manuscript_needs_evidence_in_the_comment() -> None:
    data = fixture("pubs_id_math_0211159.xml").replace(
        b"39 pages", b"39 pages, accepted for publication in Geometry and Topology"
    )
    location = parse_feed(data).works[0].oa_locations[0]
    assert location.version == "acceptedVersion"
    assert location.evidence == (
        "arXiv comment: 39 pages, accepted for publication in Geometry and Topology"
    )


# -- hardening --------------------------------------------------------------------------------

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol3;</title></feed>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/1710.08557v1</id>
<title>&secret;</title></entry></feed>"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (BOMB, "refused a response with a DTD or entities"),
        (XXE, "refused a response with a DTD or entities"),
        (b"", "empty response body"),
        (b"   \n", "empty response body"),
        (b"<html><head><title>503 Service Unavailable</title></head></html>", "not an Atom feed"),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>", "malformed XML"),
        (fixture("pubs_id_1710.08557.xml")[:900], "malformed XML"),
        (b"<rss><channel/></rss>", "not an Atom feed: '<rss><channel/></rss>'"),
    ],
)
def test_hostile_and_broken_bodies_are_bad_responses(body: bytes, message: str) -> None:
    with pytest.raises(BadResponse, match=message):
        parse_feed(body)


def test_external_entity_is_never_read_even_without_doctype_check() -> None:
    """The parser itself resolves no entity and loads nothing, whatever the pre-check says."""
    from paperfuse_arxiv._atom import _PARSER

    root = etree.fromstring(XXE, _PARSER)
    assert b"root:" not in etree.tostring(root)


# -- the source against a local server ----------------------------------------------------------


MakeResolver = Callable[..., paperfuse.Resolver]
Lookup = Callable[..., dict]


@pytest.fixture
def make_resolver(paperfuse_resolver: ResolverFactory) -> MakeResolver:
    """``make_resolver(server, **options)``: the arXiv source at the local server."""

    def make(server: HTTPServer, **options: object) -> paperfuse.Resolver:
        return paperfuse_resolver(
            {"arxiv": paperfuse_arxiv},
            urls={"arxiv": server.url_for("").rstrip("/")},
            settings={"arxiv": {"options": dict(options)}},
        )

    return make


def serve(
    server: HTTPServer, handler: Callable[[dict[str, str]], tuple[bytes, int]]
) -> list[dict[str, str]]:
    """Answer /api/query with ``handler(params)``; returns the log of params asked."""
    asked: list[dict[str, str]] = []

    def respond(request: Request) -> Response:
        params = {k: v[0] for k, v in parse_qs(request.query_string.decode()).items()}
        if request.method == "POST":
            params |= {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
        params["_method"] = request.method
        asked.append(params)
        body, status = handler(params)
        return Response(body, status=status, content_type="application/atom+xml")

    server.expect_request("/api/query").respond_with_handler(respond)
    return asked


@pytest.fixture
def lookup(make_resolver: MakeResolver) -> Lookup:
    """``lookup(server, *identifiers, **options)``: the source's own answer to one batch."""

    def run_lookup(server: HTTPServer, *identifiers: Identifier, **options: object) -> dict:
        async def run() -> dict:
            async with make_resolver(server, **options) as resolver:
                runtime = resolver._sources()["arxiv"]
                return dict(await runtime.instance.lookup(list(identifiers)))

        return asyncio.run(run())

    return run_lookup


def test_batch_lookup_missing_ids_are_not_found(
    httpserver: HTTPServer, make_resolver: MakeResolver
) -> None:
    asked = serve(httpserver, lambda p: (fixture("rsxiv_id_list_4ids_only1_returned.xml"), 200))
    ids = [Identifier(scheme="arxiv", value=f"2201.1345{n}") for n in (5, 2, 3, 4)]
    with make_resolver(httpserver) as resolver:
        works = list(resolver.resolve_many([f"arXiv:{i.value}" for i in ids]))
    assert len(asked) == 1
    assert asked[0]["id_list"] == "2201.13455,2201.13452,2201.13453,2201.13454"
    assert asked[0]["max_results"] == "4"
    assert [w.status for w in works] == ["not_found", "resolved", "not_found", "not_found"]
    assert works[1].title == (
        "Asymptotic Analysis for a Nonlinear Reaction-Diffusion System Modeling"
        " an Infectious Disease"
    )
    report = {r.name: r for r in works[0].sources}["arxiv"]
    assert (report.status, report.requests) == ("not_found", 1)


def test_long_id_list_goes_by_post(httpserver: HTTPServer, lookup: Lookup) -> None:
    asked = serve(httpserver, lambda p: (fixture("rsxiv_id_1201.56789_empty.xml"), 200))
    ids = [Identifier(scheme="arxiv", value=f"2101.{n:05d}") for n in range(1, 201)]
    results = lookup(httpserver, *ids, empty_feed_retries=0)
    assert asked[0]["_method"] == "POST"
    assert asked[0]["id_list"].split(",") == [i.value for i in ids]
    assert asked[0]["max_results"] == "200"
    assert all(value is None for value in results.values())


def test_versioned_id_gets_that_version_and_unversioned_the_latest(
    httpserver: HTTPServer, lookup: Lookup
) -> None:
    v1 = fixture("rsxiv_id_2206.06921_TRIMMED.xml").replace(b"2206.06921v3", b"2206.06921v1")
    serve(
        httpserver,
        lambda p: (
            feed_of("rsxiv_id_2206.06921_TRIMMED.xml") if "v1" not in p["id_list"] else v1,
            200,
        ),
    )
    latest = Identifier(scheme="arxiv", value="2206.06921")
    first = Identifier(scheme="arxiv", value="2206.06921", version=1)
    assert lookup(httpserver, latest)[latest].ids.arxiv_version == 3
    assert lookup(httpserver, first)[first].ids.arxiv_version == 1


def test_error_feed_is_mapped_to_its_input_and_the_rest_resolves(
    httpserver: HTTPServer, lookup: Lookup
) -> None:
    def handler(params: dict[str, str]) -> tuple[bytes, int]:
        if "1234.12345" in params["id_list"]:
            return fixture("arxivdocs_error_incorrect_id_format_1234.12345.xml"), 400
        return fixture("pubs_id_1710.08557.xml"), 200

    asked = serve(httpserver, handler)
    bad = Identifier(scheme="arxiv", value="1234.12345")
    good = Identifier(scheme="arxiv", value="1710.08557")
    results = lookup(httpserver, bad, good)
    assert isinstance(results[bad], BadResponse)
    assert str(results[bad]) == "arXiv API: incorrect id format for 1234.12345"
    assert results[good].ids.doi == "10.1186/s12984-017-0305-3"
    assert [p["id_list"] for p in asked] == ["1234.12345,1710.08557", "1710.08557"]


def test_error_naming_no_id_splits_the_batch(httpserver: HTTPServer, lookup: Lookup) -> None:
    def handler(params: dict[str, str]) -> tuple[bytes, int]:
        if "math/0211159" in params["id_list"]:
            return fixture("pubs_id_invalidid.xml"), 400
        return fixture("pubs_id_1710.08557.xml"), 200

    asked = serve(httpserver, handler)
    ids = [Identifier(scheme="arxiv", value=v) for v in ("1710.08557", "math/0211159")]
    results = lookup(httpserver, *ids)
    assert results[ids[0]].title is not None
    assert str(results[ids[1]]) == "arXiv API: incorrect id format for INVALIDID"
    assert [p["id_list"] for p in asked] == [
        "1710.08557,math/0211159",
        "1710.08557",
        "math/0211159",
    ]


def test_an_error_naming_no_asked_id_is_not_split_without_end(
    httpserver: HTTPServer, lookup: Lookup
) -> None:
    """Every request answered with the recorded error feed for another id: a few requests,
    and the API's message in every input's error (it used to cost 2n - 1 requests)."""
    error_feed = fixture("arxivdocs_error_incorrect_id_format_1234.12345.xml")
    asked = serve(httpserver, lambda p: (error_feed, 400))
    ids = [Identifier(scheme="arxiv", value=f"2101.{n:05d}") for n in range(1, 201)]
    results = lookup(httpserver, *ids)
    assert len(asked) <= 3
    assert set(results) == set(ids)
    for result in results.values():
        assert isinstance(result, BadResponse)
        assert "arXiv API: incorrect id format for 1234.12345" in str(result)


def test_splitting_a_batch_has_a_request_budget(httpserver: HTTPServer, lookup: Lookup) -> None:
    """An API that names no id and fails differently each time still gets a bounded number
    of requests: enough to find one culprit by halving, and no more."""
    count = itertools.count()
    error_feed = fixture("pubs_id_invalidid.xml")

    def handler(params: dict[str, str]) -> tuple[bytes, int]:
        return error_feed.replace(b"INVALIDID", str(next(count)).encode()), 400

    asked = serve(httpserver, handler)
    ids = [Identifier(scheme="arxiv", value=f"2101.{n:05d}") for n in range(1, 201)]
    results = lookup(httpserver, *ids)
    assert len(asked) <= 2 * 8 + 1  # halving 200 ids down to one takes 8 levels
    assert all(isinstance(r, BadResponse) for r in results.values())
    assert all("arXiv API: incorrect id format for " in str(r) for r in results.values())


def test_one_bad_id_among_many_is_found_by_halving(httpserver: HTTPServer, lookup: Lookup) -> None:
    good = fixture("rsxiv_id_1201.56789_empty.xml")
    culprit = "2101.00077"

    def handler(params: dict[str, str]) -> tuple[bytes, int]:
        if culprit in params["id_list"].split(","):
            return fixture("pubs_id_invalidid.xml"), 400
        return good, 200

    asked = serve(httpserver, handler)
    ids = [Identifier(scheme="arxiv", value=f"2101.{n:05d}") for n in range(1, 201)]
    results = lookup(httpserver, *ids, empty_feed_retries=0)
    bad = Identifier(scheme="arxiv", value=culprit)
    assert str(results[bad]) == "arXiv API: incorrect id format for INVALIDID"
    assert all(results[i] is None for i in ids if i != bad)
    assert len(asked) <= 2 * 8 + 1


def test_an_unattributed_error_reaches_every_input_through_the_resolver(
    httpserver: HTTPServer, make_resolver: MakeResolver
) -> None:
    error_feed = fixture("arxivdocs_error_incorrect_id_format_1234.12345.xml")
    asked = serve(httpserver, lambda p: (error_feed, 400))
    inputs = [f"arXiv:2101.{n:05d}" for n in range(1, 41)]
    with make_resolver(httpserver) as resolver:
        works = list(resolver.resolve_many(inputs))
    assert len(asked) <= 3
    for work in works:
        report = {r.name: r for r in work.sources}["arxiv"]
        assert report.status == "error"
        assert "incorrect id format for 1234.12345" in (report.error or "")
        assert "timed out" not in (report.error or "")


def test_empty_feed_for_existing_ids_is_asked_again(httpserver: HTTPServer, lookup: Lookup) -> None:
    answers = [fixture("rsxiv_id_1201.56789_empty.xml"), fixture("pubs_id_1710.08557.xml")]
    asked = serve(httpserver, lambda p: (answers.pop(0), 200))
    good = Identifier(scheme="arxiv", value="1710.08557")
    assert lookup(httpserver, good)[good].title is not None
    assert len(asked) == 2


def test_empty_feed_retries_are_bounded(httpserver: HTTPServer, lookup: Lookup) -> None:
    asked = serve(httpserver, lambda p: (fixture("rsxiv_id_1201.56789_empty.xml"), 200))
    missing = Identifier(scheme="arxiv", value="1201.56789")
    assert lookup(httpserver, missing, empty_feed_retries=2) == {missing: None}
    assert len(asked) == 3


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, b"<html><body>Rate exceeded.</body></html>", "HTTP 200, not an Atom feed"),
        (200, b"", "HTTP 200, empty response body"),
        (200, BOMB, "refused a response with a DTD"),
        (200, BOMB.decode().replace("?>", ' encoding="UTF-16"?>', 1).encode("utf-16"), "a DTD"),
        (
            200,
            b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>",
            "HTTP 200, not an Atom feed (got HTML: '502 Bad Gateway')",
        ),
        (404, b"not here", "HTTP 404: 'not here'"),
    ],
)
def test_broken_responses_are_source_errors_for_that_request(
    httpserver: HTTPServer, status: int, body: bytes, message: str, make_resolver: MakeResolver
) -> None:
    serve(httpserver, lambda p: (body, status))
    with make_resolver(httpserver) as resolver:
        work = resolver.resolve("arXiv:1710.08557")
    report = {r.name: r for r in work.sources}["arxiv"]
    assert report.status == "error"
    assert message in (report.error or "")
    assert "/api/query?id_list=1710.08557" in (report.error or "")
    assert work.status == "error"


def test_oversized_feed_is_refused(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, make_resolver: MakeResolver
) -> None:
    monkeypatch.setattr(arxiv_source, "_MAX_FEED_BYTES", 1000)
    serve(httpserver, lambda p: (fixture("pubs_id_astro-ph_9812133.xml"), 200))
    with make_resolver(httpserver) as resolver:
        work = resolver.resolve("astro-ph/9812133")
    assert "response body larger than 1000 bytes" in (work.sources[0].error or "")


def test_5xx_and_429_are_retried_honouring_retry_after(
    httpserver: HTTPServer, make_resolver: MakeResolver
) -> None:
    times: list[float] = []
    answers: list[tuple[bytes, int, dict[str, str]]] = [
        (b"busy", 503, {}),
        (b"slow down", 429, {"Retry-After": "1"}),
        (fixture("pubs_id_1710.08557.xml"), 200, {}),
    ]

    def respond(request: Request) -> Response:
        times.append(time.monotonic())
        body, status, headers = answers.pop(0)
        return Response(body, status=status, headers=headers)

    httpserver.expect_request("/api/query").respond_with_handler(respond)
    with stamina.set_testing(True, attempts=3), make_resolver(httpserver) as resolver:
        work = resolver.resolve("1710.08557")
    assert work.title is not None
    assert len(times) == 3
    assert times[2] - times[1] >= 0.95  # Retry-After: 1


def test_requests_keep_the_minimum_interval(httpserver: HTTPServer) -> None:
    times: list[float] = []

    def handler(params: dict[str, str]) -> tuple[bytes, int]:
        times.append(time.monotonic())
        return fixture("rsxiv_id_1201.56789_empty.xml"), 200

    serve(httpserver, handler)
    config = Config(
        sources={"arxiv": SourceSettings(url=httpserver.url_for("").rstrip("/"), min_interval=0.3)}
    )
    with paperfuse.Resolver(config, entry_points=False, plugins={"arxiv": paperfuse_arxiv}) as r:
        r.resolve("2101.56789")  # one request and two empty-feed retries
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 3
    assert min(gaps) >= 0.29


def test_default_politeness_is_the_documented_one() -> None:
    source = paperfuse_arxiv.ArxivSource
    assert (source.politeness.min_interval, source.politeness.max_concurrency) == (3.0, 1)
    assert source.batch_size == 2000


# -- search ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "phrase", "expected"),
    [
        (
            Query(kind="title", text="Attention is all you need"),
            True,
            'ti:"Attention is all you need" ANDNOT ti:erratum ANDNOT ti:corrigendum'
            " ANDNOT ti:retraction",
        ),
        (
            Query(kind="title", text='The "AND" of: quotes (and) colons'),
            True,
            'ti:"The of quotes colons" ANDNOT ti:erratum ANDNOT ti:corrigendum'
            " ANDNOT ti:retraction",
        ),
        (
            Query(
                kind="citation",
                text="Vaswani A. et al. (2017) Attention is all you need. NeurIPS.",
                title="Attention is all you need",
                author="Vaswani",
                year=2017,
            ),
            False,
            '(ti:Attention AND ti:all AND ti:you AND ti:need) AND au:"Vaswani"'
            " ANDNOT ti:erratum ANDNOT ti:corrigendum ANDNOT ti:retraction",
        ),
        (
            Query(kind="title", text="Erratum: Measurement of the proton radius"),
            True,
            'ti:"Erratum Measurement of the proton radius" ANDNOT ti:corrigendum'
            " ANDNOT ti:retraction",
        ),
        (Query(kind="title", text="!!! ???"), True, None),
    ],
)
def test_search_query_is_quoted_and_escaped(
    query: Query, phrase: bool, expected: str | None
) -> None:
    assert search_query(query, phrase=phrase) == expected


def test_title_search_finds_the_paper_through_the_matcher(
    httpserver: HTTPServer, make_resolver: MakeResolver
) -> None:
    asked = serve(httpserver, lambda p: (fixture("rsxiv_search_electron_and_proton.xml"), 200))
    with make_resolver(httpserver) as resolver:
        work = resolver.resolve("Electron cloud observations at the ISIS Proton Synchrotron")
    assert work.status == "resolved"
    assert work.title == "Electron cloud observations at the ISIS Proton Synchrotron"
    assert work.ids.arxiv == "1309.4668"
    assert asked[0]["search_query"].startswith(
        'ti:"Electron cloud observations at the ISIS Proton Synchrotron"'
    )
    assert (asked[0]["start"], asked[0]["max_results"]) == ("0", "10")


def test_search_falls_back_to_words_when_the_phrase_finds_nothing(
    httpserver: HTTPServer, make_resolver: MakeResolver
) -> None:
    answers = [
        fixture("rsxiv_id_1201.56789_empty.xml"),
        fixture("rsxiv_search_electron_and_proton.xml"),
    ]
    asked = serve(httpserver, lambda p: (answers.pop(0), 200))
    with make_resolver(httpserver) as resolver:
        work = resolver.resolve("Electron cloud observations at the ISIS Proton Synchrotron")
    assert work.ids.arxiv == "1309.4668"
    assert asked[1]["search_query"].startswith("(ti:Electron AND ti:cloud AND ti:observations")


def test_search_paging_stops_at_the_api_cap(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, make_resolver: MakeResolver
) -> None:
    monkeypatch.setattr(arxiv_source, "MAX_RESULTS", 25)
    feed = fixture("arxivvanity_test-data_cs_ml_max10.xml")  # 10 entries, total 46083
    asked = serve(httpserver, lambda p: (feed, 200))

    async def run() -> list[Work]:
        async with make_resolver(httpserver, search_results=2500) as resolver:
            source = resolver._sources()["arxiv"].instance
            return await source._search_pages("cat:cs.LG", 2500)

    works = asyncio.run(run())
    assert [(p["start"], p["max_results"]) for p in asked] == [("0", "25")]
    assert len(works) == 10
    assert sum(int(p["max_results"]) for p in asked) <= 25


# -- end to end -----------------------------------------------------------------------------------


def test_resolved_record_is_complete(httpserver: HTTPServer, make_resolver: MakeResolver) -> None:
    serve(httpserver, lambda p: (fixture("pubs_id_1710.08557.xml"), 200))
    with make_resolver(httpserver) as resolver:
        work = resolver.resolve("https://arxiv.org/abs/1710.08557")
    assert work.status == "resolved"
    assert (work.ids.arxiv, work.ids.doi) == ("1710.08557", "10.1186/s12984-017-0305-3")
    assert (work.is_oa, work.oa_status) == (True, "green")
    assert work.best_oa_location is not None
    assert work.best_oa_location.url == "https://arxiv.org/abs/1710.08557"
    assert work.best_oa_location.reason
    assert work.provenance["abstract"].source == "arxiv"


def test_cli_resolves_against_a_local_replay(
    httpserver: HTTPServer, paperfuse_isolated: Isolation, paperfuse_cli: CLI
) -> None:
    serve(
        httpserver, lambda p: (feed_of("pubs_id_1710.08557.xml", "pubs_id_math_0211159.xml"), 200)
    )
    paperfuse_isolated.use_plugins(entry_points=BUILT_IN_PLUGINS - {"unpaywall", "oab"})
    run = paperfuse_cli.subprocess(
        "resolve",
        "1710.08557",
        "math/0211159",
        urls={"arxiv": httpserver.url_for("").rstrip("/")},
    )
    assert run.exit_code == 0, run.stderr
    first, second = (json.loads(line) for line in run.stdout.splitlines())
    assert first["ids"]["doi"] == "10.1186/s12984-017-0305-3"
    assert second["ids"]["arxiv"] == "math/0211159"
    assert (
        second["title"] == "The entropy formula for the Ricci flow and its geometric applications"
    )
    assert second["oa_status"] == "green"
    assert second["best_oa_location"]["url_for_pdf"] == "https://arxiv.org/pdf/math/0211159"


def test_a_large_feed_is_read_in_turns_by_the_source(
    httpserver: HTTPServer, make_resolver: MakeResolver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recorded 100-entry feed, as the answer of a request for its own ids: its entries
    are read 32 at a time, the event loop running other tasks in between."""
    from paperfuse_arxiv import _atom

    body = fixture("arxivvanity_query_cs_ml_start0_max100.xml")
    ids = [work.ids.arxiv for work in parse_feed(body).works]
    serve(httpserver, lambda p: (body, 200))
    counter = TurnCounter()
    monkeypatch.setattr(_atom, "_entry", counter.wrap(_atom._entry))
    with make_resolver(httpserver) as resolver:
        works = list(resolver.resolve_many(ids))
    counter.running = False
    assert all(w.status == "resolved" for w in works)
    assert len(counter.seen_at) == 100  # one feed
    assert counter.distinct == 4  # 32, 32, 32 and 4 entries
