"""``paperfuse resolve`` tunes the garbage collector for its batch and leaves it as it was."""

from __future__ import annotations

import gc

from paperfuse.testing import CLI


def test_the_collector_is_as_it_was_after_a_batch(paperfuse_cli: CLI) -> None:
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    run = paperfuse_cli("resolve", "--quiet", "%%%", "@@@")
    assert run.exit_code == 1  # neither input is usable
    assert (gc.get_threshold(), gc.get_freeze_count()) == (threshold, frozen)
