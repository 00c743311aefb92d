"""Properties that hold for every input: identify(), encode_json and the upstream parsers.

Hypothesis draws arbitrary text (lone surrogates and Unicode digits included)
and arbitrary bytes, and mutates the recorded bodies of tests/fixtures/ (bytes
flipped, inserted and deleted; JSON values replaced by values of other types).
The promises (issue 10, points 2, 12 and 17): identify() never raises and
always returns a well-formed Identification whose identifiers are in ASCII
normal form; every record can be written out; every parser of upstream data
raises nothing but :class:`paperfuse.BadResponse`.
"""

from __future__ import annotations

import gzip
import json
import re
import tempfile
import types
import typing
from pathlib import Path
from typing import Any, Literal

import msgspec
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mutations import json_paths
from paperfuse import BadResponse, Identification, Work, encode_json, identify
from paperfuse_arxiv import parse_feed
from paperfuse_oab import find_answer_to_work
from paperfuse_oab._mapping import is_find_answer
from paperfuse_unpaywall import doi_object_to_work, snapshot_records

FIXTURES = Path(__file__).parent / "fixtures"
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- identify() ------------------------------------------------------------------------------------

#: Any character at all, lone surrogates (what undecodable bytes become) included.
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
#: Digits of every script: Arabic-Indic, Devanagari, fullwidth, mathematical...
UNICODE_DIGITS = st.characters(categories=["Nd"])
#: Pieces of identifiers, to make texts that nearly identify something.
PIECES = st.sampled_from(
    ["10.", "/", ".", "arXiv:", "PMC", "PMID:", "doi:", "https://doi.org/", "v", " ", "-", "math/"]
)
NEAR_IDENTIFIERS = st.lists(
    st.one_of(PIECES, st.text(UNICODE_DIGITS, min_size=1, max_size=9)), max_size=8
).map("".join)

#: What each built-in scheme's normal form looks like, in ASCII alone.
NORMAL_FORMS = {
    "arxiv": re.compile(r"\d{4}\.\d{4,5}|[a-z-]+(\.[A-Za-z]{2})?/\d{7}", re.ASCII),
    "pmid": re.compile(r"[1-9]\d*", re.ASCII),
    "pmcid": re.compile(r"PMC\d+", re.ASCII),
    "doi": re.compile(r"10\.\d+(\.\d+)*/.+", re.ASCII | re.DOTALL),
}


def check_identification(text: str, found: Identification) -> None:
    assert isinstance(found, Identification)
    assert found.kind in ("identifier", "query", "invalid")
    if found.kind == "identifier":
        assert found.identifiers
    if found.kind == "query":
        assert found.query is not None
    if found.kind == "invalid":
        assert found.reason
    for identifier in found.identifiers:
        assert identifier.scheme
        assert identifier.value
        pattern = NORMAL_FORMS.get(identifier.scheme)
        if pattern is not None:
            assert pattern.fullmatch(identifier.value), f"{identifier} from {text!r}"


@FAST
@given(st.text(ANY_CHARACTER, max_size=200))
def test_identify_any_text(text: str) -> None:
    check_identification(text, identify(text))


@FAST
@given(NEAR_IDENTIFIERS)
def test_identify_unicode_digits_give_no_identifier_outside_ascii(text: str) -> None:
    check_identification(text, identify(text))


@FAST
@given(st.text(max_size=200))
def test_an_identification_of_valid_text_can_be_written_out(text: str) -> None:
    encode_json(identify(text))


# -- encode_json ---------------------------------------------------------------------------------

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text())
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def strategy_for(hint: Any) -> st.SearchStrategy[Any]:
    """Values of a record field's type, with arbitrary strings and numbers."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if isinstance(hint, type) and issubclass(hint, msgspec.Struct):
        return records(hint)
    if origin is Literal:
        return st.sampled_from(args)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(strategy_for(a) for a in args))
    if origin is tuple:
        return st.lists(strategy_for(args[0]), max_size=3).map(tuple)
    if origin is dict:
        return st.dictionaries(st.text(max_size=12), strategy_for(args[1]), max_size=3)
    if origin is list:
        return st.lists(strategy_for(args[0]), max_size=3)
    simple = {str: st.text(), int: st.integers(), float: st.floats(), bool: st.booleans()}
    if hint in simple:
        return simple[hint]
    if hint is type(None):
        return st.none()
    return JSON_VALUES  # Any


def records(cls: type[msgspec.Struct]) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    fields = {
        name: st.deferred(lambda h=hints[name]: strategy_for(h)) for name in cls.__struct_fields__
    }
    return st.builds(cls, **fields)


@FAST
@given(records(Work))
def test_encode_json_writes_any_work(work: Work) -> None:
    data = encode_json(work)
    assert json.loads(data)["title"] == work.title


# -- parsers of upstream data ----------------------------------------------------------------------


def _fixtures(folder: str, pattern: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted((FIXTURES / folder).glob(pattern))]


ARXIV_BODIES = _fixtures("arxiv", "*.xml")
UNPAYWALL_BODIES = _fixtures("unpaywall", "*.json") + _fixtures("unpaywall/snapshot", "*.json")
OAB_BODIES = _fixtures("oab", "*.json")


@st.composite
def mutated(draw: st.DrawFn, bodies: list[bytes]) -> bytes:
    """A recorded body with a few bytes flipped, inserted or deleted."""
    data = bytearray(draw(st.sampled_from(bodies)))
    for _ in range(draw(st.integers(1, 8))):
        where = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["flip", "insert", "delete"]))
        if action == "flip" and data:
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[where : where + draw(st.integers(1, 64))]
    return bytes(data)


#: Field names the mappings read: a retyped body may give any of them any value.
KNOWN_KEYS = [
    "doi", "title", "year", "z_authors", "given", "family", "name", "ORCID", "sequence",
    "affiliation", "raw_author_name", "raw_affiliation_strings", "oa_locations",
    "best_oa_location", "url", "url_for_pdf", "pmh_id", "journal_issns", "metadata",
    "author", "issn", "pmid", "pmcid", "data", "availability", "type", "published",
]  # fmt: skip


@st.composite
def retyped(draw: st.DrawFn, bodies: list[bytes]) -> Any:
    """A recorded JSON body with some values replaced by, or set to, values of other types."""
    data = json.loads(draw(st.sampled_from(bodies)))
    for _ in range(draw(st.integers(1, 6))):
        paths = json_paths(data)
        if draw(st.booleans()):  # give a field the mappings read a value of any type
            holders = [p for p in paths if isinstance(_at(data, p), dict)]
            if holders:
                holder = _at(data, draw(st.sampled_from(holders)))
                holder[draw(st.sampled_from(KNOWN_KEYS))] = draw(
                    st.one_of(JSON_SCALARS, JSON_VALUES)
                )
            continue
        paths = [p for p in paths if p]
        if paths:
            path = draw(st.sampled_from(paths))
            _at(data, path[:-1])[path[-1]] = draw(JSON_VALUES)
    return data


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def only_bad_response(parse: Any, *args: Any) -> Any:
    """``parse(*args)``: its result, or None when it raised BadResponse (and only that)."""
    try:
        return parse(*args)
    except BadResponse:
        return None


@FAST
@given(st.one_of(st.binary(max_size=2000), mutated(ARXIV_BODIES)))
def test_the_arxiv_feed_parser_raises_only_bad_response(data: bytes) -> None:
    only_bad_response(parse_feed, data)


@FAST
@given(st.one_of(JSON_VALUES, retyped(UNPAYWALL_BODIES)))
@example({"doi": "10.1/x", "z_authors": [{"family": "Curie", "affiliation": 5}]})  # issue 10
@example({"doi": "10.1/x", "year": 10**30, "z_authors": [{"raw_author_name": 7}]})
def test_the_unpaywall_mapping_takes_any_json(data: Any) -> None:
    work = only_bad_response(doi_object_to_work, data)
    assert work is None or isinstance(work, Work)


@FAST
@given(st.one_of(st.binary(max_size=2000), mutated(UNPAYWALL_BODIES)))
def test_the_unpaywall_mapping_takes_any_body(data: bytes) -> None:
    try:
        value = msgspec.json.decode(data)
    except msgspec.DecodeError:
        return  # the source reports a body that is not JSON as a bad response
    only_bad_response(doi_object_to_work, value)


@FAST
@given(st.one_of(JSON_VALUES, retyped(OAB_BODIES)))
@example({"metadata": {"title": "T", "author": [{"family": "Curie", "affiliation": 5}]}})
@example({"data": {"availability": 5}})
def test_the_oab_mapping_takes_any_json(data: Any) -> None:
    only_bad_response(is_find_answer, data)
    work = only_bad_response(find_answer_to_work, data)
    assert work is None or isinstance(work, Work)


SNAPSHOT = FIXTURES / "unpaywall" / "snapshot" / "ezunpaywall_snapshot_2150records.jsonl.gz"


@st.composite
def snapshot_files(draw: st.DrawFn) -> bytes:
    """A snapshot file: lines of real records (some mutated), gzipped or not, maybe broken."""
    lines = gzip.decompress(SNAPSHOT.read_bytes()).splitlines()[:40]
    chosen = draw(st.lists(st.sampled_from(lines), min_size=1, max_size=6))
    body = b"\n".join(draw(mutated([line])) if draw(st.booleans()) else line for line in chosen)
    if draw(st.booleans()):
        body = gzip.compress(body)
        if draw(st.booleans()):
            body = body[: draw(st.integers(0, len(body)))]  # a download cut short
    return body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=500), snapshot_files()))
def test_the_unpaywall_snapshot_reader_raises_only_bad_response(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "snapshot.jsonl.gz"
        path.write_bytes(data)
        records = only_bad_response(lambda: list(snapshot_records(path)))
    for doi, line in records or ():
        assert isinstance(doi, str)
        assert doi
        assert isinstance(line, bytes)


def test_the_mutation_strategies_reach_the_parsers() -> None:
    """The control: the recorded bodies themselves parse, so mutations start from real data."""
    assert all(parse_feed(body) for body in ARXIV_BODIES)
    assert any(doi_object_to_work(json.loads(body)) for body in UNPAYWALL_BODIES)
    assert any(find_answer_to_work(json.loads(body)) for body in OAB_BODIES)
    with pytest.raises(BadResponse):
        parse_feed(b"<html/>")
