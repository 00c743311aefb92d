"""paperfuse's own tests pass with an unrelated third-party plugin installed beside it.

A user who installs a plugin (here examples/paperfuse-openalex, an OpenAlex
source and scheme) and then runs paperfuse's tests must see them pass, and
no test may reach the plugin's service: tests load plugins by allow-list
(``PAPERFUSE_PLUGINS``, the kit's isolation), never by switching the built-in
ones off by name. The proof runs part of the suite in an environment of its
own, where the plugin is installed, and watches every connection and name
look-up of every Python process started in it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "paperfuse-openalex"

#: The part of the suite that runs with the plugin installed: the command line,
#: batches, the resolver and the plugin host (each starts paperfuse processes or
#: loads the installed plugins).
REPRESENTATIVE = (
    "tests/test_cli.py",
    "tests/test_cli_encoding.py",
    "tests/test_cli_inputs.py",
    "tests/test_cli_output.py",
    "tests/test_cli_signals.py",
    "tests/test_batch.py",
    "tests/test_resolver.py",
    "tests/test_plugins.py",
    "tests/test_crossref.py",
)

# Written into the environment's site-packages: every Python process started in
# it (pytest, and the paperfuse processes its tests start, whatever PYTHONPATH
# they set) notes and refuses any connection or name look-up beyond loopback.
WATCH = """
import ipaddress
import socket

_LOG = __LOG__
_LOOPBACK = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _local(host):
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").lower()
    if host in _LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(what):
    import os
    import sys

    test = os.environ.get("PYTEST_CURRENT_TEST", "no test")
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"{what} ({test}; {' '.join(sys.argv)})\\n")
    raise OSError("the third-party plugin test allows no host beyond loopback: " + what)


_getaddrinfo = socket.getaddrinfo


def getaddrinfo(host, *args, **kwargs):
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not _local(host):
        _refuse(f"look-up {host}")
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = getaddrinfo


def _guard(original):
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            _refuse(f"connect {address[0]}")
        return original(self, address)

    return connect


socket.socket.connect = _guard(socket.socket.connect)
socket.socket.connect_ex = _guard(socket.socket.connect_ex)
"""


def install_example_plugin(venv: Path, log: Path) -> Path:
    """An environment of its own: this one's packages, the example plugin installed
    (a dist-info with its entry point, its code by path as an editable install has
    it) and the network watch. Returns the environment's python."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
    )
    # This environment's packages (paperfuse among them, with its own .pth files) come first.
    ours = sysconfig.get_paths()["purelib"]
    (site / "_paperfuse_tests_base.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    dist = site / "paperfuse_example_openalex-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: paperfuse-example-openalex\nVersion: 0.1.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[paperfuse]\nexample-openalex = paperfuse_example_openalex\n"
    )
    (site / "paperfuse_example_openalex.pth").write_text(f"{EXAMPLE / 'src'}\n")
    (site / "sitecustomize.py").write_text(WATCH.replace("__LOG__", repr(str(log))))
    return python


def _environment() -> dict[str, str]:
    """A developer's shell: no PAPERFUSE_* and no PYTHONPATH of the outer test run."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PAPERFUSE_") and k not in ("PYTHONPATH", "PYTHONHOME")
    }


def test_the_suite_passes_with_a_third_party_plugin_installed(tmp_path: Path) -> None:
    log = tmp_path / "beyond-loopback.log"
    log.touch()
    python = install_example_plugin(tmp_path / "venv", log)

    # The plugin is really installed there: paperfuse loads it when nothing says otherwise.
    listing = subprocess.run(
        [str(python), "-m", "paperfuse.cli", "plugins", "--json"],
        capture_output=True,
        text=True,
        env=_environment(),
        timeout=120,
        check=False,
    )
    assert listing.returncode == 0, listing.stderr
    plugins = {plugin["name"]: plugin for plugin in json.loads(listing.stdout)}
    assert plugins["example-openalex"]["status"] == "loaded"
    assert plugins["example-openalex"]["sources"] == ["openalex-example"]

    # The watch sees the plugin go for its service when nothing keeps it out (and refuses:
    # nothing leaves the machine).
    live = subprocess.run(
        [str(python), "-m", "paperfuse.cli", "resolve", "-q", "10.1234/x"],
        capture_output=True,
        text=True,
        env={**_environment(), "PAPERFUSE_PLUGINS": "example-openalex"},
        timeout=120,
        check=False,
    )
    assert "look-up api.openalex.org" in log.read_text(), live.stdout + live.stderr
    log.write_text("")

    run = subprocess.run(
        [
            str(python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--basetemp={tmp_path / 'tmp'}",
            *REPRESENTATIVE,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_environment(),
        timeout=1200,
        check=False,
    )
    summary = run.stdout[-3000:]
    assert run.returncode == 0, f"{summary}\n{run.stderr[-2000:]}"
    assert " passed" in summary
    assert " failed" not in summary
    assert log.read_text() == "", f"requests left loopback:\n{log.read_text()}"
