"""arXiv ids, new style (``2301.00001``) and old style (``hep-th/9901001``)."""

from __future__ import annotations

import re

from .._errors import InvalidIdentifier
from .._records import Identifier
from .base import SENTENCE_END, FinderScheme, explicit_rest, has_whitespace, shown
from .doi import find_doi
from .web import PDF_SUFFIX_RE

__all__ = ["ArxivScheme"]

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
_PLAIN_NEW_RE = re.compile(r"[0-9]{4}\.[0-9]{4,5}")
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
        f"{shown(value)} looks like {style} arXiv id, but {problem}", scheme="arxiv"
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
        f"{shown(candidate)} looks like {style} containing a non-ASCII dash ({names}); "
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
        or f"{shown(candidate)!r} is not an arXiv id: expected YYMM.NNNNN or archive/YYMMNNN, "
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
            rest = PDF_SUFFIX_RE.sub("", rest)
        return rest, True
    text = _ARXIV_CATEGORY_RE.sub("", text)
    rest = explicit_rest(_ARXIV_PREFIX_RE, text)
    explicit = rest is not None
    if rest is None:
        rest = explicit_rest(_ARXIV_SOFT_RE, text)
    if rest is None:
        rest = text
    if has_whitespace(rest):
        return None
    return rest.rstrip(SENTENCE_END), explicit


def _find_arxiv(text: str) -> Identifier | None:
    """The arXiv identifier ``text`` as a whole stands for, if any."""
    try:
        doi = find_doi(text)
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


class ArxivScheme(FinderScheme):
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

    def normalize(self, value: str) -> str:
        """The normalised id of ``value``; a plain new-style id is checked without a search
        of every form (what sources give nearly always; the same answer either way)."""
        if _PLAIN_NEW_RE.fullmatch(value) is not None:
            try:
                return _new_arxiv_id(value[:2], value[2:4], value[5:], None)[0]
            except InvalidIdentifier:
                pass  # the general path says why
        return super().normalize(value)

    def url(self, identifier: Identifier) -> str | None:
        version = "" if identifier.version is None else f"v{identifier.version}"
        return f"https://arxiv.org/abs/{identifier.value}{version}"

    def explain(self, identifier: Identifier) -> str | None:
        return f"arXiv id {identifier.value} was read from a DOI in the address of a page"
