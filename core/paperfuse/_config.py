"""Configuration: one place, read from a TOML file and the environment.

Precedence, lowest first: built-in defaults, the TOML file (``PAPERFUSE_CONFIG``
or ``config.toml`` in the platform's user config folder), environment
variables, then keyword arguments given to :func:`load_config`. Every bad
value raises :class:`ConfigError` naming its key; secret values (the contact
email, API keys) never appear in messages or in ``repr``.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec

from ._errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["Config", "SourceSettings", "config_path", "load_config"]

_ENV_PREFIX = "PAPERFUSE_"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SourceSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Settings of one source; ``None`` means the source's documented default.

    ``url`` is the scheme, host and port (and optional path prefix) of the
    service, to which the source appends its documented paths.
    """

    url: str | None = None
    enabled: bool = True
    api_key: str | None = None
    min_interval: float | None = None
    max_concurrency: int | None = None
    daily_budget: int | None = None
    max_linger: float | None = None
    timeout: float | None = None
    call_timeout: float | None = None
    max_failures: int | None = None
    options: dict[str, Any] = {}

    def int_option(self, key: str, default: int, *, low: int = 1, high: int | None = None) -> int:
        """Option ``key`` when it is a whole number (not a bool) from ``low`` to ``high``,
        else ``default``: a mistyped or out-of-range setting never reaches a request."""
        value = self.options.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            return default
        return value if low <= value and (high is None or value <= high) else default

    def __repr__(self) -> str:
        shown = {f: getattr(self, f) for f in self.__struct_fields__ if f != "api_key"}
        if self.api_key:
            shown["api_key"] = "***"
        return f"SourceSettings({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


class Config(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything a :class:`~paperfuse.Resolver` is configured with."""

    email: str | None = None
    cache_dir: str | None = None
    use_cache: bool = True
    refresh: bool = False
    cache_ttl: float = 30 * 86400.0
    cache_ttl_not_found: float = 86400.0
    max_rounds: int = 3
    timeout: float = 30.0
    call_timeout: float = 300.0
    window: int = 2_000
    oa_ranking: str | None = None
    #: Plugins never loaded (entry-point names, or ``distribution:name``), besides
    #: those of ``PAPERFUSE_DISABLED_PLUGINS``.
    disabled_plugins: list[str] = []
    sources: dict[str, SourceSettings] = {}
    merge: dict[str, list[str]] = {}
    #: Sources whose settings came from ``PAPERFUSE_<SOURCE>_*`` variables alone: an
    #: environment shared by several tools may name sources not installed here, so
    #: those are warned about where others are refused (see :meth:`check_sources`).
    sources_from_environment: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        email = "***" if self.email else None
        return (
            f"Config(email={email!r}, cache_dir={self.cache_dir!r}, use_cache={self.use_cache!r}, "
            f"refresh={self.refresh!r}, cache_ttl={self.cache_ttl!r}, "
            f"cache_ttl_not_found={self.cache_ttl_not_found!r}, "
            f"max_rounds={self.max_rounds!r}, timeout={self.timeout!r}, "
            f"call_timeout={self.call_timeout!r}, window={self.window!r}, "
            f"oa_ranking={self.oa_ranking!r}, disabled_plugins={self.disabled_plugins!r}, "
            f"sources={self.sources!r}, merge={self.merge!r})"
        )

    def check_sources(self, installed: Collection[str]) -> list[str]:
        """Refuse settings of a source that no installed plugin registers (a typo).

        ``installed`` names the sources there are (and those of plugins that
        are disabled or failed to load, whose settings are kept for them).
        Sources named in ``[merge]`` rankings are checked the same way.
        Raises :class:`ConfigError` naming the key and the nearest installed
        name; returns warnings for names that came from the environment only.
        """
        warnings = []
        # A hyphen in a source's name is written "_" in an environment variable's.
        known = {*installed, *(n.replace("-", "_") for n in installed)}
        for name in sorted(set(self.sources) - known):
            nearest = difflib.get_close_matches(name, sorted(installed), n=1)
            problem = f"no installed source is named {name!r}"
            if nearest:
                problem += f"; did you mean {nearest[0]!r}?"
            problem += f" (sources: {', '.join(sorted(installed)) or 'none'})"
            if name not in self.sources_from_environment:
                raise ConfigError(f"sources.{name}", problem)
            warnings.append(f"{_env_prefix(name)}_*: {problem}; these settings are not used")
        for field, ranked in sorted(self.merge.items()):
            for name in ranked:
                if name not in installed:
                    nearest = difflib.get_close_matches(name, sorted(installed), n=1)
                    hint = f"; did you mean {nearest[0]!r}?" if nearest else ""
                    raise ConfigError(
                        f"merge.{field}", f"no installed source is named {name!r}{hint}"
                    )
        return warnings

    def source(self, name: str, aliases: Iterable[str] = ()) -> SourceSettings:
        """The settings of source ``name`` (defaults when none were given).

        Settings given under one of ``aliases`` (the source's
        :attr:`~paperfuse.Source.settings_aliases`) fill what ``name``'s leave
        unset; a source disabled under any of its names is disabled, and
        ``options`` are combined with ``name``'s winning. For a name with a
        hyphen, what is set under its spelling with ``_`` (as
        ``PAPERFUSE_<NAME>_*`` variables must write it) wins key by key, as
        the environment wins over the file.
        """
        settings = self.sources.get(name, _DEFAULT_SOURCE)
        spelled = name.replace("-", "_")
        if spelled != name and spelled in self.sources:
            settings = _overlay(settings, self.sources[spelled])
        for alias in aliases:
            other = self.sources.get(alias)
            if other is None:
                continue
            changes: dict[str, Any] = {
                field: getattr(other, field)
                for field in SourceSettings.__struct_fields__
                if getattr(settings, field) is None
            }
            changes["enabled"] = settings.enabled and other.enabled
            changes["options"] = {**other.options, **settings.options}
            settings = msgspec.structs.replace(settings, **changes)
        return settings

    @property
    def secrets(self) -> tuple[str, ...]:
        """The values that must never appear in output, logs or errors."""
        found = [self.email] + [s.api_key for s in self.sources.values()]
        return tuple(s for s in found if s)


_DEFAULT_SOURCE = SourceSettings()


def _overlay(base: SourceSettings, over: SourceSettings) -> SourceSettings:
    """``base`` with every field that ``over`` sets taken from ``over``."""
    changes: dict[str, Any] = {
        field: getattr(over, field)
        for field in SourceSettings.__struct_fields__
        if field not in ("enabled", "options") and getattr(over, field) is not None
    }
    changes["enabled"] = base.enabled and over.enabled
    changes["options"] = {**base.options, **over.options}
    return msgspec.structs.replace(base, **changes)


def _env_prefix(source: str) -> str:
    """``PAPERFUSE_<SOURCE>``: the source's name in upper case, a hyphen written ``_``."""
    return f"{_ENV_PREFIX}{source.upper().replace('-', '_')}"


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """The TOML file paperfuse reads: ``PAPERFUSE_CONFIG`` or the user config folder's."""
    env = os.environ if env is None else env
    if env.get("PAPERFUSE_CONFIG"):
        return Path(env["PAPERFUSE_CONFIG"])
    import platformdirs

    return platformdirs.user_config_path("paperfuse") / "config.toml"


def load_config(env: Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """Read the configuration from the TOML file, the environment and ``overrides``.

    ``env`` defaults to ``os.environ``. Raises :class:`ConfigError` naming
    the key of the first bad value.
    """
    env = os.environ if env is None else env
    data = _read_toml(config_path(env), explicit=bool(env.get("PAPERFUSE_CONFIG")))
    from_file = set(data.get("sources") or {}) if isinstance(data.get("sources"), dict) else set()
    _apply_env(data, env)
    for key, value in overrides.items():
        if value is not None:
            data[key] = value
    config = _convert(data)
    _check(config)
    from_environment = frozenset(
        set(config.sources) - from_file - set(overrides.get("sources") or {})
    )
    return msgspec.structs.replace(config, sources_from_environment=from_environment)


def _read_toml(path: Path, *, explicit: bool) -> dict[str, Any]:
    if not path.is_file():
        if explicit:
            raise ConfigError("PAPERFUSE_CONFIG", f"no such file: {path}")
        return {}
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(str(path), f"cannot read the TOML file: {e}") from None


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> None:
    """Fold ``PAPERFUSE_*`` variables into the TOML data."""
    if env.get("PAPERFUSE_EMAIL"):
        data["email"] = env["PAPERFUSE_EMAIL"].strip()
    if env.get("PAPERFUSE_CACHE_DIR"):
        data["cache_dir"] = env["PAPERFUSE_CACHE_DIR"]
    sources = data.setdefault("sources", {})
    if not isinstance(sources, dict):
        return  # reported by _convert with the key's name
    per_source = {"_URL": ("url", str), "_API_KEY": ("api_key", str)}
    per_source |= {"_MIN_INTERVAL": ("min_interval", float)}
    per_source |= {"_MAX_CONCURRENCY": ("max_concurrency", int)}
    for var, raw in env.items():
        if not var.startswith(_ENV_PREFIX):
            continue
        for suffix, (key, kind) in per_source.items():
            if var.endswith(suffix) and len(var) > len(_ENV_PREFIX) + len(suffix):
                name = var[len(_ENV_PREFIX) : -len(suffix)].lower()
                try:
                    value = kind(raw)
                except ValueError:
                    raise ConfigError(var, f"expected a number, got {raw!r}") from None
                sources.setdefault(name, {})[key] = value
                break


def _convert(data: dict[str, Any]) -> Config:
    sources = data.pop("sources", {}) or {}
    if not isinstance(sources, dict):
        raise ConfigError("sources", "expected a table of sources")
    converted = {}
    for name, table in sources.items():
        converted[name] = _convert_part(table, SourceSettings, f"sources.{name}")
    merge = data.pop("merge", {}) or {}
    if not isinstance(merge, dict):
        raise ConfigError("merge", "expected a table of field = [sources, best first]")
    rankings = {f: _convert_part(r, list[str], f"merge.{f}") for f, r in merge.items()}
    config = _convert_part(data, Config, "")
    return msgspec.structs.replace(config, sources=converted, merge=rankings)


def _convert_part(data: Any, kind: type[Any], prefix: str) -> Any:
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as e:
        message = str(e)
        match = re.search(r"unknown field `([^`]+)`", message)
        where = re.search(r" - at `\$\.?([^`]*)`", message)
        if match:
            key, message = match.group(1), "unknown setting"
        else:
            key = where.group(1) if where else ""
            message = message.split(" - at ")[0]
        key = ".".join(p for p in (prefix, key) if p) or "configuration"
        raise ConfigError(key, message) from None


def _merge_fields() -> list[str]:
    """The names ``[merge]`` may rank: ``default``, a record field, ``ids.<scheme>``."""
    from ._records import Ids, Work

    fields = [f for f in Work.__struct_fields__ if f != "ids"]
    return ["default", *fields, *(f"ids.{f}" for f in Ids.__struct_fields__)]


def _check(config: Config) -> None:
    if config.email is not None and not _EMAIL.match(config.email):
        raise ConfigError("email (PAPERFUSE_EMAIL)", "does not look like an email address")
    if config.max_rounds < 1:
        raise ConfigError("max_rounds", "must be at least 1")
    for key in ("timeout", "call_timeout", "cache_ttl", "cache_ttl_not_found"):
        if getattr(config, key) <= 0:
            raise ConfigError(key, "must be positive")
    if config.window < 1:
        raise ConfigError("window", "must be at least 1")
    if config.merge:
        known = _merge_fields()
        for field in config.merge:
            if field not in known:
                nearest = difflib.get_close_matches(field, known, n=1)
                hint = f"; did you mean {nearest[0]!r}?" if nearest else ""
                raise ConfigError(f"merge.{field}", f"no record field is named {field!r}{hint}")
    for name, settings in config.sources.items():
        key = f"sources.{name}"
        if settings.url is not None:
            parts = urlsplit(settings.url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(
                    f"{key}.url ({_env_prefix(name)}_URL)",
                    f"expected an http(s) URL such as http://127.0.0.1:8080, got {settings.url!r}",
                )
        for field in ("min_interval", "max_linger", "timeout", "call_timeout"):
            value = getattr(settings, field)
            if value is not None and value < 0:
                raise ConfigError(f"{key}.{field}", "must not be negative")
        for field in ("max_concurrency", "daily_budget", "max_failures"):
            value = getattr(settings, field)
            if value is not None and value < 1:
                raise ConfigError(f"{key}.{field}", "must be at least 1")
