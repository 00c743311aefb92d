"""The resolution of one input: from its text to one merged work.

Identify the input; ask the sources that accept its identifiers (each call
batched by the source's runtime across every pending input); feed the
identifiers they reveal to the sources that have not seen them, up to
``max_rounds`` deep; match a title query against the searching sources'
candidates; merge the partial records with provenance and rank the OA
locations. The :class:`~paperfuse.Resolver` facade owns the configuration,
the plugins and the sources, and hands each input to a :class:`Resolution`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from ._config import Config
from ._identifiers import IdentifierScheme, identify
from ._merge import MergePolicy, merge
from ._oa import OARankingPolicy, rank_oa
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
    Work,
)
from ._redact import redact
from ._runtime import Outcome, SourceRuntime

__all__ = ["Resolution"]

log = logging.getLogger("paperfuse")

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


class Resolution:
    """How each input becomes a work, with one resolver's plugins and sources.

    One resolution serves every input of a run: :meth:`resolve` keeps the
    state of one input in an :class:`_Item` of its own, so inputs resolve
    concurrently and their lookups batch together in the sources' runtimes.
    """

    def __init__(
        self,
        *,
        config: Config,
        host: PluginHost,
        merge_policy: MergePolicy,
        oa_ranking: OARankingPolicy,
        sources: dict[str, SourceRuntime],
    ) -> None:
        self.config = config
        self.host = host
        self.schemes: list[IdentifierScheme] = list(host.schemes.values())
        self.merge_policy = merge_policy
        self.oa_ranking = _HookRanking(host, oa_ranking)
        self.sources = sources
        # The schemes of each lingering source: a lookup of a work with none of a lingering
        # source's schemes says so (it may reveal that source a new identifier to ask).
        self._lingering = [
            frozenset(runtime.cls.schemes)
            for runtime in sources.values()
            if runtime.max_linger and runtime.skip_reason is None
        ]
        # A skipped source's report is the same for every input (its reason is made
        # with its runtime): made once, not once per input.
        self._skipped = {
            name: _fixed_report(name, "skipped", runtime.skip_reason)
            for name, runtime in sources.items()
            if runtime.skip_reason is not None
        }

    async def resolve(self, text: str) -> Work:
        """The work for one input; a failure of paperfuse's own is the input's error."""
        try:
            return await self._resolve_identification(identify(text, self.schemes))
        except Exception as e:  # one input's failure never ends a batch
            log.exception("internal error while resolving %r", text[:100])
            message = redact(f"internal error: {type(e).__name__}: {e}", self.config.secrets)
            return Work(input=text, status="error", error=message)

    async def _resolve_identification(self, found: Identification) -> Work:
        """Search (for a query), expand (for identifiers), then finish the work."""
        item = _Item(found.text)
        if found.kind == "invalid":
            reports = tuple(
                SourceReport(name=n, status="skipped", error="the input is not usable")
                for n in self.sources
            )
            return Work(input=found.text, status="invalid", error=found.reason, sources=reports)
        for identifier in found.identifiers:
            item.learn(identifier, 0)
        if found.query is not None:
            await self._search(item, found.query)
        if item.status is None:
            await self._expand(item)
        return self._finish(item, found)

    async def _search(self, item: _Item, query: Query) -> None:
        """Match ``query`` against the searching sources' candidates.

        The accepted work's records become the item's first partials, and what
        they reveal is looked up next; otherwise the item says why none was.
        """
        searchers = [
            r
            for r in self.sources.values()
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
        from ._match import choose  # title matching, loaded when a query needs it

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
            self._learn_revealed(item, name, work, 1)

    async def _expand(self, item: _Item) -> None:
        """Ask sources for the item's identifiers, following what they reveal.

        One lookup at a time (the usual case: one source accepts the input's
        identifier) is awaited in this task; several run as tasks of their own,
        and each answer is read as it comes.
        """
        tasks: dict[asyncio.Task[Outcome], tuple[str, int]] = {}
        busy: set[str] = set()

        def dispatch() -> list[tuple[str, SourceRuntime, Identifier, int]]:
            asks = []
            for name, runtime in self.sources.items():
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
                asks.append((name, runtime, identifier, depth))
            return asks

        def receive(name: str, depth: int, outcome: Outcome) -> None:
            busy.discard(name)
            if outcome.status == "ok":
                work = self._with_normalized_ids(outcome.payload)
                item.found_by.add(name)
                item.partials.append((name, work))
                self._learn_revealed(item, name, work, depth + 1)
                outcome = outcome._replace(payload=None)
            item.outcomes.setdefault(name, []).append(outcome)

        def lookup(runtime: SourceRuntime, identifier: Identifier, depth: int) -> Any:
            lacking: frozenset[str] = frozenset()
            if self._lingering:
                have = {i.scheme for i, _ in item.known.values()}
                lacking = lacking.union(*(s for s in self._lingering if s.isdisjoint(have)))
            return runtime.lookup(identifier, given=depth == 0, lacking=lacking)

        asks = dispatch()
        while asks or tasks:
            if len(asks) == 1 and not tasks:
                name, runtime, identifier, depth = asks[0]
                receive(name, depth, await lookup(runtime, identifier, depth))
            else:
                for name, runtime, identifier, depth in asks:
                    tasks[asyncio.create_task(lookup(runtime, identifier, depth))] = (name, depth)
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    name, depth = tasks.pop(task)
                    receive(name, depth, task.result())
            asks = dispatch()

    def _learn_revealed(self, item: _Item, source: str, work: Work, depth: int) -> None:
        """Note what a partial work reveals: its identifiers, and its other versions'; and
        the schemes ``source`` revealed (see :attr:`SourceRuntime.revealed`)."""
        revealed = self.sources[source].revealed
        for identifier in self._revealed(work):
            revealed.add(identifier.scheme)
            item.learn(identifier, depth)
        for relation in work.relations:
            if relation.type in SAME_WORK_RELATIONS and relation.value:
                value = self._normalize(relation.scheme, relation.value)
                identifier = Identifier(scheme=relation.scheme, value=value)
                if identifier.key not in item.known:
                    item.versions.add(identifier.key)
                revealed.add(identifier.scheme)
                item.learn(identifier, depth)

    def _next_identifier(
        self, item: _Item, runtime: SourceRuntime, *, versions_only: bool = False
    ) -> tuple[Identifier, int] | None:
        """The source's most preferred identifier of the item not yet asked.

        ``versions_only``: among the identifiers of other versions of the work
        only (for a source that has answered for the work already).
        """
        asked = item.asked.get(runtime.name, ())
        accepted = runtime.cls.schemes
        max_rounds = self.config.max_rounds
        # One pass: per accepted scheme, the first of the most confident options.
        best: dict[str, tuple[Identifier, int]] = {}
        for key, option in item.known.items():
            identifier, depth = option
            scheme = identifier.scheme
            if (
                scheme not in accepted
                or key in asked
                or depth >= max_rounds
                or (versions_only and key not in item.versions)
            ):
                continue
            kept = best.get(scheme)
            if kept is None or identifier.confidence > kept[0].confidence:
                best[scheme] = option
        for scheme in accepted:
            if scheme in best:
                return best[scheme]
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

    def _finish(self, item: _Item, found: Identification) -> Work:
        """The item's work: its partials merged, its input's ids kept, its OA ranked;
        or, with none, the reason; with every source's report either way."""
        skipped = self._skipped
        reports = tuple(
            skipped.get(name) or self._report(item, runtime, found)
            for name, runtime in self.sources.items()
        )
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
        ranked = rank_oa(work, work.oa_locations, self.oa_ranking)
        provenance = dict(ranked.provenance)
        statuses = {s: w.oa_status for s, w in partials if w.oa_status is not None}
        bests = {s: w.best_oa_location.url for s, w in partials if w.best_oa_location is not None}
        best_url = ranked.best_oa_location.url if ranked.best_oa_location else None
        provenance["oa_status"] = _ranking_provenance(ranked.oa_status, statuses)
        provenance["best_oa_location"] = _ranking_provenance(best_url, bests)
        return msgspec.structs.replace(ranked, provenance=provenance)

    def _report(self, item: _Item, runtime: SourceRuntime, found: Identification) -> SourceReport:
        """What one source did for the item: its best outcome, requests and cache use.

        Not for a source skipped for the whole run: its report is in ``_skipped``.
        """
        outcomes = item.outcomes.get(runtime.name)
        if not outcomes:
            if runtime.gone is not None:
                return _fixed_report(runtime.name, "gone", runtime.gone)
            if runtime.name in item.found_by:
                return _fixed_report(runtime.name, "ok", None)
            return _fixed_report(runtime.name, "skipped", _skip_reason(runtime, found, item))
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


@functools.lru_cache(maxsize=1024)
def _fixed_report(name: str, status: str, error: str | None) -> SourceReport:
    """A report with no requests: one record shared by every input it is said of
    (records are frozen), rather than one per input."""
    return SourceReport(name=name, status=status, error=error)  # type: ignore[arg-type]


def _skip_reason(runtime: SourceRuntime, found: Identification, item: _Item) -> str:
    if found.kind == "query" and item.status is not None:
        return "not asked: the query matched no work"
    return _not_asked(tuple(runtime.cls.schemes))


@functools.lru_cache(maxsize=256)
def _not_asked(schemes: tuple[str, ...]) -> str:
    accepted = ", ".join(schemes) or "no identifier schemes"
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
