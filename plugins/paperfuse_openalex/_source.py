"""OpenAlex's REST API as a paperfuse source, its calls planned by what they cost.

A look-up of one work (``/works/{id}``) is free; a list (``/works?filter=``)
costs $0.0001 and answers up to 100 DOIs, PMIDs or PMCIDs at once; a search
costs $0.001. The plan: identifiers of one kind are asked in lists (the fewest
calls) while the day's priced spend stays within the configured allowance,
and one by one (free) once a list would pass it; a search past the allowance
is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import msgspec

from paperfuse import (
    Budget,
    Identifier,
    LookupResult,
    Politeness,
    Query,
    RateLimited,
    Source,
    SourceContext,
    SourceError,
    SourceUnavailable,
    Work,
    in_turns,
)

from ._cost import LIST_PRICE, SEARCH_PRICE, SINGLE_PRICE, Ledger, answer_cost, dollars
from ._mapping import to_work

__all__ = ["OpenAlexSource"]

log = logging.getLogger("paperfuse")

_KEY_HELP = (
    "OpenAlex requires an API key (since February 2026): get a free one at"
    " https://openalex.org/settings/api and set PAPERFUSE_OPENALEX_API_KEY, or api_key"
    " under [sources.openalex] in the configuration file (see docs/configuration.md)"
)
#: Largest body read: a page of 100 full works.
_MAX_BODY = 32 * 1024 * 1024
#: Most values OR-ed in one filter, and most results of one page (OpenAlex's caps).
MAX_LIST = 100
#: Most characters of one ``filter`` value, so that the URL stays well within what
#: servers and proxies accept.
MAX_FILTER_LENGTH = 3_500
#: The free allowance of an API key, in USD a day (configurable: ``daily_allowance``).
DEFAULT_ALLOWANCE = 1.0
#: Fewest identifiers worth a priced list rather than free look-ups (``min_list``).
DEFAULT_MIN_LIST = 2
DEFAULT_ROWS = 5
MAX_QUERY_LENGTH = 1_000
#: The schemes a list can ask for, by their filter's name.
_LIST_FILTERS = {"doi": "doi", "pmid": "pmid", "pmcid": "pmcid"}
#: Schemes whose misses in a list are asked again alone (free): OpenAlex writes PMCIDs
#: without ``PMC`` and has refused PMID lists (ourresearch/OpenAlex issue 8), so a
#: miss in such a list is not proof that OpenAlex lacks the work. A DOI missing from
#: a DOI list is not there.
_RECHECKED = frozenset({"pmid", "pmcid"})
#: Failures that say the service wants fewer requests: the rest of the call is not asked.
_BACK_OFF = (RateLimited, SourceUnavailable)
#: A page of works as it is first read: its members undecoded. Decoded whole, a page of
#: 100 works (~2 MB) holds the interpreter for 15-80 ms, during which no other request of
#: the run is sent or read; decoded work by work, between turns of the event loop, it
#: holds it for well under a millisecond at a time.
_PAGE = dict[str, msgspec.Raw]
_WORKS = list[msgspec.Raw]


class OpenAlexSource(Source):
    """OpenAlex: any work by its OpenAlex id, DOI, PMID, PMCID or MAG id, with every
    location, authorships with institutions, funders and the retraction flag.

    Settings: ``api_key`` (required). Options (``[sources.openalex.options]``):
    ``daily_allowance`` (USD a day that priced calls may spend, default 1.0, the
    free allowance), ``min_list`` (fewest identifiers asked in one priced list,
    default 2), ``rows`` (candidates a search asks for, default 5).
    """

    name = "openalex"
    schemes = ("openalex", "doi", "pmid", "pmcid", "mag")
    searches_titles = True
    batch_size = MAX_LIST
    #: OpenAlex allows 100 requests a second; paperfuse asks at half of that.
    politeness = Politeness(min_interval=0.02, max_concurrency=4, max_linger=1.0)
    base_url = "https://api.openalex.org"
    description = "OpenAlex: works by any id (W-ids, DOI, PMID, PMCID, MAG), locations, search"
    #: Its place in the default merge ranking (docs/merge-policy.md).
    role = "aggregator"

    def __init__(self, context: SourceContext) -> None:
        super().__init__(context)
        try:
            store: Any = context.store
        except RuntimeError:  # created without a store (as some tests do): count in memory
            store = None
        self.ledger = Ledger(store, self._allowance(), self.name)
        self._told_spent = False

    # -- settings ----------------------------------------------------------------------------

    def _allowance(self) -> float:
        value = self.context.settings.options.get("daily_allowance", DEFAULT_ALLOWANCE)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            return DEFAULT_ALLOWANCE
        return min(float(value), 1e6)

    def unavailable_reason(self) -> str | None:
        return None if self.context.settings.api_key else _KEY_HELP

    def budget(self) -> Budget:
        """The day's allowance for priced calls, in USD, and what is left of it."""
        return Budget(limit=self.ledger.allowance, left=self.ledger.left(), unit="USD")

    def _params(self, **params: str) -> dict[str, str]:
        params["api_key"] = self.context.settings.api_key or ""
        if self.context.email:
            params["mailto"] = self.context.email
        return params

    # -- lookups -----------------------------------------------------------------------------

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        results: dict[Identifier, LookupResult] = {}
        singles: list[Identifier] = []
        lists: dict[str, list[Identifier]] = {}
        for identifier in identifiers:
            if identifier.scheme in _LIST_FILTERS and not set(identifier.value) & set("|,"):
                lists.setdefault(identifier.scheme, []).append(identifier)
            else:
                singles.append(identifier)
        stop: SourceError | None = None
        min_list = self.context.settings.int_option("min_list", DEFAULT_MIN_LIST, high=MAX_LIST)
        for scheme, asked in lists.items():
            for chunk in _chunks(asked):
                if stop is not None or len(chunk) < min_list:
                    singles += chunk
                    continue
                if not self.ledger.reserve(LIST_PRICE):
                    self._tell_spent()
                    singles += chunk
                    continue
                try:
                    found = await self._list(scheme, chunk)
                except SourceError as e:
                    results.update(dict.fromkeys(chunk, e))
                    if isinstance(e, _BACK_OFF):
                        stop = e
                    continue
                if found is None:  # the service refused the filter: ask one by one
                    singles += chunk
                    continue
                for identifier in chunk:
                    if identifier.value in found:
                        results[identifier] = found[identifier.value]
                    elif scheme in _RECHECKED:
                        singles.append(identifier)  # the filter may miss it: ask it alone
                    else:
                        results[identifier] = None
        for identifier in singles:
            if stop is not None:
                results[identifier] = stop
                continue
            try:
                results[identifier] = await self._single(identifier)
            except SourceError as e:
                results[identifier] = e
                if isinstance(e, _BACK_OFF):
                    stop = e
        return results

    def _tell_spent(self) -> None:
        """Say once a run that priced lists have given way to free look-ups."""
        if not self._told_spent:
            self._told_spent = True
            log.warning(
                "source %s: the daily allowance of %s leaves no room for priced lists;"
                " asking one work at a time (free) until 00:00 UTC",
                self.name,
                dollars(self.ledger.allowance),
            )

    async def _list(self, scheme: str, chunk: list[Identifier]) -> dict[str, Work] | None:
        """The works of one ``/works?filter=<scheme>:a|b|...`` page, by the value asked;
        None when the service refuses the filter (HTTP 400), which costs nothing."""
        values = "|".join(i.value for i in chunk)
        params = self._params(filter=f"{_LIST_FILTERS[scheme]}:{values}", per_page=str(len(chunk)))
        try:
            response = await self.context.client.get(
                f"{self.context.base_url}/works", params=params, max_body=_MAX_BODY
            )
        except SourceError:
            self.ledger.release(LIST_PRICE)
            raise
        results = self._priced_page(response, LIST_PRICE)
        if results is None:  # the service refused the filter (HTTP 400)
            return None
        found: dict[str, Work] = {}
        async for item in in_turns(results, every=8):  # a list of 100 is ~25 ms of mapping
            work = to_work(self.context.client.decode_json(response, part=item), self.name)
            if work is None:
                continue
            key = {"doi": work.ids.doi, "pmid": work.ids.pmid, "pmcid": work.ids.pmcid}[scheme]
            if key:
                found.setdefault(key, work)
        return found

    async def _single(self, identifier: Identifier) -> Work | None:
        key = identifier.value if identifier.scheme == "openalex" else str(identifier)
        url = f"{self.context.base_url}/works/{quote(key, safe=':/')}"
        response = await self.context.client.get(url, params=self._params(), max_body=_MAX_BODY)
        self.ledger.settle(0.0, answer_cost(None, response.headers, SINGLE_PRICE), response.headers)
        if response.status_code == 404:
            return None  # an HTML page (2026) or JSON: either way, not there
        work = to_work(self._json(response), self.name)
        if work is None:
            raise self.context.client.bad_response(response, "not an OpenAlex work")
        return work

    # -- search ------------------------------------------------------------------------------

    async def search(self, query: Query) -> Sequence[Work]:
        text = query.search_text(MAX_QUERY_LENGTH)
        if not text:
            return ()
        if not self.ledger.reserve(SEARCH_PRICE):
            raise RateLimited(
                f"daily allowance of {dollars(self.ledger.allowance)} is spent (a search"
                f" costs {dollars(SEARCH_PRICE)}); asking again after 00:00 UTC",
                source=self.name,
                request=self.context.client.describe("GET", f"{self.context.base_url}/works"),
            )
        rows = self.context.settings.int_option("rows", DEFAULT_ROWS, high=MAX_LIST)
        try:
            response = await self.context.client.get(
                f"{self.context.base_url}/works",
                params=self._params(search=text, per_page=str(rows)),
                max_body=_MAX_BODY,
            )
        except SourceError:
            self.ledger.release(SEARCH_PRICE)
            raise
        results = self._priced_page(response, SEARCH_PRICE)
        if results is None:
            raise self.context.client.bad_response(response, "HTTP 400")
        decode = self.context.client.decode_json
        works = (to_work(decode(response, part=item), self.name) for item in results)
        return [work for work in works if work is not None]

    # -- answers -----------------------------------------------------------------------------

    def _priced_page(self, response: Any, price: float) -> list[msgspec.Raw] | None:
        """The works of a priced call's answer, each undecoded (:data:`_PAGE`), its cost
        counted in place of the ``price`` reserved for it; None for a 400 (a refused
        request costs only what its headers say). Any other failure is counted the same
        way, then raised."""
        headers = response.headers
        if response.status_code != 200:
            self.ledger.settle(price, answer_cost(None, headers, 0.0), headers)
            if response.status_code == 400:
                return None
            raise self.context.client.bad_response(response, f"HTTP {response.status_code}")
        decode = self.context.client.decode_json
        try:
            page = decode(response, _PAGE)
            meta = decode(response, part=page["meta"]) if "meta" in page else None
        except SourceError:
            self.ledger.settle(price, answer_cost(None, headers, price), headers)
            raise
        self.ledger.settle(price, answer_cost({"meta": meta}, headers, price), headers)
        works = "an OpenAlex list of works"
        results: list[msgspec.Raw] | None = decode(
            response, _WORKS | None, part=page.get("results", b"null"), expected=works
        )
        if results is None:
            raise self.context.client.bad_response(response, f"not {works}")
        return results

    def _json(self, response: Any) -> Any:
        """The JSON body of a 200 answer; an attributed error for anything else."""
        if response.status_code != 200:
            raise self.context.client.bad_response(response, f"HTTP {response.status_code}")
        return self.context.client.decode_json(response)


def _chunks(identifiers: list[Identifier]) -> list[list[Identifier]]:
    """Lists of at most :data:`MAX_LIST` identifiers whose filter stays within
    :data:`MAX_FILTER_LENGTH` characters once encoded."""
    chunks: list[list[Identifier]] = []
    current: list[Identifier] = []
    length = 0
    for identifier in identifiers:
        size = len(quote(identifier.value, safe="")) + 3  # and an encoded "|"
        if current and (len(current) >= MAX_LIST or length + size > MAX_FILTER_LENGTH):
            chunks.append(current)
            current, length = [], 0
        current.append(identifier)
        length += size
    if current:
        chunks.append(current)
    return chunks
