"""Hypothesis strategies shared by the property tests of upstream parsers.

They start from real recorded bodies and change them the way a hostile or
broken service might: values replaced by JSON of any type, anywhere.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

#: Any JSON value, small: scalars of every type, nested in lists and objects.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def json_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value: keys of objects and indices of arrays, nested."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += json_paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += json_paths(child, (*prefix, index))
    return found


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A copy of ``value`` with the place at ``path`` holding ``new``."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    copied = copy.copy(value)
    copied[head] = replaced(value[head], rest, new)
    return copied


@st.composite
def mutated_json(draw: st.DrawFn, recorded: Sequence[Any]) -> Any:
    """One of the ``recorded`` JSON values with one to four places given any JSON value."""
    data = draw(st.sampled_from(recorded))
    for _ in range(draw(st.integers(1, 4))):
        data = replaced(data, draw(st.sampled_from(json_paths(data))), draw(JSON_VALUES))
    return data
