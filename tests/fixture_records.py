"""Every record the recorded responses in tests/fixtures hold, as paperfuse makes them.

The output formats are tested over all of them (issue: "over every recorded
response in tests/fixtures"). Each answer is read by its source's own mapping,
then finished as the resolver finishes a record: merged (with provenance) and
given its OA ranking, status "resolved". Answers that hold no work (errors,
404s, empty results, rate-limit bodies) give none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import msgspec

from paperfuse import BadResponse, Work, merge, rank_oa
from paperfuse_arxiv._atom import parse_feed
from paperfuse_crossref._mapping import work_to_record
from paperfuse_datacite._mapping import doi_record_to_work
from paperfuse_europepmc._mapping import result_to_record
from paperfuse_idconv._mapping import answer_records, record_to_work
from paperfuse_oab._mapping import find_answer_to_work, is_find_answer
from paperfuse_pubmed._xml import is_rate_limit_body, parse_articles
from paperfuse_unpaywall._mapping import doi_object_to_work, search_result_to_work

FIXTURES = Path(__file__).parent / "fixtures"


def _json(path: Path) -> object:
    return json.loads(path.read_bytes())


def _crossref(path: Path) -> Iterator[Work | None]:
    message = _json(path).get("message")  # type: ignore[union-attr]
    items = message.get("items") if isinstance(message, dict) else None
    for data in items if isinstance(items, list) else [message]:
        yield work_to_record(data)


def _datacite(path: Path) -> Iterator[Work | None]:
    yield doi_record_to_work(_json(path))


def _arxiv(path: Path) -> Iterator[Work | None]:
    try:
        yield from parse_feed(path.read_bytes()).works
    except BadResponse:
        return


def _unpaywall(path: Path) -> Iterator[Work | None]:
    data = _json(path)
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        for result in data["results"]:
            yield search_result_to_work(result)
    else:
        yield doi_object_to_work(data)


def _oab(path: Path) -> Iterator[Work | None]:
    data = _json(path)
    if is_find_answer(data):
        yield find_answer_to_work(data)


def _pubmed(path: Path) -> Iterator[Work | None]:
    body = path.read_bytes()
    if path.suffix == ".xml" and not is_rate_limit_body(body):
        yield from parse_articles(body)


def _idconv(path: Path) -> Iterator[Work | None]:
    for record in answer_records(_json(path)) or []:
        yield record_to_work(record, "doi")[1]


def _europepmc(path: Path) -> Iterator[Work | None]:
    results = _json(path).get("resultList", {}).get("result", [])  # type: ignore[union-attr]
    for result in results:
        yield result_to_record(result)


_READERS = {
    "arxiv": ("*.xml", _arxiv),
    "crossref": ("*.json", _crossref),
    "datacite": ("*.json", _datacite),
    "unpaywall": ("*.json", _unpaywall),
    "oab": ("*.json", _oab),
    "pubmed": ("*.xml", _pubmed),
    "idconv": ("*.json", _idconv),
    "europepmc": ("*.json", _europepmc),
}


def _finished(source: str, partial: Work) -> Work:
    work = merge([(source, partial)])
    work = rank_oa(work, work.oa_locations)
    return msgspec.structs.replace(work, input=partial.ids.doi or partial.title, status="resolved")


@cache
def fixture_records() -> tuple[tuple[str, Work], ...]:
    """``(name, work)`` for every work in every recorded answer; ``name`` says where
    it came from (``crossref/skgif_10.1038_nature12373.json#0``)."""
    records: list[tuple[str, Work]] = []
    for source, (pattern, read) in _READERS.items():
        for path in sorted((FIXTURES / source).glob(pattern)):
            works = [w for w in read(path) if w is not None and (w.title or w.ids.doi)]
            for n, work in enumerate(works):
                records.append((f"{source}/{path.name}#{n}", _finished(source, work)))
    return tuple(records)
