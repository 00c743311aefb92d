"""Pooling and ranking the open-access locations of a work (step 7, "Rank OA").

Every source may report free copies of a work: Unpaywall lists publisher and
repository copies, arXiv is itself a repository copy, the Open Access Button
finds another. This module pools them (one location per URL, the sources'
details combined), gives each location its OA status by Unpaywall's rules,
ranks them with a replaceable policy and sets the work's ``is_oa``,
``oa_status`` and ``best_oa_location`` from the winner, whose ``reason`` says
in plain words why it won.

The default policy, :class:`DefaultOARanking`, reproduces Unpaywall's
production order and extends it across sources; ``docs/oa-ranking.md``
describes it in prose. Another policy is anything with a
``rank(work, locations)`` method (:class:`OARankingPolicy`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable
from urllib.parse import SplitResult, unquote, urlsplit

import msgspec

from ._records import OALocation, OAStatus, Work

__all__ = [
    "HOST_ORDER",
    "TIER_LABELS",
    "DefaultOARanking",
    "OARankingPolicy",
    "is_open_license",
    "location_key",
    "location_status",
    "pool_locations",
    "rank_oa",
    "summarize",
]

#: Version names in Unpaywall's vocabulary, best first.
_PUBLISHED = "publishedVersion"
_ACCEPTED = "acceptedVersion"
_SUBMITTED = "submittedVersion"

#: What each rank tier of :class:`DefaultOARanking` means, used in the winner's reason.
TIER_LABELS: dict[int, str] = {
    1: "publisher's version of record (publishedVersion at the publisher, DOI known)",
    2: "published version with a PDF",
    3: "published version",
    4: "accepted manuscript with a PDF",
    5: "accepted manuscript",
    6: "submitted version (preprint) with a PDF",
    7: "submitted version (preprint)",
    8: "copy of unknown version",
}

#: The host classes of the first tie-break, best first; their names appear in reasons.
HOST_ORDER: tuple[str, ...] = ("Europe PMC", "PMC", "arXiv", ".edu host", "other host")

#: Licences that are "open" in Unpaywall's sense besides every ``cc-*`` licence.
_OPEN_LICENSE_NAMES = frozenset({"cc0", "pd", "public-domain", "publicdomain"})

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

#: Hosts of doi.org links, for inferring an unknown host type.
_DOI_HOSTS = frozenset({"doi.org", "dx.doi.org"})


@runtime_checkable
class OARankingPolicy(Protocol):
    """An OA ranking policy: anything with this ``rank`` method.

    ``rank`` receives the merged work and its pooled, de-duplicated locations
    and returns them reordered best first, each with ``status`` set, the
    first with ``is_best=True`` and a ``reason``. The resolver asks the
    ``paperfuse_rank_oa_locations`` hook first and falls back to a policy
    object (by default :class:`DefaultOARanking`).
    """

    def rank(self, work: Work, locations: Sequence[OALocation]) -> Sequence[OALocation]:
        """The locations, best first, with status, ``is_best`` and the winner's reason."""
        ...


def _split(url: str) -> SplitResult:
    """``url`` split into its parts; a URL without a scheme still has its host as host."""
    text = url.strip()
    if not _SCHEME.match(text) and not text.startswith("//"):
        # "europepmc.org/articles/..." would otherwise be all path
        text = "//" + text
    return urlsplit(text)


def location_key(url: str) -> str:
    """The de-duplication key of a URL: two URLs with one key are one copy.

    The scheme is ignored (``http`` and ``https`` serve the same copy), the
    host is lower-cased and loses a leading ``www.``, a trailing slash and
    the fragment are dropped. The path keeps its case (paths are case
    sensitive on most servers: PMC4221854 and pmc4221854 may differ) and the
    query is kept (``?pdf=render`` selects another representation).
    """
    parts = _split(url)
    host = parts.netloc.lower()
    if host.startswith("www."):
        host = host[4:]
    path = parts.path.rstrip("/")
    key = host + path
    if parts.query:
        key += "?" + parts.query
    return key


def _location_url(location: OALocation) -> str:
    """The URL that identifies a location: its ``url``, else its PDF or landing page."""
    return location.url or location.url_for_pdf or location.url_for_landing_page or ""


def _is_empty(value: object) -> bool:
    return value is None or value == "" or value == ()


def _fill(first: OALocation, other: OALocation) -> OALocation:
    """``first`` with its empty fields taken from ``other`` and both sources named."""
    changes: dict[str, object] = {}
    for field in first.__struct_fields__:
        if field == "source":
            continue
        if _is_empty(getattr(first, field)) and not _is_empty(getattr(other, field)):
            changes[field] = getattr(other, field)
    names = [n for n in (first.source or "").split(",") if n]
    for name in (other.source or "").split(","):
        if name and name not in names:
            names.append(name)
    source = ",".join(names) or None
    if source != first.source:
        changes["source"] = source
    return msgspec.structs.replace(first, **changes) if changes else first


def pool_locations(locations: Iterable[OALocation]) -> list[OALocation]:
    """Locations de-duplicated by :func:`location_key` of their URL, first seen first.

    When several sources report one URL, one location remains: the first
    seen, its empty fields filled from the later ones (a PDF URL known to one
    source and a licence known to another both survive). It keeps the first
    source's name and appends the others', comma-separated
    (``"unpaywall,arxiv"``), so that provenance is not lost. A location with
    no URL at all (no ``url``, PDF or landing page) is dropped: there is
    nothing to read. A ``candidate`` location counts only when another
    source confirms it (see :func:`_confirm`).
    """
    if isinstance(locations, (tuple, list)) and len(locations) < 2:
        # Nothing to de-duplicate: keep the one location if it has a URL (a lone
        # candidate has nothing to confirm it).
        return [loc for loc in locations if _location_url(loc).strip() and not loc.candidate]
    pooled: dict[str, OALocation] = {}
    candidates: list[OALocation] = []
    for location in locations:
        url = _location_url(location)
        if not url.strip():
            continue
        if location.candidate:
            candidates.append(location)
            continue
        key = location_key(url)
        if key in pooled:
            pooled[key] = _fill(pooled[key], location)
        else:
            pooled[key] = location
    for candidate in candidates:
        _confirm(pooled, candidate)
    return list(pooled.values())


def _urls(location: OALocation) -> set[str]:
    """The de-duplication keys of every URL of a location (its page, PDF and landing page)."""
    urls = (location.url, location.url_for_pdf, location.url_for_landing_page)
    return {location_key(u) for u in urls if u and u.strip()}


def _confirm(pooled: dict[str, OALocation], candidate: OALocation) -> None:
    """Add a candidate's links to the pooled location that shares a URL with it, if any.

    A candidate (a landing page's ``citation_pdf_url``) is not known to be
    free; a location another source reports for the same copy (any of its
    URLs equal to one of the candidate's) confirms it, and gains the PDF and
    landing page links it lacked and the candidate's source in ``source``.
    Unconfirmed, the candidate is dropped.
    """
    keys = _urls(candidate)
    for key, location in pooled.items():
        if keys & _urls(location):
            links = msgspec.structs.replace(
                candidate,
                host_type=None,
                version=None,
                license=None,
                evidence=None,
                candidate=None,
            )
            pooled[key] = _fill(location, links)
            return


def is_open_license(license: str | None) -> bool:
    """Whether ``license`` is an open licence: any Creative Commons or public domain.

    Unpaywall's names are ``cc-by``, ``cc-by-nc-nd``, ``cc0``, ``pd``,
    ``public-domain``; Creative Commons URLs count too. Licences that only
    allow reading (``publisher-specific-oa``, ``implied-oa``,
    ``publisher-specific, author manuscript: ...``) are not open: a copy
    under them is free to read but not openly licensed.
    """
    if not license:
        return False
    name = license.strip().lower()
    if name.startswith("cc-") or name.startswith("cc by") or name in _OPEN_LICENSE_NAMES:
        return True
    return "creativecommons.org/licenses/" in name or "creativecommons.org/publicdomain/" in name


def _is_doi_link(url: str | None, doi: str | None) -> bool:
    """Whether ``url`` is a doi.org link to ``doi``."""
    if not url or not doi:
        return False
    parts = _split(url)
    host = parts.netloc.lower()
    if host.startswith("www."):
        host = host[4:]
    if host not in _DOI_HOSTS:
        return False
    return unquote(parts.path).strip("/").lower() == doi.strip().lower()


def _host_type(location: OALocation, work: Work) -> str:
    """``publisher`` or ``repository``; an unknown host type is inferred.

    A location without a known host type is the publisher's when its URL is
    a doi.org link of the work's own DOI (the DOI resolves to the
    publisher), and a repository copy otherwise.
    """
    host_type = (location.host_type or "").strip().lower()
    if host_type in ("publisher", "repository"):
        return host_type
    return "publisher" if _is_doi_link(location.url, work.ids.doi) else "repository"


def location_status(location: OALocation, work: Work) -> OAStatus:
    """The OA status of one location, by Unpaywall's rules.

    A publisher copy in an OA journal (``journal_is_oa`` or
    ``journal_is_in_doaj``) is ``gold``; a publisher copy with an open
    licence (:func:`is_open_license`) is ``hybrid``; any other free
    publisher copy is ``bronze``; a repository copy is ``green``. An unknown
    host type is inferred (see :func:`_host_type`).
    """
    if _host_type(location, work) == "repository":
        return "green"
    if work.journal_is_oa or work.journal_is_in_doaj:
        return "gold"
    if is_open_license(location.license):
        return "hybrid"
    return "bronze"


def _host(url: str) -> tuple[str, str]:
    """Lower-cased host without ``www.``, and path, of a URL."""
    parts = _split(url)
    host = parts.hostname or ""
    if host.startswith("www."):
        host = host[4:]
    return host, parts.path


class DefaultOARanking:
    """paperfuse's default OA ranking: Unpaywall's order, extended across sources.

    Best first: (1) the publisher's version of record (host publisher,
    ``publishedVersion``) of a work with a DOI; (2) a published version with
    a PDF; (3) a published version; (4) an accepted manuscript with a PDF;
    (5) an accepted manuscript; (6) a submitted version with a PDF; (7) a
    submitted version; (8) a copy of unknown version. Within a tier the URL
    host decides (Europe PMC, then PMC, then arXiv, then ``.edu`` hosts,
    then the rest), then publisher before repository, then the order the
    locations came in (the sort is stable).

    Subclasses may override :meth:`tier` (keeping its 1 to 8 meaning) or
    set :attr:`host_order` to change one criterion and keep the rest,
    statuses and reasons included.
    """

    #: Host classes of the first tie-break, best first (see :meth:`host_class`).
    host_order: tuple[str, ...] = HOST_ORDER

    def tier(self, work: Work, location: OALocation) -> int:
        """The rank tier of ``location``, 1 (best) to 8; see :data:`TIER_LABELS`."""
        version = location.version
        has_pdf = bool(location.url_for_pdf)
        if version == _PUBLISHED:
            if _host_type(location, work) == "publisher" and work.ids.doi:
                return 1
            return 2 if has_pdf else 3
        if version == _ACCEPTED:
            return 4 if has_pdf else 5
        if version == _SUBMITTED:
            return 6 if has_pdf else 7
        return 8

    def host_class(self, location: OALocation) -> str:
        """The class of the location's URL host, one of :data:`HOST_ORDER`.

        ``Europe PMC`` (``europepmc.org``), ``PMC`` (``ncbi.nlm.nih.gov/pmc``
        or ``pmc.ncbi.nlm.nih.gov``), ``arXiv`` (``arxiv.org``), ``.edu host``
        (a host ending ``.edu``), else ``other host``.
        """
        host, path = _host(_location_url(location))
        if host == "europepmc.org" or host.endswith(".europepmc.org"):
            return "Europe PMC"
        if host == "pmc.ncbi.nlm.nih.gov" or (
            host == "ncbi.nlm.nih.gov" and (path == "/pmc" or path.startswith("/pmc/"))
        ):
            return "PMC"
        if host == "arxiv.org" or host.endswith(".arxiv.org"):
            return "arXiv"
        if host.endswith(".edu"):
            return ".edu host"
        return "other host"

    def host_rank(self, location: OALocation) -> int:
        """The position of the location's host class in :attr:`host_order`, 0 is best."""
        name = self.host_class(location)
        return self.host_order.index(name) if name in self.host_order else len(self.host_order)

    def sort_key(self, work: Work, location: OALocation) -> tuple[int, int, int]:
        """The key the locations are sorted by: tier, host class, publisher first."""
        host_type = 0 if _host_type(location, work) == "publisher" else 1
        return (self.tier(work, location), self.host_rank(location), host_type)

    def rank(self, work: Work, locations: Sequence[OALocation]) -> tuple[OALocation, ...]:
        """``locations`` best first, each with its status; the first with the reason.

        Every location gets ``status`` (:func:`location_status`) and
        ``is_best`` (True on the first only); only the first has a
        ``reason``, naming the tier that decided and, when others shared the
        tier, the tie-break that did.
        """
        if not locations:
            return ()
        if len(locations) == 1 and type(self).sort_key is DefaultOARanking.sort_key:
            # The only location: its tier names the reason; no tie-break to compute.
            location = locations[0]
            tier = self.tier(work, location)
            label = TIER_LABELS.get(tier, f"tier {tier}")
            best = msgspec.structs.replace(
                location,
                status=location_status(location, work),
                is_best=True,
                reason=f"{label}; the only location",
            )
            return (best,)
        keyed = [(self.sort_key(work, loc), loc) for loc in locations]
        keyed.sort(key=lambda pair: pair[0])
        reason = self._reason(keyed)
        ranked: list[OALocation] = []
        for position, (_, location) in enumerate(keyed):
            best = position == 0
            ranked.append(
                msgspec.structs.replace(
                    location,
                    status=location_status(location, work),
                    is_best=best,
                    reason=reason if best else None,
                )
            )
        return tuple(ranked)

    def _reason(self, keyed: Sequence[tuple[tuple[int, int, int], OALocation]]) -> str:
        """Why the first of the sorted ``keyed`` locations won, in one stable sentence."""
        (tier, host, host_type), winner = keyed[0]
        label = TIER_LABELS.get(tier, f"tier {tier}")
        if len(keyed) == 1:
            return f"{label}; the only location"
        tied = sum(1 for key, _ in keyed[1:] if key[0] == tier)
        if tied == 0:
            return f"{label}; best of {len(keyed)} locations"
        other = "other" if tied == 1 else "others"
        (_, runner_host, runner_type), runner = keyed[1]
        if host != runner_host:
            won = f"won on host ({self.host_class(winner)} before {self.host_class(runner)})"
        elif host_type != runner_type:
            won = "won on host type (publisher before repository)"
        else:
            won = "won on order (listed first)"
        return f"{label}; ties with {tied} {other} on version, {won}"


def summarize(work: Work, ranked: Sequence[OALocation]) -> tuple[bool, OAStatus, OALocation | None]:
    """``(is_oa, oa_status, best)`` of a work from its ranked locations.

    No location means ``(False, "closed", None)``; otherwise the work is OA,
    its status is the best (first) location's status (computed if the
    policy left it unset) and the best location is returned.
    """
    if not ranked:
        return False, "closed", None
    best = ranked[0]
    status = best.status or location_status(best, work)
    return True, status, best


def rank_oa(
    work: Work,
    locations: Iterable[OALocation],
    policy: OARankingPolicy | None = None,
) -> Work:
    """A copy of ``work`` with its OA fields set from ``locations``.

    The locations are pooled (:func:`pool_locations`), ranked by
    ``policy.rank`` (by default :class:`DefaultOARanking`), and the copy gets
    ``oa_locations`` (ranked, best first), ``best_oa_location``, ``is_oa``
    and ``oa_status``. A location the policy left without a status gets one
    from :func:`location_status`, so that every stored location says what
    kind of OA it is.
    """
    pooled = pool_locations(locations)
    ranking = policy if policy is not None else DefaultOARanking()
    ranked = tuple(
        loc
        if loc.status is not None
        else msgspec.structs.replace(loc, status=location_status(loc, work))
        for loc in ranking.rank(work, pooled)
    )
    is_oa, status, best = summarize(work, ranked)
    return msgspec.structs.replace(
        work, oa_locations=ranked, best_oa_location=best, is_oa=is_oa, oa_status=status
    )
