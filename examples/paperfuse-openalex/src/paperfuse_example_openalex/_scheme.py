"""OpenAlex work ids as a paperfuse identifier scheme: ``W`` and digits."""

from __future__ import annotations

import re
from collections.abc import Iterator

from paperfuse import Identifier, IdentifierScheme, InvalidIdentifier

__all__ = ["OpenAlexScheme"]

#: The prefixes that say a text is meant as an OpenAlex id.
_PREFIXES = ("openalex:", "https://openalex.org/", "http://openalex.org/")
_WORK_ID = re.compile(r"[Ww][0-9]{4,12}")


class OpenAlexScheme(IdentifierScheme):
    """``W1982728624``, ``openalex:W1982728624`` or ``https://openalex.org/W1982728624``.

    A bare ``W`` and digits is claimed; a prefixed text that is no work id
    (an author's ``A...``, a typo) is refused as malformed.
    """

    name = "openalex-example"

    def parse(self, text: str) -> Iterator[Identifier]:
        value = text.strip()
        prefixed = value.lower().startswith(_PREFIXES)
        if prefixed:
            value = value.split(":", 1)[1] if value.lower().startswith("openalex:") else value
            value = value.rsplit("/", 1)[-1]
        if _WORK_ID.fullmatch(value):
            yield Identifier(scheme=self.name, value=self.normalize(value))
        elif prefixed:
            raise InvalidIdentifier(
                f"{text[:60]!r} is no OpenAlex work id (W and 4 to 12 digits)", scheme=self.name
            )

    def normalize(self, value: str) -> str:
        return value.strip().rsplit("/", 1)[-1].upper()

    def url(self, identifier: Identifier) -> str | None:
        return f"https://openalex.org/{identifier.value}"
