"""``paperfuse cache``: what the cache holds, and forgetting it."""

from __future__ import annotations

import click

__all__ = ["cache"]

_cache_dir = click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=str),
    help="Folder of the cache (or PAPERFUSE_CACHE_DIR).",
)


def _answer_cache(cache_dir: str | None):  # type: ignore[no-untyped-def]
    from .. import ConfigError, load_config
    from .._cache import AnswerCache
    from .._store import Store, default_store_path
    from ._common import fail_on_config_error, report_on_stderr

    report_on_stderr()
    try:
        config = load_config(cache_dir=cache_dir)
    except ConfigError as e:
        fail_on_config_error(e)
    return AnswerCache(Store(default_store_path(config.cache_dir)))


@click.group()
def cache() -> None:
    """Show or clear the cache of answers (one SQLite file in the user cache folder).

    Every source's answer for every identifier is kept, found and not found,
    with an expiry, so that a batch run again asks nothing twice.
    """


@cache.command()
@_cache_dir
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def info(cache_dir: str | None, as_json: bool) -> None:
    """Where the cache is, its size, and its answers per source."""
    answers = _answer_cache(cache_dir)
    details = answers.info()
    answers.store.close()
    if as_json:
        from .._records import encode_json

        click.echo(encode_json(details).decode())
        return
    click.echo(f"cache: {details.path} ({details.bytes / 1e6:.1f} MB)")
    if not details.answers:
        click.echo("  no answers cached")
    for source, counts in sorted(details.answers.items()):
        click.echo(
            f"  {source}: {counts['found']:,} found, {counts['not_found']:,} not found,"
            f" {counts['expired']:,} expired"
        )
    for name, value in sorted(details.counters.items()):
        if name.startswith("budget/"):
            _, source, day = name.split("/", 2)
            click.echo(f"  {source}: {value:,} calls on {day} (UTC), against its daily budget")


@cache.command()
@_cache_dir
@click.option("--source", help="Forget only this source's answers.")
@click.option("--expired", is_flag=True, help="Forget only expired answers.")
def clear(cache_dir: str | None, source: str | None, expired: bool) -> None:
    """Forget cached answers (daily budget counts are kept: they protect the services)."""
    answers = _answer_cache(cache_dir)
    removed = answers.clear(source, expired_only=expired)
    answers.store.close()
    click.echo(f"removed {removed:,} cached answers")
