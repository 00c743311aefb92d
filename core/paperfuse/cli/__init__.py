"""The ``paperfuse`` command line.

Each command lives in a module of its own and is imported only when it runs,
so ``paperfuse --help`` stays fast.
"""

from __future__ import annotations

import atexit
import gc
import importlib
from typing import Any

import click

__all__ = ["main", "run"]

#: command name -> (module, function, one-line help shown by ``--help``)
_COMMANDS = {
    "resolve": ("_resolve", "resolve", "Resolve identifiers, titles or citations into records."),
    "identify": ("_identify", "identify", "Show which identifiers a text holds (no network)."),
    "plugins": ("_plugins", "plugins", "List plugins, what they register, and load failures."),
    "cache": ("_cache", "cache", "Show or clear the cache of answers."),
    "snapshot": ("_snapshot", "snapshot", "Index data snapshots for look-ups without network."),
    "serve": ("_serve", "serve", "Answer paperfuse's HTTP API (needs the serve extra)."),
}


class _LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in _COMMANDS:
            return None
        module, attribute, _ = _COMMANDS[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, _, help_text) in _COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="paperfuse", message="paperfuse %(version)s")
def main(**_: Any) -> None:
    """paperfuse turns any scholarly identifier into one clean, canonical record.

    Give it an arXiv id, a DOI, a PMID, a PMCID, a URL, a title or a free-text
    citation. It asks the sources that know (the arXiv API, Unpaywall, Open
    Access Button and any installed plugin), merges their answers with
    per-field provenance, and picks the best legal free copy.

    \b
    Examples:
      paperfuse resolve 10.1038/nature12373
      paperfuse resolve arXiv:1710.08557 math/0211159
      paperfuse resolve --input references.txt > records.jsonl
      paperfuse identify "https://doi.org/10.1103/PhysRevLett.80.3915"
      paperfuse plugins

    Configuration: PAPERFUSE_EMAIL (contact email, required by Unpaywall),
    PAPERFUSE_<SOURCE>_URL, PAPERFUSE_CACHE_DIR, or a TOML file (see
    docs/configuration.md).

    Thank you to arXiv for use of its open access interoperability.
    """


def run() -> None:
    """The ``paperfuse`` command (and ``python -m paperfuse``): :func:`main`, its exit quicker.

    As the interpreter exits, once every thread has ended and every ``atexit``
    handler has run, it tears its modules down, collecting garbage over every
    object there is several times on the way: 0.1 s after 2,000 records, more
    as the run grows. Frozen at exit (``gc.freeze``), objects are freed as
    their modules go, and those collections skip them. Outputs are closed and
    committed by each command, as before; only objects caught in a reference
    cycle at exit are left for the operating system to reclaim. :func:`main`
    itself (which tests and embedding programs call) changes nothing.
    """
    # Registered first, so run last: after the handlers the run registered.
    atexit.register(gc.freeze)
    main(prog_name="paperfuse")
