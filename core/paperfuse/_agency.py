"""Which registration agency holds a DOI: asked of doi.org once per prefix, kept for good.

A DOI's metadata of record lives at the agency that registered it (Crossref
for journals, DataCite for arXiv's, Zenodo's, Dryad's and figshare's DOIs,
mEDRA, JaLC...). Sources of one agency ask this before they send a DOI, so
that no request is wasted on a DOI the other agency holds. The answer for a
prefix is asked once (concurrent askers share the one request), kept in the
store across runs, and a few well-known prefixes are answered without asking.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import msgspec

from ._errors import SourceError

if TYPE_CHECKING:
    from ._http import SourceClient
    from ._store import SourceStore

__all__ = ["DOI_RA_URL", "KNOWN_AGENCIES", "RegistrationAgencies"]

log = logging.getLogger("paperfuse")

#: doi.org, whose ``/ra/{prefix}`` says which agency registered a prefix.
DOI_RA_URL = "https://doi.org"
#: Prefixes whose agency is known without asking (the busiest DataCite prefixes).
KNOWN_AGENCIES = {
    "10.48550": "datacite",  # arXiv
    "10.5281": "datacite",  # Zenodo
    "10.5061": "datacite",  # Dryad
    "10.6084": "datacite",  # figshare
}
#: Largest answer read from doi.org for one prefix (it is a line of JSON).
_MAX_ANSWER = 64 * 1024


class RegistrationAgencies:
    """The registration agency of each DOI prefix, for every source of one resolver."""

    def __init__(self, client: SourceClient, store: SourceStore, base_url: str) -> None:
        self.client = client
        self.store = store
        self.base_url = base_url.rstrip("/")
        self._known: dict[str, str | None] = dict(KNOWN_AGENCIES)
        self._asking: dict[str, asyncio.Future[str | None]] = {}

    async def of(self, doi: str) -> str | None:
        """The lower-case agency name of ``doi`` (``crossref``, ``datacite``...), or None.

        None means unknown: the look-up failed, or doi.org does not know the
        prefix. Failures are remembered for the run only, answers for good.
        """
        prefix = doi.split("/", 1)[0].strip().lower()
        if prefix in self._known:
            return self._known[prefix]
        stored = self.store.get(prefix)
        if stored is not None:
            agency = stored.decode("utf-8", "replace") or None
            self._known[prefix] = agency
            return agency
        asking = self._asking.get(prefix)
        if asking is None:
            asking = asyncio.ensure_future(self._ask(prefix))
            self._asking[prefix] = asking
        return await asyncio.shield(asking)

    async def _ask(self, prefix: str) -> str | None:
        try:
            response = await self.client.get(f"{self.base_url}/ra/{prefix}", max_body=_MAX_ANSWER)
            agency = _read(response.content) if response.status_code == 200 else None
        except SourceError as e:
            log.info("the registration agency of %s is unknown: %s", prefix, e)
            agency = None
        except Exception as e:  # an odd answer costs the routing, never the lookup
            log.info("the registration agency of %s is unknown: %s", prefix, type(e).__name__)
            agency = None
        finally:
            self._asking.pop(prefix, None)
        self._known[prefix] = agency
        if agency is not None:
            self.store.put(prefix, agency.encode())
        return agency


def _read(body: bytes) -> str | None:
    """The agency in doi.org's answer ``[{"DOI": "10.5061", "RA": "DataCite"}]``, or None."""
    try:
        data = msgspec.json.decode(body)
    except (msgspec.DecodeError, RecursionError):
        return None
    entry = data[0] if isinstance(data, list) and data else data
    agency = entry.get("RA") if isinstance(entry, dict) else None
    if not isinstance(agency, str) or not agency.strip():
        return None
    name = " ".join(agency.split()).lower()
    return None if name in ("unknown", "invalid doi", "doi does not exist") else name
