"""paperfuse: any scholarly identifier in, one canonical record out.

The public API: everything a caller or a plugin uses is exported here, and
only here. Plugins import nothing else from paperfuse.

Thank you to arXiv for use of its open access interoperability.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING

from ._errors import (
    BadResponse,
    ConfigError,
    InvalidIdentifier,
    PaperfuseError,
    PluginError,
    RateLimited,
    SourceError,
    SourceGone,
    SourceUnavailable,
)
from ._formats import JSONFormat, OutputFormat
from ._lazy import lazy_exports
from ._records import (
    SAME_WORK_RELATIONS,
    Author,
    Budget,
    Candidate,
    FieldProvenance,
    Funder,
    Identification,
    Identifier,
    Ids,
    Institution,
    OALocation,
    OtherValue,
    Query,
    Relation,
    SourceReport,
    SourceStats,
    Update,
    Work,
    decode_work,
    encode_json,
    to_builtins,
)
from ._redact import redact
from ._source import (
    SOURCE_ROLES,
    LookupResult,
    Politeness,
    Source,
    SourceContext,
    SourceRole,
)
from ._values import YEARS, plausible_year, storable
from ._version import __version__

# The heavier parts load on first use (PEP 562), so that `paperfuse --help`
# and a plugin's import stay fast; to the caller they are ordinary names.
_LAZY = {
    "BibLaTeXFormat": "_bibtex",
    "BibTeXFormat": "_bibtex",
    "RISFormat": "_ris",
    "Config": "_config",
    "SourceSettings": "_config",
    "config_path": "_config",
    "load_config": "_config",
    "IdentifierScheme": "_identifiers",
    "builtin_schemes": "_identifiers",
    "identify": "_identifiers",
    "CSLJSONFormat": "_csl",
    "csl_item": "_csl",
    "DEFAULT_RANKING": "_merge",
    "MergePolicy": "_merge",
    "default_ranking": "_merge",
    "merge": "_merge",
    "DefaultOARanking": "_oa",
    "OARankingPolicy": "_oa",
    "rank_oa": "_oa",
    "PluginHost": "_plugins",
    "PluginInfo": "_plugins",
    "PluginWarning": "_plugins",
    "Resolver": "_resolver",
    "MAX_BODY_BYTES": "_http",
    "SourceClient": "_http",
    "SourceStore": "_store",
    "SnapshotFile": "_snapshots",
    "SnapshotIndex": "_snapshots",
    "SnapshotSource": "_snapshot_source",
    "snapshot_database": "_snapshots",
    "snapshot_files": "_snapshots",
    "resolve_partition": "_partition",
    "hookimpl": "hookspecs",
    "normalize_title": "_text",
    "search_words": "_text",
    "parse_xml": "_xml",
    "parse_xml_in_turns": "_xml",
    "xml_parser": "_xml",
    "in_turns": "_turns",
    "ZoteroJSONFormat": "_zotero",
    "work_from_zotero": "_zotero",
    "zotero_item": "_zotero",
}

if TYPE_CHECKING:
    from ._bibtex import BibLaTeXFormat, BibTeXFormat
    from ._config import Config, SourceSettings, config_path, load_config
    from ._csl import CSLJSONFormat, csl_item
    from ._http import MAX_BODY_BYTES, SourceClient
    from ._identifiers import IdentifierScheme, builtin_schemes, identify
    from ._merge import DEFAULT_RANKING, MergePolicy, default_ranking, merge
    from ._oa import DefaultOARanking, OARankingPolicy, rank_oa
    from ._partition import resolve_partition
    from ._plugins import PluginHost, PluginInfo, PluginWarning
    from ._resolver import Resolver
    from ._ris import RISFormat
    from ._snapshot_source import SnapshotSource
    from ._snapshots import SnapshotFile, SnapshotIndex, snapshot_database, snapshot_files
    from ._store import SourceStore
    from ._text import normalize_title, search_words
    from ._turns import in_turns
    from ._xml import parse_xml, parse_xml_in_turns, xml_parser
    from ._zotero import ZoteroJSONFormat, work_from_zotero, zotero_item
    from .hookspecs import hookimpl


__all__ = [
    "DEFAULT_RANKING",
    "MAX_BODY_BYTES",
    "SAME_WORK_RELATIONS",
    "SOURCE_ROLES",
    "YEARS",
    "Author",
    "BadResponse",
    "BibLaTeXFormat",
    "BibTeXFormat",
    "Budget",
    "CSLJSONFormat",
    "Candidate",
    "Config",
    "ConfigError",
    "DefaultOARanking",
    "FieldProvenance",
    "Funder",
    "Identification",
    "Identifier",
    "IdentifierScheme",
    "Ids",
    "Institution",
    "InvalidIdentifier",
    "JSONFormat",
    "LookupResult",
    "MergePolicy",
    "OALocation",
    "OARankingPolicy",
    "OtherValue",
    "OutputFormat",
    "PaperfuseError",
    "PluginError",
    "PluginHost",
    "PluginInfo",
    "PluginWarning",
    "Politeness",
    "Query",
    "RISFormat",
    "RateLimited",
    "Relation",
    "Resolver",
    "SnapshotFile",
    "SnapshotIndex",
    "SnapshotSource",
    "Source",
    "SourceClient",
    "SourceContext",
    "SourceError",
    "SourceGone",
    "SourceReport",
    "SourceRole",
    "SourceSettings",
    "SourceStats",
    "SourceStore",
    "SourceUnavailable",
    "Update",
    "Work",
    "ZoteroJSONFormat",
    "__version__",
    "aresolve",
    "aresolve_many",
    "builtin_schemes",
    "config_path",
    "csl_item",
    "decode_work",
    "default_ranking",
    "encode_json",
    "hookimpl",
    "identify",
    "in_turns",
    "lazy_exports",
    "load_config",
    "merge",
    "normalize_title",
    "parse_xml",
    "parse_xml_in_turns",
    "plausible_year",
    "rank_oa",
    "redact",
    "render",
    "resolve",
    "resolve_many",
    "resolve_partition",
    "search_words",
    "snapshot_database",
    "snapshot_files",
    "storable",
    "to_builtins",
    "work_from_zotero",
    "xml_parser",
    "zotero_item",
]


def resolve(text: str) -> Work:
    """Resolve one identifier, title or citation with a fresh :class:`Resolver`."""
    from ._resolver import Resolver

    with Resolver() as resolver:
        return resolver.resolve(text)


def resolve_many(inputs: Iterable[str]) -> Iterator[Work]:
    """Resolve many inputs with one fresh :class:`Resolver`, yielding works in input order."""
    from ._resolver import Resolver

    with Resolver() as resolver:
        yield from resolver.resolve_many(inputs)


async def aresolve(text: str) -> Work:
    """Asynchronous :func:`resolve`."""
    from ._resolver import Resolver

    async with Resolver() as resolver:
        return await resolver.aresolve(text)


async def aresolve_many(inputs: Iterable[str] | AsyncIterable[str]) -> AsyncIterator[Work]:
    """Asynchronous :func:`resolve_many`."""
    from ._resolver import Resolver

    async with Resolver() as resolver:
        async for work in resolver.aresolve_many(inputs):
            yield work


def render(
    works: Work | Iterable[Work], format: str | OutputFormat | type[OutputFormat] = "json"
) -> str:
    """The text of ``works`` (one work or many) in an output format, as the CLI writes it.

    ``format`` is a format's name (``json``, ``csl-json``, ``bibtex``, or one
    a plugin adds), an :class:`OutputFormat` class or instance. One call is
    one batch: citation keys are unique within it, a CSL-JSON batch is one
    JSON array, and a bibliography format leaves out works that are not
    resolved. ``paperfuse.render(paperfuse.resolve("10.1038/nature12373"),
    "bibtex")`` is a .bib string; :func:`csl_item` gives one CSL item as a dict.
    """
    import io

    from ._formats import BatchWriter

    if isinstance(format, str):
        from ._plugins import PluginHost

        # paperfuse's own formats need no search of the installed plugins.
        formats = PluginHost(entry_points=False).formats
        if format not in formats:
            formats = PluginHost().formats
        if format not in formats:
            raise ValueError(f"{format!r} is not one of {', '.join(sorted(formats))}")
        output_format = formats[format]()
    else:
        output_format = format() if isinstance(format, type) else format
    buffer = io.StringIO()
    writer = BatchWriter(output_format, buffer)
    for work in (works,) if isinstance(works, Work) else works:
        writer.add(work)
    writer.close()
    return buffer.getvalue()


__getattr__, __dir__ = lazy_exports(
    __name__, {name: f".{module}" for name, module in _LAZY.items()}, __all__
)
