"""Nothing lost, nothing hangs: the engine under faults of sources, the cache and configuration.

Each test here stands for a defect found under attack (issue 10's numbers in
the names' docstrings): a source answer the cache cannot store, answers that
reached the cache only at close, a cache folder that cannot be used, a cache
another process holds locked, a source that keeps failing or asks to be left
alone for a day, a title search whose every source failed, and a typo in the
name of a source's settings.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import paperfuse
from engine_resolvers import make_resolver
from paperfuse import Config, Identifier, Ids, Politeness, RateLimited, SourceUnavailable, Work
from paperfuse._store import Store
from paperfuse.testing import fake_source

_STORE = "paperfuse.sqlite3"


def _records(count: int) -> dict[tuple[str, str], Work]:
    return {
        ("doi", f"10.5555/{n}"): Work(title=f"T{n}", ids=Ids(doi=f"10.5555/{n}"))
        for n in range(count)
    }


def _answers_in(path: Path) -> int:
    """How many answers the cache file at ``path`` holds, read by a connection of its own."""
    with sqlite3.connect(path) as connection:
        return int(connection.execute("SELECT count(*) FROM answers").fetchone()[0])


async def _bounded(coroutine: Any, seconds: float = 10.0) -> Any:
    return await asyncio.wait_for(coroutine, seconds)


# -- 1. an answer the cache cannot store releases its waiters ---------------------------------


def test_an_answer_with_an_integer_too_large_to_store_never_hangs(tmp_path: Path) -> None:
    """Issue 10.1: a year > 2**64 made writing the cache raise inside ``finally``."""

    def answer(identifiers: Sequence[Identifier]) -> dict[Identifier, Work]:
        return {
            i: Work(
                title="Huge", ids=Ids(doi=i.value), year=2**70 if i.value.endswith("1") else 2001
            )
            for i in identifiers
        }

    source = fake_source("huge", ["doi"], answer=answer, batch_size=10)
    inputs = ["10.5555/1", "10.5555/2", "10.5555/3"]

    async def run() -> list[Work]:
        async with make_resolver(source, config=Config(cache_dir=str(tmp_path))) as resolver:
            return [w async for w in resolver.aresolve_many(inputs)]

    works = asyncio.run(_bounded(run()))
    assert [w.input for w in works] == inputs
    huge = works[0].sources[0]
    assert (works[0].status, huge.status) == ("error", "error")
    assert "could not be stored" in (huge.error or "")
    assert [w.status for w in works[1:]] == ["resolved", "resolved"]
    assert _answers_in(tmp_path / _STORE) == 2  # the storable answers were kept


def test_a_failure_while_storing_answers_releases_every_waiter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10.1: any exception while finishing a call becomes an attributed error."""
    source = fake_source("table", ["doi"], records=_records(5), batch_size=10)

    def broken(self: Any, rows: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Store, "store_answers", broken)

    async def run() -> list[Work]:
        async with make_resolver(source, config=Config(cache_dir=str(tmp_path))) as resolver:
            return [w async for w in resolver.aresolve_many(["10.5555/1", "10.5555/2"])]

    works = asyncio.run(_bounded(run()))
    assert [w.status for w in works] == ["resolved", "resolved"]  # answers still delivered


# -- 5. answers reach the cache as their request completes, on every path ---------------------


def test_answers_are_in_the_cache_before_the_sync_resolver_closes(tmp_path: Path) -> None:
    """Issue 10.5: ``r = Resolver(cfg); r.resolve(doi)`` left the answers table empty."""
    source = fake_source("table", ["doi"], records=_records(3))
    resolver = make_resolver(source, config=Config(cache_dir=str(tmp_path)))
    try:
        assert resolver.resolve("10.5555/1").status == "resolved"
        assert _answers_in(tmp_path / _STORE) == 1
        works = list(resolver.resolve_many(["10.5555/2", "10.5555/missing"]))
        assert [w.status for w in works] == ["resolved", "not_found"]
        assert _answers_in(tmp_path / _STORE) == 3
    finally:
        resolver.close()


def test_answers_are_in_the_cache_while_an_async_resolver_stays_open(tmp_path: Path) -> None:
    """Issue 10.5: ``aresolve`` in a running loop, with the resolver still open."""
    source = fake_source("table", ["doi"], records=_records(3))

    async def run() -> int:
        resolver = make_resolver(source, config=Config(cache_dir=str(tmp_path)))
        try:
            await resolver.aresolve("10.5555/1")
            await asyncio.sleep(0)
            return _answers_in(tmp_path / _STORE)
        finally:
            await resolver.aclose()

    assert asyncio.run(run()) == 1


def test_answers_are_cached_while_the_last_input_still_hangs(tmp_path: Path) -> None:
    """Issue 10.5: a batch whose last input hangs had cached none of the others."""

    async def answer_or_hang(identifiers: Sequence[Identifier]) -> dict[Identifier, Work]:
        if any(i.value == "10.5555/hang" for i in identifiers):
            await asyncio.sleep(3600)
        return {i: Work(title="T", ids=Ids(doi=i.value)) for i in identifiers}

    class Hanging(fake_source("slow", ["doi"], batch_size=1)):  # type: ignore[misc]
        async def lookup(self, identifiers: Sequence[Identifier]) -> dict[Identifier, Work]:
            return await answer_or_hang(identifiers)

    inputs = [f"10.5555/{n}" for n in range(10)] + ["10.5555/hang"]

    async def run() -> int:
        resolver = make_resolver(Hanging, config=Config(cache_dir=str(tmp_path)))
        task = asyncio.create_task(_drain(resolver, inputs))
        try:
            for _ in range(100):
                await asyncio.sleep(0.05)
                if _answers_in(tmp_path / _STORE) == 10:
                    break
            return _answers_in(tmp_path / _STORE)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await resolver.aclose()

    assert asyncio.run(run()) == 10


async def _drain(resolver: paperfuse.Resolver, inputs: list[str]) -> None:
    async for _ in resolver.aresolve_many(inputs):
        pass


# -- 7. a cache folder that cannot be used turns the cache off, nothing more ------------------


@pytest.mark.parametrize("where", ["under_a_file", "store_is_a_folder"])
def test_an_unusable_cache_folder_turns_the_cache_off_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, where: str
) -> None:
    """Issue 10.7: every input failed, with a false "set aside" warning."""
    if where == "under_a_file":
        (tmp_path / "file").write_text("not a folder")
        cache_dir = tmp_path / "file" / "cache"
    else:
        cache_dir = tmp_path / "cache"
        (cache_dir / _STORE).mkdir(parents=True)
    source = fake_source("table", ["doi"], records=_records(3))
    with make_resolver(source, config=Config(cache_dir=str(cache_dir))) as resolver:
        works = list(resolver.resolve_many(["10.5555/1", "10.5555/2", "10.5555/1"]))
    assert [w.status for w in works] == ["resolved", "resolved", "resolved"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "without the cache" in warnings[0]
    assert "set aside" not in caplog.text
    assert not list(tmp_path.rglob("*.unreadable-*"))


def test_daily_budget_is_kept_in_memory_when_the_cache_cannot_be_used(tmp_path: Path) -> None:
    """Issue 10.7: budget counts hold for the run even without a cache file."""
    (tmp_path / "file").write_text("not a folder")
    source = fake_source(
        "budgeted",
        ["doi"],
        records=_records(5),
        batch_size=1,
        politeness=Politeness(daily_budget=2),
    )

    class Paying(source):  # type: ignore[misc,valid-type]
        async def lookup(self, identifiers: Sequence[Identifier]) -> Any:
            await self.context.client.get("http://127.0.0.1:9/never")  # refused before sending
            return {}

    config = Config(cache_dir=str(tmp_path / "file" / "cache"))
    with make_resolver(Paying, config=config) as resolver:
        works = list(resolver.resolve_many([f"10.5555/{n}" for n in range(4)]))
    refused = [w for w in works if "daily budget" in (w.sources[0].error or "")]
    assert len(refused) == 2  # two calls counted (in memory), the others refused


def test_a_store_that_fails_mid_run_goes_on_in_memory(tmp_path: Path) -> None:
    """Issue 10.7: a store failing after it opened keeps counters for the run."""
    store = Store(tmp_path / _STORE)
    assert store.increment("n") == 1
    store._connection.close()  # type: ignore[union-attr]  # the file's connection breaks
    assert store.increment("n") == 1  # counted again, in memory
    assert store.increment("n") == 2
    assert store.in_memory
    store.close()


# -- 8. locked is not corrupt -----------------------------------------------------------------


@pytest.mark.parametrize("their_mode", ["DELETE", "WAL"])
def test_a_cache_locked_by_another_process_is_not_set_aside(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    their_mode: str,
) -> None:
    """Issue 10.8: a cache held locked for longer than the wait was renamed aside."""
    import paperfuse._store as store_module

    monkeypatch.setattr(store_module, "LOCK_WAIT", 0.3)
    source = fake_source("table", ["doi"], records=_records(3))
    with make_resolver(source, config=Config(cache_dir=str(tmp_path))) as resolver:
        resolver.resolve("10.5555/1")  # a healthy cache with one answer
    holder = sqlite3.connect(tmp_path / _STORE, isolation_level=None)
    holder.execute(f"PRAGMA journal_mode={their_mode}")  # the other process's own mode
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with make_resolver(source, config=Config(cache_dir=str(tmp_path))) as resolver:
            work = resolver.resolve("10.5555/2")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert work.status == "resolved"
    assert "locked" in caplog.text
    assert "set aside" not in caplog.text
    assert "cannot be read" not in caplog.text
    assert not list(tmp_path.glob("*.unreadable-*"))
    assert _answers_in(tmp_path / _STORE) == 1  # the first answer is still there
    with make_resolver(source, config=Config(cache_dir=str(tmp_path))) as resolver:
        assert resolver.resolve("10.5555/1").sources[0].cached  # and used once the lock is gone


# -- 10. a circuit breaker per source -----------------------------------------------------------


def test_a_source_that_keeps_failing_is_paused_for_the_run() -> None:
    """Issue 10.10: a hung or failing source was asked for every remaining input."""
    down = fake_source(
        "down", ["doi"], batch_size=1, fail_with=SourceUnavailable("HTTP 503", source="down")
    )
    inputs = [f"10.5555/{n}" for n in range(30)]
    with make_resolver(down, config=Config(use_cache=False)) as resolver:
        works = list(resolver.resolve_many(inputs))
        stats = resolver.stats()["down"]
    assert len(down.calls) <= 8  # five failures in a row, and the calls already in flight
    assert len(works) == 30
    assert all(w.status == "error" for w in works)
    paused = [w for w in works if "paused" in (w.sources[0].error or "")]
    assert len(paused) >= 20
    assert "5 failures in a row" in (paused[-1].sources[0].error or "")
    assert stats.paused is not None
    assert "paused" in stats.paused


def test_a_retry_after_beyond_the_cap_pauses_the_source_until_then() -> None:
    """Issue 10.10: a Retry-After of a day still sent a request for every input."""
    limited = fake_source(
        "limited",
        ["doi"],
        batch_size=1,
        fail_with=RateLimited("HTTP 429", source="limited", retry_after=86400.0),
    )
    other = fake_source("other", ["doi"], records=_records(10))
    inputs = [f"10.5555/{n}" for n in range(10)]
    with make_resolver(limited, other, config=Config(use_cache=False)) as resolver:
        works = list(resolver.resolve_many(inputs))
    assert len(limited.calls) <= 4  # the calls in flight when the answer came, no more
    assert all(w.status == "resolved" for w in works)  # the other source still answers
    reports = [next(r for r in w.sources if r.name == "limited") for w in works]
    assert all(r.status == "error" for r in reports)
    assert "paused until" in (reports[-1].error or "")


def test_successes_between_failures_keep_the_source_going() -> None:
    """Only failures in a row pause a source: one success starts the count again."""
    flaky_calls = {"n": 0}

    def answer(identifiers: Sequence[Identifier]) -> dict[Identifier, Any]:
        flaky_calls["n"] += 1
        if flaky_calls["n"] % 4:
            raise SourceUnavailable("HTTP 503", source="flaky")
        return {i: Work(title="T", ids=Ids(doi=i.value)) for i in identifiers}

    flaky = fake_source("flaky", ["doi"], answer=answer, batch_size=1)
    inputs = [f"10.5555/{n}" for n in range(20)]
    with make_resolver(flaky, config=Config(use_cache=False)) as resolver:
        works = list(resolver.resolve_many(inputs))
    assert len(flaky.calls) == 20  # never paused
    assert not any("paused" in (w.sources[0].error or "") for w in works)


# -- 14. failed searches are errors; typos in source names are reported -----------------------


def test_a_title_search_whose_every_source_failed_is_an_error() -> None:
    """Issue 10.14: it was reported ``not_found``, against docs/record.md."""
    search = fake_source(
        "search",
        ["doi"],
        searches_titles=True,
        fail_with=SourceUnavailable("HTTP 503", source="search"),
    )
    with make_resolver(search, config=Config(use_cache=False)) as resolver:
        work = resolver.resolve("A study of resolvers under faults of their sources")
    assert work.status == "error"
    assert "HTTP 503" in (work.error or "")


def test_settings_for_a_source_nobody_installed_are_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 10.14: ``[sources.crossrf]`` passed silently."""
    config_file = tmp_path / "config.toml"
    config_file.write_text('[sources.tabel]\nurl = "http://127.0.0.1:9"\n')
    config = paperfuse.load_config({"PAPERFUSE_CONFIG": str(config_file)})
    source = fake_source("table", ["doi"], records=_records(2))
    with pytest.raises(paperfuse.ConfigError) as raised:
        make_resolver(source, config=config).resolve("10.5555/1")
    message = str(raised.value)
    assert "sources.tabel" in message
    assert "did you mean 'table'" in message


def test_settings_from_the_environment_for_a_source_not_installed_only_warn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An environment shared by several tools may name sources installed elsewhere."""
    config = paperfuse.load_config({"PAPERFUSE_TABEL_URL": "http://127.0.0.1:9"})
    source = fake_source("table", ["doi"], records=_records(2))
    with make_resolver(source, config=config) as resolver:
        assert resolver.resolve("10.5555/1").status == "resolved"
    assert "PAPERFUSE_TABEL_" in caplog.text
    assert "did you mean 'table'" in caplog.text


def test_a_lookup_the_resolver_abandons_never_leaves_a_waiter_behind() -> None:
    """Cancelling a batch mid-call answers every waiter (no "never retrieved" noise)."""
    started = threading.Event()

    class Slow(fake_source("slow", ["doi"], batch_size=1, delay=5.0)):  # type: ignore[misc]
        async def lookup(self, identifiers: Sequence[Identifier]) -> Any:
            started.set()
            return await super().lookup(identifiers)

    async def run() -> None:
        resolver = make_resolver(Slow, config=Config(use_cache=False))
        task = asyncio.create_task(_drain(resolver, ["10.5555/1", "10.5555/2"]))
        while not started.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await resolver.aclose()

    asyncio.run(_bounded(run()))


@pytest.mark.parametrize("affiliation", [5, True, "Somewhere", {"name": "X"}, None])
def test_a_crossref_contributor_with_a_mistyped_affiliation_keeps_its_name(
    affiliation: object,
) -> None:
    """Issue 10.12: a wrong type in one field costs only that field."""
    author = paperfuse.Author.from_crossref(
        {"given": "Ada", "family": "Lovelace", "affiliation": affiliation}
    )
    assert author is not None
    assert (author.given, author.family, author.affiliations) == ("Ada", "Lovelace", ())


_LIBRARY_SCRIPT = """
import sys, time
sys.path.insert(0, sys.argv[1])
import paperfuse
from engine_resolvers import make_resolver
from paperfuse.testing import fake_source

def answer(identifiers):
    with open(sys.argv[2], "a") as log:
        log.write("asked\\n")
    time.sleep(2)  # a long step inside the task, as parsing a large answer is
    return {}

busy = fake_source("busy", ["doi"], answer=answer, batch_size=1)
with make_resolver(busy, config=paperfuse.Config(use_cache=False)) as resolver:
    try:
        for work in resolver.resolve_many(["10.5555/1", "10.5555/2"]):
            print(work.status, flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
"""


def test_ctrl_c_in_a_library_batch_unwinds_cleanly(tmp_path: Path) -> None:
    """Issue 10.18: Ctrl-C left "Task exception was never retrieved ... KeyboardInterrupt"."""
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "batch.py"
    script.write_text(_LIBRARY_SCRIPT)
    log = tmp_path / "asked.log"
    log.touch()
    tests = Path(__file__).parent
    process = subprocess.Popen(
        [sys.executable, str(script), str(tests), str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not log.read_text() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # inside the source's two-second step
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert "interrupted" in stdout
    assert process.returncode == 0, stderr
    assert "never retrieved" not in stderr, stderr
    assert "Traceback" not in stderr, stderr
