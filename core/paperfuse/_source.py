"""What a source is: the base class a source plugin subclasses.

A source answers identifiers of the schemes it accepts (in batches of up to
``batch_size``) and, when ``searches_titles`` is set, title and citation
queries. Its politeness figures are defaults that configuration can change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar, Literal, get_args

import msgspec

from ._errors import SourceError
from ._records import Budget, Identifier, Query, Work

if TYPE_CHECKING:
    from ._agency import RegistrationAgencies
    from ._config import Config, SourceSettings
    from ._http import SourceClient
    from ._store import SourceStore

__all__ = ["SOURCE_ROLES", "LookupResult", "Politeness", "Source", "SourceContext", "SourceRole"]

#: What a source can declare itself to be (:attr:`Source.role`), in the order of
#: paperfuse's default merge ranking, best first (see docs/merge-policy.md):
#: the DOI's registration agency, holding the metadata of record (Crossref,
#: DataCite); a curated index with its own indexing (PubMed); a service that
#: gathers and passes on others' records (Europe PMC); an index of free copies
#: that also passes on metadata (Unpaywall); a service that looks for free
#: copies, other indexes included (Open Access Button); where preprints are
#: posted (arXiv), first for what only it documents; a service that maps
#: identifiers to one another (the PMC ID converter).
SourceRole = Literal[
    "registration agency",
    "bibliographic database",
    "aggregator",
    "open access index",
    "open access discovery",
    "preprint server",
    "identifier crosswalk",
]
#: The roles, best first: :data:`SourceRole`'s values as a tuple.
SOURCE_ROLES: tuple[str, ...] = get_args(SourceRole)

#: What :meth:`Source.lookup` gives for one identifier: a partial record when
#: found, ``None`` when the source does not know it, or the error that kept
#: the source from answering for this identifier alone.
LookupResult = Work | SourceError | None


class Politeness(msgspec.Struct, frozen=True, kw_only=True):
    """How gently a source must be asked.

    ``min_interval`` is the least time in seconds between the starts of two
    requests; ``max_concurrency`` the number of requests in flight at once;
    ``daily_budget`` the calls allowed per day (``None``: no limit).
    ``max_linger`` is how long, at most, a batch that is not full waits for
    more identifiers while inputs are still being read or other sources are
    still working (and may reveal some): worth it for a source whose every
    request costs seconds of its rate limit, so that a batch import makes
    the fewest requests. Look-ups of works that have none of a lingering
    source's schemes are asked first by every other source.
    """

    min_interval: float = 0.0
    max_concurrency: int = 4
    daily_budget: int | None = None
    max_linger: float = 0.0


class SourceContext:
    """What a source is given when the resolver creates it.

    ``settings`` are its own settings from configuration; ``config`` the
    whole configuration (for the contact email); ``base_url`` the service
    root to which it appends its documented paths; ``client`` the polite HTTP
    client the resolver made for it (rate limits, retries, User-Agent, daily
    budget); ``store`` its own part of the embedded store; ``agencies`` the
    resolver's registry of DOI registration agencies (see
    :meth:`registration_agency`).
    """

    def __init__(
        self,
        *,
        name: str,
        config: Config,
        settings: SourceSettings,
        base_url: str | None,
        politeness: Politeness,
        client: SourceClient | None = None,
        store: SourceStore | None = None,
        agencies: RegistrationAgencies | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.settings = settings
        self.base_url = base_url.rstrip("/") if base_url else None
        self.politeness = politeness
        self._client = client
        self._store = store
        self._agencies = agencies

    @property
    def client(self) -> SourceClient:
        """The source's HTTP client (raises when the resolver gave none)."""
        if self._client is None:
            raise RuntimeError(f"source {self.name!r} was created without an HTTP client")
        return self._client

    @property
    def store(self) -> SourceStore:
        """The source's own part of the embedded store, kept across runs."""
        if self._store is None:
            raise RuntimeError(f"source {self.name!r} was created without a store")
        return self._store

    async def registration_agency(self, doi: str) -> str | None:
        """The lower-case name of the agency that registered ``doi``, or None if unknown.

        ``crossref``, ``datacite``, ``medra``, ``jalc``...: asked of doi.org
        once per prefix and kept for good. A source of one agency answers
        "not found" for another agency's DOIs without asking its service;
        when the agency is unknown (None), it asks.
        """
        if self._agencies is None:
            return None
        return await self._agencies.of(doi)

    @property
    def email(self) -> str | None:
        """The contact email, for sources whose service asks for one."""
        return self.config.email


class Source:
    """Base class of a source of metadata and OA locations.

    Subclasses set the class attributes and implement :meth:`lookup`
    and, if they search, :meth:`search`. Plugins return the class from the
    ``paperfuse_register_sources`` hook; the resolver creates one instance per
    resolver with a :class:`SourceContext`.
    """

    #: Unique name: lower case letters, digits, ``_`` and ``-``.
    name: ClassVar[str]
    #: Identifier schemes this source can look up, the one it prefers first.
    #: The resolver asks it with the most preferred identifier a work has.
    schemes: ClassVar[tuple[str, ...]] = ()
    #: Whether :meth:`search` answers title and citation queries.
    searches_titles: ClassVar[bool] = False
    #: Most identifiers one :meth:`lookup` call may be given.
    batch_size: ClassVar[int] = 1
    #: Documented politeness of the service (configuration can change it).
    politeness: ClassVar[Politeness] = Politeness()
    #: Default service root; ``PAPERFUSE_<NAME>_URL`` overrides it.
    base_url: ClassVar[str | None] = None
    #: True for a crosswalk that knows a work by all of its identifiers or by none (the
    #: PMC ID converter): once it has found nothing for one of a work's identifiers, it
    #: is not asked for the others (only for those of the work's other versions).
    ids_are_equivalent: ClassVar[bool] = False
    #: True when every request of the source goes through ``context.client`` (which
    #: paces each request): a call that sent none (an answer known without asking,
    #: such as another registration agency's DOI) then costs no interval; and, for a
    #: source paced by concurrency alone, calls may prepare their requests ahead of its
    #: free request slots, which the client keeps. Left False, every call is paced as if
    #: it sent a request, and only ``max_concurrency`` calls run at a time.
    paced_by_requests: ClassVar[bool] = False
    #: Other names the source's settings may be given under, such as the service's
    #: own name (PubMed's ``ncbi``: ``[sources.ncbi]``, ``PAPERFUSE_NCBI_URL``). What
    #: is set under the source's name wins, key by key.
    settings_aliases: ClassVar[tuple[str, ...]] = ()
    #: One line for ``paperfuse plugins``.
    description: ClassVar[str] = ""
    #: What the service is, one of :data:`SOURCE_ROLES`: it places the source in
    #: the default merge ranking (a registration agency's values before an
    #: aggregator's...). ``None``: after every source that declares a role.
    role: ClassVar[SourceRole | None] = None
    #: Fields (``abstract``, ``ids.pmid``, ``publication_types``...) for which the
    #: source's values come first whatever its role: what the service documents
    #: best. Sources that claim the same field keep their role order among them.
    authoritative_for: ClassVar[tuple[str, ...]] = ()
    #: Whether the source's answers are kept in the answer cache. ``False`` for a
    #: source that answers from a local index (a data snapshot): storing its
    #: answers again would only copy what the index already holds.
    caches_answers: ClassVar[bool] = True

    def __init__(self, context: SourceContext) -> None:
        self.context = context

    @classmethod
    def politeness_for(cls, config: Config, settings: SourceSettings) -> Politeness:
        """The service's documented politeness for this configuration.

        By default :attr:`politeness`. A service whose limits depend on who
        asks (a polite pool for callers who give a contact email, a higher
        rate with an API key) overrides this. Figures set in ``settings``
        still win over what this returns.
        """
        return cls.politeness

    def unavailable_reason(self) -> str | None:
        """Why this source cannot be asked at all (e.g. a missing email), or ``None``.

        A source that returns a reason is reported ``skipped`` with it.
        """
        return None

    def budget(self) -> Budget | None:
        """What is left of a daily allowance the source keeps itself, or ``None``.

        For ``/health`` and ``/metrics`` of ``paperfuse serve`` and
        :meth:`Resolver.stats`. A source whose :class:`Politeness` sets
        ``daily_budget`` (calls a day) need not: paperfuse counts those calls
        itself. A source that prices its calls (OpenAlex's allowance in USD)
        returns its own count here.
        """
        return None

    async def lookup(self, identifiers: Sequence[Identifier]) -> Mapping[Identifier, LookupResult]:
        """Look up at most ``batch_size`` identifiers of the accepted schemes.

        Return a mapping from each asked identifier to a partial :class:`Work`
        (found), ``None`` (not found) or a :class:`SourceError` (this
        identifier alone failed). Identifiers left out of the mapping count as
        not found. Raise :class:`SourceError` when the whole batch failed.
        A partial work's ``ids`` may reveal identifiers of other schemes; the
        resolver then asks the sources that accept them.
        """
        raise NotImplementedError

    async def search(self, query: Query) -> Sequence[Work]:
        """Candidate works for a title or citation query, best first.

        Only called when ``searches_titles`` is set. The resolver scores the
        candidates itself; a source need not filter them.
        """
        return ()

    async def aclose(self) -> None:
        """Release what the source holds; the resolver calls it once at the end."""
