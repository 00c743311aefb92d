"""Identifier schemes and :func:`identify`.

A scheme knows how to find its identifiers in a text and how to normalise
them. The built-in schemes (DOI, arXiv, PMID, PMCID, URL) live here; plugins
add more through the ``paperfuse_register_schemes`` hook.

:func:`identify` is step 1 of a resolution: it reads one input as a whole and
says what it is: one or more identifiers, a title or citation query, or an
invalid input with a reason. It never raises for bad input, and it rejects
over-long input before any regular expression runs over it. Every regular
expression here is anchored or linear, so that a hostile text of
:data:`MAX_INPUT_LENGTH` characters is read in a few milliseconds. Digits in
identifiers are ASCII digits only (``[0-9]``, never ``\\d``, which matches every
script's digits).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import ClassVar, NamedTuple
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlsplit, urlunsplit

from ._errors import InvalidIdentifier
from ._records import Identification, Identifier, Query

__all__ = [
    "MAX_INPUT_LENGTH",
    "ArxivScheme",
    "DoiScheme",
    "IdentifierScheme",
    "PmcidScheme",
    "PmidScheme",
    "UrlScheme",
    "builtin_schemes",
    "identify",
]

#: The longest input (after stripping surrounding whitespace) that
#: :func:`identify` reads. Longer input is invalid at once: no identifier or
#: citation is that long, and refusing it early bounds the work per input.
MAX_INPUT_LENGTH = 2_000

#: How much of an over-long input :attr:`Identification.text` keeps.
_SHOWN_LENGTH = 100
#: How much of the input a reason quotes.
_QUOTED_LENGTH = 60
#: More whitespace-separated tokens than this make a text a query, not a list.
_MAX_TOKENS = 16

# Invisible characters that copy and paste from web pages and PDFs leave
# inside identifiers (soft hyphen, zero-width spaces and joiners, BOM).
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
# C0 and C1 control characters other than the whitespace ones.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_WHITESPACE_RE = re.compile(r"\s")
# Lone surrogates: what bytes that are not UTF-8 become when Python decodes argv,
# or a stream with errors="surrogateescape" (U+DC80 to U+DCFF for bytes 0x80 to 0xff).
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_ESCAPED_BYTES = range(0xDC80, 0xDD00)
# Dashes that word processors put where an ASCII hyphen-minus belongs.
_DASHES = {
    "\u2010": "HYPHEN",
    "\u2011": "NON-BREAKING HYPHEN",
    "\u2012": "FIGURE DASH",
    "\u2013": "EN DASH",
    "\u2014": "EM DASH",
    "\u2015": "HORIZONTAL BAR",
    "\u2212": "MINUS SIGN",
    "\ufe63": "SMALL HYPHEN-MINUS",
    "\uff0d": "FULLWIDTH HYPHEN-MINUS",
}
_DASH_RE = re.compile("[" + "".join(_DASHES) + "]")
# Pairs that may wrap a whole identifier: "10.1/x", <https://...>, (PMC123).
_WRAPPERS = {
    '"': '"',
    "'": "'",
    "\u201c": "\u201d",
    "\u2018": "\u2019",
    "<": ">",
    "(": ")",
    "[": "]",
}
# Closing characters stripped from the end of an identifier unless balanced.
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<", "\u201d": "\u201c", "\u2019": "\u2018"}
_QUOTES = "\"'"
_SENTENCE_END = ".,;"


class IdentifierScheme:
    """Base class of an identifier scheme.

    Subclasses set ``name`` and implement :meth:`parse`; :meth:`normalize`
    and :meth:`url` have defaults. Plugins return subclasses (or instances)
    from the ``paperfuse_register_schemes`` hook.
    """

    #: The scheme's name, as it appears in :attr:`Identifier.scheme`.
    name: ClassVar[str]
    #: One line for ``paperfuse plugins``.
    description: ClassVar[str] = ""

    #: A fallback scheme (the built-in ``url``) speaks only when no other
    #: scheme claims the text: its identifiers are dropped when another scheme
    #: yields an identifier with confidence 1.0 or finds the text malformed.
    fallback: ClassVar[bool] = False

    def parse(self, text: str) -> Iterable[Identifier]:
        """Identifiers of this scheme that ``text`` as a whole stands for.

        ``text`` is one stripped input (an identifier, a URL, a citation).
        Yield nothing when the text is not of this scheme; raise
        :class:`InvalidIdentifier` with a reason when the text is clearly
        meant as one of this scheme's identifiers but is malformed.
        """
        raise NotImplementedError

    def normalize(self, value: str) -> str:
        """The normalised form of ``value``; normalising twice changes nothing."""
        return value.strip()

    def url(self, identifier: Identifier) -> str | None:
        """A URL that resolves ``identifier``, when the scheme has one."""
        return None

    def explain(self, identifier: Identifier) -> str | None:
        """Why ``identifier`` is only a guess, for :attr:`Identification.reason`.

        :func:`identify` asks this for each identifier the scheme yielded with
        a confidence below 1.0. None says nothing.
        """
        return None


# --- shared helpers ----------------------------------------------------------------------------


def _has_whitespace(text: str) -> bool:
    """Whether ``text`` holds more than one token, so is no single identifier."""
    return _WHITESPACE_RE.search(text) is not None


def _strip_unbalanced_end(text: str) -> str:
    """``text`` without trailing sentence punctuation and unbalanced closers.

    A DOI quoted in prose often ends with ``.``, ``,``, ``)`` or a quote that
    belongs to the sentence; a closer that has its opener inside the DOI (as in
    ``10.1002/(SICI)...(199806)``) belongs to the DOI and stays.
    """
    counts = Counter(text)
    end = len(text)
    while end:
        last = text[end - 1]
        unbalanced = (last in _CLOSERS and counts[last] > counts[_CLOSERS[last]]) or (
            last in _QUOTES and counts[last] % 2 == 1
        )
        if last not in _SENTENCE_END and not unbalanced:
            break
        counts[last] -= 1
        end -= 1
    return text[:end]


def _shown(text: str) -> str:
    """``text`` cut to a length that a reason can quote."""
    return text if len(text) <= _QUOTED_LENGTH else text[:_QUOTED_LENGTH] + "\u2026"


def _unwrap(text: str) -> str:
    """``text`` without one pair of quotes or brackets around a single token."""
    if len(text) > 2 and _WRAPPERS.get(text[0]) == text[-1] and not _has_whitespace(text):
        return text[1:-1].strip()
    return text


_URL_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_HOST_RE = re.compile(r"(?:[\w-]+\.)+[\w-]+|localhost")
_BARE_HOST_RE = re.compile(r"(?:www\.)?[\w-]+(?:\.[\w-]+)+/")
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: Web hosts that serve one scheme's records, each with the path pattern whose
#: group 1 is the id.
_HostPaths = tuple[tuple[str, re.Pattern[str]], ...]


def _valid_host(host: str) -> bool:
    """Whether ``host`` (lower case, no brackets) can name a web server."""
    return _HOST_RE.fullmatch(host) is not None or ":" in host  # ":" only in IPv6 literals


def _web_address(text: str, *, bare_host: bool = False) -> SplitResult | None:
    """``text`` split as an http(s) URL, or None when it is not a usable one.

    With ``bare_host``, ``host.example/path`` without a scheme counts too
    (people paste ``pubmed.ncbi.nlm.nih.gov/123/``). Never raises: schemes that
    only look for their hosts have nothing to say about a broken URL.
    """
    if _has_whitespace(text):
        return None
    match = _URL_SCHEME_RE.match(text)
    if match is None:
        if not (bare_host and _BARE_HOST_RE.match(text)):
            return None
        text = "https://" + text
    elif match.group(1).lower() not in _DEFAULT_PORTS:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if not parts.hostname or not _valid_host(parts.hostname):
        return None
    return parts


def _host_is(parts: SplitResult, *domains: str) -> bool:
    """Whether the URL's host is one of ``domains`` or a subdomain of one."""
    host = parts.hostname or ""
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def _explicit_rest(pattern: re.Pattern[str], text: str) -> str | None:
    """What follows a prefix such as ``doi:`` at the start of ``text``, if it has one."""
    match = pattern.match(text)
    return None if match is None else text[match.end() :]


class _FinderScheme(IdentifierScheme):
    """A built-in scheme, whose :meth:`parse` and :meth:`normalize` share one finder.

    Sharing it means that whatever one accepts, the other accepts too.
    """

    #: The scheme's identifiers, for messages ("a DOI").
    noun: ClassVar[str]

    @staticmethod
    def _find(text: str) -> Identifier | None:
        """The identifier ``text`` as a whole stands for, None when it is not one.

        Raises :class:`InvalidIdentifier` when the text is plainly meant as one
        but is malformed.
        """
        raise NotImplementedError

    def parse(self, text: str) -> Iterable[Identifier]:
        found = self._find(text)
        if found is not None:
            yield found

    def normalize(self, value: str) -> str:
        """The normalised value of ``value``; raises :class:`InvalidIdentifier` if it is none."""
        found = self._find(value.strip())
        if found is None:
            raise InvalidIdentifier(f"{_shown(value)!r} is not {self.noun}", scheme=self.name)
        return found.value


# --- DOI -------------------------------------------------------------------------------------

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
_PDF_SUFFIX_RE = re.compile(r"\.pdf$", re.IGNORECASE)
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
    body = _strip_unbalanced_end(body)
    if _DOI_RE.fullmatch(body):
        return body.lower()
    if not body:
        raise InvalidIdentifier("a DOI prefix or resolver is followed by no DOI", scheme="doi")
    if _DOI_PREFIX_ONLY_RE.fullmatch(body):
        raise InvalidIdentifier(
            f"{_shown(body)} is a DOI prefix with no suffix: a DOI reads 10.NNNN/suffix",
            scheme="doi",
        )
    if body.startswith("10/"):
        raise InvalidIdentifier(
            f"{_shown(body)} is a shortDOI, which paperfuse cannot expand: give the full DOI",
            scheme="doi",
        )
    if body.startswith("10."):
        raise InvalidIdentifier(
            f"{_shown(body)} is not a DOI: its prefix must be '10.' and a 4 to 9 digit registrant "
            "code, then '/' and a suffix",
            scheme="doi",
        )
    raise InvalidIdentifier(f"{_shown(body)} is not a DOI: a DOI starts with '10.'", scheme="doi")


def _doi_in_page_url(parts: SplitResult) -> str | None:
    """The DOI that a publisher's landing-page URL embeds in its path or query."""
    path = unquote(parts.path)
    match = _DOI_IN_PATH_RE.search(path)
    if match is not None:
        candidate = match.group(1)
        if _host_is(parts, *_PREPRINT_HOSTS):
            preprint = _PREPRINT_DOI_RE.fullmatch(candidate)
            candidate = preprint.group(1) if preprint else candidate
        elif "/doi/" in path.lower():
            candidate = _PUBLISHER_SUFFIX_RE.sub("", candidate)
        candidate = _strip_unbalanced_end(_PDF_SUFFIX_RE.sub("", candidate.rstrip("/")))
        if _DOI_RE.fullmatch(candidate):
            return candidate.lower()
    for _key, value in parse_qsl(parts.query):
        value = value.strip()
        if _DOI_RE.fullmatch(value):
            return value.lower()
    return None


def _find_doi(text: str) -> Identifier | None:
    """The DOI that ``text`` as a whole stands for, if any.

    Reads a bare DOI, ``doi:``-prefixed, doi.org resolver URLs (with or without
    scheme) and publisher pages whose URL embeds a DOI. Raises
    :class:`InvalidIdentifier` when the text is plainly meant as a DOI (a
    ``doi:`` prefix, a resolver URL, ``10.NNNN`` at the start) but is malformed.
    """
    rest = _explicit_rest(_DOI_RESOLVER_RE, text)
    if rest is not None:
        if _has_whitespace(rest):
            return None
        body = rest.split("#", 1)[0].split("?", 1)[0]
        return Identifier(scheme="doi", value=_checked_doi(unquote(body)))
    rest = _explicit_rest(_DOI_EXPLICIT_RE, text)
    if rest is None:
        rest = _explicit_rest(_DOI_SOFT_RE, text)
    if rest is None and text.startswith("10."):
        if not ("/" in text or "%" in text or _DOI_PREFIX_ONLY_RE.fullmatch(text)):
            return None  # "10.5" is a number, not a broken DOI
        rest = text
    if rest is not None:
        if _has_whitespace(rest):
            return None
        if _DOI_ENCODED_SLASH_RE.match(rest):
            rest = unquote(rest)
        return Identifier(scheme="doi", value=_checked_doi(rest))
    parts = _web_address(text)
    if parts is None or _host_is(parts, "doi.org"):
        return None
    found = _doi_in_page_url(parts)
    return (
        None
        if found is None
        else Identifier(scheme="doi", value=found, confidence=_PAGE_CONFIDENCE)
    )


class DoiScheme(_FinderScheme):
    """Digital Object Identifiers: ``10.1234/abc`` in its many written forms.

    Normalised in lower case (DOIs are case-insensitive), percent-decoded,
    without ``doi:`` or resolver prefix and without trailing punctuation
    that belongs to the surrounding sentence. A DOI read from a publisher's
    page URL has confidence 0.9: paths sometimes carry more than the DOI.
    """

    name = "doi"
    description = "DOIs (10.1038/nature12373, doi:..., doi.org and publisher URLs)"
    noun = "a DOI"
    _find = staticmethod(_find_doi)

    def url(self, identifier: Identifier) -> str | None:
        return "https://doi.org/" + quote(identifier.value, safe=_DOI_URL_SAFE)

    def explain(self, identifier: Identifier) -> str | None:
        return f"DOI {identifier.value} was read from the address of a publisher's page"


# --- arXiv -----------------------------------------------------------------------------------

#: Archives of old-style (1991 to 2007) arXiv identifiers.
_ARXIV_ARCHIVES = frozenset(
    {
        "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an",
        "chao-dyn", "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an",
        "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin",
        "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "quant-ph",
        "solv-int", "supr-con",
    }
)  # fmt: skip
_ARXIV_PREFIX_RE = re.compile(r"arxiv\s*:\s*", re.IGNORECASE)
_ARXIV_SOFT_RE = re.compile(r"arxiv\s+(?=\S+$)", re.IGNORECASE)
_ARXIV_URL_RE = re.compile(
    r"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(abs|pdf|ps|src|html|format)/+([^?#\s]*)"
    r"(?:[?#]\S*)?",
    re.IGNORECASE,
)
# The primary category that arXiv's stamp puts after an id: "arXiv:1501.00001v1 [hep-th]".
_ARXIV_CATEGORY_RE = re.compile(r"\s+\[[a-z-]+(?:\.[a-z-]+)?\]$", re.IGNORECASE)
_ARXIV_NEW_RE = re.compile(r"([0-9]{2})([0-9]{2})\.([0-9]+)(?:[vV]([0-9]*))?")
_ARXIV_OLD_RE = re.compile(r"([A-Za-z][A-Za-z-]*)(?:\.([A-Za-z]*))?/([0-9]+)(?:[vV]([0-9]*))?")
_ARXIV_ARCHIVE_NEW_RE = re.compile(
    r"([A-Za-z][A-Za-z-]*)(?:\.[A-Za-z]{2})?/([0-9]{4}\.[0-9]+(?:[vV][0-9]*)?)"
)
_ARXIV_LOOKS_NEW_RE = re.compile(r"[0-9]{4}\.[0-9]")
_ARXIV_LOOKS_OLD_RE = re.compile(r"([A-Za-z][A-Za-z-]*)(?:\.[A-Za-z]*)?/([0-9]*)")
_ARXIV_SUBJECT_CLASS_RE = re.compile(r"[A-Za-z]{2}")
_ARXIV_DOI_PREFIX = "10.48550/arxiv."


def _arxiv_version(digits: str | None) -> int | None:
    """The version number of a ``vN`` suffix, None without one."""
    if digits is None:
        return None
    if not digits:
        raise InvalidIdentifier("an arXiv version 'v' must be followed by a number", scheme="arxiv")
    if int(digits) == 0:
        raise InvalidIdentifier("arXiv versions start at v1, not v0", scheme="arxiv")
    return int(digits)


def _not_arxiv(value: str, style: str, problem: str) -> InvalidIdentifier:
    """The error for ``value``, shaped like a ``style`` arXiv id but breaking a rule."""
    return InvalidIdentifier(
        f"{_shown(value)} looks like {style} arXiv id, but {problem}", scheme="arxiv"
    )


def _new_arxiv_id(yy: str, mm: str, number: str, version: str | None) -> tuple[str, int | None]:
    """A checked new-style (2007 on) id ``YYMM.NNNN[N]`` and its version."""
    yymm = yy + mm
    value = f"{yymm}.{number}"
    if not 1 <= int(mm) <= 12:
        raise _not_arxiv(value, "a new-style", f"month {mm} is invalid (months are 01 to 12)")
    if yymm < "0704":
        raise _not_arxiv(value, "a new-style", "those start in April 2007 (0704)")
    width, period = (4, "from 0704 to 1412") if yymm < "1501" else (5, "from 1501 on")
    if len(number) != width:
        raise _not_arxiv(
            value,
            "a new-style",
            f"ids {period} have {width} digits after the dot, not {len(number)}",
        )
    if int(number) == 0:
        raise _not_arxiv(value, "a new-style", "numbers start at 1")
    return value, _arxiv_version(version)


def _old_arxiv_id(
    archive: str, subject: str | None, digits: str, version: str | None
) -> tuple[str, int | None]:
    """A checked old-style (1991 to 2007) id ``archive/YYMMNNN`` and its version.

    The subject class (``math.GT``) is not part of the id and is dropped, as
    arXiv itself does in its canonical form.
    """
    archive = archive.lower()
    value = f"{archive}/{digits}"
    if archive not in _ARXIV_ARCHIVES:
        raise _not_arxiv(value, "an old-style", "its archive is not one of arXiv's")
    if subject is not None and not _ARXIV_SUBJECT_CLASS_RE.fullmatch(subject):
        raise _not_arxiv(value, "an old-style", "a subject class has two letters, as in math.GT")
    if len(digits) != 7:
        raise _not_arxiv(value, "an old-style", f"it has {len(digits)} digits, not 7 (YYMMNNN)")
    yy, mm, number = digits[:2], digits[2:4], digits[4:]
    if "07" < yy < "91":
        raise _not_arxiv(value, "an old-style", f"those are from 1991 to 2007, not from year {yy}")
    if not 1 <= int(mm) <= 12:
        raise _not_arxiv(value, "an old-style", f"month {mm} is invalid (months are 01 to 12)")
    if number == "000":
        raise _not_arxiv(value, "an old-style", "numbers start at 001")
    return value, _arxiv_version(version)


def _dash_suggestion(candidate: str) -> str | None:
    """A reason naming the non-ASCII dashes in ``candidate``, if without them it is an id."""
    fixed = _DASH_RE.sub("-", candidate)
    if fixed == candidate:
        return None
    try:
        _arxiv_id(fixed)
    except InvalidIdentifier:
        return None
    names = ", ".join(
        f"U+{ord(c):04X} {_DASHES[c]}" for c in dict.fromkeys(_DASH_RE.findall(candidate))
    )
    style = "an old-style arXiv id" if "/" in fixed else "an arXiv id"
    return (
        f"{_shown(candidate)} looks like {style} containing a non-ASCII dash ({names}); "
        f"did you mean {fixed}?"
    )


def _arxiv_id(candidate: str) -> tuple[str, int | None]:
    """The normalised arXiv id and version that ``candidate`` is.

    Raises :class:`InvalidIdentifier` with the first rule it breaks.
    """
    match = _ARXIV_NEW_RE.fullmatch(candidate)
    if match is not None:
        return _new_arxiv_id(*match.groups())
    match = _ARXIV_ARCHIVE_NEW_RE.fullmatch(candidate)
    if match is not None and match.group(1).lower() in _ARXIV_ARCHIVES:
        # "hep-th/1601.07616": an archive written before a new-style id.
        return _arxiv_id(match.group(2))
    match = _ARXIV_OLD_RE.fullmatch(candidate)
    if match is not None:
        return _old_arxiv_id(*match.groups())
    suggestion = _dash_suggestion(candidate)
    raise InvalidIdentifier(
        suggestion
        or f"{_shown(candidate)!r} is not an arXiv id: expected YYMM.NNNNN or archive/YYMMNNN, "
        "optionally followed by a version vN",
        scheme="arxiv",
    )


def _looks_like_arxiv(candidate: str) -> bool:
    """Whether a text with no arXiv prefix is plainly meant as an arXiv id."""
    candidate = _DASH_RE.sub("-", candidate)
    if _ARXIV_LOOKS_NEW_RE.match(candidate):
        return True
    match = _ARXIV_LOOKS_OLD_RE.match(candidate)
    if match is None or not match.group(2):
        return False
    return match.group(1).lower() in _ARXIV_ARCHIVES or len(match.group(2)) >= 5


def _arxiv_candidate(text: str) -> tuple[str, bool] | None:
    """The part of ``text`` that should be an arXiv id, and whether the text says so."""
    match = _ARXIV_URL_RE.fullmatch(text)
    if match is not None:
        view, rest = match.groups()
        rest = rest.rstrip("/")
        if view.lower() == "pdf":
            rest = _PDF_SUFFIX_RE.sub("", rest)
        return rest, True
    text = _ARXIV_CATEGORY_RE.sub("", text)
    rest = _explicit_rest(_ARXIV_PREFIX_RE, text)
    explicit = rest is not None
    if rest is None:
        rest = _explicit_rest(_ARXIV_SOFT_RE, text)
    if rest is None:
        rest = text
    if _has_whitespace(rest):
        return None
    return rest.rstrip(_SENTENCE_END), explicit


def _find_arxiv(text: str) -> Identifier | None:
    """The arXiv identifier ``text`` as a whole stands for, if any."""
    try:
        doi = _find_doi(text)
    except InvalidIdentifier:
        doi = None
    if doi is not None:
        if not doi.value.startswith(_ARXIV_DOI_PREFIX):
            return None
        value, version = _arxiv_id(doi.value[len(_ARXIV_DOI_PREFIX) :])
        return Identifier(scheme="arxiv", value=value, version=version, confidence=doi.confidence)
    found = _arxiv_candidate(text)
    if found is None:
        return None
    candidate, explicit = found
    if not candidate and explicit:
        raise InvalidIdentifier("'arXiv:' is followed by no identifier", scheme="arxiv")
    if not explicit and not _looks_like_arxiv(candidate):
        return None
    value, version = _arxiv_id(candidate)
    return Identifier(scheme="arxiv", value=value, version=version)


class ArxivScheme(_FinderScheme):
    """arXiv identifiers, new style (``2301.00001``) and old style (``hep-th/9901001``).

    Read bare, after ``arXiv:``, in arxiv.org URLs and in arXiv DOIs
    (``10.48550/arXiv.2301.00001``). The value is the canonical id without
    version (``math.GT/0309136v2`` becomes ``math/0309136``); the version is
    kept apart in :attr:`Identifier.version`.
    """

    name = "arxiv"
    description = "arXiv ids, new and old style, with versions (1710.08557v2, hep-th/9901001)"
    noun = "an arXiv id"
    _find = staticmethod(_find_arxiv)

    def url(self, identifier: Identifier) -> str | None:
        version = "" if identifier.version is None else f"v{identifier.version}"
        return f"https://arxiv.org/abs/{identifier.value}{version}"

    def explain(self, identifier: Identifier) -> str | None:
        return f"arXiv id {identifier.value} was read from a DOI in the address of a page"


# --- PubMed ids --------------------------------------------------------------------------------

_PMID_EXPLICIT_RE = re.compile(r"(?:pmid|pubmed)\s*:\s*", re.IGNORECASE)
_PMID_SOFT_RE = re.compile(r"(?:pmid|pubmed)\s+(?=[0-9])", re.IGNORECASE)
_PMID_RE = re.compile(r"[0-9]{1,9}")
_PMID_GUESS_RE = re.compile(r"[1-9][0-9]{0,7}")
_PMID_PATHS: _HostPaths = (
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


def _id_in_url(text: str, paths: _HostPaths) -> str | None:
    """The id that one of ``paths`` (host, path pattern) finds in the URL ``text``."""
    parts = _web_address(text, bare_host=True)
    if parts is None:
        return None
    for host, pattern in paths:
        if _host_is(parts, host):
            match = pattern.fullmatch(parts.path)
            if match is not None:
                return match.group(1)
    return None


def _find_pmid(text: str) -> Identifier | None:
    """The PMID ``text`` as a whole stands for, if any."""
    rest = _explicit_rest(_PMID_EXPLICIT_RE, text)
    if rest is None:
        rest = _explicit_rest(_PMID_SOFT_RE, text)
    if rest is not None:
        rest = rest.rstrip(_SENTENCE_END)
        if _has_whitespace(rest):
            return None
        if _PMID_RE.fullmatch(rest):
            return Identifier(scheme="pmid", value=_checked_pmid(rest))
        if _PMCID_RE.fullmatch(rest):
            raise InvalidIdentifier(
                f"{rest} is a PMCID, not a PMID: write it as PMCID: {rest}", scheme="pmid"
            )
        shown = repr(_shown(rest)) if rest else "nothing"
        raise InvalidIdentifier(f"'PMID:' is followed by {shown}, not a number", scheme="pmid")
    if _PMID_GUESS_RE.fullmatch(text):
        return Identifier(scheme="pmid", value=text, confidence=_PMID_GUESS_CONFIDENCE)
    found = _id_in_url(text, _PMID_PATHS)
    return None if found is None else Identifier(scheme="pmid", value=_checked_pmid(found))


class PmidScheme(_FinderScheme):
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


# --- PubMed Central ids --------------------------------------------------------------------------

_PMCID_EXPLICIT_RE = re.compile(r"(?:pmcid\s*:?|pmc\s*:)\s*", re.IGNORECASE)
_PMCID_RE = re.compile(r"PMC([0-9]{1,9})", re.IGNORECASE)
_PMCID_LOOSE_RE = re.compile(r"PMC(?:[0-9]\S*)?", re.IGNORECASE)
_PMCID_PATHS: _HostPaths = (
    ("ncbi.nlm.nih.gov", re.compile(r"/pmc/articles/(PMC[0-9]+)(?:/.*)?", re.IGNORECASE)),
    ("pmc.ncbi.nlm.nih.gov", re.compile(r"/articles/(PMC[0-9]+)(?:/.*)?", re.IGNORECASE)),
    ("europepmc.org", re.compile(r"/article/PMC/((?:PMC)?[0-9]+)/?", re.IGNORECASE)),
    ("europepmc.org", re.compile(r"/articles/(PMC[0-9]+)/?", re.IGNORECASE)),
)


def _checked_pmcid(text: str) -> str:
    """``text`` (``PMC`` and digits, any case) as a PMCID; raises when malformed."""
    match = _PMCID_RE.fullmatch(text)
    if match is None:
        if not text:
            raise InvalidIdentifier("'PMCID:' is followed by no PMCID", scheme="pmcid")
        if text.isascii() and text.isdigit():
            raise InvalidIdentifier(
                f"a PMCID is 'PMC' followed by digits; {_shown(text)} without 'PMC' may be a PMID",
                scheme="pmcid",
            )
        if text.upper() == "PMC":
            raise InvalidIdentifier("'PMC' is followed by no digits", scheme="pmcid")
        raise InvalidIdentifier(
            f"{_shown(text)!r} is not a PMCID: it is 'PMC' and digits", scheme="pmcid"
        )
    number = int(match.group(1))
    if number == 0:
        raise InvalidIdentifier("PMCIDs start at PMC1", scheme="pmcid")
    return f"PMC{number}"


def _find_pmcid(text: str) -> Identifier | None:
    """The PMCID ``text`` as a whole stands for, if any."""
    rest = _explicit_rest(_PMCID_EXPLICIT_RE, text)
    if rest is None and _PMCID_LOOSE_RE.fullmatch(text):
        rest = text
    if rest is not None:
        rest = rest.rstrip(_SENTENCE_END)
        if _has_whitespace(rest):
            return None
        return Identifier(scheme="pmcid", value=_checked_pmcid(rest))
    found = _id_in_url(text, _PMCID_PATHS)
    if found is None:
        return None
    return Identifier(
        scheme="pmcid", value=_checked_pmcid(found if found[0] in "Pp" else "PMC" + found)
    )


class PmcidScheme(_FinderScheme):
    """PubMed Central ids: ``PMC123456``, ``PMCID: PMC123``, PMC and Europe PMC URLs.

    Normalised as ``PMC`` and the number without leading zeros.
    """

    name = "pmcid"
    description = "PubMed Central ids (PMC3737249, PMC article URLs)"
    noun = "a PMCID"
    _find = staticmethod(_find_pmcid)

    def url(self, identifier: Identifier) -> str | None:
        return f"https://pmc.ncbi.nlm.nih.gov/articles/{identifier.value}/"


# --- URLs ----------------------------------------------------------------------------------------

_URL_PREFIX_RE = re.compile(r"url\s*:\s*", re.IGNORECASE)


def _normalized_url(text: str) -> str:
    """The http(s) URL ``text`` with scheme and host in lower case, without fragment.

    Also drops a default port and gives an empty path its ``/``. Raises
    :class:`InvalidIdentifier` for a URL with no usable host or port.
    """
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidIdentifier(
            f"{_shown(text)!r} is not a valid URL: {exc}", scheme="url"
        ) from None
    host = parts.hostname or ""
    if not _valid_host(host):
        raise InvalidIdentifier(
            f"{_shown(text)!r} is not a valid URL: bad host {_shown(host)!r}", scheme="url"
        )
    scheme = parts.scheme.lower()
    userinfo, at, _ = parts.netloc.rpartition("@")
    netloc = userinfo + at + (f"[{host}]" if ":" in host else host)
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _find_url(text: str) -> Identifier | None:
    """The http(s) URL ``text`` (optionally after ``url:``) is, normalised."""
    rest = _explicit_rest(_URL_PREFIX_RE, text)
    target = text if rest is None else rest
    match = _URL_SCHEME_RE.match(target)
    if match is None:
        if rest is not None:
            raise InvalidIdentifier("'url:' is followed by no http(s) URL", scheme="url")
        return None
    if _has_whitespace(target):
        return None
    if match.group(1).lower() not in _DEFAULT_PORTS:
        raise InvalidIdentifier(
            f"only http and https URLs are supported, not {_shown(match.group(1))}:", scheme="url"
        )
    return Identifier(scheme="url", value=_normalized_url(target))


class UrlScheme(_FinderScheme):
    """Web addresses (http and https only) that no other scheme claims.

    A fallback: a URL that names a DOI, arXiv, PubMed or PMC record becomes
    that identifier instead; a publisher's page with a DOI in its address
    gives both the DOI and the URL. Normalised with scheme and host in lower
    case, without fragment or default port.
    """

    name = "url"
    description = "any other http(s) URL, when no other scheme claims it"
    noun = "an http(s) URL"
    fallback = True
    _find = staticmethod(_find_url)

    def url(self, identifier: Identifier) -> str | None:
        return identifier.value


_BUILTIN_SCHEMES: tuple[IdentifierScheme, ...] = (
    DoiScheme(),
    ArxivScheme(),
    PmidScheme(),
    PmcidScheme(),
    UrlScheme(),
)


def builtin_schemes() -> tuple[IdentifierScheme, ...]:
    """The schemes paperfuse knows without plugins, in the order they are tried."""
    return _BUILTIN_SCHEMES


# --- queries -------------------------------------------------------------------------------------

_PAREN_YEAR_RE = re.compile(r"\((1[6-9][0-9][0-9]|20[0-9][0-9])[a-z]?\)")
_YEAR_RE = re.compile(r"(?<![\w./:-])(1[6-9][0-9][0-9]|20[0-9][0-9])(?![\w/])")
_JOURNAL_RE = re.compile(
    r"[0-9]\s*\([0-9]+\)|[0-9]:\s*[0-9]|\bpp?\.\s*[0-9]|\b(?:vol|no)\.\s*[0-9]"
    r"|[0-9]\s*[-\u2013]\s*[0-9]",
    re.IGNORECASE,
)
_ET_AL_RE = re.compile(r"\bet\s+al\b", re.IGNORECASE)
_NAME = r"[^\W\d_][\w'\u2019-]*"
# First-author forms at the start of a citation; group 1 is the surname.
_FIRST_AUTHOR_RES = (
    re.compile(rf"({_NAME}),\s+(?:[^\W\d_]\.|[^\W\d_]{{2,}}\b)"),  # Smith, J. / Smith, John
    re.compile(rf"({_NAME})\s+[A-Z]{{1,3}}(?:[,.]|\s+et\s+al\b)"),  # Smith JA, (Vancouver)
    re.compile(rf"(?:[A-Z]\.[\s-]?){{1,3}}\s*({_NAME})"),  # J. Smith / J.-P. Serre
    re.compile(rf"({_NAME})\s+(?:et\s+al\b|&\s)"),  # Smith et al.
    re.compile(rf"[^\W\d_]+\s+({_NAME}),\s+[^\W\d_]+\s+{_NAME}[,.]"),  # Ashish Vaswani, Noam ...
)
_QUOTED_RE = re.compile(r'"([^"]{3,})"|\u201c([^\u201d]{3,})\u201d')
_SEGMENT_SPLIT_RE = re.compile(r"[.?!]\s+")
_INITIALS_RE = re.compile(r"(?:[A-Z]\.?-?){1,3},?")
_TITLE_TRIM = " .,;:"
_MIN_TITLE_WORDS = 3


def _year(text: str) -> int | None:
    """A plausible publication year: in parentheses if there is one, else the first."""
    match = _PAREN_YEAR_RE.search(text) or _YEAR_RE.search(text)
    return None if match is None else int(match.group(1))


def _first_author(text: str) -> str | None:
    """The first author's surname when ``text`` starts with an author."""
    for pattern in _FIRST_AUTHOR_RES:
        match = pattern.match(text)
        if match is not None and match.group(1)[0].isupper() and len(match.group(1)) > 1:
            return match.group(1)
    return None


def _is_citation(text: str, author: str | None) -> bool:
    """Whether ``text`` reads like a reference rather than a bare title."""
    if _PAREN_YEAR_RE.search(text):
        return True
    if _YEAR_RE.search(text) and (
        author is not None
        or _ET_AL_RE.search(text)
        or _JOURNAL_RE.search(text)
        or text.count(",") >= 3
    ):
        return True
    return len(text) >= 60 and text.count(".") >= 3


def _looks_like_authors(segment: str) -> bool:
    """Whether a sentence of a citation is a list of names rather than a title."""
    words = segment.replace(",", " ").split()
    initials = sum(1 for word in words if _INITIALS_RE.fullmatch(word))
    return bool(_ET_AL_RE.search(segment)) or "&" in segment or 3 * initials >= len(words)


def _title_like(segment: str) -> bool:
    """Whether a sentence of a citation can be its title: words, no year, no names."""
    return (
        len(segment.split()) >= _MIN_TITLE_WORDS
        and not _YEAR_RE.search(segment)
        and not _looks_like_authors(segment)
    )


def _citation_title(text: str, author: str | None) -> str | None:
    """The part of a citation that looks like its title, if one does."""
    quoted = _QUOTED_RE.search(text)
    if quoted is not None:
        return (quoted.group(1) or quoted.group(2)).strip(_TITLE_TRIM)
    paren_year = _PAREN_YEAR_RE.search(text)
    if paren_year is not None:
        # APA: the title is the sentence right after "(2020)."; with no author
        # before the year, the text before it ("A title (2017)") is the title.
        after = _SEGMENT_SPLIT_RE.split(text[paren_year.end() :].lstrip(_TITLE_TRIM), maxsplit=1)
        title = after[0].strip(_TITLE_TRIM)
        if title and not _YEAR_RE.search(title):
            return title
        before = text[: paren_year.start()].strip(_TITLE_TRIM)
        if author is None and _title_like(before):
            return before
    segments = [segment.strip(_TITLE_TRIM) for segment in _SEGMENT_SPLIT_RE.split(text)]
    if author is not None:
        segments = segments[1:]
    return next((segment for segment in segments if _title_like(segment)), None)


def _query(text: str) -> Query:
    """``text`` as a title or citation query, with what can be read from it."""
    text = " ".join(text.split())
    author = _first_author(text)
    if _is_citation(text, author):
        return Query(
            kind="citation",
            text=text,
            title=_citation_title(text, author),
            author=author,
            year=_year(text),
        )
    title = text[1:-1].strip() if len(text) > 2 and _WRAPPERS.get(text[0]) == text[-1] else text
    return Query(kind="title", text=text, title=title)


# --- identify ------------------------------------------------------------------------------------


class _Reading(NamedTuple):
    """What a set of schemes made of one text, before it becomes an Identification."""

    identifiers: tuple[Identifier, ...]
    invalid: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def confident(self) -> bool:
        """Whether some scheme is certain of an identifier."""
        return any(identifier.confidence >= 1.0 for identifier in self.identifiers)

    def reason(self) -> str | None:
        """The notes and invalidity reasons as one sentence-like string."""
        return "; ".join(self.notes + self.invalid) or None


def _scheme_name(scheme: IdentifierScheme) -> str:
    """A scheme's name, even for a plugin that forgot to set one."""
    return str(getattr(scheme, "name", type(scheme).__name__))


def _is_fallback(scheme: IdentifierScheme) -> bool:
    """Whether a scheme only speaks when no other claims the text (see ``fallback``)."""
    return bool(getattr(scheme, "fallback", False))


def _read(text: str, schemes: Sequence[IdentifierScheme]) -> _Reading:
    """Ask every scheme about ``text``; a scheme that fails is noted and skipped."""
    found: list[tuple[Identifier, IdentifierScheme]] = []
    invalid: list[str] = []
    notes: list[str] = []
    for scheme in schemes:
        try:
            items = list(scheme.parse(text))
        except InvalidIdentifier as exc:
            invalid.append(exc.reason)
            continue
        except Exception as exc:  # a plugin's bug must not stop identification
            notes.append(
                f"scheme {_scheme_name(scheme)!r} failed and was skipped: {_shown(repr(exc))}"
            )
            continue
        if not all(isinstance(item, Identifier) for item in items):
            notes.append(f"scheme {_scheme_name(scheme)!r} returned something not an Identifier")
            continue
        found.extend((item, scheme) for item in items)
    claimed = bool(invalid) or any(
        ident.confidence >= 1.0 and not _is_fallback(scheme) for ident, scheme in found
    )
    best: dict[tuple[str, str, int | None], tuple[Identifier, IdentifierScheme]] = {}
    for ident, scheme in found:
        kept = best.get(ident.key)
        if not (claimed and _is_fallback(scheme)) and (
            kept is None or ident.confidence > kept[0].confidence
        ):
            best[ident.key] = (ident, scheme)
    ranked = sorted(best.values(), key=lambda pair: -pair[0].confidence)
    notes.extend(
        note
        for ident, scheme in ranked
        if ident.confidence < 1.0
        for note in _explanation(scheme, ident)
    )
    return _Reading(
        tuple(ident for ident, _ in ranked), tuple(invalid), tuple(dict.fromkeys(notes))
    )


def _explanation(scheme: IdentifierScheme, identifier: Identifier) -> list[str]:
    """The scheme's explanation of a guess, guarded like :meth:`parse`."""
    try:
        note = scheme.explain(identifier)
    except Exception:  # an explanation is optional; a failing one is dropped
        return []
    return [] if note is None else [str(note)]


_TOKEN_RE = re.compile(r"(?:[A-Za-z][\w-]*:\s+)?\S+")


def _read_tokens(text: str, schemes: Sequence[IdentifierScheme]) -> _Reading | None:
    """A reading of several identifiers separated by whitespace, if ``text`` is that.

    Each token (``doi: 10.1/x`` counts as one) must be an identifier some scheme
    is certain of, or a malformed one. Otherwise (a word, a bare number) the
    text is a query and this returns None.
    """
    tokens = _TOKEN_RE.findall(text)
    if not 2 <= len(tokens) <= _MAX_TOKENS:
        return None
    readings = [_read(token, schemes) for token in tokens]
    if not all(
        reading.confident or (reading.invalid and not reading.identifiers) for reading in readings
    ):
        return None
    notes = tuple(note for reading in readings for note in reading.notes)
    invalid = tuple(
        f"{token}: {reason}"
        for token, reading in zip(tokens, readings, strict=True)
        if not reading.identifiers
        for reason in reading.invalid
    )
    if invalid:  # one malformed identifier spoils the list: say which, drop none silently
        return _Reading((), invalid, notes)
    identifiers = {ident.key: ident for reading in readings for ident in reading.identifiers}
    return _Reading(tuple(identifiers.values()), (), notes)


def _writable(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, so that it can be encoded."""
    return _SURROGATE_RE.sub("\ufffd", text)


def _undecodable(text: str) -> str | None:
    """Why ``text`` is not text at all (it holds lone surrogates), or None.

    Bytes that are not UTF-8 arrive as lone surrogates (see ``_SURROGATE_RE``),
    which no encoder writes out: the input is refused, naming the first bad byte.
    """
    match = _SURROGATE_RE.search(text)
    if match is None:
        return None
    code, where = ord(match.group()), match.start()
    if code in _ESCAPED_BYTES:
        return f"input is not valid UTF-8: byte 0x{code - 0xDC00:02x} at position {where}"
    return f"input contains U+{code:04X}, a lone surrogate, at position {where}: it is not text"


def _reading(text: str, schemes: Sequence[IdentifierScheme]) -> _Reading:
    """What ``schemes`` make of ``text`` as a whole, or as a list of identifiers."""
    reading = _read(text, schemes)
    if not reading.identifiers and not reading.invalid and _has_whitespace(text):
        reading = _read_tokens(text, schemes) or reading
    return reading


def _claimed(reading: _Reading, schemes: Sequence[IdentifierScheme]) -> bool:
    """Whether a scheme other than a fallback is certain of an identifier in ``reading``."""
    fallbacks = {_scheme_name(scheme) for scheme in schemes if _is_fallback(scheme)}
    return any(
        identifier.confidence >= 1.0 and identifier.scheme not in fallbacks
        for identifier in reading.identifiers
    )


def _digit_suggestion(text: str, schemes: Sequence[IdentifierScheme]) -> str | None:
    """A reason naming the non-ASCII digits in ``text``, if in ASCII digits it is an identifier.

    Identifiers are written in ASCII digits: an arXiv id in Arabic-Indic or
    fullwidth digits is refused with the ASCII form as a suggestion, not read as
    one (services would not know it). Other text keeps its digits: a title, or
    a DOI suffix, may hold any script's.
    """
    first = next(
        (
            (where, char)
            for where, char in enumerate(text)
            if char.isdecimal() and not char.isascii()
        ),
        None,
    )
    if first is None:
        return None
    fixed = "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in text)
    if not _claimed(_reading(fixed, schemes), schemes):
        return None
    where, char = first
    name = f"U+{ord(char):04X} {unicodedata.name(char, '')}".rstrip()
    return (
        f"{_shown(text)} is written in digits that are not ASCII ({name} at position {where}); "
        f"did you mean {_shown(fixed)}?"
    )


def _unusable(text: str) -> str | None:
    """Why a stripped, non-empty input cannot be read at all, or None."""
    control = _CONTROL_RE.search(text)
    if control is not None:
        code = f"U+{ord(control.group()):04X}"
        return f"input contains the control character {code} at position {control.start()}"
    if not any(char.isalnum() for char in text):
        return "input has no letters or digits"
    return None


def identify(text: str, schemes: Sequence[IdentifierScheme] | None = None) -> Identification:
    """What ``text`` identifies: identifiers, a title/citation query, or a reason why not.

    ``schemes`` defaults to :func:`builtin_schemes`; pass more (from plugins)
    to have them consulted too. Every scheme reads the whole stripped text; an
    identifier with confidence 1.0 from one scheme silences the URL fallback.
    A text of several whitespace-separated identifiers gives them all.
    Identifiers come de-duplicated, most confident first. Never raises for
    bad input or a failing scheme: the result is ``invalid`` with a reason,
    or the failure is noted in ``reason``. Text holding lone surrogates (bytes
    that were not UTF-8) is invalid, and its :attr:`Identification.text` has
    U+FFFD in their place, so that every result can be written out.
    """
    if not isinstance(text, str):
        return Identification(
            text=repr(text)[:_SHOWN_LENGTH],
            kind="invalid",
            reason=f"input must be text, not {type(text).__name__}",
        )
    stripped = text.strip()
    if len(stripped) > MAX_INPUT_LENGTH:
        return Identification(
            text=_writable(stripped[:_SHOWN_LENGTH]) + "\u2026",
            kind="invalid",
            reason=f"input is {len(stripped):,} characters long; the limit is {MAX_INPUT_LENGTH:,}",
        )
    undecodable = _undecodable(stripped)
    if undecodable is not None:
        return Identification(text=_writable(stripped), kind="invalid", reason=undecodable)
    cleaned = _unwrap(stripped.translate(_INVISIBLE).strip())
    if not cleaned:
        return Identification(text=stripped, kind="invalid", reason="empty input")
    problem = _unusable(cleaned)
    if problem is not None:
        return Identification(text=stripped, kind="invalid", reason=problem)
    active = builtin_schemes() if schemes is None else tuple(schemes)
    reading = _reading(cleaned, active)
    if not _claimed(reading, active):
        suggestion = _digit_suggestion(cleaned, active)
        if suggestion is not None:
            return Identification(text=stripped, kind="invalid", reason=suggestion)
    if reading.invalid and not reading.identifiers:
        return Identification(text=stripped, kind="invalid", reason=reading.reason())
    if reading.identifiers:
        return Identification(
            text=stripped,
            kind="identifier",
            identifiers=reading.identifiers,
            reason=reading.reason(),
        )
    return Identification(
        text=stripped, kind="query", query=_query(cleaned), reason=reading.reason()
    )
