"""The resolver: from input texts to canonical works.

For every input: identify it, ask the sources that accept its identifiers
(batched across all pending inputs, each source inside its own politeness),
feed the identifiers they reveal to the sources that have not seen them (up
to ``max_rounds`` deep), match title queries against searching sources'
candidates, merge the partial records with provenance and rank the OA
locations. Failures are attributed to their input, source or plugin and never
stop the other inputs.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
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

import msgspec

from ._cache import AnswerCache
from ._config import Config, load_config
from ._errors import ConfigError
from ._identifiers import IdentifierScheme, identify
from ._match import choose
from ._merge import MergePolicy, merge
from ._oa import DefaultOARanking, OARankingPolicy, rank_oa
from ._plugins import PluginHost
from ._records import (
    SAME_WORK_RELATIONS,
    FieldProvenance,
    Identification,
    Identifier,
    OALocation,
    OtherValue,
    Query,
    SourceReport,
    SourceStats,
    Work,
)
from ._redact import RedactingFilter, filter_http_logs, redact, unfilter_http_logs
from ._runtime import Outcome, RuntimeContext, SourceRuntime
from ._store import Store, default_store_path

__all__ = ["Resolver"]

log = logging.getLogger("paperfuse")

#: The settings name of doi.org, which says which agency registered a DOI
#: (``PAPERFUSE_DOI_URL``); it is no source, but is configured like one.
_DOI_ORG = "doi"
#: Identifier schemes that OA location URLs may reveal.
_REVEALED_BY_URL = frozenset({"doi", "arxiv", "pmid", "pmcid"})
#: Hosts whose URLs name an identifier, with the scheme they name (mostly).
_REVEALING_HOSTS = {
    "arxiv.org": "arxiv",
    "ncbi.nlm.nih.gov": "pmcid",
    "europepmc.org": "pmcid",
    "doi.org": "doi",
}


class _Item:
    """The state of one input while it is being resolved."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.known: dict[tuple[Any, ...], tuple[Identifier, int]] = {}
        # Identifiers of other versions of the work (a preprint's published DOI):
        # asked even of a source that has answered for this work already.
        self.versions: set[tuple[Any, ...]] = set()
        self.asked: dict[str, set[tuple[Any, ...]]] = {}
        self.found_by: set[str] = set()
        self.partials: list[tuple[str, Work]] = []
        self.outcomes: dict[str, list[Outcome]] = {}
        self.status: str | None = None
        self.error: str | None = None
        self.candidates: tuple[Any, ...] = ()

    def learn(self, identifier: Identifier, depth: int) -> None:
        self.known.setdefault(identifier.key, (identifier, depth))


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
        self.host = host or PluginHost(
            entry_points=entry_points, plugins=plugins, disabled=self.config.disabled_plugins
        )
        self.merge_policy = MergePolicy(self.config.merge)
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
        self._log_filter: RedactingFilter | None = None
        self._runtimes: dict[str, SourceRuntime] | None = None
        self._agencies: Any = None
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
        """Resolve one input into a :class:`Work` (never raises for bad input)."""
        return await self._resolve_text(text, self._sources())

    async def aresolve_many(
        self, inputs: Iterable[str] | AsyncIterable[str]
    ) -> AsyncIterator[Work]:
        """Resolve many inputs, yielding one work per input, in input order.

        Inputs are read as results are yielded: at most ``config.window``
        inputs are in flight, so memory does not grow with the batch, and
        the identifiers of all of them are batched together per source.
        """
        sources = self._sources()
        queue: deque[asyncio.Task[Work]] = deque()
        try:
            async for text in _aiter(inputs):
                queue.append(asyncio.create_task(self._resolve_text(text, sources)))
                while queue and (queue[0].done() or len(queue) >= self.config.window):
                    yield await queue.popleft()
            while queue:
                yield await queue.popleft()
        finally:
            for task in queue:
                task.cancel()

    def resolve(self, text: str) -> Work:
        """Synchronous :meth:`aresolve`."""
        return self._run(self.aresolve(text))

    def resolve_many(self, inputs: Iterable[str]) -> Iterator[Work]:
        """Synchronous :meth:`aresolve_many`: a generator of works in input order."""
        agen = self.aresolve_many(inputs)
        try:
            while True:
                try:
                    yield self._run(agen.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            self._run(agen.aclose())

    async def aclose(self) -> None:
        """Close the sources and the HTTP client."""
        if self._runtimes is not None:
            for runtime in self._runtimes.values():
                await runtime.aclose()
            self._runtimes = None
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
        elif self._runtimes is not None or self._http is not None:
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

    def _busy_besides(self, runtime: SourceRuntime) -> bool:
        """Whether a source other than ``runtime`` is still working."""
        return any(r.busy for r in (self._runtimes or {}).values() if r is not runtime)

    def _http_client(self) -> Any:
        if self._http is None:
            import httpx

            from ._http import user_agent

            self._log_filter = filter_http_logs(self.config.secrets)
            self._http = httpx.AsyncClient(
                headers={"User-Agent": user_agent(self.config.email)},
                follow_redirects=True,
                transport=self._transport,
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            )
        return self._http

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
                agencies=self._registration_agencies,
            )
            self._runtimes = {
                name: SourceRuntime(context, cls) for name, cls in sorted(self.host.sources.items())
            }
        return self._runtimes

    async def _resolve_text(self, text: str, sources: dict[str, SourceRuntime]) -> Work:
        try:
            return await self._resolve_identification(self.identify(text), sources)
        except Exception as e:  # one input's failure never ends a batch
            log.exception("internal error while resolving %r", text[:100])
            message = redact(f"internal error: {type(e).__name__}: {e}", self.config.secrets)
            return Work(input=text, status="error", error=message)

    async def _resolve_identification(
        self, found: Identification, sources: dict[str, SourceRuntime]
    ) -> Work:
        item = _Item(found.text)
        if found.kind == "invalid":
            reports = tuple(
                SourceReport(name=n, status="skipped", error="the input is not usable")
                for n in sources
            )
            return Work(input=found.text, status="invalid", error=found.reason, sources=reports)
        for identifier in found.identifiers:
            item.learn(identifier, 0)
        if found.query is not None:
            await self._search(item, found.query, sources)
        if item.status is None:
            await self._expand(item, sources)
        return self._finish(item, found, sources)

    async def _search(self, item: _Item, query: Query, sources: dict[str, SourceRuntime]) -> None:
        searchers = [
            r
            for r in sources.values()
            if r.cls.searches_titles and r.instance is not None and r.skip_reason is None
        ]
        if not searchers:
            item.status = "not_found"
            item.error = "no installed source can search titles"
            return
        answers = await asyncio.gather(*(r.search(query) for r in searchers))
        pairs: list[tuple[str, Work]] = []
        for runtime, outcome in zip(searchers, answers, strict=True):
            item.asked.setdefault(runtime.name, set())
            if outcome.status == "ok":
                pairs.extend((runtime.name, w) for w in outcome.payload)
                found = "ok" if outcome.payload else "not_found"
                outcome = outcome._replace(status=found, payload=None)
            item.outcomes.setdefault(runtime.name, []).append(outcome)
        if all(outcome.status in ("error", "gone") for outcome in answers):
            failures = "; ".join(
                f"{r.name}: {o.payload}" for r, o in zip(searchers, answers, strict=True)
            )
            item.status = "error"
            item.error = f"every source that searches titles failed; {failures}"
            return
        match = choose(query, pairs)
        item.candidates = match.candidates
        if not match.accepted:
            item.status = "ambiguous" if match.candidates else "not_found"
            item.error = match.reason
            return
        for name, work in match.accepted:
            work = self._with_normalized_ids(work)
            item.found_by.add(name)
            item.partials.append((name, work))
            self._learn_revealed(item, work, 1)

    async def _expand(self, item: _Item, sources: dict[str, SourceRuntime]) -> None:
        """Ask sources for the item's identifiers, following what they reveal."""
        tasks: dict[asyncio.Task[Outcome], tuple[str, int]] = {}
        busy: set[str] = set()

        def dispatch() -> None:
            for name, runtime in sources.items():
                if name in busy or runtime.skip_reason is not None:
                    continue
                versions_only = name in item.found_by or (
                    runtime.cls.ids_are_equivalent
                    and any(o.status == "not_found" for o in item.outcomes.get(name, ()))
                )
                chosen = self._next_identifier(item, runtime, versions_only=versions_only)
                if chosen is None:
                    continue
                identifier, depth = chosen
                item.asked.setdefault(name, set()).add(identifier.key)
                busy.add(name)
                tasks[asyncio.create_task(runtime.lookup(identifier))] = (name, depth)

        dispatch()
        while tasks:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                name, depth = tasks.pop(task)
                busy.discard(name)
                outcome = task.result()
                if outcome.status == "ok":
                    work = self._with_normalized_ids(outcome.payload)
                    item.found_by.add(name)
                    item.partials.append((name, work))
                    self._learn_revealed(item, work, depth + 1)
                    outcome = outcome._replace(payload=None)
                item.outcomes.setdefault(name, []).append(outcome)
            dispatch()

    def _learn_revealed(self, item: _Item, work: Work, depth: int) -> None:
        """Note what a partial work reveals: its identifiers, and its other versions'."""
        for identifier in self._revealed(work):
            item.learn(identifier, depth)
        for relation in work.relations:
            if relation.type in SAME_WORK_RELATIONS and relation.value:
                value = self._normalize(relation.scheme, relation.value)
                identifier = Identifier(scheme=relation.scheme, value=value)
                if identifier.key not in item.known:
                    item.versions.add(identifier.key)
                item.learn(identifier, depth)

    def _next_identifier(
        self, item: _Item, runtime: SourceRuntime, *, versions_only: bool = False
    ) -> tuple[Identifier, int] | None:
        """The source's most preferred identifier of the item not yet asked.

        ``versions_only``: among the identifiers of other versions of the work
        only (for a source that has answered for the work already).
        """
        asked = item.asked.get(runtime.name, set())
        for scheme in runtime.cls.schemes:
            options = [
                (identifier, depth)
                for key, (identifier, depth) in item.known.items()
                if identifier.scheme == scheme
                and key not in asked
                and depth < self.config.max_rounds
                and (not versions_only or key in item.versions)
            ]
            if options:
                return max(options, key=lambda option: option[0].confidence)
        return None

    def _revealed(self, work: Work) -> list[Identifier]:
        """Identifiers a partial work reveals: its ids and its OA locations' URLs.

        ``work`` comes from :meth:`_with_normalized_ids`: its main ids are in
        normal form already.
        """
        found: list[Identifier] = []
        ids = work.ids
        for scheme in ("doi", "arxiv", "pmid", "pmcid"):
            value = getattr(ids, scheme)
            if value:
                version = ids.arxiv_version if scheme == "arxiv" else None
                found.append(Identifier(scheme=scheme, value=value, version=version))
        for scheme, value in ids.other.items():
            found.append(Identifier(scheme=scheme, value=self._normalize(scheme, value)))
        # Only URLs of hosts that name an identifier the work does not have yet
        # are read: parsing every location's URLs was most of a large batch's CPU.
        wanted = [h for h, scheme in _REVEALING_HOSTS.items() if not getattr(ids, scheme)]
        urls = {
            url
            for location in work.oa_locations
            for url in (location.url, location.url_for_pdf, location.url_for_landing_page)
            if url and any(host in url for host in wanted)
        }
        for url in urls:
            found.extend(i for i in identify(url).identifiers if i.scheme in _REVEALED_BY_URL)
        return found

    def _normalize(self, scheme: str, value: str) -> str:
        """``value`` in its scheme's normal form; as given when it cannot be normalised."""
        known = self.host.schemes.get(scheme)
        if known is None:
            return value
        try:
            return known.normalize(value)
        except Exception:  # a source's odd value is kept, not fatal
            return value

    def _with_normalized_ids(self, work: Work) -> Work:
        """A source's partial work with its identifiers in normal form, so they compare."""
        ids = work.ids
        changes = {
            scheme: self._normalize(scheme, getattr(ids, scheme))
            for scheme in ("doi", "arxiv", "pmid", "pmcid")
            if getattr(ids, scheme)
        }
        changes = {k: v for k, v in changes.items() if v != getattr(ids, k)}
        if not changes:
            return work
        return msgspec.structs.replace(work, ids=msgspec.structs.replace(ids, **changes))

    def _finish(
        self, item: _Item, found: Identification, sources: dict[str, SourceRuntime]
    ) -> Work:
        reports = tuple(self._report(item, runtime, found) for runtime in sources.values())
        if not item.partials:
            status = item.status or "not_found"
            error = item.error
            if error is None:
                failures = [r for r in reports if r.status in ("error", "gone")]
                if failures and not any(r.status == "not_found" for r in reports):
                    status = "error"
                error = _not_found_reason(found, reports)
            return Work(
                input=item.text,
                status=status,  # type: ignore[arg-type]
                error=error,
                sources=reports,
                candidates=item.candidates,
            )
        work = merge(item.partials, self.merge_policy)
        work = self._add_input_ids(work, item)
        work = self._rank_oa(work, item.partials)
        return msgspec.structs.replace(
            work,
            input=item.text,
            status="resolved",
            sources=reports,
            candidates=item.candidates,
        )

    def _add_input_ids(self, work: Work, item: _Item) -> Work:
        """Keep the input's own certain identifiers when no source echoed them."""
        changes: dict[str, Any] = {}
        for identifier, depth in item.known.values():
            if depth or identifier.confidence < 1.0:
                continue
            if identifier.scheme in ("doi", "arxiv", "pmid", "pmcid"):
                if getattr(work.ids, identifier.scheme) is None:
                    changes[identifier.scheme] = identifier.value
                    if identifier.scheme == "arxiv":
                        changes["arxiv_version"] = identifier.version
            elif identifier.scheme == "url" and identifier.value not in work.ids.urls:
                changes["urls"] = (*work.ids.urls, identifier.value)
        if not changes:
            return work
        return msgspec.structs.replace(work, ids=msgspec.structs.replace(work.ids, **changes))

    def _rank_oa(self, work: Work, partials: Sequence[tuple[str, Work]]) -> Work:
        policy = _HookRanking(self.host, self.oa_ranking)
        ranked = rank_oa(work, work.oa_locations, policy)
        provenance = dict(ranked.provenance)
        statuses = {s: w.oa_status for s, w in partials if w.oa_status is not None}
        bests = {s: w.best_oa_location.url for s, w in partials if w.best_oa_location is not None}
        best_url = ranked.best_oa_location.url if ranked.best_oa_location else None
        provenance["oa_status"] = _ranking_provenance(ranked.oa_status, statuses)
        provenance["best_oa_location"] = _ranking_provenance(best_url, bests)
        return msgspec.structs.replace(ranked, provenance=provenance)

    def _report(self, item: _Item, runtime: SourceRuntime, found: Identification) -> SourceReport:
        outcomes = item.outcomes.get(runtime.name)
        if runtime.skip_reason is not None:
            return SourceReport(name=runtime.name, status="skipped", error=runtime.skip_reason)
        if not outcomes:
            if runtime.gone is not None:
                return SourceReport(name=runtime.name, status="gone", error=runtime.gone)
            if runtime.name in item.found_by:
                return SourceReport(name=runtime.name, status="ok")
            return SourceReport(
                name=runtime.name, status="skipped", error=_skip_reason(runtime, found, item)
            )
        requests = sum(o.requests for o in outcomes)
        cached = all(o.cached for o in outcomes)
        statuses = [o.status for o in outcomes]
        for status in ("ok", "gone", "error"):
            if status in statuses:
                messages = [o.payload for o in outcomes if o.status == status and o.payload]
                error = "; ".join(dict.fromkeys(messages)) or None
                return SourceReport(
                    name=runtime.name,
                    status=status,  # type: ignore[arg-type]
                    error=None if status == "ok" else error,
                    requests=requests,
                    cached=cached,
                )
        return SourceReport(name=runtime.name, status="not_found", requests=requests, cached=cached)


def _skip_reason(runtime: SourceRuntime, found: Identification, item: _Item) -> str:
    if found.kind == "query" and item.status is not None:
        return "not asked: the query matched no work"
    accepted = ", ".join(runtime.cls.schemes) or "no identifier schemes"
    return f"not asked: accepts {accepted}; this work has none of them"


def _not_found_reason(found: Identification, reports: Sequence[SourceReport]) -> str:
    asked = [r for r in reports if r.status not in ("skipped",)]
    if not asked:
        schemes = ", ".join(sorted({i.scheme for i in found.identifiers})) or "these"
        return f"no source can answer this yet: no installed source accepts {schemes} identifiers"
    failed = [f"{r.name}: {r.error}" for r in asked if r.status in ("error", "gone")]
    if failed:
        return "no source found it; " + "; ".join(failed)
    return "no source found it: " + ", ".join(r.name for r in asked) + " answered not found"


def _ranking_provenance(value: Any, by_source: Mapping[str, Any]) -> FieldProvenance:
    """Provenance of a ranked OA field: paperfuse's ranking won, sources' own views kept."""
    others = tuple(OtherValue(source=s, value=v) for s, v in by_source.items() if v != value)
    return FieldProvenance(source="paperfuse", others=others)


class _HookRanking:
    """The OA ranking: a plugin's hook first, then the configured or default policy."""

    def __init__(self, host: PluginHost, fallback: OARankingPolicy) -> None:
        self.host = host
        self.fallback = fallback

    def rank(self, work: Work, locations: Sequence[OALocation]) -> tuple[OALocation, ...]:
        ranked = self.host.rank_oa_locations(work, locations)
        if ranked is not None:
            return tuple(ranked)
        return tuple(self.fallback.rank(work, locations))


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


async def _aiter(inputs: Iterable[str] | AsyncIterable[str]) -> AsyncIterator[str]:
    if isinstance(inputs, AsyncIterable):
        async for text in inputs:
            yield text
    else:
        for text in inputs:
            yield text
