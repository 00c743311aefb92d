"""Merging partial records from several sources into one canonical work.

Each field is taken from the best-ranked source that gives it (a ranking of
sources per field, built from what the sources declare and changeable by
configuration), or combined from all of them
(union, for identifiers, URLs, categories and OA locations). Every field keeps
its provenance: the source whose value won and the differing values it beat.
Names that no source split into given and family are split here (see
``_names``), so every merged record carries them. See docs/merge-policy.md
for the policy in prose.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from ._names import split_names
from ._records import FieldProvenance, Ids, OtherValue, Work
from ._source import SOURCE_ROLES

if TYPE_CHECKING:
    from ._source import Source

    DEFAULT_RANKING: dict[str, tuple[str, ...]]

__all__ = ["DEFAULT_RANKING", "MergePolicy", "default_ranking", "merge"]

#: Types of a preprint's record: a version of record's values come first.
_PREPRINT_TYPES = frozenset({"posted-content", "preprint"})


def default_ranking(sources: Iterable[type[Source]]) -> dict[str, tuple[str, ...]]:
    """The ranking of ``sources`` per field, best first, from what they declare.

    ``default`` orders them by :attr:`~paperfuse.Source.role` (in the order of
    :data:`~paperfuse.SOURCE_ROLES`; sources without a role last), then by
    name. Each field a source is :attr:`~paperfuse.Source.authoritative_for`
    puts the sources that claim it first, in that same order. paperfuse names
    no source itself: a plugin's source takes its place by its declarations.
    """
    order = sorted(
        {cls.name: cls for cls in sources}.values(),
        key=lambda cls: (_role_rank(cls.role), cls.name),
    )
    names = tuple(cls.name for cls in order)
    ranking = {"default": names}
    for field in sorted({f for cls in order for f in cls.authoritative_for}):
        first = tuple(cls.name for cls in order if field in cls.authoritative_for)
        ranking[field] = (*first, *(n for n in names if n not in first))
    return ranking


def _role_rank(role: str | None) -> int:
    return SOURCE_ROLES.index(role) if role in SOURCE_ROLES else len(SOURCE_ROLES)


@functools.lru_cache(maxsize=8)
def _installed_ranking(disabled: str | None, allowed: str | None) -> dict[str, tuple[str, ...]]:
    """:func:`default_ranking` of the sources the installed plugins register."""
    import warnings

    from ._plugins import PluginHost, PluginWarning

    env = {
        k: v
        for k, v in (("PAPERFUSE_DISABLED_PLUGINS", disabled), ("PAPERFUSE_PLUGINS", allowed))
        if v is not None
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)  # reported where plugins are listed
        host = PluginHost(env=env)
    return default_ranking(host.sources.values())


def installed_ranking() -> dict[str, tuple[str, ...]]:
    """The default ranking of the installed sources (``PAPERFUSE_*PLUGINS`` switches
    heeded), computed once per process and switch values."""
    ranking = _installed_ranking(
        os.environ.get("PAPERFUSE_DISABLED_PLUGINS"), os.environ.get("PAPERFUSE_PLUGINS")
    )
    return dict(ranking)


def __getattr__(name: str) -> Any:
    # DEFAULT_RANKING: the installed sources' default ranking, read on first use (loading
    # the plugins at import time would make `import paperfuse` slow).
    if name == "DEFAULT_RANKING":
        return installed_ranking()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Fields that are combined from every source rather than chosen.
UNION_FIELDS = (
    "categories",
    "issn",
    "oa_locations",
    "isbn",
    "funders",
    "updates",
    "relations",
    "mesh",
    "keywords",
)
#: Flags that hold when any source raises them (a retraction one source knows of).
_ANY_TRUE_FIELDS = ("retracted",)
#: Mappings combined key by key (each source keeps its own keys in ``extra``).
_MAPPING_FIELDS = ("extra",)
#: Fields the merge leaves alone: the resolver sets them.
_RESOLVER_FIELDS = frozenset(
    {
        "ids",
        "provenance",
        "sources",
        "input",
        "status",
        "error",
        "candidates",
        "best_oa_location",
        "is_oa",
        "oa_status",
    }
)
_ID_UNION_FIELDS = ("urls",)
#: The fields :func:`merge` decides, in the record's order.
_MERGED_FIELDS = tuple(f for f in Work.__struct_fields__ if f not in _RESOLVER_FIELDS)


#: Orders a policy keeps (fields times the sets of sources that answer together).
_ORDERS_KEPT = 4096


class MergePolicy:
    """Which source wins each field.

    ``ranking`` maps a field name (``title``, ``ids.doi``, ...) or ``default``
    to source names, best first; it changes the default ranking field by
    field. The default ranking is :func:`default_ranking` of ``sources``
    (source classes), by default of the installed sources. Sources not named
    come after the named ones, in name order, so the result never depends on
    which source answered first.
    """

    def __init__(
        self,
        ranking: Mapping[str, Sequence[str]] | None = None,
        *,
        sources: Iterable[type[Source]] | None = None,
    ) -> None:
        merged = installed_ranking() if sources is None else default_ranking(sources)
        for field, sources in (ranking or {}).items():
            merged[field] = tuple(sources)
        self.ranking = merged
        # Orders already made, by field and sources as given, with the ranking they
        # were made from (a ranking replaced since is sorted by again; one that is
        # not a tuple, and so could change in place, is never kept).
        self._orders: dict[tuple[str, tuple[str, ...]], tuple[Sequence[str], list[str]]] = {}

    def order(self, field: str, sources: Sequence[str]) -> list[str]:
        """``sources`` sorted best first for ``field``."""
        ranked = self.ranking.get(field, self.ranking["default"])
        key = (field, tuple(sources))
        made = self._orders.get(key)
        if made is not None and made[0] is ranked:
            return list(made[1])
        position = {name: i for i, name in enumerate(ranked)}
        order = sorted(sources, key=lambda s: (position.get(s, len(ranked)), s))
        if isinstance(ranked, tuple):
            if len(self._orders) >= _ORDERS_KEPT:
                self._orders.clear()
            self._orders[key] = (ranked, order)
        return list(order)


def _is_empty(value: Any) -> bool:
    return value is None or value == () or value == {} or value == ""


def _choose(
    field: str, values: Mapping[str, Any], policy: MergePolicy
) -> tuple[Any, FieldProvenance] | None:
    """The winning value of ``field`` among the sources' ``values``."""
    given = {s: v for s, v in values.items() if not _is_empty(v)}
    if not given:
        return None
    return _ranked(field, given, policy)


def _ranked(
    field: str, given: Mapping[str, Any], policy: MergePolicy
) -> tuple[Any, FieldProvenance]:
    """:func:`_choose` among values none of which is empty (at least one)."""
    order = policy.order(field, list(given))
    winner = order[0]
    value = given[winner]
    others = tuple(
        OtherValue(source=s, value=msgspec.to_builtins(given[s]))
        for s in order[1:]
        if given[s] != value
    )
    return value, FieldProvenance(source=winner, others=others)


def _union(field: str, values: Mapping[str, Any], policy: MergePolicy) -> tuple[Any, ...]:
    """Every distinct item of ``field`` over the sources, best-ranked source first."""
    seen: list[Any] = []
    for source in policy.order(field, list(values)):
        for item in values[source] or ():
            if item not in seen:
                seen.append(item)
    return tuple(seen)


def _combine(field: str, values: Mapping[str, Any], policy: MergePolicy) -> dict[str, Any]:
    """The sources' mappings key by key, the best-ranked source's value for a shared key."""
    combined: dict[str, Any] = {}
    for source in policy.order(field, list(values)):
        for key, value in values[source].items():
            combined.setdefault(key, value)
    return combined


def merge(partials: Sequence[tuple[str, Work]], policy: MergePolicy | None = None) -> Work:
    """One :class:`Work` from the sources' partial works, with provenance.

    ``partials`` pairs each source's name with its partial work; a source may
    appear more than once (e.g. found by DOI and by arXiv id): its later
    values fill only what its earlier ones left empty. Authors and editors
    whose names no source split come out split (``split_by_paperfuse``).
    """
    by_source: dict[str, Work] = {}
    # A source that answered for a preprint and its published version: the
    # version of record's values come first, the preprint's fill the gaps.
    ordered = sorted(partials, key=lambda pair: pair[1].type in _PREPRINT_TYPES)
    for source, work in ordered:
        by_source[source] = _fill(by_source[source], work) if source in by_source else work
    if len(by_source) == 1:
        return _merge_one(*next(iter(by_source.items())))
    return _merge_ranked(by_source, policy or MergePolicy())


def _merge_ranked(by_source: Mapping[str, Work], policy: MergePolicy) -> Work:
    """:func:`merge` of one work per source: each field ranked across the sources.

    Most fields of a record several sources answered are given by one of them
    or by none: such a field is that source's, with no ranking to look up
    (tests/test_fast_paths.py shows it gives exactly what ranking every
    field gives, over every recorded record).
    """
    provenance: dict[str, FieldProvenance] = {}
    fields: dict[str, Any] = {}
    rows = [(s, msgspec.structs.astuple(w)) for s, w in by_source.items()]
    for position, field, kind in _RANKED_PLAN:
        if kind == _PLAIN:
            given = {s: row[position] for s, row in rows if not _is_empty(row[position])}
            if given:
                fields[field], provenance[field] = _winner(field, given, policy)
            continue
        values = {s: row[position] for s, row in rows}
        if kind == _MAPPING:
            fields[field] = _combine(field, values, policy)
        elif kind == _UNION:
            union = _union_of(field, values, policy)
            if union is not None:
                fields[field], provenance[field] = union
        elif any(v is True for v in values.values()):  # a flag any source raises
            raised = [s for s in policy.order(field, list(values)) if values[s] is True]
            fields[field] = True
            provenance[field] = FieldProvenance(source=raised[0])
        else:
            chosen = _choose(field, values, policy)
            if chosen is not None:
                fields[field], provenance[field] = chosen

    ids: dict[str, Any] = {}
    id_rows = [(s, msgspec.structs.astuple(w.ids)) for s, w in by_source.items()]
    for position, (field, key) in enumerate(_ID_KEYS):
        if field in _ID_UNION_FIELDS or field == "other":
            values = {s: row[position] for s, row in id_rows}
            union = field in _ID_UNION_FIELDS
            ids[field] = (_union if union else _combine)(key, values, policy)
            continue
        given = {s: row[position] for s, row in id_rows if not _is_empty(row[position])}
        if given:
            ids[field], provenance[key] = _winner(key, given, policy)
    for field in ("authors", "editors"):
        if field in fields:
            fields[field] = split_names(fields[field])
    # An arXiv version belongs to the arXiv id that won, not to another source's.
    if "ids.arxiv" in provenance and "ids.arxiv_version" in provenance:
        arxiv_source = provenance["ids.arxiv"].source
        ids["arxiv_version"] = by_source[arxiv_source].ids.arxiv_version

    return Work(ids=Ids(**ids), provenance=provenance, **fields)


def _winner(
    field: str, given: Mapping[str, Any], policy: MergePolicy
) -> tuple[Any, FieldProvenance]:
    """:func:`_ranked`, with no ranking looked up when one source gave a value."""
    if len(given) == 1:
        ((source, value),) = given.items()
        return value, _won(source)
    return _ranked(field, given, policy)


def _union_of(
    field: str, values: Mapping[str, Any], policy: MergePolicy
) -> tuple[tuple[Any, ...], FieldProvenance] | None:
    """A union field's items over the sources and its provenance (the sources that gave
    any, best-ranked first); None when none did."""
    givers = [s for s, v in values.items() if v]
    if not givers:
        return None
    if len(givers) == 1:
        return _unique(values[givers[0]]), _won(givers[0])
    contributors = policy.order(field, givers)
    return _union(field, values, policy), FieldProvenance(source=",".join(contributors))


@functools.lru_cache(maxsize=256)
def _won(source: str) -> FieldProvenance:
    """The provenance of a value only ``source`` gave: one frozen record shared by every
    field and record it is said of."""
    return FieldProvenance(source=source)


#: How a field is merged: its value chosen, the sources' items united, their mappings
#: combined key by key, or a flag raised by any source (ranked like a chosen value for
#: one source: :func:`_merge_one`).
_PLAIN, _UNION, _MAPPING, _ANY_TRUE = 0, 1, 2, 3


def _plan(flags: bool) -> tuple[tuple[int, str, int], ...]:
    """Each field the merge decides: its position in :class:`Work`, name and kind."""
    return tuple(
        (
            position,
            field,
            _MAPPING
            if field in _MAPPING_FIELDS
            else _UNION
            if field in UNION_FIELDS
            else _ANY_TRUE
            if flags and field in _ANY_TRUE_FIELDS
            else _PLAIN,
        )
        for position, field in enumerate(Work.__struct_fields__)
        if field not in _RESOLVER_FIELDS
    )


#: What :func:`_merge_ranked` does with each field it decides.
_RANKED_PLAN = _plan(flags=True)
#: Each identifier field and its ranking key, in the order of :class:`Ids`.
_ID_KEYS = tuple((field, f"ids.{field}") for field in Ids.__struct_fields__)


def _merge_one(source: str, work: Work) -> Work:
    """:func:`merge` of one source's work: what the loop over sources gives for one.

    With one source there is nothing to rank: each field given is its own
    winner with no others (a raised flag too), a union only loses its
    repeated items and a mapping is copied. Most records of a batch are
    answered by one source; this skips the ranking of every field
    (tests/test_fast_paths.py shows it gives exactly what the general path
    gives, over every recorded record).
    """
    provenance: dict[str, FieldProvenance] = {}
    fields: dict[str, Any] = {}
    won = _won(source)
    values = msgspec.structs.astuple(work)
    for position, field, kind in _ONE_SOURCE_PLAN:
        value = values[position]
        if kind == _PLAIN:
            if value is None or value == "" or value == () or value == {}:
                continue
            fields[field] = value
            provenance[field] = won
        elif kind == _UNION:
            if value:
                fields[field] = _unique(value)
                provenance[field] = won
        else:
            fields[field] = dict(value)
    ids: dict[str, Any] = {}
    for field, value in zip(Ids.__struct_fields__, msgspec.structs.astuple(work.ids), strict=True):
        if field in _ID_UNION_FIELDS:
            ids[field] = _unique(value or ())
        elif field == "other":
            ids[field] = dict(value)
        elif not _is_empty(value):
            ids[field] = value
            provenance[f"ids.{field}"] = won
    for field in ("authors", "editors"):
        if field in fields:
            fields[field] = split_names(fields[field])
    return Work(ids=Ids(**ids), provenance=provenance, **fields)


#: What :func:`_merge_one` does with each field it decides (a flag one source raised is
#: its value like any other).
_ONE_SOURCE_PLAN = _plan(flags=False)


def _unique(items: Sequence[Any]) -> tuple[Any, ...]:
    """``items`` without repeats, first seen first (as :func:`_union` keeps them)."""
    if len(items) < 2:
        return tuple(items)
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return tuple(seen)


def _fill(first: Work, later: Work) -> Work:
    """``first`` with its empty fields filled from ``later`` (same source)."""
    changes = {
        f: getattr(later, f)
        for f in Work.__struct_fields__
        if f != "ids" and _is_empty(getattr(first, f)) and not _is_empty(getattr(later, f))
    }
    id_changes = {
        f: getattr(later.ids, f)
        for f in Ids.__struct_fields__
        if _is_empty(getattr(first.ids, f)) and not _is_empty(getattr(later.ids, f))
    }
    if id_changes:
        changes["ids"] = msgspec.structs.replace(first.ids, **id_changes)
    return msgspec.structs.replace(first, **changes) if changes else first
