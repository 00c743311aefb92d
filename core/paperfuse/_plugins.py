"""The plugin host: loads plugins one by one and keeps what they register.

Entry points of the ``paperfuse`` group are loaded each inside a guard: a
plugin that fails to import, to register with pluggy, or to answer a
registration hook is reported (``PluginHost.failures``, ``paperfuse plugins``)
and skipped; everything else goes on. There is no global plugin manager: each
:class:`PluginHost` (one per resolver, one per test) has its own.

Environment switches:

``PAPERFUSE_DISABLED_PLUGINS``
    comma-separated entry-point names never loaded.
``PAPERFUSE_PLUGINS``
    when set, a comma-separated allow-list: only these entry points load.
``PAPERFUSE_TRACE_HOOKS``
    when set to ``1``, every hook call is printed on stderr.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping
from importlib import metadata
from typing import Any

import msgspec
import pluggy

from . import hookspecs
from ._csl import CSLJSONFormat
from ._errors import PluginError
from ._formats import BibTeXFormat, JSONFormat, OutputFormat
from ._identifiers import IdentifierScheme, builtin_schemes
from ._source import Politeness, Source

__all__ = ["PluginHost", "PluginInfo", "PluginWarning"]

ENTRY_POINT_GROUP = "paperfuse"
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


class PluginWarning(UserWarning):
    """A plugin failed to load or register; paperfuse goes on without it."""


class PluginInfo(msgspec.Struct, kw_only=True):
    """One plugin as ``paperfuse plugins`` shows it."""

    name: str
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False
    sources: list[str] = []
    schemes: list[str] = []
    formats: list[str] = []
    status: str = "loaded"  # loaded | failed | disabled
    errors: list[str] = []


class _CoreFormatsAndSchemes:
    """paperfuse's own schemes and formats, registered like any plugin's."""

    @hookspecs.hookimpl
    def paperfuse_register_schemes(self) -> Iterable[IdentifierScheme]:
        return builtin_schemes()

    @hookspecs.hookimpl
    def paperfuse_register_formats(self) -> Iterable[type[OutputFormat]]:
        return (JSONFormat, BibTeXFormat, CSLJSONFormat)


class PluginHost:
    """A pluggy plugin manager plus the sources, schemes and formats it yields.

    ``PluginHost()`` loads the entry points of the ``paperfuse`` group;
    ``PluginHost(entry_points=False)`` loads none (for tests and embedding).
    ``plugins`` registers extra plugin objects (modules or instances with
    hook implementations) under their given names, guarded like entry points.
    """

    def __init__(
        self,
        *,
        entry_points: bool = True,
        plugins: Mapping[str, object] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        if env.get("PAPERFUSE_TRACE_HOOKS") == "1":
            self.pm.trace.root.setwriter(sys.stderr.write)
            self.pm.enable_tracing()
        self.plugins: dict[str, PluginInfo] = {}
        self.sources: dict[str, type[Source]] = {}
        self.schemes: dict[str, IdentifierScheme] = {}
        self.formats: dict[str, type[OutputFormat]] = {}
        self._owners: dict[tuple[str, str], str] = {}
        self._disabled = _names(env.get("PAPERFUSE_DISABLED_PLUGINS"))
        allowed = env.get("PAPERFUSE_PLUGINS")
        self._allowed = _names(allowed) if allowed is not None else None

        self._add("paperfuse", _CoreFormatsAndSchemes(), PluginInfo(name="paperfuse", builtin=True))
        if entry_points:
            for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
                self._load_entry_point(ep)
        for name, plugin in (plugins or {}).items():
            self._add(name, plugin, PluginInfo(name=name))

    @property
    def failures(self) -> list[PluginInfo]:
        """Plugins that failed to load or to register something."""
        return [p for p in self.plugins.values() if p.errors]

    def _load_entry_point(self, ep: metadata.EntryPoint) -> None:
        dist = getattr(ep, "dist", None)
        info = PluginInfo(
            name=ep.name,
            distribution=dist.name if dist else None,
            version=dist.version if dist else None,
        )
        self.plugins[ep.name] = info
        if ep.name in self._disabled or (
            self._allowed is not None and ep.name not in self._allowed
        ):
            info.status = "disabled"
            return
        try:
            plugin = ep.load()
        except (Exception, SystemExit) as e:  # a broken plugin must not break paperfuse
            info.status = "failed"
            self._fail(info, f"cannot be imported ({ep.value}): {type(e).__name__}: {e}")
            return
        self._add(ep.name, plugin, info)

    def _add(self, name: str, plugin: object, info: PluginInfo) -> None:
        """Register ``plugin`` with pluggy and collect what it offers, guarded."""
        self.plugins[name] = info
        if name in self._disabled:
            info.status = "disabled"
            return
        try:
            self.pm.register(plugin, name=name)
        except Exception as e:  # a plugin pluggy refuses is reported, not raised
            info.status = "failed"
            self._fail(info, f"cannot be registered: {e}")
            return
        for caller in self.pm.get_hookcallers(plugin) or ():
            if not caller.has_spec():
                self._fail(
                    info,
                    f"implements {caller.name}, which is not a paperfuse hook"
                    " (misspelled, or written for a newer paperfuse?)",
                )
        self._collect(name, info, "paperfuse_register_sources", self._add_source)
        self._collect(name, info, "paperfuse_register_schemes", self._add_scheme)
        self._collect(name, info, "paperfuse_register_formats", self._add_format)
        if info.errors and not (info.sources or info.schemes or info.formats):
            info.status = "failed"

    def _collect(
        self, name: str, info: PluginInfo, hook: str, add: Callable[[str, PluginInfo, Any], None]
    ) -> None:
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            if impl.plugin_name != name:
                continue
            try:
                offered = list(impl.function() or ())
            except Exception as e:  # one failing hook must not hide the others
                self._fail(info, f"{hook} raised {type(e).__name__}: {e}")
                continue
            for item in offered:
                try:
                    add(name, info, item)
                except PluginError as e:
                    self._fail(info, str(e))

    def _add_source(self, plugin: str, info: PluginInfo, cls: Any) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Source)):
            raise PluginError(plugin, f"{cls!r} is not a paperfuse.Source subclass")
        name = getattr(cls, "name", None)
        self._claim(plugin, "source", name)
        if not isinstance(cls.politeness, Politeness):
            raise PluginError(plugin, f"source {name!r}: politeness must be a paperfuse.Politeness")
        if not isinstance(cls.batch_size, int) or cls.batch_size < 1:
            raise PluginError(plugin, f"source {name!r}: batch_size must be a positive integer")
        if not all(isinstance(s, str) for s in cls.schemes):
            raise PluginError(plugin, f"source {name!r}: schemes must be scheme names")
        self.sources[name] = cls
        info.sources.append(name)

    def _add_scheme(self, plugin: str, info: PluginInfo, scheme: Any) -> None:
        if isinstance(scheme, type) and issubclass(scheme, IdentifierScheme):
            scheme = scheme()
        if not isinstance(scheme, IdentifierScheme):
            raise PluginError(plugin, f"{scheme!r} is not a paperfuse.IdentifierScheme")
        self._claim(plugin, "scheme", getattr(scheme, "name", None))
        self.schemes[scheme.name] = scheme
        info.schemes.append(scheme.name)

    def _add_format(self, plugin: str, info: PluginInfo, cls: Any) -> None:
        if not (isinstance(cls, type) and issubclass(cls, OutputFormat)):
            raise PluginError(plugin, f"{cls!r} is not a paperfuse.OutputFormat subclass")
        self._claim(plugin, "format", getattr(cls, "name", None))
        self.formats[cls.name] = cls
        info.formats.append(cls.name)

    def _claim(self, plugin: str, kind: str, name: Any) -> None:
        """Refuse a missing, malformed or duplicate name; else note who owns it."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise PluginError(
                plugin, f"{kind} name {name!r} must be lower case letters, digits, '_' or '-'"
            )
        owner = self._owners.get((kind, name))
        if owner is not None:
            raise PluginError(plugin, f"{kind} {name!r} is already registered by plugin {owner!r}")
        self._owners[(kind, name)] = plugin

    def _fail(self, info: PluginInfo, message: str) -> None:
        info.errors.append(message)
        warnings.warn(f"paperfuse plugin {info.name}: {message}", PluginWarning, stacklevel=2)

    def rank_oa_locations(self, work: Any, locations: Any) -> Any:
        """Typed call of ``paperfuse_rank_oa_locations`` (first non-None result)."""
        return self.pm.hook.paperfuse_rank_oa_locations(work=work, locations=locations)


def _names(value: str | None) -> frozenset[str]:
    return frozenset(n.strip() for n in (value or "").split(",") if n.strip())
