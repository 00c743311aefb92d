"""``paperfuse identify``: what a text identifies, without asking any source."""

from __future__ import annotations

import sys

import click

__all__ = ["identify"]


@click.command()
@click.argument("texts", nargs=-1, required=True, metavar="TEXT...")
def identify(texts: tuple[str, ...]) -> None:
    """Show the identifiers found in each TEXT, or why it is not one.

    Each TEXT is an arXiv id, a DOI, a PMID, a PMCID, a URL, a title or a
    citation (quote it). Prints JSON: one object for one TEXT, JSON Lines
    for several. Exit status 1 when some TEXT is not usable.

    \b
    Example:
      paperfuse identify arXiv:1710.08557v2 "doi:10.1038/NATURE12373."
    """
    from .._formats import writable_json
    from .._plugins import PluginHost
    from ._common import report_on_stderr

    report_on_stderr()
    from .._identifiers import identify as identify_text

    schemes = list(PluginHost().schemes.values())
    results = [identify_text(text, schemes) for text in texts]
    for result in results:
        line = writable_json(result)
        if len(results) == 1:
            import msgspec

            line = msgspec.json.format(line, indent=2)
        click.echo(line)
    sys.exit(1 if any(r.kind == "invalid" for r in results) else 0)
