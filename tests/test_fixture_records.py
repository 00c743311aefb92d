"""The records the format tests run over come from every source's recorded answers."""

from __future__ import annotations

from fixture_records import _READERS, fixture_records


def test_every_source_with_recorded_answers_gives_records() -> None:
    names = {name.split("/")[0] for name, _ in fixture_records()}
    assert names == set(_READERS)
    assert all(work.status == "resolved" and work.provenance for _, work in fixture_records())
