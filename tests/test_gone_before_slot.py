"""A source found gone is not waited for: its other inputs are answered without a pacer slot.

The Open Access Button remembers across runs that its API is gone, and
says so on its first call; every later input used to wait the source's
interval (1 s) for a slot before the runtime saw the source was gone.
"""

from __future__ import annotations

import time

from engine_resolvers import make_resolver
from paperfuse import Config, Politeness, SourceGone
from paperfuse.testing import fake_source


def test_inputs_after_a_gone_answer_wait_no_interval() -> None:
    gone = fake_source(
        "remembers-gone",
        ["doi"],
        batch_size=1,
        politeness=Politeness(min_interval=10.0, max_concurrency=1),
        fail_with=SourceGone("the API is permanently shut down", source="remembers-gone"),
    )
    started = time.monotonic()
    with make_resolver(gone, config=Config(use_cache=False)) as resolver:
        works = list(resolver.resolve_many(["10.5555/1", "10.5555/2", "10.5555/3"]))
    elapsed = time.monotonic() - started
    assert [w.sources[0].status for w in works] == ["gone", "gone", "gone"]
    assert len(gone.calls) == 1
    assert elapsed < 5.0  # not one 10 s interval: the source was asked once
