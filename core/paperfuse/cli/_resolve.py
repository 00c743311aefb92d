"""``paperfuse resolve``: identifiers, titles or citations in, records out."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import aclosing
from pathlib import Path
from typing import IO, Any

import click

from .._collector import tuned_for_batches
from ._batch import Input, InputFeed, Output, count_inputs, read_inputs

__all__ = ["resolve"]

#: How often the progress bar's per-source figures are refreshed (seconds).
_POSTFIX_EVERY = 0.5


@click.command()
@click.argument("inputs", nargs=-1, metavar="[ID]...")
@click.option(
    "--input",
    "-i",
    "input_path",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=str),
    help="Read inputs from FILE ('-' for stdin): one per line, or a CSV column with --column.",
)
@click.option("--column", "-c", help="Read inputs from this column of a CSV --input (by header).")
@click.option(
    "--output",
    "-o",
    "output_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE, atomically: it appears only once complete (devices and FIFOs are"
    " written directly).",
)
@click.option(
    "--format",
    "-f",
    "format_name",
    default="json",
    show_default=True,
    help="Output format: json, csl-json, bibtex, biblatex, ris, or one a plugin adds. A"
    " bibliography (csl-json, bibtex, biblatex, ris) holds the resolved inputs only; failed"
    " ones are reported"
    " on stderr and, with --output NAME, in NAME.errors.jsonl.",
)
@click.option("--email", help="Contact email for sources that ask for one (or PAPERFUSE_EMAIL).")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=str),
    help="Folder of the cache (or PAPERFUSE_CACHE_DIR).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write cached answers.")
@click.option("--refresh", is_flag=True, help="Ask the sources again; store the new answers.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, summary or warnings.")
def resolve(
    inputs: tuple[str, ...],
    input_path: str | None,
    column: str | None,
    output_path: Path | None,
    format_name: str,
    email: str | None,
    cache_dir: str | None,
    no_cache: bool,
    refresh: bool,
    quiet: bool,
) -> None:
    """Resolve each ID (arXiv id, DOI, PMID, PMCID, URL, title or citation).

    Prints one JSON record for one input, JSON Lines for several: one line
    per input, in input order, each with its "input", "status" and, when it
    failed, "error". Answers are cached, so running a batch again (or after
    an interruption) asks no source again for what it already answered.
    On a terminal, a progress bar and a summary go to stderr.

    A bibliography format (--format csl-json: one JSON array; bibtex) holds
    one entry per resolved input and never an entry for a failed one: those
    are reported on stderr and, with --output NAME, listed in
    NAME.errors.jsonl (one JSON line each: input, status, error).

    Exit status: 0 when every input resolved, 1 when some did not, 2 for
    usage or configuration errors, 130 when interrupted.

    \b
    Examples:
      paperfuse resolve 10.1038/nature12373
      paperfuse resolve 1710.08557 math/0211159
      paperfuse resolve --input dois.txt --output records.jsonl
      paperfuse resolve --input library.csv --column DOI -o records.jsonl
      paperfuse resolve --format csl-json --input dois.txt -o refs.json
    """
    from .. import ConfigError, Resolver, load_config
    from .._formats import BatchWriter
    from ._common import fail_on_config_error, report_on_stderr

    report_on_stderr(quiet)
    if inputs and input_path:
        raise click.UsageError("give IDs or --input FILE, not both")
    if not inputs and not input_path:
        raise click.UsageError("give at least one ID, or --input FILE")
    if column and not input_path:
        raise click.UsageError("--column reads a CSV --input file")
    try:
        config = load_config(
            email=email,
            cache_dir=cache_dir,
            use_cache=False if no_cache else None,
            refresh=True if refresh else None,
        )
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
    if input_path:
        items: Iterator[Input] = read_inputs(input_path, column)
        total = count_inputs(input_path, column)
    else:
        items, total = (Input(0, text) for text in inputs), len(inputs)
    feed = InputFeed(items)
    pretty = len(inputs) == 1 and format_name == "json" and output_path is None

    started = time.perf_counter()
    counts: Counter[str] = Counter()
    output = Output(output_path) if output_path else None
    try:
        stream: IO[str] = output.open() if output else sys.stdout
    except click.UsageError:
        resolver.close()
        raise
    try:
        failures = _Failures(output, quiet) if renderer.bibliography else None
    except click.UsageError:
        if output:  # nothing was written: leave nothing behind
            output.abandon()
            if output.atomic:
                output.partial.unlink(missing_ok=True)
        resolver.close()
        raise
    writer = BatchWriter(renderer, stream)
    progress = _progress(total, quiet)
    if progress is not None and failures is not None:
        failures.echo = lambda line: progress.write(line, file=sys.stderr)
    last_postfix = 0.0
    flush_due = False

    def flush() -> None:
        nonlocal flush_due
        flush_due = False
        stream.flush()

    async def batch() -> dict[str, Any]:
        """Resolve every input, writing each record as soon as it is done."""
        nonlocal last_postfix, flush_due
        loop = asyncio.get_running_loop()
        async with resolver, aclosing(resolver.aresolve_many(feed.texts())) as works:
            async for done in works:
                work = feed.finish(done)
                counts[work.status or "error"] += 1
                text = None
                if pretty:
                    import msgspec

                    text = msgspec.json.format(renderer.render(work), indent=2)
                if not writer.add(work, text) and failures is not None:
                    failures.add(work)
                # The records go to the OS as soon as this loop would wait for the next
                # one (a callback runs only then): a killed run loses none that was
                # done, a reader of the stream gets each without delay, and records
                # done together go in one write rather than one each.
                if not flush_due:
                    flush_due = True
                    loop.call_soon(flush)
                if progress is not None:
                    progress.update(1)
                    if time.perf_counter() - last_postfix > _POSTFIX_EVERY:
                        progress.set_postfix_str(_source_figures(resolver), refresh=False)
                        last_postfix = time.perf_counter()
            return resolver.stats()

    try:
        from .._interrupt import run_interruptibly

        # In an event loop of its own that Ctrl-C stops cleanly (see run_interruptibly).
        with tuned_for_batches():
            stats = run_interruptibly(batch())
    except KeyboardInterrupt:
        if progress is not None:
            progress.close()
        # What was written stays one valid document (a closed array), partial as it is.
        writer.close()
        stream.flush()
        if failures is not None:
            failures.abandon()
        if output:
            output.abandon()
        done = sum(counts.values())
        click.echo(
            f"paperfuse: interrupted after {done:,} records; the answers so far are cached:"
            " run the same command again to resume",
            err=True,
        )
        sys.exit(130)
    except BaseException:
        if failures is not None:
            failures.abandon()
        if output:
            output.abandon()
        raise
    if progress is not None:
        progress.close()
    writer.close()
    stream.flush()
    if failures is not None:
        failures.commit()
    if output:
        output.commit()
    if not quiet and (input_path or len(inputs) > 1):
        summary = _summary(counts, stats, time.perf_counter() - started)
        if failures is not None and failures.count:
            summary += "\n" + failures.summary(format_name)
        click.echo(summary, err=True)
    sys.exit(0 if counts["resolved"] == sum(counts.values()) else 1)


class _Failures:
    """The inputs a bibliography leaves out: on stderr, and in ``NAME.errors.jsonl``.

    With ``--output NAME`` (a regular file), each failed input is one JSON
    line (``input``, ``status``, ``error``) of ``NAME.errors.jsonl`` beside
    it, written like the output itself (atomically, complete only when the
    run is); a run in which none failed leaves no errors file and removes an
    earlier run's, so that the file beside an output always speaks of that
    output. The file is opened before the batch starts, so that a path that
    cannot be written is a usage error at once, not a failure half-way.
    """

    def __init__(self, output: Output | None, quiet: bool) -> None:
        self.path: Path | None = None
        self.quiet = quiet
        self.count = 0
        self.echo: Callable[[str], None] = lambda line: click.echo(line, err=True)
        self._output: Output | None = None
        self._stream: IO[str] | None = None
        if output is not None and output.atomic:  # not beside /dev/null or a FIFO
            self.path = output.path.with_name(output.path.name + ".errors.jsonl")
            self._output = Output(self.path)
            self._stream = self._output.open()

    def add(self, work: Any) -> None:
        """Report one failed input."""
        from .._formats import writable_json

        self.count += 1
        status = work.status or "error"
        if not self.quiet:
            self.echo(f"paperfuse: left out {work.input!r}: {status}: {work.error}")
        if self._stream is not None:
            line = {"input": work.input, "status": status, "error": work.error}
            self._stream.write(writable_json(line) + "\n")
            self._stream.flush()

    def commit(self) -> None:
        """Make the errors file appear, or, when nothing failed, no file at all."""
        if self._output is None or self.path is None:
            return
        if self.count:
            self._output.commit()
            return
        self._output.abandon()
        self._output.partial.unlink(missing_ok=True)
        if self.path.is_file():
            self.path.unlink()

    def abandon(self) -> None:
        """Leave the partial errors file, as the output's own is left."""
        if self._output is not None:
            self._output.abandon()

    def summary(self, format_name: str) -> str:
        where = f" (listed in {self.path})" if self.path else ""
        return (
            f"paperfuse:   {self.count:,} failed inputs left out of the {format_name} output{where}"
        )


def _progress(total: int | None, quiet: bool) -> Any:
    """A progress bar on stderr when it is a terminal (tqdm), else None."""
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, file=sys.stderr, unit=" rec", dynamic_ncols=True, smoothing=0.1)


def _source_figures(resolver: Any) -> str:
    figures = []
    for name, stats in resolver.stats().items():
        if stats.requests or stats.cache_hits:
            figures.append(f"{name} {stats.requests} req/{stats.cache_hits} cached")
    return ", ".join(figures)


def _summary(counts: Counter[str], stats: dict[str, Any], seconds: float) -> str:
    total = sum(counts.values())
    lines = [
        f"paperfuse: {total:,} inputs in {seconds:.1f} s:"
        f" {counts['resolved']:,} resolved, {counts['not_found']:,} not found,"
        f" {counts['ambiguous']:,} ambiguous, {counts['invalid']:,} invalid,"
        f" {counts['error']:,} errors"
    ]
    for name, figures in stats.items():
        if figures.requests or figures.cache_hits or figures.calls:
            lines.append(
                f"paperfuse:   {name}: {figures.requests:,} requests,"
                f" {figures.cache_hits:,} answers from the cache"
            )
        if figures.paused:
            lines.append(f"paperfuse:   {name}: {figures.paused}")
    return "\n".join(lines)
