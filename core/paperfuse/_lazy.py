"""Names a package exports but imports on first use (PEP 562).

Every run pays for every installed plugin's imports before its first input
is read, whether or not the plugin's source is asked: a plugin that imports
an HTML parser, an HTTP stack or a retry library at the top of its package
makes every command slower. With :func:`lazy_exports`, the package's public
names stay ordinary names to its users and its tests, and their modules load
when a name is first used.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, names: Mapping[str, str], listed: Iterable[str] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__`` for names loaded on first use.

    ``names`` maps each lazy name to the module that defines it, relative to
    ``package`` (``"._page"``) or absolute. ``dir()`` lists them with the
    package's own names (plugin managers find hook functions through it), or
    just ``listed`` when it is given (a package's ``__all__``). Use it at the
    end of a package's ``__init__``::

        __getattr__, __dir__ = paperfuse.lazy_exports(__name__, {"read_page": "._page"})

    A name is imported once, then kept in the package like any other.
    """
    lazy = dict(names)
    shown = None if listed is None else sorted(listed)

    def __getattr__(name: str) -> Any:
        where = lazy.get(name)
        if where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        if shown is not None:
            return shown
        return sorted({*vars(sys.modules[package]), *lazy})

    return __getattr__, __dir__
