"""BibTeX and BibLaTeX output, read back by the parsers LaTeX users rely on.

Every record the recorded answers in tests/fixtures hold is rendered and read
by bibtexparser 2 and by pybtex, and its BibTeX entry is formatted by pybtex's
``plain`` style. The hard cases of a citable .bib (DOIs and URLs written
verbatim, keys unique, organisations, particles, math, markup, acronyms, entry
types, arXiv eprints) are named tests on works built here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import bibtexparser
import msgspec
import pybtex.database
import pytest
from fixture_records import fixture_records
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pybtex.plugin import find_plugin

from paperfuse import (
    Author,
    BibLaTeXFormat,
    BibTeXFormat,
    Ids,
    OALocation,
    PluginHost,
    Work,
)
from paperfuse.testing import FormatContract

RECORDS = fixture_records()
FORMATS = [BibTeXFormat, BibLaTeXFormat]


def _entry(text: str) -> bibtexparser.model.Entry:
    """The one entry of ``text``, as bibtexparser 2 reads it (no failed block allowed)."""
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    assert len(library.entries) == 1, text
    return library.entries[0]


def _render(format_type: type[BibTeXFormat], work: Work) -> tuple[str, dict[str, str]]:
    text = format_type().render(work)
    entry = _entry(text)
    return entry.entry_type, {f.key.lower(): f.value for f in entry.fields}


def _plain(text: str) -> str:
    """``text`` (one BibTeX entry) formatted by pybtex's ``plain`` style, as plain text."""
    data = pybtex.database.parse_string(text, "bibtex")
    style = find_plugin("pybtex.style.formatting", "plain")()
    (formatted,) = style.format_entries(data.entries.values())
    return formatted.text.render_as("text")


def _urls(work: Work) -> set[str]:
    """The links an entry may cite for ``work``: the DOI's, arXiv's, the record's own."""
    urls = set(work.ids.urls)
    if work.ids.doi:
        urls.add(f"https://doi.org/{work.ids.doi}")
    if work.ids.arxiv:
        urls.add(f"https://arxiv.org/abs/{work.ids.arxiv}")
    for location in work.oa_locations:
        urls.update(u for u in (location.url, location.url_for_landing_page) if u)
        urls.update(u for u in (location.url_for_pdf,) if u)
    return urls


ARTICLE = Work(
    status="resolved",
    type="journal-article",
    title="Nanometre-scale thermometry in a living cell",
    authors=(
        Author(name="G. Kucsko", given="G.", family="Kucsko"),
        Author(name="M. D. Lukin", given="M. D.", family="Lukin"),
    ),
    venue="Nature",
    year=2013,
    published="2013-07-31",
    volume="500",
    issue="7460",
    pages="54-58",
    publisher="Springer Science and Business Media LLC",
    ids=Ids(doi="10.1038/nature12373", pmid="23903748", pmcid="PMC4221854"),
    issn=("0028-0836", "1476-4687"),
    language="en",
    keywords=("thermometry", "nitrogen-vacancy centres"),
    abstract="Sensitive probing of temperature variations on nanometre scales.",
)


def _work(**changes: object) -> Work:
    return msgspec.structs.replace(ARTICLE, **changes)


# --- every recorded record --------------------------------------------------------


@pytest.mark.parametrize("format_type", FORMATS)
@pytest.mark.parametrize(("name", "work"), RECORDS, ids=[name for name, _ in RECORDS])
def test_every_record_is_an_entry_both_parsers_read(
    format_type: type[BibTeXFormat], name: str, work: Work
) -> None:
    text = format_type().render(work)
    entry = _entry(text)
    fields = {f.key.lower(): f.value for f in entry.fields}
    # DOIs, URLs and eprints are written exactly as the record holds them.
    assert fields.get("doi") == work.ids.doi
    pubmed = work.ids.pmid if format_type is BibLaTeXFormat else None
    assert fields.get("eprint") == (work.ids.arxiv or pubmed)
    if "url" in fields:
        assert fields["url"] in _urls(work)
    if work.ids.doi or work.ids.arxiv:
        assert "url" in fields
    assert not entry.key[0].isdigit()
    assert "title" in fields or not work.title
    # pybtex reads the same entry, with the same key and identifiers.
    data = pybtex.database.parse_string(text, "bibtex")
    (key,) = data.entries
    assert key == entry.key
    assert data.entries[key].fields.get("doi") == work.ids.doi
    # One person per author: no name's comma or "and" splits it in two.
    authors = [a for a in work.authors if a.name.strip()]
    assert len(data.entries[key].persons.get("author", [])) == len(authors)
    # The bibliographic fields, where the record's value needs no LaTeX.
    if work.year:
        assert (fields.get("year") or fields["date"][:4]) == str(work.year)
    plain = re.compile(r"[A-Za-z0-9 .:/()-]+")
    for field, value in (("volume", work.volume), ("number", work.issue)):
        if value and plain.fullmatch(value):
            assert fields[field] == value
    if work.pages and plain.fullmatch(work.pages):
        assert fields["pages"] == re.sub(r"\s*-+\s*", "--", work.pages)
    if work.title and plain.fullmatch(work.title) and format_type is BibLaTeXFormat:
        assert fields["title"].replace("{", "").replace("}", "") == work.title
    if format_type is BibLaTeXFormat:
        expected = {"journal-article": "article", "posted-content": "online", "book": "book"}
        assert entry.entry_type == expected.get(work.type or "", entry.entry_type)


@pytest.mark.parametrize(("name", "work"), RECORDS, ids=[name for name, _ in RECORDS])
def test_every_bibtex_entry_is_formatted_by_pybtex_plain(name: str, work: Work) -> None:
    formatted = _plain(BibTeXFormat().render(work))
    if work.year:
        assert str(work.year) in formatted
    if work.ids.doi:
        assert f"doi:{work.ids.doi}" in formatted


@pytest.mark.parametrize("format_type", FORMATS)
def test_a_batch_of_every_record_has_unique_keys(format_type: type[BibTeXFormat]) -> None:
    output = format_type()  # one instance renders one batch
    text = "\n\n".join(output.render(work) for _, work in RECORDS)
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks  # a repeated key would be a failed block
    keys = [entry.key for entry in library.entries]
    assert len(keys) == len(set(keys)) == len(RECORDS)
    assert all(re.fullmatch(r"[a-z][a-z0-9]*", key) for key in keys)
    data = pybtex.database.parse_string(text, "bibtex")  # refuses repeated keys too
    assert list(data.entries) == keys


def test_a_journal_article_in_bibtex() -> None:
    text = BibTeXFormat().render(ARTICLE)
    assert text == (
        "@article{kucsko2013nanometre,\n"
        "  author = {Kucsko, G. and Lukin, M. D.},\n"
        "  title = {Nanometre-scale thermometry in a living cell},\n"
        "  journal = {Nature},\n"
        "  year = {2013},\n"
        "  month = jul,\n"
        "  volume = {500},\n"
        "  number = {7460},\n"
        "  pages = {54--58},\n"
        "  publisher = {Springer Science and Business Media LLC},\n"
        "  doi = {10.1038/nature12373},\n"
        "  url = {https://doi.org/10.1038/nature12373},\n"
        "  issn = {0028-0836, 1476-4687},\n"
        "  pmid = {23903748},\n"
        "  pmcid = {PMC4221854},\n"
        "  language = {en},\n"
        "  keywords = {thermometry, nitrogen-vacancy centres},\n"
        "  abstract = {Sensitive probing of temperature variations on nanometre scales.}\n"
        "}"
    )
    assert _plain(text) == (
        "G. Kucsko and M. D. Lukin. Nanometre-scale thermometry in a living cell. "
        "Nature, 500(7460):54–58, July 2013. URL: https://doi.org/10.1038/nature12373, "
        "doi:10.1038/nature12373."
    )


def test_a_journal_article_in_biblatex() -> None:
    kind, fields = _render(BibLaTeXFormat, _work(container_short="Nature", article_number="54"))
    assert kind == "article"
    assert fields["journaltitle"] == "Nature"
    assert fields["shortjournal"] == "Nature"
    assert fields["date"] == "2013-07-31"
    assert fields["number"] == "7460"
    assert fields["pages"] == "54--58"
    assert fields["eid"] == "54"
    assert not {"journal", "year", "month"} & set(fields)
    # What biblatex's data model has for an article: no publisher, one ISSN,
    # the PMID as a PubMed eprint (biblatex links it).
    assert "publisher" not in fields
    assert fields["issn"] == "0028-0836"
    assert (fields["eprint"], fields["eprinttype"]) == ("23903748", "pubmed")


def test_biblatex_fields_follow_its_data_model_per_type() -> None:
    book = _work(type="book", isbn=("9781108348843", "9781108425728"))
    fields = _render(BibLaTeXFormat, book)[1]
    assert (fields["isbn"], fields["publisher"]) == ("9781108348843", ARTICLE.publisher)
    assert "issn" not in fields
    assert _render(BibTeXFormat, book)[1]["isbn"] == "9781108348843, 9781108425728"
    kind, fields = _render(BibLaTeXFormat, _work(type="software"))
    assert kind == "software"
    assert fields["organization"] == ARTICLE.publisher
    assert not {"publisher", "volume", "number", "pages", "issn"} & set(fields)
    kind, fields = _render(BibLaTeXFormat, _work(type="dissertation"))
    assert (kind, fields["type"]) == ("thesis", "phdthesis")
    assert fields["institution"] == ARTICLE.publisher


# --- identifiers and links, verbatim ---------------------------------------------


@pytest.mark.parametrize("format_type", FORMATS)
def test_a_doi_with_an_underscore_is_not_escaped(format_type: type[BibTeXFormat]) -> None:
    doi = "10.1007/978-3-319-24277-4_2"
    text = format_type().render(_work(ids=Ids(doi=doi)))
    assert "\\_" not in text
    fields = {f.key: f.value for f in _entry(text).fields}
    assert fields["doi"] == doi
    assert fields["url"] == f"https://doi.org/{doi}"
    assert pybtex.database.parse_string(text, "bibtex").entries.values()
    assert f"doi:{doi}" in _plain(BibTeXFormat().render(_work(ids=Ids(doi=doi))))


@pytest.mark.parametrize("format_type", FORMATS)
def test_a_percent_encoded_url_is_not_escaped(format_type: type[BibTeXFormat]) -> None:
    url = "https://dash.harvard.edu/handle/1/12285462?view=Nanometer-Scale%20Thermometry#top"
    work = _work(ids=Ids(urls=(url,)))
    text = format_type().render(work)
    assert "\\%" not in text
    assert "\\#" not in text
    assert _entry(text).fields_dict["url"].value == url
    entry = pybtex.database.parse_string(text, "bibtex").entries
    assert next(iter(entry.values())).fields["url"] == url


def test_a_pdf_is_the_url_of_biblatex_only_when_nothing_else_is_known() -> None:
    pdf = "https://dash.harvard.edu/bitstream/1/12285462/1/Nanometer-Scale%20Thermometry.pdf"
    location = OALocation(url=pdf, url_for_pdf=pdf)
    work = _work(ids=Ids(), best_oa_location=location, oa_locations=(location,))
    assert _render(BibLaTeXFormat, work)[1]["url"] == pdf
    assert "url" not in _render(BibTeXFormat, work)[1]
    landing = "https://dash.harvard.edu/handle/1/12285462"
    located = OALocation(url=pdf, url_for_pdf=pdf, url_for_landing_page=landing)
    with_landing = _work(ids=Ids(), best_oa_location=located)
    assert _render(BibLaTeXFormat, with_landing)[1]["url"] == landing
    with_doi = _work(best_oa_location=location)
    assert _render(BibLaTeXFormat, with_doi)[1]["url"] == "https://doi.org/10.1038/nature12373"


@pytest.mark.parametrize("format_type", FORMATS)
def test_a_doi_url_cannot_unbalance_the_entry(format_type: type[BibTeXFormat]) -> None:
    doi = "10.1002/(sici)1097-4636{199905"  # a brace BibTeX would count
    text = format_type().render(_work(ids=Ids(doi=doi)))
    fields = {f.key: f.value for f in _entry(text).fields}
    assert "doi" not in fields
    assert fields["url"] == "https://doi.org/10.1002/(sici)1097-4636%7B199905"
    assert pybtex.database.parse_string(text, "bibtex").entries


# --- citation keys ----------------------------------------------------------------


@pytest.mark.parametrize("format_type", FORMATS)
def test_a_key_is_never_a_bare_year(format_type: type[BibTeXFormat]) -> None:
    output = format_type()
    for work in (Work(year=2014, title="2014"), Work(year=2014, ids=Ids(doi="10.1/2014"))):
        key = _entry(output.render(work)).key
        assert key[0].isalpha(), key
        assert key != "2014"


@pytest.mark.parametrize("format_type", FORMATS)
def test_repeated_keys_get_suffixes_within_one_output(format_type: type[BibTeXFormat]) -> None:
    output = format_type()
    keys = [_entry(output.render(ARTICLE)).key for _ in range(3)]
    assert keys == ["kucsko2013nanometre", "kucsko2013nanometrea", "kucsko2013nanometreb"]
    # Another output (another batch) starts afresh.
    assert _entry(format_type().render(ARTICLE)).key == "kucsko2013nanometre"


# --- names ------------------------------------------------------------------------


@pytest.mark.parametrize("format_type", FORMATS)
def test_an_organisation_is_braced_whole(format_type: type[BibTeXFormat]) -> None:
    work = _work(authors=(Author(name="H1 Collaboration"), Author(name="The LHCb collaboration")))
    text = format_type().render(work)
    assert _entry(text).fields_dict["author"].value == (
        "{H1 Collaboration} and {The LHCb collaboration}"
    )
    persons = next(iter(pybtex.database.parse_string(text, "bibtex").entries.values())).persons
    assert [p.last_names for p in persons["author"]] == [
        ["{H1 Collaboration}"],
        ["{The LHCb collaboration}"],
    ]
    assert [p.first_names for p in persons["author"]] == [[], []]


@pytest.mark.parametrize("format_type", FORMATS)
def test_particles_stay_with_the_family_name(format_type: type[BibTeXFormat]) -> None:
    work = _work(
        authors=(
            Author(name="Bart Van Parys", given="Bart", family="Van Parys"),
            Author(name="Christopher De Sa", given="Christopher", family="de Sa"),
            Author(name="Mauro Di Caro", given="Mauro", family="Di Caro"),
            Author(name="Ada Lovelace, Jr", given="Ada", family="Lovelace, Jr"),
        )
    )
    text = format_type().render(work)
    assert _entry(text).fields_dict["author"].value == (
        "Van Parys, Bart and de Sa, Christopher and Di Caro, Mauro and {Lovelace, Jr}, Ada"
    )
    persons = next(iter(pybtex.database.parse_string(text, "bibtex").entries.values())).persons
    names = [(p.prelast_names, p.last_names, p.first_names) for p in persons["author"]]
    assert names == [
        ([], ["Van", "Parys"], ["Bart"]),
        (["de"], ["Sa"], ["Christopher"]),
        ([], ["Di", "Caro"], ["Mauro"]),
        ([], ["{Lovelace, Jr}"], ["Ada"]),
    ]


def test_accented_names_are_latex() -> None:
    work = _work(authors=(Author(name="Jürgen Müller", given="Jürgen", family="Müller"),))
    assert _render(BibTeXFormat, work)[1]["author"] == 'M{\\"u}ller, J{\\"u}rgen'


def test_editors_are_written() -> None:
    work = _work(
        type="book-chapter",
        venue="Handbook of Tests",
        editors=(Author(name="Grace Hopper", given="Grace", family="Hopper"),),
    )
    kind, fields = _render(BibTeXFormat, work)
    assert kind == "incollection"
    assert fields["editor"] == "Hopper, Grace"
    assert fields["booktitle"] == "Handbook of Tests"


# --- titles -----------------------------------------------------------------------


@pytest.mark.parametrize("format_type", FORMATS)
def test_math_in_a_title_is_kept(format_type: type[BibTeXFormat]) -> None:
    work = _work(title="Optimal for Top-$K$ Ranking with $\\alpha_{i}^2$ costing $30 and $50")
    assert _render(format_type, work)[1]["title"] == (
        "Optimal for Top-{$K$} Ranking with {$\\alpha_{i}^2$} costing {\\$}30 and {\\$}50"
    )


@pytest.mark.parametrize("format_type", FORMATS)
def test_html_tags_in_a_title_become_latex(format_type: type[BibTeXFormat]) -> None:
    work = _work(
        title="<i>E. coli</i> in H<sub>2</sub>O at 10<sup>3</sup> K: <b>bold</b> "
        "<scp>dna</scp> <span class='x'>plain</span> <i>unclosed"
    )
    assert _render(format_type, work)[1]["title"] == (
        "\\textit{E. coli} in H\\textsubscript{2}O at 10\\textsuperscript{3} K: "
        "\\textbf{bold} \\textsc{dna} plain \\textit{unclosed}"
    )


@pytest.mark.parametrize("format_type", FORMATS)
def test_acronyms_and_inner_capitals_are_protected(format_type: type[BibTeXFormat]) -> None:
    work = _work(title="DNA and mRNA in LHCb: Ranking iPhone Data with COVID-19")
    assert _render(format_type, work)[1]["title"] == (
        "{DNA} and {mRNA} in {LHCb}: Ranking {iPhone} Data with {COVID}-19"
    )
    formatted = _plain(BibTeXFormat().render(work))
    # The style lower-cases the title but for the protected words.
    assert "DNA and mRNA in LHCb: ranking iPhone data with COVID-19" in formatted


def test_text_fields_are_latex_encoded() -> None:
    work = _work(
        title="Müller & Søn: 100% of #1 in a_b {x}",
        venue="Science & Society",
        abstract="A bound of 0.30 \\pm 0.04 for x<y & z.",
    )
    fields = _render(BibTeXFormat, work)[1]
    assert fields["title"] == (
        'M{\\"u}ller {\\&} S{\\o}n: 100{\\%} of {\\#}1 in a{\\_}b '
        "{\\textbraceleft}x{\\textbraceright}"
    )
    assert fields["journal"] == "Science {\\&} Society"
    # arXiv's abstracts are LaTeX: a command the source wrote is kept.
    assert fields["abstract"] == ("A bound of 0.30 \\pm 0.04 for x{\\ensuremath{<}}y {\\&} z.")


@pytest.mark.parametrize("format_type", FORMATS)
def test_unbalanced_braces_in_text_cannot_break_the_entry(
    format_type: type[BibTeXFormat],
) -> None:
    work = _work(title="a } b { c \\} $d}{e$", abstract="}{", venue="{J")
    text = format_type().render(work)
    assert _entry(text)
    assert pybtex.database.parse_string(text, "bibtex").entries


def test_a_subtitle_is_part_of_the_bibtex_title_and_its_own_biblatex_field() -> None:
    work = _work(title="Nanometre-scale thermometry", subtitle="a living cell")
    assert _render(BibTeXFormat, work)[1]["title"] == "Nanometre-scale thermometry: a living cell"
    fields = _render(BibLaTeXFormat, work)[1]
    assert (fields["title"], fields["subtitle"]) == ("Nanometre-scale thermometry", "a living cell")


# --- entry types ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record_type", "bibtex", "biblatex"),
    [
        ("journal-article", "article", "article"),
        ("proceedings-article", "inproceedings", "inproceedings"),
        ("book-chapter", "incollection", "incollection"),
        ("reference-entry", "incollection", "incollection"),
        ("book", "book", "book"),
        ("monograph", "book", "book"),
        ("dissertation", "phdthesis", "thesis"),
        ("report", "techreport", "report"),
        ("dataset", "misc", "dataset"),
        ("software", "misc", "software"),
        ("posted-content", "misc", "online"),
        ("other", "misc", "misc"),
        ("component", "misc", "misc"),
    ],
)
def test_entry_types_follow_the_record_type(record_type: str, bibtex: str, biblatex: str) -> None:
    work = _work(type=record_type)
    bib_kind, bib_fields = _render(BibTeXFormat, work)
    assert bib_kind == bibtex
    assert _render(BibLaTeXFormat, work)[0] == biblatex
    venue_field = {
        "article": "journal",
        "inproceedings": "booktitle",
        "incollection": "booktitle",
    }.get(bibtex)
    if venue_field:
        assert bib_fields[venue_field] == "Nature"
    if bibtex == "phdthesis":
        assert bib_fields["school"] == ARTICLE.publisher
    if bibtex == "techreport":
        assert bib_fields["institution"] == ARTICLE.publisher
    _plain(BibTeXFormat().render(work))  # BibTeX's styles have what the type needs


def test_a_work_of_no_type_with_a_journal_is_an_article() -> None:
    assert _render(BibTeXFormat, _work(type=None))[0] == "article"
    assert _render(BibTeXFormat, _work(type=None, venue=None))[0] == "misc"


def test_an_article_lacking_what_bibtex_requires_is_misc_in_bibtex_only() -> None:
    for work in (_work(venue=None), _work(authors=()), _work(year=None, published=None)):
        kind, fields = _render(BibTeXFormat, work)
        assert kind == "misc"
        assert _plain(BibTeXFormat().render(work))
        assert _render(BibLaTeXFormat, work)[0] == "article"
    kind, fields = _render(BibTeXFormat, _work(authors=()))
    assert fields["howpublished"] == "Nature"


# --- preprints --------------------------------------------------------------------

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
)


def test_arxiv_eprint_fields_in_bibtex() -> None:
    kind, fields = _render(BibTeXFormat, PREPRINT)
    assert kind == "misc"
    assert fields["eprint"] == "hep-ex/0307015"
    assert fields["archiveprefix"] == "arXiv"
    assert fields["primaryclass"] == "hep-ex"
    assert fields["url"] == "https://arxiv.org/abs/hep-ex/0307015"
    assert "arXiv:hep-ex/0307015" in _plain(BibTeXFormat().render(PREPRINT))


def test_arxiv_eprint_fields_in_biblatex() -> None:
    kind, fields = _render(BibLaTeXFormat, PREPRINT)
    assert kind == "online"
    assert fields["eprint"] == "hep-ex/0307015"
    assert fields["eprinttype"] == "arxiv"
    assert fields["eprintclass"] == "hep-ex"
    assert fields["date"] == "2003-07-07"


@pytest.mark.parametrize("format_type", FORMATS)
def test_a_preprint_keeps_its_journal_ref(format_type: type[BibTeXFormat]) -> None:
    fields = _render(format_type, PREPRINT)[1]
    assert fields["note"] == "Eur.Phys.J. C31 (2003) 17-29"
    without = msgspec.structs.replace(PREPRINT, journal_ref=None)
    assert "note" not in _render(format_type, without)[1]


def test_an_arxiv_record_of_no_type_is_a_preprint() -> None:
    work = msgspec.structs.replace(PREPRINT, type=None)
    assert _render(BibLaTeXFormat, work)[0] == "online"
    assert _render(BibTeXFormat, work)[1]["archiveprefix"] == "arXiv"


# --- dates, pages, the rest -------------------------------------------------------


def test_pages_take_an_en_dash_and_month_is_a_bibtex_month() -> None:
    text = BibTeXFormat().render(_work(pages="1234 – 1240", published="2013-12"))
    assert "  month = dec,\n" in text  # BibTeX's month macro, not a braced string
    fields = {f.key: f.value for f in _entry(text).fields}
    assert fields["pages"] == "1234--1240"
    entry = next(iter(pybtex.database.parse_string(text, "bibtex").entries.values()))
    assert entry.fields["month"] == "December"


def test_a_date_that_disagrees_with_the_year_gives_the_year_only() -> None:
    work = _work(published="2012-05-01", year=2013)
    assert _render(BibLaTeXFormat, work)[1]["date"] == "2013"
    assert "month" not in _render(BibTeXFormat, work)[1]


@pytest.mark.parametrize("format_type", FORMATS)
def test_records_holding_lone_surrogates_are_written(format_type: type[BibTeXFormat]) -> None:
    work = _work(
        title="A title \ud800 here",
        authors=(Author(name="Ada \udcff", given="Ada", family="Love\udcfflace"),),
        ids=Ids(doi="10.1234/\udcff"),
    )
    text = format_type().render(work)
    text.encode("utf-8")
    assert "Love\ufffdlace" in text
    assert _entry(text)


def test_the_formats_are_bibliographies_registered_as_built_ins() -> None:
    assert BibTeXFormat.bibliography is True
    assert BibLaTeXFormat.bibliography is True
    formats = PluginHost(entry_points=False).formats
    assert formats["bibtex"] is BibTeXFormat
    assert formats["biblatex"] is BibLaTeXFormat


# --- the documentation shows what paperfuse writes ----------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs"
NATURE = dict(RECORDS)["crossref/skgif_10.1038_nature12373.json#0"]


def documented(language: str) -> list[str]:
    """The ```language blocks of docs/formats*.md (the format pages), without their fences."""
    pattern = re.compile(rf"^```{language}\n(.*?)\n```$", re.DOTALL | re.MULTILINE)
    return [
        m for page in sorted(DOCS.glob("formats*.md")) for m in pattern.findall(page.read_text())
    ]


@pytest.mark.parametrize(
    ("language", "format_type"), [("bibtex", BibTeXFormat), ("biblatex", BibLaTeXFormat)]
)
def test_the_docs_show_a_real_record_as_paperfuse_writes_it(
    language: str, format_type: type[BibTeXFormat]
) -> None:
    assert format_type().render(NATURE) in documented(language)


def test_a_jats_abstract_keeps_its_words_apart_and_its_math() -> None:
    abstract = (
        "<jats:title>Abstract</jats:title><jats:p>We show $p<q$ and $r>s$ "
        "for x<y in <i>E. coli</i>.</jats:p>"
    )
    fields = _render(BibTeXFormat, _work(abstract=abstract))[1]
    assert fields["abstract"] == (
        "Abstract We show $p<q$ and $r>s$ for x{\\ensuremath{<}}y in \\textit{E. coli}."
    )


# --- any text at all --------------------------------------------------------------

# Pieces of text that have broken .bib files: braces (escaped or not), LaTeX
# specials, markup, math, commas and "and" in names, an entry's start.
_PIECES = st.sampled_from(
    [*"aZ 09{}\\$%#&_<>@,=\"'~^\n-–é日", "and", " and ", "<i>", "</i>", "$x$", "\\emph{", "@misc{"]
)
_TEXT = st.lists(_PIECES, max_size=12).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=_TEXT,
    given_name=_TEXT,
    family=_TEXT,
    organisation=_TEXT,
    venue=_TEXT,
    pages=_TEXT,
    doi=_TEXT,
    record_type=st.sampled_from(["journal-article", "posted-content", "book", "report", None]),
)
# Found by Hypothesis: no author has a name at all, so the entry has no author field.
@example(
    title="",
    given_name="",
    family="",
    organisation=" ",
    venue="",
    pages="",
    doi="",
    record_type="journal-article",
)
def test_any_text_gives_an_entry_both_parsers_read_and_pybtex_formats(
    title: str,
    given_name: str,
    family: str,
    organisation: str,
    venue: str,
    pages: str,
    doi: str,
    record_type: str | None,
) -> None:
    doi = "".join(doi.split())  # a DOI holds no white space
    work = Work(
        type=record_type,
        title=title or None,
        authors=(
            Author(name=f"{given_name} {family}", given=given_name or None, family=family or None),
            Author(name=organisation or "H1"),
        ),
        venue=venue or None,
        pages=pages or None,
        year=2020,
        ids=Ids(doi=f"10.1234/{doi}", arxiv="2101.00001"),
        keywords=(title,),
        abstract=title,
    )
    for format_type in FORMATS:
        text = format_type().render(work)
        fields = {f.key: f.value for f in _entry(text).fields}
        assert fields["eprint"] == "2101.00001"
        if "doi" in fields:
            assert fields["doi"] == f"10.1234/{doi}"
        (entry,) = pybtex.database.parse_string(text, "bibtex").entries.values()
        named = [a for a in work.authors if a.name.strip()]  # nameless authors are left out
        assert len(entry.persons.get("author", [])) == len(named)
    assert _plain(BibTeXFormat().render(work))


@pytest.mark.parametrize("format_type", FORMATS)
def test_control_characters_are_left_out(format_type: type[BibTeXFormat]) -> None:
    work = _work(
        title="a\x00b\x07c\x1bd\x7fe\x85f\x0cg", authors=(Author(name="X\x00Y", family="X\x00Y"),)
    )
    fields = _render(format_type, work)[1]
    assert (fields["title"], fields["author"]) == ("abcdef g", "XY")


# --- the format contract every output format keeps (paperfuse.testing) --------------


class TestBibTeXContract(FormatContract):
    format = BibTeXFormat

    def check(self, text: str, works: Sequence[Work]) -> None:
        library = bibtexparser.parse_string(text)
        assert not library.failed_blocks
        assert len(library.entries) == len(works)
        assert len(pybtex.database.parse_string(text, "bibtex").entries) == len(works)


class TestBibLaTeXContract(TestBibTeXContract):
    format = BibLaTeXFormat
