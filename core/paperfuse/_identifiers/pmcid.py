"""PubMed Central ids: ``PMC123456``, ``PMCID: PMC123``, PMC and Europe PMC URLs."""

from __future__ import annotations

import re

from .._errors import InvalidIdentifier
from .._records import Identifier
from .base import SENTENCE_END, FinderScheme, explicit_rest, has_whitespace, shown
from .web import HostPaths, id_in_url

__all__ = ["PMCID_RE", "PmcidScheme"]

_PMCID_EXPLICIT_RE = re.compile(r"(?:pmcid\s*:?|pmc\s*:)\s*", re.IGNORECASE)
PMCID_RE = re.compile(r"PMC([0-9]{1,9})", re.IGNORECASE)
_PMCID_LOOSE_RE = re.compile(r"PMC(?:[0-9]\S*)?", re.IGNORECASE)
_PMCID_PATHS: HostPaths = (
    ("ncbi.nlm.nih.gov", re.compile(r"/pmc/articles/(PMC[0-9]+)(?:/.*)?", re.IGNORECASE)),
    ("pmc.ncbi.nlm.nih.gov", re.compile(r"/articles/(PMC[0-9]+)(?:/.*)?", re.IGNORECASE)),
    ("europepmc.org", re.compile(r"/article/PMC/((?:PMC)?[0-9]+)/?", re.IGNORECASE)),
    ("europepmc.org", re.compile(r"/articles/(PMC[0-9]+)/?", re.IGNORECASE)),
)


def _checked_pmcid(text: str) -> str:
    """``text`` (``PMC`` and digits, any case) as a PMCID; raises when malformed."""
    match = PMCID_RE.fullmatch(text)
    if match is None:
        if not text:
            raise InvalidIdentifier("'PMCID:' is followed by no PMCID", scheme="pmcid")
        if text.isascii() and text.isdigit():
            raise InvalidIdentifier(
                f"a PMCID is 'PMC' followed by digits; {shown(text)} without 'PMC' may be a PMID",
                scheme="pmcid",
            )
        if text.upper() == "PMC":
            raise InvalidIdentifier("'PMC' is followed by no digits", scheme="pmcid")
        raise InvalidIdentifier(
            f"{shown(text)!r} is not a PMCID: it is 'PMC' and digits", scheme="pmcid"
        )
    number = int(match.group(1))
    if number == 0:
        raise InvalidIdentifier("PMCIDs start at PMC1", scheme="pmcid")
    return f"PMC{number}"


def _find_pmcid(text: str) -> Identifier | None:
    """The PMCID ``text`` as a whole stands for, if any."""
    rest = explicit_rest(_PMCID_EXPLICIT_RE, text)
    if rest is None and _PMCID_LOOSE_RE.fullmatch(text):
        rest = text
    if rest is not None:
        rest = rest.rstrip(SENTENCE_END)
        if has_whitespace(rest):
            return None
        return Identifier(scheme="pmcid", value=_checked_pmcid(rest))
    found = id_in_url(text, _PMCID_PATHS)
    if found is None:
        return None
    return Identifier(
        scheme="pmcid", value=_checked_pmcid(found if found[0] in "Pp" else "PMC" + found)
    )


class PmcidScheme(FinderScheme):
    """PubMed Central ids: ``PMC123456``, ``PMCID: PMC123``, PMC and Europe PMC URLs.

    Normalised as ``PMC`` and the number without leading zeros.
    """

    name = "pmcid"
    description = "PubMed Central ids (PMC3737249, PMC article URLs)"
    noun = "a PMCID"
    _find = staticmethod(_find_pmcid)

    def url(self, identifier: Identifier) -> str | None:
        return f"https://pmc.ncbi.nlm.nih.gov/articles/{identifier.value}/"
