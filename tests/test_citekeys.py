"""Citation keys: authorYEARword, ASCII, unique within a batch, never a leading digit."""

from __future__ import annotations

from paperfuse import Author, Ids, Work
from paperfuse._citekeys import CitationKeys, citation_key


def _work(**fields: object) -> Work:
    return Work(status="resolved", **fields)  # type: ignore[arg-type]


def test_author_year_and_first_significant_title_word() -> None:
    work = _work(
        authors=(Author(name="Donald E. Knuth", given="Donald E.", family="Knuth"),),
        year=1984,
        title="The Literate Programming",
    )
    assert citation_key(work) == "knuth1984literate"


def test_names_are_transliterated_to_ascii() -> None:
    work = _work(
        authors=(Author(name="Jürgen Müller-Šťastný", family="Müller-Šťastný"),),
        year=2020,
        title="Über Ähnlichkeit",
    )
    assert citation_key(work) == "mullerstastny2020uber"


def test_an_unsplit_name_gives_its_last_word_and_an_organisation_its_first() -> None:
    person = _work(authors=(Author(name="Bart Van Parys"),), year=2017, title="Robust")
    assert citation_key(person) == "parys2017robust"
    org = _work(authors=(Author(name="The LHCb collaboration"),), year=2015, title="Observation")
    assert citation_key(org) == "lhcb2015observation"


def test_a_key_never_starts_with_a_digit() -> None:
    assert citation_key(_work(year=2014)) == "ref2014"
    assert citation_key(_work(title="2014")) == "ref2014"
    assert citation_key(_work(title="2014 in review")) == "review"
    assert citation_key(_work()) == "ref"


def test_a_work_without_author_or_title_is_keyed_by_its_identifier() -> None:
    assert citation_key(_work(ids=Ids(doi="10.1038/nature12373"))) == "doi101038nature12373"
    assert citation_key(_work(ids=Ids(arxiv="1706.03762"), year=2017)) == "arxiv1706037622017"


def test_keys_repeated_in_a_batch_get_letter_suffixes() -> None:
    keys = CitationKeys()
    work = _work(authors=(Author(name="A Smith", family="Smith"),), year=2014, title="Cells")
    got = [keys.key(work) for _ in range(29)]
    assert got[:4] == ["smith2014cells", "smith2014cellsa", "smith2014cellsb", "smith2014cellsc"]
    assert got[27] == "smith2014cellsaa"
    assert len(set(got)) == 29
    # A fresh batch starts over.
    assert CitationKeys().key(work) == "smith2014cells"


def test_a_suffixed_key_does_not_collide_with_a_base_key_equal_to_it() -> None:
    keys = CitationKeys()
    a = _work(authors=(Author(name="X Li", family="Li"),), year=2020, title="Net")
    b = _work(authors=(Author(name="X Li", family="Li"),), year=2020, title="Neta")
    assert [keys.key(a), keys.key(a), keys.key(b)] == ["li2020net", "li2020neta", "li2020netaa"]


def test_bytes_that_were_not_utf8_leave_no_trace_in_a_key(recwarn: object) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # unidecode warns of a surrogate it is given
        work = _work(
            authors=(Author(name="M\udcffller", family="M\udcffller"),), title="\udcff Cells"
        )
        assert citation_key(work) == "mller" + "cells"
