"""Running the ``paperfuse`` command inside a test, and reading what it wrote.

:class:`CLI` runs it in-process with click's ``CliRunner`` (fast; the
isolation's plugin guard applies) or, with :meth:`CLI.subprocess`, as a
process of its own with the isolated environment (``PAPERFUSE_PLUGINS``
then names the entry points it may load).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .._records import SourceReport, Work, decode_work
from ._isolation import CLOSED_URL, Isolation, env_name

__all__ = ["CLI", "Ran", "report", "reports"]


def reports(work: Work) -> dict[str, SourceReport]:
    """A work's source reports by source name."""
    return {r.name: r for r in work.sources}


def report(work: Work, source: str) -> SourceReport:
    """The report of ``source`` in ``work``; an AssertionError naming those there if none."""
    found = reports(work)
    if source not in found:
        raise AssertionError(
            f"no report of source {source!r} for input {work.input!r}"
            f" (reports: {', '.join(found) or 'none'})"
        )
    return found[source]


@dataclass(frozen=True)
class Ran:
    """What one run of the command did: exit code, stdout, stderr."""

    exit_code: int
    stdout: str
    stderr: str

    def works(self) -> list[Work]:
        """The records printed (one JSON record, or JSON Lines)."""
        text = self.stdout.strip()
        if not text:
            return []
        if text.startswith("{") and "\n{" not in text:
            return [decode_work(text.encode())]
        return [decode_work(line.encode()) for line in text.splitlines() if line.strip()]

    def json(self) -> Any:
        """stdout read as one JSON document."""
        return json.loads(self.stdout)


@contextmanager
def _cli_side_effects_undone() -> Iterator[None]:
    """Undo what a command sets up for its process: the ``paperfuse`` log handler on the
    (captured, soon closed) stderr, log levels, and ``warnings.showwarning``."""
    loggers = [logging.getLogger(name) for name in ("paperfuse", "stamina")]
    saved = [(logger, list(logger.handlers), logger.level) for logger in loggers]
    showwarning = warnings.showwarning
    try:
        yield
    finally:
        warnings.showwarning = showwarning
        for logger, handlers, level in saved:
            logger.handlers[:] = handlers
            logger.setLevel(level)


class CLI:
    """The ``paperfuse`` command with sources at local URLs, no politeness pause.

    ``urls`` maps source names to their local server; each source named gets
    ``PAPERFUSE_<SOURCE>_MIN_INTERVAL=0``. ``email`` sets ``PAPERFUSE_EMAIL``.
    ``env`` adds variables (None removes one).
    """

    def __init__(self, isolation: Isolation) -> None:
        self.isolation = isolation

    def environment(
        self,
        urls: Mapping[str, str] | None = None,
        email: str | None = None,
        env: Mapping[str, str | None] | None = None,
    ) -> dict[str, str | None]:
        """The variables a run sets (None: unset), on top of the isolated environment."""
        extra: dict[str, str | None] = {}
        for source in self.isolation.loaded_sources():
            extra[f"{env_name(source)}_MIN_INTERVAL"] = "0"
        for source, url in (urls or {}).items():
            extra[f"{env_name(source)}_URL"] = url
        extra.setdefault(f"{env_name('doi')}_URL", CLOSED_URL)
        if email is not None:
            extra["PAPERFUSE_EMAIL"] = email
        extra.update(env or {})
        return extra

    def process_environment(
        self,
        urls: Mapping[str, str] | None = None,
        email: str | None = None,
        env: Mapping[str, str | None] | None = None,
    ) -> dict[str, str]:
        """The whole environment of a ``paperfuse`` process of its own, for a test that
        starts one itself (``subprocess.Popen``: to signal it, give it a terminal or close
        its pipe); what :meth:`subprocess` gives its process."""
        return self.isolation.environment(**self.environment(urls, email, env))

    def __call__(
        self,
        *args: str,
        input: str | bytes | None = None,
        urls: Mapping[str, str] | None = None,
        email: str | None = None,
        env: Mapping[str, str | None] | None = None,
    ) -> Ran:
        """Run ``paperfuse *args`` in-process; stdin is ``input`` (text, or bytes as they are)."""
        from click.testing import CliRunner

        from ..cli import main

        try:
            runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
        except TypeError:
            runner = CliRunner()
        with _cli_side_effects_undone():
            result = runner.invoke(
                main,
                list(args),
                input=input,
                env=self.environment(urls, email, env),
                catch_exceptions=False,
            )
        return Ran(result.exit_code, result.stdout, result.stderr)

    def subprocess(
        self,
        *args: str,
        input: str | bytes | None = None,
        urls: Mapping[str, str] | None = None,
        email: str | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout: float = 60.0,
    ) -> Ran:
        """Run ``python -m paperfuse.cli *args`` as a process of its own; stdin is ``input``
        (text is sent as UTF-8, bytes as they are)."""
        environment = self.process_environment(urls, email, env)
        done = subprocess.run(
            [sys.executable, "-m", "paperfuse.cli", *args],
            input=input.encode("utf-8", "surrogateescape") if isinstance(input, str) else input,
            capture_output=True,
            env=environment,
            timeout=timeout,
            check=False,
        )
        return Ran(
            done.returncode,
            done.stdout.decode("utf-8", "surrogateescape"),
            done.stderr.decode("utf-8", "surrogateescape"),
        )
