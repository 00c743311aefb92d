"""The hooks paperfuse asks its plugins.

Every hook here is a do-nothing specification: its docstring says what it is
asked, its arguments and what it must return. A plugin implements any of them
with the :data:`paperfuse.hookimpl` marker::

    import paperfuse

    @paperfuse.hookimpl
    def paperfuse_register_sources():
        return [MySource]

and registers its module under the ``paperfuse`` entry-point group in its
``pyproject.toml``::

    [project.entry-points.paperfuse]
    mysource = "my_package"

Hooks only ever grow by new arguments, so a plugin written today keeps working.
An implementation may accept fewer arguments than the spec offers (paperfuse
calls every hook through pluggy, which passes each implementation only those
it names); never give a hook implementation's argument a default value, pluggy
ignores it. ``PAPERFUSE_TRACE_HOOKS=1`` prints every hook call, with its
arguments and results, on stderr.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pluggy

# Imported for real, not under TYPE_CHECKING, so that typing.get_type_hints()
# reads every hook's signature (a type checker or a plugin's tests can).
from ._formats import OutputFormat
from ._identifiers import IdentifierScheme
from ._records import OALocation, Work
from ._source import Source

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME = "paperfuse"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Marker for plugin hook implementations.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def paperfuse_register_sources(paperfuse_version: str) -> Iterable[type[Source]]:
    """Sources this plugin offers.

    ``paperfuse_version`` is the version of the running paperfuse, for a
    plugin that registers only what that version supports (take it only if
    you need it: an implementation names the arguments it wants).

    Return an iterable of :class:`paperfuse.Source` subclasses. Each class
    declares its ``name`` (unique across all plugins), the identifier
    ``schemes`` it can look up, whether it ``searches_titles``, its
    ``batch_size``, its ``politeness`` and its ``role`` (its place in the
    default merge ranking). The resolver creates one instance of each per
    resolver. A class with a missing or malformed name, or a name another
    third-party plugin holds already, is refused and reported against this
    plugin; the plugin's other registrations stay. A name a built-in plugin
    registers is taken over, and listed as shadowed by ``paperfuse plugins``.
    """


@hookspec
def paperfuse_register_schemes(
    paperfuse_version: str,
) -> Iterable[IdentifierScheme | type[IdentifierScheme]]:
    """Identifier schemes this plugin adds (ISBN, ADS bibcode, ...).

    Return an iterable of :class:`paperfuse.IdentifierScheme` subclasses or
    instances. Their ``parse`` is tried on every input after the built-in
    schemes, so that ``paperfuse identify`` and resolution know them; a source
    that accepts the scheme's ``name`` is then asked for them.
    """


@hookspec
def paperfuse_register_formats(paperfuse_version: str) -> Iterable[type[OutputFormat]]:
    """Output formats this plugin adds.

    Return an iterable of :class:`paperfuse.OutputFormat` subclasses; each
    ``name`` becomes a choice of ``paperfuse resolve --format``.
    """


@hookspec(firstresult=True)
def paperfuse_rank_oa_locations(
    work: Work, locations: Sequence[OALocation]
) -> Sequence[OALocation] | None:
    """Rank the pooled OA locations of a merged work, best first.

    ``work`` is the merged record (without OA fields yet) and ``locations``
    every source's locations, de-duplicated by URL. Return them reordered,
    best first, each with its ``status`` set and the first with a ``reason``
    saying why it won; or ``None`` to leave the ranking to the next plugin
    and finally to paperfuse's default policy. Stops at the first non-None
    result.
    """
