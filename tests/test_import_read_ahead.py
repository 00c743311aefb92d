"""Read-ahead for paced batching sources, beyond the window of works handed out.

In a library import, arXiv answers 2,000 ids a request every 3 s and each
DOI it reveals costs Unpaywall a request of its own. When inputs were read
only as works were handed out (the window), arXiv's next batch could not be
cut before the window's oldest input was done, which waits for Unpaywall:
Unpaywall then ran dry while arXiv lingered for ids. The pipeline now reads
up to one batch of the largest paced source beyond the window, and no more.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine_resolvers import make_resolver
from paperfuse import Config, Politeness, Work
from paperfuse.testing import fake_source


def _paced(batch: int, interval: float) -> type:
    records = {("doi", f"10.1234/{i}"): Work(title=f"T{i}") for i in range(100)}
    return fake_source(
        "paced",
        ["doi"],
        records=records,
        batch_size=batch,
        politeness=Politeness(min_interval=interval, max_concurrency=1),
    )


def _counted_dois(count: int, read: list[int]) -> Iterator[str]:
    """``count`` DOIs, each noted in ``read`` as it is read."""
    for i in range(count):
        read.append(i)
        yield f"10.1234/{i}"


def test_a_paced_source_gets_a_full_batch_beyond_the_window() -> None:
    source = _paced(batch=20, interval=0.2)
    read: list[int] = []

    with make_resolver(source, config=Config(window=10, use_cache=False)) as resolver:
        stream = resolver.resolve_many(_counted_dois(60, read))
        first = next(stream)
        assert first.title == "T0"
        # Read beyond the window (10) before the first work was handed out, but no
        # more than the window and one batch of the paced source (20).
        assert 10 < len(read) <= 31
        assert len(source.calls[0][2]) == 20  # its first batch full, not a window's 10
        rest = list(stream)
    assert [w.title for w in rest] == [f"T{i}" for i in range(1, 60)]
    assert all(len(call[2]) <= 20 for call in source.calls)


def test_an_unpaced_source_reads_no_further_than_the_window() -> None:
    source = _paced(batch=20, interval=0.0)
    read: list[int] = []

    with make_resolver(source, config=Config(window=10, use_cache=False)) as resolver:
        stream = resolver.resolve_many(_counted_dois(60, read))
        next(stream)
        assert len(read) <= 11
        assert len(list(stream)) == 59


def test_a_one_at_a_time_source_asks_before_the_whole_window_is_read() -> None:
    """Unpaywall's first request leaves after the first inputs are read, not after 2,000."""
    read: list[int] = []
    read_at_first_call: list[int] = []

    def answer(identifiers: object) -> dict[object, None]:
        read_at_first_call.append(len(read))
        return dict.fromkeys(identifiers)  # type: ignore[call-overload]

    source = fake_source("single", ["doi"], batch_size=1, answer=answer)

    with make_resolver(source, config=Config(window=1000, use_cache=False)) as resolver:
        works = list(resolver.resolve_many(_counted_dois(1000, read)))
    assert len(works) == 1000
    assert read_at_first_call[0] < 500, read_at_first_call[0]
