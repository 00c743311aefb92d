"""Reading PubMed XML (E-utilities ``efetch``, ``retmode=xml``) into paperfuse records.

Answers are read with :func:`paperfuse.parse_xml`, hardened: it never loads
a DTD or anything else from the network, never expands entities, refuses
documents with an internal DTD subset or entity declarations (PubMed's own
answers carry only a DOCTYPE that names the public DTD, which is accepted and
not loaded: ``allow_doctype=True``), refuses UTF-16/32 bodies (which would
hide those declarations from the byte check) and refuses huge trees. A value
that cannot be read costs only its field.

Choices, documented in docs/sources.md: a title loses PubMed's closing period;
``MedlinePgn`` page ranges are expanded ("418-22" becomes "418-422"); a
language in ISO 639-2 (PubMed's "eng") becomes ISO 639-1 ("en") for the common
languages, and is kept as given otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from lxml import etree

from paperfuse import (
    Author,
    BadResponse,
    Ids,
    OALocation,
    Update,
    Work,
    in_turns,
    parse_xml,
    parse_xml_in_turns,
    plausible_year,
    storable,
)

__all__ = ["RATE_LIMIT_TEXT", "is_rate_limit_body", "parse_articles", "read_articles"]

RATE_LIMIT_TEXT = b"API rate limit exceeded"

_ORCID = re.compile(r"([0-9]{4}-?[0-9]{4}-?[0-9]{4}-?[0-9]{3}[0-9Xx])")
_PMCID = re.compile(r"^(?:PMC)?([0-9]{1,10})$", re.IGNORECASE)
_DOI = re.compile(r"^10\.[0-9]{3,9}/\S+$")
_DOI_IN_TEXT = re.compile(r"\bdoi:\s*(10\.[0-9]{3,9}/\S+?)\.?(?:\s|$)", re.IGNORECASE)
_PAGES = re.compile(r"^([A-Za-z]*)([0-9]+)-([A-Za-z]*)([0-9]+)$")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
#: PubMed's ISO 639-2 codes of common languages, as ISO 639-1 (what Crossref gives).
LANGUAGES = {
    "eng": "en", "fre": "fr", "fra": "fr", "ger": "de", "deu": "de", "spa": "es", "ita": "it",
    "jpn": "ja", "chi": "zh", "zho": "zh", "rus": "ru", "por": "pt", "dut": "nl", "nld": "nl",
    "pol": "pl", "swe": "sv", "dan": "da", "nor": "no", "fin": "fi", "kor": "ko", "tur": "tr",
    "cze": "cs", "ces": "cs", "hun": "hu", "gre": "el", "ell": "el", "heb": "he", "ara": "ar",
    "per": "fa", "fas": "fa", "ukr": "uk", "hrv": "hr", "srp": "sr", "slv": "sl", "slo": "sk",
    "slk": "sk", "rum": "ro", "ron": "ro", "bul": "bg", "lit": "lt", "ice": "is", "isl": "is",
}  # fmt: skip
#: CommentsCorrections kinds that are updates: direction and type.
_UPDATES = {
    "RetractionIn": ("updated-by", "retraction"),
    "ErratumIn": ("updated-by", "erratum"),
    "ExpressionOfConcernIn": ("updated-by", "expression_of_concern"),
    "RetractionOf": ("update-to", "retraction"),
    "ErratumFor": ("update-to", "erratum"),
    "ExpressionOfConcernFor": ("update-to", "expression_of_concern"),
}


def _excerpt(data: bytes) -> str:
    text = data[:120].decode("utf-8", "replace")
    return " ".join(text.split()) + ("…" if len(data) > 120 else "")


def is_rate_limit_body(data: bytes) -> bool:
    """Whether a body is NCBI's rate-limit answer (JSON or XML) rather than data.

    Only the start of a body is searched, and never a body that opens a
    ``PubmedArticleSet`` (an abstract may quote the words).
    """
    head = data[:4096]
    return RATE_LIMIT_TEXT in head and b"<PubmedArticleSet" not in head


def parse_articles(data: bytes) -> list[Work]:
    """The works of a ``PubmedArticleSet``; :class:`BadResponse` if the body is none.

    An ``eFetchResult`` error answer is a bad response naming its message.
    Book records (``PubmedBookArticle``) are not read.
    """
    root = _article_set(parse_xml(data, allow_doctype=True, expected="PubMed XML"), data)
    works = (_article(a) for a in root.iterchildren("PubmedArticle"))
    return [w for w in works if w is not None]


async def read_articles(data: bytes) -> list[Work]:
    """:func:`parse_articles` in turns of the event loop: an answer of 200 articles (a few
    megabytes) is parsed and read a few articles at a time, and the rest of a batch goes
    on in between."""
    root = await parse_xml_in_turns(data, allow_doctype=True, expected="PubMed XML")
    works = []
    async for article in in_turns(_article_set(root, data).iterchildren("PubmedArticle"), 16):
        work = _article(article)
        if work is not None:
            works.append(work)
    return works


def _article_set(root: etree._Element, data: bytes) -> etree._Element:
    """``root`` when it is a ``PubmedArticleSet``; otherwise the error it is."""
    if root.tag == "eFetchResult":
        message = _text(root.find("ERROR")) or "no article set"
        raise BadResponse(f"E-utilities error: {message[:200]}")
    if root.tag != "PubmedArticleSet":
        raise BadResponse(f"not a PubmedArticleSet: {_excerpt(data)!r}")
    return root


def _text(element: etree._Element | None) -> str | None:
    """All the text of an element, markup turned into text, whitespace collapsed."""
    if element is None:
        return None
    text = " ".join("".join(element.itertext()).split())
    return text or None


def _child_text(element: etree._Element | None, path: str) -> str | None:
    return None if element is None else _text(element.find(path))


def _article(article: etree._Element) -> Work | None:
    citation = article.find("MedlineCitation")
    if citation is None:
        return None
    pmid = _child_text(citation, "PMID")
    if not (pmid and pmid.isascii() and pmid.isdigit() and len(pmid) <= 10):
        return None  # without its PMID, nothing says which look-up it answers
    pmid = str(int(pmid))
    art = citation.find("Article")
    journal = art.find("Journal") if art is not None else None
    issue = journal.find("JournalIssue") if journal is not None else None
    data = article.find("PubmedData")
    ids, pii = _ids(data)
    pmc = _pmc_location(data, ids)
    elocations = _elocations(art)
    doi = ids.get("doi") or elocations.get("doi")
    pii = pii or elocations.get("pii")
    types = _texts(citation.iterfind("Article/PublicationTypeList/PublicationType"))
    updates = tuple(_updates(citation))
    retracted = "Retracted Publication" in types or any(
        u.direction == "updated-by" and u.type == "retraction" for u in updates
    )
    published = _date(issue.find("PubDate") if issue is not None else None)
    if published is None and art is not None:
        published = _date(art.find("ArticleDate"))
    language = _child_text(art, "Language")
    extra = storable(
        {
            k: v
            for k, v in {
                "pii": pii,
                "nlm_unique_id": _child_text(citation, "MedlineJournalInfo/NlmUniqueID"),
                "publication_status": _child_text(article, "PubmedData/PublicationStatus"),
            }.items()
            if v
        }
    )
    issn = _texts(journal.iterfind("ISSN")) if journal is not None else ()
    return Work(
        ids=Ids(pmid=pmid, doi=doi, pmcid=ids.get("pmcid")),
        title=_title(art.find("ArticleTitle") if art is not None else None),
        authors=tuple(_authors(art)),
        abstract=_abstract(art.find("Abstract") if art is not None else None),
        published=published,
        year=int(published[:4]) if published else None,
        venue=_child_text(journal, "Title"),
        container_short=_child_text(journal, "ISOAbbreviation"),
        volume=_child_text(issue, "Volume"),
        issue=_child_text(issue, "Issue"),
        pages=_pages(art.find("Pagination") if art is not None else None),
        issn=issn,
        issn_l=_child_text(citation, "MedlineJournalInfo/ISSNLinking"),
        type="journal-article",
        language=LANGUAGES.get(language.lower(), language) if language else None,
        publication_types=types,
        mesh=tuple(_mesh(citation)),
        keywords=_texts(citation.iterfind("KeywordList/Keyword")),
        retracted=True if retracted else None,
        updates=updates,
        oa_locations=(pmc,) if pmc else (),
        extra={"pubmed": extra} if extra else {},
    )


def _texts(elements: Iterable[etree._Element]) -> tuple[str, ...]:
    """The distinct, non-empty texts of elements, in order."""
    seen: dict[str, None] = {}
    for element in elements:
        text = _text(element)
        if text:
            seen.setdefault(text, None)
    return tuple(seen)


def _title(element: etree._Element | None) -> str | None:
    """The title without PubMed's closing period (an ellipsis is kept)."""
    title = _text(element)
    if title and title.endswith(".") and not title.endswith(".."):
        title = title[:-1].rstrip() or None
    return title


def _ids(data: etree._Element | None) -> tuple[dict[str, str], str | None]:
    """DOI and PMCID (and PII) of the article's own ArticleIdList."""
    found: dict[str, str] = {}
    pii = None
    if data is None:
        return found, pii
    for element in data.iterfind("ArticleIdList/ArticleId"):
        kind = element.get("IdType")
        value = _text(element)
        if not value:
            continue
        if kind == "doi" and "doi" not in found and _DOI.match(value):
            found["doi"] = value
        elif kind == "pmc" and "pmcid" not in found:
            match = _PMCID.match(value)
            if match:
                found["pmcid"] = f"PMC{int(match[1])}"
        elif kind == "mid" and "mid" not in found:
            found["mid"] = value  # an author manuscript (NIHMS, UKMS...) deposited in PMC
        elif kind == "pii" and pii is None:
            pii = value
    return found, pii


def _pmc_location(data: etree._Element | None, ids: dict[str, str]) -> OALocation | None:
    """The PMC copy of an article PubMed lists with a PMCID: every PMC article is free
    to read, from its ``pmc-release`` date on (a later date is an embargo: no copy yet).

    An article whose ArticleIdList also has a ``mid`` (a manuscript id) is the author's
    accepted manuscript; otherwise PMC holds the published version.
    """
    pmcid = ids.get("pmcid")
    if pmcid is None or data is None:
        return None
    release = _date(data.find("History/PubMedPubDate[@PubStatus='pmc-release']"))
    if release is not None and release > date.today().isoformat()[: len(release)]:
        return None
    url = f"https://pmc.ncbi.nlm.nih.gov/articles/{pmcid}/"
    evidence = "pubmed: ArticleIdList pmc" + (f", pmc-release {release}" if release else "")
    return OALocation(
        url=url,
        url_for_landing_page=url,
        host_type="repository",
        version="acceptedVersion" if "mid" in ids else "publishedVersion",
        evidence=evidence,
        oa_date=release,
        pmh_id=f"oai:pubmedcentral.nih.gov:{pmcid.removeprefix('PMC')}",
        repository_institution="PubMed Central",
    )


def _elocations(art: etree._Element | None) -> dict[str, str]:
    found: dict[str, str] = {}
    if art is None:
        return found
    for element in art.iterfind("ELocationID"):
        kind = element.get("EIdType")
        value = _text(element)
        if not value or element.get("ValidYN") == "N" or kind not in ("doi", "pii"):
            continue
        if kind == "doi" and not _DOI.match(value):
            continue
        found.setdefault(kind, value)
    return found


def _authors(art: etree._Element | None) -> Iterable[Author]:
    if art is None:
        return
    for element in art.iterfind("AuthorList/Author"):
        if element.get("ValidYN") == "N":
            continue
        affiliations = _texts(element.iterfind("AffiliationInfo/Affiliation"))
        orcid = None
        for identifier in element.iterfind("Identifier"):
            match = _ORCID.search(_text(identifier) or "")
            if identifier.get("Source") == "ORCID" and match:
                digits = match[1].replace("-", "").upper()
                orcid = "https://orcid.org/" + "-".join(digits[i : i + 4] for i in range(0, 16, 4))
                break
        collective = _child_text(element, "CollectiveName")
        family = _child_text(element, "LastName")
        if family:
            given = _child_text(element, "ForeName") or _child_text(element, "Initials")
            suffix = _child_text(element, "Suffix")
            name = " ".join(p for p in (given, family, suffix) if p)
            yield Author(
                name=name, given=given, family=family, orcid=orcid, affiliations=affiliations
            )
        elif collective:
            yield Author(name=collective, orcid=orcid, affiliations=affiliations)


def _abstract(element: etree._Element | None) -> str | None:
    """The abstract's sections as "LABEL: text" paragraphs, joined by blank lines."""
    if element is None:
        return None
    paragraphs = []
    for section in element.iterfind("AbstractText"):
        text = _text(section)
        if not text:
            continue
        label = " ".join((section.get("Label") or "").split())
        paragraphs.append(f"{label}: {text}" if label else text)
    return "\n\n".join(paragraphs) or None


def _month(text: str | None) -> int | None:
    if not text:
        return None
    text = text.strip().lower()
    if text.isascii() and text.isdigit() and len(text) <= 2:
        month = int(text)
        return month if 1 <= month <= 12 else None
    return _MONTHS.get(text[:3])


def _date(element: etree._Element | None) -> str | None:
    """``YYYY[-MM[-DD]]`` of a PubDate (Year/Month/Day, or MedlineDate's first year)."""
    if element is None:
        return None
    year = plausible_year(_child_text(element, "Year"))
    if year is None:
        medline = _child_text(element, "MedlineDate") or ""
        match = re.match(r"^([0-9]{4})(?:\s+([A-Za-z]{3}))?", medline)
        if not match:
            return None
        year = plausible_year(match[1])
        if year is None:
            return None
        month = _month(match[2]) if match[2] else None
        # "1998 Dec-1999 Jan": the first month belongs to the first year
        return f"{year:04d}-{month:02d}" if month else f"{year:04d}"
    month = _month(_child_text(element, "Month"))
    if month is None:
        return f"{year:04d}"
    day_text = _child_text(element, "Day") or ""
    day = int(day_text) if day_text.isascii() and day_text.isdigit() and len(day_text) <= 2 else 0
    if not 1 <= day <= _days(year, month):
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def _days(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _pages(element: etree._Element | None) -> str | None:
    """Pages from ``MedlinePgn``, an abbreviated end page written out ("107-14" -> "107-114");
    else from ``StartPage``/``EndPage``."""
    if element is None:
        return None
    medline = _child_text(element, "MedlinePgn")
    if medline:
        return _expand(medline)
    start = _child_text(element, "StartPage")
    end = _child_text(element, "EndPage")
    if start and end and end != start:
        return f"{start}-{end}"
    return start


def _expand(pages: str) -> str:
    match = _PAGES.match(pages.replace(" ", ""))
    if not match:
        return pages
    prefix, start, end_prefix, end = match.groups()
    if end_prefix not in ("", prefix) or len(start) > 9:
        return pages
    if len(end) < len(start):
        end = start[: len(start) - len(end)] + end
    if int(end) < int(start):
        return pages  # not a range that can be written out: kept as given
    return f"{prefix}{start}-{prefix}{end}"


def _mesh(citation: etree._Element) -> Iterable[str]:
    """MeSH headings: "Descriptor", or "Descriptor/Qualifier" per qualifier; "*" on major topics."""
    for heading in citation.iterfind("MeshHeadingList/MeshHeading"):
        descriptor = heading.find("DescriptorName")
        name = _text(descriptor)
        if not name or descriptor is None:
            continue
        name += "*" if descriptor.get("MajorTopicYN") == "Y" else ""
        qualifiers = [(q, _text(q)) for q in heading.iterfind("QualifierName")]
        named = [(q, text) for q, text in qualifiers if text]
        if not named:
            yield name
        for qualifier, text in named:
            yield f"{name}/{text}{'*' if qualifier.get('MajorTopicYN') == 'Y' else ''}"


def _updates(citation: etree._Element) -> Iterable[Update]:
    for element in citation.iterfind("CommentsCorrectionsList/CommentsCorrections"):
        kind = _UPDATES.get(element.get("RefType") or "")
        if kind is None:
            continue
        label = _child_text(element, "RefSource")
        match = _DOI_IN_TEXT.search(label or "")
        yield Update(
            direction=kind[0],  # type: ignore[arg-type]
            type=kind[1],
            doi=match[1] if match and _DOI.match(match[1]) else None,
            source="pubmed",
            label=label,
        )
