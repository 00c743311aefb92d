"""OpenAlex's identifiers as paperfuse schemes: work ids (``W`` and digits) and MAG ids.

OpenAlex names a work ``W2741809807``, as ``https://openalex.org/W2741809807``
on its site and ``https://api.openalex.org/works/W2741809807`` in its API.
Works that came from the Microsoft Academic Graph keep their MAG id, which
OpenAlex alone still resolves (``/works/mag:2741809807``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from paperfuse import Identifier, IdentifierScheme, InvalidIdentifier

__all__ = ["MagScheme", "OpenAlexScheme"]

#: A work id: ``W`` and 4 to 12 digits (OpenAlex's run to 11 today).
_WORK_ID = re.compile(r"[Ww][0-9]{4,12}")
#: Texts meant as an OpenAlex work: the prefix and its URLs (any case, http or https).
_PREFIXED = re.compile(
    r"(?:openalex:\s*|(?:https?://)?(?:www\.)?(?:api\.)?openalex\.org/(?:works/)?)(?P<rest>.*)",
    re.IGNORECASE,
)
#: A MAG id: digits, as MAG gave them (up to 12 in practice; 15 allowed).
_MAG_ID = re.compile(r"[0-9]{1,15}")
_MAG_PREFIX = re.compile(r"mag:\s*(?P<rest>.*)", re.IGNORECASE)


class OpenAlexScheme(IdentifierScheme):
    """``W2741809807``, ``openalex:W2741809807``, ``https://openalex.org/W2741809807``
    or ``https://api.openalex.org/works/W2741809807``.

    A bare ``W`` and digits is claimed; a prefixed text or an openalex.org URL
    that names no work (an author's ``A...``, a source's ``S...``, a typo) is
    refused as malformed, with the reason.
    """

    name = "openalex"
    description = "OpenAlex work ids: W2741809807, openalex:W..., openalex.org URLs"

    def parse(self, text: str) -> Iterator[Identifier]:
        value = text.strip()
        prefixed = _PREFIXED.fullmatch(value)
        if prefixed:
            value = prefixed.group("rest").split("?", 1)[0].split("#", 1)[0].rstrip("/")
            if value.lower().endswith(".json"):
                value = value[: -len(".json")]
        if _WORK_ID.fullmatch(value):
            yield Identifier(scheme=self.name, value=self.normalize(value))
        elif prefixed:
            raise InvalidIdentifier(
                f"{text.strip()[:60]!r} names no OpenAlex work (W and 4 to 12 digits)",
                scheme=self.name,
            )

    def normalize(self, value: str) -> str:
        return value.strip().rsplit("/", 1)[-1].upper()

    def url(self, identifier: Identifier) -> str | None:
        return f"https://openalex.org/{identifier.value}"


class MagScheme(IdentifierScheme):
    """``mag:2741809807``: a Microsoft Academic Graph id, which only OpenAlex resolves.

    Only the prefixed form is claimed: bare digits are a PMID's, or nothing.
    """

    name = "mag"
    description = "Microsoft Academic Graph ids as mag:NNN (resolved by OpenAlex)"

    def parse(self, text: str) -> Iterator[Identifier]:
        prefixed = _MAG_PREFIX.fullmatch(text.strip())
        if not prefixed:
            return
        value = prefixed.group("rest").strip()
        if not _MAG_ID.fullmatch(value) or not value.isascii():
            raise InvalidIdentifier(
                f"{text.strip()[:60]!r} is no MAG id (mag: and digits)", scheme=self.name
            )
        yield Identifier(scheme=self.name, value=self.normalize(value))

    def normalize(self, value: str) -> str:
        return value.strip().lstrip("0") or "0"
