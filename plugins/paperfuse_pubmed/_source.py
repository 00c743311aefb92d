"""NCBI E-utilities as a paperfuse source: PubMed records by PMID in batches, and
title or citation search through ``esearch``.

NCBI asks every caller to name its tool and give a contact email, and allows 3
requests a second without an API key and 10 with one. Its rate-limit answer is
HTTP 429 (retried by the HTTP client) or, at times, a 200 whose body says "API
rate limit exceeded": that body is retried here after a pause and never read as
data; when the retries are spent, the batch fails with :class:`RateLimited`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from paperfuse import (
    BadResponse,
    Config,
    Identifier,
    LookupResult,
    Politeness,
    Query,
    RateLimited,
    Source,
    SourceError,
    SourceSettings,
    SourceUnavailable,
    Work,
)

__all__ = ["PubMedSource"]

EFETCH = "/entrez/eutils/efetch.fcgi"
ESEARCH = "/entrez/eutils/esearch.fcgi"
TOOL = "paperfuse"
#: Past this many ids, the id list goes in a POST body rather than the URL (NCBI's advice
#: for long lists; 200 PMIDs make a URL of about 1,800 characters).
POST_ABOVE = 50
#: NCBI's limits: 3 requests a second without an API key, 10 with one.
KEYED_INTERVAL = 0.1
#: Tries of a request answered with the rate-limit body, and the first pause (doubling).
RATE_LIMIT_ATTEMPTS = 3
RATE_LIMIT_WAIT = 1.0
DEFAULT_RETMAX = 5
MAX_QUERY_LENGTH = 1_000
#: Largest body read: 200 full PubMed records with long author lists.
_MAX_BODY = 48 * 1024 * 1024
#: Failures that say the service wants fewer requests: the rest of the call is not asked.
_BACK_OFF = (RateLimited, SourceUnavailable)


class _RateLimitBody(Exception):
    """A 200 answer whose body is NCBI's rate-limit message (retried, then RateLimited)."""

    def __init__(self, response: Any) -> None:
        self.response = response
        super().__init__("API rate limit exceeded")


class PubMedSource(Source):
    """PubMed through NCBI E-utilities: the MEDLINE record of a PMID.

    Options (``[sources.pubmed.options]``): ``retmax``, the number of candidates
    a title or citation search asks for (default 5).
    """

    name = "pubmed"
    schemes = ("pmid",)
    searches_titles = True
    batch_size = 200
    #: 3 requests a second without an API key; 10 with one (see :meth:`politeness_for`).
    politeness = Politeness(min_interval=0.34, max_concurrency=1)
    base_url = "https://eutils.ncbi.nlm.nih.gov"
    #: E-utilities belong to NCBI: ``PAPERFUSE_NCBI_URL``, ``PAPERFUSE_NCBI_API_KEY`` and
    #: ``[sources.ncbi]`` configure this source too (``pubmed``'s own settings win).
    settings_aliases = ("ncbi",)
    description = "NCBI E-utilities: PubMed records (MeSH, abstracts, PMCIDs) by PMID"
    #: Its place in the default merge ranking (docs/merge-policy.md).
    role = "bibliographic database"
    #: Its structured abstracts, its own identifiers and its indexing come first.
    authoritative_for = ("abstract", "ids.pmid", "ids.pmcid", "publication_types")

    @classmethod
    def politeness_for(cls, config: Config, settings: SourceSettings) -> Politeness:
        """10 requests a second with an NCBI API key, 3 without."""
        if settings.api_key:
            return Politeness(min_interval=KEYED_INTERVAL, max_concurrency=1)
        return cls.politeness

    # -- requests ----------------------------------------------------------------------

    def _params(self, **params: str) -> dict[str, str]:
        params["tool"] = TOOL
        if self.context.email:
            params["email"] = self.context.email
        if self.context.settings.api_key:
            params["api_key"] = self.context.settings.api_key
        return params

    async def _ask(self, path: str, params: dict[str, str], *, post: bool = False) -> Any:
        """A 200 answer of E-utilities; the rate-limit body retried after a pause."""
        import stamina  # the retry machinery, loaded when PubMed is first asked

        url = f"{self.context.base_url}{path}"
        try:
            async for attempt in stamina.retry_context(
                on=_RateLimitBody,
                attempts=RATE_LIMIT_ATTEMPTS,
                timeout=None,
                wait_initial=RATE_LIMIT_WAIT,
            ):
                with attempt:
                    return await self._once(url, params, post=post)
        except _RateLimitBody as e:
            request = self._describe(e.response)
            raise RateLimited(
                "NCBI answered 'API rate limit exceeded'", source=self.name, request=request
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, url: str, params: dict[str, str], *, post: bool) -> Any:
        from ._xml import is_rate_limit_body

        client = self.context.client
        kwargs: dict[str, Any] = {"data": params} if post else {"params": params}
        response = await client.request(
            "POST" if post else "GET", url, max_body=_MAX_BODY, **kwargs
        )
        if is_rate_limit_body(response.content):
            raise _RateLimitBody(response)
        if response.status_code != 200:
            raise self.context.client.bad_response(response, f"HTTP {response.status_code}")
        return response

    # -- look-ups ---------------------------------------------------------------------------

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        results: dict[Identifier, LookupResult] = {}
        stop: SourceError | None = None
        for start in range(0, len(identifiers), self.batch_size):
            chunk = list(identifiers[start : start + self.batch_size])
            if stop is not None:
                results.update(dict.fromkeys(chunk, stop))
                continue
            try:
                found = await self._fetch([i.value for i in chunk])
            except SourceError as e:
                results.update(dict.fromkeys(chunk, e))
                if isinstance(e, _BACK_OFF):
                    stop = e
                continue
            for identifier in chunk:
                results[identifier] = found.get(identifier.value.lstrip("0") or "0")
        return results

    async def _fetch(self, pmids: list[str]) -> dict[str, Work]:
        """The PubMed records of several PMIDs from one ``efetch`` request, by PMID."""
        unique = list(dict.fromkeys(p.lstrip("0") or "0" for p in pmids))
        params = self._params(db="pubmed", retmode="xml", id=",".join(unique))
        response = await self._ask(EFETCH, params, post=len(unique) > POST_ABOVE)
        works = await self._articles(response)
        return {w.ids.pmid: w for w in works if w.ids.pmid}

    async def _articles(self, response: Any) -> list[Work]:
        from ._xml import read_articles

        try:
            return await read_articles(response.content)
        except SourceError as e:
            raise BadResponse(
                e.message, source=self.name, request=self._describe(response)
            ) from None

    # -- search -----------------------------------------------------------------------------

    async def search(self, query: Query) -> Sequence[Work]:
        text = query.search_text(MAX_QUERY_LENGTH)
        if not text:
            return ()
        params = self._params(db="pubmed", retmode="json", term=text, retmax=str(self._retmax()))
        response = await self._ask(ESEARCH, params)
        pmids = self._search_ids(response)
        if not pmids:
            return ()
        found = await self._fetch(pmids)
        return [found[p] for p in pmids if p in found]

    def _retmax(self) -> int:
        return self.context.settings.int_option("retmax", DEFAULT_RETMAX, high=200)

    def _search_ids(self, response: Any) -> list[str]:
        """The PMIDs of an ``esearch`` JSON answer, in rank order."""
        data = self.context.client.decode_json(response)
        result = data.get("esearchresult") if isinstance(data, dict) else None
        ids = result.get("idlist") if isinstance(result, dict) else None
        if not isinstance(ids, list):
            error = result.get("ERROR") if isinstance(result, dict) else None
            what = (
                f"E-utilities error: {error}" if isinstance(error, str) else "not an esearch result"
            )
            raise self.context.client.bad_response(response, what)
        pmids = [i for i in ids if isinstance(i, str) and i.isascii() and i.isdigit()]
        return list(dict.fromkeys(p.lstrip("0") for p in pmids if p.lstrip("0")))[:200]

    # -- failures ---------------------------------------------------------------------------

    def _describe(self, response: Any) -> str:
        return self.context.client.describe(response.request.method, response.request.url)
