"""Unpaywall's REST API v2 as a paperfuse source."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import msgspec

from paperfuse import (
    Identifier,
    LookupResult,
    Politeness,
    Query,
    Source,
    SourceError,
    Work,
    redact,
)

from ._mapping import doi_object_to_work, search_result_to_work

__all__ = ["UnpaywallSource"]

_MAX_BODY = 8 * 1024 * 1024
_EMAIL_HELP = (
    "Unpaywall asks for a contact email: set PAPERFUSE_EMAIL, or email in the"
    " configuration file (see docs/configuration.md)"
)


class InvalidRequest(SourceError):
    """Unpaywall refused the request as invalid (HTTP 422): a bad DOI or email."""


class UnpaywallSource(Source):
    """Unpaywall: the OA status and every free copy of a DOI, with Crossref metadata.

    Options (``[sources.unpaywall.options]``): ``search_is_oa`` (``true`` or
    ``false``) limits title searches to works that are, or are not, OA.
    """

    name = "unpaywall"
    schemes = ("doi",)
    searches_titles = True
    batch_size = 1
    politeness = Politeness(min_interval=0.0, max_concurrency=4, daily_budget=100_000)
    #: Every request goes through ``context.client``, whose pump keeps the four at a time:
    #: calls may prepare theirs ahead of a free slot.
    paced_by_requests = True
    base_url = "https://api.unpaywall.org"
    description = "Unpaywall REST API v2: OA locations and Crossref metadata of DOIs"
    #: Its place in the default merge ranking (docs/merge-policy.md).
    role = "open access index"

    def unavailable_reason(self) -> str | None:
        return None if self.context.email else _EMAIL_HELP

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        results: dict[Identifier, LookupResult] = {}
        for identifier in identifiers:
            try:
                results[identifier] = await self._lookup(identifier.value)
            except SourceError as e:
                results[identifier] = e
        return results

    async def _lookup(self, doi: str) -> Work | None:
        url = f"{self.context.base_url}/v2/{quote(doi, safe='/')}"
        response = await self.context.client.get(
            url, params={"email": self.context.email}, max_body=_MAX_BODY
        )
        if response.status_code == 404:
            return None
        data = self._json(response)
        work = doi_object_to_work(data, self.name)
        if work is None:
            raise self.context.client.bad_response(response, "not a DOI object")
        return work

    async def search(self, query: Query) -> Sequence[Work]:
        text = " ".join(re.findall(r"\w+", query.title or query.text))
        if not text:
            return ()
        params: dict[str, str] = {"query": text, "email": self.context.email or ""}
        is_oa = self.context.settings.options.get("search_is_oa")
        if isinstance(is_oa, bool):
            params["is_oa"] = "true" if is_oa else "false"
        response = await self.context.client.get(
            f"{self.context.base_url}/v2/search", params=params, max_body=_MAX_BODY
        )
        data = self._json(response)
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            raise self.context.client.bad_response(response, "a search answer without results")
        works = (search_result_to_work(result, self.name) for result in results)
        return [work for work in works if work is not None]

    def _json(self, response: Any) -> Any:
        """The JSON body of a 200 answer; an attributed error for anything else."""
        status = response.status_code
        if status == 422:
            message = self._message(response)
            kind = "contact email" if "email" in message.lower() else "request (DOI)"
            raise InvalidRequest(
                f"Unpaywall refused the {kind} as invalid (HTTP 422): {message}",
                source=self.name,
                request=self._described(response),
            )
        if status != 200:
            raise self.context.client.bad_response(response, f"HTTP {status}")
        return self.context.client.decode_json(response)

    def _message(self, response: Any) -> str:
        try:
            data = msgspec.json.decode(response.content)
        except (msgspec.DecodeError, RecursionError):
            data = None
        text = data.get("message") if isinstance(data, dict) else None
        if not isinstance(text, str):
            text = response.text
        return redact(" ".join(text[:1000].split()), [self.context.email], limit=200)

    def _described(self, response: Any) -> str:
        return self.context.client.describe(response.request.method, response.request.url)
