"""``paperfuse resolve``: identifiers, titles or citations in, records out."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import click

__all__ = ["resolve"]


def _lines(stream: click.utils.LazyFile | object) -> Iterator[str]:
    for line in stream:  # type: ignore[attr-defined]
        text = line.strip()
        if text:
            yield text


@click.command()
@click.argument("inputs", nargs=-1, metavar="[ID]...")
@click.option(
    "--input",
    "-i",
    "input_file",
    type=click.File("r", encoding="utf-8"),
    help="Read one identifier, title or citation per line from FILE ('-' for stdin).",
)
@click.option(
    "--format",
    "-f",
    "format_name",
    default="json",
    show_default=True,
    help="Output format: json, bibtex, csl-json, or one a plugin adds.",
)
@click.option("--email", help="Contact email for sources that ask for one (or PAPERFUSE_EMAIL).")
@click.option("--quiet", "-q", is_flag=True, help="Print no warnings.")
def resolve(
    inputs: tuple[str, ...],
    input_file: click.utils.LazyFile | None,
    format_name: str,
    email: str | None,
    quiet: bool,
) -> None:
    """Resolve each ID (arXiv id, DOI, PMID, PMCID, URL, title or citation).

    Prints one JSON record for one input, JSON Lines for several (one line
    per input, in input order, each with its "input", "status" and, when it
    failed, "error"). Exit status: 0 when every input resolved, 1 when some
    did not, 2 for usage or configuration errors.

    \b
    Examples:
      paperfuse resolve 10.1038/nature12373
      paperfuse resolve 1710.08557 math/0211159
      paperfuse resolve --input dois.txt > records.jsonl
    """
    from .. import ConfigError, Resolver, load_config
    from ._common import fail_on_config_error, report_on_stderr

    report_on_stderr(quiet)
    if not inputs and input_file is None:
        raise click.UsageError("give at least one ID, or --input FILE")
    try:
        config = load_config(email=email)
        resolver = Resolver(config)
    except ConfigError as e:
        fail_on_config_error(e)
        return
    formats = resolver.host.formats
    if format_name not in formats:
        raise click.BadParameter(
            f"{format_name!r} is not one of {', '.join(sorted(formats))}", param_hint="--format"
        )
    renderer = formats[format_name]()
    texts: Iterator[str] = iter(inputs)
    if input_file is not None:
        texts = _lines(input_file)
    single = len(inputs) == 1 and input_file is None
    unresolved = 0
    with resolver:
        for work in resolver.resolve_many(texts):
            unresolved += work.status != "resolved"
            text = renderer.render(work)
            if single and format_name == "json":
                import msgspec

                text = msgspec.json.format(text, indent=2)
            click.echo(text)
    sys.exit(1 if unresolved else 0)
