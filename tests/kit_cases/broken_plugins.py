"""Contract suites run against sources and schemes that each break one promise.

Not collected by the project's test run (no ``test_`` prefix): tests/test_testing_kit.py
copies it into a folder of its own and runs it with pytest, to see that each
contract test fails for the source that breaks its promise, and only for it.
Every body here is synthetic.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from urllib.parse import urlsplit

import paperfuse
from paperfuse import (
    BadResponse,
    Identifier,
    IdentifierScheme,
    Ids,
    InvalidIdentifier,
    LookupResult,
    Politeness,
    Source,
    SourceError,
    Work,
)
from paperfuse.testing import FakeUpstream, SchemeContract, SourceContract


class Toy(Source):
    """A small source of DOIs at ``/items/{doi}`` that keeps every promise."""

    name = "toy"
    schemes = ("doi",)
    batch_size = 1
    politeness = Politeness(min_interval=1.0)
    base_url = "https://toy.example"

    def url(self, doi: str) -> str:
        return f"{self.context.base_url}/items/{doi}"

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        results: dict[Identifier, LookupResult] = {}
        for identifier in identifiers:
            try:
                results[identifier] = await self.one(identifier)
            except SourceError as e:
                results[identifier] = e
        return results

    async def one(self, identifier: Identifier) -> Work | None:
        client = self.context.client
        params = {"mailto": self.context.email} if self.context.email else None
        response = await client.get(self.url(identifier.value), params=params)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise client.bad_response(response, f"HTTP {response.status_code}")
        data = client.decode_json(response)
        if not isinstance(data, dict) or not isinstance(data.get("title"), str):
            raise client.bad_response(response, "not an item")
        return Work(title=data["title"], ids=Ids(doi=identifier.value))


class Retries404(Toy):
    async def one(self, identifier: Identifier) -> Work | None:
        return await super().one(identifier) or await super().one(identifier)


class UnreadableIsNotFound(Toy):
    async def one(self, identifier: Identifier) -> Work | None:
        try:
            return await super().one(identifier)
        except BadResponse:
            return None


class IgnoresPrefix(Toy):
    def url(self, doi: str) -> str:
        parts = urlsplit(self.context.base_url or "")
        return f"{parts.scheme}://{parts.netloc}/items/{doi}"


class LogsEmail(Toy):
    async def one(self, identifier: Identifier) -> Work | None:
        logging.getLogger("toy").info("asking for %s as %s", identifier, self.context.email)
        return await super().one(identifier)


class NamesNoIdentifier(Toy):
    async def one(self, identifier: Identifier) -> Work | None:
        try:
            return await super().one(identifier)
        except SourceError as e:
            raise SourceError(e.message.split(":")[0], source=self.name) from None


class Plugin:
    """Registers one source class."""

    def __init__(self, source: type[Source]) -> None:
        self.source = source
        self.name = source.__name__.lower()

    @paperfuse.hookimpl
    def paperfuse_register_sources(self) -> Sequence[type[Source]]:
        return [self.source]


class ToyContract(SourceContract):
    source = "toy"
    found = ("10.1234/found",)
    unknown = "10.1234/missing"

    def replay(self, upstream: FakeUpstream) -> None:
        upstream.answer("/items/10.1234/found", {"title": "Found"})


class TestToy(ToyContract):
    plugin = Plugin(Toy)


class TestRetries404(ToyContract):
    plugin = Plugin(Retries404)


class TestUnreadableIsNotFound(ToyContract):
    plugin = Plugin(UnreadableIsNotFound)


class TestIgnoresPrefix(ToyContract):
    plugin = Plugin(IgnoresPrefix)


class TestLogsEmail(ToyContract):
    plugin = Plugin(LogsEmail)


class TestNamesNoIdentifier(ToyContract):
    plugin = Plugin(NamesNoIdentifier)


class ToyScheme(IdentifierScheme):
    """``toy:`` and digits."""

    name = "toyid"

    def parse(self, text: str) -> Iterator[Identifier]:
        if text.lower().startswith("toy:"):
            digits = text[4:].strip()
            if not digits.isdigit():
                raise InvalidIdentifier("a toy id is digits", scheme=self.name)
            yield Identifier(scheme=self.name, value=self.normalize(digits))

    def normalize(self, value: str) -> str:
        return value.strip().lstrip("0") or "0"


class ClaimsDigits(ToyScheme):
    def parse(self, text: str) -> Iterator[Identifier]:
        if text.isdigit():
            yield Identifier(scheme=self.name, value=text)
        else:
            yield from super().parse(text)


class Chokes(ToyScheme):
    def parse(self, text: str) -> Iterator[Identifier]:
        if not text:
            raise ValueError("empty")
        yield from super().parse(text)


class NotIdempotent(ToyScheme):
    def normalize(self, value: str) -> str:
        return "0" + value


class ToySchemeContract(SchemeContract):
    valid = ("toy:123", "TOY:0042")
    malformed = ("toy:abc",)


class TestToyScheme(ToySchemeContract):
    scheme = ToyScheme


class TestClaimsDigits(ToySchemeContract):
    scheme = ClaimsDigits


class TestChokes(ToySchemeContract):
    scheme = Chokes


class TestNotIdempotent(ToySchemeContract):
    scheme = NotIdempotent
