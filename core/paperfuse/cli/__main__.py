"""``python -m paperfuse.cli``: the same as the ``paperfuse`` command."""

from . import main

main(prog_name="paperfuse")
