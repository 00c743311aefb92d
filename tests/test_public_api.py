"""The public API is sealed: what a plugin needs is exported from ``paperfuse``, and only there.

Plugins import nothing but ``paperfuse``'s public names (the built-in ones are
read here as the proof); every name in ``__all__`` is importable; the types in
the signatures a plugin meets (the hooks, Source, SourceContext, the HTTP
client, the store) all resolve against the public namespace alone, so a plugin
can annotate its code and a type checker can follow it; each package ships
``py.typed``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest

import paperfuse
from paperfuse import hookspecs

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = sorted((ROOT / "plugins").glob("paperfuse_*"))
PACKAGES = [ROOT / "core" / "paperfuse", *PLUGINS]


def _imports(path: Path) -> list[tuple[str, str | None, int]]:
    """``(module, name, line)`` for every import in a file (name None for ``import x``)."""
    found: list[tuple[str, str | None, int]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, None, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.extend((node.module, alias.name, node.lineno) for alias in node.names)
    return found


def _plugin_files() -> list[Path]:
    return sorted(f for package in PLUGINS for f in package.rglob("*.py"))


def test_there_are_plugins_to_check() -> None:
    assert len(PLUGINS) >= 8
    assert len(_plugin_files()) >= 20


def test_no_plugin_imports_a_private_paperfuse_module() -> None:
    private = [
        f"{path.relative_to(ROOT)}:{line}: {module}{'.' + name if name else ''}"
        for path in _plugin_files()
        for module, name, line in _imports(path)
        if (module.startswith("paperfuse.") and module != "paperfuse.hookspecs")
        or (module == "paperfuse" and name is not None and name.startswith("_"))
    ]
    assert private == []


def test_every_name_a_plugin_takes_from_paperfuse_is_exported() -> None:
    used = {
        name
        for path in _plugin_files()
        for module, name, _ in _imports(path)
        if module == "paperfuse" and name is not None
    }
    attributes = {
        match
        for path in _plugin_files()
        for match in re.findall(r"\bpaperfuse\.([A-Za-z_][A-Za-z0-9_]*)", path.read_text())
    }
    assert used  # the check reads something
    missing = sorted((used | attributes) - set(paperfuse.__all__) - {"hookspecs"})
    assert missing == []


def test_every_name_in_all_is_importable_and_dir_lists_them() -> None:
    for name in paperfuse.__all__:
        assert getattr(paperfuse, name) is not None, name
    assert len(set(paperfuse.__all__)) == len(paperfuse.__all__)
    assert dir(paperfuse) == sorted(paperfuse.__all__)
    namespace: dict[str, object] = {}
    exec(f"from paperfuse import {', '.join(paperfuse.__all__)}", namespace)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'SourceClients'"):
        _ = paperfuse.SourceClients  # type: ignore[attr-defined]


def test_every_public_class_and_function_defined_in_paperfuse_is_exported() -> None:
    """A class or function of a private module that appears in the namespace of
    ``paperfuse`` (a forgotten export, say) must be in ``__all__``."""
    for name in paperfuse.__all__:
        getattr(paperfuse, name)  # load the lazy ones
    stray = [
        name
        for name, value in vars(paperfuse).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and getattr(value, "__module__", "").startswith("paperfuse")
        and name not in paperfuse.__all__
    ]
    assert stray == []


def _public_members(cls: type) -> list[object]:
    members: list[object] = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            members.append(member.fget)
        elif isinstance(member, (classmethod, staticmethod)):
            members.append(member.__func__)
        elif inspect.isfunction(member):
            members.append(member)
    return members


#: Classes whose signatures plugins meet; their public members must be annotated with
#: public names only.
PLUGIN_FACING = (
    "Source",
    "SourceContext",
    "SourceClient",
    "SourceStore",
    "IdentifierScheme",
    "OutputFormat",
)


@pytest.mark.parametrize("class_name", PLUGIN_FACING)
def test_signatures_a_plugin_meets_resolve_against_public_names(class_name: str) -> None:
    namespace = {name: getattr(paperfuse, name) for name in paperfuse.__all__}
    namespace.update(vars(typing))
    cls = getattr(paperfuse, class_name)
    functions = _public_members(cls)
    assert functions, class_name
    for function in functions:
        module = vars(sys.modules[function.__module__])  # type: ignore[attr-defined]
        globalns = {k: v for k, v in module.items() if not _is_private_paperfuse_type(v)}
        try:
            typing.get_type_hints(function, globalns=globalns, localns=namespace)
        except NameError as e:
            pytest.fail(f"{class_name}.{function.__name__}: {e} (not exported from paperfuse?)")  # type: ignore[attr-defined]


def _is_private_paperfuse_type(value: object) -> bool:
    """A class of paperfuse's that is not exported (it must not be needed)."""
    return (
        inspect.isclass(value)
        and value.__module__.startswith("paperfuse.")
        and getattr(paperfuse, value.__name__, None) is not value
    )


def test_hook_signatures_resolve_against_public_names() -> None:
    namespace = {name: getattr(paperfuse, name) for name in paperfuse.__all__}
    for name in (
        "paperfuse_register_sources",
        "paperfuse_register_schemes",
        "paperfuse_register_formats",
        "paperfuse_rank_oa_locations",
    ):
        hints = typing.get_type_hints(getattr(hookspecs, name), localns=namespace)
        assert "return" in hints


def test_source_client_is_what_a_source_context_gives() -> None:
    hints = typing.get_type_hints(
        paperfuse.SourceContext.client.fget,  # type: ignore[attr-defined]
        localns={name: getattr(paperfuse, name) for name in paperfuse.__all__},
    )
    assert hints["return"] is paperfuse.SourceClient
    assert paperfuse.SourceClient.__module__ == "paperfuse._http"


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_every_package_ships_py_typed(package: Path) -> None:
    assert (package / "py.typed").is_file()


def test_py_typed_is_installed_with_the_package() -> None:
    """The editable install points at the source tree: the marker is where importers look."""
    for name in ["paperfuse", *(p.name for p in PLUGINS)]:
        module = importlib.import_module(name)
        assert (Path(module.__file__).parent / "py.typed").is_file(), name  # type: ignore[arg-type]


def test_importing_paperfuse_stays_light() -> None:
    """The public API loads its heavy parts on first use: httpx and lxml are not imported."""
    code = "import sys, paperfuse; print(sorted(m for m in ('httpx', 'lxml') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_names_docs_plugins_md_uses_exist() -> None:
    text = (ROOT / "docs" / "plugins.md").read_text()
    names = set(re.findall(r"\bpaperfuse\.([A-Za-z_][A-Za-z0-9_]*)", text))
    assert names
    missing = sorted(
        n for n in names if n not in paperfuse.__all__ and n not in ("hookspecs", "testing", "cli")
    )
    assert missing == []


PLUGIN_USING_THE_PUBLIC_API = """
from collections.abc import Iterable, Mapping, Sequence

import httpx

import paperfuse
from paperfuse import (
    BadResponse,
    Identifier,
    IdentifierScheme,
    LookupResult,
    OutputFormat,
    Politeness,
    Source,
    SourceClient,
    SourceContext,
    SourceStore,
    Work,
)


class LocalSource(Source):
    name = "local"
    schemes = ("isbn",)
    role = "bibliographic database"
    authoritative_for = ("abstract",)
    politeness = Politeness(min_interval=1.0, max_concurrency=1)

    def __init__(self, context: SourceContext) -> None:
        super().__init__(context)
        self.client: SourceClient = context.client
        self.store: SourceStore = context.store

    @classmethod
    def politeness_for(
        cls, config: paperfuse.Config, settings: paperfuse.SourceSettings
    ) -> Politeness:
        return Politeness(min_interval=0.1) if config.email else cls.politeness

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        response: httpx.Response = await self.client.get(f"{self.context.base_url}/x")
        root = paperfuse.parse_xml(response.content, expected="a record", roots=("record",))
        title = root.findtext("title")
        if title is None:
            raise BadResponse("no title")
        return {i: Work(title=title) for i in identifiers}


class WrongRole(Source):
    name = "wrong"
    role = "registration-agency"  # misspelt: the one error expected


class IsbnScheme(IdentifierScheme):
    name = "isbn"
    description = "ISBNs"

    def parse(self, text: str) -> Iterable[Identifier]:
        if text.startswith("isbn:"):
            yield Identifier(scheme="isbn", value=text[5:])


class TitleFormat(OutputFormat):
    name = "title"
    description = "titles only"

    def render(self, work: Work) -> str:
        return work.title or ""


@paperfuse.hookimpl
def paperfuse_register_sources(paperfuse_version: str) -> list[type[Source]]:
    return [LocalSource]


@paperfuse.hookimpl
def paperfuse_register_schemes() -> list[type[IdentifierScheme]]:
    return [IsbnScheme]


@paperfuse.hookimpl
def paperfuse_register_formats() -> list[type[OutputFormat]]:
    return [TitleFormat]
"""


def test_a_plugin_using_the_public_api_passes_mypy_strict(tmp_path: Path) -> None:
    """Run where mypy is installed (not a dependency of the tests)."""
    api = pytest.importorskip("mypy.api")
    plugin = tmp_path / "local_plugin.py"
    plugin.write_text(PLUGIN_USING_THE_PUBLIC_API)
    out, err, status = api.run(
        ["--strict", "--no-incremental", "--ignore-missing-imports", str(plugin)]
    )
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert len(errors) == 1, out + err
    assert "Literal['registration-agency']" in errors[0]
    assert status == 1
