"""Keeping secrets out of output, logs and errors."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, quote_plus

__all__ = ["redact"]

MASK = "***"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret (and its URL-encoded forms) replaced by ``***``."""
    for secret in secrets:
        if not secret:
            continue
        for form in {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}:
            text = text.replace(form, MASK)
    return text
