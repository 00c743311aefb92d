"""What the commands share: stderr reporting and configuration errors."""

from __future__ import annotations

import logging
import sys
import warnings
from typing import Any

import click

__all__ = ["fail_on_config_error", "report_on_stderr"]


def report_on_stderr(quiet: bool = False) -> None:
    """Show paperfuse warnings as one line each on stderr, never a traceback."""

    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        click.echo(f"paperfuse: warning: {message}", err=True)

    warnings.showwarning = show
    logger = logging.getLogger("paperfuse")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_Formatter())
        logger.addHandler(handler)
    logger.setLevel(logging.ERROR if quiet else logging.INFO)
    # stamina announces every retry it schedules; a failure that outlasts the
    # retries is reported against its input, so the CLI keeps those lines quiet.
    logging.getLogger("stamina").setLevel(logging.ERROR)


class _Formatter(logging.Formatter):
    """``paperfuse: message`` for news, ``paperfuse: warning: message`` for trouble."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            return f"paperfuse: {record.levelname.lower()}: {message}"
        return f"paperfuse: {message}"


def fail_on_config_error(error: Exception) -> None:
    """Exit with status 2 and the error's message (which names the key)."""
    click.echo(f"paperfuse: error: {error}", err=True)
    sys.exit(2)
