"""Step 1 of a resolution: what one input is, read by every identifier scheme.

:func:`identify` says whether a text is one or more identifiers, a title or
citation query, or an invalid input with a reason; :func:`builtin_schemes` are
the schemes it asks when no others are given.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import NamedTuple

from .._errors import InvalidIdentifier
from .._records import Identification, Identifier
from .arxiv import ArxivScheme, _new_arxiv_id
from .base import IdentifierScheme, has_whitespace, shown, strip_unbalanced_end, unwrap
from .doi import DoiScheme, _checked_doi, is_bare_doi
from .pmcid import PmcidScheme
from .pmid import PmidScheme
from .query import as_query
from .url import UrlScheme

__all__ = ["MAX_INPUT_LENGTH", "builtin_schemes", "identify"]

#: The longest input (after stripping surrounding whitespace) that
#: :func:`identify` reads. Longer input is invalid at once: no identifier or
#: citation is that long, and refusing it early bounds the work per input.
MAX_INPUT_LENGTH = 2_000

#: How much of an over-long input :attr:`Identification.text` keeps.
_SHOWN_LENGTH = 100
#: More whitespace-separated tokens than this make a text a query, not a list.
_MAX_TOKENS = 16

# Invisible characters that copy and paste from web pages and PDFs leave
# inside identifiers (soft hyphen, zero-width spaces and joiners, BOM).
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
# C0 and C1 control characters other than the whitespace ones.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Lone surrogates: what bytes that are not UTF-8 become when Python decodes argv,
# or a stream with errors="surrogateescape" (U+DC80 to U+DCFF for bytes 0x80 to 0xff).
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_ESCAPED_BYTES = range(0xDC80, 0xDD00)


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


#: A plain new-style arXiv id, as most batches hold them: read by the fast path.
_PLAIN_ARXIV_RE = re.compile(r"[0-9]{4}\.[0-9]{4,5}(?:v[1-9][0-9]{0,4})?")


def _plain_arxiv(text: str) -> Identification | None:
    """What :func:`identify` says of a plain new-style arXiv id under the built-in
    schemes, without asking each scheme; None for anything else.

    No other built-in scheme claims or refuses such a text, so the general
    reading gives this one identifier and no reason (tests/test_fast_paths.py
    compares the two).
    """
    if _PLAIN_ARXIV_RE.fullmatch(text) is None:
        return None
    try:
        value, version = _new_arxiv_id(text[:2], text[2:4], *_split_plain(text[5:]))
    except InvalidIdentifier:
        return None  # the general reading says why
    identifier = Identifier(scheme="arxiv", value=value, version=version)
    return Identification(text=text, kind="identifier", identifiers=(identifier,))


#: The prefix of arXiv's DOIs, which the arXiv scheme reads too.
_ARXIV_DOI_PREFIX = "10.48550/"


def _plain_doi(text: str) -> Identification | None:
    """What :func:`identify` says of a bare DOI in printable ASCII under the built-in
    schemes, without asking each scheme; None for anything else.

    Only the DOI scheme reads such a text (not as a URL: no ``://``; not
    arXiv's DOIs, which the arXiv scheme reads too), so the general reading
    gives this one identifier and no reason (tests/test_fast_paths.py compares
    the two).
    """
    if not (is_bare_doi(text) and text.isascii() and text.isprintable()):
        return None
    if "://" in text or text.startswith(_ARXIV_DOI_PREFIX) or text != strip_unbalanced_end(text):
        return None
    try:
        value = _checked_doi(text)
    except InvalidIdentifier:
        return None  # the general reading says why
    return Identification(
        text=text, kind="identifier", identifiers=(Identifier(scheme="doi", value=value),)
    )


#: doi.org's resolver addresses, as sources write a work's DOI (OpenAlex, Crossref's URL).
_DOI_URL_PREFIXES = (
    "https://doi.org/",
    "http://doi.org/",
    "https://dx.doi.org/",
    "http://dx.doi.org/",
)


def _plain_doi_url(text: str) -> Identification | None:
    """What :func:`identify` says of a bare DOI behind doi.org's address (``https://doi.org/``
    and a text :func:`_plain_doi` reads, with no query or fragment) under the built-in
    schemes; None for anything else.

    The DOI scheme reads it as it reads the bare DOI (the text after the
    address, with nothing to unquote or cut), and its confident reading
    silences the URL fallback (tests/test_fast_paths.py compares the two).
    """
    prefix = next((p for p in _DOI_URL_PREFIXES if text.startswith(p)), None)
    if prefix is None:
        return None
    rest = text[len(prefix) :]
    if "?" in rest or "#" in rest:
        return None
    bare = _plain_doi(rest)
    if bare is None:
        return None
    return Identification(text=text, kind="identifier", identifiers=bare.identifiers)


def _unclaimed_by_others(text: str, schemes: Sequence[IdentifierScheme]) -> bool:
    """Whether ``schemes`` are the built-in ones and others (a plugin's) that say
    nothing at all of ``text``: then the built-in schemes' reading is the reading."""
    others = [scheme for scheme in schemes if scheme not in _BUILTIN_SCHEMES]
    if len(schemes) - len(others) != len(_BUILTIN_SCHEMES):
        return False
    for scheme in others:
        try:
            if next(iter(scheme.parse(text)), None) is not None:
                return False
        except Exception:  # refused or failed: the general reading says so
            return False
    return True


def _split_plain(rest: str) -> tuple[str, str | None]:
    number, _, version = rest.partition("v")
    return number, version or None


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
                f"scheme {_scheme_name(scheme)!r} failed and was skipped: {shown(repr(exc))}"
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
    if not reading.identifiers and not reading.invalid and has_whitespace(text):
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
        f"{shown(text)} is written in digits that are not ASCII ({name} at position {where}); "
        f"did you mean {shown(fixed)}?"
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
    if type(text) is str:
        fast = _plain_arxiv(text) or _plain_doi(text) or _plain_doi_url(text)
        if fast is not None and (schemes is None or _unclaimed_by_others(text, schemes)):
            return fast
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
    cleaned = unwrap(stripped.translate(_INVISIBLE).strip())
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
        text=stripped, kind="query", query=as_query(cleaned), reason=reading.reason()
    )
