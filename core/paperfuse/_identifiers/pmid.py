"""PubMed ids: ``PMID: 123``, PubMed and Europe PMC URLs, and bare numbers."""

from __future__ import annotations

import re

from .._errors import InvalidIdentifier
from .._records import Identifier
from .base import SENTENCE_END, FinderScheme, explicit_rest, has_whitespace, shown
from .pmcid import PMCID_RE
from .web import HostPaths, id_in_url

__all__ = ["PmidScheme"]

_PMID_EXPLICIT_RE = re.compile(r"(?:pmid|pubmed)\s*:\s*", re.IGNORECASE)
_PMID_SOFT_RE = re.compile(r"(?:pmid|pubmed)\s+(?=[0-9])", re.IGNORECASE)
_PMID_RE = re.compile(r"[0-9]{1,9}")
_PMID_GUESS_RE = re.compile(r"[1-9][0-9]{0,7}")
_PMID_PATHS: HostPaths = (
    ("pubmed.ncbi.nlm.nih.gov", re.compile(r"/([0-9]+)/?")),
    ("ncbi.nlm.nih.gov", re.compile(r"/pubmed/([0-9]+)/?")),
    ("europepmc.org", re.compile(r"/(?:article|abstract)/MED/([0-9]+)/?", re.IGNORECASE)),
)
_PMID_GUESS_CONFIDENCE = 0.5


def _checked_pmid(digits: str) -> str:
    """``digits`` as a PMID without leading zeros; raises when it is zero."""
    value = str(int(digits))
    if value == "0":
        raise InvalidIdentifier("PMIDs start at 1; 0 is not one", scheme="pmid")
    return value


def _find_pmid(text: str) -> Identifier | None:
    """The PMID ``text`` as a whole stands for, if any."""
    rest = explicit_rest(_PMID_EXPLICIT_RE, text)
    if rest is None:
        rest = explicit_rest(_PMID_SOFT_RE, text)
    if rest is not None:
        rest = rest.rstrip(SENTENCE_END)
        if has_whitespace(rest):
            return None
        if _PMID_RE.fullmatch(rest):
            return Identifier(scheme="pmid", value=_checked_pmid(rest))
        if PMCID_RE.fullmatch(rest):
            raise InvalidIdentifier(
                f"{rest} is a PMCID, not a PMID: write it as PMCID: {rest}", scheme="pmid"
            )
        quoted = repr(shown(rest)) if rest else "nothing"
        raise InvalidIdentifier(f"'PMID:' is followed by {quoted}, not a number", scheme="pmid")
    if _PMID_GUESS_RE.fullmatch(text):
        return Identifier(scheme="pmid", value=text, confidence=_PMID_GUESS_CONFIDENCE)
    found = id_in_url(text, _PMID_PATHS)
    return None if found is None else Identifier(scheme="pmid", value=_checked_pmid(found))


class PmidScheme(FinderScheme):
    """PubMed ids: ``PMID: 123``, PubMed and Europe PMC URLs, and bare numbers.

    A bare number (1 to 8 digits, no leading zero) may be a PMID or anything
    else, so it is only a candidate with confidence 0.5 and a reason.
    """

    name = "pmid"
    description = "PubMed ids (PMID: 23903748, pubmed.ncbi.nlm.nih.gov URLs)"
    noun = "a PMID"
    _find = staticmethod(_find_pmid)

    def url(self, identifier: Identifier) -> str | None:
        return f"https://pubmed.ncbi.nlm.nih.gov/{identifier.value}/"

    def explain(self, identifier: Identifier) -> str | None:
        return f"{identifier.value} was read as a PMID only because it is a number"
