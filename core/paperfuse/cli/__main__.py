"""``python -m paperfuse.cli``: the same as the ``paperfuse`` command."""

from . import run

run()
