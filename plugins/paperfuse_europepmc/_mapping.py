"""One Europe PMC search result (``resultType=core``) as a partial paperfuse record.

Every documented field is read, none is trusted to be there or to have the
documented type: a value this mapping cannot use costs only its field (or its
one author, heading or link), never the record. What it keeps is always
something the cache and the output can encode: no integer beyond 64 bits, no
date no calendar has, no nesting without end.

Open access: Europe PMC says whether it holds the full text (``inEPMC``), whether
PMC does (``inPMC``), whether the article is open access (``isOpenAccess``) and
under which licence (``license``), and lists full-text links
(``fullTextUrlList``) with an availability code (``OA`` open access, ``F`` free,
``S`` subscription...). A Europe PMC or PMC copy is a repository copy of the
published version; the publisher's free copy (a DOI link coded ``OA`` or ``F``)
is a publisher location. Each location's ``evidence`` says which flag made it.
"""

from __future__ import annotations

import calendar
import re
from typing import Any

from paperfuse import Author, Ids, OALocation, Work, identify, plausible_year, storable

from ._markup import markup_text

__all__ = ["result_to_record"]

#: Most entries read from one list (authors, headings, links...).
_MAX_ENTRIES = 2_000
_PMID = re.compile(r"^[1-9][0-9]{0,9}$")
_PMCID = re.compile(r"^PMC[0-9]{1,10}$")
_BARE_DOI = re.compile(r"^10\.[0-9]{4,9}/\S+$")
_ORCID = re.compile(r"([0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X])$")
_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_DATE_TEXT = re.compile(r"^\s*([0-9]{4})(?:\s+([A-Za-z]{3})[A-Za-z]*\.?(?:\s+([0-9]{1,2}))?)?\b")
_ISO_DATE = re.compile(r"^\s*([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?\s*$")
#: Europe PMC's ``source`` of a record -> paperfuse's (Crossref's) work type.
_TYPES = {"MED": "journal-article", "PMC": "journal-article", "PPR": "posted-content"}
#: Availability codes of a full-text link that say it can be read free of charge.
_FREE_CODES = {"OA": "open access", "F": "free"}
_COUNTS = range(0, 2**63)


# -- values ---------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A string with its markup dropped and whitespace collapsed; None for anything else."""
    return markup_text(value)


def _number_text(value: Any) -> str | None:
    """A volume, issue or similar: text, or a sane whole number written as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if 0 <= value < 10**9 else None
    return _text(value)


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if value in _COUNTS else None


def _yes(value: Any) -> bool | None:
    """Europe PMC's ``"Y"`` / ``"N"`` flags; None for anything else."""
    if value in ("Y", "y"):
        return True
    if value in ("N", "n"):
        return False
    return None


def _list(data: Any, outer: str, inner: str) -> list[Any]:
    """``data[outer][inner]`` when it is a list (Europe PMC wraps every list), else []."""
    wrapper = data.get(outer) if isinstance(data, dict) else None
    value = wrapper.get(inner) if isinstance(wrapper, dict) else None
    return value[:_MAX_ENTRIES] if isinstance(value, list) else []


def _texts(values: list[Any]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in map(_text, values) if t))


def _date(year: int | None, month: int | None, day: int | None) -> str | None:
    """An ISO date as precise as valid: a month or day no calendar has ends it before."""
    if year is None:
        return None
    if month is None or not 1 <= month <= 12:
        return f"{year:04d}"
    if day is None or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def _iso_date(value: Any) -> str | None:
    """``2025-07-01`` (or ``2025-07``, ``2025``) as a date; None when it is none."""
    match = _ISO_DATE.match(value) if isinstance(value, str) and len(value) < 40 else None
    if not match:
        return None
    year = plausible_year(match.group(1))
    month, day = (int(g) if g else None for g in match.groups()[1:])
    return _date(year, month, day)


def _text_date(value: Any) -> str | None:
    """PubMed's ``dateOfPublication`` (``2025 Jul``, ``2010 Jun 1``, ``2025``) as a date."""
    match = _DATE_TEXT.match(value) if isinstance(value, str) and len(value) < 60 else None
    if not match:
        return None
    year = plausible_year(match.group(1))
    month = _MONTHS.get(match.group(2).lower()) if match.group(2) else None
    day = int(match.group(3)) if match.group(3) else None
    return _date(year, month, day)


def _published(data: dict[str, Any], journal: dict[str, Any]) -> str | None:
    """The publication date as precisely as Europe PMC knows it.

    ``dateOfPublication`` says how precise the date is ("2025 Jul");
    ``printPublicationDate`` fills in a day it does not know ("2025-07-01"), so it
    is used only when the text is missing or unreadable.
    """
    given = journal.get("dateOfPublication")
    text = _iso_date(given) or _text_date(given)
    if text:
        return text
    for value in (
        _iso_date(journal.get("printPublicationDate")),
        _iso_date(data.get("electronicPublicationDate")),
        _iso_date(data.get("firstPublicationDate")),
    ):
        if value:
            return value
    year = plausible_year(journal.get("yearOfPublication")) or plausible_year(data.get("pubYear"))
    return f"{year:04d}" if year else None


# -- identifiers ----------------------------------------------------------------------------


def _pmid(value: Any) -> str | None:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    return text.strip() if isinstance(text, str) and _PMID.match(text.strip()) else None


def _pmcid(value: Any) -> str | None:
    text = value.strip().upper() if isinstance(value, str) else None
    return text if text and _PMCID.match(text) else None


def _doi(value: Any) -> str | None:
    """A DOI as paperfuse keeps it (lower case, no resolver prefix), or None."""
    text = _text(value)
    if not text or len(text) > 1_000:
        return None
    found = identify(text)
    doi = next((i.value for i in found.identifiers if i.scheme == "doi"), None)
    if doi is None and _BARE_DOI.match(text):
        doi = text.lower()
    return doi


def _ids(data: dict[str, Any]) -> Ids:
    source = data.get("source")
    pmid = _pmid(data.get("pmid"))
    if pmid is None and source == "MED":
        pmid = _pmid(data.get("id"))
    other: dict[str, str] = {}
    if isinstance(source, str) and source != "MED":
        epmc_id = _text(data.get("id"))
        if epmc_id and len(epmc_id) < 100 and len(source) < 20:
            other["europepmc"] = f"{source}/{epmc_id}"
    return Ids(pmid=pmid, pmcid=_pmcid(data.get("pmcid")), doi=_doi(data.get("doi")), other=other)


# -- people ---------------------------------------------------------------------------------


def _orcid(data: dict[str, Any]) -> str | None:
    entry = data.get("authorId")
    if not isinstance(entry, dict) or entry.get("type") != "ORCID":
        return None
    value = entry.get("value")
    match = _ORCID.search(value.strip().upper()) if isinstance(value, str) else None
    return f"https://orcid.org/{match.group(1)}" if match else None


def _author(data: Any, sequence: str) -> Author | None:
    """One author; a ``collectiveName`` is an organisation, named without a split."""
    if not isinstance(data, dict):
        return None
    affiliations = _texts(
        [
            a.get("affiliation")
            for a in _list(data, "authorAffiliationDetailsList", "authorAffiliation")
            if isinstance(a, dict)
        ]
    )
    collective = _text(data.get("collectiveName"))
    given, family = _text(data.get("firstName")), _text(data.get("lastName"))
    if collective and not family:
        return Author(name=collective, affiliations=affiliations, sequence=sequence)
    if not given and not family:
        full = _text(data.get("fullName"))
        if not full:
            return None
        return Author(name=full, orcid=_orcid(data), affiliations=affiliations, sequence=sequence)
    if not given:
        given = _text(data.get("initials"))
    return Author(
        name=" ".join(p for p in (given, family) if p),
        given=given,
        family=family,
        orcid=_orcid(data),
        affiliations=affiliations,
        sequence=sequence,
    )


def _authors(data: dict[str, Any]) -> tuple[Author, ...]:
    found: list[Author] = []
    for entry in _list(data, "authorList", "author"):
        author = _author(entry, "first" if not found else "additional")
        if author is not None:
            found.append(author)
    return tuple(found)


# -- journal --------------------------------------------------------------------------------


def _split(value: Any) -> list[str]:
    """A lite answer's ``;``-separated list (``"0008-5472; 1538-7445; "``)."""
    return value.split(";")[:_MAX_ENTRIES] if isinstance(value, str) else []


def _issns(data: dict[str, Any], journal: dict[str, Any]) -> tuple[str, ...]:
    """The print and electronic ISSNs (a lite answer's ``journalIssn`` when no journal)."""
    info = journal.get("journal")
    if isinstance(info, dict):
        return _texts([info.get("issn"), info.get("essn")])
    return _texts(_split(data.get("journalIssn")))


def _journal_text(journal: dict[str, Any], key: str) -> str | None:
    info = journal.get("journal")
    return _text(info.get(key)) if isinstance(info, dict) else None


# -- subjects -------------------------------------------------------------------------------


def _mesh(data: dict[str, Any]) -> tuple[str, ...]:
    """MeSH descriptors, a major topic marked ``*`` as PubMed does, with qualifiers."""
    found: list[str] = []
    for heading in _list(data, "meshHeadingList", "meshHeading"):
        if not isinstance(heading, dict):
            continue
        descriptor = _text(heading.get("descriptorName"))
        if not descriptor:
            continue
        qualifiers = [
            _text(q.get("qualifierName"))
            for q in _list(heading, "meshQualifierList", "meshQualifier")
            if isinstance(q, dict)
        ]
        named = [q for q in qualifiers if q]
        found.append("/".join([descriptor, *named]) if named else descriptor)
    return tuple(dict.fromkeys(found))


# -- open access ----------------------------------------------------------------------------


def _licence(value: Any) -> str | None:
    """Europe PMC's licence words (``cc by-nc-nd``) in the usual form (``cc-by-nc-nd``)."""
    text = _text(value)
    if not text or len(text) > 200:
        return None
    return "-".join(text.lower().split())


def _free_links(data: dict[str, Any]) -> list[dict[str, str]]:
    links: list[dict[str, str]] = []
    for entry in _list(data, "fullTextUrlList", "fullTextUrl"):
        if not isinstance(entry, dict):
            continue
        url = _text(entry.get("url"))
        code = entry.get("availabilityCode")
        code = code if isinstance(code, str) else ""
        if not url or not url.startswith(("https://", "http://")) or code not in _FREE_CODES:
            continue
        links.append(
            {
                "url": url,
                "code": code,
                "site": _text(entry.get("site")) or "",
                "style": _text(entry.get("documentStyle")) or "",
            }
        )
    return links


def _oa_locations(data: dict[str, Any], ids: Ids) -> tuple[OALocation, ...]:
    """Free full text: the Europe PMC / PMC copy (a repository), the publisher's free copy."""
    licence = _licence(data.get("license"))
    is_oa, in_epmc, in_pmc = (_yes(data.get(k)) for k in ("isOpenAccess", "inEPMC", "inPMC"))
    links = _free_links(data)
    locations: list[OALocation] = []
    epmc = [link for link in links if link["site"] in ("Europe_PMC", "PubMedCentral")]
    if epmc or ((in_epmc or in_pmc) and ids.pmcid):
        html_url = next((x["url"] for x in epmc if x["style"] == "html"), None)
        pdf_url = next((x["url"] for x in epmc if x["style"] == "pdf"), None)
        landing = html_url or (f"https://europepmc.org/articles/{ids.pmcid}" if ids.pmcid else None)
        url = landing or pdf_url
        if url:
            flags = [
                f"{name}={'Y' if flag else 'N'}"
                for name, flag in (("isOpenAccess", is_oa), ("inEPMC", in_epmc), ("inPMC", in_pmc))
                if flag is not None
            ]
            codes = sorted({x["code"] for x in epmc})
            evidence = "europepmc: " + ", ".join(
                [*flags, *(f"availabilityCode={c}" for c in codes)]
            )
            locations.append(
                OALocation(
                    url=url,
                    url_for_pdf=pdf_url,
                    url_for_landing_page=landing,
                    host_type="repository",
                    version="publishedVersion",
                    license=licence,
                    evidence=evidence,
                    pmh_id=f"oai:europepmc.org:{ids.pmcid}" if ids.pmcid else None,
                    repository_institution="Europe PMC",
                )
            )
    for link in links:
        if link["site"] != "DOI" and link["style"] != "doi":
            continue
        locations.append(
            OALocation(
                url=link["url"],
                url_for_landing_page=link["url"],
                host_type="publisher",
                version="publishedVersion",
                license=licence if is_oa else None,
                evidence=f"europepmc: {_FREE_CODES[link['code']]} at the publisher "
                f"(availabilityCode={link['code']})",
            )
        )
        break
    return tuple(locations)


# -- what has no field of its own -----------------------------------------------------------


def _extra(data: dict[str, Any], journal: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for key, name in (
        ("source", "source"),
        ("id", "id"),
        ("pubModel", "pub_model"),
        ("publicationStatus", "publication_status"),
        ("firstPublicationDate", "first_publication_date"),
        ("electronicPublicationDate", "electronic_publication_date"),
        ("manuscriptId", "manuscript_id"),
    ):
        text = _text(data.get(key))
        if text and len(text) <= 200:
            extra[name] = text
    nlm = _journal_text(journal, "nlmid")
    if nlm:
        extra["nlm_id"] = nlm
    medline = _journal_text(journal, "medlineAbbreviation")
    if medline:
        extra["medline_abbreviation"] = medline
    for key in ("isOpenAccess", "inEPMC", "inPMC", "hasPDF"):
        flag = _yes(data.get(key))
        if flag is not None:
            extra[key] = flag
    grants = []
    for grant in _list(data, "grantsList", "grant"):
        if isinstance(grant, dict):
            kept = {k: _text(grant.get(k)) for k in ("agency", "grantId", "acronym")}
            if any(kept.values()):
                grants.append({k: v for k, v in kept.items() if v})
    if grants:
        extra["grants"] = grants
    corrections = []
    for entry in _list(data, "commentCorrectionList", "commentCorrection"):
        if isinstance(entry, dict):
            kept = {k: _text(entry.get(k)) for k in ("type", "id", "source", "reference")}
            if kept["type"]:
                corrections.append({k: v for k, v in kept.items() if v})
    if corrections:
        extra["comment_corrections"] = corrections
    return storable(extra) or {}


def _retracted(data: dict[str, Any], types: tuple[str, ...]) -> bool | None:
    """True when Europe PMC's publication types or correction links say it is retracted."""
    if any(t.lower() == "retracted publication" for t in types):
        return True
    for entry in _list(data, "commentCorrectionList", "commentCorrection"):
        if isinstance(entry, dict) and entry.get("type") == "Retraction in":
            return True
    return None


def result_to_record(data: Any, source: str = "europepmc") -> Work | None:
    """The partial work of one ``core`` result; None when it is not one (no PMID,
    PMCID or DOI to name it by)."""
    if not isinstance(data, dict):
        return None
    ids = _ids(data)
    if not (ids.pmid or ids.pmcid or ids.doi):
        return None
    journal = data.get("journalInfo")
    journal = journal if isinstance(journal, dict) else {}
    published = _published(data, journal)
    types = _texts(_list(data, "pubTypeList", "pubType")) or _texts(_split(data.get("pubType")))
    oa = _oa_locations(data, ids)
    extra = _extra(data, journal)
    return Work(
        ids=ids,
        title=_text(data.get("title")),
        authors=_authors(data),
        abstract=markup_text(data.get("abstractText"), paragraphs=True),
        published=published,
        year=int(published[:4]) if published else None,
        venue=_journal_text(journal, "title"),
        # A lite answer has no journalInfo: its journalTitle is the abbreviation.
        container_short=_journal_text(journal, "isoabbreviation")
        or (None if journal else _text(data.get("journalTitle"))),
        volume=_number_text(journal.get("volume") if journal else data.get("journalVolume")),
        issue=_number_text(journal.get("issue") if journal else data.get("issue")),
        pages=_number_text(data.get("pageInfo")),
        issn=_issns(data, journal),
        type=_TYPES.get(data["source"]) if isinstance(data.get("source"), str) else None,
        language=_text(data.get("language")),
        license=_licence(data.get("license")),
        mesh=_mesh(data),
        keywords=_texts(_list(data, "keywordList", "keyword")),
        publication_types=types,
        retracted=_retracted(data, types),
        cited_by_count=_count(data.get("citedByCount")),
        oa_locations=oa,
        extra={source: extra} if extra else {},
    )
