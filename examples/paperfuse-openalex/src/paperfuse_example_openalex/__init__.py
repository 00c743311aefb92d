"""Example paperfuse plugin: an OpenAlex source, a scheme for OpenAlex work ids and a
Markdown reference list.

paperfuse finds it through the ``paperfuse`` entry-point group (see
pyproject.toml); it imports only paperfuse's public API.
"""

from __future__ import annotations

from collections.abc import Iterable

import paperfuse

from ._format import MarkdownReferences
from ._scheme import OpenAlexScheme
from ._source import OpenAlexSource

__all__ = ["MarkdownReferences", "OpenAlexScheme", "OpenAlexSource"]


@paperfuse.hookimpl
def paperfuse_register_sources() -> Iterable[type[paperfuse.Source]]:
    return [OpenAlexSource]


@paperfuse.hookimpl
def paperfuse_register_schemes() -> Iterable[paperfuse.IdentifierScheme]:
    return [OpenAlexScheme()]


@paperfuse.hookimpl
def paperfuse_register_formats() -> Iterable[type[paperfuse.OutputFormat]]:
    return [MarkdownReferences]
