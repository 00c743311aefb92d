"""What OpenAlex charges, and the day's spend against the configured allowance.

OpenAlex prices its calls (developers.openalex.org, "Authentication &
Pricing", as of 2026-11): a look-up of one work is free, a list or filter
call costs $0.0001, a search $0.001, from a free allowance of $1 a day with
an API key. The day's spend (UTC) is kept in the source's part of the store,
so that it holds across runs and processes; every answer's own figure
(``meta.cost_usd``, the ``X-RateLimit-Cost-USD`` header) is what is counted,
and the service's ``X-RateLimit-Remaining-USD`` lowers what is left when it
knows of spending elsewhere (another program with the same key).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import msgspec

from paperfuse import SourceStore

__all__ = ["LIST_PRICE", "SEARCH_PRICE", "SINGLE_PRICE", "Ledger", "answer_cost", "dollars"]

log = logging.getLogger("paperfuse")

#: OpenAlex's documented prices in USD per call.
SINGLE_PRICE = 0.0
LIST_PRICE = 0.0001
SEARCH_PRICE = 0.001
#: Amounts are counted in millionths of a dollar, so that sums are exact.
_MICRO = 1_000_000
#: The most one answer may say it cost (a header or body beyond it is not believed).
_MAX_COST = 10.0


def _usd(value: Any) -> float | None:
    """A non-negative, finite dollar amount from a number or its text; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    return float(value)


def answer_cost(body: Any, headers: Any, price: float) -> float:
    """What one answer cost: its ``meta.cost_usd``, else its ``X-RateLimit-Cost-USD``
    header, else the documented ``price``."""
    meta = body.get("meta") if isinstance(body, dict) else None
    for value in (
        meta.get("cost_usd") if isinstance(meta, dict) else None,
        headers.get("x-ratelimit-cost-usd"),
    ):
        cost = _usd(value)
        if cost is not None and cost <= _MAX_COST:
            return cost
    return price


def dollars(amount: float) -> str:
    """``$1.00``, ``$0.0015``: cents when they say it all, else as many places as needed."""
    if round(amount, 2) == amount:
        return f"${amount:,.2f}"
    return "$" + f"{amount:.6f}".rstrip("0")


def _day() -> str:
    return time.strftime("%Y-%m-%d", time.gmtime())


class _Day(msgspec.Struct, kw_only=True):
    """One day's spend as stored: millionths of a dollar, and what the service said was left."""

    spent: int = 0
    remaining: int | None = None


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(_Day)


class Ledger:
    """The day's spend on priced calls, kept in the store, against ``allowance`` USD.

    :meth:`reserve` says whether a priced call still fits (what was spent,
    what calls in flight may cost and the call's price together within the
    allowance, and within what the service says is left); :meth:`settle`
    counts what the call cost. Spending 90 % of the allowance warns once a
    run.
    """

    WARN_AT = 0.9

    def __init__(self, store: SourceStore | None, allowance: float, source: str) -> None:
        self.store = store
        self.allowance = allowance
        self.source = source
        self._reserved = 0
        self._warned = False
        self._memory: dict[str, _Day] = {}  # when the source has no store

    # -- the stored day ---------------------------------------------------------------------

    def _load(self, day: str) -> _Day:
        if self.store is None:
            return self._memory.get(day, _Day())
        raw = self.store.get(f"spend/{day}")
        if raw is None:
            return _Day()
        try:
            return _decoder.decode(raw)
        except msgspec.DecodeError:
            return _Day()  # a damaged entry: start the day again rather than fail

    def _save(self, day: str, value: _Day) -> None:
        if self.store is None:
            self._memory[day] = value
        else:
            self.store.put(f"spend/{day}", _encoder.encode(value))

    # -- what is left -----------------------------------------------------------------------

    def spent(self) -> float:
        """What priced calls cost today (UTC), in USD, across runs."""
        return self._load(_day()).spent / _MICRO

    def left(self) -> float:
        """What may still be spent today, in USD (never below 0)."""
        day = self._load(_day())
        left = round(self.allowance * _MICRO) - day.spent - self._reserved
        if day.remaining is not None:
            left = min(left, day.remaining - self._reserved)
        return max(0, left) / _MICRO

    def reserve(self, price: float) -> bool:
        """Hold ``price`` for a call about to be made; False when it would pass the allowance."""
        cost = round(price * _MICRO)
        if cost > round(self.left() * _MICRO):
            return False
        self._reserved += cost
        return True

    def settle(self, reserved: float, cost: float, headers: Any = None) -> None:
        """Count a call's ``cost`` (what the answer said) in place of its reservation."""
        self._reserved = max(0, self._reserved - round(reserved * _MICRO))
        day_name = _day()
        day = self._load(day_name)
        day.spent += round(cost * _MICRO)
        remaining = _usd(headers.get("x-ratelimit-remaining-usd")) if headers else None
        left = round(remaining * _MICRO) if remaining is not None else day.remaining
        if cost or left != day.remaining:  # a free look-up that changes nothing writes nothing
            day.remaining = left
            self._save(day_name, day)
        if not self._warned and day.spent >= self.WARN_AT * self.allowance * _MICRO > 0:
            self._warned = True
            log.warning(
                "source %s has spent %s of its %s daily allowance (UTC); priced calls"
                " stop at the allowance",
                self.source,
                dollars(day.spent / _MICRO),
                dollars(self.allowance),
            )

    def release(self, reserved: float) -> None:
        """Give back a reservation whose call failed before it was answered."""
        self._reserved = max(0, self._reserved - round(reserved * _MICRO))
