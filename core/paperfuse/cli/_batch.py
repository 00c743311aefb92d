"""Reading batch inputs and writing batch output for ``paperfuse resolve``."""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import click

__all__ = ["AtomicOutput", "count_inputs", "read_inputs"]


@contextmanager
def _opened(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdin
    else:
        with open(path, encoding="utf-8-sig", newline="") as f:
            yield f


def read_inputs(path: str, column: str | None) -> Iterator[str]:
    """The inputs of a file: its non-blank lines, or the cells of a CSV column.

    In a CSV, an empty cell is kept (it is reported as an invalid input in its
    own output line), so that every row has its line in the output.
    """
    with _opened(path) as f:
        if column is None:
            for line in f:
                text = line.strip()
                if text:
                    yield text
            return
        reader = csv.DictReader(f)
        if reader.fieldnames is None or column not in reader.fieldnames:
            found = ", ".join(reader.fieldnames or []) or "none"
            raise click.UsageError(
                f"--column {column!r} is not a column of {path} (found: {found})"
            )
        for row in reader:
            yield (row.get(column) or "").strip()


def count_inputs(path: str, column: str | None) -> int | None:
    """How many inputs ``read_inputs`` will give; None for stdin (read once only)."""
    if path == "-":
        return None
    try:
        return sum(1 for _ in read_inputs(path, column))
    except click.UsageError:
        return None  # reported when the inputs are read


class AtomicOutput:
    """An output file that appears only when complete.

    Records go to ``NAME.partial`` beside it, renamed to ``NAME`` once all are
    written; an interrupted or crashed run leaves the partial file, never a
    half-written file under the final name.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        self._file: IO[str] | None = None

    def open(self) -> IO[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.partial, "w", encoding="utf-8")  # noqa: SIM115 - closed in commit
        return self._file

    def commit(self) -> None:
        """Make the complete file appear under its name."""
        assert self._file is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.partial, self.path)

    def abandon(self) -> None:
        """Close the partial file and leave it, for the record of what was done."""
        if self._file is not None and not self._file.closed:
            self._file.close()
