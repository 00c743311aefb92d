"""Bytes that are not UTF-8, on argv, stdin or in a record: each such input is invalid
with a reason, the output can always be written, and the rest of the batch goes on."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from installed_plugins import install_distribution
from paperfuse import Author, BibTeXFormat, CSLJSONFormat, Ids, JSONFormat, OutputFormat, Work
from paperfuse.testing import CLI, Isolation

SOURCE = """
    import paperfuse

    class Table(paperfuse.Source):
        name = "table"
        schemes = ("doi",)

        async def lookup(self, identifiers):
            return {
                i: None if "missing" in i.value else paperfuse.Work(title="T " + i.value)
                for i in identifiers
            }

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
        tmp_path, "paperfuse-table", {"table": "paperfuse_table"}, {"paperfuse_table": SOURCE}
    )
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    paperfuse_isolated.use_plugins(entry_points=["table"])
    return tmp_path


def _argv(raw: bytes) -> str:
    """Raw bytes as an argument the process receives byte for byte (as a shell passes them)."""
    return os.fsdecode(raw)


def _utf8(written: str) -> str:
    """What the command wrote, checked strictly as UTF-8: the runner reads a byte that is not
    UTF-8 as a lone surrogate, which encoding refuses."""
    written.encode("utf-8")
    return written


def _records(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in _utf8(output).splitlines()]


def test_bad_bytes_on_stdin_make_that_line_invalid_and_the_batch_goes_on(
    plugin_path: Path, paperfuse_cli: CLI
) -> None:
    run = paperfuse_cli.subprocess(
        "resolve",
        "--input",
        "-",
        input=b"10.1234/a\n10.1038/\xffx\n10.1234/b\n",
    )
    assert "Traceback" not in run.stderr, run.stderr
    assert run.exit_code == 1
    records = _records(run.stdout)
    assert [(r["input"], r["status"]) for r in records] == [
        ("10.1234/a", "resolved"),
        ("10.1038/\ufffdx", "invalid"),
        ("10.1234/b", "resolved"),
    ]
    assert records[1]["error"] == "line 2 is not valid UTF-8: byte 0xff at position 8"


def test_bad_bytes_on_argv_make_that_input_invalid(plugin_path: Path, paperfuse_cli: CLI) -> None:
    run = paperfuse_cli.subprocess("resolve", "10.1234/a", _argv(b"10.1038/\xffx"), "10.1234/b")
    assert "Traceback" not in run.stderr, run.stderr
    assert run.exit_code == 1
    records = _records(run.stdout)
    assert [(r["input"], r["status"]) for r in records] == [
        ("10.1234/a", "resolved"),
        ("10.1038/\ufffdx", "invalid"),
        ("10.1234/b", "resolved"),
    ]
    assert records[1]["error"] == "input is not valid UTF-8: byte 0xff at position 8"


@pytest.mark.parametrize("format_name", ["json", "csl-json", "bibtex"])
def test_every_format_writes_an_input_of_bad_bytes(
    plugin_path: Path, paperfuse_cli: CLI, format_name: str
) -> None:
    run = paperfuse_cli.subprocess("resolve", "-f", format_name, _argv(b"\xff\xfe10.1234/a"))
    assert "Traceback" not in run.stderr, run.stderr
    assert run.exit_code == 1
    written = _utf8(run.stdout)  # strict: every byte written is UTF-8
    if format_name == "json":  # a bibliography has no entry for a failed input
        assert "\ufffd\ufffd10.1234/a" in json.loads(written).values()
    if format_name == "csl-json":
        assert json.loads(written) == []
        assert "\ufffd\ufffd10.1234/a" in _utf8(run.stderr)


def test_identify_bad_bytes_on_argv(plugin_path: Path, paperfuse_cli: CLI) -> None:
    run = paperfuse_cli.subprocess("identify", _argv(b"\xff"), _argv(b"arXiv:1710.\xe2\x80x08557"))
    assert "Traceback" not in run.stderr, run.stderr
    assert run.exit_code == 1
    results = _records(run.stdout)
    assert [(r["text"], r["kind"], r["reason"]) for r in results] == [
        ("\ufffd", "invalid", "input is not valid UTF-8: byte 0xff at position 0"),
        (
            "arXiv:1710.\ufffd\ufffdx08557",
            "invalid",
            "input is not valid UTF-8: byte 0xe2 at position 11",
        ),
    ]


# A record can hold lone surrogates without going through identify(): a plugin's source
# or a Python caller can put them in any field. Every format must still write it.
HOSTILE = Work(
    input="10.1038/\udcffx",
    status="resolved",
    title="A title \ud800 with a lone surrogate",
    authors=(Author(name="Ada \udcff", given="Ada", family="Love\udcfflace"),),
    venue="Journal \udcff",
    year=2020,
    published="2020-\udcff",
    ids=Ids(doi="10.1234/\udcff", other={"key\udcff": "value\udcff"}),
    extra={"note\ud83d": ["\ude00"]},
)


@pytest.mark.parametrize("output_format", [JSONFormat, CSLJSONFormat, BibTeXFormat])
def test_formats_write_records_holding_lone_surrogates(output_format: type[OutputFormat]) -> None:
    text = output_format().render(HOSTILE)
    text.encode("utf-8")  # no lone surrogate is left
    assert "Love\ufffdlace" in text
    if output_format is not BibTeXFormat:
        assert json.loads(text)


def test_json_of_a_clean_record_is_unchanged() -> None:
    work = Work(input="10.1234/a", title="Caf\u00e9", ids=Ids(other={"b": "1", "a": "2"}))
    assert JSONFormat().render(work) == paperfuse_json(work)


def paperfuse_json(work: Work) -> str:
    from paperfuse import encode_json

    return encode_json(work).decode()


@pytest.mark.parametrize(
    ("published", "parts"),
    [
        ("2020-01-02", [2020, 1, 2]),
        ("\uff12\uff10\uff12\uff10-01-02", [2021]),
        ("\u00b2\u2070\u00b2\u2070", [2021]),
        ("2020-\udcff", [2020]),
    ],
)
def test_csl_json_dates_take_ascii_digits_only(published: str, parts: list[int]) -> None:
    """A date's leading ASCII numbers, else the year (int() takes fullwidth digits, and
    str.isdigit() superscripts, which int() then refuses)."""
    item = json.loads(CSLJSONFormat().render(Work(title="T", year=2021, published=published)))
    assert item["issued"] == {"date-parts": [parts]}
