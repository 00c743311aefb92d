"""Meta-tests: every hook is documented with its exact signature and tested;
the docs say what the project promises."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from paperfuse import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOKS = [
    (name, function)
    for name, function in vars(hookspecs).items()
    if name.startswith("paperfuse_") and callable(function)
]
THANKS = "Thank you to arXiv for use of its open access interoperability."


def _signature(function: object) -> str:
    signature = inspect.signature(function)  # type: ignore[arg-type]
    params = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
    return f"{function.__name__}({params}) -> {signature.return_annotation}"  # type: ignore[attr-defined]


def test_there_are_hooks() -> None:
    assert {name for name, _ in HOOKS} >= {
        "paperfuse_register_sources",
        "paperfuse_register_schemes",
        "paperfuse_register_formats",
        "paperfuse_rank_oa_locations",
    }


@pytest.mark.parametrize(("name", "function"), HOOKS)
def test_hook_is_documented_with_its_exact_signature(name: str, function: object) -> None:
    docs = (ROOT / "docs" / "plugins.md").read_text()
    assert f"### `{_signature(function)}`" in docs


@pytest.mark.parametrize(("name", "function"), HOOKS)
def test_hook_spec_has_a_full_docstring(name: str, function: object) -> None:
    doc = inspect.getdoc(function) or ""
    assert len(doc.splitlines()) >= 3
    assert "Return" in doc


@pytest.mark.parametrize(("name", "function"), HOOKS)
def test_hook_is_exercised_by_a_test(name: str, function: object) -> None:
    tests = [p for p in (ROOT / "tests").glob("test_*.py") if p.name != "test_docs.py"]
    assert any(f"def {name}(" in p.read_text() for p in tests), f"no test implements {name}"


@pytest.mark.parametrize("path", ["README.md", "docs/index.md"])
def test_readme_and_docs_carry_the_arxiv_thanks(path: str) -> None:
    assert THANKS in (ROOT / path).read_text()


def test_docs_index_links_every_page() -> None:
    index = (ROOT / "docs" / "index.md").read_text()
    for page in (ROOT / "docs").glob("*.md"):
        if page.name != "index.md":
            assert f"({page.name})" in index, page.name


# -- the plugin guide's code is code that runs ---------------------------------------------

PLUGINS_MD = ROOT / "docs" / "plugins.md"
_BLOCK = re.compile(r"<!-- (from (?P<path>\S+)|runs) -->\n```[a-z]*\n(?P<code>.*?)```", re.DOTALL)


def _blocks(kind: str) -> list[tuple[str, str]]:
    text = PLUGINS_MD.read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        if (match["path"] is not None) == (kind == "from"):
            found.append((match["path"] or "", match["code"]))
    return found


def test_the_tutorial_shows_code_of_the_example_plugin() -> None:
    assert len(_blocks("from")) >= 8


@pytest.mark.parametrize(("path", "code"), _blocks("from"), ids=lambda v: str(v)[:40])
def test_a_tutorial_excerpt_is_the_example_plugin_s_code_as_it_stands(path: str, code: str) -> None:
    """Each excerpt marked ``<!-- from PATH -->`` is a verbatim piece of that file."""
    assert code in (ROOT / path).read_text(encoding="utf-8"), f"docs/plugins.md drifted from {path}"


@pytest.mark.parametrize("code", [code for _, code in _blocks("runs")], ids=["shortest-plugin"])
def test_a_guide_example_marked_runs_runs(code: str) -> None:
    """The shortest plugin defines its source and hook without a NameError, and answers."""
    import asyncio

    import paperfuse

    namespace: dict[str, object] = {}
    exec(compile(code, str(PLUGINS_MD), "exec"), namespace)
    source = namespace["LocalDB"]
    assert issubclass(source, paperfuse.Source)  # type: ignore[arg-type]
    found = asyncio.run(
        source.lookup(None, [paperfuse.Identifier(scheme="doi", value="10.1234/abc")])  # type: ignore[attr-defined]
    )
    assert [w.title for w in found.values()] == ["A work from the local table"]
