"""A simulated upstream for benchmarks: every source paperfuse ships, on one port.

Every answer is built from the recorded responses in tests/fixtures/ (their
shapes are never invented), with identifiers rewritten so that each asked
identifier gets a record of its own:

- arXiv ``GET|POST /api/query``: an ``id_list`` gets an Atom feed with one
  entry per id (a recorded entry of the two recorded 100-entry search feeds,
  its id, links and version rewritten), honouring ``start`` and
  ``max_results`` like the real API (``max_results`` defaults to 10; an id
  list longer than ``max_results`` gives ``max_results`` entries and the
  whole count in ``opensearch:totalResults``). Ids in the "missing" set are
  left out, as the API leaves out ids it does not know. A fraction of the
  entries carry an ``<arxiv:doi>`` (and the classic DOI link), so a client
  then asks Unpaywall about that DOI. An id that is no arXiv id gets the
  recorded error feed ("incorrect id format for ...", HTTP 400). A
  ``search_query`` gets the recorded search feed.
- Unpaywall ``GET /v2/{doi}`` (422 without ``email``, like the real API): a
  recorded DOI object with its DOI rewritten. For a fraction of DOIs its arXiv
  location (``oai:arXiv.org:...`` and arxiv.org URLs) points at an arXiv id
  derived from the DOI, so that a client asks arXiv in a second round; the
  others get a recorded object without an arXiv location. PMC numbers are
  rewritten too, so that no two DOIs share one. A fraction may be missing
  (the recorded 404 body). ``GET /v2/search`` gets the recorded search answer.
- Open Access Button ``GET /find``, ``GET|POST /metadata``: HTTP 410,
  "permanently shut down" (the service's real state since November 2025);
  with ``--oab-alive``, the recorded ``/find`` answer instead.

The sources that landed after the seeds answer under a path of their own
(paperfuse's ``PAPERFUSE_<SOURCE>_URL`` set to ``<url>/<source>``), from their
recorded answers in tests/fixtures/ (see :class:`LaterSources` for what is
left out of them):

- Crossref ``/crossref/works?filter=doi:A,doi:B`` (a list: the recorded
  journal articles of a recorded 20-item list, DOIs rewritten) and
  ``/crossref/works/{doi}`` (one work; 404 "Resource not found." as plain
  text); every answer carries ``x-rate-limit-limit: 10`` and
  ``x-rate-limit-interval: 1s``, the polite pool's figures.
- DataCite ``/datacite/dois/{doi}``: the recorded Zenodo record for a DOI
  under 10.5281 (this world's DataCite prefix), 404 for any other.
- doi.org ``/doi/ra/{prefix}``: the recorded answer, "DataCite" for 10.5281
  and "Crossref" for every other prefix.
- PMC's ID converter ``/idconv/tools/idconv/api/v1/articles/?ids=...&idtype=``:
  the recorded record of each asked id of a work in PMC, nothing for others.
- Europe PMC ``/europepmc/webservices/rest/search`` (and ``searchPOST``): the
  OR-ed query's PMIDs, PMCIDs and DOIs, each work in PMC as a recorded core
  result, in one page.
- OpenAlex ``/openalex/works?filter=doi:A|B`` (also ``pmid:``, ``pmcid:``) and
  ``/openalex/works/{scheme:value}``: the recorded 2025 work (with PMID and
  PMCID) for a work in PMC, the recorded 2026 list item for another DOI.
- PubMed ``/pubmed/entrez/eutils/efetch.fcgi`` (GET or POST ``id=1,2,...``):
  the recorded article (without its reference list) for each PMID.

The world is consistent: the DOI of an arXiv entry leads (through Unpaywall)
back to that arXiv id, and an arXiv id that Unpaywall revealed for a DOI
carries that DOI. Half the other Crossref DOIs (``--pmc-fraction``) are of
works in PubMed and PMC, with a PMID and a PMCID derived from the DOI, which
Unpaywall's PMC locations, the ID converter, Europe PMC, OpenAlex and PubMed
all give alike; a PMCID or PMID input names a work whose DOI derives from it.
:class:`World` holds these rules, so that a benchmark can predict what a
batch must ask and compute the minimum number of requests.

Latency is per service (arXiv: a base plus a little per entry served).

Rate limits are enforced, defaults being each service's documented limits
(:data:`SERVICES`, with their sources: docs/sources.md and /work/shared/design.md):
arXiv one request every 3 s, one at a time; Unpaywall 4 in flight (it
publishes only a daily budget); Open Access Button one a second, one at a
time; Crossref's polite pool 10 a second, 3 at a time; DataCite 1,000 per 5
minutes (one every 0.3 s) for a client that identifies itself; NCBI (PubMed,
the ID converter) 3 a second without an API key; OpenAlex 100 a second.
Where a service publishes no figure (Europe PMC, doi.org, and a concurrency
for DataCite, NCBI, OpenAlex), paperfuse's own default is enforced. ``--latency``
sets every service's latency at once (default: arXiv 0.3 s, others 0.05 s).
A request that
arrives less than ``interval - tolerance`` after the previous request to the
same service (refused or not: every arrival counts), or while ``concurrency``
requests to it are in flight, is answered 429 with ``Retry-After`` and
counted as a violation of that service. The tolerance (default 50 ms) absorbs
the jitter between the client stamping a request and this server reading it:
both run on one machine, where that gap is a few milliseconds. A request is
"in flight" from its arrival (its headers read) until its handler has built
the answer, so the count can never exceed what the client has outstanding.

``GET /_stats`` returns JSON per service (requests, violations, statuses,
largest number in flight, smallest gap between arrivals, arrival times on
``time.monotonic()``, which on Linux every process shares); ``POST /_reset``
zeroes them. Run it standalone::

    .venv/bin/python benchmarks/upstream.py --port 8765 [--arxiv-interval 3 ...]

or from Python with :func:`start`, which runs it in a subprocess (so that its
CPU does not compete with a client in one interpreter) and waits until it
answers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import hashlib
import json
import math
import re
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV_NS = "{http://arxiv.org/schemas/atom}"

ARXIV_ENTRIES = (
    "arxiv/arxivvanity_query_cs_ml_start0_max100.xml",
    "arxiv/arxivvanity_query_cs_ml_start100_max100.xml",
)
ARXIV_ERROR = "arxiv/arxivdocs_error_incorrect_id_format_1234.12345.xml"
ARXIV_SEARCH = "arxiv/rsxiv_search_electron_and_proton.xml"
#: Recorded DOI objects with an arXiv location (the DOI, the arXiv id, the PMC number).
UNPAYWALL_WITH_ARXIV = (
    ("unpaywall/unpywall_10.1038_nature12373.json", "1304.1068", "4221854"),
    ("unpaywall/unpywall_10.1103_physreve.88.012814.json", "1304.0473", None),
)
#: Recorded DOI objects without one.
UNPAYWALL_WITHOUT_ARXIV = (
    ("unpaywall/unpywall_10.1016_j.envint.2020.105730.json", None, "7151430"),
    ("unpaywall/unpywall_10.1016_j.jns.2020.116832.json", None, "7151535"),
    ("unpaywall/unpywall_10.1016_j.tmaid.2020.101663.json", None, "7151271"),
)
UNPAYWALL_404 = "unpaywall/psu_404_10.000_doi1.json"
UNPAYWALL_SEARCH = "unpaywall/psu_search_stable_characteristic_evolution_2023-09.json"
OAB_FIND = "oab/psu_find_10.1103_physrevlett.80.3915.json"
#: What the Open Access Button API answers since November 2025 (as in tests/test_oab.py).
OAB_GONE = {"error": "The Open Access Button API has been permanently shut down.", "status": 410}

#: The prefix of DOIs this world gives to arXiv entries (Crossref's test prefix).
ARXIV_DOI_PREFIX = "10.5555/pfbench.arxiv."
#: The DOIs of works known by a PMCID or a PMID input (the ids follow from the DOI).
PMC_DOI_PREFIX = "10.5555/pfbench.pmc."
PMID_DOI_PREFIX = "10.5555/pfbench.pmid."
#: DataCite's prefixes in this world (Zenodo's; paperfuse knows its agency without asking).
DATACITE_PREFIXES = ("10.5281/",)
_NEW_ID = re.compile(r"^(\d{4})\.(\d{4,5})(?:v(\d+))?$")
_OLD_ID = re.compile(r"^([a-z-]+(?:\.[A-Z]{2})?)/(\d{7})(?:v(\d+))?$")


def unit(kind: str, text: str) -> float:
    """A deterministic number in [0, 1) for ``text`` (the same in every process)."""
    digest = hashlib.blake2b(f"{kind}:{text}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def split_version(arxiv_id: str) -> tuple[str, int | None] | None:
    """``(id without version, version)``, or None when ``arxiv_id`` is no arXiv id."""
    for pattern in (_NEW_ID, _OLD_ID):
        match = pattern.match(arxiv_id)
        if match:
            version = match.group(3)
            base = arxiv_id[: match.start(3) - 1] if version else arxiv_id
            return base, int(version) if version else None
    return None


@dataclass
class World:
    """The rules that tie identifiers together, shared by the server and the benchmark."""

    #: Share of arXiv entries that carry a journal DOI.
    arxiv_doi_fraction: float = 0.3
    #: Share of arXiv ids the API does not know (left out of feeds).
    arxiv_missing_fraction: float = 0.0
    #: arXiv ids always left out.
    arxiv_missing: frozenset[str] = frozenset()
    #: Share of DOIs whose Unpaywall object has an arXiv copy (a derived arXiv id).
    unpaywall_arxiv_fraction: float = 0.3
    #: Share of DOIs Unpaywall does not know (404).
    unpaywall_missing_fraction: float = 0.0
    #: Share of (Crossref) DOIs whose work is in PubMed and PMC (has a PMID and a PMCID).
    pmc_fraction: float = 0.5
    #: arXiv ids revealed by Unpaywall, with the DOI that revealed them.
    _origin: dict[str, str] = field(default_factory=dict, repr=False)
    #: PMIDs and PMC numbers handed out, with their DOI.
    _by_pmid: dict[str, str] = field(default_factory=dict, repr=False)
    _by_pmc: dict[str, str] = field(default_factory=dict, repr=False)

    def arxiv_found(self, base_id: str) -> bool:
        if base_id in self.arxiv_missing:
            return False
        return unit("arxiv-missing", base_id) >= self.arxiv_missing_fraction

    def arxiv_doi(self, base_id: str) -> str | None:
        """The journal DOI of an arXiv entry, if it has one."""
        origin = self._origin.get(base_id)
        if origin is not None:
            return origin
        if unit("arxiv-doi", base_id) < self.arxiv_doi_fraction:
            return ARXIV_DOI_PREFIX + base_id
        return None

    def doi_found(self, doi: str) -> bool:
        if doi.startswith(ARXIV_DOI_PREFIX):
            return True  # arXiv's own DOIs are registered
        return unit("doi-missing", doi) >= self.unpaywall_missing_fraction

    def doi_arxiv(self, doi: str) -> str | None:
        """The arXiv id of the arXiv copy Unpaywall lists for ``doi`` (lower-cased), if any."""
        if doi.startswith(ARXIV_DOI_PREFIX):
            return doi[len(ARXIV_DOI_PREFIX) :]
        if unit("doi-arxiv", doi) >= self.unpaywall_arxiv_fraction:
            return None
        # Months 1801-1912 are never used by the benchmark's own id lists.
        h = int(unit("doi-arxiv-id", doi) * 24 * 99_999)
        month, number = divmod(h, 99_999)
        arxiv_id = f"{18 + month // 12}{month % 12 + 1:02d}.{number + 1:05d}"
        self._origin.setdefault(arxiv_id, doi)
        return arxiv_id

    @staticmethod
    def is_datacite(doi: str) -> bool:
        return doi.startswith(DATACITE_PREFIXES)

    def doi_ids(self, doi: str) -> tuple[str, str] | None:
        """``(PMID, PMC number)`` of the work of ``doi`` (lower-cased) when it is in PMC."""
        if doi.startswith(PMC_DOI_PREFIX):
            number = doi[len(PMC_DOI_PREFIX) :]
            pmid = str(40_000_000 + int(unit("pmc-pmid", number) * 9_999_999))
        elif doi.startswith(PMID_DOI_PREFIX):
            pmid = doi[len(PMID_DOI_PREFIX) :]
            number = str(20_000_000 + int(unit("pmid-pmc", pmid) * 9_999_999))
        elif (
            doi.startswith(ARXIV_DOI_PREFIX)
            or self.is_datacite(doi)
            or unit("doi-in-pmc", doi) >= self.pmc_fraction
        ):
            return None
        else:
            number = str(10_000_000 + int(unit("doi-pmc", doi) * 9_999_999))
            pmid = str(40_000_000 + int(unit("doi-pmid", doi) * 9_999_999))
        self._by_pmid.setdefault(pmid, doi)
        self._by_pmc.setdefault(number, doi)
        return pmid, number

    def pmid_doi(self, pmid: str) -> str:
        """The DOI of the work of ``pmid`` (handed out before, or an input's own)."""
        return self._by_pmid.get(pmid) or PMID_DOI_PREFIX + pmid

    def pmc_doi(self, number: str) -> str:
        """The DOI of the work of ``PMC<number>``."""
        return self._by_pmc.get(number) or PMC_DOI_PREFIX + number


# -- recorded material, prepared once -------------------------------------------------------


class _Template:
    """A piece of recorded bytes with markers, filled by joining (fast for 2,000 entries)."""

    def __init__(self, text: bytes, markers: tuple[bytes, ...]) -> None:
        pattern = b"(" + b"|".join(re.escape(m) for m in markers) + b")"
        self.parts = re.split(pattern, text)

    def fill(self, values: dict[bytes, bytes]) -> bytes:
        return b"".join(values.get(p, p) for p in self.parts)


_ID = b"\x00ID\x00"
_VID = b"\x00VID\x00"
_DOI = b"\x00DOI\x00"


def _arxiv_entry_templates() -> list[_Template]:
    from lxml import etree

    templates = []
    for name in ARXIV_ENTRIES:
        root = etree.fromstring((FIXTURES / name).read_bytes())
        for entry in root.iterchildren(f"{ATOM}entry"):
            entry = copy.deepcopy(entry)
            entry.tail = None
            full = entry.findtext(f"{ATOM}id").rsplit("/abs/", 1)[1]
            base, _ = split_version(full)
            for child in list(entry):
                if child.tag == f"{ARXIV_NS}doi" or (
                    child.tag == f"{ATOM}link" and child.get("title") == "doi"
                ):
                    entry.remove(child)
            text = etree.tostring(entry, encoding="UTF-8", xml_declaration=False)
            text = re.sub(re.escape(base.encode()) + rb"v\d+", _VID, text)
            text = text.replace(base.encode(), _ID)
            head, _, tail = text.rpartition(b"</entry>")
            templates.append(_Template(head + _DOI + b"</entry>" + tail, (_ID, _VID, _DOI)))
    return templates


def _feed_frame() -> tuple[bytes, bytes]:
    """The recorded feed around its entries, with markers for the opensearch figures."""
    text = (FIXTURES / ARXIV_ENTRIES[0]).read_bytes()
    head = text[: text.index(b"<entry>")].rstrip() + b"\n"
    tail = b"\n" + text[text.rindex(b"</entry>") + len(b"</entry>") :].lstrip()
    for tag in (b"totalResults", b"startIndex", b"itemsPerPage"):
        marker = b"\x00" + tag + b"\x00"
        head = re.sub(
            rb"(<opensearch:" + tag + rb"[^>]*>)\d+(<)",
            lambda m, marker=marker: m[1] + marker + m[2],
            head,
        )
    head = re.sub(rb"<link [^>]*rel=\"self\"[^>]*/>\s*", b"", head)
    head = re.sub(
        rb"<title[^>]*>.*?</title>", b'<title type="html">ArXiv Query</title>', head, flags=re.S
    )
    return head, tail


def _unpaywall_template(
    name: str, arxiv_id: str | None, pmc: str | None, *, in_pmc: bool = True
) -> tuple[str, str]:
    """The recorded DOI object as JSON text with markers, and its recorded DOI.

    With ``in_pmc`` false, the locations at PMC and Europe PMC are left out (for
    a work this world keeps out of PMC), and the best location is the first left.
    """
    data = json.loads((FIXTURES / name).read_text())
    doi = data["doi"]
    if not in_pmc:

        def at_pmc(location: Any) -> bool:
            text = json.dumps(location)
            return "ncbi.nlm.nih.gov" in text or "europepmc" in text

        data["oa_locations"] = [x for x in data.get("oa_locations") or [] if not at_pmc(x)]
        if data.get("best_oa_location") and at_pmc(data["best_oa_location"]):
            data["best_oa_location"] = (data["oa_locations"] or [None])[0]
    text = json.dumps(data, separators=(",", ":"))
    text = re.sub(re.escape(doi), "\x00DOI\x00", text, flags=re.I)
    if arxiv_id:
        text = text.replace(arxiv_id, "\x00ARXIV\x00")
    if pmc:
        text = text.replace(pmc, "\x00PMC\x00")
    return text, doi


# -- the sources that landed after the seeds ---------------------------------------------------

CROSSREF_LIST = (
    "crossref/commonmeta_works_rows_20_filter_prefix_3a10.5555_2ctype_3ajournal_article.json"
)
DATACITE_DOI = "datacite/commonmeta_10.5281_zenodo.48440.json"
DOI_RA = {
    "crossref": "doi_ra/commonmeta_ra_10.7554.json",
    "datacite": "doi_ra/commonmeta_ra_10.5061.json",
}
IDCONV = "idconv/lagotto_idconv_doi_10.1371_journal.pone.0000030.json"
EUROPEPMC = "europepmc/pyeuropepmc_search_cancer_core.json"
#: (the recorded work in PMC, the recorded work outside it), and the list around them.
OPENALEX_IN_PMC = "openalex/commonmeta_2025_work_10.1371_journal.pone.0000030.json"
OPENALEX_LIST = "openalex/commonmeta_2026_list_sample_5.json"
PUBMED = "pubmed/eutils_efetch_29915538.xml"
_PMID = "\x00PMID\x00"
_PMCN = "\x00PMCN\x00"
_WID = "\x00WID\x00"
_DOIM = "\x00DOI\x00"
_MAG = "\x00MAG\x00"


def _marked(text: str, doi: str, pmid: str | None = None, pmc: str | None = None) -> str:
    """``text`` with a recorded work's DOI (any case), PMID and PMC number as markers."""
    text = re.sub(re.escape(doi), _DOIM, text, flags=re.I)
    if pmid:
        text = re.sub(rf"(?<!\d){pmid}(?!\d)", _PMID, text)
    if pmc:
        text = re.sub(rf"(?<!\d){pmc}(?!\d)", _PMCN, text)
    return text


def _fill(text: str, doi: str, ids: tuple[str, str] | None, wid: str = "") -> str:
    """A marked template filled for one work (JSON-escaped values)."""
    pmid, pmc = ids or ("", "")
    for marker, value in ((_DOIM, doi), (_PMID, pmid), (_PMCN, pmc), (_WID, wid)):
        if marker in text:
            text = text.replace(marker, json.dumps(value)[1:-1])
    return text


class LaterSources:
    """Crossref, DataCite, doi.org's agencies, PMC's ID converter, Europe PMC, OpenAlex
    and PubMed, answering from their recorded responses with the ids of this world.

    Recorded values that would tie every answer to one real work outside this
    world are left out: Crossref's ``relation`` (other versions' DOIs), PubMed's
    ``ReferenceList`` (cited works, 20 kB an article) and OpenAlex's locations
    at other hosts. Everything else is the recorded bytes, ids rewritten.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        data = json.loads((FIXTURES / CROSSREF_LIST).read_text())
        items = [i for i in data["message"]["items"] if i.get("type") == "journal-article"]
        self.crossref_items = []
        for item in items:
            item = {k: v for k, v in item.items() if k != "relation"}
            self.crossref_items.append(_marked(json.dumps(item), item["DOI"]))
        frame = dict(data)
        frame["message"] = {k: v for k, v in data["message"].items() if k != "items"}
        self.crossref_frame = frame
        record = json.loads((FIXTURES / DATACITE_DOI).read_text())
        recorded = record["data"]["id"]
        text = json.dumps(record).replace(recorded.split("/", 1)[1], "\x00SUFFIX\x00")
        self.datacite = _marked(text, recorded)
        self.doi_ra = {k: (FIXTURES / v).read_text() for k, v in DOI_RA.items()}
        idconv = json.loads((FIXTURES / IDCONV).read_text())
        record = idconv["records"][0]
        self.idconv_frame = {k: v for k, v in idconv.items() if k != "records"}
        self.idconv_record = _marked(
            json.dumps(record), record["doi"], record["pmid"], record["pmcid"][3:]
        )
        epmc = json.loads((FIXTURES / EUROPEPMC).read_text())
        result = next(r for r in epmc["resultList"]["result"] if r.get("pmcid") and r.get("doi"))
        self.europepmc_frame = {
            k: v
            for k, v in epmc.items()
            if k not in ("resultList", "nextCursorMark", "nextPageUrl")
        }
        self.europepmc_result = _marked(
            json.dumps(result), result["doi"], result["pmid"], result["pmcid"][3:]
        )
        work = json.loads((FIXTURES / OPENALEX_IN_PMC).read_text())
        work["locations"] = [
            x
            for x in work.get("locations") or []
            if "doi.org" in json.dumps(x) or "ncbi" in json.dumps(x)
        ]
        self.openalex_in_pmc = self._openalex(work, "17183658", "1762313")
        listed = json.loads((FIXTURES / OPENALEX_LIST).read_text())
        outside = next(
            w for w in listed["results"] if (w.get("doi") or "").endswith("landusepol.2004.08.009")
        )
        self.openalex_outside = self._openalex(outside, None, None)
        self.openalex_frame = {k: v for k, v in listed.items() if k != "results"}
        xml = (FIXTURES / PUBMED).read_text()
        head, rest = xml.split("<PubmedArticle>", 1)
        article, tail = rest.rsplit("</PubmedArticle>", 1)
        article = re.sub(r"<ReferenceList>.*?</ReferenceList>", "", article, flags=re.S)
        self.pubmed_head = head
        self.pubmed_tail = tail
        self.pubmed_article = _marked(
            "<PubmedArticle>" + article + "</PubmedArticle>",
            "10.3389/fphar.2018.00576",
            "29915538",
            "5994433",
        )

    @staticmethod
    def _openalex(work: dict[str, Any], pmid: str | None, pmc: str | None) -> str:
        wid = work["id"].rsplit("/", 1)[1]
        doi = work["doi"].split("doi.org/", 1)[1]
        text = json.dumps(work).replace(wid, _WID).replace(wid[1:], _MAG)
        return _marked(text, doi, pmid, pmc)

    # -- which work ----------------------------------------------------------------------

    def work_of(self, scheme: str, value: str) -> tuple[str, tuple[str, str] | None] | None:
        """``(DOI, (PMID, PMC number) or None)`` of the work an id names, None if unknown."""
        world = self.world
        if scheme == "doi":
            doi = value.strip().lower()
            if not world.doi_found(doi):
                return None
            return doi, world.doi_ids(doi)
        if scheme == "pmid":
            doi = world.pmid_doi(value)
        else:
            doi = world.pmc_doi(value.upper().removeprefix("PMC").split(".")[0])
        ids = world.doi_ids(doi)
        if ids is None or (scheme == "pmid" and ids[0] != value):
            return None
        return doi, ids

    # -- answers ----------------------------------------------------------------------------

    def crossref(self, doi: str) -> str:
        items = self.crossref_items
        return _fill(items[int(unit("crossref-template", doi) * len(items))], doi, None)

    async def crossref_works(self, request: Any) -> tuple[int, bytes, str, int]:
        query = request.query
        rows = int(query.get("rows", "20") or 20)
        asked = [
            t.strip()[4:].lower()
            for t in query.get("filter", "").split(",")
            if t.strip().startswith("doi:")
        ]
        found = [d for d in asked if self.world.doi_found(d) and not self.world.is_datacite(d)]
        message = dict(self.crossref_frame["message"], **{"total-results": len(found)})
        message["items-per-page"] = rows
        message["items"] = "\x00ITEMS\x00"
        frame = dict(self.crossref_frame, message=message)
        text = json.dumps(frame).replace(
            '"\\u0000ITEMS\\u0000"', "[" + ",".join(self.crossref(d) for d in found[:rows]) + "]"
        )
        return 200, text.encode(), "application/json", len(found)

    async def crossref_work(self, request: Any) -> tuple[int, bytes, str, int]:
        doi = request.match_info["doi"].lower()
        if not self.world.doi_found(doi) or self.world.is_datacite(doi):
            return 404, b"Resource not found.", "text/plain", 0
        frame = {k: v for k, v in self.crossref_frame.items() if k != "message"}
        frame["message-type"] = "work"
        text = json.dumps(frame)[:-1] + ',"message":' + self.crossref(doi) + "}"
        return 200, text.encode(), "application/json", 1

    async def datacite_doi(self, request: Any) -> tuple[int, bytes, str, int]:
        doi = request.match_info["doi"].lower()
        if not self.world.is_datacite(doi) or not self.world.doi_found(doi):
            body = {
                "errors": [
                    {"status": "404", "title": "The resource you are looking for doesn't exist."}
                ]
            }
            return 404, json.dumps(body).encode(), "application/json", 0
        text = _fill(self.datacite, doi, None).replace("\x00SUFFIX\x00", doi.split("/", 1)[1])
        return 200, text.encode(), "application/json", 1

    async def registration_agency(self, request: Any) -> tuple[int, bytes, str, int]:
        prefix = request.match_info["prefix"]
        kind = "datacite" if self.world.is_datacite(prefix + "/") else "crossref"
        text = self.doi_ra[kind]
        recorded = json.loads(text)[0]["DOI"]
        return 200, text.replace(recorded, prefix).encode(), "application/json", 0

    async def idconv(self, request: Any) -> tuple[int, bytes, str, int]:
        query = request.query
        scheme = query.get("idtype", "")
        asked = [i.strip() for i in query.get("ids", "").split(",") if i.strip()]
        records = []
        for value in asked:
            work = self.work_of(scheme, value)
            if work is not None and work[1] is not None:
                records.append(_fill(self.idconv_record, work[0], work[1]))
        frame = json.dumps(self.idconv_frame)[:-1]
        text = frame + ',"records":[' + ",".join(records) + "]}"
        return 200, text.encode(), "application/json", len(records)

    _TERM = re.compile(r'EXT_ID:(\d+) AND SRC:MED|PMCID:(PMC\d+)|DOI:"((?:[^"\\]|\\.)*)"')

    async def europepmc(self, request: Any) -> tuple[int, bytes, str, int]:
        params = dict(request.query)
        if request.method == "POST":
            params.update(await request.post())
        results = []
        for pmid, pmcid, doi in self._TERM.findall(str(params.get("query", ""))):
            if pmid:
                work = self.work_of("pmid", pmid)
            elif pmcid:
                work = self.work_of("pmcid", pmcid)
            else:
                work = self.work_of("doi", re.sub(r"\\(.)", r"\1", doi))
            if work is not None and work[1] is not None:
                results.append(_fill(self.europepmc_result, work[0], work[1]))
        frame = dict(self.europepmc_frame, hitCount=len(results))
        text = json.dumps(frame)[:-1] + ',"resultList":{"result":[' + ",".join(results) + "]}}"
        return 200, text.encode(), "application/json", len(results)

    def openalex_work(self, doi: str, ids: tuple[str, str] | None) -> str:
        wid = str(7_000_000_000 + int(unit("openalex", doi) * 999_999_999))
        template = self.openalex_in_pmc if ids else self.openalex_outside
        return _fill(template, doi, ids, "W" + wid).replace(_MAG, wid)

    async def openalex_list(self, request: Any) -> tuple[int, bytes, str, int]:
        scheme, _, values = request.query.get("filter", "").partition(":")
        results = []
        for value in values.split("|"):
            value = value.strip().removeprefix("https://doi.org/")
            value = value.removeprefix("https://pubmed.ncbi.nlm.nih.gov/")
            if scheme == "pmcid" and not value.upper().startswith("PMC"):
                value = "PMC" + value
            work = self.work_of(scheme, value) if scheme in ("doi", "pmid", "pmcid") else None
            if work is not None:
                results.append(self.openalex_work(*work))
        meta = dict(self.openalex_frame["meta"], count=len(results))
        meta["per_page"] = int(request.query.get("per_page", "25") or 25)
        frame = dict(self.openalex_frame, meta=meta)
        text = json.dumps(frame)[:-1] + ',"results":[' + ",".join(results) + "]}"
        return 200, text.encode(), "application/json", len(results)

    async def openalex_single(self, request: Any) -> tuple[int, bytes, str, int]:
        key = request.match_info["key"]
        scheme, _, value = key.partition(":")
        work = self.work_of(scheme, value) if scheme in ("doi", "pmid", "pmcid") else None
        if work is None:
            return 404, b"<html><body>Not found</body></html>", "text/html", 0
        return 200, self.openalex_work(*work).encode(), "application/json", 1

    async def pubmed(self, request: Any) -> tuple[int, bytes, str, int]:
        params = dict(request.query)
        if request.method == "POST":
            params.update(await request.post())
        articles = []
        for pmid in str(params.get("id", "")).split(","):
            work = self.work_of("pmid", pmid.strip())
            if work is not None and work[1] is not None:
                articles.append(_fill(self.pubmed_article, work[0], work[1]))
        text = self.pubmed_head + "".join(articles) + self.pubmed_tail
        return 200, text.encode(), "text/xml", len(articles)


# -- the server ----------------------------------------------------------------------------


@dataclass
class Limits:
    """A service's latency and enforced rate limits."""

    latency: float
    interval: float = 0.0
    concurrency: int = 0  # 0: no limit
    per_entry: float = 0.0


@dataclass
class ServiceStats:
    requests: int = 0
    violations: int = 0
    too_early: int = 0
    too_many: int = 0
    statuses: Counter = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    min_gap: float | None = None
    first_arrival: float | None = None
    last_arrival: float | None = None
    last_done: float | None = None
    ids_asked: int = 0
    entries_served: int = 0
    #: (arrival, done, status) of every request, sent only when asked (``/_stats?trace=1``).
    trace: list[tuple[float, float, int]] = field(default_factory=list)

    def as_json(self, trace: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not trace:
            del data["trace"]
        data["statuses"] = {str(k): v for k, v in sorted(self.statuses.items())}
        return data


class Upstream:
    """The three services, their rules and their counters."""

    def __init__(
        self,
        world: World,
        limits: dict[str, Limits],
        *,
        tolerance: float = 0.05,
        oab_alive: bool = False,
    ) -> None:
        self.world = world
        self.limits = limits
        self.tolerance = tolerance
        self.oab_alive = oab_alive
        self.stats = {name: ServiceStats() for name in limits}
        self.entries = _arxiv_entry_templates()
        self.feed_head, self.feed_tail = _feed_frame()
        self.head_template = _Template(
            self.feed_head,
            (b"\x00totalResults\x00", b"\x00startIndex\x00", b"\x00itemsPerPage\x00"),
        )
        self.error_feed = (FIXTURES / ARXIV_ERROR).read_bytes()
        self.search_feed = (FIXTURES / ARXIV_SEARCH).read_bytes()
        # (arXiv copy, in PMC) -> templates.
        self.unpaywall_pools = {
            (arxiv, in_pmc): [
                _unpaywall_template(*t, in_pmc=in_pmc)
                for t in (UNPAYWALL_WITH_ARXIV if arxiv else UNPAYWALL_WITHOUT_ARXIV)
                if t[2] or not in_pmc
            ]
            for arxiv in (True, False)
            for in_pmc in (True, False)
        }
        self.not_found = json.loads((FIXTURES / UNPAYWALL_404).read_text())
        self.unpaywall_search = (FIXTURES / UNPAYWALL_SEARCH).read_bytes()
        self.oab_find = json.loads((FIXTURES / OAB_FIND).read_text())
        self.later = LaterSources(world)

    # -- politeness ---------------------------------------------------------------------

    def admit(self, service: str) -> tuple[float, str | None]:
        """Count an arrival; the time, and a reason when it breaks the service's limits."""
        now = time.monotonic()
        stats, limits = self.stats[service], self.limits[service]
        stats.requests += 1
        if stats.first_arrival is None:
            stats.first_arrival = now
        reason = None
        if stats.last_arrival is not None:
            gap = now - stats.last_arrival
            stats.min_gap = gap if stats.min_gap is None else min(stats.min_gap, gap)
            if limits.interval and gap < limits.interval - self.tolerance:
                stats.too_early += 1
                reason = (
                    f"{gap:.3f} s after the previous request; the limit is {limits.interval:g} s"
                )
        stats.last_arrival = now
        if reason is None and limits.concurrency and stats.in_flight >= limits.concurrency:
            stats.too_many += 1
            reason = (
                f"{stats.in_flight} requests already in flight; the limit is {limits.concurrency}"
            )
        if reason is not None:
            stats.violations += 1
        return now, reason

    async def handle(self, service: str, request: Any, answer: Any) -> Any:
        """Admit, answer (after the service's latency) and count one request."""
        from aiohttp import web

        arrival, reason = self.admit(service)
        stats = self.stats[service]
        if reason is not None:
            limits = self.limits[service]
            wait = max(1, math.ceil(limits.interval)) if limits.interval else 1
            stats.statuses[429] += 1
            stats.trace.append((arrival, arrival, 429))
            return web.json_response(
                {"HTTP_status_code": 429, "error": True, "message": f"Too many requests: {reason}"},
                status=429,
                headers={"Retry-After": str(wait)},
            )
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            status, body, content_type, entries = await answer(request)
            latency = self.limits[service].latency + self.limits[service].per_entry * entries
            delay = arrival + latency - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        finally:
            stats.in_flight -= 1
            stats.last_done = time.monotonic()
        stats.statuses[status] += 1
        stats.entries_served += entries
        stats.trace.append((arrival, stats.last_done, status))
        return web.Response(
            body=body,
            status=status,
            content_type=content_type,
            charset="utf-8",
            headers=HEADERS.get(service),
        )

    # -- arXiv --------------------------------------------------------------------------

    async def arxiv(self, request: Any) -> tuple[int, bytes, str, int]:
        params = dict(request.query)
        if request.method == "POST":
            params.update(await request.post())
        atom = "application/atom+xml"
        id_list = [i.strip() for i in str(params.get("id_list", "")).split(",") if i.strip()]
        if not id_list:
            if params.get("search_query"):
                return 200, self.search_feed, atom, 0
            return 200, self.feed([], 0, 0, 10), atom, 0
        self.stats["arxiv"].ids_asked += len(id_list)
        asked: list[tuple[str, int | None]] = []
        for text in dict.fromkeys(id_list):
            parsed = split_version(text)
            if parsed is None:
                return 400, self.error_feed.replace(b"1234.12345", escape(text).encode()), atom, 0
            asked.append(parsed)
        try:
            start = max(0, int(params.get("start", 0)))
            size = max(0, int(params.get("max_results", 10)))
        except ValueError:
            return 400, self.error_feed, atom, 0
        found = [(base, v) for base, v in asked if self.world.arxiv_found(base)]
        page = found[start : start + size]
        return 200, self.feed(page, len(found), start, size), atom, len(page)

    def feed(self, page: list[tuple[str, int | None]], total: int, start: int, size: int) -> bytes:
        parts = [
            self.head_template.fill(
                {
                    b"\x00totalResults\x00": str(total).encode(),
                    b"\x00startIndex\x00": str(start).encode(),
                    b"\x00itemsPerPage\x00": str(size).encode(),
                }
            )
        ]
        for base, version in page:
            template = self.entries[int(unit("entry", base) * len(self.entries))]
            doi = self.world.arxiv_doi(base)
            doi_xml = b""
            if doi:
                d = escape(doi).encode()
                doi_xml = (
                    b'<arxiv:doi xmlns:arxiv="http://arxiv.org/schemas/atom">' + d + b"</arxiv:doi>"
                    b'<link title="doi" href="http://dx.doi.org/' + d + b'" rel="related"/>'
                )
            b = base.encode()
            parts.append(template.fill({_ID: b, _VID: b + b"v%d" % (version or 1), _DOI: doi_xml}))
            parts.append(b"\n")
        parts.append(self.feed_tail)
        return b"".join(parts)

    # -- Unpaywall ----------------------------------------------------------------------

    async def unpaywall(self, request: Any) -> tuple[int, bytes, str, int]:
        email = request.query.get("email", "")
        if "@" not in email:
            body = {
                "HTTP_status_code": 422,
                "error": True,
                "message": "You must provide a valid email address, like ?email=you@example.com",
            }
            return 422, json.dumps(body).encode(), "application/json", 0
        doi = request.match_info["doi"].strip().lower()
        if doi == "search":
            return 200, self.unpaywall_search, "application/json", 0
        if not self.world.doi_found(doi):
            body = dict(self.not_found)
            body["message"] = body["message"].replace("10.000/doi1", doi)
            return 404, json.dumps(body, indent=4).encode(), "application/json", 0
        arxiv_id = self.world.doi_arxiv(doi)
        pmc = self.world.doi_ids(doi)
        pool = self.unpaywall_pools[(arxiv_id is not None, pmc is not None)]
        text, _ = pool[int(unit("doi-template", doi) * len(pool))]
        for marker, value in (
            ("\x00DOI\x00", doi),
            ("\x00ARXIV\x00", arxiv_id or ""),
            ("\x00PMC\x00", pmc[1] if pmc else ""),
        ):
            text = text.replace(marker, json.dumps(value)[1:-1])
        return 200, text.encode(), "application/json", 0

    # -- Open Access Button ---------------------------------------------------------------

    async def oab(self, request: Any) -> tuple[int, bytes, str, int]:
        if not self.oab_alive:
            return 410, json.dumps(OAB_GONE).encode(), "application/json", 0
        answer = copy.deepcopy(self.oab_find)
        asked = request.query.get("id", "")
        if asked.startswith("10."):
            answer["metadata"]["doi"] = asked
        if request.path.endswith("/metadata"):
            answer = {"metadata": answer["metadata"]}
        return 200, json.dumps(answer).encode(), "application/json", 0

    # -- the application ----------------------------------------------------------------

    def app(self) -> Any:
        from aiohttp import web

        def route(service: str, answer: Any) -> Any:
            async def handler(request: web.Request) -> web.StreamResponse:
                return await self.handle(service, request, answer)

            return handler

        async def stats(request: web.Request) -> web.StreamResponse:
            return web.json_response(
                {
                    "now": time.monotonic(),
                    "services": {
                        k: v.as_json(trace=request.query.get("trace") == "1")
                        for k, v in self.stats.items()
                    },
                    "limits": {k: asdict(v) for k, v in self.limits.items()},
                    "tolerance": self.tolerance,
                }
            )

        async def reset(request: web.Request) -> web.StreamResponse:
            self.stats = {name: ServiceStats() for name in self.limits}
            return web.json_response({"reset": True})

        # Id lists of 2,000 (or, from the arxiv package, 10,000) ids go in the URL or body.
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("GET", "/api/query", route("arxiv", self.arxiv))
        app.router.add_route("POST", "/api/query", route("arxiv", self.arxiv))
        app.router.add_route("GET", "/v2/{doi:.+}", route("unpaywall", self.unpaywall))
        app.router.add_route("GET", "/find", route("oab", self.oab))
        app.router.add_route("GET", "/metadata", route("oab", self.oab))
        app.router.add_route("POST", "/metadata", route("oab", self.oab))
        later = self.later
        for method, path, service, answer in (
            ("GET", "/crossref/works", "crossref", later.crossref_works),
            ("GET", "/crossref/works/{doi:.+}", "crossref", later.crossref_work),
            ("GET", "/datacite/dois/{doi:.+}", "datacite", later.datacite_doi),
            ("GET", "/doi/ra/{prefix:.+}", "doi", later.registration_agency),
            ("GET", "/idconv/tools/idconv/api/v1/articles/", "idconv", later.idconv),
            ("GET", "/europepmc/webservices/rest/search", "europepmc", later.europepmc),
            ("POST", "/europepmc/webservices/rest/searchPOST", "europepmc", later.europepmc),
            ("GET", "/openalex/works", "openalex", later.openalex_list),
            ("GET", "/openalex/works/{key:.+}", "openalex", later.openalex_single),
            ("GET", "/pubmed/entrez/eutils/efetch.fcgi", "pubmed", later.pubmed),
            ("POST", "/pubmed/entrez/eutils/efetch.fcgi", "pubmed", later.pubmed),
        ):
            if service in self.limits:
                app.router.add_route(method, path, route(service, answer))
        app.router.add_route("GET", "/_stats", stats)
        app.router.add_route("POST", "/_reset", reset)
        return app


async def serve(upstream: Upstream, host: str, port: int) -> None:
    from aiohttp import web

    runner = web.AppRunner(
        upstream.app(),
        access_log=None,
        # The arxiv package puts a whole id list (10,000 ids: 110 kB) in every URL.
        max_line_size=1024 * 1024,
        max_field_size=1024 * 1024,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024)
    await site.start()
    bound = runner.addresses[0]
    print(json.dumps({"url": f"http://{bound[0]}:{bound[1]}"}), flush=True)
    await asyncio.Event().wait()


# -- command line and subprocess -------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    """A service's limits: what it documents (enforced here) and paperfuse's default pace."""

    interval: float  # documented: seconds between requests (0: none)
    concurrency: int  # documented: requests in flight (0: none)
    client_interval: float  # paperfuse's default (with a contact email, no API key)
    client_concurrency: int
    batch: int  # ids per request paperfuse asks at most
    source: str  # where the documented figure comes from


#: Every service, its documented limits (the server enforces them) and paperfuse's
#: defaults (the pace the bound assumes; never faster than the documented figure).
#: Where a service publishes no figure, paperfuse's own is enforced, and says so.
SERVICES: dict[str, Service] = {
    "arxiv": Service(
        3.0,
        1,
        3.0,
        1,
        2_000,
        "arXiv API Terms of Use: one request every"
        " three seconds, a single connection at a time (docs/sources.md)",
    ),
    "unpaywall": Service(
        0.0,
        4,
        0.0,
        4,
        1,
        "none published beyond 100,000 calls a day;"
        " paperfuse's 4 at a time enforced (docs/sources.md)",
    ),
    "oab": Service(
        1.0,
        1,
        1.0,
        1,
        1,
        "one request per second, one at a time (docs/sources.md); answers 410 since November 2025",
    ),
    "crossref": Service(
        0.1,
        3,
        0.1,
        3,
        40,
        "polite pool (mailto) 10 requests/s, 3 at a time"
        " since 2025-12 (design.md, docs/sources.md)",
    ),
    "datacite": Service(
        0.3,
        3,
        0.3,
        3,
        1,
        "1,000 requests per 5 minutes for an identified"
        " client, i.e. one every 0.3 s; no concurrency figure, paperfuse's 3",
    ),
    "doi": Service(
        0.1,
        2,
        0.1,
        2,
        1,
        "doi.org /ra/: none published; paperfuse's one every 0.1 s, 2 at a time enforced",
    ),
    "idconv": Service(
        1 / 3,
        1,
        0.34,
        1,
        200,
        "NCBI: 3 requests/s without an API key (docs/sources.md); one at a time is paperfuse's",
    ),
    "pubmed": Service(
        1 / 3,
        1,
        0.34,
        1,
        200,
        "NCBI E-utilities: 3 requests/s without an API"
        " key (design.md, docs/sources.md); one at a time is paperfuse's",
    ),
    "europepmc": Service(
        0.1,
        3,
        0.1,
        3,
        200,
        "none published ('reasonable use'); paperfuse's one every 0.1 s, 3 at a time enforced",
    ),
    "openalex": Service(
        0.01,
        4,
        0.02,
        4,
        100,
        "100 requests/s whatever they cost (docs/sources.md); no concurrency figure, paperfuse's 4",
    ),
}
#: Headers a service sends with every answer (Crossref's rate-limit headers).
HEADERS = {"crossref": {"x-rate-limit-limit": "10", "x-rate-limit-interval": "1s"}}
#: The default latency of each service (seconds; arXiv also 0.1 ms per entry served).
DEFAULT_LATENCY = {"arxiv": 0.3}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--tolerance", type=float, default=0.05, help="seconds of jitter allowed")
    p.add_argument("--latency", type=float, default=None, help="every service's latency (seconds)")
    p.add_argument("--arxiv-latency-per-entry", type=float, default=0.0001)
    for name, service in SERVICES.items():
        p.add_argument(f"--{name}-latency", type=float, default=None)
        p.add_argument(f"--{name}-interval", type=float, default=service.interval)
        p.add_argument(f"--{name}-concurrency", type=int, default=service.concurrency)
    p.add_argument("--only-seeds", action="store_true", help="arXiv, Unpaywall and OAB only")
    p.add_argument("--oab-alive", action="store_true", help="answer /find instead of 410")
    p.add_argument("--arxiv-doi-fraction", type=float, default=0.3)
    p.add_argument("--arxiv-missing-fraction", type=float, default=0.0)
    p.add_argument("--arxiv-missing", default="", help="comma-separated ids left out")
    p.add_argument("--unpaywall-arxiv-fraction", type=float, default=0.3)
    p.add_argument("--unpaywall-missing-fraction", type=float, default=0.0)
    p.add_argument("--pmc-fraction", type=float, default=0.5)
    return p


def latency(args: argparse.Namespace, name: str) -> float:
    """The latency of service ``name`` under ``args``."""
    own = getattr(args, f"{name}_latency")
    if own is not None:
        return own
    if args.latency is not None:
        return args.latency
    return DEFAULT_LATENCY.get(name, 0.05)


def services(args: argparse.Namespace) -> list[str]:
    seeds = ("arxiv", "unpaywall", "oab")
    return [s for s in SERVICES if s in seeds or not args.only_seeds]


def limits_from_args(args: argparse.Namespace) -> dict[str, Limits]:
    return {
        name: Limits(
            latency(args, name),
            getattr(args, f"{name}_interval"),
            getattr(args, f"{name}_concurrency"),
            args.arxiv_latency_per_entry if name == "arxiv" else 0.0,
        )
        for name in services(args)
    }


def from_args(args: argparse.Namespace) -> Upstream:
    world = _world(args)
    limits = limits_from_args(args)
    return Upstream(world, limits, tolerance=args.tolerance, oab_alive=args.oab_alive)


def _world(args: argparse.Namespace) -> World:
    return World(
        arxiv_doi_fraction=args.arxiv_doi_fraction,
        arxiv_missing_fraction=args.arxiv_missing_fraction,
        arxiv_missing=frozenset(i for i in args.arxiv_missing.split(",") if i),
        unpaywall_arxiv_fraction=args.unpaywall_arxiv_fraction,
        unpaywall_missing_fraction=args.unpaywall_missing_fraction,
        pmc_fraction=args.pmc_fraction,
    )


def world_from_args(argv: list[str]) -> World:
    """The :class:`World` a server started with ``argv`` uses."""
    return _world(parser().parse_args(argv))


class Server:
    """The simulated upstream in a subprocess; a context manager."""

    def __init__(self, argv: list[str] = ()) -> None:
        self.argv = ["--port", "0", *argv]
        self.args = parser().parse_args(self.argv)
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), *self.argv],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()  # written once the port listens
        if not line:
            raise RuntimeError(f"the simulated upstream did not start (exit {self.process.wait()})")
        self.url = json.loads(line)["url"]
        self.stats()  # and answers
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def _call(self, method: str, path: str) -> Any:
        request = urllib.request.Request(
            self.url + path, method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def stats(self, trace: bool = False) -> dict[str, Any]:
        return self._call("GET", "/_stats?trace=1" if trace else "/_stats")

    def reset(self) -> None:
        self._call("POST", "/_reset")


def start(argv: list[str] = ()) -> Server:
    """A :class:`Server` (use it with ``with``) running with the command-line ``argv``."""
    return Server(list(argv))


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(from_args(args), args.host, args.port))


if __name__ == "__main__":
    main()
