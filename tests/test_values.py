"""The public helpers for values read from a service's answer."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings

from mutations import JSON_VALUES
from paperfuse import plausible_year, storable


@pytest.mark.parametrize(
    ("value", "year"),
    [
        (2013, 2013),
        ("2013", 2013),
        (" 1998 ", 1998),
        (999, None),
        (3001, None),
        (2**70, None),
        (True, None),
        (2013.0, None),
        ("²⁰¹³", None),
        ("٢٠١٣", None),
        ("20131", None),
        (None, None),
        ([2013], None),
    ],
)
def test_plausible_year(value: Any, year: int | None) -> None:
    assert plausible_year(value) == year


def test_storable_drops_what_no_encoder_takes() -> None:
    value = {"a": 2**70, "b": float("nan"), "c": [1, float("inf"), "x"], 5: "key", "d": {"e": {}}}
    assert storable(value) == {"c": [1, "x"], "d": {"e": {}}}
    assert storable(2**70) is None
    assert storable([[[["deep"]]]], max_depth=2) == [[]]
    assert storable(list(range(10)), max_entries=3) == [0, 1, 2]
    assert storable({"k": object()}) == {}


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES | JSON_VALUES.map(lambda v: [v, 2**80, float("nan")]))
def test_what_storable_keeps_can_be_encoded(value: Any) -> None:
    msgspec.msgpack.encode(storable(value))
    msgspec.json.encode(storable(value))
