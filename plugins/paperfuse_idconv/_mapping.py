"""The ID converter's answers as partial paperfuse records: identifiers only.

Two answer shapes are read. The older service (``/pmc/utils/idconv/v1.0/``)
answers ``{"status", "responseDate", "request", "records": [{"pmcid", "pmid",
"doi", "versions"}]}`` with the PMID as a string; the newer one
(``/tools/idconv/api/v1/articles/``) gives the PMID as a number, echoes each
``requested-id``, and marks an id it does not know with ``"status": "error"``
and an ``errmsg``. Nothing in a record is trusted to be there or to have the
documented type: a value that is no identifier costs only itself.
"""

from __future__ import annotations

import re
from typing import Any

from paperfuse import Ids, Work, identify

__all__ = ["answer_records", "normalised", "record_to_work"]

#: The schemes the converter maps, in paperfuse's names (also its ``idtype`` values).
SCHEMES = ("pmcid", "pmid", "doi")
#: Most records read from one answer: a batch asks 200 ids, an answer with far more
#: is not the answer to it.
MAX_RECORDS = 1_000
_PMID = re.compile(r"^[0-9]{1,12}$")
_PMCID = re.compile(r"^(?:PMC)?([0-9]{1,12})$", re.IGNORECASE)
_BARE_DOI = re.compile(r"^10\.[0-9]{4,9}/\S+$")
#: Longest identifier text read; a DOI is rarely over 300 characters.
_MAX_ID_LENGTH = 1_000


def _pmid(value: Any) -> str | None:
    """A PMID from a string of digits or a sane whole number (the newer answer's)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if 0 < value < 10**12 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text.isascii() or not _PMID.match(text):
        return None
    number = int(text)
    return str(number) if number else None


def _pmcid(value: Any) -> str | None:
    """A PMCID as paperfuse keeps it: ``PMC`` and digits, without a version."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return f"PMC{value}" if 0 < value < 10**12 else None
    if not isinstance(value, str):
        return None
    match = _PMCID.match(value.strip())
    if match is None or not match.group(1).isascii():
        return None
    number = int(match.group(1))
    return f"PMC{number}" if number else None


def _doi(value: Any) -> str | None:
    """A DOI as paperfuse keeps it (lower case, no resolver prefix), or None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > _MAX_ID_LENGTH:
        return None
    found = identify(text)
    doi = next((i.value for i in found.identifiers if i.scheme == "doi"), None)
    if doi is None and _BARE_DOI.match(text):
        doi = text.lower()
    return doi


_READERS = {"pmid": _pmid, "pmcid": _pmcid, "doi": _doi}


def normalised(scheme: str, value: Any) -> str | None:
    """``value`` as paperfuse writes an identifier of ``scheme``, or None if it is none."""
    reader = _READERS.get(scheme)
    return reader(value) if reader is not None else None


def answer_records(data: Any) -> list[Any] | None:
    """The ``records`` of an answer, or None when the answer has no list of them."""
    records = data.get("records") if isinstance(data, dict) else None
    return records[:MAX_RECORDS] if isinstance(records, list) else None


def record_to_work(record: Any, scheme: str) -> tuple[str | None, Work | None]:
    """One record of an answer to ``idtype=scheme``: the asked id and its partial work.

    The asked id is the echoed ``requested-id`` (newer answers), else the
    record's own id of the asked scheme (older answers). The work is None when
    the service does not know the id (an error status, an ``errmsg``) or names
    no identifier besides the asked one.
    """
    if not isinstance(record, dict):
        return None, None
    asked = normalised(scheme, record.get("requested-id"))
    own = normalised(scheme, record.get(scheme))
    key = asked or own
    if record.get("status") == "error" or record.get("errmsg") not in (None, ""):
        return key, None
    ids = Ids(
        pmid=_pmid(record.get("pmid")),
        pmcid=_pmcid(record.get("pmcid")),
        doi=_doi(record.get("doi")),
    )
    revealed = [s for s in SCHEMES if s != scheme and getattr(ids, s)]
    if key is None or not revealed:
        return key, None
    if own != key:  # the record names another id of the asked scheme: keep the asked one
        ids = _with(ids, scheme, key)
    return key, Work(ids=ids)


def _with(ids: Ids, scheme: str, value: str) -> Ids:
    values = {"pmid": ids.pmid, "pmcid": ids.pmcid, "doi": ids.doi, scheme: value}
    return Ids(pmid=values["pmid"], pmcid=values["pmcid"], doi=values["doi"])
