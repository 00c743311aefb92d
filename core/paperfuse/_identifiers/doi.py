"""DOIs: ``10.1234/abc`` bare, after ``doi:``, in doi.org and publisher URLs."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, quote, unquote

from .._errors import InvalidIdentifier
from .._records import Identifier
from .base import FinderScheme, explicit_rest, has_whitespace, shown, strip_unbalanced_end
from .web import PDF_SUFFIX_RE, host_is, web_address

__all__ = ["DoiScheme", "find_doi", "is_bare_doi"]

_DOI_EXPLICIT_RE = re.compile(r"(?:doi\s*:|info:doi/)\s*", re.IGNORECASE)
_DOI_SOFT_RE = re.compile(r"doi\s+(?=10\.)", re.IGNORECASE)
_DOI_RESOLVER_RE = re.compile(r"(?:https?://)?(?:dx\.|www\.)?doi\.org/+", re.IGNORECASE)
# "10." and a registrant code: 4 to 9 digits (every assigned one), optionally subdivided.
_DOI_PREFIX = r"10\.[0-9]{4,9}(?:\.[0-9]+)*"
_DOI_RE = re.compile(_DOI_PREFIX + r"/\S+")
_DOI_PREFIX_ONLY_RE = re.compile(_DOI_PREFIX + "/?")
_DOI_ENCODED_SLASH_RE = re.compile(r"10\.[0-9.]+%2f", re.IGNORECASE)
_DOI_IN_PATH_RE = re.compile(f"/({_DOI_PREFIX}/.+)")
_PUBLISHER_SUFFIX_RE = re.compile(r"(?:/(?:full|pdf|abstract|epdf))+/?$", re.IGNORECASE)
# bioRxiv and medRxiv append the version and a view to the DOI in their paths.
_PREPRINT_HOSTS = ("biorxiv.org", "medrxiv.org")
_PREPRINT_DOI_RE = re.compile(
    r"(10\.1101/(?:[0-9]{4}\.[0-9]{2}\.[0-9]{2}\.)?[0-9]+)(?:v[0-9]+)?(?:[./].*)?"
)
_DOI_URL_SAFE = "/:;()[],.'-_~!*@$&+="
#: Confidence in an identifier dug out of a web page's address: paths carry more than ids.
_PAGE_CONFIDENCE = 0.9


def _checked_doi(body: str) -> str:
    """The normalised DOI ``body``, which the text presents as a DOI.

    Raises :class:`InvalidIdentifier` saying what is wrong with it.
    """
    body = strip_unbalanced_end(body)
    if _DOI_RE.fullmatch(body):
        return body.lower()
    if not body:
        raise InvalidIdentifier("a DOI prefix or resolver is followed by no DOI", scheme="doi")
    if _DOI_PREFIX_ONLY_RE.fullmatch(body):
        raise InvalidIdentifier(
            f"{shown(body)} is a DOI prefix with no suffix: a DOI reads 10.NNNN/suffix",
            scheme="doi",
        )
    if body.startswith("10/"):
        raise InvalidIdentifier(
            f"{shown(body)} is a shortDOI, which paperfuse cannot expand: give the full DOI",
            scheme="doi",
        )
    if body.startswith("10."):
        raise InvalidIdentifier(
            f"{shown(body)} is not a DOI: its prefix must be '10.' and a 4 to 9 digit registrant "
            "code, then '/' and a suffix",
            scheme="doi",
        )
    raise InvalidIdentifier(f"{shown(body)} is not a DOI: a DOI starts with '10.'", scheme="doi")


def _doi_in_page_url(parts: SplitResult) -> str | None:
    """The DOI that a publisher's landing-page URL embeds in its path or query."""
    path = unquote(parts.path)
    match = _DOI_IN_PATH_RE.search(path)
    if match is not None:
        candidate = match.group(1)
        if host_is(parts, *_PREPRINT_HOSTS):
            preprint = _PREPRINT_DOI_RE.fullmatch(candidate)
            candidate = preprint.group(1) if preprint else candidate
        elif "/doi/" in path.lower():
            candidate = _PUBLISHER_SUFFIX_RE.sub("", candidate)
        candidate = strip_unbalanced_end(PDF_SUFFIX_RE.sub("", candidate.rstrip("/")))
        if _DOI_RE.fullmatch(candidate):
            return candidate.lower()
    for _key, value in parse_qsl(parts.query):
        value = value.strip()
        if _DOI_RE.fullmatch(value):
            return value.lower()
    return None


def is_bare_doi(text: str) -> bool:
    """Whether ``text`` is written as a bare DOI (``10.`` ... ``/`` ..., one token, nothing
    percent-encoded), which :func:`find_doi` reads as :func:`_checked_doi` alone does."""
    return text.startswith("10.") and "/" in text and "%" not in text and not has_whitespace(text)


def find_doi(text: str) -> Identifier | None:
    """The DOI that ``text`` as a whole stands for, if any.

    Reads a bare DOI, ``doi:``-prefixed, doi.org resolver URLs (with or without
    scheme) and publisher pages whose URL embeds a DOI. Raises
    :class:`InvalidIdentifier` when the text is plainly meant as a DOI (a
    ``doi:`` prefix, a resolver URL, ``10.NNNN`` at the start) but is malformed.
    """
    rest = explicit_rest(_DOI_RESOLVER_RE, text)
    if rest is not None:
        if has_whitespace(rest):
            return None
        body = rest.split("#", 1)[0].split("?", 1)[0]
        return Identifier(scheme="doi", value=_checked_doi(unquote(body)))
    rest = explicit_rest(_DOI_EXPLICIT_RE, text)
    if rest is None:
        rest = explicit_rest(_DOI_SOFT_RE, text)
    if rest is None and text.startswith("10."):
        if not ("/" in text or "%" in text or _DOI_PREFIX_ONLY_RE.fullmatch(text)):
            return None  # "10.5" is a number, not a broken DOI
        rest = text
    if rest is not None:
        if has_whitespace(rest):
            return None
        if _DOI_ENCODED_SLASH_RE.match(rest):
            rest = unquote(rest)
        return Identifier(scheme="doi", value=_checked_doi(rest))
    parts = web_address(text)
    if parts is None or host_is(parts, "doi.org"):
        return None
    found = _doi_in_page_url(parts)
    return (
        None
        if found is None
        else Identifier(scheme="doi", value=found, confidence=_PAGE_CONFIDENCE)
    )


class DoiScheme(FinderScheme):
    """Digital Object Identifiers: ``10.1234/abc`` in its many written forms.

    Normalised in lower case (DOIs are case-insensitive), percent-decoded,
    without ``doi:`` or resolver prefix and without trailing punctuation
    that belongs to the surrounding sentence. A DOI read from a publisher's
    page URL has confidence 0.9: paths sometimes carry more than the DOI.
    """

    name = "doi"
    description = "DOIs (10.1038/nature12373, doi:..., doi.org and publisher URLs)"
    noun = "a DOI"
    _find = staticmethod(find_doi)

    def normalize(self, value: str) -> str:
        """The normalised DOI of ``value``; a bare DOI (what sources give nearly always)
        is checked without a search of every written form, with the same answer."""
        if is_bare_doi(value):
            return _checked_doi(value)
        return super().normalize(value)

    def url(self, identifier: Identifier) -> str | None:
        return "https://doi.org/" + quote(identifier.value, safe=_DOI_URL_SAFE)

    def explain(self, identifier: Identifier) -> str | None:
        return f"DOI {identifier.value} was read from the address of a publisher's page"
