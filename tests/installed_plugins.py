"""Installed plugins in tests: paperfuse's own, and a distribution written for a test
where ``sys.path`` (or PYTHONPATH) finds it.

Tests of entry-point loading need a plugin that is installed as pip would
install it (a ``.dist-info`` with its entry points), without installing
anything into the environment the tests run in.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

#: paperfuse's own plugins: the entry points of the ``paperfuse`` distribution.
BUILT_IN_PLUGINS: frozenset[str] = frozenset(
    ep.name for ep in metadata.distribution("paperfuse").entry_points if ep.group == "paperfuse"
)


def install_distribution(
    root: Path, name: str, entry_points: Mapping[str, str], modules: Mapping[str, str]
) -> None:
    """Write an installed distribution into ``root`` (put ``root`` on ``sys.path``).

    ``entry_points`` maps names to modules in the ``paperfuse`` group;
    ``modules`` maps module names to their source text. The test names the
    entry points it loads (``paperfuse_isolated.use_plugins(entry_points=[...])``):
    every test loads plugins by allow-list.
    """
    dist = root / f"{name.replace('-', '_')}-1.2.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n")
    lines = "".join(f"{ep} = {module}\n" for ep, module in entry_points.items())
    (dist / "entry_points.txt").write_text(f"[paperfuse]\n{lines}")
    for module, text in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(text))
