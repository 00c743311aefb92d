"""Reading values from a service's answer that no record may hold as they come.

Answers are the services' (or an impostor's): a year of 2**70, a float that
is not finite, an object nested a thousand deep. These helpers keep what a
record, the cache and every output format can hold, and drop the rest, so a
bad value costs only its own field. Source plugins use them through the
public API.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["YEARS", "plausible_year", "storable"]

#: The years paperfuse believes; any other is a bad value of its field.
YEARS = range(1000, 3001)
#: What the msgpack and JSON encoders take.
_INT64 = range(-(2**63), 2**63)
_DROP = object()


def plausible_year(value: Any) -> int | None:
    """A year given as a number or as ASCII digits, within :data:`YEARS`; else None."""
    if isinstance(value, str):
        text = value.strip()
        value = int(text) if text.isascii() and text.isdigit() and len(text) <= 4 else None
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if value in YEARS else None


def storable(value: Any, *, max_depth: int = 6, max_entries: int | None = None) -> Any:
    """``value`` (JSON-like) with what no encoder takes left out, or None when nothing is left.

    Dropped: integers beyond 64 bits, floats that are not finite, keys that
    are not strings, anything nested deeper than ``max_depth``, entries of a
    list or object past ``max_entries``, and values of other types.
    """
    kept = _storable(value, 0, max_depth, max_entries)
    return None if kept is _DROP else kept


def _storable(value: Any, depth: int, max_depth: int, max_entries: int | None) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if value in _INT64 else _DROP
    if isinstance(value, float):
        return value if math.isfinite(value) else _DROP
    if depth >= max_depth:
        return _DROP
    if isinstance(value, list):
        items = (_storable(v, depth + 1, max_depth, max_entries) for v in value[:max_entries])
        return [item for item in items if item is not _DROP]
    if isinstance(value, dict):
        pairs = list(value.items())[:max_entries]
        kept = ((k, _storable(v, depth + 1, max_depth, max_entries)) for k, v in pairs)
        return {k: v for k, v in kept if isinstance(k, str) and v is not _DROP}
    return _DROP
