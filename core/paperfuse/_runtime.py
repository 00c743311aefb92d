"""One source inside one resolver: the batcher, the pacing, the cache, the reports.

Every lookup of an identifier goes through its source's runtime: answered
from the in-run memo or the cache when it can be, else queued and sent in a
batch with the other pending inputs' identifiers as soon as the source's
politeness allows. Whatever the source does (answers, raises, hangs, returns
garbage) becomes an :class:`Outcome` attributed to it, and every waiter is
answered whatever happens while a call finishes. Each call's answers are
committed to the cache as the call completes.

A source that fails ``max_failures`` calls in a row (default 5), or whose
service asks to be left alone for longer than paperfuse waits (a Retry-After
beyond the cap), is paused: for the rest of the run, or until the time given.
Its remaining inputs get one clear error instead of a request each.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from ._deadline import within
from ._errors import SourceError, SourceGone, SourceUnavailable
from ._records import Budget, Identifier, Query, SourceStats, Work
from ._redact import redact
from ._source import Politeness, Source, SourceContext
from ._store import SourceStore
from ._waiting import Lookups

if TYPE_CHECKING:
    from ._agency import RegistrationAgencies
    from ._cache import AnswerCache
    from ._config import Config
    from ._pump import RequestPump
    from ._store import Store

__all__ = ["Outcome", "RuntimeContext", "SourceRuntime"]

log = logging.getLogger("paperfuse")

#: How often a lingering batch looks again whether other sources are done (seconds).
_LINGER_STEP = 0.01
#: Turns of the event loop in which the answers another source just delivered reach
#: the sources they reveal identifiers to (a waiting resolution wakes in the next turn
#: and asks them in it); a lingering batch lets this many pass before it gives up.
_REVEAL_TURNS = 4
#: Calls in a row that may fail before a source is paused for the run.
MAX_FAILURES = 5


class Outcome(NamedTuple):
    """What one source said for one identifier or query, and what it cost."""

    status: Literal["ok", "not_found", "error", "gone"]
    payload: Any  # the work (or works) when ok, the error message otherwise
    requests: int  # HTTP requests of the call that answered
    cached: bool = False  # answered from the cache, no request at all


class HandOvers:
    """How many batches' answers are still being handed to their waiters (see
    :func:`_hand_over`), over every source of a resolver: until none is, the
    waiters still to wake may ask a batching source for more identifiers."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


@dataclass(frozen=True)
class RuntimeContext:
    """What a source's runtime needs of the resolver that runs it, and nothing more.

    The HTTP client and the registry of DOI registration agencies are made on
    first use and shared by every source of the resolver. ``others_busy`` says
    whether a source other than the one asking is still working, so that a
    lingering batch knows when waiting can bring no more identifiers;
    ``inputs_coming`` whether a batch of the resolver has inputs still to read.
    """

    config: Config
    store: Store
    cache: AnswerCache
    http_client: Callable[[], Any]  # the shared httpx.AsyncClient
    others_busy: Callable[[SourceRuntime], bool]
    inputs_coming: Callable[[], bool]
    agencies: Callable[[], RegistrationAgencies]
    handovers: HandOvers = field(default_factory=HandOvers)
    #: The resolver's request pump (see :mod:`paperfuse._pump`), None when its requests
    #: go through a transport it was given.
    pump: Callable[[], RequestPump | None] = lambda: None


class SourceRuntime:
    """One source inside one resolver: its instance, pacer and lookup batcher."""

    def __init__(self, context: RuntimeContext, cls: type[Source]) -> None:
        from ._http import CALLS_AHEAD, DailyBudget, Pacer, SourceClient

        config = context.config
        self.name = cls.name
        self.cls = cls
        settings = config.source(cls.name, cls.settings_aliases)
        documented = _documented_politeness(cls, config, settings)
        politeness = Politeness(
            min_interval=_pick(settings.min_interval, documented.min_interval),
            max_concurrency=_pick(settings.max_concurrency, documented.max_concurrency),
            daily_budget=_pick(settings.daily_budget, documented.daily_budget),
            max_linger=_pick(settings.max_linger, documented.max_linger),
        )
        self.max_linger = politeness.max_linger
        self._others_busy = context.others_busy
        self._inputs_coming = context.inputs_coming
        self._handovers = context.handovers
        self._lingering = False
        self._searching = 0
        #: Schemes of the identifiers this source's answers have revealed in this run: a
        #: lingering batch of a source accepting one of them waits for this one.
        self.revealed: set[str] = set()
        # A source paced by concurrency alone has its requests sent by the pump; when they
        # all go through its client, calls prepare theirs ahead of the free request slots.
        pump = context.pump() if politeness.min_interval == 0 else None
        concurrency = politeness.max_concurrency
        ahead = pump is not None and cls.paced_by_requests
        calls = concurrency * CALLS_AHEAD if ahead else concurrency
        self.pacer = Pacer(politeness.min_interval, concurrency, max_calls=calls)
        budget = politeness.daily_budget
        self.client = SourceClient(
            name=cls.name,
            http=context.http_client(),
            pacer=self.pacer,
            secrets=config.secrets,
            timeout=settings.timeout or config.timeout,
            budget=DailyBudget(context.store, cls.name, budget) if budget else None,
            pump=pump,
        )
        self.client.halted = self._halted
        self.call_timeout = settings.call_timeout or config.call_timeout
        self.secrets = config.secrets
        # A source answering from a local index (a snapshot) is not cached again.
        self.cache = context.cache if cls.caches_answers else _no_cache(context.store)
        # Recent answers, so that an identifier repeated in a batch is asked once
        # when the cache cannot answer it; as many as inputs in flight, so that
        # memory stays flat.
        self.memo_size = config.window
        self.calls = 0
        self.cache_hits = 0
        self.skip_reason: str | None = None
        self.gone: str | None = None
        self.max_failures = settings.max_failures or MAX_FAILURES
        self.paused: str | None = None
        self._paused_until: float | None = None  # wall-clock time; None: for the run
        self._failures = 0  # calls failed in a row
        self.instance: Source | None = None
        self._lookups = Lookups()
        self._memo: OrderedDict[tuple[Any, ...], Outcome] = OrderedDict()
        self._worker: asyncio.Task[None] | None = None
        self._calls: set[asyncio.Task[None]] = set()
        if not settings.enabled:
            self.skip_reason = "disabled by configuration"
            return
        source_context = SourceContext(
            name=cls.name,
            config=config,
            settings=settings,
            base_url=settings.url or cls.base_url,
            politeness=politeness,
            client=self.client,
            store=SourceStore(context.store, cls.name),
            agencies=context.agencies(),
        )
        try:
            self.instance = cls(source_context)
            self.skip_reason = self.instance.unavailable_reason()
        except Exception as e:  # a broken plugin is reported, never raised
            self.skip_reason = f"plugin error: source could not be created: {self._describe(e)}"
            self.instance = None

    def _describe(self, error: BaseException) -> str:
        text = str(error) or type(error).__name__
        if not isinstance(error, SourceError):
            text = f"{type(error).__name__}: {text}"
        return redact(text, self.secrets)

    # -- lookups, batched across every pending input --------------------------------

    def _halted(self) -> BaseException | None:
        """The error for a request the pump has not started yet when the source was found
        gone or paused meanwhile. Read from the pump's thread: it changes nothing."""
        if (gone := self.gone) is not None:
            return SourceGone(gone, source=self.name)
        paused, until = self.paused, self._paused_until
        if paused is not None and (until is None or time.time() < until):
            return SourceUnavailable(paused, source=self.name)
        return None

    def _stopped(self) -> Outcome | None:
        """The answer to every request while the source is gone or paused, else None."""
        if self.gone is not None:
            return Outcome("gone", self.gone, 0)
        if self.paused is not None:
            if self._paused_until is not None and time.time() >= self._paused_until:
                self.paused = self._paused_until = None  # the time given has come
                self._failures = 0
                return None
            return Outcome("error", self.paused, 0)
        return None

    async def lookup(
        self,
        identifier: Identifier,
        *,
        given: bool = False,
        lacking: frozenset[str] = frozenset(),
    ) -> Outcome:
        """The source's answer for one identifier, batched with everyone else's.

        ``given``: the identifier is an input's own; ``lacking``: the schemes of
        lingering sources that its work has no identifier of yet (see
        :mod:`paperfuse._waiting`).
        """
        stopped = self._stopped()
        if stopped is not None:
            return stopped
        key = identifier.key
        if key in self._memo:
            self._memo.move_to_end(key)
            return self._memo[key]
        cached = self.cache.get(self.name, str(identifier))
        if cached is not None:
            self.cache_hits += 1
            outcome = Outcome(cached[0], cached[1], 0, cached=True)  # type: ignore[arg-type]
            self._remember(key, outcome)
            return outcome
        future = self._lookups.future(key)
        if future is not None:
            self._lookups.join(key, given=given, lacking=lacking)
        else:
            future = asyncio.get_running_loop().create_future()
            self._lookups.add(identifier, future, given=given, lacking=lacking)
            if self._worker is None or self._worker.done():
                self._worker = asyncio.create_task(self._work())
        return await asyncio.shield(future)

    async def _settle(self) -> None:
        """Let every runnable task add its identifiers before a batch is cut."""
        stable = 0
        while stable < 2:
            size = len(self._lookups)
            await asyncio.sleep(0)
            handing = self._handovers.count > 0
            stable = stable + 1 if len(self._lookups) == size and not handing else 0

    def may_reveal(self, schemes: Collection[str]) -> bool:
        """Whether this source may yet reveal an identifier of ``schemes``: it searches, or
        asks for works that have none (or will, unless its own batch lingers)."""
        return bool(self._searching) or self._lookups.lacking(schemes, waiting=not self._lingering)

    async def _linger(self) -> None:
        """Wait, up to ``max_linger``, for a fuller batch while inputs are still being read
        or, for identifiers other sources revealed, while those sources may reveal more.

        Once no more inputs come, a batch holding an input's own identifier leaves:
        what its answers reveal (an arXiv record's DOI) is what the other sources
        ask next, and identifiers revealed meanwhile go in a later batch.
        """
        deadline = time.monotonic() + self.max_linger
        self._lingering = True
        try:
            while len(self._lookups) < self.cls.batch_size and time.monotonic() < deadline:
                if self._inputs_coming():
                    await asyncio.sleep(_LINGER_STEP)
                    continue
                if self._lookups.holds_given:
                    break
                if not self._others_busy(self):
                    # Answers the others just delivered may still be on their way
                    # here: look once more, some turns and a moment later, before
                    # giving up.
                    waiting = len(self._lookups)
                    for _ in range(_REVEAL_TURNS):
                        await asyncio.sleep(0)
                    await asyncio.sleep(_LINGER_STEP)
                    if not self._others_busy(self) and len(self._lookups) == waiting:
                        break
                await asyncio.sleep(_LINGER_STEP)
        finally:
            self._lingering = False

    async def _work(self) -> None:
        """Cut batches while identifiers wait, as fast as politeness allows."""
        while self._lookups:
            if self.cls.batch_size > 1:
                await self._settle()
            if (stopped := self._stopped()) is not None:
                self._answer_pending(stopped)
                break
            # Gone or paused by the call that held the place: no slot, no interval waited.
            call = await self.pacer.acquire_unless(lambda: self._stopped() is not None)
            if call is None:
                continue
            if self.max_linger:
                await self._linger()
            # Gone or paused while these waited: answer them without asking.
            if (stopped := self._stopped()) is not None or not self._lookups:
                self.pacer.release(call)
                if stopped is not None:
                    self._answer_pending(stopped)
                continue
            batch = self._lookups.take(self.cls.batch_size)
            task = asyncio.create_task(self._call(call, batch))
            self._calls.add(task)
            task.add_done_callback(self._calls.discard)

    def _answer_pending(self, outcome: Outcome) -> None:
        for future in self._lookups.drain():
            if not future.done():
                future.set_result(outcome)

    async def _invoke(self, call: Any, work: Awaitable[Any]) -> Any:
        """Await a call into the source as ``call`` (its slot), within the call timeout."""
        with self.pacer.entered(call):
            # The call starts now: the next slot is an interval later; a source that sends
            # every request through its client gets the slot back if it sent none.
            call.refundable = self.cls.paced_by_requests
            self.pacer.begin(call)
            return await within(work, self.call_timeout)

    async def _call(self, call: Any, batch: list[Identifier]) -> None:
        outcomes: dict[tuple[Any, ...], Outcome] = {}
        try:
            try:
                result = await self._invoke(call, self.instance.lookup(batch))  # type: ignore[union-attr]
                outcomes = self._read_lookup(batch, result, call.requests)
                self._count_answers(result, outcomes)
            except Exception as e:  # attributed to the source, never raised
                outcome = self._failure(e, call.requests)
                outcomes = {i.key: outcome for i in batch}
                self._count_failure(e, outcome)
            finally:
                self.pacer.release(call)
                self.calls += 1
            self._store(batch, outcomes)
        finally:  # whatever happened above, every waiter gets its answer
            cancelled = Outcome("error", "lookup was cancelled", 0)
            answers: list[tuple[asyncio.Future[Outcome], Outcome]] = []
            for identifier in batch:
                future = self._lookups.answered(identifier.key)
                outcome = outcomes.get(identifier.key, cancelled)
                self._remember(identifier.key, outcome)
                if future is not None:
                    answers.append((future, outcome))
            _hand_over(answers, 0, self._handovers)

    def _store(self, batch: list[Identifier], outcomes: dict[tuple[Any, ...], Outcome]) -> None:
        """Commit a call's answers to the cache; one that cannot be stored becomes an error."""
        answers = [(str(i), o.status, o.payload) for i in batch if (o := outcomes.get(i.key))]
        try:
            unstorable = self.cache.put(self.name, answers)
        except Exception as e:  # the answers are still good: deliver them, say so
            log.warning(
                "answers of source %s could not be cached: %s", self.name, self._describe(e)
            )
            return
        for identifier in batch:
            reason = unstorable.get(str(identifier))
            if reason is not None:
                requests = outcomes[identifier.key].requests
                outcomes[identifier.key] = Outcome("error", self._unstorable(reason), requests)

    def _unstorable(self, reason: str) -> str:
        return f"bad response: the answer could not be stored ({redact(reason, self.secrets)})"

    def _read_lookup(
        self, batch: list[Identifier], result: Any, requests: int
    ) -> dict[tuple[Any, ...], Outcome]:
        if not isinstance(result, Mapping):
            message = f"plugin error: lookup returned {type(result).__name__}, not a mapping"
            return {i.key: Outcome("error", message, requests) for i in batch}
        by_key = {k.key: v for k, v in result.items() if isinstance(k, Identifier)}
        outcomes: dict[tuple[Any, ...], Outcome] = {}
        for identifier in batch:
            value = by_key.get(identifier.key)
            if value is None:
                outcomes[identifier.key] = Outcome("not_found", None, requests)
            elif isinstance(value, Work):
                outcomes[identifier.key] = Outcome("ok", value, requests)
            elif isinstance(value, SourceError):
                outcomes[identifier.key] = self._failure(value, requests)
            else:
                message = f"plugin error: lookup gave {type(value).__name__} for {identifier}"
                outcomes[identifier.key] = Outcome("error", message, requests)
        return outcomes

    def _failure(self, error: BaseException, requests: int) -> Outcome:
        if isinstance(error, SourceGone):
            message = self._describe(error)
            if self.gone is None:
                self.gone = message
                log.warning("source %s is gone and will not be asked again: %s", self.name, message)
            return Outcome("gone", message, requests)
        if isinstance(error, asyncio.TimeoutError):
            return Outcome("error", f"timed out after {self.call_timeout:g} s", requests)
        if isinstance(error, SourceError):
            where = f" ({redact(error.request, self.secrets)})" if error.request else ""
            return Outcome("error", f"{self._describe(error)}{where}", requests)
        return Outcome("error", f"plugin error: {self._describe(error)}", requests)

    def _count_answers(self, result: Any, outcomes: dict[tuple[Any, ...], Outcome]) -> None:
        """Count a call that returned: one that answered anything starts the count again;
        one whose every answer failed (a source reporting errors per identifier) failed."""
        if not outcomes or any(o.status != "error" for o in outcomes.values()):
            self._failures = 0
            return
        values = result.values() if isinstance(result, Mapping) else ()
        errors = [v for v in values if isinstance(v, SourceError)]
        self._count_failure(errors[-1] if errors else None, next(iter(outcomes.values())))

    def _count_failure(self, error: BaseException | None, outcome: Outcome) -> None:
        """Count a failed call; pause the source after too many in a row, or when asked to."""
        if outcome.status != "error" or self.paused is not None:
            return
        self._failures += 1
        wait = getattr(error, "retry_after", None)
        if isinstance(wait, (int, float)) and wait > 0:
            self._paused_until = time.time() + wait
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self._paused_until))
            self.paused = (
                f"paused until {when}: the service asked to wait {wait:,.0f} s ({outcome.payload})"
            )
        elif self._failures >= self.max_failures:
            self.paused = (
                f"paused for the rest of this run after {self._failures} failures in a row;"
                f" the last: {outcome.payload}"
            )
        else:
            return
        log.warning("source %s is %s", self.name, self.paused)
        self._answer_pending(Outcome("error", self.paused, 0))

    def _remember(self, key: tuple[Any, ...], outcome: Outcome) -> None:
        if outcome.status == "error" or not self.memo_size or self.cache.reading:
            return  # a failure may pass (the next input asks again); the cache remembers
        self._memo[key] = outcome
        if len(self._memo) > self.memo_size:
            self._memo.popitem(last=False)

    # -- title and citation search ---------------------------------------------------

    async def search(self, query: Query) -> Outcome:
        """Candidates for ``query``: an ``ok`` outcome with the works, or a failure."""
        stopped = self._stopped()
        if stopped is not None:
            return stopped
        key = f"search:{query.kind}:{' '.join(query.text.casefold().split())}"
        cached = self.cache.get(self.name, key, many=True)
        if cached is not None:
            self.cache_hits += 1
            return Outcome("ok", cached[1] or [], 0, cached=True)
        outcome = await self._ask(query)
        if outcome.status != "ok":
            return outcome
        try:
            status = "ok" if outcome.payload else "not_found"
            unstorable = self.cache.put(self.name, [(key, status, outcome.payload)])
        except Exception as e:  # the candidates are still good
            log.warning(
                "answers of source %s could not be cached: %s", self.name, self._describe(e)
            )
            return outcome
        if unstorable:
            return Outcome("error", self._unstorable(unstorable[key]), outcome.requests)
        return outcome

    async def _ask(self, query: Query) -> Outcome:
        self._searching += 1
        call = await self.pacer.acquire()
        try:
            works = await self._invoke(call, self.instance.search(query))  # type: ignore[union-attr]
            found = [w for w in works or () if isinstance(w, Work)]
            self._failures = 0
            return Outcome("ok", found, call.requests)
        except Exception as e:  # attributed to the source, never raised
            outcome = self._failure(e, call.requests)
            self._count_failure(e, outcome)
            return outcome
        finally:
            self.pacer.release(call)
            self.calls += 1
            self._searching -= 1

    @property
    def stats(self) -> SourceStats:
        """What this source cost so far, and what is left of its daily budget."""
        budget = self._budget()
        return SourceStats(
            requests=self.client.requests,
            calls=self.calls,
            cache_hits=self.cache_hits,
            paused=self.paused,
            gone=self.gone,
            daily_budget=budget.limit if budget else None,
            budget_left=budget.left if budget else None,
            budget_unit=budget.unit if budget else None,
        )

    def _budget(self) -> Budget | None:
        """The calls left of the daily budget paperfuse counts, else the source's own count."""
        if self.client.budget is not None:
            return Budget(limit=self.client.budget.limit, left=self.client.budget.left())
        if self.instance is None:
            return None
        try:
            return self.instance.budget()
        except Exception as e:  # a plugin's bug must not break a health check
            log.warning("source %s failed to say its budget: %s", self.name, self._describe(e))
            return None

    async def aclose(self) -> None:
        for task in list(self._calls) + ([self._worker] if self._worker else []):
            task.cancel()
        if self.client.budget is not None:
            self.client.budget.release()
        if self.instance is not None:
            try:
                await self.instance.aclose()
            except Exception as e:  # closing must not stop the others closing
                log.warning("source %s failed to close: %s", self.name, self._describe(e))


#: Waiters a large batch's answers wake in one turn of the event loop.
_HANDED_A_TURN = 16


def _hand_over(
    answers: list[tuple[asyncio.Future[Outcome], Outcome]],
    start: int,
    handovers: HandOvers | None = None,
) -> None:
    """Give the waiters from ``start`` their answers, :data:`_HANDED_A_TURN` a turn.

    Every waiter woken in one turn runs before the event loop next reads its
    sockets: with 2,000 of arXiv's answers at once, the other sources' answers
    and next requests waited for all of their resolutions (a second and
    more). The rest of the batch follows turn by turn, by callbacks rather
    than awaits, which no cancellation can stop: every waiter is answered.
    ``handovers`` counts the batches still being handed over, so that a
    batching source waits for the identifiers their waiters may yet ask.
    """
    end = start + _HANDED_A_TURN
    for future, outcome in answers[start:end]:
        if not future.done():
            future.set_result(outcome)
    going_on = end < len(answers)
    if handovers is not None and going_on != (start > 0):  # a first turn of many, or a last
        handovers.count += 1 if going_on else -1
    if not going_on:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # no loop runs any more: answer the rest now
        for future, outcome in answers[end:]:
            if not future.done():
                future.set_result(outcome)
        if handovers is not None:
            handovers.count -= 1
        return
    loop.call_soon(_hand_over, answers, end, handovers)


def _documented_politeness(cls: type[Source], config: Any, settings: Any) -> Politeness:
    """``cls.politeness_for(...)``, or its class figures when the plugin's method fails."""
    try:
        documented = cls.politeness_for(config, settings)
    except Exception as e:  # a broken plugin is reported, never raised
        log.warning("source %s: politeness_for failed (%s); its declared figures hold", cls.name, e)
        return cls.politeness
    return documented if isinstance(documented, Politeness) else cls.politeness


def _pick(value: Any, default: Any) -> Any:
    return default if value is None else value


def _no_cache(store: Store) -> AnswerCache:
    """An answer cache that neither reads nor writes (see :attr:`Source.caches_answers`)."""
    from ._cache import AnswerCache

    return AnswerCache(store, read=False, write=False)
