"""DataCite's REST API as a paperfuse source."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import msgspec

from paperfuse import (
    BadResponse,
    Identifier,
    LookupResult,
    Politeness,
    Source,
    SourceError,
    Work,
    redact,
)

__all__ = ["DataCiteSource"]

#: A DOI record with its base64 XML is tens of kB; a few MB is already absurd.
_MAX_BODY = 16 * 1024 * 1024
#: The registration agency whose DOIs this source knows.
_AGENCY = "datacite"


class DataCiteSource(Source):
    """DataCite: the metadata of record of datasets, software, arXiv, Zenodo, figshare DOIs.

    One DOI per request (``/dois/{doi}``). A DOI that doi.org says another
    agency registered (Crossref, mEDRA, ...) is answered "not found" without a
    request; one whose agency is unknown is asked. The contact email goes in
    the User-Agent (paperfuse's client puts it there) and in the ``mailto``
    parameter, which DataCite documents for identified clients; it is masked
    in every error and log line.
    """

    name = "datacite"
    schemes = ("doi",)
    batch_size = 1
    # DataCite allows 1,000 requests per 5 minutes and IP to identified clients
    # (an email in the User-Agent or mailto=), 500 to others: one every 0.3 s.
    politeness = Politeness(min_interval=0.3, max_concurrency=3)
    base_url = "https://api.datacite.org"
    #: Another agency's DOI is answered without a request, at no interval.
    paced_by_requests = True
    description = "DataCite REST API: metadata of DataCite DOIs (datasets, software, arXiv)"
    #: Its place in the default merge ranking (docs/merge-policy.md).
    role = "registration agency"

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        results: dict[Identifier, LookupResult] = {}
        for identifier in identifiers:
            try:
                results[identifier] = await self._lookup(identifier.value)
            except SourceError as e:
                results[identifier] = e
        return results

    async def _lookup(self, doi: str) -> Work | None:
        from ._mapping import doi_record_to_work

        agency = await self.context.registration_agency(doi)
        if agency is not None and agency != _AGENCY:
            return None  # another agency's DOI: DataCite does not hold it
        email = self.context.email
        response = await self.context.client.get(
            f"{self.context.base_url}/dois/{quote(doi, safe='/')}",
            params={"mailto": email} if email else None,
            max_body=_MAX_BODY,
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._refused(response)
        answer = self.context.client.decode_json(response)
        work = doi_record_to_work(answer)
        if work is None:
            raise self.context.client.bad_response(response, "not a DataCite DOI record")
        return work

    def _refused(self, response: Any) -> BadResponse:
        """A 4xx other than 404: its JSON:API error title, else the start of the body."""
        try:
            data = msgspec.json.decode(response.content)
        except (msgspec.DecodeError, RecursionError):
            data = None
        errors = data.get("errors") if isinstance(data, dict) else None
        first = errors[0] if isinstance(errors, list) and errors else None
        title = first.get("title") if isinstance(first, dict) else None
        if not isinstance(title, str) or not title.strip():
            return self.context.client.bad_response(response, f"HTTP {response.status_code}")
        text = redact(" ".join(title[:1000].split()), [self.context.email], limit=200)
        return BadResponse(
            f"HTTP {response.status_code}: {text}",
            source=self.name,
            request=self._request(response),
        )

    def _request(self, response: Any) -> str:
        """The request that got ``response``, safe to show (the email masked)."""
        return self.context.client.describe(response.request.method, response.request.url)
