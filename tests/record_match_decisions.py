"""Record the difflib scorer's decisions on every recorded candidate, for the calibration test.

    .venv/bin/python tests/record_match_decisions.py

Runs the scorer paperfuse used before rapidfuzz (``tests/difflib_match.py``) on every
query of ``tests/match_cases.py`` against its candidates and writes, one line per
query, what ``choose`` decided: its status, the indices of the accepted candidates
("-" for none) and, for each candidate alone, whether it would be accepted ("A") or
not ("R"), as in ``resolved 0,19 ARRRRRRRRRRRRRRRRRRRA``. The first line (JSON)
names the cases (their count and a digest of every query and candidate),
so that a change to the cases or to the recorded answers fails the test until this
is run again. Takes a few minutes: the old scorer is the slow one.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import difflib_match  # noqa: E402
from match_cases import DECISIONS, case_digest, cases  # noqa: E402

from paperfuse import Query, Work  # noqa: E402

#: ``choose`` of either scorer.
Chooser = Callable[[Query, Sequence[tuple[str, Work]]], Any]


def decide(choose: Chooser, query: Query, candidates: Sequence[tuple[str, Work]]) -> str:
    """What ``choose`` (old or new) decides for one query and each of its candidates."""
    match = choose(query, candidates)
    accepted = ",".join(str(i) for i, pair in enumerate(candidates) if pair in match.accepted)
    alone = "".join("A" if choose(query, [pair]).accepted else "R" for pair in candidates)
    return f"{match.status} {accepted or '-'} {alone}"


def main() -> None:
    every = list(cases())
    lines = [json.dumps({"queries": len(every), "digest": case_digest(every)})]
    lines += [decide(difflib_match.choose, query, candidates) for query, candidates in every]
    DECISIONS.write_text("\n".join(lines) + "\n")
    print(f"{len(every)} queries written to {DECISIONS}")


if __name__ == "__main__":
    main()
