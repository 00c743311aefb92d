"""OpenAlex's REST API as a paperfuse source: one work a request, and title search."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from paperfuse import (
    Author,
    Identifier,
    Ids,
    LookupResult,
    OALocation,
    Politeness,
    Query,
    Source,
    SourceError,
    Work,
)

__all__ = ["OpenAlexSource", "to_work"]

_SEARCH_RESULTS = 5


class OpenAlexSource(Source):
    """OpenAlex: a work by its OpenAlex id or DOI, and candidates for a title."""

    name = "openalex-example"
    schemes = ("openalex-example", "doi")
    searches_titles = True
    batch_size = 1
    politeness = Politeness(min_interval=0.1, max_concurrency=2)
    base_url = "https://api.openalex.org"
    description = "OpenAlex (example plugin): works by OpenAlex id or DOI, title search"

    def _params(self, **params: str) -> dict[str, str]:
        """OpenAlex's own parameters, plus the API key and contact email when set."""
        if self.context.settings.api_key:
            params["api_key"] = self.context.settings.api_key
        if self.context.email:
            params["mailto"] = self.context.email
        return params

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        results: dict[Identifier, LookupResult] = {}
        for identifier in identifiers:
            try:
                results[identifier] = await self._work(identifier)
            except SourceError as e:  # this identifier alone failed
                results[identifier] = e
        return results

    async def _work(self, identifier: Identifier) -> Work | None:
        key = f"doi:{identifier.value}" if identifier.scheme == "doi" else identifier.value
        client = self.context.client
        response = await client.get(
            f"{self.context.base_url}/works/{quote(key, safe=':/')}", params=self._params()
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise client.bad_response(response, f"HTTP {response.status_code}")
        work = to_work(client.decode_json(response), self.name)
        if work is None:
            raise client.bad_response(response, "not an OpenAlex work")
        return work

    async def search(self, query: Query) -> Sequence[Work]:
        client = self.context.client
        params = self._params(search=query.title or query.text, per_page=str(_SEARCH_RESULTS))
        response = await client.get(f"{self.context.base_url}/works", params=params)
        if response.status_code != 200:
            raise client.bad_response(response, f"HTTP {response.status_code}")
        data = client.decode_json(response)
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            raise client.bad_response(response, "not an OpenAlex list of works")
        works = (to_work(result, self.name) for result in results)
        return [work for work in works if work is not None]


def _table(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one: fields may be missing or null."""
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _after(value: Any, marker: str) -> str | None:
    """The part of an OpenAlex URL-shaped id after ``marker`` (``https://doi.org/``...)."""
    text = _text(value)
    return text.split(marker, 1)[-1] if text else None


def to_work(data: Any, source: str = "openalex-example") -> Work | None:
    """A partial work from an OpenAlex work object; None when it is no work."""
    if not isinstance(data, dict) or not _text(data.get("id")):
        return None
    ids = _table(data.get("ids"))
    work_id = _after(data["id"], "openalex.org/")
    authors = []
    for authorship in data.get("authorships") or ():
        author = _table(_table(authorship).get("author"))
        name = _text(author.get("display_name"))
        if name:
            orcid = _after(author.get("orcid"), "orcid.org/")
            authors.append(Author(name=name, orcid=orcid))
    biblio = _table(data.get("biblio"))
    first, last = _text(biblio.get("first_page")), _text(biblio.get("last_page"))
    pages = f"{first}-{last}" if first and last and first != last else first
    year = data.get("publication_year")
    open_access = _table(data.get("open_access"))
    oa_url = _text(open_access.get("oa_url"))
    venue = _text(_table(_table(data.get("primary_location")).get("source")).get("display_name"))
    locations = (OALocation(url=oa_url, url_for_pdf=oa_url, source=source),) if oa_url else ()
    return Work(
        ids=Ids(
            doi=_after(data.get("doi"), "doi.org/"),
            pmid=_after(ids.get("pmid"), "pubmed.ncbi.nlm.nih.gov/"),
            other={"openalex-example": work_id} if work_id else {},
        ),
        title=_text(data.get("title")),
        authors=tuple(authors),
        published=_text(data.get("publication_date")),
        year=year if isinstance(year, int) and not isinstance(year, bool) else None,
        venue=venue,
        volume=_text(biblio.get("volume")),
        issue=_text(biblio.get("issue")),
        pages=pages,
        type=_text(data.get("type")),
        oa_locations=locations,
    )
