"""What every identifier scheme shares: the base classes and the text helpers.

:class:`IdentifierScheme` is what plugins subclass; :class:`FinderScheme` is the
built-in schemes' base, whose ``parse`` and ``normalize`` share one finder.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import ClassVar

from .._errors import InvalidIdentifier
from .._records import Identifier

__all__ = [
    "SENTENCE_END",
    "WRAPPERS",
    "FinderScheme",
    "IdentifierScheme",
    "explicit_rest",
    "has_whitespace",
    "shown",
    "strip_unbalanced_end",
    "unwrap",
]

#: How much of the input a reason quotes.
_QUOTED_LENGTH = 60
_WHITESPACE_RE = re.compile(r"\s")
# Pairs that may wrap a whole identifier: "10.1/x", <https://...>, (PMC123).
WRAPPERS = {
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
SENTENCE_END = ".,;"


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


def has_whitespace(text: str) -> bool:
    """Whether ``text`` holds more than one token, so is no single identifier."""
    return _WHITESPACE_RE.search(text) is not None


def strip_unbalanced_end(text: str) -> str:
    """``text`` without trailing sentence punctuation and unbalanced closers.

    A DOI quoted in prose often ends with ``.``, ``,``, ``)`` or a quote that
    belongs to the sentence; a closer that has its opener inside the DOI (as in
    ``10.1002/(SICI)...(199806)``) belongs to the DOI and stays.
    """
    if not text or text[-1].isalnum():
        return text  # the usual case: nothing at the end to weigh (no count of closers)
    counts = Counter(text)
    end = len(text)
    while end:
        last = text[end - 1]
        unbalanced = (last in _CLOSERS and counts[last] > counts[_CLOSERS[last]]) or (
            last in _QUOTES and counts[last] % 2 == 1
        )
        if last not in SENTENCE_END and not unbalanced:
            break
        counts[last] -= 1
        end -= 1
    return text[:end]


def shown(text: str) -> str:
    """``text`` cut to a length that a reason can quote."""
    return text if len(text) <= _QUOTED_LENGTH else text[:_QUOTED_LENGTH] + "\u2026"


def unwrap(text: str) -> str:
    """``text`` without one pair of quotes or brackets around a single token."""
    if len(text) > 2 and WRAPPERS.get(text[0]) == text[-1] and not has_whitespace(text):
        return text[1:-1].strip()
    return text


def explicit_rest(pattern: re.Pattern[str], text: str) -> str | None:
    """What follows a prefix such as ``doi:`` at the start of ``text``, if it has one."""
    match = pattern.match(text)
    return None if match is None else text[match.end() :]


class FinderScheme(IdentifierScheme):
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
            raise InvalidIdentifier(f"{shown(value)!r} is not {self.noun}", scheme=self.name)
        return found.value
