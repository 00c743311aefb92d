"""The difflib scorer paperfuse matched titles and citations with before rapidfuzz.

A verbatim copy of ``core/paperfuse/_match.py`` as of commit de3a3d4 (only this
docstring and the imports of paperfuse's modules differ), kept so that
``tests/test_match_calibration.py`` can show that the rapidfuzz scorer takes the
same decisions on every recorded candidate, and so that
``benchmarks/matching.py`` can time the two side by side. Not used by paperfuse.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import Literal

import msgspec

from paperfuse._records import Candidate, Query, Work
from paperfuse._text import normalize_title, plain_text

__all__ = [
    "ACCEPT_THRESHOLD",
    "AUTHOR_MATCH_BONUS",
    "AUTHOR_MISMATCH_PENALTY",
    "CRITICAL_DIFFERENCE_CAP",
    "MIN_CONTAINED_WORDS",
    "MIN_MARGIN",
    "YEAR_MATCH_BONUS",
    "YEAR_MISMATCH_PENALTY",
    "Match",
    "choose",
    "normalize_title",
    "query_similarity",
    "score_candidate",
    "title_similarity",
]

#: The score a candidate needs to be accepted.
#:
#: Chosen so that one extra or missing word in a short title fails: "Attention
#: is all you need" against "Attention is not all you need" has a word-level
#: ratio of 10/11 = 0.909. A title that differs only in case, punctuation,
#: accents or markup scores 1.0. A single spelling variant in a 7-word title
#: (word ratio 0.857) passes only when author and year both agree (+0.10).
ACCEPT_THRESHOLD = 0.92

#: How far the accepted group must lead the next one.
#:
#: 0.05 is one agreeing hint (author or year): two candidates closer than that
#: are told apart by less than any evidence paperfuse has, for instance two
#: papers with the same title and no author or year in the query. Then the
#: answer is "ambiguous" with both listed, never a guess.
MIN_MARGIN = 0.05

#: Score adjustments for the first author's surname and the year.
AUTHOR_MATCH_BONUS = 0.05
AUTHOR_MISMATCH_PENALTY = 0.25
YEAR_MATCH_BONUS = 0.05
YEAR_MISMATCH_PENALTY = 0.25

#: The highest title similarity two titles can have when they differ by a
#: word that changes which paper is meant: a negation ("not"), a number, a
#: roman numeral or a sequel/reply marker ("Part II", "revisited", "erratum").
#: Word ratios reward long titles, so "<12 words> Part II" would otherwise
#: score 0.92; capped at 0.80, even both bonuses (+0.10) stay below the
#: threshold.
CRITICAL_DIFFERENCE_CAP = 0.80

#: A candidate title is looked for inside a citation only when it has at least
#: this many words: a short title ("Deep learning") occurs in many citations
#: that are about something else.
MIN_CONTAINED_WORDS = 4

_NEGATIONS = frozenset(
    {"not", "no", "non", "without", "never", "nor", "cannot", "isn", "aren", "doesn", "don"}
)
_MARKERS = frozenset(
    {
        "part",
        "vol",
        "volume",
        "sequel",
        "revisited",
        "continued",
        "reply",
        "response",
        "rebuttal",
        "comment",
        "comments",
        "erratum",
        "errata",
        "correction",
        "corrigendum",
        "retraction",
        "retracted",
        "addendum",
        "supplement",
        "supplementary",
        "update",
    }
)
#: Roman numerals up to 89 (i ... lxxxix): the ones that number parts and sequels.
_ROMAN = re.compile(r"^(?=[ivxl])(xl|l?x{0,3})(ix|iv|v?i{0,3})$")


def _is_critical(word: str) -> bool:
    """Whether a differing word changes which paper a title names."""
    return (
        word in _NEGATIONS
        or word in _MARKERS
        or any(c.isdigit() for c in word)
        or bool(_ROMAN.match(word))
    )


def _word_ratio(a: list[str], b: list[str]) -> tuple[float, bool]:
    """Word-level similarity of two word lists, and whether a critical word differs.

    The ratio is SequenceMatcher's (2·matches / total words), except that a
    differing stretch whose words join to the same string ("non linear" and
    "nonlinear", "COVID 19" and "COVID19") counts as matching: it is one
    spelling, not another word.
    """
    if not a and not b:
        return 1.0, False
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    matched = 0.0
    critical = False
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            matched += i2 - i1
        elif "".join(a[i1:i2]) == "".join(b[j1:j2]):
            matched += ((i2 - i1) + (j2 - j1)) / 2
        elif not critical:
            critical = any(_is_critical(w) for w in (*a[i1:i2], *b[j1:j2]))
    return 2.0 * matched / (len(a) + len(b)), critical


def _similarity(na: str, nb: str) -> float:
    """:func:`title_similarity` of two already normalised titles."""
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    chars = SequenceMatcher(None, na, nb, autojunk=False).ratio()
    words, critical = _word_ratio(na.split(), nb.split())
    score = min(chars, words)
    if critical:
        score = min(score, CRITICAL_DIFFERENCE_CAP)
    return score


def title_similarity(a: str, b: str) -> float:
    """How alike two titles are, in [0, 1]; 1.0 when they normalise alike.

    The lower of a character-level ratio and a word-level ratio
    (:class:`difflib.SequenceMatcher` on the normalised strings and on their
    word lists). The character ratio forgives a typo; the word ratio does
    not forgive a reordered title or an extra word ("Attention is all you
    need" vs "Attention is not all you need": 0.909), and taking the lower
    keeps both strict. Both are order-sensitive. When the titles differ by a
    word that names another paper (a negation, a number, a roman numeral, a
    sequel or reply marker), the similarity is capped at
    :data:`CRITICAL_DIFFERENCE_CAP`. Empty titles score 0.
    """
    return _similarity(normalize_title(a), normalize_title(b))


_REPLY_WORDS = frozenset(
    {"comment", "comments", "reply", "response", "erratum", "correction", "corrigendum"}
    | {"retraction", "rebuttal", "addendum", "re"}
)
_SEQUEL_WORDS = _MARKERS - {"update", "vol", "volume"}
_WORD_OR_GAP = re.compile(r"[^\W_]+|[\W_]+")


def _citation_words(text: str) -> tuple[list[str], list[bool]]:
    """The words of a citation and, for each, whether punctuation follows it.

    The text is cleaned of markup, accents and case like a title, but its
    punctuation is remembered: a title inside a citation is delimited by
    punctuation (". ", quotes, commas), and a run of words that is not is
    part of something longer.
    """
    text = plain_text(text).casefold()
    words: list[str] = []
    punct_after: list[bool] = []
    for token in _WORD_OR_GAP.findall(text):
        if token[0].isalnum():
            words.append(token)
            punct_after.append(False)
        elif words and token.strip():
            punct_after[-1] = True
    return words, punct_after


def _citation_similarity(citation: str, title: str) -> float:
    """The best similarity of ``title`` to a punctuation-delimited run of the citation.

    Only for titles of at least :data:`MIN_CONTAINED_WORDS` words. A run
    counts only if punctuation (or the text's edge) bounds it on both
    sides, no sequel marker ("Part", "II", "revisited") follows it and no
    reply marker ("Comment on", "Erratum") precedes it: "Attention is all
    you need in speech separation" does not contain "Attention is all you
    need" as a title. An exact run scores 1.0 (containment); a run with a
    typo scores its title similarity.
    """
    target = normalize_title(title)
    size = len(target.split())
    if size < MIN_CONTAINED_WORDS:
        return 0.0
    words, punct_after = _citation_words(citation)
    starts = [0] + [i + 1 for i, p in enumerate(punct_after) if p]
    ends = [i + 1 for i, p in enumerate(punct_after) if p] + [len(words)]
    best = 0.0
    for start in starts:
        if start >= len(words):
            continue
        before = words[max(0, start - 3) : start]
        if any(w in _REPLY_WORDS for w in before):
            continue
        for end in ends:
            length = end - start
            if length < MIN_CONTAINED_WORDS or abs(length - size) > 2:
                continue
            if end < len(words):
                following = words[end]
                if following in _SEQUEL_WORDS or _ROMAN.match(following):
                    continue
            span = " ".join(normalize_title(w) for w in words[start:end])
            best = max(best, _similarity(span, target))
            if best == 1.0:
                return best
    return best


def query_similarity(query: Query, title: str | None) -> float:
    """How well a candidate title fits a query, in [0, 1], before author and year.

    A title query compares with :func:`title_similarity` against
    ``query.title`` (or the text). A citation query compares against
    ``query.title`` when the parser found one, and also looks for the
    candidate title inside the citation text (see
    :func:`_citation_similarity`); the better of the two counts. Without a
    parsed title, the whole citation is compared as a last resort (this
    rarely scores high, which is the intent).
    """
    if not title:
        return 0.0
    if query.kind != "citation":
        return title_similarity(query.title or query.text, title)
    scores = [_citation_similarity(query.text, title)]
    if query.title:
        scores.append(title_similarity(query.title, title))
    else:
        scores.append(title_similarity(query.text, title))
    return max(scores)


#: Name particles that never stand for a surname on their own.
_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "di", "da", "dos"}
    | {"du", "la", "le", "ten", "ter", "bin", "ibn", "al", "el"}
)


def _first_author_surname(work: Work) -> str | None:
    """The normalised surname of the work's first author, if it has one."""
    if not work.authors:
        return None
    first = work.authors[0]
    if first.family:
        surname = first.family
    elif "," in first.name:
        surname = first.name.split(",", 1)[0]
    else:
        parts = first.name.split()
        surname = parts[-1] if parts else ""
    return normalize_title(surname) or None


def _same_surname(a: str, b: str) -> bool:
    """Whether two normalised surnames name the same person's family.

    Equal, or one is a single word of the other that is not a particle
    ("berg" in "van der berg"; "diaz" or "fernandez" in "diaz fernandez"),
    since sources and citations shorten compound surnames differently.
    """
    if a == b:
        return True
    wa, wb = a.split(), b.split()
    if len(wa) > 1 and len(wb) > 1:
        return False
    single, compound = (wa, wb) if len(wa) == 1 else (wb, wa)
    return bool(single) and single[0] in compound and single[0] not in _PARTICLES


def score_candidate(query: Query, work: Work) -> float:
    """The score of one candidate work for a query, in [0, 1].

    Title similarity (:func:`query_similarity`), plus
    :data:`AUTHOR_MATCH_BONUS` when the query's author equals the first
    author's surname and minus :data:`AUTHOR_MISMATCH_PENALTY` when it does
    not; plus :data:`YEAR_MATCH_BONUS` for the same year, nothing for one
    year off (a preprint and its publication) and minus
    :data:`YEAR_MISMATCH_PENALTY` otherwise. A hint the query or the
    candidate lacks changes nothing. The sum is clamped to [0, 1].
    """
    score = query_similarity(query, work.title)
    wanted = normalize_title(query.author) if query.author else ""
    surname = _first_author_surname(work)
    if wanted and surname:
        score += AUTHOR_MATCH_BONUS if _same_surname(wanted, surname) else -AUTHOR_MISMATCH_PENALTY
    if query.year is not None and work.year is not None:
        gap = abs(query.year - work.year)
        if gap == 0:
            score += YEAR_MATCH_BONUS
        elif gap > 1:
            score -= YEAR_MISMATCH_PENALTY
    return min(1.0, max(0.0, score))


class Match(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of matching a query against candidates.

    ``accepted`` holds every ``(source, work)`` of the accepted work (one
    group: the resolver merges them), empty when nothing was accepted.
    ``candidates`` lists every candidate scored, best first. ``reason`` says
    why the group was accepted, or why nothing was. ``status`` is
    ``resolved`` when something was accepted, ``not_found`` when there was
    no candidate, ``ambiguous`` when there were candidates but none clearly
    right.
    """

    accepted: tuple[tuple[str, Work], ...] = ()
    candidates: tuple[Candidate, ...] = ()
    reason: str = ""
    status: Literal["resolved", "ambiguous", "not_found"] = "not_found"


def _fmt(score: float) -> str:
    """A score in at most three decimals without trailing zeros: 0.71, 0.915, 1."""
    return f"{score:.3f}".rstrip("0").rstrip(".")


def _same_work(a: Work, b: Work) -> bool:
    """Whether two candidates are the same work reported by different sources.

    They share a DOI or an arXiv id, or they have identical normalised
    titles, the same first-author surname and years at most one apart (a
    preprint and its publication). Missing data never makes two the same.
    """
    if a.ids.doi and b.ids.doi and a.ids.doi.strip().lower() == b.ids.doi.strip().lower():
        return True
    if a.ids.arxiv and b.ids.arxiv and a.ids.arxiv.strip().lower() == b.ids.arxiv.strip().lower():
        return True
    if not a.title or not b.title or a.year is None or b.year is None:
        return False
    sa, sb = _first_author_surname(a), _first_author_surname(b)
    return (
        sa is not None
        and sb is not None
        and _same_surname(sa, sb)
        and abs(a.year - b.year) <= 1
        and normalize_title(a.title) == normalize_title(b.title)
    )


def _groups(works: Sequence[Work]) -> list[list[int]]:
    """Indices of ``works`` grouped into works that are the same (transitively)."""
    parent = list(range(len(works)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(works)):
        for j in range(i + 1, len(works)):
            if find(i) != find(j) and _same_work(works[i], works[j]):
                parent[find(j)] = find(i)
    grouped: dict[int, list[int]] = {}
    for i in range(len(works)):
        grouped.setdefault(find(i), []).append(i)
    return list(grouped.values())


def _describe(pairs: Sequence[tuple[str, Work]], scores: Sequence[float], group: list[int]) -> str:
    """One group for a reason: its best member's title, sources and score."""
    best = max(group, key=lambda i: scores[i])
    title = pairs[best][1].title or "(untitled)"
    sources = ", ".join(dict.fromkeys(pairs[i][0] for i in group))
    return f"{title!r} ({sources}, {_fmt(scores[best])})"


def choose(query: Query, candidates: Sequence[tuple[str, Work]]) -> Match:
    """Score ``candidates`` for ``query`` and accept the clearly right work, if any.

    ``candidates`` are ``(source name, partial work)`` pairs from searching
    sources. Candidates that are the same work (:func:`_same_work`) are
    grouped first, so that two sources agreeing never looks ambiguous; a
    group scores its best member's score. The best group is accepted when it
    scores at least :data:`ACCEPT_THRESHOLD` and leads the next group by at
    least :data:`MIN_MARGIN`; then ``accepted`` holds all its members.
    """
    if not candidates:
        return Match(reason="no candidate", status="not_found")
    pairs = list(candidates)
    works = [work for _, work in pairs]
    scores = [score_candidate(query, work) for work in works]
    order = sorted(range(len(pairs)), key=lambda i: -scores[i])
    scored = tuple(
        Candidate(
            source=pairs[i][0],
            score=round(scores[i], 3),
            title=works[i].title,
            ids=works[i].ids,
            year=works[i].year,
            first_author=works[i].authors[0].name if works[i].authors else None,
        )
        for i in order
    )
    groups = _groups(works)
    group_scores = [max(scores[i] for i in group) for group in groups]
    ranking = sorted(range(len(groups)), key=lambda g: -group_scores[g])
    top = ranking[0]
    best = group_scores[top]
    if best < ACCEPT_THRESHOLD - 1e-9:
        reason = f"best candidate scores {_fmt(best)}, below the threshold {_fmt(ACCEPT_THRESHOLD)}"
        return Match(candidates=scored, reason=reason, status="ambiguous")
    close = [g for g in ranking[1:] if best - group_scores[g] < MIN_MARGIN - 1e-9]
    if close:
        described = "; ".join(_describe(pairs, scores, groups[g]) for g in [top, *close])
        count = "two candidates" if len(close) == 1 else f"{len(close) + 1} candidates"
        reason = f"{count} within {_fmt(MIN_MARGIN)} of each other: {described}"
        return Match(candidates=scored, reason=reason, status="ambiguous")
    members = sorted(groups[top], key=lambda i: -scores[i])
    accepted = tuple(pairs[i] for i in members)
    sources = ", ".join(dict.fromkeys(name for name, _ in accepted))
    title = works[members[0]].title
    records = "1 record" if len(accepted) == 1 else f"{len(accepted)} records of the same work"
    if len(ranking) > 1:
        runner = group_scores[ranking[1]]
        lead = f"next candidate scores {_fmt(runner)}, {_fmt(best - runner)} behind"
    else:
        lead = "no other candidate"
    reason = (
        f"accepted {title!r}: scores {_fmt(best)} (threshold {_fmt(ACCEPT_THRESHOLD)}), "
        f"{records} ({sources}); {lead}"
    )
    return Match(accepted=accepted, candidates=scored, reason=reason, status="resolved")
