"""Unpaywall's answers and snapshot lines against wrong types, absurd numbers,
deep nesting and broken bytes.

A fault in the body of an answer is the source's bad response (never a
"plugin error"), a bad value in one field costs only that field (or that one
author, that one location), and a bad line of a snapshot is skipped and
counted. The hostile values are built in test code, on top of the recorded
DOI objects of tests/fixtures/unpaywall/.
"""

from __future__ import annotations

import asyncio
import copy
import gzip
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import paperfuse
import paperfuse_unpaywall
from mutations import JSON_VALUES, mutated_json
from paperfuse import Config, SourceSettings, Work
from paperfuse.testing import ResolverFactory, report
from paperfuse_unpaywall import doi_object_to_work, snapshot_records

FIXTURES = Path(__file__).parent / "fixtures" / "unpaywall"
EMAIL = "librarian@example.org"
DOI_OBJECTS = [
    "unpywall_10.1038_nature12373.json",
    "unpywall_10.1016_j.jns.2020.116832.json",
    "psu_fixture_unpaywall2.json",
    "snapshot/dissemin_10.1080_21645515.2017.1330236.json",
    "snapshot/ezunpaywall_10.1103_physrevlett.120.052501.json",
]
DEEP = b"[" * 100_000 + b"]" * 100_000
HUGE = 2**64 * 10**12


def load(name: str = "unpywall_10.1038_nature12373.json") -> Any:
    return json.loads((FIXTURES / name).read_text())


def assert_storable(work: Work) -> None:
    """What the cache (msgpack) and the output (JSON) do with every record must work."""
    msgspec.msgpack.encode(work)
    paperfuse.encode_json(work)


def assert_sane(work: Work) -> None:
    assert_storable(work)
    assert work.year is None or 1000 <= work.year <= 3000
    assert all(isinstance(a.name, str) and a.name for a in work.authors)
    assert all(isinstance(loc.url, str) and loc.url for loc in work.oa_locations)


# -- one bad field costs that field ------------------------------------------------------------


def test_a_mistyped_affiliation_costs_only_that_affiliation() -> None:
    data = load()
    data["z_authors"][0]["affiliation"] = 5
    data["z_authors"][1]["affiliation"] = [{"name": 7}, {"name": " Harvard "}, "x", None]
    work = doi_object_to_work(data)
    assert work is not None
    assert work.title == "Nanometre-scale thermometry in a living cell"
    assert [a.family for a in work.authors[:3]] == ["Kucsko", "Maurer", "Yao"]
    assert len(work.authors) == len(data["z_authors"])
    assert work.authors[0].affiliations == ()
    assert work.authors[1].affiliations == ("Harvard",)


def test_a_mistyped_author_costs_only_that_author() -> None:
    data = load()
    data["z_authors"][1] = {"given": 5, "family": ["Maurer"], "ORCID": 12}
    data["z_authors"][2]["ORCID"] = {"id": 1}
    work = doi_object_to_work(data)
    assert work is not None
    assert len(work.authors) == len(data["z_authors"]) - 1
    assert work.authors[1].family == "Yao"
    assert work.authors[1].orcid is None


def test_a_location_with_a_mistyped_url_costs_only_that_url() -> None:
    data = load()
    data["oa_locations"][0]["url"] = 7
    data["oa_locations"][1] |= {"url": 7, "url_for_pdf": [], "url_for_landing_page": {}}
    data["oa_locations"][2]["is_best"] = "yes"
    work = doi_object_to_work(data)
    assert work is not None
    first = work.oa_locations[0]
    assert first.url == data["oa_locations"][0]["url_for_pdf"]  # the next URL it gives
    assert first.host_type == "repository"
    assert len(work.oa_locations) == len(data["oa_locations"]) - 1  # no URL at all: left out
    assert work.oa_locations[1].is_best is None
    assert work.oa_status == "green"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("z_authors", "x"),
        ("z_authors", {"given": "A."}),
        ("oa_locations", {}),
        ("oa_locations", "x"),
        ("best_oa_location", []),
        ("journal_issns", ["0028-0836"]),
        ("title", 5),
        ("is_oa", "true"),
    ],
)
def test_a_field_of_the_wrong_type_costs_only_that_field(field: str, value: Any) -> None:
    data = load() | {field: value}
    work = doi_object_to_work(data)
    assert work is not None
    assert work.ids.doi == "10.1038/nature12373"
    assert work.venue == "Nature"
    assert_sane(work)


@pytest.mark.parametrize(
    "year",
    [HUGE, -HUGE, 2**63, "9" * 30, "9" * 5000, "²⁰¹³", "١٠", 1, 99999, 2013.5, True, "2013x"],
)
def test_an_absurd_year_costs_only_the_year(year: Any) -> None:
    work = doi_object_to_work(load() | {"year": year})
    assert work is not None
    assert work.year is None
    assert work.title is not None
    assert_storable(work)


def test_years_as_numbers_and_as_text_are_read() -> None:
    assert doi_object_to_work(load() | {"year": 2013}).year == 2013  # type: ignore[union-attr]
    assert doi_object_to_work(load() | {"year": " 2013 "}).year == 2013  # type: ignore[union-attr]


def test_kept_extras_hold_only_sane_values() -> None:
    data = load() | {
        "data_standard": HUGE,
        "is_paratext": "no",
        "updated": 5,
        "first_oa_location": {"url": "https://x.example/a", "endpoint_id": HUGE, "n": [HUGE, 1]},
        "oa_locations_embargoed": [json.loads(b"[" * 500 + b"]" * 500)],
    }
    work = doi_object_to_work(data)
    assert work is not None
    kept = work.extra["unpaywall"]
    assert "data_standard" not in kept
    assert "is_paratext" not in kept
    assert "updated" not in kept
    assert kept["first_oa_location"] == {"url": "https://x.example/a", "n": [1]}
    assert_storable(work)
    assert depth(kept["oa_locations_embargoed"]) <= 10


def depth(value: Any) -> int:
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


# -- the new shape of z_authors ------------------------------------------------------------------

#: z_authors as Unpaywall serves them since 2025 (documented at https://unpaywall.org/data-format:
#: raw_author_name, author_position, is_corresponding, raw_affiliation_strings; no given,
#: family or ORCID). No recorded response with this shape could be found, so these entries
#: are written here after the documented shape, for the authors of 10.1038/nature12373.
RAW_AUTHORS = [
    {
        "author_position": "first",
        "raw_author_name": "G. Kucsko",
        "is_corresponding": False,
        "raw_affiliation_strings": [
            "Department of Physics, Harvard University, Cambridge, Massachusetts 02138, USA"
        ],
    },
    {
        "author_position": "middle",
        "raw_author_name": " P.  C. Maurer ",
        "is_corresponding": False,
        "raw_affiliation_strings": [],
    },
    {
        "author_position": "last",
        "raw_author_name": "M. D. Lukin",
        "is_corresponding": True,
        "raw_affiliation_strings": [
            "Department of Physics, Harvard University, Cambridge, Massachusetts 02138, USA",
            "  ",
            5,
        ],
    },
]


def test_authors_in_the_raw_shape_are_read() -> None:
    """Built in test code from the documented shape (see RAW_AUTHORS); not a recorded answer."""
    work = doi_object_to_work(load() | {"z_authors": copy.deepcopy(RAW_AUTHORS)})
    assert work is not None
    assert [a.name for a in work.authors] == ["G. Kucsko", "P. C. Maurer", "M. D. Lukin"]
    assert [(a.given, a.family, a.orcid) for a in work.authors] == [(None, None, None)] * 3
    assert work.authors[0].affiliations == (
        "Department of Physics, Harvard University, Cambridge, Massachusetts 02138, USA",
    )
    assert work.authors[1].affiliations == ()
    assert work.authors[2].affiliations == work.authors[0].affiliations
    assert [a.sequence for a in work.authors] == ["first", "additional", "additional"]


def test_both_shapes_in_one_list_and_mistyped_raw_fields() -> None:
    """Built in test code from the documented shapes; not a recorded answer."""
    data = load()
    data["z_authors"] = [
        data["z_authors"][0],
        RAW_AUTHORS[1],
        {"raw_author_name": 5, "raw_affiliation_strings": "Harvard"},
        {"raw_author_name": "A. Nonymous", "raw_affiliation_strings": "Harvard"},
    ]
    work = doi_object_to_work(data)
    assert work is not None
    assert [a.name for a in work.authors] == ["G. Kucsko", "P. C. Maurer", "A. Nonymous"]
    assert (work.authors[0].given, work.authors[0].family) == ("G.", "Kucsko")
    assert work.authors[2].affiliations == ()


# -- the API source: faults of the body are its bad response --------------------------------------


Make = Callable[[HTTPServer], paperfuse.Resolver]


@pytest.fixture
def resolver(paperfuse_resolver: ResolverFactory) -> Make:
    """Resolvers of the Unpaywall API source at the local server."""

    def make(server: HTTPServer) -> paperfuse.Resolver:
        url = server.url_for("").rstrip("/")
        return paperfuse_resolver(
            {"unpaywall": paperfuse_unpaywall}, urls={"unpaywall": url}, email=EMAIL
        )

    return make


def serve(server: HTTPServer, body: bytes) -> None:
    def respond(request: Request) -> Response:
        return Response(body, status=200, content_type="application/json")

    server.expect_request(re.compile(r"^/v2/.*")).respond_with_handler(respond)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[1, 2]", "not a DOI object: '[1, 2]'"),
        (b'"10.1038/nature12373"', "not a DOI object"),
        (b'{"doi": 5, "title": "T"}', "not a DOI object"),
        (DEEP, "JSON nested too deep"),
        (b'{"doi": "10.1038/nature12373", "title": ' + DEEP + b"}", "JSON nested too deep"),
        (b'{"doi": "10.1038/\xff"}', "malformed JSON"),
        (b"<!DOCTYPE html><html><title>502</title></html>", "malformed JSON"),
        (b'{"doi": "10.1038/nature12373", "year": 1e999}', "malformed JSON"),
    ],
)
def test_a_body_that_is_no_doi_object_is_a_bad_response(
    httpserver: HTTPServer, body: bytes, message: str, resolver: Make
) -> None:
    serve(httpserver, body)
    with resolver(httpserver) as r:
        work = r.resolve("10.1038/nature12373")
    error = report(work, "unpaywall").error or ""
    assert report(work, "unpaywall").status == "error"
    assert message in error
    assert "plugin error" not in error
    assert len(error) < 400
    assert EMAIL not in error


@pytest.mark.parametrize(
    "changes",
    [
        {"year": HUGE},
        {"z_authors": [{"given": "G.", "family": "Kucsko", "affiliation": 5}]},
        {"oa_locations": {}, "z_authors": "x"},
        {"data_standard": HUGE, "first_oa_location": {"endpoint_id": -HUGE}},
    ],
)
def test_a_record_with_bad_fields_resolves_and_is_cached(
    httpserver: HTTPServer, tmp_path: Path, changes: dict[str, Any]
) -> None:
    serve(httpserver, json.dumps(load() | changes).encode())
    url = httpserver.url_for("").rstrip("/")
    cfg = Config(
        email=EMAIL, cache_dir=str(tmp_path), sources={"unpaywall": SourceSettings(url=url)}
    )
    plugins = {"unpaywall": paperfuse_unpaywall}
    with paperfuse.Resolver(cfg, entry_points=False, plugins=plugins) as r:
        work = r.resolve("10.1038/nature12373")
    assert work.status == "resolved", report(work, "unpaywall").error
    assert work.title == "Nanometre-scale thermometry in a living cell"
    assert_storable(work)
    with paperfuse.Resolver(cfg, entry_points=False, plugins=plugins) as r:
        again = r.resolve("10.1038/nature12373")
    assert report(again, "unpaywall").cached
    assert len(httpserver.log) == 1


def test_search_faults_are_bad_responses_and_scores_are_sane(
    httpserver: HTTPServer, resolver: Make
) -> None:
    bodies = [DEEP, json.dumps({"results": [{"score": HUGE, "response": load()}, 5]}).encode()]

    def respond(request: Request) -> Response:
        return Response(bodies.pop(0), status=200, content_type="application/json")

    httpserver.expect_request("/v2/search").respond_with_handler(respond)

    async def search() -> list[Any]:
        async with resolver(httpserver) as r:
            source = r._sources()["unpaywall"].instance
            query = paperfuse.Query(kind="title", text="Nanometre-scale thermometry")
            outcomes: list[Any] = []
            for _ in range(2):
                try:
                    outcomes.append(await source.search(query))
                except paperfuse.SourceError as e:
                    outcomes.append(e)
            return outcomes

    deep, found = asyncio.run(search())
    assert isinstance(deep, paperfuse.BadResponse)
    assert "JSON nested too deep" in str(deep)
    assert len(found) == 1
    assert "search_score" not in found[0].extra["unpaywall"]
    assert_storable(found[0])


# -- the snapshot: a bad line is skipped and counted ----------------------------------------


def good_lines() -> list[bytes]:
    return [
        json.dumps(load(name)).encode()
        for name in (
            "unpywall_10.1038_nature12373.json",
            "unpywall_10.1016_j.jns.2020.116832.json",
        )
    ]


BAD_LINES = [
    b"[1, 2]",
    b'{"doi": 5}',
    b'{"doi": ["10.1/x"]}',
    b'{"doi": "10.1234/\xff\xfe"}',
    b'{"doi": "10.1234/deep", "x": ' + DEEP + b"}",
    b'{"x": ' + DEEP + b', "doi": "10.1234/deep2"}',
    DEEP,
    b'{"doi": "10.1234/bytes", "title": "\xff\xfe"}',
    b"\xff\xfe{\x00",
    b'{"doi": "10.1234/trunc',
]


def snapshot_resolver(path: Path, cache: Path) -> paperfuse.Resolver:
    cfg = Config(
        cache_dir=str(cache),
        use_cache=False,
        sources={"unpaywall-snapshot": SourceSettings(options={"path": str(path)})},
    )
    return paperfuse.Resolver(cfg, entry_points=False, plugins={"unpaywall": paperfuse_unpaywall})


def snapshot_report(work: Work) -> paperfuse.SourceReport:
    return {r.name: r for r in work.sources}["unpaywall-snapshot"]


def test_bad_snapshot_lines_are_skipped_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    odd = json.dumps(load() | {"doi": "10.1234/odd", "year": HUGE, "z_authors": "x"}).encode()
    lines = [good_lines()[0], *BAD_LINES, odd, good_lines()[1]]
    path = tmp_path / "snapshot.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    assert [doi for doi, _ in snapshot_records(path)] == [
        "10.1038/nature12373",
        "10.1234/odd",
        "10.1016/j.jns.2020.116832",
    ]
    with caplog.at_level(logging.INFO), snapshot_resolver(path, tmp_path / "cache") as r:
        first, odd_work, last = r.resolve_many(
            ["10.1038/nature12373", "10.1234/odd", "10.1016/j.jns.2020.116832"]
        )
    assert (first.status, odd_work.status, last.status) == ("resolved",) * 3
    assert (odd_work.year, odd_work.authors) == (None, ())
    assert_storable(odd_work)
    assert f"{len(BAD_LINES)} lines of the snapshot" in caplog.text


def test_a_truncated_snapshot_keeps_what_was_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = [good_lines()[0], *(json.dumps(load(n)).encode() for n in DOI_OBJECTS[1:])]
    path = tmp_path / "snapshot.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n".join(lines) * 50 + b"\n")[:-200])
    with caplog.at_level(logging.WARNING), snapshot_resolver(path, tmp_path / "cache") as r:
        work = r.resolve("10.1038/nature12373")
    assert work.status == "resolved", snapshot_report(work).error
    assert "breaks off" in caplog.text
    assert str(path) in caplog.text


def test_a_snapshot_line_that_cannot_be_read_back_is_a_bad_response(tmp_path: Path) -> None:
    """Indexing types only a few fields of each line: what the rest holds is found at lookup."""
    path = tmp_path / "snapshot.jsonl"
    deep_line = b'{"doi": "10.1234/deep", "x": ' + DEEP + b"}"
    path.write_bytes(
        b'{"doi": "10.1234/inf", "year": 1e999}\n' + deep_line + b"\n" + good_lines()[0] + b"\n"
    )
    inf = paperfuse.Identifier(scheme="doi", value="10.1234/inf")
    deep = paperfuse.Identifier(scheme="doi", value="10.1234/deep")
    good = paperfuse.Identifier(scheme="doi", value="10.1038/nature12373")

    async def run() -> Any:
        async with snapshot_resolver(path, tmp_path / "cache") as r:
            source = r._sources()["unpaywall-snapshot"].instance
            return await source.lookup([inf, deep, good])

    results = asyncio.run(run())
    assert isinstance(results[inf], paperfuse.BadResponse)
    assert "the snapshot's line for this DOI cannot be read" in str(results[inf])
    assert isinstance(results[deep], paperfuse.BadResponse)
    assert "nested too deep" in str(results[deep])
    assert isinstance(results[good], paperfuse.Work)


# -- properties -----------------------------------------------------------------------------------

KEYS = sorted(
    {key for name in DOI_OBJECTS for key in load(name)}
    | {"raw_author_name", "raw_affiliation_strings", "author_position", "affiliation", "ORCID"}
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_json([load(name) for name in DOI_OBJECTS]))
def test_mutated_recorded_doi_objects_map_to_sane_records(data: Any) -> None:
    work = doi_object_to_work(data)
    if work is not None:
        assert_sane(work)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), JSON_VALUES, max_size=12))
def test_objects_of_known_keys_and_any_values_map_to_sane_records(data: Any) -> None:
    work = doi_object_to_work(data | {"doi": "10.1234/x"})
    assert work is not None
    assert_sane(work)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_any_json_value_is_a_record_or_none(data: Any) -> None:
    work = doi_object_to_work(data)
    if work is not None:
        assert_sane(work)
