"""``python -m paperfuse``: the same as the ``paperfuse`` command."""

from .cli import main

main(prog_name="paperfuse")
