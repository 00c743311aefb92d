"""paperfuse.lazy_exports, and a start-up that imports no plugin's heavy modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import paperfuse


@pytest.fixture
def lazy_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A package ``lazypkg`` whose ``heavy`` name lives in a module that notes its import."""
    package = tmp_path / "lazypkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        textwrap.dedent(
            """
            import paperfuse

            LIGHT = 1


            @paperfuse.hookimpl
            def paperfuse_register_sources():
                return []


            __getattr__, __dir__ = paperfuse.lazy_exports(__name__, {"heavy": "._heavy"})
            """
        )
    )
    (package / "_heavy.py").write_text("import sys\nsys.lazypkg_heavy_loaded = True\nheavy = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "lazypkg"
    for name in [m for m in sys.modules if m.startswith("lazypkg")]:
        del sys.modules[name]
    if hasattr(sys, "lazypkg_heavy_loaded"):
        del sys.lazypkg_heavy_loaded


def test_a_lazy_name_is_imported_on_first_use_and_kept(lazy_package: str) -> None:
    import importlib

    module = importlib.import_module(lazy_package)
    assert "lazypkg._heavy" not in sys.modules
    assert module.heavy == 42
    assert "lazypkg._heavy" in sys.modules
    assert vars(module)["heavy"] == 42  # kept: the next use asks no __getattr__


def test_dir_lists_the_package_s_own_and_its_lazy_names(lazy_package: str) -> None:
    import importlib

    module = importlib.import_module(lazy_package)
    names = dir(module)
    assert {"LIGHT", "heavy", "paperfuse_register_sources"} <= set(names)
    assert "lazypkg._heavy" not in sys.modules


def test_an_unknown_name_is_an_attribute_error(lazy_package: str) -> None:
    import importlib

    module = importlib.import_module(lazy_package)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = module.nothing


def test_a_lazy_package_registers_its_hooks(lazy_package: str) -> None:
    import importlib

    host = paperfuse.PluginHost(plugins={"lazypkg": importlib.import_module(lazy_package)})
    assert host.plugins["lazypkg"].status == "loaded"
    assert "lazypkg._heavy" not in sys.modules


#: Modules that only some sources need: a run asking arXiv alone imports none at start-up.
_HEAVY = (
    "lxml.html",
    "stamina",
    "tenacity",
    "httpcore",
    "anyio",
    "aiohttp",
    "nameparser",
    "duckdb",
)


def test_starting_a_resolver_imports_no_plugin_s_heavy_modules(tmp_path: Path) -> None:
    """Every built-in plugin loads when a Resolver is made; none of them imports an
    HTML parser, a retry library, the HTTP stack or a database until it is asked."""
    script = textwrap.dedent(
        f"""
        import json, sys
        import paperfuse
        resolver = paperfuse.Resolver(paperfuse.load_config())
        loaded = [p for p in resolver.host.plugins.values() if p.status == "loaded"]
        print(json.dumps({{
            "plugins": len(loaded),
            "heavy": [m for m in {_HEAVY!r} if m in sys.modules],
        }}))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFUSE_")}
    env["PAPERFUSE_CACHE_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["plugins"] >= 10
    assert found["heavy"] == []


def test_the_retry_library_is_imported_when_a_request_first_fails() -> None:
    """A request answered at once needs no retry machinery, so a look-up whose answers all
    come at once never imports stamina (nor tenacity, nor what tenacity looks for); the
    first failure that may be retried imports it, and the retry happens."""
    script = textwrap.dedent(
        """
        import asyncio, json, sys
        import httpx
        from paperfuse._http import Pacer, SourceClient

        statuses = iter([200, 503, 200])

        def answer(request):
            status = next(statuses)
            body = httpx.ByteStream(str(status).encode())  # a body still to be read
            return httpx.Response(status, stream=body, headers={"Retry-After": "0"})

        def retry_modules():
            return [m for m in ("stamina", "tenacity") if m in sys.modules]

        async def main():
            async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
                client = SourceClient(name="test", http=http, pacer=Pacer(0.0, 1))
                first = (await client.get("http://service.invalid/a")).text
                after_first = retry_modules()
                second = (await client.get("http://service.invalid/b")).text
                return [first, after_first, second, retry_modules(), client.requests]

        print(json.dumps(asyncio.run(main())))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFUSE_")}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    first, after_first, second, after_retry, requests = json.loads(done.stdout)
    assert (first, after_first) == ("200", [])
    assert (second, after_retry, requests) == ("200", ["stamina", "tenacity"], 3)
