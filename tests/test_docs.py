"""Meta-tests: every hook is documented with its exact signature and tested;
the docs say what the project promises."""

from __future__ import annotations

import inspect
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
