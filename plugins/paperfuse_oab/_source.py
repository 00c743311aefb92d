"""The Open Access Button API as a paperfuse source.

Asks ``/find`` with the identifier the API prefers (DOI, then PMCID, PMID,
URL; titles and citations as searches), and ``/metadata`` when ``/find``
found a free copy but said little about the work. It never calls the write
endpoints (``/request``, ``/ill``, ``/deposit``).

Since November 2025 the public API answers HTTP 410, "permanently shut down".
On 410 the source steps aside for the rest of the run (the resolver reports
it ``gone`` in every result and warns once), and remembers it in the store so
that later runs skip it without asking, until ``gone_ttl`` has passed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from paperfuse import (
    BadResponse,
    Identifier,
    LookupResult,
    Politeness,
    Query,
    Source,
    SourceContext,
    SourceError,
    SourceGone,
    Work,
    redact,
)

from ._mapping import find_answer_to_work, is_find_answer

__all__ = ["OABSource"]

#: How long a 410 is remembered across runs, unless configured (seconds).
GONE_TTL = 7 * 24 * 3600
_MAX_BODY = 4 * 1024 * 1024
#: Queries longer than this go to /metadata in a POST body rather than the URL.
_LONG_QUERY = 1_000


class OABSource(Source):
    """Open Access Button: a free copy and metadata for a DOI, PMCID, PMID, URL or title.

    Options (``[sources.oab.options]``): ``gone_ttl`` (seconds a 410 is
    remembered across runs, default a week; 0 never remembers) and
    ``recheck_gone`` (``true`` asks again now, whatever is remembered).
    An API key, if you have one, goes in ``[sources.oab] api_key`` or
    ``PAPERFUSE_OAB_API_KEY`` and is sent as the ``x-apikey`` header.
    """

    name = "oab"
    schemes = ("doi", "pmcid", "pmid", "url")
    searches_titles = True
    batch_size = 1
    politeness = Politeness(min_interval=1.0, max_concurrency=1)
    base_url = "https://api.openaccessbutton.org"
    description = "Open Access Button: OA links and metadata (DOI, PMCID, PMID, URL, title)"
    #: Its place in the default merge ranking (docs/merge-policy.md).
    role = "open access discovery"

    def __init__(self, context: SourceContext) -> None:
        super().__init__(context)
        self._gone_message: str | None = None

    def _headers(self) -> dict[str, str]:
        key = self.context.settings.api_key
        return {"x-apikey": key} if key else {}

    def _remembered_gone(self) -> str | None:
        """The 410 message of this run, or one a recent run stored and still to be believed."""
        if self._gone_message is not None:
            return self._gone_message
        options = self.context.settings.options
        if options.get("recheck_gone") is True:
            return None
        raw = self.context.store.get("gone")
        if raw is None:
            return None
        try:
            memo = msgspec.json.decode(raw)
            ttl = options.get("gone_ttl", GONE_TTL)
            if time.time() - float(memo["at"]) > float(ttl):
                return None
            when = time.strftime("%Y-%m-%d", time.gmtime(float(memo["at"])))
            return f"{memo['message']} (remembered from {when}; set recheck_gone to ask again)"
        except (msgspec.DecodeError, KeyError, TypeError, ValueError):
            return None

    def _gone(self, message: str) -> SourceGone:
        self._gone_message = message
        ttl = self.context.settings.options.get("gone_ttl", GONE_TTL)
        if ttl:
            self.context.store.put(
                "gone", msgspec.json.encode({"at": time.time(), "message": message})
            )
        return SourceGone(message, source=self.name)

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        remembered = self._remembered_gone()
        if remembered:
            raise SourceGone(remembered, source=self.name)
        results: dict[Identifier, LookupResult] = {}
        for identifier in identifiers:
            try:
                results[identifier] = await self._find({"id": identifier.value})
            except SourceGone:
                raise
            except SourceError as e:
                results[identifier] = e
        return results

    async def search(self, query: Query) -> Sequence[Work]:
        remembered = self._remembered_gone()
        if remembered:
            raise SourceGone(remembered, source=self.name)
        if query.kind == "title":
            params = {"title": query.title or query.text}
        else:
            params = {"citation": query.text}
        work = await self._find(params)
        return [work] if work is not None else []

    async def _find(self, params: dict[str, str]) -> Work | None:
        response = await self.context.client.get(
            f"{self.context.base_url}/find",
            params=params,
            headers=self._headers(),
            max_body=_MAX_BODY,
        )
        data = self._answer(response)
        if data is None:
            return None
        if not is_find_answer(data):
            raise self.context.client.bad_response(response, "not an answer of the find API")
        work = find_answer_to_work(data, self.name)
        if work is None:
            return None  # the service looked and found nothing
        if work.oa_locations and not work.title:
            work = await self._with_metadata(work, params)
        return work

    async def _with_metadata(self, work: Work, params: dict[str, str]) -> Work:
        """``work`` completed from ``/metadata`` (GET, or POST for a long query).

        An answer that cannot be read costs only the metadata: the free copy stays.
        """
        url = f"{self.context.base_url}/metadata"
        query = next(iter(params.values()))
        if len(query) > _LONG_QUERY:
            response = await self.context.client.post(url, json=params, headers=self._headers())
        else:
            response = await self.context.client.get(url, params=params, headers=self._headers())
        try:
            data = self._answer(response)
        except BadResponse:
            return work  # the free copy /find gave stands without its metadata
        if not isinstance(data, dict):
            return work
        metadata = find_answer_to_work({"metadata": data.get("metadata", data)}, self.name)
        if metadata is None:
            return work
        return msgspec.structs.replace(
            metadata, oa_locations=work.oa_locations, ids=_union_ids(metadata, work)
        )

    def _answer(self, response: Any) -> Any:
        """The JSON of a 200, None for 404; the matching error for the rest."""
        status = response.status_code
        if status == 404:
            return None
        if status == 410:
            raise self._gone(f"HTTP 410: {self._message(response)}")
        if status != 200:
            raise self.context.client.bad_response(response, f"HTTP {status}")
        return self.context.client.decode_json(response)

    def _secrets(self) -> list[str | None]:
        return [self.context.settings.api_key, self.context.email]

    def _message(self, response: Any) -> str:
        try:
            data = msgspec.json.decode(response.content)
        except (msgspec.DecodeError, RecursionError):
            data = None
        text = None
        if isinstance(data, dict):
            text = data.get("message") or data.get("error")
        if not isinstance(text, str) or not text.strip():
            text = response.text[:1000] or "the service has shut down"
        return redact(" ".join(text[:1000].split()), self._secrets(), limit=200)


def _union_ids(first: Work, second: Work) -> Any:
    """The identifiers of two partial works of one work, the first's where both know one."""
    fields = {
        f: getattr(first.ids, f) or getattr(second.ids, f)
        for f in ("doi", "arxiv", "arxiv_version", "pmid", "pmcid")
    }
    urls = tuple(dict.fromkeys((*first.ids.urls, *second.ids.urls)))
    return msgspec.structs.replace(first.ids, urls=urls, **fields)
