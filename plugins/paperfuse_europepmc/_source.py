"""Europe PMC's REST search as a paperfuse source: PMIDs, PMCIDs and DOIs OR-ed into
one query per batch of up to 200 (cursorMark paging; a long query is POSTed to
``searchPOST``, which takes the same parameters in a form body), and title and
citation search."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from paperfuse import (
    Identifier,
    LookupResult,
    Politeness,
    Query,
    Source,
    SourceError,
    Work,
    in_turns,
)

from ._mapping import result_to_record

__all__ = ["EuropePMCSource", "query_term"]

SEARCH_PATH = "/webservices/rest/search"
#: The same search taking its parameters in a form body: for queries too long for a URL.
SEARCH_POST_PATH = "/webservices/rest/searchPOST"
#: Largest body read: a page of core results with their abstracts and MeSH headings.
_MAX_BODY = 32 * 1024 * 1024
#: Past this many characters of URL-encoded query, a batch is POSTed rather than put in
#: the URL, which should stay well under the 4,000 characters proxies are known to accept.
MAX_URL_QUERY = 3_000
#: Most characters of a title or citation sent as a search.
MAX_SEARCH_LENGTH = 1_000
#: Europe PMC's largest page.
MAX_PAGE_SIZE = 1_000
#: Most pages read for one batch: the asked ids are found on the first page unless
#: many records share a DOI; a cursor that never ends must not hold a run.
MAX_PAGES = 5
DEFAULT_ROWS = 5
#: Europe PMC's record sources, the most useful record of a work first (PubMed, then
#: PMC, then preprints): a DOI or PMCID may name records from several.
_SOURCE_ORDER = {"MED": 0, "PMC": 1, "PPR": 2}


def query_term(identifier: Identifier) -> str | None:
    """The Europe PMC query that finds one identifier; None when it cannot be one.

    A PMID is an ``EXT_ID`` of the ``MED`` (PubMed) source, a PMCID a ``PMCID``, a DOI
    a quoted ``DOI`` phrase (quotes and backslashes in it escaped).
    """
    value = identifier.value
    if identifier.scheme == "pmid":
        return f"(EXT_ID:{value} AND SRC:MED)" if value.isascii() and value.isdigit() else None
    if identifier.scheme == "pmcid":
        digits = value.upper().removeprefix("PMC")
        return f"PMCID:PMC{digits}" if digits.isascii() and digits.isdigit() else None
    if identifier.scheme == "doi":
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'DOI:"{escaped}"'
    return None


def _key(identifier: Identifier) -> tuple[str, str]:
    value = identifier.value
    return (identifier.scheme, value.upper() if identifier.scheme == "pmcid" else value.lower())


class EuropePMCSource(Source):
    """Europe PMC: PubMed, PMC and preprint records by PMID, PMCID or DOI, and search.

    Options (``[sources.europepmc.options]``): ``rows``, the number of candidates
    a title or citation search asks for (default 5).
    """

    name = "europepmc"
    schemes = ("pmid", "pmcid", "doi")
    searches_titles = True
    #: 200 ids a query: a page of 1,000 results holds them even when some DOIs name
    #: several records, and 1,000 PMIDs cost 5 requests.
    batch_size = 200
    #: Europe PMC asks for reasonable use and publishes no figure: 10 requests a
    #: second, 3 at a time, is well within what its own clients do.
    politeness = Politeness(min_interval=0.1, max_concurrency=3)
    base_url = "https://www.ebi.ac.uk/europepmc"
    description = "Europe PMC: PubMed, PMC and preprints by PMID, PMCID or DOI, with free full text"
    #: Its place in the default merge ranking (docs/merge-policy.md).
    role = "aggregator"
    #: Next to PubMed, whose records it carries: PubMed's identifiers and publication types.
    authoritative_for = ("ids.pmid", "ids.pmcid", "publication_types")

    # -- requests ----------------------------------------------------------------------

    def _params(self, query: str, page_size: int, cursor: str = "*") -> dict[str, str]:
        """The search parameters. The contact email is not among them: it goes in the
        User-Agent of every request, as for every source, which is all Europe PMC's
        terms ask of a client."""
        return {
            "query": query,
            "resultType": "core",
            "format": "json",
            "pageSize": str(page_size),
            "cursorMark": cursor,
        }

    async def _page(self, params: dict[str, str]) -> tuple[list[Any], str | None]:
        """One page of results and the next page's cursor (None at the end).

        A query longer than :data:`MAX_URL_QUERY` URL-encoded characters goes to
        ``searchPOST`` in a form body; the answer is the same.
        """
        client = self.context.client
        if len(quote(params["query"], safe="")) > MAX_URL_QUERY:
            url = f"{self.context.base_url}{SEARCH_POST_PATH}"
            response = await client.post(url, data=params, max_body=_MAX_BODY)
        else:
            url = f"{self.context.base_url}{SEARCH_PATH}"
            response = await client.get(url, params=params, max_body=_MAX_BODY)
        data = self._json(response)
        results = data.get("resultList") if isinstance(data, dict) else None
        items = results.get("result") if isinstance(results, dict) else None
        if not isinstance(items, list):
            raise self.context.client.bad_response(response, "not a Europe PMC result list")
        cursor = data.get("nextCursorMark")
        return items, (cursor if isinstance(cursor, str) and cursor else None)

    # -- look-ups ----------------------------------------------------------------------

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        results: dict[Identifier, LookupResult] = {}
        terms: dict[Identifier, str] = {}
        for identifier in identifiers:
            term = query_term(identifier)
            if term is None:
                results[identifier] = None  # no query can find it
            else:
                terms[identifier] = term
        if not terms:
            return results
        chunk = list(terms)
        try:
            found = await self._batch(chunk, list(terms.values()))
        except SourceError as e:
            return results | dict.fromkeys(chunk, e)
        for identifier in chunk:
            results[identifier] = found.get(_key(identifier))
        return results

    async def _batch(
        self, chunk: list[Identifier], terms: list[str]
    ) -> dict[tuple[str, str], Work]:
        """The works of the asked identifiers, by (scheme, value), from one OR-ed query
        and as many further pages as it takes to find them all."""
        wanted = {_key(i) for i in chunk}
        found: dict[tuple[str, str], tuple[int, Work]] = {}
        page_size = min(MAX_PAGE_SIZE, max(25, 2 * len(chunk)))
        cursor = "*"
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            items, next_cursor = await self._page(
                self._params(" OR ".join(terms), page_size, cursor)
            )
            new = 0
            # A page of up to 1,000 results, mapped eight a turn of the event loop.
            async for item in in_turns(items, 8):
                work = result_to_record(item, self.name)
                if work is None:
                    continue
                name = f"{work.ids.pmid}|{work.ids.pmcid}|{work.ids.doi}|{work.ids.other}"
                if name in seen:
                    continue
                seen.add(name)
                new += 1
                kind = item.get("source")
                rank = _SOURCE_ORDER.get(kind if isinstance(kind, str) else "", len(_SOURCE_ORDER))
                for key in self._keys(work):
                    if key in wanted and (key not in found or rank < found[key][0]):
                        found[key] = (rank, work)
            if not new or wanted <= found.keys() or next_cursor is None or next_cursor == cursor:
                break
            cursor = next_cursor
        return {key: work for key, (_, work) in found.items()}

    @staticmethod
    def _keys(work: Work) -> list[tuple[str, str]]:
        keys = []
        if work.ids.pmid:
            keys.append(("pmid", work.ids.pmid))
        if work.ids.pmcid:
            keys.append(("pmcid", work.ids.pmcid.upper()))
        if work.ids.doi:
            keys.append(("doi", work.ids.doi.lower()))
        return keys

    # -- search ----------------------------------------------------------------------------

    async def search(self, query: Query) -> Sequence[Work]:
        if query.kind == "title":
            text = query.search_text(MAX_SEARCH_LENGTH)
            escaped = text.replace("\\", "\\\\").replace('"', '\\"')
            search = f'TITLE:"{escaped}"' if text else ""
        else:
            # A citation: its words, without the syntax Europe PMC's query language has.
            words = "".join(c if c.isalnum() or c.isspace() else " " for c in query.text)
            search = " ".join(words.split())[:MAX_SEARCH_LENGTH]
        if not search:
            return ()
        items, _ = await self._page(self._params(search, self._rows()))
        works = (result_to_record(item, self.name) for item in items)
        return [work for work in works if work is not None]

    def _rows(self) -> int:
        return self.context.settings.int_option("rows", DEFAULT_ROWS, high=MAX_PAGE_SIZE)

    # -- answers ----------------------------------------------------------------------------

    def _json(self, response: Any) -> Any:
        """The JSON body of a 200 answer; an attributed error for anything else."""
        if response.status_code != 200:
            raise self.context.client.bad_response(response, f"HTTP {response.status_code}")
        return self.context.client.decode_json(response)
