"""The PMC ID converter as a paperfuse source: ids grouped by type, 200 a request."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

import msgspec

from paperfuse import (
    Config,
    Identifier,
    LookupResult,
    Politeness,
    RateLimited,
    Source,
    SourceError,
    SourceSettings,
    SourceUnavailable,
)

from ._mapping import SCHEMES, answer_records, normalised, record_to_work

__all__ = ["IdConverterSource"]

#: The documented path under the service root (``PAPERFUSE_IDCONV_URL``).
PATH = "/tools/idconv/api/v1/articles/"
#: Most ids one request may carry, as NCBI documents.
MAX_IDS = 200
#: Largest body read: 200 records with their versions are a few tens of kB.
_MAX_BODY = 4 * 1024 * 1024
#: NCBI's rate with an API key: 10 requests a second.
KEYED_INTERVAL = 0.1
#: Failures that say the service wants fewer requests: the rest of the call is not asked.
_BACK_OFF = (RateLimited, SourceUnavailable)


class IdConverterSource(Source):
    """The PMC ID converter: the PMID, PMCID and DOI of an article in PubMed Central.

    Answers carry identifiers only; the resolver asks the other sources with
    the ids revealed. Ids of one type go in one request (the service refuses a
    request that mixes types), up to 200 at a time. ``PAPERFUSE_IDCONV_API_KEY``
    (an NCBI API key) raises the rate from 3 to 10 requests a second.
    """

    name = "idconv"
    schemes = SCHEMES
    #: The converter holds PMC articles only, each under all its ids: one it does not
    #: know by its PMID it does not know by its DOI either.
    ids_are_equivalent = True
    batch_size = MAX_IDS
    #: NCBI's limit without an API key: 3 requests a second, one at a time.
    politeness = Politeness(min_interval=0.34, max_concurrency=1)
    base_url = "https://pmc.ncbi.nlm.nih.gov"
    description = "PMC ID converter (NCBI): the PMID, PMCID and DOI of articles in PubMed Central"
    #: Its place in the default merge ranking (docs/merge-policy.md).
    role = "identifier crosswalk"

    @classmethod
    def politeness_for(cls, config: Config, settings: SourceSettings) -> Politeness:
        """10 requests a second with an NCBI API key, 3 without."""
        if settings.api_key:
            return Politeness(min_interval=KEYED_INTERVAL, max_concurrency=1)
        return cls.politeness

    # -- lookups ---------------------------------------------------------------------------

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        results: dict[Identifier, LookupResult] = {}
        stop: SourceError | None = None
        for scheme in SCHEMES:
            group = [i for i in identifiers if i.scheme == scheme]
            for start in range(0, len(group), MAX_IDS):
                chunk = group[start : start + MAX_IDS]
                if stop is not None:
                    results.update(dict.fromkeys(chunk, stop))
                    continue
                try:
                    found = await self._convert(scheme, [i.value for i in chunk])
                except SourceError as e:
                    results.update(dict.fromkeys(chunk, e))
                    if isinstance(e, _BACK_OFF):
                        stop = e
                    continue
                for identifier in chunk:
                    results[identifier] = found.get(normalised(scheme, identifier.value) or "")
        return results

    async def _convert(self, scheme: str, values: list[str]) -> dict[str, Any]:
        """The partial works of one request for ids of one type, by normalised asked id."""
        params = {"ids": ",".join(values), "idtype": scheme, "format": "json", "tool": "paperfuse"}
        if self.context.email:
            params["email"] = self.context.email
        if self.context.settings.api_key:
            params["api_key"] = self.context.settings.api_key
        url = f"{self.context.base_url or self.base_url}{PATH}"
        response = await self.context.client.get(url, params=params, max_body=_MAX_BODY)
        data = self._json(response)
        records = answer_records(data)
        if records is None:
            raise self.context.client.bad_response(response, "not an ID converter answer")
        found: dict[str, Any] = {}
        for record in records:
            key, work = record_to_work(record, scheme)
            if key is not None and work is not None:
                found.setdefault(key, work)
        return found

    # -- answers ----------------------------------------------------------------------------

    def _json(self, response: Any) -> Any:
        """The JSON body of a 200 answer; an attributed error for anything else.

        A refusal (``"status": "error"`` with a URL-encoded ``message``, as the
        service answers an id it cannot read as the type asked, with HTTP 400 or
        404) is a bad response with the service's message: paperfuse groups ids
        by the type it read them as, so a refusal means the service and
        paperfuse disagree, which the user should see rather than a silent
        "not found".
        """
        try:
            data = msgspec.json.decode(response.content)
        except msgspec.DecodeError:
            data = None
            if response.status_code == 200:
                raise self.context.client.bad_response(response, "malformed JSON") from None
        except RecursionError:
            raise self.context.client.bad_response(response, "JSON nested too deep") from None
        if isinstance(data, dict) and data.get("status") == "error":
            message = data.get("message")
            text = unquote(message) if isinstance(message, str) else "no message"
            raise self.context.client.bad_response(
                response, f"HTTP {response.status_code}, refused: {text[:200]}"
            )
        if response.status_code != 200:
            raise self.context.client.bad_response(response, f"HTTP {response.status_code}")
        return data
