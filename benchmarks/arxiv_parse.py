"""Parsing a 2,000-entry arXiv feed: paperfuse against the ``arxiv`` package (4.x).

Builds a 2,000-entry feed from the two recorded 100-entry feeds in
tests/fixtures/arxiv/ (each entry given a distinct id), then parses the same
bytes with both, alternately, and prints a table with the ratio. paperfuse
parses into canonical records (with OA location, normalised text and
timezone-aware dates); the ``arxiv`` package into its own ``Result`` objects.
Target: paperfuse in at most half the time.

    .venv/bin/pip install -q -e '.[bench]'
    .venv/bin/python benchmarks/arxiv_parse.py [RUNS]
"""

from __future__ import annotations

import copy
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path

from lxml import etree

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "arxiv"
ATOM = "{http://www.w3.org/2005/Atom}"
RECORDED = (
    "arxivvanity_query_cs_ml_start0_max100.xml",
    "arxivvanity_query_cs_ml_start100_max100.xml",
)


def build_feed(entries: int = 2000) -> bytes:
    """A feed of ``entries`` real entries, recycled from the recordings with new ids."""
    root = etree.fromstring((FIXTURES / RECORDED[0]).read_bytes())
    pool = list(root.iterchildren(f"{ATOM}entry"))
    pool += list(
        etree.fromstring((FIXTURES / RECORDED[1]).read_bytes()).iterchildren(f"{ATOM}entry")
    )
    for entry in root.iterchildren(f"{ATOM}entry"):
        root.remove(entry)
    for n in range(entries):
        entry = copy.deepcopy(pool[n % len(pool)])
        entry.find(
            f"{ATOM}id"
        ).text = f"http://arxiv.org/abs/17{n // 1000 + 1:02d}.{n % 1000 + 1:05d}v1"
        root.append(entry)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    try:
        from arxiv import _feed as arxiv_feed
    except ImportError:
        sys.exit("the arxiv package is missing: pip install -e '.[bench]'")
    from paperfuse_arxiv import parse_feed

    data = build_feed()
    assert len(parse_feed(data).works) == 2000
    assert len(arxiv_feed.parse(data).results) == 2000
    theirs: list[float] = []
    ours: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        parsed = arxiv_feed.parse(data)
        theirs.append(time.perf_counter() - start)
        del parsed
        start = time.perf_counter()
        feed = parse_feed(data)
        ours.append(time.perf_counter() - start)
        del feed
    print(f"2,000-entry feed, {len(data):,} bytes, {runs} alternating runs each")
    print(f"{'parser':<34} {'median ms':>10} {'best ms':>9}")
    for name, times in (
        (f"arxiv {version('arxiv')} (Result objects)", theirs),
        ("paperfuse_arxiv (canonical Works)", ours),
    ):
        print(f"{name:<34} {statistics.median(times) * 1000:>10.1f} {min(times) * 1000:>9.1f}")
    ratio = statistics.median(theirs) / statistics.median(ours)
    print(f"ratio (arxiv / paperfuse, medians): {ratio:.2f}x  (target: at least 2.00x)")


if __name__ == "__main__":
    main()
