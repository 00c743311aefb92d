"""Hostile input files for ``paperfuse resolve --input``: bytes that are not UTF-8, UTF-16
files, over-long lines and CSV cells. Each bad line or cell becomes its own invalid
result naming its line; the other inputs are resolved; nothing aborts the batch."""

from __future__ import annotations

import codecs
import json
import tracemalloc
from pathlib import Path

import pytest

from paperfuse.cli import _batch
from paperfuse.testing import CLI, Isolation, Ran


@pytest.fixture(autouse=True)
def _no_sources(paperfuse_isolated: Isolation) -> None:
    """No source at all: reading inputs is under test, and nothing is ever asked."""
    paperfuse_isolated.use_plugins()  # an empty allow-list: no plugin loads


def _records(result: Ran) -> list[tuple[str, str, str | None]]:
    """(input, status, error) of each output line; fails on a crash (the runner lets
    any exception of the command through)."""
    assert "Traceback" not in result.stdout + result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    return [(r["input"], r["status"], r.get("error")) for r in records]


def _counted(path: Path, column: str | None = None) -> int | None:
    """What ``count_inputs`` says, checked against what ``read_inputs`` gives."""
    count = _batch.count_inputs(str(path), column)
    assert count == sum(1 for _ in _batch.read_inputs(str(path), column))
    return count


NO_SOURCE = "no source can answer this yet: no installed source accepts doi identifiers"


def test_line_of_bad_bytes_is_invalid_and_the_rest_is_read(
    tmp_path: Path, paperfuse_cli: CLI
) -> None:
    listing = tmp_path / "ids.txt"
    listing.write_bytes(b"10.1234/a\n10.1038/\xffx\n\n\xc3\x28 10.1234/b\n10.1234/c\n")
    records = _records(paperfuse_cli("resolve", "-q", "-i", str(listing)))
    assert records == [
        ("10.1234/a", "not_found", NO_SOURCE),
        ("10.1038/\ufffdx", "invalid", "line 2 is not valid UTF-8: byte 0xff at position 8"),
        ("\ufffd( 10.1234/b", "invalid", "line 4 is not valid UTF-8: byte 0xc3 at position 0"),
        ("10.1234/c", "not_found", NO_SOURCE),
    ]
    assert _counted(listing) == 4


def test_bad_bytes_on_stdin_name_their_line(paperfuse_cli: CLI) -> None:
    records = _records(
        paperfuse_cli("resolve", "-q", "-i", "-", input=b"10.1234/a\n\n  \xe9t\xe9 \n")
    )
    assert records[1] == (
        "\ufffdt\ufffd",
        "invalid",
        "line 3 is not valid UTF-8: byte 0xe9 at position 0",
    )


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-32"], ids=str
)
def test_files_with_a_byte_order_mark_are_read_in_their_encoding(
    tmp_path: Path, encoding: str, paperfuse_cli: CLI
) -> None:
    bom = {
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
    }.get(encoding, b"")
    listing = tmp_path / "ids.txt"
    text = "10.1234/a\r\nCaf\u00e9 \u2014 a title\r\n10.1234/b\r\n"
    listing.write_bytes(bom + text.encode(encoding))
    records = _records(paperfuse_cli("resolve", "-q", "-i", str(listing)))
    assert [(text, status) for text, status, _ in records] == [
        ("10.1234/a", "not_found"),
        ("Caf\u00e9 \u2014 a title", "not_found"),
        ("10.1234/b", "not_found"),
    ]
    assert _counted(listing) == 3


def test_utf16_csv_with_a_column(tmp_path: Path, paperfuse_cli: CLI) -> None:
    table = tmp_path / "library.csv"
    table.write_bytes('Title,DOI\r\n"A, paper",10.1234/a\r\nB,10.1234/b\r\n'.encode("utf-16"))
    records = _records(paperfuse_cli("resolve", "-q", "-i", str(table), "-c", "DOI"))
    assert [text for text, _, _ in records] == ["10.1234/a", "10.1234/b"]


def test_bad_utf16_line_is_invalid(tmp_path: Path, paperfuse_cli: CLI) -> None:
    listing = tmp_path / "ids.txt"
    # A lone high surrogate (D800) in line 2, written as raw UTF-16-LE code units.
    data = codecs.BOM_UTF16_LE + "10.1234/a\n10.".encode("utf-16-le")
    data += b"\x00\xd8" + "1234/x\n10.1234/b\n".encode("utf-16-le")
    listing.write_bytes(data)
    records = _records(paperfuse_cli("resolve", "-q", "-i", str(listing)))
    assert records[0][:2] == ("10.1234/a", "not_found")
    assert records[1][1:] == ("invalid", "line 2 is not valid UTF-16: byte 0x00 at position 3")
    assert records[2][:2] == ("10.1234/b", "not_found")
    assert _counted(listing) == 3


def test_utf16_file_with_an_odd_byte_at_the_end(tmp_path: Path, paperfuse_cli: CLI) -> None:
    listing = tmp_path / "ids.txt"
    listing.write_bytes("10.1234/a\n10.1234/b".encode("utf-16") + b"\x41")
    records = _records(paperfuse_cli("resolve", "-q", "-i", str(listing)))
    assert records[0][:2] == ("10.1234/a", "not_found")
    assert records[1][1:] == ("invalid", "line 2 is not valid UTF-16: byte 0x41 at position 9")


def test_csv_cell_beyond_the_csv_module_limit_is_one_invalid_input(
    tmp_path: Path, paperfuse_cli: CLI
) -> None:
    table = tmp_path / "library.csv"
    table.write_text(f"DOI,Abstract\n10.1234/a,short\n{'x' * 200_000},long\n10.1234/b,\n")
    records = _records(paperfuse_cli("resolve", "-q", "-i", str(table), "-c", "DOI"))
    assert [(text[:12], status, error) for text, status, error in records] == [
        ("10.1234/a", "not_found", NO_SOURCE),
        ("x" * 12, "invalid", "input is 200,000 characters long; the limit is 2,000"),
        ("10.1234/b", "not_found", NO_SOURCE),
    ]
    # a long cell in another column is no problem at all
    table.write_text(f"DOI,Abstract\n10.1234/a,{'x' * 200_000}\n")
    assert _records(paperfuse_cli("resolve", "-q", "-i", str(table), "-c", "DOI")) == [
        ("10.1234/a", "not_found", NO_SOURCE)
    ]


def test_over_long_csv_field_and_line_are_their_own_invalid_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paperfuse_cli: CLI
) -> None:
    monkeypatch.setattr(_batch, "MAX_LINE_LENGTH", 1_000)
    table = tmp_path / "library.csv"
    table.write_text(
        "DOI,Note\n"
        "10.1234/a,\n"
        f'10.1234/b,"{"y" * 600}\n{"y" * 600}"\n'  # one quoted field over two lines
        f"10.1234/c,{'z' * 2_000}\n"
        "10.1234/d,\n"
    )
    records = _records(paperfuse_cli("resolve", "-q", "-i", str(table), "-c", "DOI"))
    assert records == [
        ("10.1234/a", "not_found", NO_SOURCE),
        ("", "invalid", "line 3: the CSV row cannot be read: field larger than field limit (1000)"),
        ("", "invalid", "line 5 is longer than 1,000 characters"),
        ("10.1234/d", "not_found", NO_SOURCE),
    ]
    assert _counted(table, "DOI") == 4
    assert _batch.csv.field_size_limit() == 131_072  # the module's limit is given back


def test_over_long_line_is_invalid_and_the_next_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paperfuse_cli: CLI
) -> None:
    monkeypatch.setattr(_batch, "MAX_LINE_LENGTH", 1_000)
    listing = tmp_path / "ids.txt"
    listing.write_text(f"10.1234/a\n{'w' * 5_000}\n10.1234/b\n")
    records = _records(paperfuse_cli("resolve", "-q", "-i", str(listing)))
    assert records == [
        ("10.1234/a", "not_found", NO_SOURCE),
        ("", "invalid", "line 2 is longer than 1,000 characters"),
        ("10.1234/b", "not_found", NO_SOURCE),
    ]
    assert _counted(listing) == 3


def test_bad_bytes_in_a_csv_cell_name_the_line_and_column(
    tmp_path: Path, paperfuse_cli: CLI
) -> None:
    table = tmp_path / "library.csv"
    table.write_bytes(b"Title,DOI\n\xff title,10.1234/a\nB,10.1234/\xfe\n")
    records = _records(paperfuse_cli("resolve", "-q", "-i", str(table), "-c", "DOI"))
    assert records == [
        ("10.1234/a", "not_found", NO_SOURCE),  # bad bytes in another column do not matter
        (
            "10.1234/\ufffd",
            "invalid",
            "line 3, column 'DOI', is not valid UTF-8: byte 0xfe at position 8",
        ),
    ]


def test_inputs_are_streamed_in_flat_memory(tmp_path: Path) -> None:
    listing = tmp_path / "ids.txt"
    lines = 200_000
    listing.write_text("".join(f"10.1234/{n}\n" for n in range(lines)))  # about 3 MB
    tracemalloc.start()
    try:
        count = sum(1 for _ in _batch.read_inputs(str(listing), None))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == lines
    assert peak < 1_000_000
