"""``paperfuse snapshot``: index data snapshot files, and show what an index holds."""

from __future__ import annotations

from typing import Any

import click

__all__ = ["snapshot"]

_cache_dir = click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=str),
    help="Folder of the cache, where indexes live (or PAPERFUSE_CACHE_DIR).",
)
_source = click.option(
    "--source",
    help="The snapshot source whose index this is (unpaywall-snapshot, openalex-snapshot,"
    " crossref-snapshot...); by default told from the first file's first line.",
)
#: The flavour of files that no snapshot source recognises (the first one paperfuse had).
_DEFAULT = "unpaywall-snapshot"


def _snapshot_sources(cache_dir: str | None) -> tuple[Any, dict[str, Any]]:
    """The configuration and the installed snapshot sources (with ``snapshot_index``)."""
    from .. import ConfigError, PluginHost, load_config
    from ._common import fail_on_config_error, report_on_stderr

    report_on_stderr()
    try:
        config = load_config(cache_dir=cache_dir)
    except ConfigError as e:
        fail_on_config_error(e)
    host = PluginHost(disabled=config.disabled_plugins)
    found = {n: c for n, c in sorted(host.sources.items()) if hasattr(c, "snapshot_index")}
    return config, found


def _flavour(files: list[Any], sources: dict[str, Any]) -> str:
    """The snapshot source whose ``snapshot_recognises`` knows the first file's first line."""
    import gzip

    for path in files[:1]:
        with path.open("rb") as probe:
            gzipped = probe.read(2) == b"\x1f\x8b"
        try:
            with gzip.open(path, "rb") if gzipped else path.open("rb") as lines:
                first = lines.readline(1 << 20)
        except (OSError, EOFError):
            return _DEFAULT
        for name, cls in sources.items():
            recognises = getattr(cls, "snapshot_recognises", None)
            if recognises is not None and recognises(first):
                return name
    return _DEFAULT


def _index(cache_dir: str | None, source: str) -> Any:
    """The snapshot index of ``source`` (a source class with ``snapshot_index``)."""
    config, snapshots = _snapshot_sources(cache_dir)
    cls = snapshots.get(source)
    if cls is None:
        raise click.UsageError(
            f"{source!r} is not a snapshot source (snapshot sources: {', '.join(snapshots)})"
        )
    return cls.snapshot_index(config)


@click.group()
def snapshot() -> None:
    """Index data snapshots (Unpaywall, OpenAlex, Crossref) for look-ups without network.

    \b
    Examples:
      paperfuse snapshot index /data/unpaywall_snapshot_2026-10.jsonl.gz
      paperfuse snapshot index /data/unpaywall-changefiles/
      paperfuse snapshot index /data/openalex/data/works/
      paperfuse snapshot index --source crossref-snapshot "/data/crossref-2025/"
      paperfuse snapshot info
    """


@snapshot.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@_cache_dir
@_source
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def index(paths: tuple[str, ...], cache_dir: str | None, source: str | None, quiet: bool) -> None:
    """Index snapshot files (a file, a folder of files, or several) into the cache folder.

    The files named are the snapshot: a file already indexed with its
    present size and modification time is not read again, a changed one is
    indexed again, and files indexed before but not named now are
    forgotten. Stopped (Ctrl-C, a kill), it resumes at the file it was on.
    Set the same paths as the source's ``path`` option, so that look-ups
    find the index current. Without ``--source``, the flavour is told from
    the first file's first line.
    """
    from tqdm import tqdm

    from .._snapshots import snapshot_files

    files = snapshot_files(paths)
    if source is None:
        source = _flavour(files, _snapshot_sources(cache_dir)[1])
    snapshot_index = _index(cache_dir, source)
    stale = set(snapshot_index.stale(files))
    total = sum(p.stat().st_size for p in files if p in stale)
    with tqdm(
        total=total, unit="B", unit_scale=True, disable=quiet, desc="indexing", leave=True
    ) as bar:

        def advance(path: Any, records: int) -> None:
            bar.update(path.stat().st_size)
            bar.set_postfix_str(f"{path.name}: {records:,} records")

        try:
            done = snapshot_index.index(files, progress=advance)
        except KeyboardInterrupt:
            bar.close()
            click.echo(
                "stopped: run the same command again to resume at the file it was on", err=True
            )
            raise SystemExit(130) from None
    records = sum(f.records for f in done)
    click.echo(
        f"{source}: indexed {len(done)} of {len(files)} files ({records:,} records);"
        f" {len(files) - len(done)} already indexed: {snapshot_index.database}"
    )


@snapshot.command()
@_cache_dir
@_source
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def info(cache_dir: str | None, source: str | None, as_json: bool) -> None:
    """Where each snapshot index is, its size, its files, and its records per OA status.

    Without ``--source``, every snapshot source whose index exists (JSON: one
    object a line, one a source).
    """
    if source is not None:
        _info(cache_dir, source, as_json)
        return
    _, snapshots = _snapshot_sources(cache_dir)
    names = [n for n in snapshots if _index(cache_dir, n).database.exists()] or [_DEFAULT]
    for name in names:
        _info(cache_dir, name, as_json)


def _info(cache_dir: str | None, source: str, as_json: bool) -> None:
    snapshot_index = _index(cache_dir, source)
    files = snapshot_index.files()
    path = snapshot_index.database
    # The DuckDB database (keys, typed columns) and the raw objects' store beside it.
    size = sum(p.stat().st_size for p in (path, snapshot_index.raw_store) if p.exists())
    by_status = snapshot_index.counts("oa_status")
    snapshot_index.close()
    if as_json:
        from .._records import encode_json

        details = {
            "source": source,
            "path": str(path),
            "raw_store": str(snapshot_index.raw_store),
            "bytes": size,
            "records": sum(f.records for f in files),
            "files": files,
            "oa_status": by_status,
        }
        click.echo(encode_json(details).decode())
        return
    click.echo(f"{source}: {path} and {snapshot_index.raw_store.name} ({size / 1e6:.1f} MB)")
    if not files:
        click.echo("  no files indexed: paperfuse snapshot index PATH...")
    for f in files:
        note = "" if f.complete else " (broke off: only the lines before the break)"
        click.echo(f"  {f.path}: {f.records:,} records, {f.size / 1e6:.1f} MB{note}")
    if files:
        click.echo(f"  {sum(f.records for f in files):,} records in all")
    for status, count in by_status.items():
        click.echo(f"  oa_status {status}: {count:,}")
