"""The PubMed XML parser: the recorded article field by field, the forms PubMed gives
its values in, and hostile or broken bodies.

The recorded article is tests/fixtures/pubmed/biomcp_efetch_22663011.xml (see
PROVENANCE.md there). Variants of it (an ORCID, a PMCID, a retraction, a
MedlineDate, markup in the title...) are made in test code by editing that
article in the shape of PubMed's DTD, and say so; the hostile bodies (XML
bombs, XXE, HTML pages) are built here too. The property tests mutate the
recorded article.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import escape

import msgspec
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import paperfuse
from paperfuse import Author, BadResponse, Update, Work
from paperfuse_pubmed import is_rate_limit_body, parse_articles

FIXTURES = Path(__file__).parent / "fixtures" / "pubmed"
RECORDED = (FIXTURES / "biomcp_efetch_22663011.xml").read_text(encoding="utf-8")
RATE_LIMITED = (FIXTURES / "biomcp_esummary_json_rate_limited.json").read_bytes()
#: A second recorded article, one that is in PMC (its ArticleIdList has the PMCID).
IN_PMC = (FIXTURES / "eutils_efetch_29915538.xml").read_text(encoding="utf-8")


def one(text: str) -> Work:
    (work,) = parse_articles(text.encode("utf-8"))
    return work


def edited(old: str, new: str, text: str = RECORDED) -> str:
    """The recorded article with one piece replaced (made in test code, not recorded)."""
    assert old in text
    return text.replace(old, new, 1)


def assert_storable(work: Work) -> None:
    msgspec.msgpack.encode(work)
    paperfuse.encode_json(work)


# -- the recorded article, field by field ---------------------------------------------------


def test_the_recorded_article_field_by_field() -> None:
    work = one(RECORDED)
    assert work.ids.pmid == "22663011"
    assert work.ids.doi == "10.1056/NEJMoa1203421"
    assert work.ids.pmcid is None
    assert work.title == "Improved survival with MEK inhibition in BRAF-mutated melanoma"
    assert work.type == "journal-article"
    assert work.venue == "The New England journal of medicine"
    assert work.container_short == "N Engl J Med"
    assert work.issn == ("1533-4406",)
    assert work.issn_l == "0028-4793"
    assert (work.volume, work.issue) == ("367", "2")
    assert work.pages == "107-114"  # MedlinePgn "107-14", written out
    assert work.published == "2012-07-12"
    assert work.year == 2012
    assert work.language == "en"
    assert len(work.authors) == 26
    assert work.authors[0] == Author(
        name="Keith T Flaherty",
        given="Keith T",
        family="Flaherty",
        affiliations=(
            "Massachusetts General Hospital Cancer Center, Boston, USA. kflaherty@partners.org",
        ),
    )
    assert work.authors[17].name == "Jürgen C Becker"
    assert work.authors[-1] == Author(name="METRIC Study Group")  # CollectiveName, not split
    assert "Cinat" not in {a.family for a in work.authors}  # investigators are not authors
    assert work.abstract is not None
    paragraphs = work.abstract.split("\n\n")
    assert [p.split(":")[0] for p in paragraphs] == [
        "BACKGROUND",
        "METHODS",
        "RESULTS",
        "CONCLUSIONS",
    ]
    assert paragraphs[0].startswith("BACKGROUND: Activating mutations in serine-threonine")
    assert "P<0.001" in paragraphs[2]
    assert work.publication_types == (
        "Clinical Trial, Phase III",
        "Comparative Study",
        "Journal Article",
        "Multicenter Study",
        "Randomized Controlled Trial",
        "Research Support, Non-U.S. Gov't",
    )
    assert work.mesh[:3] == ("Adult", "Aged", "Aged, 80 and over")
    assert "Antineoplastic Agents/adverse effects" in work.mesh
    assert "Antineoplastic Agents/therapeutic use*" in work.mesh
    assert "Melanoma/drug therapy*" in work.mesh
    assert "Melanoma/genetics" in work.mesh
    assert "Proto-Oncogene Proteins B-raf/genetics*" in work.mesh
    assert work.keywords == ()
    assert work.retracted is None
    assert work.updates == ()  # CommentIn is a comment, not an update
    assert work.extra == {"pubmed": {"nlm_unique_id": "0255562", "publication_status": "ppublish"}}
    assert_storable(work)


def test_an_empty_article_set_has_no_works() -> None:
    assert parse_articles(b"<?xml version='1.0'?><PubmedArticleSet></PubmedArticleSet>") == []


# -- forms of the values (the recorded article edited in test code) ---------------------------


def test_ids_of_the_article_id_list_come_first_and_a_pmcid_is_read() -> None:
    text = edited(
        '<ArticleId IdType="doi">10.1056/NEJMoa1203421</ArticleId>',
        '<ArticleId IdType="pii">NEJMoa1203421</ArticleId>'
        '<ArticleId IdType="doi">10.1056/nejmoa1203421</ArticleId>'
        '<ArticleId IdType="pmc">PMC3549295</ArticleId>',
    )
    work = one(text)
    assert work.ids.doi == "10.1056/nejmoa1203421"
    assert work.ids.pmcid == "PMC3549295"
    assert work.extra["pubmed"]["pii"] == "NEJMoa1203421"


def test_an_article_in_pmc_has_its_pmc_copy_as_a_repository_location() -> None:
    """The recorded article PMID 29915538: PMCID, pmc-release date, no manuscript id."""
    work = one(IN_PMC)
    assert (work.ids.pmid, work.ids.pmcid) == ("29915538", "PMC5994433")
    assert work.ids.doi == "10.3389/fphar.2018.00576"
    (location,) = work.oa_locations
    assert location.url == "https://pmc.ncbi.nlm.nih.gov/articles/PMC5994433/"
    assert (location.host_type, location.version) == ("repository", "publishedVersion")
    assert location.oa_date == "2018-06-04"
    assert location.pmh_id == "oai:pubmedcentral.nih.gov:5994433"
    assert "pmc-release 2018-06-04" in (location.evidence or "")


def test_an_article_not_in_pmc_has_no_location() -> None:
    assert one(RECORDED).oa_locations == ()


def test_an_embargoed_pmc_copy_is_no_location_yet() -> None:
    """The recorded article with its pmc-release date moved past today (edited in test code)."""
    future = edited(
        '<PubMedPubDate PubStatus="pmc-release"><Year>2018</Year>',
        '<PubMedPubDate PubStatus="pmc-release"><Year>2999</Year>',
        IN_PMC,
    )
    work = one(future)
    assert work.ids.pmcid == "PMC5994433"
    assert work.oa_locations == ()


def test_an_author_manuscript_in_pmc_is_the_accepted_version() -> None:
    """The recorded article with a manuscript id added to its ArticleIdList (edited here)."""
    manuscript = edited(
        '<ArticleId IdType="pmc">PMC5994433</ArticleId>',
        '<ArticleId IdType="pmc">PMC5994433</ArticleId>'
        '<ArticleId IdType="mid">NIHMS12345</ArticleId>',
        IN_PMC,
    )
    (location,) = one(manuscript).oa_locations
    assert location.version == "acceptedVersion"


def test_the_elocation_doi_serves_when_the_article_id_list_lacks_it() -> None:
    text = edited('<ArticleId IdType="doi">10.1056/NEJMoa1203421</ArticleId>', "")
    assert one(text).ids.doi == "10.1056/NEJMoa1203421"
    text = edited('<ELocationID EIdType="doi" ValidYN="Y">10.1056/NEJMoa1203421</ELocationID>', "")
    assert one(text).ids.doi == "10.1056/NEJMoa1203421"  # from the ArticleIdList alone


def test_references_ids_are_not_the_articles() -> None:
    text = edited(
        "</ArticleIdList></PubmedData>",
        "</ArticleIdList><ReferenceList><Reference><Citation>x</Citation><ArticleIdList>"
        '<ArticleId IdType="pmc">PMC1</ArticleId></ArticleIdList></Reference></ReferenceList>'
        "</PubmedData>",
    )
    assert one(text).ids.pmcid is None


def test_markup_in_the_title_becomes_text() -> None:
    text = edited(
        "<ArticleTitle>Improved survival with MEK inhibition in BRAF-mutated melanoma.",
        "<ArticleTitle>Improved survival with <i>MEK</i> inhibition in <sup>BRAF</sup>-mutated"
        "\n  melanoma.",
    )
    assert one(text).title == "Improved survival with MEK inhibition in BRAF-mutated melanoma"


def test_an_orcid_in_any_form_becomes_its_url() -> None:
    for form in (
        "0000-0002-1825-0097",
        "https://orcid.org/0000-0002-1825-0097",
        "http://orcid.org/000000021825009X",
    ):
        text = edited(
            "<Initials>C</Initials></Author>",
            f'<Initials>C</Initials><Identifier Source="ORCID">{form}</Identifier></Author>',
        )
        expected = "https://orcid.org/0000-0002-1825-009" + form[-1]
        assert one(text).authors[1].orcid == expected


def test_initials_stand_in_for_a_missing_fore_name() -> None:
    text = edited("<ForeName>Caroline</ForeName>", "")
    author = one(text).authors[1]
    assert (author.name, author.given, author.family) == ("C Robert", "C", "Robert")


@pytest.mark.parametrize(
    ("pub_date", "published"),
    [
        ("<Year>2012</Year><Month>Jul</Month><Day>12</Day>", "2012-07-12"),
        ("<Year>2012</Year><Month>07</Month>", "2012-07"),
        ("<Year>2012</Year><Season>Spring</Season>", "2012"),
        ("<Year>2012</Year><Month>Feb</Month><Day>30</Day>", "2012-02"),
        ("<MedlineDate>1998 Dec-1999 Jan</MedlineDate>", "1998-12"),
        ("<MedlineDate>1998-1999</MedlineDate>", "1998"),
        ("<MedlineDate>Spring 2000</MedlineDate>", "2012-06-04"),  # unreadable: ArticleDate
        ("<Year>99999</Year>", "2012-06-04"),
    ],
)
def test_publication_dates_in_their_forms(pub_date: str, published: str) -> None:
    text = edited("<PubDate><Year>2012</Year><Month>Jul</Month><Day>12</Day></PubDate>",
                  f"<PubDate>{pub_date}</PubDate>")  # fmt: skip
    work = one(text)
    assert work.published == published
    assert work.year == int(published[:4])


@pytest.mark.parametrize(
    ("medline_pgn", "pages"),
    [("418-22", "418-422"), ("1203-1207", "1203-1207"), ("e123", "e123"),
     ("R12-5", "R12-R15"), ("S1-S2", "S1-S2"), ("12-3, 15", "12-3, 15"), ("99-7", "99-7")],
)  # fmt: skip
def test_medline_pages_are_written_out(medline_pgn: str, pages: str) -> None:
    text = edited("<MedlinePgn>107-14</MedlinePgn>", f"<MedlinePgn>{medline_pgn}</MedlinePgn>")
    assert one(text).pages == pages


def test_pages_from_start_and_end_when_there_is_no_medline_pgn() -> None:
    text = edited("<MedlinePgn>107-14</MedlinePgn>", "")
    assert one(text).pages == "107-114"


@pytest.mark.parametrize(("code", "language"), [("eng", "en"), ("ger", "de"), ("tlh", "tlh")])
def test_languages_become_two_letter_codes_where_common(code: str, language: str) -> None:
    text = edited("<Language>eng</Language>", f"<Language>{code}</Language>")
    assert one(text).language == language


def test_an_abstract_without_labels_is_its_text() -> None:
    start = RECORDED.index("<Abstract>")
    end = RECORDED.index("</Abstract>") + len("</Abstract>")
    text = RECORDED[:start] + "<Abstract><AbstractText>One <b>bold</b> claim.</AbstractText>"
    text += "</Abstract>" + RECORDED[end:]
    assert one(text).abstract == "One bold claim."


def test_keywords_are_read() -> None:
    text = edited(
        "<CitationSubset>IM</CitationSubset>",
        '<CitationSubset>IM</CitationSubset><KeywordList Owner="NOTNLM">'
        '<Keyword MajorTopicYN="N">trametinib</Keyword><Keyword MajorTopicYN="N">'
        "BRAF <i>V600E</i></Keyword></KeywordList>",
    )
    assert one(text).keywords == ("trametinib", "BRAF V600E")


def test_a_retracted_publication_type_sets_the_flag() -> None:
    text = edited(
        '<PublicationType UI="D016428">Journal Article</PublicationType>',
        '<PublicationType UI="D016428">Journal Article</PublicationType>'
        '<PublicationType UI="D016441">Retracted Publication</PublicationType>',
    )
    work = one(text)
    assert work.retracted is True
    assert "Retracted Publication" in work.publication_types


def test_a_retraction_in_comment_sets_the_flag_and_records_the_update() -> None:
    label = "N Engl J Med. 2013 Jan 3;368(1):96. doi: 10.1056/NEJMx120045."
    text = edited(
        "<CommentsCorrectionsList>",
        f'<CommentsCorrectionsList><CommentsCorrections RefType="RetractionIn">'
        f'<RefSource>{label}</RefSource><PMID Version="1">23000001</PMID></CommentsCorrections>',
    )
    work = one(text)
    assert work.retracted is True
    assert work.updates == (
        Update(
            direction="updated-by",
            type="retraction",
            doi="10.1056/NEJMx120045",
            source="pubmed",
            label=label,
        ),
    )


def test_an_article_without_a_readable_pmid_is_left_out() -> None:
    text = edited('<PMID Version="1">22663011</PMID>', '<PMID Version="1">none</PMID>')
    assert parse_articles(text.encode()) == []


def test_a_book_record_is_not_read() -> None:
    body = b"<PubmedArticleSet><PubmedBookArticle><BookDocument><PMID>1</PMID></BookDocument>"
    assert parse_articles(body + b"</PubmedBookArticle></PubmedArticleSet>") == []


# -- bodies that are not PubMed XML -----------------------------------------------------------

BOMB = """<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>
<ArticleTitle>&lol3;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>
<ArticleTitle>&secret;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"""
INTERNAL_SUBSET = """<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [ <!ATTLIST PubmedArticleSet x CDATA "y"> ]>
<PubmedArticleSet></PubmedArticleSet>"""


@pytest.mark.parametrize("document", [BOMB, XXE, INTERNAL_SUBSET], ids=["bomb", "xxe", "subset"])
def test_entity_declarations_are_refused(document: str) -> None:
    with pytest.raises(BadResponse, match="refused a response with entity declarations"):
        parse_articles(document.encode())


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_wide_encodings_are_refused(codec: str) -> None:
    with pytest.raises(BadResponse, match="not UTF-8"):
        parse_articles(BOMB.encode(codec))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty response body"),
        (b"  \n", "empty response body"),
        (
            b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title>",
            "got HTML: '502 Bad Gateway'",
        ),
        (b"<PubmedArticleSet><PubmedArticle>", "malformed XML"),
        (b"<eSearchResult><Count>0</Count></eSearchResult>", "not a PubmedArticleSet"),
        (b'{"error":"API rate limit exceeded"}', "malformed XML"),
        (
            b"<eFetchResult><ERROR>Cannot retrieve history data.</ERROR></eFetchResult>",
            "E-utilities error: Cannot retrieve history data.",
        ),
    ],
)
def test_bodies_that_are_not_an_article_set_are_bad_responses(body: bytes, message: str) -> None:
    with pytest.raises(BadResponse, match=re.escape(message)):
        parse_articles(body)


def test_the_rate_limit_bodies_are_recognised() -> None:
    assert is_rate_limit_body(RATE_LIMITED)  # recorded
    xml = b"<eFetchResult><ERROR>API rate limit exceeded</ERROR></eFetchResult>"  # built here
    assert is_rate_limit_body(xml)
    quoted = edited("Activating mutations", "API rate limit exceeded; activating mutations")
    assert not is_rate_limit_body(quoted.encode())
    assert not is_rate_limit_body(RECORDED.encode())


def test_a_deep_tree_is_a_bad_response() -> None:
    with pytest.raises(BadResponse):
        parse_articles(b"<PubmedArticleSet>" + b"<a>" * 300_000)


# -- properties ----------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2_000))
@example(b"\xff\xfe<\x00")
@example(b"<PubmedArticleSet>" + b"<a>" * 10_000)
def test_arbitrary_bytes_are_articles_or_a_bad_response(data: bytes) -> None:
    try:
        works = parse_articles(data)
    except BadResponse:
        return
    for work in works:
        assert_storable(work)


SPOTS = [m.span(m.lastindex or 0) for m in re.finditer(r'>([^<]*)<|="([^"]*)"', RECORDED)]


@st.composite
def mutated_article(draw: st.DrawFn) -> bytes:
    """The recorded article with some element texts and attribute values replaced by any text."""
    text = RECORDED
    chosen = draw(st.lists(st.sampled_from(SPOTS), min_size=1, max_size=8, unique=True))
    for start, end in sorted(chosen, reverse=True):
        value = draw(
            st.text(max_size=40) | st.from_regex(r"[0-9A-Za-z .\-:/]{0,30}", fullmatch=True)
        )
        text = text[:start] + escape(value, {'"': "&quot;"}) + text[end:]
    return text.encode("utf-8")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_article())
def test_mutated_recorded_articles_are_articles_or_a_bad_response(data: bytes) -> None:
    try:
        works = parse_articles(data)
    except BadResponse:
        return
    for work in works:
        assert_storable(work)
        assert work.year is None or 1000 <= work.year <= 3000
        assert work.published is None or re.fullmatch(
            r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?", work.published
        )
        assert work.ids.pmid is not None
        assert work.ids.pmid.isdigit()
        assert work.ids.pmcid is None or re.fullmatch(r"PMC[0-9]+", work.ids.pmcid)
        assert all(a.name for a in work.authors)
