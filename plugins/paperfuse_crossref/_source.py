"""Crossref's REST API as a paperfuse source: DOIs in batches, bibliographic search,
and politeness that follows what the service says of itself."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from paperfuse import (
    Config,
    Identifier,
    LookupResult,
    Politeness,
    Query,
    RateLimited,
    Source,
    SourceContext,
    SourceError,
    SourceSettings,
    SourceUnavailable,
    Work,
    in_turns,
)

__all__ = ["CrossrefSource"]

log = logging.getLogger("paperfuse")

#: Largest body read: a page of full works with their reference lists.
_MAX_BODY = 32 * 1024 * 1024
#: The polite pool's interval (10 requests a second) and connections (3), for callers
#: who give a contact email or a Metadata Plus token; configuration may set others.
POLITE_INTERVAL = 0.1
POLITE_CONCURRENCY = 3
#: Longest interval the rate-limit headers may impose between two requests: a
#: header that asks for more (or a broken one) must not stall a run for hours.
MAX_HEADER_INTERVAL = 10.0
#: Most characters of the ``filter`` parameter of one batch, so that the URL stays
#: well under the 4,000 characters proxies and servers are known to accept.
MAX_FILTER_LENGTH = 3_000
#: Most characters of a citation sent as ``query.bibliographic``.
MAX_QUERY_LENGTH = 1_000
DEFAULT_ROWS = 5
#: ``x-rate-limit-interval``: a number and a unit ("1s", "500ms", "1m").
_INTERVAL = re.compile(r"^\s*([0-9]{1,6}(?:\.[0-9]{1,6})?)\s*(ms|s|m|h)?\s*$", re.IGNORECASE)
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
#: Failures that say the service wants fewer requests: the rest of the call is not asked.
_BACK_OFF = (RateLimited, SourceUnavailable)


class CrossrefSource(Source):
    """Crossref: the metadata of record of Crossref DOIs, their relations and updates.

    DOIs registered with another agency (DataCite, mEDRA...) are answered not
    found without a request. Options (``[sources.crossref.options]``): ``rows``,
    the number of candidates a bibliographic search asks for (default 5).
    """

    name = "crossref"
    schemes = ("doi",)
    searches_titles = True
    batch_size = 40
    #: The public pool's limits (5 requests a second, one at a time); with a contact
    #: email or a Plus token, the polite pool's (see :meth:`politeness_for`).
    politeness = Politeness(min_interval=0.2, max_concurrency=1)
    base_url = "https://api.crossref.org"
    #: Another agency's DOI is answered without a request, at no interval.
    paced_by_requests = True
    description = "Crossref REST API: metadata of record, relations and updates of Crossref DOIs"
    #: Its place in the default merge ranking (docs/merge-policy.md).
    role = "registration agency"

    def __init__(self, context: SourceContext) -> None:
        super().__init__(context)
        settings = context.settings
        self._token = settings.api_key
        try:
            self._pacer: Any = context.client.pacer
        except RuntimeError:  # created without a client (as some tests do): nothing to pace
            self._pacer = None
        self._floor = context.politeness.min_interval

    @classmethod
    def politeness_for(cls, config: Config, settings: SourceSettings) -> Politeness:
        """The polite pool (10 requests a second, 3 at a time) for callers who give a
        contact email or a Metadata Plus token; the public pool otherwise."""
        if config.email or settings.api_key:
            return Politeness(min_interval=POLITE_INTERVAL, max_concurrency=POLITE_CONCURRENCY)
        return cls.politeness

    # -- requests ----------------------------------------------------------------------

    def _params(self, **params: str) -> dict[str, str]:
        if self.context.email:
            params["mailto"] = self.context.email
        return params

    def _headers(self) -> dict[str, str]:
        return {"Crossref-Plus-API-Token": f"Bearer {self._token}"} if self._token else {}

    async def _get(self, url: str, params: dict[str, str]) -> Any:
        response = await self.context.client.get(
            url, params=params, headers=self._headers(), max_body=_MAX_BODY
        )
        self._follow_rate_limit(response)
        return response

    def _follow_rate_limit(self, response: Any) -> None:
        """Slow down to what ``x-rate-limit-limit`` per ``x-rate-limit-interval`` allow.

        Never faster than the configured (or default) interval, never slower than
        :data:`MAX_HEADER_INTERVAL`; headers that cannot be read change nothing.
        """
        if self._pacer is None:
            return
        limit_text = response.headers.get("x-rate-limit-limit", "").strip()
        interval = _INTERVAL.match(response.headers.get("x-rate-limit-interval", ""))
        if not (limit_text.isascii() and limit_text.isdigit() and len(limit_text) <= 9):
            return
        limit = int(limit_text)
        if not limit or interval is None:
            return
        seconds = float(interval.group(1)) * _UNITS[(interval.group(2) or "s").lower()]
        wanted = min(max(self._floor, seconds / limit), max(self._floor, MAX_HEADER_INTERVAL))
        if wanted != self._pacer.min_interval:
            log.debug(
                "source %s: %s requests per %s s, one every %.3f s",
                self.name,
                limit,
                f"{seconds:g}",
                wanted,
            )
            self._pacer.min_interval = wanted

    # -- lookups ---------------------------------------------------------------------------

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        results: dict[Identifier, LookupResult] = {}
        asked: list[Identifier] = []
        agencies = await asyncio.gather(
            *(self.context.registration_agency(i.value) for i in identifiers)
        )
        for identifier, agency in zip(identifiers, agencies, strict=True):
            if agency is not None and agency != "crossref":
                results[identifier] = None  # another agency's DOI: Crossref does not hold it
            else:
                asked.append(identifier)
        singles = [i for i in asked if "," in i.value]  # a comma would split the filter
        batchable = [i for i in asked if "," not in i.value]
        stop: SourceError | None = None
        for chunk in self._chunks(batchable):
            if len(chunk) == 1:
                singles += chunk
                continue
            try:
                found = await self._batch([i.value for i in chunk])
            except SourceError as e:
                results.update(dict.fromkeys(chunk, e))
                if isinstance(e, _BACK_OFF):
                    stop = e
                    break
                continue
            for identifier in chunk:
                if identifier.value in found:
                    results[identifier] = found[identifier.value]
                else:
                    singles.append(identifier)  # not in the list: an alias, or not there
        for identifier in singles:
            if stop is not None:
                results[identifier] = stop
                continue
            try:
                results[identifier] = await self._single(identifier.value)
            except SourceError as e:
                results[identifier] = e
                if isinstance(e, _BACK_OFF):
                    stop = e
        for identifier in asked:
            if identifier not in results and stop is not None:
                results[identifier] = stop
        return results

    @staticmethod
    def _chunks(identifiers: list[Identifier]) -> list[list[Identifier]]:
        """The identifiers in batches whose ``filter`` stays within :data:`MAX_FILTER_LENGTH`."""
        chunks: list[list[Identifier]] = []
        current: list[Identifier] = []
        length = 0
        for identifier in identifiers:
            size = len(quote(f"doi:{identifier.value}", safe="")) + 3  # and an encoded comma
            if current and length + size > MAX_FILTER_LENGTH:
                chunks.append(current)
                current, length = [], 0
            current.append(identifier)
            length += size
        if current:
            chunks.append(current)
        return chunks

    async def _batch(self, dois: list[str]) -> dict[str, Work]:
        """The works of several DOIs from one ``/works?filter=doi:...`` request, by DOI."""
        from ._mapping import work_to_record

        params = self._params(filter=",".join(f"doi:{d}" for d in dois), rows=str(len(dois)))
        response = await self._get(f"{self.context.base_url}/works", params)
        found: dict[str, Work] = {}
        async for item in in_turns(self._items(response), every=8):
            work = work_to_record(item, self.name)
            if work is not None and work.ids.doi:
                found[work.ids.doi] = work
        return found

    async def _single(self, doi: str) -> Work | None:
        from ._mapping import work_to_record

        url = f"{self.context.base_url}/works/{quote(doi, safe='/')}"
        response = await self._get(url, self._params())
        if response.status_code == 404:
            return None  # "Resource not found." (plain text)
        data = self._json(response)
        message = data.get("message") if isinstance(data, dict) else None
        work = work_to_record(message, self.name)
        if work is None:
            raise self.context.client.bad_response(response, "not a Crossref work")
        return work

    # -- search ----------------------------------------------------------------------------

    async def search(self, query: Query) -> Sequence[Work]:
        from ._mapping import work_to_record

        text = query.search_text(MAX_QUERY_LENGTH)
        if not text:
            return ()
        params = self._params(**{"query.bibliographic": text, "rows": str(self._rows())})
        response = await self._get(f"{self.context.base_url}/works", params)
        works = (work_to_record(item, self.name) for item in self._items(response))
        return [work for work in works if work is not None]

    def _rows(self) -> int:
        return self.context.settings.int_option("rows", DEFAULT_ROWS, high=1000)

    # -- answers ----------------------------------------------------------------------------

    def _items(self, response: Any) -> list[Any]:
        """The ``message.items`` of a list answer; a bad response when there are none."""
        data = self._json(response)
        message = data.get("message") if isinstance(data, dict) else None
        items = message.get("items") if isinstance(message, dict) else None
        if not isinstance(items, list):
            raise self.context.client.bad_response(response, "not a Crossref list of works")
        return items

    def _json(self, response: Any) -> Any:
        """The JSON body of a 200 answer; an attributed error for anything else."""
        if response.status_code != 200:
            raise self.context.client.bad_response(response, f"HTTP {response.status_code}")
        return self.context.client.decode_json(response)
