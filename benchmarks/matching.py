"""Scoring citation candidates: the rapidfuzz scorer against the difflib one it replaced.

Builds 10,000 citation queries with their candidates from the recorded search
answers in tests/fixtures (Crossref's work list, Unpaywall's searches, arXiv's
query feeds, Europe PMC's searches: 379 candidate works; see tests/match_cases.py).
Each work is cited in eight styles (author-year, Vancouver, APA with a typo in the
title, one with a parsed title, one with a word of the title missing, a sequel,
a comment on it, a bare title-venue-year string), with volume numbers 12, 13, ...
until there are 10,000 distinct citations; each is asked against the candidates
of the answer its work came from (pages of 20, plus the same work from another
recording of the same search), about 18 candidates a query.

Both scorers run ``choose`` (score every candidate, group, decide), the old one
from tests/difflib_match.py (paperfuse's _match.py before rapidfuzz). The queries
are cut into chunks of 500; each chunk is scored by both, alternately, the order
swapped from chunk to chunk, so that load on a shared machine hits both alike.
Prints the totals and the median of the chunks' ratios, and how many decisions
of the two differ (status and accepted works; none should). Target: at least 20x.

    .venv/bin/python benchmarks/matching.py            # 10,000 queries (~9 minutes)
    .venv/bin/python benchmarks/matching.py 2000       # fewer

``--only old|new N`` scores the first N queries with one scorer and prints
nothing, for an instruction count that load does not change (subtract a run
with N = 0: start-up and building the queries):

    valgrind --tool=callgrind .venv/bin/python benchmarks/matching.py --only new 40
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import difflib_match
from match_cases import candidate_lists, citation_queries

from paperfuse import Query, Work
from paperfuse._match import choose

Case = tuple[Query, tuple[tuple[str, Work], ...]]
CHUNK = 500


def build(count: int) -> list[Case]:
    """``count`` distinct citation queries with their candidates, works taken in turn.

    A work recorded in two answers (the same search recorded twice) is cited
    once per volume: a citation seen already is skipped.
    """
    lists = list(candidate_lists())
    built: dict[str, Case] = {}
    volume = 12
    while len(built) < count:
        for style in range(8):
            for work, candidates in lists:
                query = citation_queries(work, volume)[style]
                built.setdefault(query.text, (query, candidates))
        volume += 1
    # Spread styles and answers over every chunk: take the cases in a stride order.
    every = list(built.values())
    step = 97  # prime: i * 97 mod n visits every index once unless 97 divides n
    if len(every) % step == 0:
        every.pop()
    return [every[(i * step) % len(every)] for i in range(len(every))][:count]


def timed(choose_: Callable[..., object], chunk: Sequence[Case]) -> tuple[float, list[str]]:
    """Seconds to score a chunk with one scorer, and its decisions."""
    gc.collect()
    start = time.perf_counter()
    matches = [choose_(query, candidates) for query, candidates in chunk]
    elapsed = time.perf_counter() - start
    return elapsed, [m.status + repr([w.ids for _, w in m.accepted]) for m in matches]  # type: ignore[attr-defined]


def only(scorer: str, count: int) -> None:
    """Score the first ``count`` queries with one scorer (for callgrind)."""
    choose_ = difflib_match.choose if scorer == "old" else choose
    for query, candidates in build(10_000)[:count]:
        choose_(query, candidates)


def main() -> None:
    if sys.argv[1:2] == ["--only"]:
        only(sys.argv[2], int(sys.argv[3]))
        return
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    cases = build(count)
    assert len({query.text for query, _ in cases}) == count, "citations must be distinct"
    pairs = sum(len(candidates) for _, candidates in cases)
    old_times: list[float] = []
    new_times: list[float] = []
    differing = 0
    for n, start in enumerate(range(0, count, CHUNK)):
        chunk = cases[start : start + CHUNK]
        runs = [("old", difflib_match.choose), ("new", choose)]
        decisions = {}
        for name, scorer in runs if n % 2 == 0 else runs[::-1]:
            elapsed, decisions[name] = timed(scorer, chunk)
            (old_times if name == "old" else new_times).append(elapsed)
        differing += sum(a != b for a, b in zip(decisions["old"], decisions["new"], strict=True))
    ratios = [o / n for o, n in zip(old_times, new_times, strict=True)]
    old_total, new_total = sum(old_times), sum(new_times)
    print(
        f"{count:,} citation queries, {pairs:,} candidates ({pairs / count:.1f} a query), "
        f"{len(ratios)} chunks of {CHUNK}, old and new alternating"
    )
    print(f"{'scorer':<34} {'total s':>8} {'ms/query':>9} {'µs/candidate':>13}")
    for name, total in (
        ("difflib (paperfuse before)", old_total),
        (f"rapidfuzz {version('rapidfuzz')} (paperfuse now)", new_total),
    ):
        print(f"{name:<34} {total:>8.2f} {total / count * 1e3:>9.3f} {total / pairs * 1e6:>13.1f}")
    print(
        f"speed-up: {old_total / new_total:.1f}x in total, chunk ratios median "
        f"{statistics.median(ratios):.1f}x (min {min(ratios):.1f}x, max {max(ratios):.1f}x); "
        "target: at least 20x"
    )
    print(f"decisions (status and accepted works) that differ: {differing} of {count:,}")


if __name__ == "__main__":
    main()
