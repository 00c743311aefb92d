"""The command line, end to end through the plugin host, with a fake installed source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from installed_plugins import install_distribution
from paperfuse.testing import CLI, Isolation

SOURCE = """
    import paperfuse

    RECORDS = {
        "10.1234/found": paperfuse.Work(
            title="A found paper",
            year=2020,
            venue="Journal of Tests",
            ids=paperfuse.Ids(doi="10.1234/found"),
            authors=(paperfuse.Author(name="Ada Lovelace", given="Ada", family="Lovelace"),),
        ),
    }

    class Table(paperfuse.Source):
        name = "table"
        schemes = ("doi",)
        batch_size = 10

        async def lookup(self, identifiers):
            return {i: RECORDS.get(i.value) for i in identifiers}

    @paperfuse.hookimpl
    def paperfuse_register_sources():
        return [Table]
"""


@pytest.fixture
def plugin_path(
    tmp_path: Path, paperfuse_isolated: Isolation, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The fake source installed where ``paperfuse`` processes find it; only it answers."""
    install_distribution(
        tmp_path,
        "paperfuse-table",
        {"table": "paperfuse_table", "broken": "paperfuse_broken_at_import"},
        {"paperfuse_table": SOURCE, "paperfuse_broken_at_import": "1 / 0\n"},
    )
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    paperfuse_isolated.use_plugins(entry_points=["table", "broken"])
    return tmp_path


def test_resolve_one_prints_one_json_record(plugin_path: Path, paperfuse_cli: CLI) -> None:
    run = paperfuse_cli.subprocess("resolve", "https://doi.org/10.1234/FOUND")
    assert run.exit_code == 0, run.stderr
    record = json.loads(run.stdout)
    assert record["title"] == "A found paper"
    assert record["status"] == "resolved"
    assert record["ids"]["doi"] == "10.1234/found"
    assert record["provenance"]["title"] == {"source": "table", "others": []}
    assert {s["name"]: s["status"] for s in record["sources"]}["table"] == "ok"
    assert "paperfuse: warning: paperfuse plugin broken: cannot be imported" in run.stderr
    assert "Traceback" not in run.stderr


def test_resolve_several_prints_json_lines_and_exit_1_when_some_fail(
    plugin_path: Path, paperfuse_cli: CLI
) -> None:
    run = paperfuse_cli.subprocess("resolve", "10.1234/found", "10.1234/missing", "1234.1234")
    assert run.exit_code == 1
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [(r["input"], r["status"]) for r in lines] == [
        ("10.1234/found", "resolved"),
        ("10.1234/missing", "not_found"),
        ("1234.1234", "invalid"),
    ]
    assert lines[1]["error"] == "no source found it: table answered not found"
    assert "month 34" in lines[2]["error"]


def test_resolve_reads_a_file_or_stdin(
    plugin_path: Path, paperfuse_cli: CLI, tmp_path: Path
) -> None:
    listing = tmp_path / "ids.txt"
    listing.write_text("10.1234/found\n\n  doi:10.1234/FOUND  \n")
    from_file = paperfuse_cli.subprocess("resolve", "--input", str(listing))
    from_stdin = paperfuse_cli.subprocess("resolve", "-i", "-", input=listing.read_text())
    for run in (from_file, from_stdin):
        assert run.exit_code == 0, run.stderr
        records = [json.loads(line) for line in run.stdout.splitlines()]
        assert [r["input"] for r in records] == ["10.1234/found", "doi:10.1234/FOUND"]
        assert all(r["title"] == "A found paper" for r in records)


def test_resolve_formats(plugin_path: Path, paperfuse_cli: CLI) -> None:
    bibtex = paperfuse_cli.subprocess("resolve", "--format", "bibtex", "10.1234/found")
    assert bibtex.exit_code == 0
    assert bibtex.stdout.startswith("@article{lovelace2020found,\n")
    assert "  doi = {10.1234/found}" in bibtex.stdout
    csl = paperfuse_cli.subprocess("resolve", "-f", "csl-json", "10.1234/found")
    (item,) = json.loads(csl.stdout)  # a batch of CSL-JSON is one array
    assert item["author"] == [{"family": "Lovelace", "given": "Ada"}]
    assert item["container-title"] == "Journal of Tests"


def test_no_source_for_the_scheme_is_said(plugin_path: Path, paperfuse_cli: CLI) -> None:
    run = paperfuse_cli.subprocess("resolve", "PMC123456")
    assert run.exit_code == 1
    record = json.loads(run.stdout)
    assert record["error"] == (
        "no source can answer this yet: no installed source accepts pmcid identifiers"
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ((), {}, "give at least one ID, or --input FILE"),
        (("--format", "yaml", "10.1234/found"), {}, "'yaml' is not one of"),
        (("--bogus",), {}, "No such option"),
        (("10.1234/found",), {"PAPERFUSE_ARXIV_URL": "localhost"}, "PAPERFUSE_ARXIV_URL"),
        (("10.1234/found",), {"PAPERFUSE_EMAIL": "no-at-sign"}, "PAPERFUSE_EMAIL"),
    ],
)
def test_usage_and_configuration_errors_exit_2(
    plugin_path: Path,
    paperfuse_cli: CLI,
    args: tuple[str, ...],
    env: dict[str, str],
    message: str,
) -> None:
    run = paperfuse_cli.subprocess("resolve", *args, env=env)
    assert run.exit_code == 2
    assert message in run.stderr
    assert run.stdout == ""


def test_help_is_written_for_newcomers(plugin_path: Path, paperfuse_cli: CLI) -> None:
    run = paperfuse_cli.subprocess("--help")
    assert run.exit_code == 0
    for command in ("resolve", "identify", "plugins"):
        assert command in run.stdout
    assert "Thank you to arXiv for use of its open access interoperability." in run.stdout


def test_identify_prints_json_and_exits_1_on_invalid(plugin_path: Path, paperfuse_cli: CLI) -> None:
    good = paperfuse_cli.subprocess("identify", "arxiv.org/pdf/1710.08557v2.pdf")
    assert good.exit_code == 0
    assert json.loads(good.stdout)["identifiers"] == [
        {"scheme": "arxiv", "value": "1710.08557", "version": 2, "confidence": 1.0}
    ]
    bad = paperfuse_cli.subprocess("identify", "")
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["reason"] == "empty input"
