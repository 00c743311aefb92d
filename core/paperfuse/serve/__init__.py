"""``paperfuse serve``: paperfuse as an HTTP API, for tools not written in Python.

Reference managers and writing tools reach identifier resolution over HTTP,
as they reach Zotero's translation-server. :func:`create_app` makes a
Starlette application that holds one long-lived :class:`paperfuse.Resolver`
for all its requests, so concurrent callers share its cache, its batches and
each source's rate limits.

This package needs the ``serve`` extra (``pip install 'paperfuse[serve]'``);
``import paperfuse`` never imports it.
"""

from __future__ import annotations

from ._app import create_app
from ._limits import DEFAULT_MAX_BODY, DEFAULT_MAX_INPUTS, DEFAULT_MAX_PER_CLIENT

__all__ = ["DEFAULT_MAX_BODY", "DEFAULT_MAX_INPUTS", "DEFAULT_MAX_PER_CLIENT", "create_app"]
