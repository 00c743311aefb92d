"""Where ``paperfuse resolve --output`` writes: regular files atomically, special files
(devices, FIFOs, links such as /dev/stdout) directly and never replaced, and an output
folder that cannot be written is a usage error (exit 2) before any work."""

from __future__ import annotations

import json
import os
import select
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from paperfuse.testing import CLI, Isolation

INPUTS = ("10.1234/a", "10.1234/b", "not a doi 12")


@pytest.fixture(autouse=True)
def _no_source(paperfuse_isolated: Isolation) -> None:
    """No source is installed (nothing is ever asked): every input fails or is invalid."""
    paperfuse_isolated.use_plugins()


def _inputs_of(text: str) -> list[str]:
    return [json.loads(line)["input"] for line in text.splitlines()]


def test_regular_file_is_replaced_atomically(tmp_path: Path, paperfuse_cli: CLI) -> None:
    out = tmp_path / "records.jsonl"
    run = paperfuse_cli.subprocess("resolve", "-q", "-o", str(out), *INPUTS)
    assert run.exit_code == 1, run.stderr
    assert _inputs_of(out.read_text()) == list(INPUTS)
    assert not out.with_name("records.jsonl.partial").exists()
    out.write_text("old records\n")
    inode = out.stat().st_ino
    paperfuse_cli.subprocess("resolve", "-q", "-o", str(out), *INPUTS)
    assert _inputs_of(out.read_text()) == list(INPUTS)
    assert out.stat().st_ino != inode  # a new file took its place, by rename


@pytest.fixture
def character_device(tmp_path: Path) -> Path:
    """A character device node of our own, the same device as /dev/null (needs root)."""
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError):
        pytest.skip("cannot make a device node here")
    return node


def test_own_character_device_is_written_not_replaced(
    character_device: Path, paperfuse_cli: CLI
) -> None:
    run = paperfuse_cli.subprocess("resolve", "-q", "-o", str(character_device), *INPUTS)
    assert run.exit_code == 1, run.stderr
    assert stat.S_ISCHR(os.stat(character_device).st_mode)
    assert not character_device.with_name("null.partial").exists()


@pytest.fixture
def dev_null() -> Iterator[Path]:
    """/dev/null; put back as it was should a broken paperfuse replace it (as root)."""
    path = Path("/dev/null")
    before = os.stat(path)
    assert stat.S_ISCHR(before.st_mode)
    yield path
    if not stat.S_ISCHR(os.lstat(path).st_mode):
        os.remove(path)
        os.mknod(path, stat.S_IFCHR | 0o666, before.st_rdev)
        os.chmod(path, 0o666)


def test_dev_null_stays_a_device(dev_null: Path, paperfuse_cli: CLI) -> None:
    run = paperfuse_cli.subprocess("resolve", "-q", "-o", str(dev_null), *INPUTS)
    assert run.exit_code == 1, run.stderr
    assert stat.S_ISCHR(os.stat(dev_null).st_mode)
    assert not Path("/dev/null.partial").exists()


@pytest.fixture
def dev_stdout() -> Iterator[Path]:
    """/dev/stdout; put back as it was should a broken paperfuse replace it (as root)."""
    path = Path("/dev/stdout")
    if not path.is_symlink():
        pytest.skip("/dev/stdout is not a symbolic link here")
    target = os.readlink(path)
    yield path
    if not path.is_symlink():
        os.remove(path)
        os.symlink(target, path)
    Path("/dev/stdout.partial").unlink(missing_ok=True)


def test_dev_stdout_writes_to_standard_output(dev_stdout: Path, paperfuse_cli: CLI) -> None:
    run = paperfuse_cli.subprocess("resolve", "-q", "-o", str(dev_stdout), *INPUTS)
    assert run.exit_code == 1, run.stderr
    assert _inputs_of(run.stdout) == list(INPUTS)
    assert dev_stdout.is_symlink()


def test_symbolic_link_is_written_through(tmp_path: Path, paperfuse_cli: CLI) -> None:
    target = tmp_path / "elsewhere.jsonl"
    target.write_text("old\n")
    link = tmp_path / "records.jsonl"
    link.symlink_to(target)
    assert paperfuse_cli.subprocess("resolve", "-q", "-o", str(link), *INPUTS).exit_code == 1
    assert link.is_symlink()
    assert _inputs_of(target.read_text()) == list(INPUTS)


def test_fifo_is_written_not_replaced(tmp_path: Path, paperfuse_cli: CLI) -> None:
    fifo = tmp_path / "records.fifo"
    os.mkfifo(fifo)
    received = bytearray()

    def read() -> None:
        # Non-blocking, so that the test ends even if nothing ever opens the FIFO.
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.1)
                if not ready:
                    continue
                chunk = os.read(fd, 65536)
                if not chunk and received:
                    return  # the writer closed after writing
                received.extend(chunk)
                if not chunk:
                    time.sleep(0.05)  # no writer yet
        finally:
            os.close(fd)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.1)  # the reader is open before the writer opens
    run = paperfuse_cli.subprocess("resolve", "-q", "-o", str(fifo), *INPUTS)
    reader.join(timeout=40)
    assert run.exit_code == 1, run.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert not fifo.with_name("records.fifo.partial").exists()
    assert _inputs_of(received.decode()) == list(INPUTS)


def test_folder_that_is_a_file_is_a_usage_error(tmp_path: Path, paperfuse_cli: CLI) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n")
    for out in (blocker / "out.jsonl", blocker / "sub" / "out.jsonl"):
        run = paperfuse_cli.subprocess("resolve", "-q", "-o", str(out), *INPUTS)
        assert run.exit_code == 2, run.stderr
        assert "Traceback" not in run.stderr
        assert f"cannot write --output {out}: {out.parent} " in run.stderr
        assert ("is not a folder" in run.stderr) is (out.parent == blocker)
        assert run.stdout == ""


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder in which this process cannot create a file, even as root."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        (folder / "probe").touch()
    except PermissionError:
        yield folder  # an ordinary user
        folder.chmod(0o755)
        return
    folder.chmod(0o755)
    # root ignores permissions; sysfs lets no one create a file at its top
    try:
        Path("/sys/paperfuse-probe").touch()
    except OSError:
        yield Path("/sys")
        return
    pytest.skip("no read-only folder for this user here")


def test_read_only_folder_is_a_usage_error(read_only_folder: Path, paperfuse_cli: CLI) -> None:
    out = read_only_folder / "records.jsonl"
    run = paperfuse_cli.subprocess("resolve", "-q", "-o", str(out), *INPUTS)
    assert run.exit_code == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert f"cannot write --output {out}: " in run.stderr
    assert run.stdout == ""
    assert not out.exists()
