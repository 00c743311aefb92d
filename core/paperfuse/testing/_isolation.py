"""Isolation: a test sees no user configuration, no stray plugin and no network.

:func:`isolate` (the ``paperfuse_isolated`` fixture) takes out every
``PAPERFUSE_*`` variable, points ``PAPERFUSE_CONFIG`` at an empty file and
the cache at a temporary folder, points every installed source (and doi.org)
at a closed local port, loads only the plugins a test names, and refuses any
HTTP connection from httpx to a host other than loopback: the refusal fails
the test at its end, even when paperfuse reported it as an unreachable host.
"""

from __future__ import annotations

import ipaddress
import os
import warnings
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import stamina

if TYPE_CHECKING:
    from .._plugins import PluginHost

__all__ = [
    "CLOSED_URL",
    "Isolation",
    "env_name",
    "installed_sources",
    "isolate",
    "named_plugins",
    "retries",
    "sources_of",
]

#: A local port where nothing listens: every request to it is refused at once.
CLOSED_URL = "http://127.0.0.1:9"

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_installed: dict[str, tuple[str, ...]] | None = None


def env_name(source: str) -> str:
    """The ``PAPERFUSE_<SOURCE>`` stem of a source's variables (``-`` read as ``_``)."""
    return "PAPERFUSE_" + source.upper().replace("-", "_")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def installed_sources() -> dict[str, tuple[str, ...]]:
    """The sources each installed plugin (entry point) registers, by plugin name.

    Loaded once per process, with plugin warnings silenced (a broken plugin
    is reported by ``paperfuse plugins``, not by every test).
    """
    global _installed
    if _installed is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Past the isolation's guard: what is installed, not what this test allows.
            host = _unguarded_host(entry_points=True, plugins={}, env={})
        _installed = {name: tuple(info.sources) for name, info in host.plugins.items()}
    return _installed


def sources_of(plugins: Mapping[str, object]) -> list[str]:
    """The names of the sources ``plugins`` register (no entry point loaded)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        host = _bare_host(plugins)
    return sorted(host.sources)


def _bare_host(plugins: Mapping[str, object]) -> PluginHost:
    """A PluginHost of ``plugins`` alone, made past the isolation's guard."""
    return _unguarded_host(entry_points=False, plugins=plugins, env={})


def _unguarded_host(**arguments: Any) -> PluginHost:
    """A PluginHost made with ``arguments`` as they are, past the isolation's guard."""
    from .._plugins import PluginHost

    host = PluginHost.__new__(PluginHost)
    init = getattr(PluginHost.__init__, "__wrapped_init__", PluginHost.__init__)
    init(host, **arguments)
    return host


def named_plugins(plugins: Iterable[object] | Mapping[str, object]) -> dict[str, object]:
    """Plugin objects by the name they register under.

    A mapping is taken as it is; a module is named after its import name, and
    any other object after its ``name`` attribute or its class.
    """
    if isinstance(plugins, Mapping):
        return dict(plugins)
    named: dict[str, object] = {}
    for plugin in plugins:
        name = getattr(plugin, "__name__", None) if isinstance(plugin, type(os)) else None
        name = name or getattr(plugin, "name", None) or type(plugin).__name__
        named[str(name)] = plugin
    return named


@contextmanager
def retries(attempts: int) -> Iterator[None]:
    """stamina's testing mode with up to ``attempts`` attempts per request, no back-off.

    The isolation allows one attempt; a test of retries raises it inside
    this block. A Retry-After still holds back the source's next request
    (paperfuse's pacer honours it), so its effect can be seen.
    """
    with stamina.set_testing(True, attempts=attempts, cap=True):
        yield


class Isolation:
    """What :func:`isolate` set up for one test: folders, plugins, refused hosts.

    ``cache_dir`` and ``config_file`` are the test's own; :meth:`use_plugins`
    names the plugins every :class:`~paperfuse.PluginHost` made during the test
    loads (none by default, and no entry point unless ``entry_points`` is set);
    ``refused`` lists the non-loopback URLs httpx was kept from reaching.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, root: Path) -> None:
        self.monkeypatch = monkeypatch
        self.root = root
        self.cache_dir = root / "cache"
        self.config_file = root / "config.toml"
        self.plugins: dict[str, object] = {}
        self.entry_points: bool | frozenset[str] = False
        self.refused: list[str] = []
        self.allowed_hosts: set[str] = set()

    def use_plugins(
        self,
        *plugins: object,
        entry_points: bool | Iterable[str] = False,
        **by_name: object,
    ) -> None:
        """Load only these plugins (modules or objects with hookimpls) from now on.

        Plugins are named after their module (or ``name`` attribute, or class);
        give one mapping of names to plugins, or keywords, to choose the names.
        ``entry_points=True`` loads the installed plugins too; a list of names
        loads only those entry points.
        """
        if len(plugins) == 1 and isinstance(plugins[0], Mapping):
            self.plugins = {**plugins[0], **by_name}
        else:
            self.plugins = {**named_plugins(plugins), **by_name}
        self.entry_points = (
            entry_points if isinstance(entry_points, bool) else frozenset(entry_points)
        )
        self.monkeypatch.setenv("PAPERFUSE_PLUGINS", self._allow_list())
        self._point_sources_at_closed_port()

    def allow_hosts(self, *hosts: str) -> None:
        """Let httpx connect to these hosts too (names as in the URL, lower case).

        For a test that stubs what lies beyond them itself, so that nothing
        leaves the machine: a name look-up made to fail, a transport of its own.
        """
        self.allowed_hosts.update(host.lower() for host in hosts)

    def loaded_sources(self) -> list[str]:
        """The sources a PluginHost of this test registers (named plugins and entry points)."""
        names = set(sources_of(self.plugins))
        for plugin, sources in installed_sources().items():
            if self.entry_points is True or (
                self.entry_points is not False and plugin in self.entry_points
            ):
                names.update(sources)
        return sorted(names)

    def _point_sources_at_closed_port(self) -> None:
        """The safety net behind the guard: a loaded source nobody pointed anywhere
        reaches a closed local port, and so does doi.org's registration-agency look-up.

        Only loaded sources get a variable (settings of a source that is not
        there make paperfuse warn); a URL the test set itself is kept.
        """
        wanted = {f"{env_name(s)}_URL" for s in ("doi", *self.loaded_sources())}
        for name, value in list(os.environ.items()):
            if name.endswith("_URL") and value == CLOSED_URL and name not in wanted:
                self.monkeypatch.delenv(name)
        for name in wanted:
            if name not in os.environ:
                self.monkeypatch.setenv(name, CLOSED_URL)

    def configure(self, settings: Mapping[str, Any]) -> None:
        """Write ``settings`` as the configuration file (``PAPERFUSE_CONFIG``) of the test.

        ``settings`` has the file's shape: ``{"email": ..., "sources": {"crossref":
        {"api_key": ..., "options": {"rows": 5}}}}``; values are text, numbers,
        booleans, lists of them, or tables.
        """
        self.config_file.write_text(to_toml(settings))

    def _allow_list(self) -> str:
        """``PAPERFUSE_PLUGINS`` for a process of its own: the entry points it may load."""
        if self.entry_points is True:
            return ",".join(sorted(_entry_point_names()))
        if self.entry_points is False:
            return ""
        return ",".join(sorted(self.entry_points))

    def environment(self, **extra: str | None) -> dict[str, str]:
        """``os.environ`` as the test sees it, plus ``extra`` (None removes a variable),
        for a ``paperfuse`` process of its own."""
        env = dict(os.environ)
        for key, value in extra.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def check(self) -> None:
        """Fail the test when it tried to reach a host other than loopback."""
        if self.refused:
            shown = ", ".join(dict.fromkeys(self.refused))
            pytest.fail(
                f"the test tried to reach the network ({shown}); point the source at a"
                " local server (paperfuse.testing.FakeUpstream) instead",
                pytrace=False,
            )

    # -- the guards ------------------------------------------------------------------------

    def _guard_network(self) -> None:
        refused = self.refused
        allowed = self.allowed_hosts

        def check(request: httpx.Request) -> None:
            if not is_loopback(request.url.host) and request.url.host.lower() not in allowed:
                refused.append(f"{request.url.scheme}://{request.url.netloc.decode('ascii')}")
                error = ConnectionRefusedError(
                    "paperfuse.testing allows no connection beyond loopback"
                )
                raise httpx.ConnectError(str(error), request=request) from error

        def guarded_async(original: Callable[..., Awaitable[httpx.Response]]) -> Callable[..., Any]:
            async def handle(transport: Any, request: httpx.Request) -> httpx.Response:
                check(request)
                return await original(transport, request)

            handle.__unguarded__ = original  # type: ignore[attr-defined]
            return handle

        def guarded_sync(original: Callable[..., httpx.Response]) -> Callable[..., Any]:
            def handle(transport: Any, request: httpx.Request) -> httpx.Response:
                check(request)
                return original(transport, request)

            handle.__unguarded__ = original  # type: ignore[attr-defined]
            return handle

        def unguarded(method: Any) -> Any:
            """The transport's own method: an isolation made inside another one (a test
            of the kit under an isolated project) replaces the guard rather than stacking."""
            return getattr(method, "__unguarded__", method)

        from .._transport import LazyTransport

        mp = self.monkeypatch
        # The resolver's own transport too: a pool's bulk path (aiohttp) is no httpx
        # transport of httpcore's.
        for transport in (httpx.AsyncHTTPTransport, LazyTransport):
            mp.setattr(
                transport,
                "handle_async_request",
                guarded_async(unguarded(transport.handle_async_request)),
            )
        mp.setattr(
            httpx.HTTPTransport,
            "handle_request",
            guarded_sync(unguarded(httpx.HTTPTransport.handle_request)),
        )

    def _guard_plugins(self) -> None:
        """Make every PluginHost of the test load only the named plugins."""
        from .._plugins import PluginHost

        # The host's own __init__, not the guard of an isolation made before this one.
        original = getattr(PluginHost.__init__, "__wrapped_init__", PluginHost.__init__)
        isolation = self

        def init(
            host: Any,
            *,
            entry_points: bool = True,
            plugins: Mapping[str, object] | None = None,
            env: Mapping[str, str] | None = None,
            **more: Any,
        ) -> None:
            allowed = isolation.entry_points
            given = env
            env = dict(os.environ if env is None else env)
            # An allow-list the caller gives narrows the test's; the one in os.environ
            # is the test's own (a process of its own reads it).
            asked = None if given is None else given.get("PAPERFUSE_PLUGINS")
            if allowed is False:
                entry_points = False
            elif allowed is not True:
                names = set(allowed)
                if asked is not None:
                    names &= {name.strip() for name in asked.split(",")}
                env["PAPERFUSE_PLUGINS"] = ",".join(sorted(names))
            elif given is None:
                env.pop("PAPERFUSE_PLUGINS", None)
            if plugins is None:
                plugins = isolation.plugins
            original(host, entry_points=entry_points, plugins=plugins, env=env, **more)

        init.__wrapped_init__ = original  # type: ignore[attr-defined]
        self.monkeypatch.setattr(PluginHost, "__init__", init)


def to_toml(data: Mapping[str, Any], table: str = "") -> str:
    """``data`` as TOML: scalars and lists first, then each table under its dotted name."""
    lines = [f"[{table}]"] if table else []
    tables = {k: v for k, v in data.items() if isinstance(v, Mapping)}
    for key, value in data.items():
        if key not in tables:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    text = "\n".join(lines) + "\n" if lines else ""
    for key, value in tables.items():
        text += to_toml(value, f"{table}.{_toml_key(key)}" if table else _toml_key(key))
    return text


def _toml_key(key: str) -> str:
    return (
        key if key.replace("-", "").replace("_", "").isalnum() and key.isascii() else _quoted(key)
    )


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a TOML value")


def _quoted(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's, for what JSON emits)."""
    import json

    return json.dumps(text)


def _entry_point_names() -> set[str]:
    from importlib import metadata

    return {ep.name for ep in metadata.entry_points(group="paperfuse")}


def isolate(monkeypatch: pytest.MonkeyPatch, root: Path) -> Isolation:
    """Isolate the running test (undone by ``monkeypatch``); see the module docstring.

    ``root`` is a folder of the test's own (``tmp_path``). Call
    :meth:`Isolation.check` at the end of the test, as the
    ``paperfuse_isolated`` fixture does.
    """
    isolation = Isolation(monkeypatch, root)
    root.mkdir(parents=True, exist_ok=True)
    isolation.cache_dir.mkdir(exist_ok=True)
    isolation.config_file.write_text("# paperfuse.testing: an empty configuration\n")
    for name in list(os.environ):
        if name.startswith("PAPERFUSE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PAPERFUSE_CONFIG", str(isolation.config_file))
    monkeypatch.setenv("PAPERFUSE_CACHE_DIR", str(isolation.cache_dir))
    monkeypatch.setenv("PAPERFUSE_PLUGINS", "")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(root / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(root / "xdg-cache"))
    monkeypatch.setattr("paperfuse._agency.DOI_RA_URL", CLOSED_URL)
    isolation._guard_network()
    isolation._guard_plugins()
    isolation._point_sources_at_closed_port()
    return isolation
