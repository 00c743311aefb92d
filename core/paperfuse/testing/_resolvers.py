"""The resolver factory: a Resolver of named plugins at local URLs, fast and closed after.

Every source it makes has no politeness interval and no lingering, so a test
runs as fast as its local server answers; stamina's testing mode (set by the
isolation) takes the back-off out of retries; doi.org's registration-agency
look-up goes to a closed local port unless a URL is given for ``doi``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from .._config import Config, SourceSettings
from .._plugins import PluginHost
from .._resolver import Resolver
from ._isolation import CLOSED_URL, _bare_host, named_plugins

__all__ = ["ResolverFactory", "make_resolver"]

#: Settings every source of a test resolver gets unless the test says otherwise.
FAST = {"min_interval": 0.0, "max_linger": 0.0}


def _settings(given: SourceSettings | Mapping[str, Any] | None, url: str | None) -> SourceSettings:
    """``given`` with the test defaults filled in where it leaves them unset."""
    if isinstance(given, SourceSettings):
        data = msgspec.structs.asdict(given)
        data = {k: v for k, v in data.items() if v is not None}
    else:
        data = dict(given or {})
    for key, value in FAST.items():
        data.setdefault(key, value)
    if url is not None:
        data["url"] = url
    data.setdefault("url", CLOSED_URL)
    return msgspec.convert(data, SourceSettings)


def make_resolver(
    *plugins: object,
    urls: Mapping[str, str] | None = None,
    email: str | None = None,
    settings: Mapping[str, SourceSettings | Mapping[str, Any]] | None = None,
    entry_points: bool = False,
    cache_dir: str | Path | None = None,
    **config: Any,
) -> Resolver:
    """A :class:`~paperfuse.Resolver` with only ``plugins`` (modules or objects with hookimpls).

    ``urls`` maps source names (and ``doi``, for doi.org's agency look-up) to
    the local server each asks; a source not given one asks a closed local
    port. ``settings`` maps source names to their settings (a
    :class:`~paperfuse.SourceSettings` or a dict such as ``{"api_key": ...}``);
    every source gets ``min_interval=0`` and ``max_linger=0`` unless its
    settings say otherwise. ``email`` is the contact email; ``config`` any
    other :class:`~paperfuse.Config` field (``max_rounds``, ``timeout``...).
    Use it in a ``with`` block, or let the ``paperfuse_resolver`` fixture
    close it.
    """
    if len(plugins) == 1 and isinstance(plugins[0], Mapping):
        named = dict(plugins[0])
    else:
        named = named_plugins(plugins)
    host = _host(named, entry_points)
    urls = dict(urls or {})
    settings = dict(settings or {})
    unknown = sorted((set(urls) | set(settings)) - set(host.sources) - {"doi"})
    if unknown:
        raise ValueError(
            f"no loaded source is named {', '.join(map(repr, unknown))}"
            f" (sources: {', '.join(sorted(host.sources)) or 'none'})"
        )
    sources = {
        name: _settings(settings.get(name), urls.get(name)) for name in (*host.sources, "doi")
    }
    cfg = Config(
        email=email,
        cache_dir=None if cache_dir is None else str(cache_dir),
        sources=sources,
        **config,
    )
    return Resolver(cfg, host=host)


def _host(plugins: Mapping[str, object], entry_points: bool) -> PluginHost:
    """The plugin host of a test resolver: ``plugins``, and entry points if asked."""
    if entry_points:
        return PluginHost(entry_points=True, plugins=plugins, env={})
    return _bare_host(plugins)


class ResolverFactory:
    """:func:`make_resolver` that remembers what it made and closes it all at the end.

    The ``paperfuse_resolver`` fixture is one: ``paperfuse_resolver(plugin,
    urls={"mysource": upstream.url})``. Resolvers share the test's cache
    folder unless given their own ``cache_dir``, so a second resolver of the
    same test answers from what the first cached.
    """

    def __init__(self, cache_dir: str | Path | None = None) -> None:
        self.cache_dir = cache_dir
        self.made: list[Resolver] = []

    def __call__(self, *plugins: object, **kwargs: Any) -> Resolver:
        kwargs.setdefault("cache_dir", self.cache_dir)
        resolver = make_resolver(*plugins, **kwargs)
        self.made.append(resolver)
        return resolver

    def close(self) -> None:
        """Close every resolver made (closing twice is harmless)."""
        errors: list[BaseException] = []
        for resolver in self.made:
            try:
                resolver.close()
            except Exception as e:  # close the others before reporting it
                errors.append(e)
        self.made.clear()
        if errors:
            raise errors[0]
