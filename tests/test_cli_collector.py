"""``paperfuse resolve`` tunes the garbage collector for its batch and leaves it as it was;
the command freezes its objects as it exits."""

from __future__ import annotations

import gc
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from paperfuse.testing import CLI


def test_the_collector_is_as_it_was_after_a_batch(paperfuse_cli: CLI) -> None:
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    run = paperfuse_cli("resolve", "--quiet", "%%%", "@@@")
    assert run.exit_code == 1  # neither input is usable
    assert (gc.get_threshold(), gc.get_freeze_count()) == (threshold, frozen)


def _python(paperfuse_cli: CLI, *args: str) -> subprocess.CompletedProcess[str]:
    """Python run with ``args`` in a process of its own, in the CLI's test environment;
    it must exit with 0."""
    done = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env=paperfuse_cli.process_environment(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_the_command_freezes_its_objects_at_exit_after_every_handler_of_the_run(
    paperfuse_cli: CLI, tmp_path: Path
) -> None:
    # Interpreter shutdown then collects garbage over none of them: ~0.1 s after a
    # batch of 2,000 records. A handler the run registered sees them not yet frozen.
    script = tmp_path / "probe.py"
    script.write_text(
        "import atexit, gc, sys\n"
        "from paperfuse.cli import run\n"
        "atexit.register(lambda: print('frozen after:', gc.get_freeze_count() > 0))\n"
        "import paperfuse.cli._identify as identify\n"
        "command = identify.identify.callback\n"
        "def probed(*args, **kwargs):\n"
        "    atexit.register(lambda: print('frozen during:', gc.get_freeze_count() > 0))\n"
        "    return command(*args, **kwargs)\n"
        "identify.identify.callback = probed\n"
        "sys.argv = ['paperfuse', 'identify', '10.1038/nature12373']\n"
        "run()\n"
    )
    done = _python(paperfuse_cli, str(script))
    lines = done.stdout.splitlines()
    assert "10.1038/nature12373" in done.stdout  # the command's own output, whole
    assert lines[-2:] == ["frozen during: False", "frozen after: True"]


@pytest.mark.parametrize("module", ["paperfuse", "paperfuse.cli"])
def test_python_m_exits_as_quickly(paperfuse_cli: CLI, module: str) -> None:
    probe = (
        "import atexit, gc, runpy, sys\n"
        "atexit.register(lambda: print('frozen after:', gc.get_freeze_count() > 0))\n"
        "sys.argv = ['paperfuse', 'identify', '10.1038/nature12373']\n"
        f"runpy.run_module({module!r}, run_name='__main__')\n"
    )
    done = _python(paperfuse_cli, "-c", probe)
    assert done.stdout.splitlines()[-1] == "frozen after: True"


def test_the_installed_command_is_the_one_that_exits_quickly() -> None:
    (script,) = entry_points(group="console_scripts", name="paperfuse")
    assert script.value == "paperfuse.cli:run"
