"""The plugin host: loads plugins one by one and keeps what they register.

Entry points of the ``paperfuse`` group are loaded each inside a guard: a
plugin that fails to import, to register with pluggy, or to answer a
registration hook is reported (``PluginHost.failures``, ``paperfuse plugins``)
and skipped; everything else goes on. There is no global plugin manager: each
:class:`PluginHost` (one per resolver, one per test) has its own. Every hook
is called through pluggy, each plugin's registration hooks on their own, so
that each implementation gets the arguments it names and one plugin's failure
hides nothing of another's.

Names are settled as they are claimed: a third-party plugin's source, scheme
or format takes the name from a built-in one (listed as shadowed); between two
third-party plugins, the first keeps it and the second's registration fails.

Environment switches:

``PAPERFUSE_DISABLED_PLUGINS``
    comma-separated plugin names never loaded: entry-point names, or
    ``distribution:name`` for one of two entry points of the same name.
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata
from typing import Any

import msgspec
import pluggy

from . import hookspecs
from ._bibtex import BibLaTeXFormat, BibTeXFormat
from ._csl import CSLJSONFormat
from ._errors import PluginError
from ._formats import JSONFormat, OutputFormat
from ._identifiers import IdentifierScheme, builtin_schemes
from ._records import OALocation, Work
from ._ris import RISFormat
from ._source import SOURCE_ROLES, Politeness, Source
from ._version import __version__
from ._zotero import ZoteroJSONFormat

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
    #: One line per registration, ``"source crossref"`` -> its ``description``.
    descriptions: dict[str, str] = {}
    #: Registrations of built-in plugins this third-party plugin took the name of
    #: (``"source crossref of plugin crossref"``).
    shadows: list[str] = []
    #: This built-in plugin's registrations that a third-party plugin took the name
    #: of (``"source crossref by plugin paperfuse-crossref"``); not in use.
    shadowed: list[str] = []


class _CoreFormatsAndSchemes:
    """paperfuse's own schemes and formats, registered like any plugin's."""

    @hookspecs.hookimpl
    def paperfuse_register_schemes(self) -> Iterable[IdentifierScheme]:
        return builtin_schemes()

    @hookspecs.hookimpl
    def paperfuse_register_formats(self) -> Iterable[type[OutputFormat]]:
        return (
            JSONFormat,
            BibTeXFormat,
            BibLaTeXFormat,
            RISFormat,
            CSLJSONFormat,
            ZoteroJSONFormat,
        )


class PluginHost:
    """A pluggy plugin manager plus the sources, schemes and formats it yields.

    ``PluginHost()`` loads the entry points of the ``paperfuse`` group;
    ``PluginHost(entry_points=False)`` loads none (for tests and embedding).
    ``plugins`` registers extra plugin objects (modules or instances with
    hook implementations) under their given names, guarded like entry points.
    ``disabled`` names plugins never loaded, as ``PAPERFUSE_DISABLED_PLUGINS``
    does (the configuration's ``disabled_plugins``).
    """

    def __init__(
        self,
        *,
        entry_points: bool = True,
        plugins: Mapping[str, object] | None = None,
        env: Mapping[str, str] | None = None,
        disabled: Iterable[str] = (),
    ) -> None:
        env = os.environ if env is None else env
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self._tracing = env.get("PAPERFUSE_TRACE_HOOKS") == "1"
        if self._tracing:
            self.pm.trace.root.setwriter(sys.stderr.write)
            self.pm.enable_tracing()
        self.plugins: dict[str, PluginInfo] = {}
        self.sources: dict[str, type[Source]] = {}
        self.schemes: dict[str, IdentifierScheme] = {}
        self.formats: dict[str, type[OutputFormat]] = {}
        self._owners: dict[tuple[str, str], str] = {}
        self._distributions: dict[int, tuple[metadata.Distribution, str | None, str | None]] = {}
        #: What the registration hooks are called with (each plugin gets the ones it names).
        self._hook_args: dict[str, object] = {"paperfuse_version": __version__}
        self._disabled = _names(env.get("PAPERFUSE_DISABLED_PLUGINS")) | _names(",".join(disabled))
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
        dist_name, dist_version = self._distribution(dist) if dist else (None, None)
        qualified = f"{_dist_key(dist_name) if dist_name else ep.value}:{ep.name}"
        # Two distributions may name their entry points alike (a "crossref" beside the
        # built-in one): the second is listed, and can be blocked, as "<distribution>:<name>".
        name = qualified if ep.name in self.plugins else ep.name
        info = PluginInfo(name=name, distribution=dist_name, version=dist_version)
        self.plugins[name] = info
        if not ({ep.name, qualified} & self._disabled) and (
            self._allowed is None or {ep.name, qualified} & self._allowed
        ):
            self._load(ep, name, info)
        else:
            info.status = "disabled"

    def _distribution(self, dist: metadata.Distribution) -> tuple[str | None, str | None]:
        """The name and version of ``dist``, its metadata read once for all its entry points
        (every ``name`` or ``version`` reads and parses the file again; paperfuse's own
        distribution brings eight plugins)."""
        known = self._distributions.get(id(dist))
        if known is None or known[0] is not dist:
            meta = dist.metadata
            known = self._distributions[id(dist)] = (dist, meta["Name"], meta["Version"])
        return known[1], known[2]

    def _load(self, ep: metadata.EntryPoint, name: str, info: PluginInfo) -> None:
        try:
            plugin = ep.load()
        except (Exception, SystemExit) as e:  # a broken plugin must not break paperfuse
            info.status = "failed"
            self._fail(info, f"cannot be imported ({ep.value}): {type(e).__name__}: {e}")
            return
        self._add(name, plugin, info)

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
        """Ask plugin ``name`` alone, through pluggy, for what it registers with ``hook``.

        pluggy passes each implementation only the arguments it names, so a
        plugin written before a hook gained an argument keeps working, and
        ``PAPERFUSE_TRACE_HOOKS`` shows the call. Asking one plugin at a time
        keeps a plugin whose hook raises from hiding another's registrations.
        """
        plugin = self.pm.get_plugin(name)
        caller = getattr(self.pm.hook, hook)
        if plugin is None or not any(i.plugin is plugin for i in caller.get_hookimpls()):
            return
        others = [p for p in self.pm.get_plugins() if p is not plugin]
        try:
            answers = self.pm.subset_hook_caller(hook, remove_plugins=others)(**self._hook_args)
            offered = [item for answer in answers for item in (answer or ())]
        except Exception as e:  # one failing hook must not hide the others
            self._fail(info, f"{hook} raised {type(e).__name__}: {e}")
            return
        for item in offered:
            try:
                add(name, info, item)
            except PluginError as e:
                self._fail(info, str(e))

    def _add_source(self, plugin: str, info: PluginInfo, cls: Any) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Source)):
            raise PluginError(plugin, f"{cls!r} is not a paperfuse.Source subclass")
        name = _checked_name(plugin, "source", getattr(cls, "name", None))
        if not isinstance(cls.politeness, Politeness):
            raise PluginError(plugin, f"source {name!r}: politeness must be a paperfuse.Politeness")
        if not isinstance(cls.batch_size, int) or cls.batch_size < 1:
            raise PluginError(plugin, f"source {name!r}: batch_size must be a positive integer")
        if not all(isinstance(s, str) for s in cls.schemes):
            raise PluginError(plugin, f"source {name!r}: schemes must be scheme names")
        if cls.role is not None and cls.role not in SOURCE_ROLES:
            raise PluginError(
                plugin,
                f"source {name!r}: role {cls.role!r} is none of {', '.join(SOURCE_ROLES)}"
                " (or None)",
            )
        if not isinstance(cls.authoritative_for, tuple) or not all(
            isinstance(f, str) for f in cls.authoritative_for
        ):
            raise PluginError(plugin, f"source {name!r}: authoritative_for must be field names")
        if self._claim(plugin, info, "source", name, getattr(cls, "description", "")):
            self.sources[name] = cls

    def _add_scheme(self, plugin: str, info: PluginInfo, scheme: Any) -> None:
        if isinstance(scheme, type) and issubclass(scheme, IdentifierScheme):
            scheme = scheme()
        if not isinstance(scheme, IdentifierScheme):
            raise PluginError(plugin, f"{scheme!r} is not a paperfuse.IdentifierScheme")
        name = _checked_name(plugin, "scheme", getattr(scheme, "name", None))
        if self._claim(plugin, info, "scheme", name, getattr(scheme, "description", "")):
            self.schemes[name] = scheme

    def _add_format(self, plugin: str, info: PluginInfo, cls: Any) -> None:
        if not (isinstance(cls, type) and issubclass(cls, OutputFormat)):
            raise PluginError(plugin, f"{cls!r} is not a paperfuse.OutputFormat subclass")
        name = _checked_name(plugin, "format", getattr(cls, "name", None))
        if self._claim(plugin, info, "format", name, getattr(cls, "description", "")):
            self.formats[name] = cls

    def _claim(self, plugin: str, info: PluginInfo, kind: str, name: str, description: Any) -> bool:
        """Settle who holds ``kind`` ``name``; True when ``plugin``'s registration is used.

        A name not yet held goes to ``plugin``. A third-party plugin takes a
        name from a built-in one (which is then listed as shadowed), and a
        built-in plugin's registration under a name a third-party plugin holds
        is shadowed from the start; between two third-party plugins (or two
        built-in ones) the first keeps the name and the other's registration
        is refused.
        """
        owner = self._owners.get((kind, name))
        if owner is not None:
            held, mine = self._is_builtin(owner), self._is_builtin(plugin)
            if held == mine:
                raise PluginError(
                    plugin, f"{kind} {name!r} is already registered by plugin {owner!r}"
                )
            builtin, third = (owner, plugin) if held else (plugin, owner)
            self.plugins[builtin].shadowed.append(f"{kind} {name} by plugin {third}")
            self.plugins[third].shadows.append(f"{kind} {name} of plugin {builtin}")
            _unlist(self.plugins[builtin], kind, name)
            if not held:
                return False
        self._owners[(kind, name)] = plugin
        getattr(info, f"{kind}s").append(name)
        if isinstance(description, str) and description:
            info.descriptions[f"{kind} {name}"] = description
        return True

    def _is_builtin(self, plugin: str) -> bool:
        """Whether ``plugin`` comes with paperfuse (its core, or its own distribution)."""
        info = self.plugins[plugin]
        return info.builtin or (info.distribution or "").lower() == "paperfuse"

    def _fail(self, info: PluginInfo, message: str) -> None:
        info.errors.append(message)
        warnings.warn(f"paperfuse plugin {info.name}: {message}", PluginWarning, stacklevel=2)

    def rank_oa_locations(
        self, work: Work, locations: Sequence[OALocation]
    ) -> Sequence[OALocation] | None:
        """Typed call of ``paperfuse_rank_oa_locations`` (first non-None result)."""
        caller = self.pm.hook.paperfuse_rank_oa_locations
        if not self._tracing and not caller.get_hookimpls():
            return None  # what the call gives when no plugin ranks; asked for every record
        ranked: Sequence[OALocation] | None = caller(work=work, locations=locations)
        return ranked


def _checked_name(plugin: str, kind: str, name: Any) -> str:
    """``name`` when it is a well-formed registration name; else a PluginError."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise PluginError(
            plugin, f"{kind} name {name!r} must be lower case letters, digits, '_' or '-'"
        )
    return name


def _unlist(info: PluginInfo, kind: str, name: str) -> None:
    """Take ``kind`` ``name`` off what ``info``'s plugin is listed as registering."""
    names: list[str] = getattr(info, f"{kind}s")
    if name in names:
        names.remove(name)
    info.descriptions.pop(f"{kind} {name}", None)


def _names(value: str | None) -> frozenset[str]:
    """Plugin names of a comma-separated list; in ``<distribution>:<name>``, the
    distribution's name is compared as pip does (case and ``-``/``_``/``.`` alike)."""
    names = (n.strip() for n in (value or "").split(","))
    return frozenset(_qualified_key(n) for n in names if n)


def _qualified_key(name: str) -> str:
    dist, sep, entry = name.rpartition(":")
    return f"{_dist_key(dist)}:{entry}" if sep else name


def _dist_key(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()
