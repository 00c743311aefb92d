"""``python -m paperfuse``: the same as the ``paperfuse`` command."""

from .cli import run

run()
