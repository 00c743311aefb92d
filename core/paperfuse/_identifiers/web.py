"""Web addresses in identifiers: which are usable, and which host and path they name."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

from .base import has_whitespace

__all__ = [
    "DEFAULT_PORTS",
    "PDF_SUFFIX_RE",
    "URL_SCHEME_RE",
    "HostPaths",
    "host_is",
    "id_in_url",
    "valid_host",
    "web_address",
]

URL_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_HOST_RE = re.compile(r"(?:[\w-]+\.)+[\w-]+|localhost")
_BARE_HOST_RE = re.compile(r"(?:www\.)?[\w-]+(?:\.[\w-]+)+/")
DEFAULT_PORTS = {"http": 80, "https": 443}
#: Web hosts that serve one scheme's records, each with the path pattern whose
#: group 1 is the id.
HostPaths = tuple[tuple[str, re.Pattern[str]], ...]
PDF_SUFFIX_RE = re.compile(r"\.pdf$", re.IGNORECASE)


def valid_host(host: str) -> bool:
    """Whether ``host`` (lower case, no brackets) can name a web server."""
    return _HOST_RE.fullmatch(host) is not None or ":" in host  # ":" only in IPv6 literals


def web_address(text: str, *, bare_host: bool = False) -> SplitResult | None:
    """``text`` split as an http(s) URL, or None when it is not a usable one.

    With ``bare_host``, ``host.example/path`` without a scheme counts too
    (people paste ``pubmed.ncbi.nlm.nih.gov/123/``). Never raises: schemes that
    only look for their hosts have nothing to say about a broken URL.
    """
    if has_whitespace(text):
        return None
    match = URL_SCHEME_RE.match(text)
    if match is None:
        if not (bare_host and _BARE_HOST_RE.match(text)):
            return None
        text = "https://" + text
    elif match.group(1).lower() not in DEFAULT_PORTS:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if not parts.hostname or not valid_host(parts.hostname):
        return None
    return parts


def host_is(parts: SplitResult, *domains: str) -> bool:
    """Whether the URL's host is one of ``domains`` or a subdomain of one."""
    host = parts.hostname or ""
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def id_in_url(text: str, paths: HostPaths) -> str | None:
    """The id that one of ``paths`` (host, path pattern) finds in the URL ``text``."""
    parts = web_address(text, bare_host=True)
    if parts is None:
        return None
    for host, pattern in paths:
        if host_is(parts, host):
            match = pattern.fullmatch(parts.path)
            if match is not None:
                return match.group(1)
    return None
