"""Identifier schemes and :func:`identify`.

A scheme knows how to find its identifiers in a text and how to normalise
them. The built-in schemes have a module each (``doi``, ``arxiv``, ``pmid``,
``pmcid``, ``url``) on the base classes and helpers of ``base`` and ``web``;
plugins add more through the ``paperfuse_register_schemes`` hook. ``query``
reads an input that is no identifier; ``identification`` holds :func:`identify`.

:func:`identify` is step 1 of a resolution: it reads one input as a whole and
says what it is: one or more identifiers, a title or citation query, or an
invalid input with a reason. It never raises for bad input, and it rejects
over-long input before any regular expression runs over it. Every regular
expression here is anchored or linear, so that a hostile text of
:data:`MAX_INPUT_LENGTH` characters is read in a few milliseconds. Digits in
identifiers are ASCII digits only (``[0-9]``, never ``\\d``, which matches every
script's digits).
"""

from .arxiv import ArxivScheme
from .base import IdentifierScheme
from .doi import DoiScheme
from .identification import MAX_INPUT_LENGTH, builtin_schemes, identify
from .pmcid import PmcidScheme
from .pmid import PmidScheme
from .url import UrlScheme

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
