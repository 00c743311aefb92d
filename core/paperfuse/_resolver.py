"""The resolver: paperfuse's facade, from input texts to canonical works.

A :class:`Resolver` owns what a run shares: the configuration, the plugins,
the HTTP client, the cache and one runtime per source (``_runtime.py``). It
offers the synchronous and asynchronous API, the statistics and the
lifecycle (closing, one event loop). How one input becomes a work lives in
``_resolution.py``; many inputs resolve concurrently, so that their lookups
are batched together per source. Failures are attributed to their input,
source or plugin and never stop the other inputs.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import weakref
from collections import deque
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from types import TracebackType
from typing import Any

from ._cache import AnswerCache
from ._collector import tuned_for_batches
from ._config import Config, load_config
from ._errors import ConfigError
from ._identifiers import IdentifierScheme, identify
from ._merge import MergePolicy
from ._oa import DefaultOARanking, OARankingPolicy
from ._plugins import PluginHost
from ._records import Identification, OALocation, SourceStats, Work
from ._redact import RedactingFilter, filter_http_logs, unfilter_http_logs
from ._resolution import Resolution
from ._runtime import RuntimeContext, SourceRuntime
from ._store import Store, default_store_path

__all__ = ["Resolver"]

log = logging.getLogger("paperfuse")

#: The settings name of doi.org, which says which agency registered a DOI
#: (``PAPERFUSE_DOI_URL``); it is no source, but is configured like one.
_DOI_ORG = "doi"


class Resolver:
    """Resolves identifiers and titles into canonical :class:`Work` records.

    A resolver owns its configuration, plugin host, HTTP client and sources;
    use it as a context manager (``with`` or ``async with``) so that they are
    closed. The synchronous methods run their own event loop; the ``a``
    methods run in the caller's. One resolver serves one event loop.

    ``config`` defaults to :func:`load_config`; ``host`` to a
    :class:`PluginHost` that loads the installed plugins (``plugins`` adds
    more, ``entry_points=False`` loads none). ``transport`` replaces the HTTP
    transport (tests); ``oa_ranking`` replaces the OA ranking policy.
    """

    def __init__(
        self,
        config: Config | None = None,
        *,
        host: PluginHost | None = None,
        plugins: Mapping[str, object] | None = None,
        entry_points: bool = True,
        transport: Any = None,
        oa_ranking: OARankingPolicy | None = None,
    ) -> None:
        self.config = config if config is not None else load_config()
        default_host = host is None and entry_points and not plugins
        default_host = default_host and not self.config.disabled_plugins
        self.host = host or PluginHost(
            entry_points=entry_points, plugins=plugins, disabled=self.config.disabled_plugins
        )
        # A host made as the default ranking's own is made (the installed plugins, the
        # same switches) has its sources: no second host is loaded for the ranking.
        sources = self.host.sources.values() if default_host else None
        self.merge_policy = MergePolicy(self.config.merge, sources=sources)
        self.oa_ranking = oa_ranking or _configured_ranking(self.config.oa_ranking)
        self._transport = transport
        self.store = Store(default_store_path(self.config.cache_dir))
        self.cache = AnswerCache(
            self.store,
            read=self.config.use_cache and not self.config.refresh,
            write=self.config.use_cache,
            ttl=self.config.cache_ttl,
            ttl_not_found=self.config.cache_ttl_not_found,
        )
        self._http: Any = None
        self._pump: Any = None  # the request pump, made with the resolver's own transport
        self._log_filter: RedactingFilter | None = None
        self._runtimes: dict[str, SourceRuntime] | None = None
        self._agencies: Any = None
        # The batches whose inputs are being read (see _Pipeline).
        self._pipelines: weakref.WeakSet[_Pipeline] = weakref.WeakSet()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._own_loop: asyncio.AbstractEventLoop | None = None

    # -- public API ---------------------------------------------------------------------

    @property
    def schemes(self) -> list[IdentifierScheme]:
        """Every identifier scheme known: paperfuse's and the plugins'."""
        return list(self.host.schemes.values())

    def stats(self) -> dict[str, SourceStats]:
        """Per source, so far: HTTP requests sent, calls made, answers from the cache."""
        return {name: runtime.stats for name, runtime in (self._runtimes or {}).items()}

    def identify(self, text: str) -> Identification:
        """:func:`paperfuse.identify` with the plugins' schemes too."""
        return identify(text, self.schemes)

    async def aresolve(self, text: str) -> Work:
        """Resolve one input into a :class:`Work` (never raises for bad input).

        Its answers are in the cache's file when it returns (a batch's are
        committed together, within a moment: see :meth:`Store.store_answers`).
        """
        try:
            return await self._resolution().resolve(text)
        finally:
            self.store.commit_answers()

    async def aresolve_many(
        self, inputs: Iterable[str] | AsyncIterable[str]
    ) -> AsyncIterator[Work]:
        """Resolve many inputs, yielding one work per input, in input order.

        Inputs are read as results are yielded: at most ``config.window``
        inputs wait to be handed out, and up to one batch of the largest paced
        source (arXiv's 2,000) is read beyond them so that its next request is
        ready when its slot comes; memory does not grow with the batch, and the
        identifiers of all inputs in flight are batched together per source.
        """
        pipeline = self._pipeline(inputs)
        try:
            while True:
                try:
                    work = await pipeline.next()
                except StopAsyncIteration:
                    return
                yield work
        finally:
            pipeline.cancel()
            self.store.commit_answers()

    def resolve(self, text: str) -> Work:
        """Synchronous :meth:`aresolve`."""
        return self._run(self.aresolve(text))

    def resolve_many(self, inputs: Iterable[str]) -> Iterator[Work]:
        """Synchronous :meth:`aresolve_many`: a generator of works in input order.

        Each turn of the event loop hands over every work that is ready (up
        to a window's worth), not one: a cached rerun's records are ready
        together, and running the loop once per record was most of their cost.
        """
        pipeline: _Pipeline | None = None

        async def ready() -> list[Work]:
            nonlocal pipeline
            if pipeline is None:
                pipeline = self._pipeline(inputs)
            works = [await pipeline.next()]
            while len(works) < self.config.window and pipeline.head_done():
                works.append(await pipeline.next())
            return works

        try:
            while True:
                try:
                    # The collector tuned while the loop runs, not while the caller holds
                    # the works: a generator left unclosed leaves nothing changed.
                    with tuned_for_batches():
                        works = self._run(ready())
                except StopAsyncIteration:
                    return
                yield from works
        finally:
            if pipeline is not None:
                pipeline.cancel()
            self.store.commit_answers()

    async def aclose(self) -> None:
        """Close the sources and the HTTP client."""
        if self._runtimes is not None:
            for runtime in self._runtimes.values():
                await runtime.aclose()
            self._runtimes = None
        try:
            if self._pump is not None:
                pump, self._pump = self._pump, None
                await pump.aclose()
        finally:
            if self._http is not None:
                await self._http.aclose()
                self._http = None
            unfilter_http_logs(self._log_filter)
            self._log_filter = None
            self.store.close()

    def close(self) -> None:
        """Synchronous :meth:`aclose`; also closes the resolver's own event loop."""
        from ._interrupt import end_leftover_tasks

        if self._own_loop is not None:
            loop, self._own_loop = self._own_loop, None
            try:
                loop.run_until_complete(self.aclose())
                # Let what was cancelled (an interrupted batch) finish cancelling.
                end_leftover_tasks(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
        elif self._runtimes is not None or self._http is not None or self._pump is not None:
            asyncio.run(self.aclose())
        self.store.close()

    def __enter__(self) -> Resolver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Resolver:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- machinery ---------------------------------------------------------------------

    def _run(self, coro: Any) -> Any:
        """Run ``coro`` on the resolver's own loop; on Ctrl-C, cancel it cleanly first."""
        from ._interrupt import run_in

        if self._own_loop is None:
            self._own_loop = asyncio.new_event_loop()
        return run_in(self._own_loop, coro)

    def _pipeline(self, inputs: Iterable[str] | AsyncIterable[str]) -> _Pipeline:
        pipeline = _Pipeline(self._resolution(), inputs, self.config.window)
        self._pipelines.add(pipeline)
        return pipeline

    def _inputs_coming(self) -> bool:
        """Whether a batch of this resolver is reading inputs (has more, and room for them)."""
        return any(pipeline.reading for pipeline in self._pipelines)

    def _busy_besides(self, runtime: SourceRuntime) -> bool:
        """Whether a source that may reveal identifiers for ``runtime`` is still working on
        works that have none of the schemes it accepts: those sources that have revealed
        one of its schemes in this run, or, until one has, every other source."""
        others = [r for r in (self._runtimes or {}).values() if r is not runtime]
        schemes = runtime.cls.schemes
        revealing = [r for r in others if not r.revealed.isdisjoint(schemes)]
        return any(r.may_reveal(schemes) for r in revealing or others)

    def _http_client(self) -> Any:
        if self._http is None:
            import httpx

            from ._http import user_agent
            from ._transport import LazyTransport

            self._log_filter = filter_http_logs(self.config.secrets)
            limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
            transport = self._transport
            if transport is None:
                from ._pump import RequestPump

                # The TLS context only when an https:// request needs it.
                transport = LazyTransport(limits=limits)
                self._pump = RequestPump(limits, contexts=transport.tls_contexts)
            self._http = httpx.AsyncClient(
                headers={"User-Agent": user_agent(self.config.email)},
                follow_redirects=True,
                transport=transport,
            )
        return self._http

    def _request_pump(self) -> Any:
        """The resolver's request pump, made with its HTTP client; None when the resolver
        was given a transport."""
        self._http_client()
        return self._pump

    def _registration_agencies(self) -> Any:
        """The resolver's registry of DOI registration agencies, made on first use."""
        if self._agencies is None:
            from ._agency import DOI_RA_URL, RegistrationAgencies
            from ._http import Pacer, SourceClient
            from ._store import SourceStore

            settings = self.config.source(_DOI_ORG)
            client = SourceClient(
                name=_DOI_ORG,
                http=self._http_client(),
                pacer=Pacer(
                    0.1 if settings.min_interval is None else settings.min_interval,
                    settings.max_concurrency or 2,
                ),
                secrets=self.config.secrets,
                timeout=settings.timeout or self.config.timeout,
            )
            store = SourceStore(self.store, "doi-ra")
            self._agencies = RegistrationAgencies(client, store, settings.url or DOI_RA_URL)
        return self._agencies

    def _sources(self) -> dict[str, SourceRuntime]:
        loop = asyncio.get_running_loop()
        if self._loop is not None and self._loop is not loop:
            raise RuntimeError("a paperfuse Resolver serves one event loop; make one per loop")
        self._loop = loop
        if self._runtimes is None:
            # Settings kept for a disabled or broken plugin are no typo.
            absent = {name for name, p in self.host.plugins.items() if p.status != "loaded"}
            aliases = {a for cls in self.host.sources.values() for a in cls.settings_aliases}
            known = {*self.host.sources, *aliases, *absent, _DOI_ORG}
            for warning in self.config.check_sources(known):
                log.warning("configuration: %s", warning)
            context = RuntimeContext(
                config=self.config,
                store=self.store,
                cache=self.cache,
                http_client=self._http_client,
                others_busy=self._busy_besides,
                inputs_coming=self._inputs_coming,
                agencies=self._registration_agencies,
                pump=self._request_pump,
            )
            self._runtimes = {
                name: SourceRuntime(context, cls) for name, cls in sorted(self.host.sources.items())
            }
        return self._runtimes

    def _resolution(self) -> Resolution:
        """What resolves each input, with this resolver's plugins and sources."""
        return Resolution(
            config=self.config,
            host=self.host,
            merge_policy=self.merge_policy,
            oa_ranking=self.oa_ranking,
            sources=self._sources(),
        )


def _configured_ranking(spec: str | None) -> OARankingPolicy:
    """The OA ranking policy named in configuration (``module:attribute``)."""
    if not spec:
        return DefaultOARanking()
    module_name, _, attribute = spec.partition(":")
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as e:
        raise ConfigError("oa_ranking", f"cannot load {spec!r}: {e}") from None
    policy = target() if isinstance(target, type) else target
    if not callable(getattr(policy, "rank", None)):
        if callable(policy):
            return _CallableRanking(policy)
        raise ConfigError("oa_ranking", f"{spec!r} has no rank(work, locations) method")
    return policy


class _CallableRanking:
    def __init__(self, function: Any) -> None:
        self.function = function

    def rank(self, work: Work, locations: Sequence[OALocation]) -> tuple[OALocation, ...]:
        return tuple(self.function(work, locations))


#: Inputs read between two turns of the event loop (see :meth:`_Pipeline.next`).
_READ_TURN = 64


class _Pipeline:
    """Inputs resolved concurrently, their works handed out in input order.

    At most ``window`` inputs wait to be handed out. Beyond them, up to the
    largest batch of a paced source (``ahead``: a source with an interval
    between requests that asks many ids at once, such as arXiv's 2,000) are
    read and resolving too, so that such a source's next batch is ready when
    its slot comes, rather than when the window's oldest input is done: with
    arXiv's 3 s per 2,000 ids and Unpaywall's one DOI a request, the DOIs of
    the next arXiv batch then reach Unpaywall before it runs dry. In flight:
    at most ``window + ahead`` inputs (4,000 with the defaults and arXiv), so
    memory stays flat whatever the number of inputs.
    """

    def __init__(
        self, resolution: Resolution, inputs: Iterable[str] | AsyncIterable[str], window: int
    ) -> None:
        self.resolution = resolution
        self.inputs = _aiter(inputs)
        ahead = max(
            (
                runtime.cls.batch_size
                for runtime in resolution.sources.values()
                if runtime.skip_reason is None
                and runtime.cls.batch_size > 1
                and runtime.pacer.min_interval > 0
            ),
            default=0,
        )
        self.limit = window + ahead  # inputs in flight at most
        self.queue: deque[asyncio.Task[Work]] = deque()
        self.exhausted = False

    @property
    def reading(self) -> bool:
        """Whether more inputs are read as soon as the loop turns: some are left, and the
        inputs in flight leave room for them."""
        return not self.exhausted and len(self.queue) < self.limit

    def head_done(self) -> bool:
        """Whether the next work is ready (:meth:`next` would not wait)."""
        return bool(self.queue) and self.queue[0].done()

    async def next(self) -> Work:
        """The next work in input order; StopAsyncIteration after the last.

        While reading, the inputs read so far start resolving every
        :data:`_READ_TURN` inputs: a source that asks one identifier at a time
        (Unpaywall) sends its first request after the first inputs are read,
        not after the whole window is, and a batching source still gathers
        every input read before its batch is cut (it waits for the pending
        identifiers to stop growing).
        """
        queue = self.queue
        limit = self.limit
        read = 0
        while True:
            if queue and (queue[0].done() or len(queue) >= limit or self.exhausted):
                return await queue.popleft()
            if self.exhausted:
                raise StopAsyncIteration
            try:
                text = await self.inputs.__anext__()
            except StopAsyncIteration:
                self.exhausted = True
                continue
            queue.append(asyncio.create_task(self.resolution.resolve(text)))
            read += 1
            if read % _READ_TURN == 0:
                await asyncio.sleep(0)

    def cancel(self) -> None:
        """Cancel the inputs still in flight (the consumer stopped early); read no more."""
        self.exhausted = True
        for task in self.queue:
            task.cancel()
        self.queue.clear()


async def _aiter(inputs: Iterable[str] | AsyncIterable[str]) -> AsyncIterator[str]:
    if isinstance(inputs, AsyncIterable):
        async for text in inputs:
            yield text
    else:
        for text in inputs:
            yield text
