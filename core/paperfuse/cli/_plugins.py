"""``paperfuse plugins``: every plugin, what it registers, and what failed."""

from __future__ import annotations

import click

__all__ = ["plugins"]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins(as_json: bool) -> None:
    """List installed plugins with their distribution, version and registrations.

    Each source, scheme and format is shown with its description. A plugin
    that failed to load is listed with its error; paperfuse goes on without
    it. Plugins blocked by PAPERFUSE_DISABLED_PLUGINS show as disabled. When a
    third-party plugin registers a name a built-in plugin registers too, the
    third-party one is used and the built-in one is listed as shadowed; block
    either by name (PAPERFUSE_DISABLED_PLUGINS=name, or distribution:name when
    two plugins share an entry-point name) to use the other.
    """
    import warnings

    from .._config import load_config
    from .._errors import ConfigError
    from .._plugins import PluginHost, PluginWarning
    from .._records import encode_json

    try:
        disabled = load_config().disabled_plugins
    except ConfigError as e:  # the listing helps mend a configuration: it goes on
        click.echo(f"paperfuse: warning: {e}; disabled_plugins of the file not heeded", err=True)
        disabled = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)  # shown in the listing instead
        host = PluginHost(disabled=disabled)
    infos = list(host.plugins.values())
    if as_json:
        click.echo(encode_json(infos).decode())
        return
    for info in infos:
        origin = "built in" if info.builtin else f"{info.distribution} {info.version}"
        click.echo(f"{info.name}  ({origin})  {info.status}")
        registered = [
            f"{kind}: {', '.join(names)}"
            for kind, names in (
                ("sources", info.sources),
                ("schemes", info.schemes),
                ("formats", info.formats),
            )
            if names
        ]
        click.echo(f"    registers {'; '.join(registered) if registered else 'nothing yet'}")
        for what, description in info.descriptions.items():
            click.echo(f"      {what}: {description}")
        for what in info.shadows:
            click.echo(f"    shadows {what} (block this plugin to use that one)")
        for what in info.shadowed:
            click.echo(f"    shadowed: {what} (block that plugin to use this one)")
        for error in info.errors:
            click.echo(f"    error: {error}")
