"""Reading batch inputs and writing batch output for ``paperfuse resolve``.

Input files are read as bytes and decoded line by line, streaming: a line
that is not valid UTF-8 (or UTF-16, for a file that starts with its byte
order mark), an over-long line or a CSV row that cannot be parsed becomes
one invalid input that names its line, and the rest of the file is read.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import stat
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO, NamedTuple

import click

if TYPE_CHECKING:
    from .._records import Work

__all__ = [
    "MAX_LINE_LENGTH",
    "Input",
    "InputFeed",
    "Output",
    "count_inputs",
    "read_inputs",
]

#: The longest line (in characters) read from an input file; a longer line is
#: one invalid input, and only this much of it is ever held in memory. It is
#: also the longest CSV field (the csv module's own limit is 131,072).
MAX_LINE_LENGTH = 1 << 24

# Each byte that cannot be decoded becomes the lone surrogate U+DC00 + byte,
# as Python's "surrogateescape" does for bytes 0x80 to 0xff (the only ones
# UTF-8 can trip on); UTF-16 can trip on any byte, which surrogateescape refuses.
_UNDECODABLE = "paperfuse-undecodable"
_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _escape_undecodable(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(chr(0xDC00 + byte) for byte in bad), error.end


codecs.register_error(_UNDECODABLE, _escape_undecodable)

#: Byte order marks, longest first (UTF-32's starts like UTF-16's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


class Input(NamedTuple):
    """One input of a batch file: its text, and why it cannot be read, if it cannot.

    ``line`` is the number of the line it starts on. When ``problem`` is set,
    ``text`` is what can be shown of it (possibly empty), and the input is
    reported invalid with ``problem`` as the reason.
    """

    line: int
    text: str
    problem: str | None = None


class _LineTooLong(Exception):
    """A line longer than :data:`MAX_LINE_LENGTH`, skipped (raised through csv's reader)."""

    def __init__(self, line: int) -> None:
        super().__init__(_too_long(line))
        self.line = line


_EOL = ("\n", "\r")


def _too_long(line: int) -> str:
    return f"line {line} is longer than {MAX_LINE_LENGTH:,} characters"


def _is_cut(line: str, limit: int) -> bool:
    """Whether ``readline(limit)`` gave only the start of a longer line."""
    return len(line) == limit and not line.endswith(_EOL)


def _skip_rest_of_line(stream: IO[str], limit: int) -> None:
    """Read to the end of the current line without keeping it."""
    while (rest := stream.readline(limit)) and _is_cut(rest, limit):
        pass


class _Lines:
    """The lines of a text stream, counted, each at most :data:`MAX_LINE_LENGTH` long.

    An over-long line is read to its end but not kept: iterating raises
    :class:`_LineTooLong` for it and goes on with the next line afterwards
    (a class, not a generator, so that it can go on after raising).
    """

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.number = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        limit = MAX_LINE_LENGTH
        line = self.stream.readline(limit)
        if not line:
            raise StopIteration
        self.number += 1
        if _is_cut(line, limit):
            _skip_rest_of_line(self.stream, limit)
            raise _LineTooLong(self.number)
        return line


@contextmanager
def _decoded(path: str) -> Iterator[tuple[IO[str], str]]:
    """The file (or stdin for ``-``) as text, with the name of its encoding.

    UTF-8 unless the file starts with a UTF-16 or UTF-32 byte order mark; a
    UTF-8 one is skipped. Undecodable bytes become lone surrogates (see
    ``_escape_undecodable``), for the reader to report with their line.
    """
    if path == "-":
        with _text_of(click.get_binary_stream("stdin")) as decoded:
            yield decoded
        return
    try:
        binary = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as e:
        raise click.UsageError(f"cannot read --input {path}: {e.strerror or e}") from None
    with binary, _text_of(binary) as decoded:
        yield decoded


@contextmanager
def _text_of(binary: BinaryIO) -> Iterator[tuple[IO[str], str]]:
    """``binary`` decoded in the encoding its byte order mark names (UTF-8 without one)."""
    if not hasattr(binary, "peek"):
        binary = io.BufferedReader(binary)  # type: ignore[arg-type]
    head = binary.peek(4)[:4]  # type: ignore[attr-defined]
    encoding, name = "utf-8-sig", "UTF-8"
    for bom, codec, label in _BOMS:
        if head.startswith(bom):
            encoding, name = codec, label
            break
    text = io.TextIOWrapper(binary, encoding=encoding, errors=_UNDECODABLE, newline="")
    try:
        yield text, name
    finally:
        text.detach()  # leaves the binary stream open: stdin is not ours to close


def _undecodable(text: str, encoding: str) -> str | None:
    """Why ``text`` was not decodable, naming the first bad byte, or None."""
    match = _SURROGATE_RE.search(text)
    if match is None:
        return None
    byte = ord(match.group()) - 0xDC00
    return f"not valid {encoding}: byte 0x{byte:02x} at position {match.start()}"


def read_inputs(path: str, column: str | None) -> Iterator[Input]:
    """The inputs of a file: its non-blank lines, or the cells of a CSV column.

    In a CSV, an empty cell is kept (it is reported as an invalid input in its
    own output line), so that every row has its line in the output. Streams:
    one line (at most :data:`MAX_LINE_LENGTH` characters) is held at a time.
    """
    with _decoded(path) as (text, encoding):
        if column is None:
            yield from _lines_of(text, encoding)
        else:
            yield from _cells_of(_Lines(text), encoding, path, column)


def _lines_of(stream: IO[str], encoding: str) -> Iterator[Input]:
    limit, number = MAX_LINE_LENGTH, 0
    while line := stream.readline(limit):
        number += 1
        if len(line) == limit and _is_cut(line, limit):
            _skip_rest_of_line(stream, limit)
            yield Input(number, "", _too_long(number))
            continue
        text = line.strip()
        if not text:
            continue
        if text.isascii():  # most lines: nothing can be wrong with their bytes
            yield Input(number, text)
            continue
        problem = _undecodable(text, encoding)
        yield Input(number, text, problem and f"line {number} is {problem}")


def _cells_of(lines: _Lines, encoding: str, path: str, column: str) -> Iterator[Input]:
    reader = csv.reader(lines)
    limit = csv.field_size_limit(MAX_LINE_LENGTH)
    try:
        try:
            header = next(reader, None)
        except (csv.Error, _LineTooLong) as e:
            raise click.UsageError(f"the header of {path} cannot be read: {e}") from None
        if header is None or column not in header:
            found = ", ".join(header or []) or "none"
            raise click.UsageError(
                f"--column {column!r} is not a column of {path} (found: {found})"
            )
        index = header.index(column)
        while True:
            start = lines.number + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except _LineTooLong as e:
                yield Input(e.line, "", str(e))
                continue
            except csv.Error as e:
                yield Input(start, "", f"line {start}: the CSV row cannot be read: {e}")
                continue
            if not row:
                continue  # a blank line
            cell = (row[index] if index < len(row) else "").strip()
            problem = _undecodable(cell, encoding)
            where = f"line {start}, column {column!r},"
            yield Input(start, cell, problem and f"{where} is {problem}")
    finally:
        csv.field_size_limit(limit)


def count_inputs(path: str, column: str | None) -> int | None:
    """How many inputs ``read_inputs`` will give; None for stdin (read once only)."""
    if path == "-":
        return None
    try:
        return sum(1 for _ in read_inputs(path, column))
    except click.UsageError:
        return None  # reported when the inputs are read


class InputFeed:
    """The texts of a batch's inputs for the resolver, and their works' final word.

    The resolver gives one work per text, in order; :meth:`finish` is called with
    each, and makes the work of an input that could not be read invalid with the
    reason (which names its line). Only the inputs in flight are remembered.
    """

    def __init__(self, inputs: Iterable[Input]) -> None:
        self._inputs = inputs
        self._problems: deque[str | None] = deque()

    def texts(self) -> Iterator[str]:
        """The texts to resolve, one per input."""
        for item in self._inputs:
            self._problems.append(item.problem)
            yield item.text

    def finish(self, work: Work) -> Work:
        """``work``, the next input's, with its reading problem as its error."""
        problem = self._problems.popleft()
        if problem is None:
            return work
        import msgspec

        return msgspec.structs.replace(work, status="invalid", error=problem)


#: Bytes of output held before they are written (records are ~5 kB each).
_BUFFER = 1 << 20


class Output:
    """Where ``--output`` records go: a file that appears only when complete.

    For a regular file (or a path that does not exist yet), records go to
    ``NAME.partial`` beside it, renamed to ``NAME`` once all are written; an
    interrupted or crashed run leaves the partial file, never a half-written
    file under the final name. Anything else (``/dev/null``, ``/dev/stdout``,
    a FIFO, a symbolic link) is written directly, never replaced.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        self.atomic = _replaceable(path)
        self._file: IO[str] | None = None

    def open(self) -> IO[str]:
        """Open the file for writing; a usage error (exit 2) when that cannot be."""
        target = self.partial if self.atomic else self.path
        folder = self.path.parent
        if not folder.is_dir():  # a typo in a path makes no folders
            what = "is not a folder" if folder.exists() else "does not exist"
            raise click.UsageError(f"cannot write --output {self.path}: {folder} {what}")
        try:
            # A large buffer, flushed by the batch whenever it would wait: the records
            # done together go out in one write, not in one or two each.
            self._file = open(target, "w", encoding="utf-8", buffering=_BUFFER)  # noqa: SIM115
        except OSError as e:
            reason = e.strerror or str(e)
            where = f" ({e.filename})" if e.filename and str(e.filename) != str(target) else ""
            raise click.UsageError(f"cannot write --output {self.path}: {reason}{where}") from None
        return self._file

    def commit(self) -> None:
        """Make the complete file appear under its name."""
        assert self._file is not None
        self._file.flush()
        if self.atomic:
            os.fsync(self._file.fileno())
        self._file.close()
        if self.atomic:
            os.replace(self.partial, self.path)

    def abandon(self) -> None:
        """Close the partial file and leave it, for the record of what was done."""
        if self._file is not None and not self._file.closed:
            self._file.close()


def _replaceable(path: Path) -> bool:
    """Whether ``path`` is a regular file, or nothing yet: what may be replaced by rename."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return True
    except OSError:
        return False  # e.g. a path through a file: open() reports it
    return stat.S_ISREG(mode)
