"""Landing pages as a paperfuse source: fetched safely, their embedded metadata read."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import paperfuse
from paperfuse import (
    BadResponse,
    Identifier,
    LookupResult,
    Politeness,
    Source,
    SourceContext,
    SourceError,
    SourceUnavailable,
    Work,
    identify,
)

if TYPE_CHECKING:  # the HTTP stack, the guard and the page reader load on first use
    from urllib.robotparser import RobotFileParser

    import httpx

__all__ = ["HTML_ONLY", "HTML_TYPES", "WebSource"]

#: The content types read as pages; anything else is refused before its body is read.
HTML_TYPES = ("text/html", "application/xhtml+xml")
#: The request extension that tells the transport to refuse anything but HTML.
HTML_ONLY = "paperfuse_web.html_only"
#: Default options (``[sources.web.options]``).
DEFAULT_HOST_INTERVAL = 1.0
#: Longest ``host_interval`` taken (a larger or mistyped one gives the default).
MAX_HOST_INTERVAL = 3600.0
DEFAULT_MAX_PAGE_BYTES = 2 * 1024 * 1024
#: What is read of a robots.txt (RFC 9309 asks parsers to read at least 500 KiB).
MAX_ROBOTS_BYTES = 512 * 1024
#: The product token robots.txt rules name paperfuse by.
ROBOTS_AGENT = "paperfuse"
_ALLOW_HINT = (
    "; paperfuse fetches no page on this machine or a private network"
    " (set allow_private_addresses = true under [sources.web.options] to allow it)"
)


def _without_userinfo(url: str) -> str:
    """``url`` without a user name or password, which are never shown."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class WebSource(Source):
    """A publisher's or repository's landing page, read for the metadata it embeds.

    Asked only with URLs that name no DOI, arXiv id, PMID or PMCID (those go
    to the sources of their identifiers). Options (``[sources.web.options]``):
    ``host_interval`` (seconds between two requests to one host, default 1),
    ``max_page_bytes`` (default 2 MiB), ``allow_private_addresses`` (default
    false). With a URL set (``PAPERFUSE_WEB_URL``), every page is asked of that
    gateway as ``{url}/{page URL}`` (a Wayback Machine root, a fetching proxy of
    one's own) instead of its own host.
    """

    name = "web"
    schemes = ("url",)
    batch_size = 1
    politeness = Politeness(min_interval=0.0, max_concurrency=4)
    base_url = None
    description = (
        "landing pages: Highwire citation_*, Dublin Core, PRISM, JSON-LD, Open Graph and COinS"
    )

    def __init__(self, context: SourceContext) -> None:
        super().__init__(context)
        options = context.settings.options
        self.allow_private = options.get("allow_private_addresses") is True
        interval = options.get("host_interval", DEFAULT_HOST_INTERVAL)
        valid = isinstance(interval, (int, float)) and not isinstance(interval, bool)
        valid = valid and 0 <= interval <= MAX_HOST_INTERVAL  # NaN is not in range either
        self.host_interval = float(interval) if valid else DEFAULT_HOST_INTERVAL
        self.max_page_bytes = context.settings.int_option(
            "max_page_bytes", DEFAULT_MAX_PAGE_BYTES, low=1024
        )
        self.gateway = context.base_url
        self._fetcher: paperfuse.SourceClient | None = None
        self._http: httpx.AsyncClient | None = None
        self._robots: dict[str, RobotFileParser | str] = {}
        self._robots_turns: dict[str, asyncio.Lock] = {}

    # -- the client ---------------------------------------------------------------------------

    @property
    def fetcher(self) -> paperfuse.SourceClient:
        """paperfuse's polite client (the source's pacer, retries, caps) over a guarded
        connection: made on first use, inside the resolver's event loop."""
        if self._fetcher is None:
            from ._client import guarded_client

            polite = self.context.client
            self._http = guarded_client(
                gateway=self.gateway,
                allow_private=self.allow_private,
                host_interval=0.0 if self.gateway else self.host_interval,
            )
            self._fetcher = paperfuse.SourceClient(
                name=self.name,
                http=self._http,
                pacer=polite.pacer,
                secrets=polite.secrets,
                attempts=polite.attempts,
                timeout=polite.timeout,
                max_body=self.max_page_bytes,
            )
        return self._fetcher

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    # -- look-ups -----------------------------------------------------------------------------

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        results: dict[Identifier, LookupResult] = {}
        for identifier in identifiers:
            try:
                results[identifier] = await self._page(identifier.value)
            except SourceError as e:
                results[identifier] = e
        return results

    def _error(self, message: str, url: str, kind: type[SourceError] = SourceError) -> SourceError:
        return kind(message, source=self.name, request=f"GET {_without_userinfo(url)}")

    async def _page(self, url: str) -> Work | None:
        """The work of the page at ``url``; None when the URL names an identifier or the
        page is not there."""
        if any(i.scheme != "url" for i in identify(url).identifiers):
            return None  # a DOI, arXiv, PubMed or PMC URL: their sources answer it
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None:
            raise self._error("refused: a URL with a user name or password is not fetched", url)
        self._check_literal_host(parts.hostname or "", url)
        import httpx

        from ._client import NotHTML
        from ._guard import AddressRefused

        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as e:
            raise self._error(f"not a URL paperfuse can fetch ({e})", url) from None
        try:
            if self.gateway:
                response = await self._get(f"{self.gateway}/{url}", html=True)
            else:
                await self._check_robots(target, url)
                response = await self._get(url, html=True)
        except AddressRefused as e:
            hint = _ALLOW_HINT if "address" in str(e) else ""
            raise self._error(f"refused: {e}{hint}", url) from None
        except NotHTML as e:
            raise self._error(f"not an HTML page (Content-Type: {e})", url, BadResponse) from None
        status = response.status_code
        if status in (404, 410):
            return None
        if status != 200:
            raise self.fetcher.bad_response(response, f"HTTP {status}")
        return self._work(response, url)

    def _check_literal_host(self, host: str, url: str) -> None:
        """Refuse at once a host written as a non-public IP address (no look-up needed);
        names are checked where the connection is made, after they resolve."""
        from ._guard import odd_ipv4_form, refusal

        if odd_ipv4_form(host):
            raise self._error(f"refused: {host} is an IPv4 address written in an unusual form", url)
        if self.allow_private:
            return
        try:
            address = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            return
        why = refusal(address)
        if why:
            raise self._error(f"refused: {host} is {why}{_ALLOW_HINT}", url)

    async def _get(self, url: str, *, html: bool, max_body: int | None = None) -> httpx.Response:
        accept = "text/html,application/xhtml+xml;q=0.9" if html else "text/plain"
        return await self.fetcher.get(
            url,
            headers={"Accept": accept},
            extensions={HTML_ONLY: html},
            max_body=max_body,
        )

    def _work(self, response: httpx.Response, url: str) -> Work:
        """The page's work, read from the answer's body."""
        body = response.content
        if not body.strip():
            raise self.fetcher.bad_response(response, "an empty page")
        charset = response.charset_encoding
        from ._page import read_page
        from ._record import to_work

        try:
            page = read_page(body, url, charset)
        except ValueError as e:
            raise self.fetcher.bad_response(response, str(e)) from None
        work = to_work(page, self.name)
        if work is None:
            raise self.fetcher.bad_response(
                response,
                "no scholarly metadata on the page (no citation_*, Dublin Core, PRISM,"
                " JSON-LD, Open Graph article or COinS title or identifier)",
            )
        return work

    # -- robots.txt ---------------------------------------------------------------------------

    async def _check_robots(self, target: httpx.URL, url: str) -> None:
        """Raise when the host's robots.txt does not allow paperfuse to fetch ``target``.

        Read once per host and run (RFC 9309): a 4xx answer allows everything,
        a robots.txt that cannot be read (5xx, unreachable) allows nothing.
        """
        origin = f"{target.scheme}://{target.netloc.decode('ascii')}"
        async with self._robots_turns.setdefault(origin, asyncio.Lock()):
            if origin not in self._robots:
                try:
                    self._robots[origin] = await self._read_robots(origin)
                except SourceUnavailable as e:  # the host itself cannot be reached
                    raise self._error(e.message, url, SourceUnavailable) from None
        rules = self._robots[origin]
        if isinstance(rules, str):
            raise self._error(rules, url)
        if not rules.can_fetch(ROBOTS_AGENT, str(target)):
            raise self._error(
                f"robots.txt of {target.host} does not allow paperfuse to fetch"
                f" {target.raw_path.decode('ascii')}",
                url,
            )

    async def _read_robots(self, origin: str) -> RobotFileParser | str:
        """The rules of ``origin``'s robots.txt, or why nothing may be fetched there."""
        from urllib.robotparser import RobotFileParser

        rules = RobotFileParser()
        try:
            response = await self._get(
                f"{origin}/robots.txt", html=False, max_body=MAX_ROBOTS_BYTES
            )
        except SourceError as e:
            if isinstance(e, SourceUnavailable) and not e.message.startswith("HTTP "):
                raise  # no answer at all (unreachable, timed out): not robots.txt's doing
            why = e.message
            return f"robots.txt of {origin} cannot be read ({why}), so nothing is fetched there"
        status = response.status_code
        if status == 200:
            rules.parse(response.content.decode("utf-8", "replace").splitlines())
        elif 400 <= status < 500:
            rules.parse([])  # no robots.txt: everything is allowed
        else:
            return f"robots.txt of {origin} answered HTTP {status}, so nothing is fetched there"
        return rules
