"""The landing-page reader: every metadata vocabulary a page may embed, read into a record.

The pages are in tests/fixtures/web/ (BUILT from publishers' real meta-tag
conventions; PROVENANCE.md there says where each convention comes from).
Smaller pages are built in test code and say so.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import paperfuse
from paperfuse import Work
from paperfuse_web import read_page, to_work

FIXTURES = Path(__file__).parent / "fixtures" / "web"


def work_of(name: str, url: str) -> Work:
    work = to_work(read_page((FIXTURES / name).read_bytes(), url))
    assert work is not None
    return work


def test_highwire_tags_of_a_nature_page() -> None:
    work = work_of("nature_highwire.html", "https://www.nature.com/articles/nature12373")
    assert work.ids.doi == "10.1038/nature12373"
    assert work.title == "Nanometre-scale thermometry in a living cell"
    assert [a.family for a in work.authors] == [
        "Kucsko", "Maurer", "Yao", "Kubo", "Noh", "Lo", "Park", "Lukin"
    ]  # fmt: skip
    assert work.authors[1].given == "P. C."
    assert work.authors[6].affiliations == (
        "Department of Physics, Harvard University, Cambridge, USA",
        "Department of Chemistry and Chemical Biology, Harvard University, Cambridge, USA",
    )
    assert (work.venue, work.volume, work.issue, work.pages) == ("Nature", "500", "7460", "54-58")
    assert work.published == "2013-07-31"
    assert work.year == 2013
    assert work.issn == ("1476-4687",)
    assert work.publisher == "Nature Publishing Group"
    assert work.type == "journal-article"
    assert work.extra["web"]["pdf_url"] == "https://www.nature.com/articles/nature12373.pdf"
    assert set(work.extra["web"]["vocabularies"]) >= {"highwire", "dublin-core", "prism"}


def test_references_and_body_text_never_give_the_page_its_doi() -> None:
    """citation_reference tags and the text name other works' DOIs; only the page's own count."""
    body = (FIXTURES / "nature_highwire.html").read_bytes()
    for own in (b'"citation_doi"', b'"prism.doi"', b'"dc.identifier"', b'name="DOI"'):
        body = body.replace(own, b'"x-removed"')
    work = to_work(read_page(body, "https://www.nature.com/articles/nature12373"))
    assert work is not None
    assert work.ids.doi is None


def test_citation_pdf_url_without_an_open_licence_is_only_a_candidate() -> None:
    work = work_of("nature_highwire.html", "https://www.nature.com/articles/nature12373")
    (location,) = work.oa_locations
    assert location.candidate is True
    assert location.url_for_pdf == "https://www.nature.com/articles/nature12373.pdf"
    assert work.license is None  # dc.rights is a copyright line, not a licence
    assert work.extra["web"]["licence_on_page"] == "2013 Springer Nature Limited"


def test_sciencedirect_page_without_authors() -> None:
    url = "https://www.sciencedirect.com/science/article/pii/S1361841524003281"
    work = work_of("sciencedirect_pii.html", url)
    assert work.ids.doi == "10.1016/j.media.2024.103403"
    assert work.title.startswith("Self-supervised graph contrastive learning")
    assert work.authors == ()
    assert (work.venue, work.volume, work.pages) == ("Medical Image Analysis", "101", "103403")
    assert work.published == "2025-04-01"
    assert work.publisher == "Elsevier"
    assert "https://www.sciencedirect.com/science/article/abs/pii/S1361841524003281" in (
        work.ids.urls
    )
    assert work.oa_locations == ()


def test_dspace_handle_page_with_an_open_licence_is_a_green_location() -> None:
    url = "https://repository.example.edu/handle/20.500.12345/6789"
    work = work_of("dspace_handle.html", url)
    assert work.ids.doi is None
    assert work.title == "Sediment transport in braided gravel-bed rivers: a flume study"
    assert [(a.given, a.family) for a in work.authors] == [
        ("Adaeze N.", "Okafor"),
        ("Per", "Lindqvist"),
    ]
    assert work.published == "2018-11"
    assert work.abstract.startswith("We measure bedload transport")
    assert work.keywords == ("braided rivers", "bedload")
    (location,) = work.oa_locations
    assert location.candidate is None
    assert location.host_type == "repository"
    assert location.license == "http://creativecommons.org/licenses/by/4.0/"
    assert location.url_for_pdf.endswith("flume-study.pdf?sequence=1&isAllowed=y")
    assert location.url == url


def test_ojs_page_authors_list_day_first_date_and_licence_link() -> None:
    url = "https://journals.example.org/index.php/jop/article/view/57"
    work = work_of("ojs_article.html", url)
    assert [(a.given, a.family) for a in work.authors] == [
        ("Grace", "Mwangi"),
        ("Chinedu E.", "Okafor"),
    ]
    assert work.published == "2017-03-15"
    assert (work.venue, work.volume, work.issue, work.pages) == (
        "Journal of Open Pedagogy",
        "4",
        "1",
        "12-29",
    )
    assert work.license == "http://creativecommons.org/licenses/by/4.0/"
    (location,) = work.oa_locations
    assert location.candidate is None
    assert (
        location.url_for_pdf == "https://journals.example.org/index.php/jop/article/download/57/41"
    )


def test_json_ld_scholarly_article_alone() -> None:
    work = work_of("jsonld_only.html", "https://elifesciences.org/articles/01567")
    assert work.ids.doi == "10.7554/elife.01567"
    assert work.title.startswith("Automated quantitative histology")
    assert [a.name for a in work.authors] == [
        "Martial Sankar",
        "Kaisa Nieminen",
        "Laura Ragni",
        "Ioannis Xenarios",
    ]
    assert work.authors[0].affiliations == ("University of Lausanne",)
    assert work.authors[3].orcid == "https://orcid.org/0000-0002-3413-6841"
    assert (work.venue, work.volume, work.issue, work.pages) == ("eLife", "3", "1", "e01567")
    assert work.issn == ("2050-084X",)
    assert work.published == "2014-02-11"
    assert work.license == "http://creativecommons.org/licenses/by/3.0/"
    assert work.keywords == ("Arabidopsis", "secondary growth", "machine learning")
    assert work.type == "journal-article"
    assert work.extra["web"]["vocabularies"] == ["json-ld"]


def test_coins_alone() -> None:
    work = work_of("coins_only.html", "https://lab.example.org/publications")
    assert work.ids.doi == "10.1038/nature12373"
    assert work.ids.pmid == "23903748"
    assert work.title == "Nanometre-scale thermometry in a living cell"
    assert [a.family for a in work.authors] == ["Kucsko", "Maurer", "Lukin"]
    assert (work.venue, work.volume, work.issue, work.pages) == ("Nature", "500", "7460", "54-58")
    assert work.published == "2013-08-01"
    assert work.issn == ("0028-0836",)


def test_open_graph_alone_gives_title_and_date_only() -> None:
    work = work_of("opengraph_only.html", "https://lab.example.org/blog/why-measure-temperature")
    assert work.title == "Why we measure temperature inside cells"
    assert work.published == "2013-08-05"
    assert work.ids.doi is None
    assert work.authors == ()
    assert work.extra["web"]["vocabularies"] == ["open-graph"]


@pytest.mark.parametrize(
    "head",
    [
        "<title>Home</title>",  # a page with nothing but a title
        '<meta property="og:type" content="website"><meta property="og:title" content="Home">',
        '<meta property="og:title" content="Home">',  # og:type is "website" when not given
        '<script type="application/ld+json">{"@type": "WebSite", "name": "Home"}</script>',
        '<script type="application/ld+json">{not json</script>',
    ],
)
def test_a_page_without_scholarly_metadata_gives_no_work(head: str) -> None:
    """Pages built here: no vocabulary describes a work, so there is no record."""
    body = f"<html><head>{head}</head><body><p>Welcome</p></body></html>".encode()
    assert to_work(read_page(body, "https://example.org/")) is None


def test_json_ld_in_a_graph_and_main_entity() -> None:
    """Built here: a WebPage whose mainEntity is the article, inside an @graph."""
    body = b"""<html><head><script type="application/ld+json">
    {"@context": "https://schema.org", "@graph": [
      {"@type": "WebPage", "name": "Page", "mainEntity": {"@type": "ScholarlyArticle",
        "name": "The article", "sameAs": "https://doi.org/10.1234/ABC",
        "author": "Ada Lovelace", "datePublished": "2020-05"}}]}
    </script></head><body></body></html>"""
    work = to_work(read_page(body, "https://example.org/a"))
    assert work is not None
    assert (work.title, work.ids.doi, work.published) == ("The article", "10.1234/abc", "2020-05")
    assert [a.name for a in work.authors] == ["Ada Lovelace"]


def test_the_declared_charset_is_used() -> None:
    """Built here: a Latin-1 page whose response declares its charset."""
    body = '<html><head><meta name="citation_title" content="Études à Genève"></head></html>'
    work = to_work(read_page(body.encode("latin-1"), "https://example.org/", "iso-8859-1"))
    assert work is not None
    assert work.title == "Études à Genève"


def test_an_unreadable_body_is_refused() -> None:
    with pytest.raises(ValueError, match="not an HTML document"):
        read_page(b"", "https://example.org/")


def test_highwire_orcid_and_arxiv_id() -> None:
    """Built here: an author's citation_author_orcid and a preprint's citation_arxiv_id."""
    body = b"""<html><head>
    <meta name="citation_title" content="A preprint">
    <meta name="citation_author" content="Ada Lovelace">
    <meta name="citation_author_orcid" content="https://orcid.org/0000-0002-1825-0097">
    <meta name="citation_author" content="Charles Babbage">
    <meta name="citation_arxiv_id" content="1304.1068">
    <meta name="dc.identifier" content="1234.5678">
    </head></html>"""
    work = to_work(read_page(body, "https://example.org/preprint"))
    assert work is not None
    assert work.ids.arxiv == "1304.1068"
    assert [a.orcid for a in work.authors] == ["https://orcid.org/0000-0002-1825-0097", None]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    contents=st.lists(st.text(max_size=200), max_size=8),
    names=st.lists(
        st.sampled_from(
            [
                "citation_title",
                "citation_author",
                "citation_doi",
                "citation_publication_date",
                "citation_firstpage",
                "dc.identifier",
                "prism.volume",
                "og:title",
                "citation_pdf_url",
                "dc.rights",
                "citation_author_institution",
                "citation_authors",
            ]
        ),
        max_size=8,
    ),
    jsonld=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "@type",
                        "name",
                        "author",
                        "isPartOf",
                        "identifier",
                        "license",
                        "datePublished",
                        "@graph",
                        "mainEntity",
                        "pageStart",
                        "keywords",
                    ]
                ),
                inner,
                max_size=5,
            )
        ),
        max_leaves=20,
    ),
)
def test_hostile_pages_cost_fields_never_the_reader(
    contents: list[str], names: list[str], jsonld: object
) -> None:
    """Pages built by hypothesis: any meta content and any JSON-LD read without an error."""
    pairs = zip(names, contents, strict=False)
    metas = "".join(f'<meta name="{n}" content="{html.escape(c)}">' for n, c in pairs)
    fields = ("author", "isPartOf", "identifier", "license", "keywords", "datePublished")
    script = json.dumps({"@type": "ScholarlyArticle", "name": "x", **dict.fromkeys(fields, jsonld)})
    body = f'<html><head>{metas}<script type="application/ld+json">{script}</script></head></html>'
    work = to_work(read_page(body.encode("utf-8", "surrogatepass"), "https://example.org/"))
    assert work is None or isinstance(work, Work)
    if work is not None:
        paperfuse.encode_json(work)


def test_json_ld_types_in_any_spelling() -> None:
    """Built here: ``@type`` as a list, a compact IRI and a full IRI."""
    for kind in ('["CreativeWork", "ScholarlyArticle"]', '"schema:ScholarlyArticle"',
                 '"http://schema.org/ScholarlyArticle"'):  # fmt: skip
        body = f"""<html><head><script type="application/ld+json">
        {{"@type": {kind}, "name": "Typed", "datePublished": "2021"}}
        </script></head></html>""".encode()
        work = to_work(read_page(body, "https://example.org/t"))
        assert work is not None, kind
        assert work.type == "journal-article", kind
