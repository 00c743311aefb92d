"""``paperfuse serve``: the HTTP API, for tools not written in Python."""

from __future__ import annotations

import click

__all__ = ["serve"]


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (127.0.0.1: this machine only; 0.0.0.0: every network).",
)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--max-inputs",
    default=10_000,
    show_default=True,
    type=click.IntRange(1),
    help="The most inputs one POST /resolve may carry.",
)
@click.option(
    "--max-body",
    default=10 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(1),
    help="The largest request body, in bytes.",
)
@click.option(
    "--max-per-client",
    default=64,
    show_default=True,
    type=click.IntRange(1),
    help="The most requests one client address may have in flight (beyond it, 429).",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="A web origin (https://app.example) whose pages may call the API; '*' for any."
    " Repeat for more. None by default.",
)
@click.option(
    "--graceful-timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0),
    help="On SIGTERM or Ctrl-C, seconds to let requests in flight finish before stopping.",
)
@click.option("--email", help="Contact email for sources that ask for one (or PAPERFUSE_EMAIL).")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=str),
    help="Folder of the cache (or PAPERFUSE_CACHE_DIR).",
)
def serve(
    host: str,
    port: int,
    max_inputs: int,
    max_body: int,
    max_per_client: int,
    cors_origins: tuple[str, ...],
    graceful_timeout: float,
    email: str | None,
    cache_dir: str | None,
) -> None:
    """Answer paperfuse's HTTP API (see docs/serve.md) until stopped.

    One resolver serves every request, so concurrent callers share the
    cache, the batches and each source's rate limits.

    \b
    Examples:
      paperfuse serve
      curl 'http://127.0.0.1:8080/resolve?id=arXiv:1710.08557&format=bibtex'
    """
    from .. import ConfigError, Resolver, load_config
    from ._common import fail_on_config_error

    try:
        import uvicorn

        from ..serve import create_app
    except ImportError as e:
        raise click.ClickException(
            f"paperfuse serve needs the serve extra ({e.name} is missing):"
            " pip install 'paperfuse[serve]'"
        ) from None
    try:
        resolver = Resolver(load_config(email=email, cache_dir=cache_dir))
    except ConfigError as e:
        fail_on_config_error(e)
        return
    app = create_app(
        resolver=resolver,
        max_body=max_body,
        max_inputs=max_inputs,
        max_per_client=max_per_client,
        cors_origins=cors_origins,
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        server_header=False,
        log_level="info",
        timeout_graceful_shutdown=graceful_timeout,
    )
