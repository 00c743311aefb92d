"""The exceptions paperfuse raises.

One root, a small tree::

    PaperfuseError
    ├── ConfigError          bad configuration, names the key
    ├── InvalidIdentifier    text that cannot be an identifier, says why
    ├── PluginError          a plugin that failed to load or register
    └── SourceError          a source failed for a request (carries source, request,
        │                        and retry_after when the service asked for a long pause)
        ├── SourceUnavailable    transport error, timeout, unreachable host, or 5xx after retries
        ├── RateLimited          429 after retries, or the daily budget is spent
        ├── SourceGone           the service has shut down for good (HTTP 410)
        └── BadResponse          a body that cannot be read or decoded, or a redirect refused

Errors never carry secrets: messages and requests are redacted before they
are built (see :func:`paperfuse.redact`).
"""

from __future__ import annotations

__all__ = [
    "BadResponse",
    "ConfigError",
    "InvalidIdentifier",
    "PaperfuseError",
    "PluginError",
    "RateLimited",
    "SourceError",
    "SourceGone",
    "SourceUnavailable",
]


class PaperfuseError(Exception):
    """Root of every paperfuse exception."""


class ConfigError(PaperfuseError):
    """Configuration that paperfuse cannot use; ``key`` names the setting."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"configuration {key}: {message}")


class InvalidIdentifier(PaperfuseError, ValueError):
    """Text that is meant as an identifier but is not a valid one."""

    def __init__(self, reason: str, *, scheme: str | None = None) -> None:
        self.reason = reason
        self.scheme = scheme
        super().__init__(reason)


class PluginError(PaperfuseError):
    """A plugin that failed to load or to register what it offers."""

    def __init__(self, plugin: str, message: str) -> None:
        self.plugin = plugin
        super().__init__(f"plugin {plugin}: {message}")


class SourceError(PaperfuseError):
    """A source failed to answer a request.

    ``source`` is the source's name and ``request`` a short, redacted
    description of what was asked (method and URL, or an identifier).
    ``retry_after`` is the number of seconds the service asked paperfuse to
    wait (a 429's or 503's Retry-After) when that is longer than paperfuse
    waits within a request; None otherwise. The source is then paused
    until that time.
    """

    status = "error"

    def __init__(
        self,
        message: str,
        *,
        source: str = "",
        request: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.source = source
        self.request = request
        self.retry_after = retry_after
        self.message = message
        super().__init__(message)


class SourceUnavailable(SourceError):
    """Transport error, timeout or server error that outlasted the retries."""


class RateLimited(SourceError):
    """The source refused for rate (429) after retries, or the budget is spent."""


class SourceGone(SourceError):
    """The service has shut down for good; paperfuse stops asking it."""

    status = "gone"


class BadResponse(SourceError):
    """A response whose body cannot be read as the source documents it."""
