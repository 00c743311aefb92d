"""Output formats: how a :class:`Work` is written out.

Plugins add formats through the ``paperfuse_register_formats`` hook by
returning :class:`OutputFormat` subclasses; ``paperfuse resolve --format NAME``
picks one.

Every built-in format writes any record, even one holding lone surrogates
(what bytes that are not UTF-8 become in Python): they are written as U+FFFD,
so that a batch's output never stops at one odd record.
"""

from __future__ import annotations

import re
from typing import IO, Any, ClassVar

import msgspec

from ._records import Work, encode_json

__all__ = ["BatchWriter", "JSONFormat", "OutputFormat", "writable_json"]

_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _writable(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, so that it encodes as UTF-8."""
    if text.isascii():
        return text
    try:
        # Lone surrogates are the only code points UTF-8 cannot encode: a text that
        # encodes has none (checked in C, where the regular expression took 25 us a
        # record).
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE_RE.sub("\ufffd", text)
    return text


def _scrubbed(value: Any) -> Any:
    """Builtins ``value`` with every string (keys too) made :func:`_writable`."""
    if isinstance(value, str):
        return _writable(value)
    if isinstance(value, dict):
        return {_scrubbed(k): _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v) for v in value]
    return value


def writable_json(value: Any) -> str:
    """``value`` (a record, or builtins) as compact JSON that always encodes as UTF-8.

    The same text as :func:`encode_json`; a lone surrogate anywhere becomes U+FFFD
    instead of an error.
    """
    try:
        return encode_json(value).decode()
    except UnicodeEncodeError:
        builtins = msgspec.to_builtins(value, order="deterministic")
        return msgspec.json.encode(_scrubbed(builtins), order="deterministic").decode()


class OutputFormat:
    """Base class of an output format.

    ``render`` turns one work into text; a batch is ``begin()``, then the
    renderings of its works, one after another, each ending with a newline
    and each but the first preceded by ``separator``, then ``end()`` (see
    :class:`BatchWriter`). With the defaults (no begin, end or separator)
    JSON output of a batch is JSON Lines.

    One instance renders one batch: state a batch shares (citation keys
    unique within it) lives on the instance, made in ``__init__``, which
    takes no arguments.

    A format whose output is one bibliography (a .bib file, a CSL-JSON
    array) sets ``bibliography = True``: only resolved works are rendered
    into it; a failed input is no entry (the CLI reports it on stderr and in
    ``NAME.errors.jsonl``), so the file is always valid. Other formats
    render every work, failed ones too (their ``status`` and ``error``).
    """

    #: Unique name used by ``--format``.
    name: ClassVar[str]
    #: One line for ``paperfuse plugins`` and ``--help``.
    description: ClassVar[str] = ""
    #: True when the output is one bibliography: only resolved works are rendered.
    bibliography: ClassVar[bool] = False
    #: Text written between two renderings (before each but the first).
    separator: ClassVar[str] = ""

    def begin(self) -> str:
        """Text written before the first rendering (an array's ``[``), even of an empty batch."""
        return ""

    def end(self) -> str:
        """Text written after the last rendering (an array's ``]``), even of an empty batch."""
        return ""

    def render(self, work: Work) -> str:
        """The text of one work, without a trailing newline."""
        raise NotImplementedError

    def accepts(self, work: Work) -> bool:
        """Whether ``work`` is rendered: any work, or only resolved ones for a bibliography."""
        return not self.bibliography or work.status == "resolved"


class BatchWriter:
    """Writes one batch of works in one format to a text stream.

    ``begin()`` is written at once, each accepted work's rendering as it is
    added (each followed by a newline, so that a killed run loses no record
    written so far), ``end()`` on :meth:`close`. The CLI and
    :func:`paperfuse.render` write through it.
    """

    def __init__(self, output_format: OutputFormat, stream: IO[str]) -> None:
        self.format = output_format
        self.stream = stream
        self.written = 0
        self._closed = False
        stream.write(_writable(output_format.begin()))

    def add(self, work: Work, text: str | None = None) -> bool:
        """Write ``work`` (as ``text`` when given, else its rendering); False when left out.

        A bibliography format leaves out every work that is not resolved.
        """
        if not self.format.accepts(work):
            return False
        if text is None:
            text = self.format.render(work)
        if self.written:
            self.stream.write(_writable(self.format.separator))
        self.stream.write(_writable(text) + "\n")
        self.written += 1
        return True

    def close(self) -> None:
        """Write ``end()``, once."""
        if not self._closed:
            self._closed = True
            self.stream.write(_writable(self.format.end()))


class JSONFormat(OutputFormat):
    """The canonical record as JSON, one line per work."""

    name = "json"
    description = "the canonical record as JSON (JSON Lines for several inputs)"

    def render(self, work: Work) -> str:
        return writable_json(work)
