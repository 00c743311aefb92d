"""Tests of candidate scoring and choice for title and citation queries (paperfuse._match).

The candidates are real papers as searching sources would return them (titles, first
authors, years and identifiers as published); the near misses are real or realistic titles
that must never be taken for one another.
"""

from __future__ import annotations

import pytest

from paperfuse._match import (
    ACCEPT_THRESHOLD,
    MIN_MARGIN,
    Match,
    choose,
    normalize_title,
    score_candidate,
    title_similarity,
)
from paperfuse._records import Author, Ids, Query, Work


def work(
    title: str,
    first_author: str,
    year: int | None,
    *,
    family: str | None = None,
    doi: str | None = None,
    arxiv: str | None = None,
) -> Work:
    return Work(
        title=title,
        authors=(Author(name=first_author, family=family),),
        year=year,
        ids=Ids(doi=doi, arxiv=arxiv),
    )


def title_query(text: str, author: str | None = None, year: int | None = None) -> Query:
    return Query(kind="title", text=text, title=text, author=author, year=year)


NANO = work(
    "Nanometre-scale thermometry in a living cell",
    "G. Kucsko",
    2013,
    family="Kucsko",
    doi="10.1038/nature12373",
)
NANO_ARXIV = work(
    "Nanometer scale thermometry in a living cell", "G. Kucsko", 2013, arxiv="1304.1068"
)
ATTENTION = work("Attention Is All You Need", "Ashish Vaswani", 2017, arxiv="1706.03762")
DEEP_LEARNING_NATURE = work(
    "Deep learning", "Yann LeCun", 2015, family="LeCun", doi="10.1038/nature14539"
)
DEEP_LEARNING_BOOK = work("Deep Learning", "Ian Goodfellow", 2016, family="Goodfellow")
MASK_RCNN_ARXIV = work("Mask R-CNN", "Kaiming He", 2017, arxiv="1703.06870")
MASK_RCNN_TPAMI = work(
    "Mask R-CNN", "Kaiming He", 2018, family="He", doi="10.1109/tpami.2018.2844175"
)


# --- normalize_title ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Nanometre-scale thermometry in a living cell.",
            "nanometre scale thermometry in a living cell",
        ),
        ("  ATTENTION   is all\tyou NEED ", "attention is all you need"),
        ("<i>In vivo</i> imaging of H<sub>2</sub>O", "in vivo imaging of h2o"),
        ("<jats:title>Deep learning</jats:title>", "deep learning"),
        (
            "<mml:math><mml:mi>α</mml:mi></mml:math>-Synuclein aggregation",
            "alpha synuclein aggregation",
        ),
        ("$\\alpha$-Synuclein aggregation", "alpha synuclein aggregation"),
        ("\\emph{In vivo} imaging of H$_2$O", "in vivo imaging of h2o"),
        ('Schr\\"{o}dinger equation', "schrodinger equation"),
        ("Schrödinger equation", "schrodinger equation"),
        ("Ørsted and Łódź", "orsted and lodz"),
        ("TNFα and IFN-γ signalling", "tnf alpha and ifn gamma signalling"),
        ("Science &amp; Society", "science and society"),
        ("Quasifree (p,2p) Reactions", "quasifree p 2p reactions"),
        ("", ""),
    ],
)
def test_normalize_title(text: str, expected: str) -> None:
    assert normalize_title(text) == expected


# --- title similarity and acceptance of the same title ---------------------------------------


def test_exact_title_accepted() -> None:
    match = choose(title_query("Attention Is All You Need"), [("arxiv", ATTENTION)])
    assert match.status == "resolved"
    assert match.accepted == (("arxiv", ATTENTION),)
    assert match.candidates[0].score == 1.0
    assert match.reason == (
        "accepted 'Attention Is All You Need': scores 1 (threshold 0.92), "
        "1 record (arxiv); no other candidate"
    )


@pytest.mark.parametrize(
    ("typed", "published"),
    [
        ("attention is all you need", "Attention Is All You Need"),
        ("Attention is all you need!", "Attention Is All You Need."),
        ("Schrodinger's cat states", "Schrödinger’s cat states"),
        ("alpha-synuclein: a review", "α-Synuclein: A Review"),
        ("In vivo imaging of H2O", "<i>In vivo</i> imaging of H<sub>2</sub>O"),
        ("Measuring $\\alpha$-synuclein in vivo", "Measuring α-synuclein <i>in vivo</i>"),
        ("A non-linear model of gene regulation", "A nonlinear model of gene regulation"),
        ("TNFalpha signalling in COVID19", "TNF-α signalling in COVID-19"),
    ],
)
def test_spelling_differences_accepted(typed: str, published: str) -> None:
    candidate = work(published, "A. Author", 2020)
    assert title_similarity(typed, published) >= 0.95
    match = choose(title_query(typed), [("unpaywall", candidate)])
    assert match.accepted == (("unpaywall", candidate),)


def test_spelling_variant_needs_author_and_year() -> None:
    # "Nanometre" vs "Nanometer": one word of seven differs; the title alone is not enough.
    query = "Nanometer scale thermometry in a living cell"
    assert title_similarity(query, NANO.title or "") == pytest.approx(6 / 7)
    assert not choose(title_query(query), [("unpaywall", NANO)]).accepted
    with_hints = choose(title_query(query, author="Kucsko", year=2013), [("unpaywall", NANO)])
    assert with_hints.accepted == (("unpaywall", NANO),)
    assert with_hints.candidates[0].score == 0.957


# --- near misses ----------------------------------------------------------------------------


def test_same_words_in_another_order_rejected() -> None:
    reordered = work("All You Need Is Attention", "Ashish Vaswani", 2017)
    assert title_similarity("Attention is all you need", "All you need is attention") < 0.6
    match = choose(
        title_query("Attention is all you need", "Vaswani", 2017), [("arxiv", reordered)]
    )
    assert not match.accepted
    assert match.status == "ambiguous"
    assert match.reason.startswith("best candidate scores ")
    assert match.reason.endswith(", below the threshold 0.92")


def test_one_extra_word_rejected() -> None:
    negated = work("Attention is not all you need", "Yihe Dong", 2021, arxiv="2103.03404")
    assert title_similarity("Attention is all you need", "Attention is not all you need") < (
        ACCEPT_THRESHOLD - 0.10
    )
    # even when the query's author and year happen to agree, "not" names another paper
    lenient = title_query("Attention is all you need", author="Dong", year=2021)
    assert score_candidate(lenient, negated) < ACCEPT_THRESHOLD
    assert not choose(lenient, [("arxiv", negated)]).accepted


def test_sequel_rejected_even_for_long_titles_and_agreeing_hints() -> None:
    title = (
        "Long short-term memory recurrent neural network architectures "
        "for large scale acoustic modeling"
    )
    sequel = work(title + ". Part II", "Hasim Sak", 2014)
    query = title_query(title, author="Sak", year=2014)
    assert score_candidate(query, sequel) == pytest.approx(0.9)
    assert not choose(query, [("unpaywall", sequel)]).accepted


def test_correction_rejected() -> None:
    original = "On Computable Numbers, with an Application to the Entscheidungsproblem"
    correction = work(original + ". A Correction", "A. M. Turing", 1938, family="Turing")
    query = title_query(original, author="Turing", year=1937)
    assert score_candidate(query, correction) < ACCEPT_THRESHOLD


def test_numbered_part_rejected() -> None:
    assert (
        title_similarity(
            "Planck 2018 results. VI. Cosmological parameters",
            "Planck 2018 results. V. CMB power spectra and likelihoods",
        )
        < ACCEPT_THRESHOLD
    )
    assert (
        title_similarity(
            "Planck 2018 results. VI. Cosmological parameters",
            "Planck 2015 results. XIII. Cosmological parameters",
        )
        <= 0.8
    )


def test_spaces_moved_inside_numbers_rejected() -> None:
    # The words join alike ("1005 10"), but the numbers are others: another record.
    query = title_query("NEW TITLE added 1-005-10", author="Frede", year=2010)
    deposit = work("NEW TITLE added 10-05-10", "A. Frede", 2010, family="Frede")
    assert title_similarity(query.text, deposit.title or "") <= 0.8
    assert not choose(query, [("crossref", deposit)]).accepted


def test_a_space_typed_one_letter_early_is_one_spelling() -> None:
    published = "Dynamic Label Graph Matching for Unsupervised Video Re-Identification"
    typed = "Dynamic Label Graph Matching for Unsupervised Video R-eIdentification"
    assert title_similarity(typed, published) == pytest.approx(0.986, abs=5e-4)
    candidate = work(published, "Mang Ye", 2017)
    assert choose(title_query(typed), [("arxiv", candidate)]).accepted == (("arxiv", candidate),)


def test_same_title_far_year_rejected() -> None:
    query = title_query("Deep learning", author="LeCun", year=2005)
    assert score_candidate(query, DEEP_LEARNING_NATURE) == pytest.approx(0.8)
    match = choose(query, [("unpaywall", DEEP_LEARNING_NATURE)])
    assert not match.accepted
    assert match.reason == "best candidate scores 0.8, below the threshold 0.92"


def test_year_off_by_one_is_neutral() -> None:
    query = title_query("Mask R-CNN", year=2017)
    assert score_candidate(query, MASK_RCNN_TPAMI) == 1.0  # published 2018: preprint year
    assert score_candidate(title_query("Mask R-CNN", year=2016), MASK_RCNN_TPAMI) == 0.75


def test_author_mismatch_lowers_score_below_threshold() -> None:
    query = title_query("Attention is all you need", author="Smith")
    assert score_candidate(query, ATTENTION) == pytest.approx(0.75)
    match = choose(query, [("arxiv", ATTENTION)])
    assert not match.accepted
    assert match.candidates[0].score == 0.75


def test_author_match_on_name_without_family_and_compound_surnames() -> None:
    assert score_candidate(title_query("Attention is all you need", "Vaswani"), ATTENTION) == 1.0
    compound = work(
        "Quasifree (p,2p) reactions", "P. Díaz Fernández", 2018, family="Díaz Fernández"
    )
    for surname in ("Fernandez", "Díaz", "diaz fernandez"):
        assert score_candidate(title_query("Quasifree (p,2p) reactions", surname), compound) == 1.0
    dutch = work("Quasifree (p,2p) reactions", "J. van der Berg", 2018, family="van der Berg")
    assert score_candidate(title_query("Quasifree (p,2p) reactions", "Berg"), dutch) == 1.0
    assert score_candidate(title_query("Quasifree (p,2p) reactions", "van"), dutch) == 0.75
    reversed_name = work("Deep learning", "LeCun, Yann", 2015)
    assert score_candidate(title_query("Deep learning", "lecun", 2015), reversed_name) == 1.0


def test_score_is_clamped() -> None:
    assert score_candidate(title_query("Mask R-CNN", "He", 2017), MASK_RCNN_ARXIV) == 1.0
    nothing = title_query("Generative adversarial nets", author="Goodfellow", year=2014)
    assert score_candidate(nothing, DEEP_LEARNING_NATURE) == 0.0


# --- ambiguity and grouping --------------------------------------------------------------------


def test_two_different_papers_with_equal_scores_are_ambiguous() -> None:
    match = choose(
        title_query("Deep learning"),
        [("unpaywall", DEEP_LEARNING_NATURE), ("oab", DEEP_LEARNING_BOOK)],
    )
    assert not match.accepted
    assert match.status == "ambiguous"
    assert [(c.source, c.score, c.first_author) for c in match.candidates] == [
        ("unpaywall", 1.0, "Yann LeCun"),
        ("oab", 1.0, "Ian Goodfellow"),
    ]
    assert match.reason == (
        "two candidates within 0.05 of each other: "
        "'Deep learning' (unpaywall, 1); 'Deep Learning' (oab, 1)"
    )


def test_a_hint_breaks_the_tie() -> None:
    match = choose(
        title_query("Deep learning", author="LeCun"),
        [("unpaywall", DEEP_LEARNING_NATURE), ("oab", DEEP_LEARNING_BOOK)],
    )
    assert match.accepted == (("unpaywall", DEEP_LEARNING_NATURE),)
    assert match.reason.endswith("next candidate scores 0.75, 0.25 behind")


def test_runner_up_just_inside_the_margin_is_ambiguous() -> None:
    # The arXiv record spells the title differently and carries no DOI, so nothing shows
    # that it is the Nature paper: 1.0 against 6/7 + 0.10 = 0.957, 0.043 apart.
    query = title_query("Nanometre-scale thermometry in a living cell", "Kucsko", 2013)
    match = choose(query, [("unpaywall", NANO), ("arxiv", NANO_ARXIV)])
    assert [c.score for c in match.candidates] == [1.0, 0.957]
    assert match.candidates[0].score - match.candidates[1].score < MIN_MARGIN
    assert not match.accepted
    assert match.reason == (
        "two candidates within 0.05 of each other: "
        "'Nanometre-scale thermometry in a living cell' (unpaywall, 1); "
        "'Nanometer scale thermometry in a living cell' (arxiv, 0.957)"
    )


def test_two_sources_sharing_a_doi_are_one_group() -> None:
    from_oab = Work(
        title="Nanometre-scale thermometry in a living cell",
        ids=Ids(doi="10.1038/NATURE12373"),
        year=2013,
    )
    match = choose(
        title_query("Nanometre-scale thermometry in a living cell"),
        [("unpaywall", NANO), ("oab", from_oab)],
    )
    assert match.accepted == (("unpaywall", NANO), ("oab", from_oab))
    assert len(match.candidates) == 2
    assert "2 records of the same work (unpaywall, oab)" in match.reason


def test_preprint_and_publication_are_one_group() -> None:
    match = choose(
        title_query("Mask R-CNN", author="He"),
        [("arxiv", MASK_RCNN_ARXIV), ("unpaywall", MASK_RCNN_TPAMI)],
    )
    assert match.status == "resolved"
    assert {name for name, _ in match.accepted} == {"arxiv", "unpaywall"}
    assert match.reason == (
        "accepted 'Mask R-CNN': scores 1 (threshold 0.92), "
        "2 records of the same work (arxiv, unpaywall); no other candidate"
    )


def test_preprint_grouping_needs_same_author_and_close_years() -> None:
    other_author = work("Mask R-CNN", "Ross Girshick", 2017)
    later = work("Mask R-CNN", "Kaiming He", 2020)
    for stranger in (other_author, later):
        match = choose(
            title_query("Mask R-CNN"), [("arxiv", MASK_RCNN_ARXIV), ("unpaywall", stranger)]
        )
        assert not match.accepted


def test_group_with_different_titles_is_accepted_with_its_best_score() -> None:
    # arXiv's title differs in spelling; the shared arXiv id makes the two one work
    tagged = Work(
        title=NANO.title,
        authors=NANO.authors,
        year=2013,
        ids=Ids(doi=NANO.ids.doi, arxiv="1304.1068"),
    )
    match = choose(
        title_query("Nanometre-scale thermometry in a living cell"),
        [("arxiv", NANO_ARXIV), ("unpaywall", tagged)],
    )
    assert match.accepted == (("unpaywall", tagged), ("arxiv", NANO_ARXIV))
    assert [c.score for c in match.candidates] == [1.0, 0.857]


def test_candidates_listed_best_first_with_rounded_scores() -> None:
    match = choose(
        title_query("Nanometre-scale thermometry in a living cell"),
        [("oab", DEEP_LEARNING_BOOK), ("arxiv", NANO_ARXIV), ("unpaywall", NANO)],
    )
    assert [c.source for c in match.candidates] == ["unpaywall", "arxiv", "oab"]
    assert all(c.score == round(c.score, 3) for c in match.candidates)
    assert match.candidates[0].ids.doi == "10.1038/nature12373"
    assert match.candidates[0].year == 2013
    assert match.candidates[0].title == NANO.title


def test_no_candidates() -> None:
    match = choose(title_query("Attention is all you need"), [])
    assert match == Match(accepted=(), candidates=(), reason="no candidate", status="not_found")


# --- citation queries -------------------------------------------------------------------------


def test_citation_containing_the_title_accepted() -> None:
    query = Query(
        kind="citation",
        text="Kucsko, G. et al. Nanometre-scale thermometry in a living cell. "
        "Nature 500, 54–58 (2013).",
        author="Kucsko",
        year=2013,
    )
    match = choose(query, [("unpaywall", NANO), ("oab", DEEP_LEARNING_NATURE)])
    assert match.accepted == (("unpaywall", NANO),)
    assert match.candidates[0].score == 1.0


def test_citation_with_a_parsed_title() -> None:
    query = Query(
        kind="citation",
        text="Vaswani A, Shazeer N, Parmar N, et al. Attention is all you need. NIPS 2017.",
        title="Attention is all you need",
        author="Vaswani",
        year=2017,
    )
    assert choose(query, [("arxiv", ATTENTION)]).accepted == (("arxiv", ATTENTION),)


def test_citation_with_a_typo_in_the_title() -> None:
    query = Query(
        kind="citation",
        text="Kucsko G, Maurer PC, Yao NY, et al. Nanometer-scale thermometry in a living cell. "
        "Nature. 2013;500(7460):54-58.",
        author="Kucsko",
        year=2013,
    )
    assert ACCEPT_THRESHOLD < score_candidate(query, NANO) < 1.0
    assert choose(query, [("unpaywall", NANO)]).accepted


def test_short_title_containment_rejected() -> None:
    query = Query(
        kind="citation",
        text="LeCun Y, Bengio Y, Hinton G. Deep learning. Nature. 2015;521(7553):436-444.",
        author="LeCun",
        year=2015,
    )
    match = choose(query, [("unpaywall", DEEP_LEARNING_NATURE)])
    assert not match.accepted
    assert match.reason.endswith("below the threshold 0.92")


def test_title_inside_a_longer_title_rejected() -> None:
    query = Query(
        kind="citation",
        text="Subakan C, Ravanelli M, Cornell S, Bronzi M, Zhong J. "
        "Attention is all you need in speech separation. ICASSP 2021.",
    )
    match = choose(query, [("arxiv", ATTENTION)])
    assert not match.accepted


def test_citation_of_a_sequel_rejected() -> None:
    title = (
        "Long short-term memory recurrent neural network architectures "
        "for large scale acoustic modeling"
    )
    query = Query(kind="citation", text=f"Sak H, Senior A, Beaufays F. {title}. Part II. 2014.")
    assert not choose(query, [("unpaywall", work(title, "Hasim Sak", 2014))]).accepted


def test_citation_of_a_comment_rejected() -> None:
    query = Query(
        kind="citation",
        text="Smith J. Comment on: Nanometre-scale thermometry in a living cell. Nature. 2014.",
    )
    assert not choose(query, [("unpaywall", NANO)]).accepted


# --- the worked example of docs/matching.md -----------------------------------------------------

OKABE = work(
    "Intracellular temperature mapping with a fluorescent polymeric thermometer and "
    "fluorescence lifetime imaging microscopy",
    "Kohki Okabe",
    2012,
    family="Okabe",
    doi="10.1038/ncomms1714",
)


def test_worked_example_of_the_docs() -> None:
    query = title_query("Nanometer-scale thermometry in a living cell", "Kucsko", 2013)
    arxiv = Work(
        title=NANO_ARXIV.title,
        authors=NANO_ARXIV.authors,
        year=2013,
        ids=Ids(arxiv="1304.1068", doi="10.1038/nature12373"),
    )
    match = choose(query, [("unpaywall", NANO), ("arxiv", arxiv), ("oab", OKABE)])
    assert [(c.source, c.score) for c in match.candidates] == [
        ("arxiv", 1.0),
        ("unpaywall", 0.957),
        ("oab", 0.0),
    ]
    assert match.accepted == (("arxiv", arxiv), ("unpaywall", NANO))
    assert match.reason == (
        "accepted 'Nanometer scale thermometry in a living cell': scores 1 (threshold 0.92), "
        "2 records of the same work (arxiv, unpaywall); next candidate scores 0, 1 behind"
    )
    without_doi = choose(query, [("unpaywall", NANO), ("arxiv", NANO_ARXIV), ("oab", OKABE)])
    assert without_doi.status == "ambiguous"
    bare = choose(
        title_query("Nanometer-scale thermometry in a living cell"), [("unpaywall", NANO)]
    )
    assert bare.reason == "best candidate scores 0.857, below the threshold 0.92"
