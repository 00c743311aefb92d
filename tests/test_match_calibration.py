"""The rapidfuzz scorer decides as the difflib scorer did, on every recorded candidate.

paperfuse scored title and citation candidates with difflib until rapidfuzz replaced
it (issue 17). The scores are computed differently (longest common subsequence
rather than difflib's longest-block matching), so a few scores differ (879 of
138,740, all higher, all but one far below the threshold); the decisions must
not. ``tests/match_cases.py`` builds 7,580
title and citation queries from the recorded search answers in tests/fixtures,
each asked against the candidates of its answer; the difflib scorer's decisions on
all of them (``tests/difflib_match.py``, a copy of the old module) are recorded in
``tests/fixtures/matching/difflib_decisions.txt`` by
``tests/record_match_decisions.py``. Here the new scorer must take the same
decision for every query (resolved, ambiguous or not found, and which candidates
are accepted) and for every candidate alone (accepted or not), but for one query
where difflib missed the right paper (:data:`CHANGED`); a sample is re-scored live
by the old scorer to show the recording is what it claims.
"""

from __future__ import annotations

import json
import string
from collections.abc import Sequence

import difflib_match
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from match_cases import DECISIONS, case_digest, cases, search_answers
from record_match_decisions import decide

from paperfuse import Query, Work, _match
from paperfuse._match import (
    ACCEPT_THRESHOLD,
    _normalize,
    choose,
    normalize_title,
    title_similarity,
)

EVERY = list(cases())
HEADER, *RECORDED = DECISIONS.read_text().splitlines()


def test_recorded_decisions_are_of_these_cases() -> None:
    assert json.loads(HEADER) == {"queries": len(EVERY), "digest": case_digest(EVERY)}, (
        "the cases changed: run tests/record_match_decisions.py again"
    )
    assert len(EVERY) == 7580
    assert sum(len(candidates) for _, candidates in EVERY) == 138_740


#: The one decision that differs, of 7,580 queries and 138,740 candidates alone: the
#: query is candidate 17's own title with two words swapped ("super-resolution
#: convolution-based"), with its author and year. difflib scored it 0.918, because its
#: longest-block matching happened to pair "ed super resolution" across "adapt-ed" and
#: "bas-ed" and then lost more; the longest common subsequence scores 0.928, like the
#: other swaps of the same kind difflib accepted (0.921 to 0.957). The work accepted
#: is the one the query names: no wrong paper, no accepted match lost.
CHANGED = {
    3989: ("ambiguous - " + "R" * 20, "resolved 17 " + "R" * 17 + "ARR"),
}


def decide_quickly(query: Query, candidates: Sequence[tuple[str, Work]]) -> str:
    """:func:`decide` with the new scorer, each candidate alone scored with one prepared query.

    A candidate alone is accepted exactly when it scores at least the threshold
    (one group, nothing to lead); the query is prepared once rather than once per
    candidate, which makes the test several times faster.
    """
    match = choose(query, candidates)
    accepted = ",".join(str(i) for i, pair in enumerate(candidates) if pair in match.accepted)
    prepared = _match._PreparedQuery(query)
    alone = "".join(
        "A"
        if _match._score(prepared, _match._PreparedWork(work)) >= ACCEPT_THRESHOLD - 1e-9
        else "R"
        for _, work in candidates
    )
    return f"{match.status} {accepted or '-'} {alone}"


@pytest.mark.parametrize("start", range(0, 7580, 379))
def test_decide_quickly_is_decide(start: int) -> None:
    for query, candidates in EVERY[start : start + 20]:
        assert decide_quickly(query, candidates) == decide(choose, query, candidates)


def test_every_decision_unchanged_but_one_right_paper_found() -> None:
    changed = {}
    for number, ((query, candidates), old) in enumerate(zip(EVERY, RECORDED, strict=True)):
        new = decide_quickly(query, candidates)
        if new != old:
            changed[number] = (old, new)
    assert changed == CHANGED


def test_the_changed_decision_accepts_the_work_the_query_names() -> None:
    query, candidates = EVERY[3989]
    (source, work), *_ = choose(query, candidates).accepted
    assert (source, work) == candidates[17]
    assert work.title == (
        "Locally-adapted convolution-based super-resolution of irregularly-sampled ocean "
        "remote sensing data"
    )
    assert query.title == (
        "Locally-adapted super-resolution convolution-based of irregularly-sampled ocean "
        "remote sensing data"
    )
    assert (query.author, query.year) == ("López-Radcenco", work.year)
    assert difflib_match.score_candidate(query, work) == pytest.approx(0.918, abs=5e-4)
    assert _match.score_candidate(query, work) == pytest.approx(0.928, abs=5e-4)


def test_the_cases_hold_accepted_ambiguous_and_rejected_decisions() -> None:
    statuses = [line.split()[0] for line in RECORDED]
    alone = "".join(line.split()[2] for line in RECORDED)
    assert statuses.count("resolved") > 4000
    assert statuses.count("ambiguous") > 3000
    assert alone.count("A") > 4000
    assert alone.count("R") > 100_000


@pytest.mark.parametrize("start", range(0, 7580, 379))
def test_recording_matches_the_old_scorer(start: int) -> None:
    query, candidates = EVERY[start]
    assert decide(difflib_match.choose, query, candidates) == RECORDED[start]


def test_thresholds_unchanged() -> None:
    # The calibration found no reason to move them (docs/matching.md, "Calibration").
    for name in ("ACCEPT_THRESHOLD", "MIN_MARGIN", "CRITICAL_DIFFERENCE_CAP"):
        assert getattr(_match, name) == getattr(difflib_match, name), name


# --- the shortcut for plain ASCII titles normalises exactly as normalize_title ---------------


def test_normalize_shortcut_on_every_recorded_title() -> None:
    texts = [w.title or "" for _, _, works in search_answers() for w in works]
    texts += [q.text for q, _ in EVERY]
    texts += [a.name for _, _, works in search_answers() for w in works for a in w.authors]
    assert sum(t.isascii() for t in texts) > 8000
    assert [_normalize(t) for t in texts] == [normalize_title(t) for t in texts]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(string.printable + "éß²Ωα&<>$\\;İ\u00a0"), max_size=40))
def test_normalize_shortcut_property(text: str) -> None:
    assert _normalize(text) == normalize_title(text)


# --- where the two scorers differ ----------------------------------------------------------


def test_spaces_moved_within_numbers_make_another_title() -> None:
    # "1-005-10" is not "10-05-10" respelled: the words join alike but the spaces moved.
    a, b = "NEW TITLE added 1-005-10", "NEW TITLE added 10-05-10"
    assert title_similarity(a, b) <= _match.CRITICAL_DIFFERENCE_CAP
    assert difflib_match.title_similarity(a, b) <= difflib_match.CRITICAL_DIFFERENCE_CAP


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("A non-linear model of gene regulation", "A nonlinear model of gene regulation"),
        ("Nonlinear time series analysis", "Non linear time-series analysis"),
        ("TNFalpha signalling in COVID19", "TNF-α signalling in COVID-19"),
    ],
)
def test_spaces_added_or_removed_are_one_spelling(a: str, b: str) -> None:
    assert title_similarity(a, b) >= 0.95
    assert difflib_match.title_similarity(a, b) >= 0.95
