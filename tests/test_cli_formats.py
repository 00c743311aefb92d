"""``paperfuse resolve --format``: a bibliography holds the resolved inputs only, always valid.

In a real process, with a fake installed source (the built-in sources are disabled,
so nothing reaches the internet): failed inputs are no entries, they are reported on
stderr, in the summary and, with ``--output NAME``, in ``NAME.errors.jsonl``; a CSL-JSON
batch is one JSON array whether it holds no item, one or many, and also when the run
is interrupted and then run again; a plugin's format wraps a batch with begin/end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from installed_plugins import install_distribution

SOURCE = """
    import asyncio, os, paperfuse

    A = paperfuse.Author
    RECORDS = {
        "10.5555/preprint": paperfuse.Work(
            title="Data-driven robust optimization",
            year=2017,
            published="2017-09-26",
            type="posted-content",
            ids=paperfuse.Ids(doi="10.5555/preprint", arxiv="1709.09069", arxiv_version=2),
            authors=(A(name="Bart Van Parys"), A(name="The LHCb collaboration")),
            comment="12 pages",
        ),
        "10.5555/article": paperfuse.Work(
            title="A found paper",
            year=2020,
            type="journal-article",
            venue="Journal of Tests",
            volume="3",
            issue="2",
            pages="10-20",
            ids=paperfuse.Ids(doi="10.5555/article"),
            authors=(A(name="Ada Lovelace", given="Ada", family="Lovelace"),),
        ),
    }

    class Table(paperfuse.Source):
        name = "table"
        schemes = ("doi",)
        batch_size = 1
        politeness = paperfuse.Politeness(min_interval=0.0, max_concurrency=16)

        async def lookup(self, identifiers):
            value = identifiers[0].value
            with open(os.environ["TABLE_LOG"], "a") as log:
                log.write(value + "\\n")
            if "hang" in value and os.environ.get("TABLE_HANG"):
                await asyncio.sleep(3600)
            if "hang" in value:
                return {i: paperfuse.Work(title="Once hanging", year=2019) for i in identifiers}
            return {i: RECORDS.get(i.value) for i in identifiers}

    class Titles(paperfuse.OutputFormat):
        '''A plugin's bibliography format: one XML document of titles.'''

        name = "titles-xml"
        bibliography = True

        def begin(self):
            return "<titles>\\n"

        def end(self):
            return "</titles>\\n"

        def render(self, work):
            return "<title>" + work.title + "</title>"

    @paperfuse.hookimpl
    def paperfuse_register_sources():
        return [Table]

    @paperfuse.hookimpl
    def paperfuse_register_formats():
        return [Titles]
"""

INPUTS = ["10.5555/preprint", "10.5555/missing", "1234.1234", "10.5555/article"]

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    install_distribution(
        plugins, "paperfuse-table", {"table": "paperfuse_table"}, {"paperfuse_table": SOURCE}
    )
    log = tmp_path / "asked.log"
    log.touch()
    return {
        **os.environ,
        "PYTHONPATH": str(plugins),
        "PAPERFUSE_PLUGINS": "table",  # an allow-list: no other installed plugin answers
        "PAPERFUSE_CACHE_DIR": str(tmp_path / "cache"),
        "TABLE_LOG": str(log),
    }


@pytest.fixture
def run(env: dict[str, str], tmp_path: Path) -> Run:
    def paperfuse(*args: str, inputs: list[str] | None = None) -> subprocess.CompletedProcess[str]:
        extra: list[str] = []
        if inputs is not None:
            listing = tmp_path / "ids.txt"
            listing.write_text("".join(f"{text}\n" for text in inputs))
            extra = ["-i", str(listing)]
        return subprocess.run(
            [sys.executable, "-m", "paperfuse.cli", "resolve", *extra, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    return paperfuse


def test_csl_json_batch_is_one_array_of_the_resolved_inputs(run: Run) -> None:
    result = run("-f", "csl-json", inputs=INPUTS)
    assert result.returncode == 1  # some inputs failed
    items = json.loads(result.stdout)
    assert [item["DOI"] for item in items] == ["10.5555/preprint", "10.5555/article"]
    preprint, article = items
    assert preprint["type"] == "article"
    assert preprint["author"] == [
        {"family": "Van Parys", "given": "Bart"},
        {"literal": "The LHCb collaboration"},
    ]
    assert (preprint["number"], preprint["version"], preprint["publisher"]) == (
        "arXiv:1709.09069",
        "2",
        "arXiv",
    )
    assert (article["type"], article["volume"], article["issue"], article["page"]) == (
        "article-journal",
        "3",
        "2",
        "10-20",
    )
    assert "paperfuse" not in {item["id"] for item in items}
    # the failed inputs: on stderr and in the summary, never as entries
    assert "left out '10.5555/missing': not_found: no source found it" in result.stderr
    assert "left out '1234.1234': invalid: " in result.stderr
    assert "2 failed inputs left out of the csl-json output" in result.stderr
    assert "Traceback" not in result.stderr


def test_with_output_the_failed_inputs_go_to_errors_jsonl(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "refs.json"
    result = run("-f", "csl-json", "-o", str(out), inputs=INPUTS)
    assert result.returncode == 1
    assert [item["DOI"] for item in json.loads(out.read_text())] == [
        "10.5555/preprint",
        "10.5555/article",
    ]
    errors = tmp_path / "refs.json.errors.jsonl"
    lines = [json.loads(line) for line in errors.read_text().splitlines()]
    assert [(e["input"], e["status"]) for e in lines] == [
        ("10.5555/missing", "not_found"),
        ("1234.1234", "invalid"),
    ]
    assert all(set(e) == {"input", "status", "error"} and e["error"] for e in lines)
    assert f"(listed in {errors})" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("refs")) == [
        "refs.json",
        "refs.json.errors.jsonl",
    ]


def test_a_run_in_which_none_failed_removes_an_old_errors_file(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "refs.json"
    run("-f", "csl-json", "-o", str(out), inputs=INPUTS)
    assert (tmp_path / "refs.json.errors.jsonl").is_file()
    result = run("-f", "csl-json", "-o", str(out), inputs=["10.5555/article"])
    assert result.returncode == 0, result.stderr
    assert len(json.loads(out.read_text())) == 1
    assert not (tmp_path / "refs.json.errors.jsonl").exists()


@pytest.mark.parametrize("quiet", [False, True])
def test_when_every_input_fails_the_bibliography_is_an_empty_array(
    run: Run, tmp_path: Path, quiet: bool
) -> None:
    out = tmp_path / "refs.json"
    result = run("-f", "csl-json", "-o", str(out), *(["-q"] if quiet else []), "10.5555/missing")
    assert result.returncode == 1
    assert json.loads(out.read_text()) == []
    (error,) = [json.loads(line) for line in (tmp_path / "refs.json.errors.jsonl").open()]
    assert error == {
        "input": "10.5555/missing",
        "status": "not_found",
        "error": "no source found it: table answered not found",
    }
    assert ("left out" in result.stderr) is not quiet


def test_one_input_as_csl_json_is_an_array_too(run: Run) -> None:
    result = run("-f", "csl-json", "10.5555/article")
    assert result.returncode == 0, result.stderr
    (item,) = json.loads(result.stdout)
    assert item["id"] == "lovelace2020found"
    assert item["author"] == [{"family": "Lovelace", "given": "Ada"}]


def test_json_output_still_holds_every_input(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "records.jsonl"
    result = run("-o", str(out), inputs=INPUTS)
    assert result.returncode == 1
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["input"] for r in records] == INPUTS
    assert [r["status"] for r in records][:2] == ["resolved", "not_found"]
    assert not (tmp_path / "records.jsonl.errors.jsonl").exists()
    assert "left out" not in result.stderr
    # the split names are in the JSON record too
    (bart, lhcb) = records[0]["authors"]
    assert (bart["given"], bart["family"], bart["split_by_paperfuse"]) == (
        "Bart",
        "Van Parys",
        True,
    )
    assert (lhcb["family"], lhcb["split_by_paperfuse"]) == (None, False)


def test_a_plugin_format_wraps_the_batch(run: Run) -> None:
    result = run("-f", "titles-xml", inputs=INPUTS)
    assert result.returncode == 1
    assert result.stdout == (
        "<titles>\n"
        "<title>Data-driven robust optimization</title>\n"
        "<title>A found paper</title>\n"
        "</titles>\n"
    )
    assert "left out '10.5555/missing'" in result.stderr


def _wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


@pytest.fixture
def started(env: dict[str, str]) -> Iterator[list[subprocess.Popen[str]]]:
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:  # a failed test leaves no process behind
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_interrupted_then_run_again_the_file_is_always_valid(
    run: Run,
    env: dict[str, str],
    tmp_path: Path,
    started: list[subprocess.Popen[str]],
) -> None:
    out = tmp_path / "refs.json"
    inputs = ["10.5555/article", "10.5555/missing", "10.5555/hang", "10.5555/preprint"]
    listing = tmp_path / "ids.txt"
    listing.write_text("".join(f"{text}\n" for text in inputs))
    command = [sys.executable, "-m", "paperfuse.cli", "resolve", "-f", "csl-json"]
    process = subprocess.Popen(
        [*command, "-i", str(listing), "-o", str(out)],
        env={**env, "TABLE_HANG": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started.append(process)
    asked = Path(env["TABLE_LOG"])
    _wait_for(lambda: "10.5555/hang" in asked.read_text().split())
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert not out.exists()  # never a half-written file under the final name
    partial = json.loads((tmp_path / "refs.json.partial").read_text())
    assert [item["DOI"] for item in partial] == ["10.5555/article"]  # a closed array

    again = run("-f", "csl-json", "-o", str(out), inputs=inputs)  # no longer hangs
    assert again.returncode == 1
    items = json.loads(out.read_text())
    assert [item["title"] for item in items] == [
        "A found paper",
        "Once hanging",
        "Data-driven robust optimization",
    ]
    errors = (tmp_path / "refs.json.errors.jsonl").read_text().splitlines()
    assert [json.loads(line)["input"] for line in errors] == ["10.5555/missing"]


def test_interrupted_on_stdout_the_array_is_closed(
    env: dict[str, str], started: list[subprocess.Popen[str]]
) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "paperfuse.cli",
            "resolve",
            "-f",
            "csl-json",
            "10.5555/article",
            "10.5555/hang",
        ],
        env={**env, "TABLE_HANG": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started.append(process)
    asked = Path(env["TABLE_LOG"])
    _wait_for(lambda: "10.5555/hang" in asked.read_text().split())
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert [item["DOI"] for item in json.loads(stdout)] == ["10.5555/article"]


def test_output_to_a_device_writes_no_errors_file_beside_it(run: Run) -> None:
    result = run("-f", "csl-json", "-o", os.devnull, inputs=INPUTS)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "left out '10.5555/missing'" in result.stderr
    assert "(listed in" not in result.stderr


def test_an_errors_file_that_cannot_be_written_is_a_usage_error_at_once(
    run: Run, tmp_path: Path
) -> None:
    (tmp_path / "refs.json.errors.jsonl.partial").mkdir()  # in the way
    result = run("-f", "csl-json", "-o", str(tmp_path / "refs.json"), inputs=INPUTS)
    assert result.returncode == 2
    assert "cannot write --output" in result.stderr
    assert "refs.json.errors.jsonl" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "refs.json.partial").exists()
