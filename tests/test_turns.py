"""Long work in turns of the event loop: in_turns, parse_xml_in_turns, the arXiv feed,
and a large answer's body as the HTTP client reads it.

The large feed here is built in this file from two recorded feeds of
tests/fixtures/arxiv/ (their 200 entries in one document); nothing else of
it is invented.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from turns import TurnCounter

import paperfuse
from paperfuse import BadResponse
from paperfuse._http import BODY_TURN, Pacer, SourceClient
from paperfuse._xml import XML_TURN
from paperfuse_arxiv import parse_feed
from paperfuse_arxiv._atom import read_feed

FIXTURES = Path(__file__).parent / "fixtures" / "arxiv"
ATOM = "{http://www.w3.org/2005/Atom}"


def _two_feeds_in_one() -> bytes:
    first, second = (
        etree.fromstring((FIXTURES / f"arxivvanity_query_cs_ml_start{start}.xml").read_bytes())
        for start in ("0_max100", "100_max100")
    )
    for entry in second.iterchildren(f"{ATOM}entry"):
        first.append(entry)
    return etree.tostring(first, xml_declaration=True, encoding="UTF-8")


BIG_FEED = _two_feeds_in_one()


def _counting(work: Any) -> tuple[Any, TurnCounter]:
    """Run the coroutine ``work`` beside a turn counter; its result and the counter."""
    counter = TurnCounter()

    async def go() -> Any:
        counter.seen()
        result = await work
        counter.seen()
        return result

    result = asyncio.run(go())
    counter.running = False
    return result, counter


async def _take(items: Any) -> list[Any]:
    return [item async for item in items]


def test_in_turns_hands_out_every_item_in_order_with_turns_between() -> None:
    taken, counter = _counting(_take(paperfuse.in_turns(range(100), every=10)))
    assert taken == list(range(100))
    assert counter.seen_at[-1] - counter.seen_at[0] == 10  # a turn after each ten


def test_in_turns_of_fewer_items_than_a_turn_takes_no_turn() -> None:
    taken, counter = _counting(_take(paperfuse.in_turns("abc", every=10)))
    assert taken == ["a", "b", "c"]
    assert counter.seen_at[-1] == counter.seen_at[0]


def test_in_turns_refuses_a_turn_of_no_items() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        asyncio.run(_take(paperfuse.in_turns([1], every=0)))


def test_a_large_answer_is_parsed_in_turns_into_the_same_tree() -> None:
    assert len(BIG_FEED) > XML_TURN
    root, counter = _counting(paperfuse.parse_xml_in_turns(BIG_FEED, expected="an Atom feed"))
    chunks = -(-len(BIG_FEED) // XML_TURN)
    assert counter.seen_at[-1] - counter.seen_at[0] == chunks
    assert etree.tostring(root) == etree.tostring(paperfuse.parse_xml(BIG_FEED))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # A DTD with an entity, at the start of a large body.
        (
            b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY x "y">]>' + BIG_FEED[40:],
            "refused a response with a DTD or entities",
        ),
        (BIG_FEED[: XML_TURN + 1000], "malformed XML"),  # cut off mid-document
        (BIG_FEED.replace(b"<feed", b"<other", 1).replace(b"</feed>", b"</other>"), "not XML"),
        (b"<html><title>Bad gateway</title>" + b" " * XML_TURN + b"</html>", "got HTML"),
    ],
    ids=["entities", "truncated", "another root", "html page"],
)
def test_a_large_answer_is_refused_as_parse_xml_refuses_it(body: bytes, message: str) -> None:
    roots = ("{http://www.w3.org/2005/Atom}feed",)
    with pytest.raises(BadResponse, match=message) as by_turns:
        asyncio.run(paperfuse.parse_xml_in_turns(body, roots=roots))
    with pytest.raises(BadResponse) as at_once:
        paperfuse.parse_xml(body, roots=roots)
    assert by_turns.value.message.split(" (")[0] == at_once.value.message.split(" (")[0]


def test_a_small_answer_is_parsed_at_once() -> None:
    small = (FIXTURES / "pubs_id_1710.08557.xml").read_bytes()
    root, counter = _counting(paperfuse.parse_xml_in_turns(small))
    assert counter.seen_at[-1] == counter.seen_at[0]
    assert etree.tostring(root) == etree.tostring(paperfuse.parse_xml(small))


def test_the_arxiv_source_reads_a_large_feed_in_turns_into_the_same_works() -> None:
    feed, counter = _counting(read_feed(BIG_FEED))
    assert feed == parse_feed(BIG_FEED)
    assert len(feed.works) == 200
    # The parse's chunks, then a turn every 32 entries.
    chunks = -(-len(BIG_FEED) // XML_TURN)
    assert counter.seen_at[-1] - counter.seen_at[0] == chunks + 200 // 32


@pytest.mark.parametrize("declared", ["ISO-8859-1", "UTF-7"])
def test_a_large_answer_is_read_as_utf8_whatever_it_declares(declared: str) -> None:
    """As parse_xml: a declared encoding is never followed (UTF-7 would hide a DTD from
    the byte checks)."""
    text = "é +ADw-x"
    body = (
        f'<?xml version="1.0" encoding="{declared}"?><feed>{text}'.encode()
        + b" " * XML_TURN
        + b"</feed>"
    )
    root = asyncio.run(paperfuse.parse_xml_in_turns(body))
    assert root.text.startswith(text)
    assert root.text == paperfuse.parse_xml(body).text


@pytest.mark.parametrize("coding", ["identity", "gzip"])
def test_a_large_body_is_read_in_turns_of_the_event_loop(coding: str) -> None:
    """A body that is all there already (its reads never wait) is still decoded and copied
    a quarter of a megabyte a turn, not in one step."""
    body = BIG_FEED * (1 + 3 * 2**20 // len(BIG_FEED))  # over 3 MiB
    if coding == "gzip":
        packer = zlib.compressobj(6, zlib.DEFLATED, 31)
        raw = packer.compress(body) + packer.flush()
    else:
        raw = body

    class Buffered(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            for start in range(0, len(raw), 65_536):  # reads of 64 KiB, none of them waiting
                yield raw[start : start + 65_536]

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": coding}, stream=Buffered())

    async def go() -> tuple[httpx.Response, TurnCounter]:
        counter = TurnCounter()
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
            client = SourceClient(name="test", http=http, pacer=Pacer(0.0, 1), timeout=10.0)
            counter.seen()
            response = await client.get("http://127.0.0.1/large")
            counter.seen()
        counter.running = False
        return response, counter

    response, counter = asyncio.run(go())
    assert response.content == body
    # A turn once BODY_TURN bytes are in, so at most BODY_TURN and one piece between turns.
    turns = counter.seen_at[-1] - counter.seen_at[0]
    assert turns >= len(body) // (BODY_TURN + 65_536)
