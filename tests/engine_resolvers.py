"""Resolvers of in-memory sources for tests of the engine (batching, pacing, merging).

Unlike ``paperfuse.testing.make_resolver``, which gives every source zero
politeness for speed, these keep each fake source's declared politeness and
the given Config as they are: the engine's tests measure what the
declarations do.
"""

from __future__ import annotations

from typing import Any

import paperfuse
from paperfuse import Source
from paperfuse.testing import SourcesPlugin


def make_resolver(
    *sources: type[Source], config: paperfuse.Config | None = None, **kwargs: Any
) -> paperfuse.Resolver:
    """A resolver with only the given sources (no installed plugins)."""
    return paperfuse.Resolver(
        config or paperfuse.Config(),
        entry_points=False,
        plugins={"fakes": SourcesPlugin(*sources), **kwargs.pop("plugins", {})},
        **kwargs,
    )
