"""paperfuse.parse_xml: the one hardened XML parse every source shares.

The hostile documents here are synthetic, built in this file: billion laughs,
an external entity, internal DTD subsets, wide encodings, HTML error pages.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

import paperfuse
from paperfuse import BadResponse, parse_xml, xml_parser

BOMB = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<r>&lol3;</r>"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<r>&secret;</r>"""
SUBSET = """<?xml version="1.0"?>
<!DOCTYPE r [ <!ATTLIST r x CDATA "y"> ]>
<r/>"""
PUBLIC = """<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"
 "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">
<PubmedArticleSet><PubmedArticle/></PubmedArticleSet>"""
SYSTEM_DTD = """<?xml version="1.0"?>
<!DOCTYPE r SYSTEM "file:///etc/passwd">
<r>x</r>"""


def test_plain_xml_is_parsed_and_namespaced_roots_can_be_required() -> None:
    root = parse_xml(b'<?xml version="1.0"?><feed xmlns="urn:x"><a>1</a></feed>')
    assert root.tag == "{urn:x}feed"
    assert parse_xml(b"<feed xmlns='urn:x'/>", roots=("{urn:x}feed",)).tag == "{urn:x}feed"
    with pytest.raises(BadResponse, match="not an Atom feed: '<rss/>'"):
        parse_xml(b"<rss/>", expected="an Atom feed", roots=("{urn:x}feed",))


@pytest.mark.parametrize("document", [BOMB, XXE, SUBSET, PUBLIC, SYSTEM_DTD])
def test_any_dtd_is_refused_by_default(document: str) -> None:
    with pytest.raises(BadResponse, match="refused a response with a DTD or entities"):
        parse_xml(document.encode())


def test_a_public_doctype_is_accepted_when_allowed_and_not_loaded() -> None:
    root = parse_xml(PUBLIC.encode(), allow_doctype=True)
    assert root.tag == "PubmedArticleSet"
    assert root.getroottree().docinfo.externalDTD is None  # named, never fetched


@pytest.mark.parametrize("document", [BOMB, XXE, SUBSET])
def test_entities_and_internal_subsets_are_refused_even_when_a_doctype_is_allowed(
    document: str,
) -> None:
    with pytest.raises(BadResponse, match="refused a response with entity declarations"):
        parse_xml(document.encode(), allow_doctype=True)


def test_an_external_dtd_is_never_read_even_when_allowed() -> None:
    """A SYSTEM DTD names a file; the parser loads none and expands nothing from it."""
    root = parse_xml(SYSTEM_DTD.encode(), allow_doctype=True)
    assert etree.tostring(root) == b"<r>x</r>"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
def test_wide_encodings_are_refused_and_a_dtd_in_them_is_named(codec: str) -> None:
    name = "UTF-32" if "32" in codec else "UTF-16"
    with pytest.raises(BadResponse, match=rf"not UTF-8 \(got {name}; XML comes in UTF-8\)"):
        parse_xml("<r>é</r>".encode(codec))
    with pytest.raises(BadResponse, match=rf"a DTD or entities \(and not UTF-8: got {name}\)"):
        parse_xml(BOMB.encode(codec))


def test_a_declared_encoding_is_not_followed() -> None:
    """Read as UTF-8 whatever the declaration says (UTF-7 would hide ``<!``)."""
    root = parse_xml(b'<?xml version="1.0" encoding="UTF-7"?><r>+ADw-!DOCTYPE x+AD4-</r>')
    assert root.text == "+ADw-!DOCTYPE x+AD4-"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty response body where PubMed XML was expected"),
        (b" \n\t", "empty response body where PubMed XML was expected"),
        (
            b"<!DOCTYPE html><html><head><title>502 Bad &amp; Gateway</title>",
            "not PubMed XML (got HTML: '502 Bad & Gateway')",
        ),
        (b"  <HTML><BODY>Busy</BODY></HTML>", "not PubMed XML (got HTML: '<HTML><BODY>Busy"),
        (b"<r><unclosed></r>", "malformed XML"),
        (b'{"error": "rate limit"}', "malformed XML"),
    ],
)
def test_what_is_no_xml_is_a_bad_response_naming_the_problem(body: bytes, message: str) -> None:
    with pytest.raises(BadResponse) as caught:
        parse_xml(body, allow_doctype=True, expected="PubMed XML")
    assert caught.value.message.startswith(message)


def test_an_html_page_is_named_html_not_a_dtd() -> None:
    page = (
        b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"'
        b' "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
        b"<html><head><title>Maintenance</title></head></html>"
    )
    with pytest.raises(BadResponse, match=r"^not XML \(got HTML: 'Maintenance'\)$"):
        parse_xml(page)


def test_the_parser_alone_expands_no_entity_and_loads_nothing() -> None:
    root = etree.fromstring(XXE.encode(), xml_parser())
    assert b"root:" not in etree.tostring(root)


def test_a_bad_response_is_a_source_error() -> None:
    with pytest.raises(paperfuse.SourceError):
        parse_xml(b"")


def test_a_local_file_named_as_the_dtd_is_never_opened(tmp_path: Path) -> None:
    """A DOCTYPE may name a file; reading it would leak what it holds into error messages
    (and a device such as a FIFO would hang the run). Nothing is read: it stays unread."""
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:SECRET-CONTENT\n")
    document = f'<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "{secret.as_uri()}">\n<r>x</r>'
    root = parse_xml(document.encode(), allow_doctype=True)
    assert etree.tostring(root) == b"<r>x</r>"


def test_pubmed_never_opens_a_local_file_named_as_its_dtd(tmp_path: Path) -> None:
    from paperfuse_pubmed._xml import parse_articles

    secret = tmp_path / "secret.txt"
    secret.write_text("not a DTD\n")
    document = (
        f'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet SYSTEM "{secret.as_uri()}">\n'
        "<PubmedArticleSet></PubmedArticleSet>"
    )
    assert parse_articles(document.encode()) == []
