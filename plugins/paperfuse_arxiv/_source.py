"""The arXiv query API as a paperfuse source.

Id lookups go in batches of up to 2,000 ids per request (POST when the id list
is long), title and citation queries become ``search_query`` searches, and
every request keeps the documented politeness: one request every 3 seconds,
on one connection.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from paperfuse import (
    BadResponse,
    Identifier,
    LookupResult,
    Politeness,
    Query,
    Source,
    SourceError,
    Work,
    redact,
)

from ._query import search_query

if TYPE_CHECKING:
    from ._atom import Feed

__all__ = ["ArxivSource"]

#: The API's own cap on results of one query.
MAX_RESULTS = 30_000
#: Past this length, an id list goes in a POST body rather than the URL.
_LONG_QUERY = 1_500
#: Largest feed paperfuse reads (2,000 entries take about 8 MB).
_MAX_FEED_BYTES = 48 * 1024 * 1024


class ArxivSource(Source):
    """arXiv's query API: metadata and a green OA copy of every arXiv paper.

    Options (``[sources.arxiv.options]``): ``empty_feed_retries`` (default 2)
    asks again when the API answers a whole batch of ids with an empty feed,
    a known quirk of the service; ``search_results`` (default 10) is how many
    candidates a title search fetches.
    """

    name = "arxiv"
    schemes = ("arxiv",)
    searches_titles = True
    batch_size = 2_000
    # A request costs 3 s of the rate limit: a partial batch waits (up to 30 s)
    # for the ids that other sources are still revealing.
    politeness = Politeness(min_interval=3.0, max_concurrency=1, max_linger=30.0)
    base_url = "https://export.arxiv.org"
    description = "arXiv query API: preprint metadata and a green OA copy"
    #: Its place in the default merge ranking (docs/merge-policy.md).
    role = "preprint server"
    #: What only the preprint server documents (comments, categories, versions), and
    #: the author's own abstract where PubMed has none.
    authoritative_for = (
        "abstract",
        "comment",
        "journal_ref",
        "primary_category",
        "updated",
        "ids.arxiv",
        "ids.arxiv_version",
    )

    @property
    def _endpoint(self) -> str:
        return f"{self.context.base_url}/api/query"

    def _option(self, key: str, default: int) -> int:
        value = self.context.settings.options.get(key, default)
        return value if isinstance(value, int) and value >= 0 else default

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        results: dict[Identifier, LookupResult] = {}
        await self._lookup(list(identifiers), results)
        return results

    async def _lookup(
        self, batch: list[Identifier], results: dict[Identifier, LookupResult]
    ) -> None:
        """Look up ``batch``; when the API refuses a request, set its culprits aside and go on.

        An error that names ids of the request gives those ids the API's
        message, and the rest is asked again. One that names none is searched
        by halving the request, breadth first: when both halves are refused
        with the same message, it speaks of the request rather than of an id,
        and every id of it gets the message. However the API answers, a batch
        costs at most ``2 * log2(n) + 1`` requests, enough to find one culprit
        by halving; ids left when they are spent get the API's last message.
        """
        budget = 2 * len(batch).bit_length() + 1
        groups: deque[list[list[Identifier]]] = deque([[batch]])
        message = ""
        while groups:
            group = groups.popleft()
            refused: list[tuple[list[Identifier], str]] = []
            for part in group:
                if budget <= 0:
                    refused.append((part, message))
                    continue
                budget -= 1
                feed = await self._ask(part)
                if not feed.errors:
                    results.update(_match_entries(part, feed.works))
                    continue
                message = feed.errors[0].message
                culprits = [i for i in part if message.endswith(f" {_id_text(i)}")]
                if not culprits:
                    refused.append((part, message))
                    continue
                for identifier in culprits:
                    results[identifier] = BadResponse(f"arXiv API: {message}", source=self.name)
                rest = [i for i in part if i not in culprits]
                if rest:
                    groups.append([rest])
            alike = len(refused) == len(group) == 2 and refused[0][1] == refused[1][1]
            for part, said in refused:
                if alike or len(part) == 1 or budget < 2:
                    self._refuse(part, said, results)
                else:
                    middle = len(part) // 2
                    groups.append([part[:middle], part[middle:]])

    def _refuse(
        self, part: list[Identifier], message: str, results: dict[Identifier, LookupResult]
    ) -> None:
        """Give every id of ``part`` the API's ``message`` about a request that held it."""
        if len(part) > 1:
            message = f"{message} (said of a request for {len(part)} ids, naming none of them)"
        error = BadResponse(f"arXiv API: {message}", source=self.name)
        for identifier in part:
            results[identifier] = error

    async def _ask(self, batch: list[Identifier]) -> Feed:
        """The feed for ``batch``, asked again when the API answers a known quirk."""
        feed = await self._fetch_ids(batch)
        for _ in range(self._option("empty_feed_retries", 2)):
            if feed.works or feed.errors:
                break
            feed = await self._fetch_ids(batch)  # the quirk: an empty feed for ids that exist
        return feed

    async def _fetch_ids(self, batch: list[Identifier]) -> Feed:
        id_list = ",".join(_id_text(i) for i in batch)
        params = {"id_list": id_list, "start": "0", "max_results": str(len(batch))}
        return await self._fetch(params, post=len(id_list) > _LONG_QUERY)

    async def search(self, query: Query) -> Sequence[Work]:
        wanted = min(self._option("search_results", 10), MAX_RESULTS)
        for phrase in (True, False):
            text = search_query(query, phrase=phrase)
            if text is None:
                return ()
            works = await self._search_pages(text, wanted)
            if works:
                return works
        return ()

    async def _search_pages(self, text: str, wanted: int) -> list[Work]:
        """Up to ``wanted`` results of one search, page by page, never past 30,000."""
        works: list[Work] = []
        start = 0
        page = min(wanted, 2_000) or 1
        while len(works) < wanted and start < MAX_RESULTS:
            size = min(page, wanted - len(works), MAX_RESULTS - start)
            params = {
                "search_query": text,
                "start": str(start),
                "max_results": str(size),
                "sortBy": "relevance",
                "sortOrder": "descending",
            }
            feed = await self._fetch(params, post=False)
            if feed.errors:
                raise BadResponse(f"arXiv API: {feed.errors[0].message}", source=self.name)
            works.extend(feed.works)
            start += size
            if not feed.works or feed.total is None or start >= feed.total:
                break
        return works

    async def _fetch(self, params: dict[str, str], *, post: bool) -> Feed:
        from ._atom import read_feed

        client = self.context.client
        kwargs: dict[str, Any] = {"data": params} if post else {"params": params}
        response = await client.request(
            "POST" if post else "GET", self._endpoint, max_body=_MAX_FEED_BYTES, **kwargs
        )
        described = client.describe(response.request.method, response.request.url)
        if response.status_code not in (200, 400):
            raise BadResponse(
                f"HTTP {response.status_code}: {_excerpt(response.text, client.secrets)!r}",
                source=self.name,
                request=described,
            )
        try:
            return await read_feed(response.content)
        except SourceError as e:
            raise BadResponse(
                f"HTTP {response.status_code}, {e.message}", source=self.name, request=described
            ) from None


def _id_text(identifier: Identifier) -> str:
    version = f"v{identifier.version}" if identifier.version is not None else ""
    return f"{identifier.value}{version}"


def _match_entries(
    batch: Sequence[Identifier], works: Sequence[Work]
) -> dict[Identifier, LookupResult]:
    """Each asked id with its entry: the asked version, or the latest when none was asked."""
    by_id: dict[str, list[Work]] = {}
    for work in works:
        if work.ids.arxiv:
            by_id.setdefault(work.ids.arxiv, []).append(work)
    found: dict[Identifier, LookupResult] = {}
    for identifier in batch:
        entries = by_id.get(identifier.value, [])
        if identifier.version is not None:
            entries = [w for w in entries if w.ids.arxiv_version in (identifier.version, None)]
        if entries:
            found[identifier] = max(entries, key=lambda w: w.ids.arxiv_version or 0)
        else:
            found[identifier] = None
    return found


def _excerpt(text: str, secrets: tuple[str, ...]) -> str:
    """The start of a body, safe to show: secrets masked before it is cut."""
    return redact(" ".join(text[:1000].split()), secrets, limit=120)
