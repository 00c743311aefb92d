"""The canonical record and the small records around it.

Every record is a frozen, keyword-only msgspec Struct with tuples for
sequences and a default on every field, so that a new field never breaks an
old reader. The JSON shape of these records is public API: change it only by
adding fields.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

__all__ = [
    "Author",
    "Candidate",
    "FieldProvenance",
    "Identification",
    "Identifier",
    "Ids",
    "Institution",
    "OALocation",
    "OtherValue",
    "Query",
    "SourceReport",
    "SourceStats",
    "Work",
    "decode_work",
    "encode_json",
    "to_builtins",
]

#: Status of one source's part in a resolution.
SourceStatus = Literal["ok", "not_found", "error", "skipped", "gone"]
#: Status of a whole resolution.
WorkStatus = Literal["resolved", "not_found", "ambiguous", "invalid", "error"]
#: Unpaywall's vocabulary for OA status, used for locations and works.
OAStatus = Literal["gold", "hybrid", "bronze", "green", "closed"]


class _Record(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Base of every paperfuse record: frozen, keyword-only.

    Records hold only strings, numbers, tuples and dicts of those, never a
    reference back to themselves, so the garbage collector need not track
    them (``gc=False``): less work and memory for batches of many records.
    """


class Identifier(_Record):
    """One identifier of a work, normalised.

    ``scheme`` is the scheme's name (``doi``, ``arxiv``, ``pmid``, ``pmcid``,
    ``url`` or one a plugin adds); ``value`` its normalised form (a DOI in
    lower case without resolver prefix, an arXiv id without version).
    ``version`` keeps an arXiv version apart from the id. ``confidence`` is 1.0
    when the text says what it is and lower when paperfuse only guesses (bare
    digits may be a PMID).
    """

    scheme: str
    value: str
    version: int | None = None
    confidence: float = 1.0

    @property
    def key(self) -> tuple[str, str, int | None]:
        """What makes two identifiers ask for the same thing."""
        return (self.scheme, self.value, self.version)

    def __str__(self) -> str:
        suffix = f"v{self.version}" if self.version is not None else ""
        return f"{self.scheme}:{self.value}{suffix}"


class Query(_Record):
    """Text that names a work without identifying it: a title or a citation.

    ``year`` and ``author`` (a surname) are what paperfuse could read from the
    text, for the matcher; ``title`` the part that looks like the title.
    """

    kind: Literal["title", "citation"]
    text: str
    title: str | None = None
    author: str | None = None
    year: int | None = None

    def search_text(self, limit: int | None = None) -> str:
        """What to send a search service: a citation whole, a title query's title.

        Whitespace is collapsed; at most ``limit`` characters (a service's
        longest query). Escaping for a query language is the source's own.
        """
        text = self.text if self.kind == "citation" else (self.title or self.text)
        return " ".join(text.split())[:limit]


class Identification(_Record):
    """What :func:`paperfuse.identify` makes of one input text.

    ``kind`` is ``identifier`` when ``identifiers`` holds at least one,
    ``query`` when the text is a title or citation (``query`` holds it), and
    ``invalid`` when the text cannot be used; ``reason`` then says why. A
    ``reason`` may also accompany a valid result, to explain a guess.
    """

    text: str
    kind: Literal["identifier", "query", "invalid"]
    identifiers: tuple[Identifier, ...] = ()
    query: Query | None = None
    reason: str | None = None


class Ids(_Record):
    """Every known identifier of a work. ``other`` holds plugin schemes."""

    doi: str | None = None
    arxiv: str | None = None
    arxiv_version: int | None = None
    pmid: str | None = None
    pmcid: str | None = None
    urls: tuple[str, ...] = ()
    other: dict[str, str] = {}


class Institution(_Record):
    """An institution an author was affiliated with for the work.

    ``ror`` is the full ROR URL (``https://ror.org/03ate3e03``) when the
    source knows it; ``country`` an ISO 3166-1 alpha-2 code (``DE``).
    """

    name: str
    ror: str | None = None
    country: str | None = None


class Author(_Record):
    """One author; ``name`` is always set, the parts when a source gives them.

    ``orcid`` is the full ORCID URL (``https://orcid.org/0000-...``);
    ``sequence`` is Crossref's ``first`` or ``additional``. ``given`` and
    ``family`` come from the source, or from paperfuse's name parser when the
    source gave the name only whole (``split_by_paperfuse`` is then True); a
    ``family`` of None after the merge means an organisation or a name that
    cannot be split, to be written whole.
    """

    name: str
    given: str | None = None
    family: str | None = None
    orcid: str | None = None
    affiliations: tuple[str, ...] = ()
    sequence: str | None = None
    split_by_paperfuse: bool = False
    #: The institutions of ``affiliations`` that a source identified (OpenAlex), with ROR ids.
    institutions: tuple[Institution, ...] = ()

    @classmethod
    def from_crossref(cls, data: Any) -> Author | None:
        """An author from a Crossref contributor object, or None when it names nobody.

        Crossref's shape (``given``, ``family``, ``name`` for organisations,
        ``ORCID`` in any form, ``sequence``, ``affiliation`` as ``[{"name":
        ...}]``) is served by Crossref itself and by sources built on it
        (Unpaywall's ``z_authors``, Open Access Button's ``author``). Missing,
        null or mistyped fields are ignored.
        """
        if not isinstance(data, dict):
            return None

        def text(key: str) -> str | None:
            value = data.get(key)
            return " ".join(value.split()) or None if isinstance(value, str) else None

        given, family = text("given"), text("family")
        name = text("name") or " ".join(p for p in (given, family) if p)
        if not name:
            return None
        orcid = text("ORCID")
        digits = orcid.rstrip("/").rsplit("/", 1)[-1] if orcid else None
        listed = data.get("affiliation")
        affiliations = tuple(
            " ".join(a["name"].split())
            for a in (listed if isinstance(listed, list) else ())
            if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"].strip()
        )
        return cls(
            name=name,
            given=given,
            family=family,
            orcid=f"https://orcid.org/{digits}" if digits else None,
            affiliations=affiliations,
            sequence=text("sequence"),
        )


class Funder(_Record):
    """A funder of the work: its name, its Funder Registry DOI, the award numbers.

    ``ror`` is the funder's ROR URL when the source gives one (OpenAlex).
    """

    name: str
    doi: str | None = None
    awards: tuple[str, ...] = ()
    ror: str | None = None


class Update(_Record):
    """A notice that changes a work: a retraction, a correction, an erratum, a withdrawal.

    ``direction`` is ``updated-by`` on the work that the notice changes and
    ``update-to`` on the notice itself; ``type`` is the registration agency's
    word in lower case (``retraction``, ``correction``, ``erratum``,
    ``withdrawal``, ``expression_of_concern``...); ``doi`` the other side's
    DOI; ``date`` as precise as given; ``source`` who reported it
    (``publisher``, ``retraction-watch``).
    """

    direction: Literal["updated-by", "update-to"]
    type: str
    doi: str | None = None
    date: str | None = None
    source: str | None = None
    label: str | None = None


class Relation(_Record):
    """A link from the work to another: ``is-preprint-of`` a DOI, ``is-version-of``...

    ``type`` is the relation in lower-case-hyphen form (DataCite's
    ``IsVersionOf`` is ``is-version-of``); ``scheme`` and ``value`` name the
    other side as :func:`paperfuse.identify` would (``doi``, ``arxiv``,
    ``pmid``, ``url``). Relations of :data:`SAME_WORK_RELATIONS` name other
    versions of the same work, which the resolver asks about too.
    """

    type: str
    scheme: str
    value: str


#: Relations whose other side is another version of the same work (a preprint of
#: it, its published version, an identical copy): followed like its identifiers.
SAME_WORK_RELATIONS = frozenset(
    {
        "is-preprint-of",
        "has-preprint",
        "is-version-of",
        "has-version",
        "is-identical-to",
        "is-previous-version-of",
        "is-new-version-of",
        "is-variant-form-of",
        "is-original-form-of",
    }
)


class OALocation(_Record):
    """One place where a free copy of the work can be read.

    ``host_type`` is ``publisher`` or ``repository``; ``version`` one of
    ``submittedVersion``, ``acceptedVersion``, ``publishedVersion``. ``status``
    is this location's OA status; ``reason`` is set on the best location and
    says why it won.
    """

    url: str
    url_for_pdf: str | None = None
    url_for_landing_page: str | None = None
    host_type: str | None = None
    version: str | None = None
    license: str | None = None
    source: str | None = None
    status: OAStatus | None = None
    evidence: str | None = None
    oa_date: str | None = None
    pmh_id: str | None = None
    updated: str | None = None
    is_best: bool | None = None
    reason: str | None = None
    repository_institution: str | None = None
    endpoint_id: str | None = None
    #: True for a link a source offers but cannot show to be free (a landing page's
    #: ``citation_pdf_url``): pooling keeps it only as a detail of a location another
    #: source reports for the same copy, and drops it otherwise (docs/oa-ranking.md).
    candidate: bool | None = None


class OtherValue(_Record):
    """A value a source gave for a field that lost to another source's."""

    source: str
    value: Any


class FieldProvenance(_Record):
    """Where one field of the merged record came from."""

    source: str
    others: tuple[OtherValue, ...] = ()


class SourceReport(_Record):
    """What one source did for one resolution."""

    name: str
    status: SourceStatus
    error: str | None = None
    requests: int = 0
    cached: bool = False


class SourceStats(_Record):
    """What one source cost a resolver so far (see :meth:`Resolver.stats`)."""

    requests: int = 0
    calls: int = 0
    cache_hits: int = 0
    #: Why the source is not asked any more in this run (gone, or paused), or None.
    paused: str | None = None
    #: Why the service is gone for good (it said it has shut down), or None.
    gone: str | None = None
    #: What the source may spend a day (UTC), when it has a daily budget, in ``budget_unit``.
    daily_budget: int | float | None = None
    #: What is left of today's budget (all runs and processes on this cache count).
    budget_left: int | float | None = None
    #: The unit of the budget: ``calls`` (Unpaywall's), ``USD`` (OpenAlex's allowance).
    budget_unit: str | None = None


class Budget(_Record):
    """What a source may spend a day and what is left of it (see :meth:`Source.budget`)."""

    limit: int | float
    left: int | float
    #: ``calls``, or a currency (``USD``) for a service that prices its calls.
    unit: str = "calls"


class Candidate(_Record):
    """A possible match for a title or citation query, with its score."""

    source: str
    score: float
    title: str | None = None
    ids: Ids = Ids()
    year: int | None = None
    first_author: str | None = None


class Work(_Record):
    """The canonical record of one scholarly work.

    Sources give partial ``Work`` values (only the fields they know); the
    resolver merges them into one, with ``provenance`` per field and one
    ``sources`` report per source asked. ``input`` and ``status`` say which
    input this record answers and how well.
    """

    input: str | None = None
    status: WorkStatus | None = None
    error: str | None = None
    ids: Ids = Ids()
    title: str | None = None
    authors: tuple[Author, ...] = ()
    abstract: str | None = None
    published: str | None = None
    updated: str | None = None
    year: int | None = None
    venue: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    publisher: str | None = None
    issn: tuple[str, ...] = ()
    issn_l: str | None = None
    type: str | None = None
    categories: tuple[str, ...] = ()
    primary_category: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    journal_is_oa: bool | None = None
    journal_is_in_doaj: bool | None = None
    is_oa: bool | None = None
    oa_status: OAStatus | None = None
    best_oa_location: OALocation | None = None
    oa_locations: tuple[OALocation, ...] = ()
    provenance: dict[str, FieldProvenance] = {}
    sources: tuple[SourceReport, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    extra: dict[str, Any] = {}
    subtitle: str | None = None
    container_short: str | None = None
    article_number: str | None = None
    language: str | None = None
    isbn: tuple[str, ...] = ()
    editors: tuple[Author, ...] = ()
    funders: tuple[Funder, ...] = ()
    license: str | None = None
    updates: tuple[Update, ...] = ()
    retracted: bool | None = None
    relations: tuple[Relation, ...] = ()
    references_count: int | None = None
    cited_by_count: int | None = None
    mesh: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    publication_types: tuple[str, ...] = ()


_encoder = msgspec.json.Encoder(order="deterministic")
_work_decoder = msgspec.json.Decoder(Work)


def encode_json(value: Any) -> bytes:
    """Encode a record (or builtins holding records) as compact JSON."""
    return _encoder.encode(value)


def decode_work(data: bytes | str) -> Work:
    """Decode JSON made by :func:`encode_json` back into a :class:`Work`."""
    return _work_decoder.decode(data)


def to_builtins(value: Any) -> Any:
    """A record as plain dicts, lists and strings."""
    return msgspec.to_builtins(value)
