"""The built-in output formats keep the format contract of paperfuse.testing, each
read back by its own parser."""

from __future__ import annotations

import json
from collections.abc import Sequence

import msgspec
import pytest

from paperfuse import CSLJSONFormat, JSONFormat, OutputFormat, Work, decode_work
from paperfuse.testing import FormatContract


class TestJSONContract(FormatContract):
    format = JSONFormat

    def check(self, text: str, works: Sequence[Work]) -> None:
        lines = text.splitlines()
        assert len(lines) == len(works)
        for line, work in zip(lines, works, strict=True):
            assert decode_work(line).input == work.input


class TestCSLJSONContract(FormatContract):
    format = CSLJSONFormat

    def check(self, text: str, works: Sequence[Work]) -> None:
        items = json.loads(text)
        assert isinstance(items, list)
        assert len(items) == len(works)
        assert len({item["id"] for item in items}) == len(items)
        msgspec.json.decode(text)  # strict JSON too


# -- the contract catches what it promises to catch ----------------------------------------


class _Base(OutputFormat):
    name = "broken"
    description = "a format that breaks one promise"
    bibliography = True

    def render(self, work: Work) -> str:
        return f"- {work.input}"


class _FailsOnMissingTitle(_Base):
    def render(self, work: Work) -> str:
        return work.title.upper()  # type: ignore[union-attr]


class _EndsInNewline(_Base):
    def render(self, work: Work) -> str:
        return super().render(work) + "\n"


class _KeepsFailedInputs(_Base):
    def accepts(self, work: Work) -> bool:
        return True


class _BadUTF8(_Base):
    def end(self) -> str:
        return "\udcff"


@pytest.mark.parametrize(
    ("broken", "promise"),
    [
        (_FailsOnMissingTitle, "test_contract_every_status_renders"),
        (_EndsInNewline, "test_contract_each_resolved_work_renders_alone"),
        (_KeepsFailedInputs, "test_contract_failed_inputs_are_no_entries_of_a_bibliography"),
        (_BadUTF8, "test_contract_an_empty_batch_is_a_valid_document"),
    ],
)
def test_the_contract_fails_a_format_that_breaks_a_promise(
    broken: type[OutputFormat], promise: str
) -> None:
    contract = type("Contract", (FormatContract,), {"format": broken})()
    with pytest.raises((AssertionError, Exception)):
        getattr(contract, promise)()
    fine = type("Contract", (FormatContract,), {"format": _Base})()
    getattr(fine, promise)()  # the same promise, kept
