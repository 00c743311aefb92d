"""Web addresses (http and https) that no other scheme claims: the fallback scheme."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from .._errors import InvalidIdentifier
from .._records import Identifier
from .base import FinderScheme, explicit_rest, has_whitespace, shown
from .web import DEFAULT_PORTS, URL_SCHEME_RE, valid_host

__all__ = ["UrlScheme"]

_URL_PREFIX_RE = re.compile(r"url\s*:\s*", re.IGNORECASE)


def _normalized_url(text: str) -> str:
    """The http(s) URL ``text`` with scheme and host in lower case, without fragment.

    Also drops a default port and gives an empty path its ``/``. Raises
    :class:`InvalidIdentifier` for a URL with no usable host or port.
    """
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidIdentifier(
            f"{shown(text)!r} is not a valid URL: {exc}", scheme="url"
        ) from None
    host = parts.hostname or ""
    if not valid_host(host):
        raise InvalidIdentifier(
            f"{shown(text)!r} is not a valid URL: bad host {shown(host)!r}", scheme="url"
        )
    scheme = parts.scheme.lower()
    userinfo, at, _ = parts.netloc.rpartition("@")
    netloc = userinfo + at + (f"[{host}]" if ":" in host else host)
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _find_url(text: str) -> Identifier | None:
    """The http(s) URL ``text`` (optionally after ``url:``) is, normalised."""
    rest = explicit_rest(_URL_PREFIX_RE, text)
    target = text if rest is None else rest
    match = URL_SCHEME_RE.match(target)
    if match is None:
        if rest is not None:
            raise InvalidIdentifier("'url:' is followed by no http(s) URL", scheme="url")
        return None
    if has_whitespace(target):
        return None
    if match.group(1).lower() not in DEFAULT_PORTS:
        raise InvalidIdentifier(
            f"only http and https URLs are supported, not {shown(match.group(1))}:", scheme="url"
        )
    return Identifier(scheme="url", value=_normalized_url(target))


class UrlScheme(FinderScheme):
    """Web addresses (http and https only) that no other scheme claims.

    A fallback: a URL that names a DOI, arXiv, PubMed or PMC record becomes
    that identifier instead; a publisher's page with a DOI in its address
    gives both the DOI and the URL. Normalised with scheme and host in lower
    case, without fragment or default port.
    """

    name = "url"
    description = "any other http(s) URL, when no other scheme claims it"
    noun = "an http(s) URL"
    fallback = True
    _find = staticmethod(_find_url)

    def url(self, identifier: Identifier) -> str | None:
        return identifier.value
