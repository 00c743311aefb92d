"""Open Access Button answers against wrong types, absurd numbers and deep nesting.

A fault in the body of an answer is the source's bad response (never a
"plugin error"), and a bad value in one field costs only that field (or that
one author, that one free copy). The hostile values are built in test code,
on top of the answers of tests/fixtures/oab/.
"""

from __future__ import annotations

import json
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
import paperfuse_oab
from mutations import JSON_VALUES, mutated_json
from paperfuse import Work
from paperfuse.testing import ResolverFactory, report
from paperfuse_oab import find_answer_to_work

FIXTURES = Path(__file__).parent / "fixtures" / "oab"
ANSWERS = sorted(p.name for p in FIXTURES.glob("*.json"))
FOUND = "psu_find_10.1103_physrevlett.80.3915.json"
DEEP = b"[" * 100_000 + b"]" * 100_000
HUGE = 2**64 * 10**12


def load(name: str = FOUND) -> Any:
    return json.loads((FIXTURES / name).read_text())


def with_metadata(**changes: Any) -> Any:
    data = load()
    data["metadata"] |= changes
    return data


def assert_sane(work: Work) -> None:
    """What the cache (msgpack) and the output (JSON) do with every record must work."""
    msgspec.msgpack.encode(work)
    paperfuse.encode_json(work)
    assert work.year is None or 1000 <= work.year <= 3000
    assert all(isinstance(a.name, str) and a.name for a in work.authors)
    assert all(isinstance(loc.url, str) and loc.url for loc in work.oa_locations)


# -- one bad field costs that field ------------------------------------------------------------


@pytest.mark.parametrize(
    "year", [HUGE, -HUGE, 2**63, "9" * 30, "²⁰¹³", "١٩٩٨", 1, 99999, 1998.5, True, "1998x"]
)
def test_an_absurd_year_costs_only_the_year(year: Any) -> None:
    work = find_answer_to_work(with_metadata(year=year))
    assert work is not None
    assert work.year is None
    assert work.ids.doi == "10.1103/physrevlett.80.3915"
    assert_sane(work)


def test_years_as_numbers_and_as_text_are_read() -> None:
    assert find_answer_to_work(with_metadata(year=1998)).year == 1998  # type: ignore[union-attr]
    assert find_answer_to_work(with_metadata(year="1998")).year == 1998  # type: ignore[union-attr]


def test_a_mistyped_affiliation_costs_only_that_affiliation() -> None:
    data = load()
    data["metadata"]["author"][0]["affiliation"] = 5
    data["metadata"]["author"][1]["affiliation"] = [{"name": " Pittsburgh "}, {"name": 7}]
    work = find_answer_to_work(data)
    assert work is not None
    assert len(work.authors) == 44
    assert (work.authors[0].family, work.authors[0].affiliations) == ("Gómez", ())
    assert work.authors[1].affiliations == ("Pittsburgh",)


@pytest.mark.parametrize(
    ("changes", "kept"),
    [
        ({"author": "R. Gómez"}, "title"),
        ({"author": [5, None, "  ", " Ada  Lovelace "]}, "title"),
        ({"pmid": [[[1]]], "pmcid": 5, "doi": {"x": 1}}, "title"),
        ({"pmid": {"a": 1}}, "doi"),
        ({"issn": {"a": "b"}, "title": 5}, "doi"),
        ({"volume": HUGE, "issue": 1e300, "page": []}, "title"),
    ],
)
def test_a_field_of_the_wrong_type_costs_only_that_field(changes: dict, kept: str) -> None:
    work = find_answer_to_work(with_metadata(**changes))
    assert work is not None
    assert getattr(work, kept) if kept != "doi" else work.ids.doi
    assert work.oa_locations[0].url == "http://arxiv.org/pdf/gr-qc/9801069"
    assert_sane(work)


def test_plain_author_names_are_cleaned() -> None:
    work = find_answer_to_work(with_metadata(author=[" Ada  Lovelace ", 5]))
    assert work is not None
    assert [a.name for a in work.authors] == ["Ada Lovelace"]


@pytest.mark.parametrize("availability", [5, "x", {"type": "article"}, [5, {"url": 7}]])
def test_a_mistyped_availability_costs_only_the_free_copies(availability: Any) -> None:
    data = load("psu_find_legacy_ANONYMIZED_two_articles.json")
    data["data"]["availability"] = availability
    data["metadata"] = {"title": "A paper"}
    work = find_answer_to_work(data)
    assert work is not None
    assert work.title == "A paper"
    assert work.oa_locations == ()


# -- the source: faults of the body are its bad response ------------------------------------------


def serve(server: HTTPServer, body: bytes) -> None:
    def respond(request: Request) -> Response:
        return Response(body, status=200, content_type="application/json")

    server.expect_request(re.compile(r".*")).respond_with_handler(respond)


Resolve = Callable[..., Work]


@pytest.fixture
def resolve(paperfuse_resolver: ResolverFactory) -> Resolve:
    """Resolve ``text`` with the OA.Works source at the local server, no cache."""

    def run(server: HTTPServer, text: str = "10.1103/physrevlett.80.3915") -> Work:
        root = server.url_for("").rstrip("/")
        with paperfuse_resolver({"oab": paperfuse_oab}, urls={"oab": root}, use_cache=False) as r:
            return r.resolve(text)

    return run


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (DEEP, "JSON nested too deep"),
        (b'{"url": "https://x.example/a.pdf", "metadata": ' + DEEP + b"}", "JSON nested too deep"),
        (b"[1, 2]", "not an answer of the find API"),
        (b'{"url": "\xff"}', "malformed JSON"),
        (b'{"metadata": {"year": 1e999}}', "malformed JSON"),
    ],
)
def test_a_body_that_is_no_answer_is_a_bad_response(
    httpserver: HTTPServer, body: bytes, message: str, resolve: Resolve
) -> None:
    serve(httpserver, body)
    work = resolve(httpserver)
    error = report(work, "oab").error or ""
    assert report(work, "oab").status == "error"
    assert message in error
    assert "plugin error" not in error


@pytest.mark.parametrize(
    "changes",
    [
        {"year": HUGE},
        {"author": [{"given": "R.", "family": "Gómez", "affiliation": 5}]},
        {"pmid": [[1]], "issn": 5},
    ],
)
def test_an_answer_with_bad_fields_resolves(
    httpserver: HTTPServer, changes: dict, resolve: Resolve
) -> None:
    serve(httpserver, json.dumps(with_metadata(**changes)).encode())
    work = resolve(httpserver)
    assert work.status == "resolved", report(work, "oab").error
    assert work.title is not None
    assert_sane(work)


def test_metadata_that_is_nested_too_deep_keeps_the_free_copy(
    httpserver: HTTPServer, resolve: Resolve
) -> None:
    def respond(request: Request) -> Response:
        if request.path == "/find":
            body = json.dumps({"url": "https://repo.example.edu/paper.pdf"}).encode()
        else:
            body = DEEP
        return Response(body, status=200, content_type="application/json")

    httpserver.expect_request(re.compile(r".*")).respond_with_handler(respond)
    work = resolve(httpserver, "10.5555/abc")
    assert report(work, "oab").status == "ok", report(work, "oab").error
    assert work.oa_locations[0].url == "https://repo.example.edu/paper.pdf"
    assert [req.path for req, _ in httpserver.log] == ["/find", "/metadata"]


# -- properties -----------------------------------------------------------------------------------

METADATA_KEYS = sorted({*load()["metadata"], "pmid", "pmcid", "crossref_type", "affiliation"})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_json([load(name) for name in ANSWERS]))
def test_mutated_recorded_answers_map_to_sane_records(data: Any) -> None:
    work = find_answer_to_work(data)
    if work is not None:
        assert_sane(work)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from(METADATA_KEYS), JSON_VALUES, max_size=12),
    st.dictionaries(st.sampled_from(["url", "data", "availability", "type"]), JSON_VALUES),
)
def test_answers_of_known_keys_and_any_values_map_to_sane_records(
    metadata: Any, answer: Any
) -> None:
    work = find_answer_to_work({**answer, "metadata": metadata})
    if work is not None:
        assert_sane(work)
    legacy = find_answer_to_work({"data": {"availability": [answer, metadata]}})
    if legacy is not None:
        assert_sane(legacy)
