"""Keeping secrets out of output, logs and errors."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

__all__ = ["RedactingFilter", "redact"]

MASK = "***"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret (and its URL-encoded forms) replaced by ``***``."""
    for secret in secrets:
        if not secret:
            continue
        for form in {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}:
            text = text.replace(form, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets in the records of a logger it is added to.

    The HTTP libraries log every request URL (httpx at INFO level), and a
    URL may carry the contact email; the resolver adds this filter to their
    loggers for as long as it runs.
    """

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message, self.secrets)
        if masked != message:
            record.msg, record.args = masked, None
        return True
