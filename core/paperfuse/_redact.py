"""Keeping secrets out of output, logs and errors."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

__all__ = [
    "HTTP_LOGGERS",
    "RedactingFilter",
    "carries_secret",
    "filter_http_logs",
    "redact",
    "unfilter_http_logs",
]

MASK = "***"
#: A secret's first characters that, found anywhere, are masked as the start of
#: the secret cut short (an excerpt cut before it was redacted).
PARTIAL = 8

#: Loggers of the HTTP stack, which log request URLs, headers and redirects (and so
#: a contact email). A filter on a logger does not see its children's records, so
#: each is named; :func:`filter_http_logs` adds the ones that exist by then.
HTTP_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "h11",
    "h2",
    "hpack",
    "hpack.hpack",
    "hpack.table",
    # the bulk path (paperfuse._bulk)
    "aiohttp",
    "aiohttp.client",
    "aiohttp.internal",
)


def _forms(secrets: Iterable[str | None]) -> list[str]:
    """Each secret as it may appear in text: as is and URL-encoded, longest first."""
    forms = set()
    for secret in secrets:
        if secret:
            forms.update({secret, quote(secret, safe=""), quote_plus(secret), quote(secret)})
    return sorted(forms, key=len, reverse=True)


def _mask_partial(text: str, forms: list[str]) -> str:
    """``text`` with every run that starts like a secret (PARTIAL characters or more) masked.

    Each run is masked as far as it goes on matching the form of the secret
    it matches longest.
    """
    heads = {form[:PARTIAL] for form in forms if len(form) >= PARTIAL}
    if not any(head in text for head in heads):
        return text
    out: list[str] = []
    start = at = 0
    while at <= len(text) - PARTIAL:
        if text[at : at + PARTIAL] not in heads:
            at += 1
            continue
        end = at
        for form in forms:
            if text.startswith(form[:PARTIAL], at):
                stop = at + PARTIAL
                while stop < len(text) and stop - at < len(form) and text[stop] == form[stop - at]:
                    stop += 1
                end = max(end, stop)
        out += (text[start:at], MASK)
        start = at = end
    out.append(text[start:])
    return "".join(out)


def redact(text: str, secrets: Iterable[str | None], *, limit: int | None = None) -> str:
    """``text`` with every secret (and its URL-encoded forms) replaced by ``***``.

    A secret cut short (an excerpt cut before it was redacted) is masked too:
    any run of text that starts with a secret's first eight characters.
    ``limit`` cuts the result to that many characters, after masking, so a
    cut never reveals part of a secret.
    """
    forms = _forms(secrets)
    for form in forms:
        text = text.replace(form, MASK)
    text = _mask_partial(text, forms)
    if limit is not None and len(text) > limit:
        text = text[:limit]
    return text


def carries_secret(text: str, secrets: Iterable[str | None]) -> bool:
    """Whether ``text`` holds a whole secret, as is or URL-encoded."""
    return any(form in text for form in _forms(secrets))


class RedactingFilter(logging.Filter):
    """Masks secrets in the records of a logger it is added to.

    The HTTP libraries log every request URL (httpx at INFO level), and
    headers and redirects at DEBUG; a URL or a header may carry the contact
    email or an API key. The resolver adds this filter to their loggers for
    as long as it runs (see :func:`filter_http_logs`).
    """

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)
        self.loggers: list[logging.Logger] = []

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message, self.secrets)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def filter_http_logs(secrets: Iterable[str | None]) -> RedactingFilter | None:
    """Mask ``secrets`` in every logger of the HTTP stack; None when there is nothing to mask.

    That is the loggers in :data:`HTTP_LOGGERS` and any other that exists by
    now under the same names (a child of ``httpcore``, say). Undo it with
    :func:`unfilter_http_logs`.
    """
    log_filter = RedactingFilter(secrets)
    if not log_filter.secrets:
        return None
    roots = tuple(name.split(".")[0] for name in HTTP_LOGGERS)
    existing = [
        name
        for name in list(logging.root.manager.loggerDict)
        if name.split(".")[0] in roots and name not in HTTP_LOGGERS
    ]
    for name in (*HTTP_LOGGERS, *existing):
        logger = logging.getLogger(name)
        logger.addFilter(log_filter)
        log_filter.loggers.append(logger)
    return log_filter


def unfilter_http_logs(log_filter: RedactingFilter | None) -> None:
    """Take away a filter that :func:`filter_http_logs` added, from every logger it was on."""
    if log_filter is None:
        return
    for logger in log_filter.loggers:
        logger.removeFilter(log_filter)
    log_filter.loggers.clear()
