"""RIS output, read back by rispy.

Every record the recorded answers in tests/fixtures hold is rendered and read
back: the fields read are the fields written. The hard cases (types, names,
preprints, PDFs, values that would break a line-based format) are named tests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import msgspec
import pytest
import rispy
from fixture_records import fixture_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rispy.config import TYPE_OF_REFERENCE_MAPPING

from paperfuse import Author, Ids, OALocation, PluginHost, RISFormat, Work
from paperfuse.testing import FormatContract

RECORDS = fixture_records()
# Each line of a record is a tag, two spaces, a dash and its value.
LINE_RE = re.compile(r"[A-Z][A-Z0-9]  - .*")


def _read(text: str) -> list[dict]:
    """``text`` as rispy reads it, with a URL per ``UR`` line (not split at ``;``)."""
    return rispy.loads(text, delimiter_tags_mapping={})


ARTICLE = Work(
    status="resolved",
    type="journal-article",
    title="Nanometre-scale thermometry in a living cell",
    authors=(
        Author(name="G. Kucsko", given="G.", family="Kucsko"),
        Author(name="M. D. Lukin", given="M. D.", family="Lukin"),
    ),
    venue="Nature",
    container_short="Nature",
    year=2013,
    published="2013-07-31",
    volume="500",
    issue="7460",
    pages="54-58",
    publisher="Springer Science and Business Media LLC",
    ids=Ids(doi="10.1038/nature12373", pmid="23903748"),
    issn=("0028-0836", "1476-4687"),
    language="en",
    keywords=("thermometry",),
    mesh=("Thermometry", "thermometry"),
    abstract="Sensitive probing of\n\ntemperature <i>variations</i>.",
)

PREPRINT = Work(
    status="resolved",
    type="posted-content",
    title="Multi-Electron Production at High Transverse Momenta in ep Collisions at HERA",
    authors=(Author(name="H1 Collaboration"),),
    year=2003,
    published="2003-07-07",
    ids=Ids(arxiv="hep-ex/0307015"),
    primary_category="hep-ex",
    journal_ref="Eur.Phys.J. C31 (2003) 17-29",
    comment="23 pages, 8 figures and 4 tables",
    best_oa_location=OALocation(
        url="https://arxiv.org/abs/hep-ex/0307015",
        url_for_pdf="https://arxiv.org/pdf/hep-ex/0307015",
        url_for_landing_page="https://arxiv.org/abs/hep-ex/0307015",
    ),
)


@pytest.mark.parametrize(("name", "work"), RECORDS, ids=[name for name, _ in RECORDS])
def test_every_record_round_trips_through_rispy(name: str, work: Work) -> None:
    text = RISFormat().render(work)
    assert all(LINE_RE.fullmatch(line) for line in text.splitlines()), text
    (read,) = _read(text)
    assert read == RISFormat().reference(work)  # what was written is what is read
    assert read["type_of_reference"] in TYPE_OF_REFERENCE_MAPPING
    assert read.get("doi") == work.ids.doi
    assert read["id"][0].isalpha()
    if work.title:
        assert read["primary_title"]
    # A reader that splits UR at ";" (rispy's default) still reads one record.
    (default,) = rispy.loads(text)
    assert default.get("primary_title") == read.get("primary_title")


def test_a_batch_of_every_record_reads_back_with_unique_ids() -> None:
    output = RISFormat()  # one instance renders one batch
    text = "\n".join(output.render(work) for _, work in RECORDS)
    records = _read(text)
    assert len(records) == len(RECORDS)
    ids = [record["id"] for record in records]
    assert len(set(ids)) == len(ids)


def test_a_journal_article() -> None:
    text = RISFormat().render(ARTICLE)
    assert text == (
        "TY  - JOUR\n"
        "ID  - kucsko2013nanometre\n"
        "AU  - Kucsko, G.\n"
        "AU  - Lukin, M. D.\n"
        "T1  - Nanometre-scale thermometry in a living cell\n"
        "JO  - Nature\n"
        "T2  - Nature\n"
        "J2  - Nature\n"
        "VL  - 500\n"
        "IS  - 7460\n"
        "SP  - 54\n"
        "EP  - 58\n"
        "PY  - 2013\n"
        "DA  - 2013/07/31\n"
        "PB  - Springer Science and Business Media LLC\n"
        "SN  - 0028-0836, 1476-4687\n"
        "DO  - 10.1038/nature12373\n"
        "UR  - https://doi.org/10.1038/nature12373\n"
        "AB  - Sensitive probing of temperature variations.\n"
        "LA  - en\n"
        "KW  - thermometry\n"
        "KW  - Thermometry\n"
        "ER  - "
    )


@pytest.mark.parametrize(
    ("record_type", "ris_type"),
    [
        ("journal-article", "JOUR"),
        ("proceedings-article", "CPAPER"),
        ("book-chapter", "CHAP"),
        ("book", "BOOK"),
        ("edited-book", "EDBOOK"),
        ("dissertation", "THES"),
        ("report", "RPRT"),
        ("dataset", "DATA"),
        ("software", "COMP"),
        ("posted-content", "UNPB"),
        ("other", "GEN"),
    ],
)
def test_the_type_follows_the_record_type(record_type: str, ris_type: str) -> None:
    work = msgspec.structs.replace(ARTICLE, type=record_type)
    (read,) = _read(RISFormat().render(work))
    assert read["type_of_reference"] == ris_type
    assert read["secondary_title"] == "Nature"
    assert ("journal_name" in read) is (ris_type == "JOUR")


def test_a_book_has_its_isbn_as_sn() -> None:
    work = msgspec.structs.replace(ARTICLE, type="book", isbn=("9781108348843",))
    (read,) = _read(RISFormat().render(work))
    assert read["issn"] == "9781108348843"


def test_a_preprint_with_its_pdf_comment_and_journal_ref() -> None:
    (read,) = _read(RISFormat().render(PREPRINT))
    assert read["type_of_reference"] == "UNPB"
    assert read["authors"] == ["H1 Collaboration"]  # an organisation, whole
    assert read["urls"] == ["https://arxiv.org/abs/hep-ex/0307015"]
    assert read["file_attachments1"] == "https://arxiv.org/pdf/hep-ex/0307015"
    assert read["accession_number"] == "arXiv:hep-ex/0307015 [hep-ex]"
    assert read["notes"] == [
        "23 pages, 8 figures and 4 tables",
        "Journal reference: Eur.Phys.J. C31 (2003) 17-29",
    ]
    assert read["publisher"] == "arXiv"
    assert read["date"] == "2003/07/07"


def test_names_are_family_comma_given_with_particles() -> None:
    work = msgspec.structs.replace(
        ARTICLE,
        authors=(
            Author(name="Bart Van Parys", given="Bart", family="Van Parys"),
            Author(name="Christopher De Sa", given="Christopher", family="de Sa"),
            Author(name="Plato", family="Plato"),
        ),
        editors=(Author(name="Grace Hopper", given="Grace", family="Hopper"),),
    )
    (read,) = _read(RISFormat().render(work))
    assert read["authors"] == ["Van Parys, Bart", "de Sa, Christopher", "Plato"]
    assert read["secondary_authors"] == ["Hopper, Grace"]


def test_values_stay_on_their_line() -> None:
    work = msgspec.structs.replace(
        ARTICLE,
        title="Top-$K$ <i>ranking</i>\nER  - injected",
        abstract="One\r\nTY  - JOUR\nthree",
        ids=Ids(urls=("https://example.org/a;b?c=1",)),
    )
    text = RISFormat().render(work)
    assert all(LINE_RE.fullmatch(line) for line in text.splitlines())
    (read,) = _read(text)
    assert read["primary_title"] == "Top-$K$ ranking ER - injected"
    assert read["abstract"] == "One TY - JOUR three"
    url_work = msgspec.structs.replace(work, ids=Ids(urls=("https://example.org/a;b?c=1",)))
    (read,) = _read(RISFormat().render(url_work))
    assert read["urls"] == ["https://example.org/a;b?c=1"]


def test_an_article_number_is_the_start_page_when_there_are_no_pages() -> None:
    work = msgspec.structs.replace(ARTICLE, pages=None, article_number="e1234")
    (read,) = _read(RISFormat().render(work))
    assert read["start_page"] == "e1234"
    assert "end_page" not in read


def test_ids_repeat_with_suffixes_within_one_output() -> None:
    output = RISFormat()
    ids = [_read(output.render(ARTICLE))[0]["id"] for _ in range(2)]
    assert ids == ["kucsko2013nanometre", "kucsko2013nanometrea"]


def test_a_record_holding_lone_surrogates_is_written() -> None:
    work = msgspec.structs.replace(
        ARTICLE,
        title="A title \ud800",
        authors=(Author(name="Ada \udcff", given="Ada", family="Love\udcfflace"),),
    )
    text = RISFormat().render(work)
    text.encode("utf-8")
    assert _read(text)[0]["authors"] == ["Love\ufffdlace, Ada"]


def test_ris_is_a_bibliography_registered_as_a_built_in() -> None:
    assert RISFormat.bibliography is True
    assert PluginHost(entry_points=False).formats["ris"] is RISFormat


def test_the_docs_show_a_real_record_as_paperfuse_writes_it() -> None:
    docs = Path(__file__).resolve().parent.parent / "docs"
    nature = dict(RECORDS)["crossref/skgif_10.1038_nature12373.json#0"]
    pattern = re.compile(r"^```ris\n(.*?)\n```$", re.DOTALL | re.MULTILINE)
    blocks = [b for page in docs.glob("formats*.md") for b in pattern.findall(page.read_text())]
    assert RISFormat().render(nature) in blocks


def test_markup_is_dropped_but_math_is_kept() -> None:
    abstract = (
        "<jats:title>Abstract</jats:title><jats:p>We show $p<q$ and $r>s$ "
        "for x<y &amp; <i>E. coli</i>.</jats:p>"
    )
    (read,) = _read(RISFormat().render(msgspec.structs.replace(ARTICLE, abstract=abstract)))
    assert read["abstract"] == "Abstract We show $p<q$ and $r>s$ for x<y & E. coli."


_TEXT = st.lists(
    st.sampled_from(
        [*"aZ 09;,\n\r\t<>&$-é日", "<i>", "</i>", "ER  - ", "TY  - ", "&amp;", "\u2028"]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=_TEXT, family=_TEXT, abstract=_TEXT, comment=_TEXT, url=_TEXT)
def test_any_text_gives_one_record_read_back_as_written(
    title: str, family: str, abstract: str, comment: str, url: str
) -> None:
    work = msgspec.structs.replace(
        PREPRINT,
        title=title,
        authors=(Author(name=family or "x", family=family or None),),
        abstract=abstract,
        comment=comment,
        ids=Ids(arxiv="2101.00001", urls=("https://example.org/" + "".join(url.split()),)),
    )
    text = RISFormat().render(work)
    assert all(LINE_RE.fullmatch(line) for line in text.splitlines()), text
    (read,) = _read(text)
    assert read == RISFormat().reference(work)


def test_control_characters_are_left_out() -> None:
    work = msgspec.structs.replace(
        ARTICLE, title="a\x00b\x1bc\x7fd", authors=(Author(name="X\x00Y", family="X\x00Y"),)
    )
    (read,) = _read(RISFormat().render(work))
    assert (read["primary_title"], read["authors"]) == ("abcd", ["XY"])


def test_identifiers_and_links_are_written_as_they_are() -> None:
    pdf = "https://example.org/get?id=1&copy=2&amp;x=<b>"
    work = msgspec.structs.replace(
        ARTICLE,
        ids=Ids(doi="10.1002/(sici)1097-4636(199905)45:2<67::aid-jbm1>3.0.co;2-x"),
        best_oa_location=OALocation(url=pdf, url_for_pdf=pdf),
    )
    (read,) = _read(RISFormat().render(work))
    assert read["doi"] == "10.1002/(sici)1097-4636(199905)45:2<67::aid-jbm1>3.0.co;2-x"
    assert read["file_attachments1"] == pdf


class TestRISContract(FormatContract):
    format = RISFormat

    def check(self, text: str, works: Sequence[Work]) -> None:
        records = _read(text)
        assert len(records) == len(works)
        assert len({record["id"] for record in records}) == len(records)
