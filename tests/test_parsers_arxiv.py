"""The arXiv feed parser against hostile and broken feeds.

Every body that is not a readable Atom feed must be refused with a
:class:`paperfuse.BadResponse` (never another exception), whatever its
encoding, and a bad value in one field of an entry costs only that field.
The hostile bodies here (XML bombs, XXE, HTML pages, odd digits) are built in
test code; the property tests mutate the recorded feeds of tests/fixtures/arxiv/.
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
from paperfuse import BadResponse, Work
from paperfuse_arxiv import parse_feed

FIXTURES = Path(__file__).parent / "fixtures" / "arxiv"
RECORDED = sorted(FIXTURES.glob("*.xml"))
ENTRY = (FIXTURES / "pubs_id_1710.08557.xml").read_text(encoding="utf-8")

BOMB = """<?xml version="1.0" encoding="{encoding}"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol3;</title></feed>"""
XXE = """<?xml version="1.0" encoding="{encoding}"?>
<!DOCTYPE feed [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/1710.08557v1</id>
<title>&secret;</title></entry></feed>"""
#: Python codec, and the name the XML declaration gives it. "utf-16" and "utf-32"
#: write a byte order mark; the -le/-be codecs do not, as some servers send them.
ENCODINGS = [
    ("utf-8", "UTF-8"),
    ("utf-8-sig", "UTF-8"),
    ("utf-16", "UTF-16"),
    ("utf-16-le", "UTF-16"),
    ("utf-16-be", "UTF-16"),
    ("utf-32", "UTF-32"),
]


def encoded(document: str, codec: str, name: str) -> bytes:
    return document.format(encoding=name).encode(codec)


def assert_storable(work: Work) -> None:
    """What the cache (msgpack) and the output (JSON) do with every record must work."""
    msgspec.msgpack.encode(work)
    paperfuse.encode_json(work)


# -- XML bombs, XXE and other encodings ------------------------------------------------------


@pytest.mark.parametrize(("codec", "name"), ENCODINGS)
@pytest.mark.parametrize("document", [BOMB, XXE], ids=["billion-laughs", "xxe"])
def test_dtd_and_entities_are_refused_in_every_encoding(
    document: str, codec: str, name: str
) -> None:
    with pytest.raises(BadResponse, match="refused a response with a DTD or entities"):
        parse_feed(encoded(document, codec, name))


@pytest.mark.parametrize(("codec", "name"), ENCODINGS[2:])
def test_a_feed_that_is_not_utf8_is_refused(codec: str, name: str) -> None:
    """arXiv sends UTF-8; a wider encoding would hide a DTD from the byte check."""
    document = ENTRY.replace('encoding="UTF-8"', f'encoding="{name}"')
    with pytest.raises(BadResponse, match=f"not UTF-8 \\(got {name}"):
        parse_feed(document.encode(codec))


def test_a_declared_encoding_is_not_followed() -> None:
    """The parser reads UTF-8 whatever the declaration says (UTF-7 would hide ``<!``)."""
    utf7 = (
        b'<?xml version="1.0" encoding="UTF-7"?>'
        b'<feed xmlns="http://www.w3.org/2005/Atom">+ADw-!DOCTYPE x+AD4-</feed>'
    )
    feed = parse_feed(utf7)
    assert feed.works == ()


@pytest.mark.parametrize(
    ("page", "title"),
    [
        (
            b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
            b"<body><h1>502 Bad Gateway</h1></body></html>",
            "502 Bad Gateway",
        ),
        (
            b"<!doctype html><html lang=en><head><meta charset=utf-8>"
            b"<title>Rate exceeded.</title></head></html>",
            "Rate exceeded.",
        ),
        (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html PUBLIC'
            b' "-//W3C//DTD XHTML 1.0 Strict//EN"'
            b' "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
            b'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Maintenance</title>'
            b"</head></html>",
            "Maintenance",
        ),
        (b"  <HTML><BODY>Service unavailable</BODY></HTML>", "<HTML><BODY>Service unavailable"),
    ],
)
def test_an_html_page_is_named_html_not_a_dtd_attack(page: bytes, title: str) -> None:
    with pytest.raises(BadResponse) as caught:
        parse_feed(page)
    message = caught.value.message
    assert message.startswith("not an Atom feed (got HTML")
    assert title in message
    assert "DTD" not in message


# -- one bad field costs that field ------------------------------------------------------------


def entry_with(**replacements: str) -> bytes:
    """The recorded 1710.08557 feed with some element texts replaced."""
    text = ENTRY
    for tag, value in replacements.items():
        tag = tag.replace("_", ":")
        text, count = re.subn(
            rf"<{tag}>[^<]*</{tag}>", f"<{tag}>{escape(value)}</{tag}>", text, count=1
        )
        assert count == 1, tag
    return text.encode()


@pytest.mark.parametrize(
    "published",
    [
        "²⁰¹⁷-10-24T00:21:32Z",  # digits to str.isdigit(), not to int()
        "١٧٢٠-10-24T00:21:32Z",  # Arabic-Indic digits
        "0001-10-24T00:21:32Z",  # a year no paper has
        "9999-10-24T00:21:32Z",
        "yesterday",
    ],
)
def test_an_unreadable_publication_date_costs_only_the_date(published: str) -> None:
    work = parse_feed(entry_with(published=published)).works[0]
    assert (work.published, work.year) == (None, None)
    assert work.title is not None
    assert work.ids.arxiv == "1710.08557"
    assert_storable(work)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("99999999999999999999999999", None),  # beyond what msgpack and JSON can encode
        ("9" * 5000, None),  # beyond what int() reads from text
        ("0", None),
        ("١", None),
        ("12", 12),
    ],
)
def test_an_absurd_version_costs_only_the_version(version: str, expected: int | None) -> None:
    body = ENTRY.replace("1710.08557v1</id>", f"1710.08557v{version}</id>").encode()
    work = parse_feed(body).works[0]
    assert work.ids.arxiv == "1710.08557"
    assert work.ids.arxiv_version == expected
    assert work.title is not None
    assert_storable(work)


def test_absurd_totals_are_ignored() -> None:
    body = ENTRY.replace(">1</opensearch:totalResults>", f">{'9' * 5000}</opensearch:totalResults>")
    assert parse_feed(body.encode()).total is None


def test_an_author_without_a_name_is_left_out_and_an_affiliation_is_not_a_name() -> None:
    body = ENTRY.replace(
        "<name>Marco Santello</name>",
        '<arxiv:affiliation xmlns:arxiv="http://arxiv.org/schemas/atom">'
        "Arizona State University</arxiv:affiliation>",
    )
    work = parse_feed(body.encode()).works[0]
    assert [a.name for a in work.authors] == ["Francisco J Valero-Cuevas"]


# -- properties ---------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2_000))
@example(b"\xff\xfe<\x00")
@example(b"\x00\x00\xfe\xff")
@example(b"<feed xmlns='http://www.w3.org/2005/Atom'>" + b"<a>" * 10_000)
def test_arbitrary_bytes_are_a_feed_or_a_bad_response(data: bytes) -> None:
    try:
        feed = parse_feed(data)
    except BadResponse:
        return
    for work in feed.works:
        assert_storable(work)


@st.composite
def mutated_feed(draw: st.DrawFn) -> bytes:
    """A recorded feed with some element texts and attribute values replaced by any text."""
    path = draw(st.sampled_from(RECORDED))
    text = path.read_text(encoding="utf-8")
    spots = [m.span(m.lastindex or 0) for m in re.finditer(r'>([^<]*)<|="([^"]*)"', text)]
    chosen = draw(st.lists(st.sampled_from(spots), min_size=1, max_size=6, unique=True))
    for start, end in sorted(chosen, reverse=True):
        value = draw(st.text(max_size=40) | st.from_regex(r"[0-9v.\-:TZ ]{0,30}", fullmatch=True))
        text = text[:start] + escape(value, {'"': "&quot;"}) + text[end:]
    return text.encode("utf-8")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_feed())
def test_mutated_recorded_feeds_are_a_feed_or_a_bad_response(data: bytes) -> None:
    try:
        feed = parse_feed(data)
    except BadResponse:
        return
    for work in feed.works:
        assert_storable(work)
        assert work.year is None or 1000 <= work.year <= 3000
        assert work.ids.arxiv_version is None or 0 < work.ids.arxiv_version < 10_000
