"""Zotero items: the JSON of Zotero's web API, its connectors and translation-server.

:func:`zotero_item` turns a resolved :class:`Work` into one Zotero item (the
``itemType``, ``creators`` and fields Zotero's schema gives that type);
:func:`work_from_zotero` reads a Zotero item back into a :class:`Work`, so
that ``paperfuse serve``'s ``POST /export`` can write items a tool made
with Zotero as BibTeX, RIS or CSL-JSON; :class:`ZoteroJSONFormat` writes a
batch as one JSON array of items, the answer of translation-server's
``/search``.

Which fields an item type has comes from Zotero's data schema (see
:func:`_item_types`). An identifier the item's type has no field for goes in
``extra`` as Zotero's translators write it there (``DOI: ...``, ``PMID:
...``, ``PMCID: ...``, ``arXiv:ID [category]``), one per line.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from typing import Any

from ._csl import _date_parts, _encoded, _url, csl_type
from ._errors import InvalidIdentifier
from ._formats import OutputFormat
from ._identifiers import ArxivScheme, DoiScheme, IdentifierScheme
from ._names import split_names
from ._records import Author, Ids, Work

__all__ = ["ZOTERO_ITEM_TYPES", "ZoteroJSONFormat", "work_from_zotero", "zotero_item"]

#: CSL item types (see :func:`paperfuse.csl_item`) as Zotero item types, as
#: Zotero's own schema maps them.
ZOTERO_ITEM_TYPES: dict[str, str] = {
    "article-journal": "journalArticle",
    "article-magazine": "magazineArticle",
    "article-newspaper": "newspaperArticle",
    "paper-conference": "conferencePaper",
    "chapter": "bookSection",
    "book": "book",
    "entry": "encyclopediaArticle",
    "entry-encyclopedia": "encyclopediaArticle",
    "thesis": "thesis",
    "report": "report",
    "dataset": "dataset",
    "article": "preprint",
    "review": "manuscript",
    "standard": "standard",
    "software": "computerProgram",
    "webpage": "webpage",
    "post-weblog": "blogPost",
    "manuscript": "manuscript",
}

#: Zotero item types read back as the record's (Crossref-vocabulary) type.
_RECORD_TYPES: dict[str, str] = {
    "journalArticle": "journal-article",
    "magazineArticle": "journal-article",
    "conferencePaper": "proceedings-article",
    "bookSection": "book-chapter",
    "book": "book",
    "encyclopediaArticle": "reference-entry",
    "dictionaryEntry": "reference-entry",
    "thesis": "dissertation",
    "report": "report",
    "dataset": "dataset",
    "preprint": "posted-content",
    "standard": "standard",
    "computerProgram": "software",
}


def _item_types() -> dict[str, dict[str, str]]:
    """Per Zotero item type, each of its fields and the base field it stands for.

    From Zotero's data schema (zotero/zotero-schema, ``schema.json`` version
    41 of 2026-01-20, served at https://api.zotero.org/schema), kept in
    ``zotero_item_types.json`` with only the item types' fields and creator
    types. A base field is the general name of a field that a type names its
    own way: a thesis's ``university`` is its ``publisher``, a conference
    paper's ``proceedingsTitle`` its ``publicationTitle``.
    """
    data = json.loads(resources.files("paperfuse").joinpath("zotero_item_types.json").read_text())
    return {name: spec["fields"] for name, spec in data["itemTypes"].items()}


#: Per item type: field name -> base field name (a field that is its own base maps to itself).
ITEM_FIELDS = _item_types()

#: The characters of a Zotero key (no 0, 1, O), eight of them.
_KEY_ALPHABET = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"
#: ``Key: value`` lines of ``extra`` that name an identifier, as Zotero writes them.
_EXTRA_ID_RE = re.compile(r"^\s*(DOI|PMID|PMCID|arXiv)\s*:\s*(\S+)", re.I | re.M)
_YEAR_RE = re.compile(r"(?<![0-9])([12][0-9]{3})(?![0-9])")
_ISO_DATE_RE = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")
_DOIS = DoiScheme()
_ARXIV = ArxivScheme()


def zotero_item_type(work: Work) -> str:
    """The Zotero item type of ``work`` (``document`` when Zotero has none closer)."""
    return ZOTERO_ITEM_TYPES.get(csl_type(work), "document")


def _key(work: Work) -> str:
    """A Zotero-shaped key (8 characters) that stays the same for the same work."""
    ids = work.ids
    seed = ids.doi or ids.arxiv or ids.pmid or ids.pmcid or work.input or work.title or ""
    digest = hashlib.blake2b(seed.lower().encode("utf-8", "replace"), digest_size=8).digest()
    return "".join(_KEY_ALPHABET[b % len(_KEY_ALPHABET)] for b in digest)


def _creator(author: Author, role: str) -> dict[str, str]:
    """Two fields (first and last name), or one (an organisation, a name written whole)."""
    if author.family and author.given:
        return {"creatorType": role, "firstName": author.given, "lastName": author.family}
    return {"creatorType": role, "name": author.family or author.name}


def _date(work: Work) -> str | None:
    parts = _date_parts(work.published)
    if parts:
        return "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts))
    return str(work.year) if work.year else None


def _placed(item_type: str, values: dict[str, str | None]) -> dict[str, str]:
    """``values`` (by field or base field) under the fields ``item_type`` has; others dropped."""
    fields = ITEM_FIELDS.get(item_type, ITEM_FIELDS["document"])
    by_base: dict[str, str] = {}
    for field, base in fields.items():
        by_base.setdefault(base, field)
    placed: dict[str, str] = {}
    for name, value in values.items():
        field = name if name in fields else by_base.get(name)
        if value and field and field not in placed:
            placed[field] = value
    return placed


def zotero_item(work: Work, *, key: str | None = None) -> dict[str, Any]:
    """The Zotero item (API JSON, a dict ready for ``json.dumps``) of a resolved ``work``.

    ``key`` is the item's key; by default one derived from the work's
    identifiers, so the same work has the same key. Fields with no value are
    left out. A work whose ``status`` says it failed is no item: a
    ``ValueError``.
    """
    if work.status not in (None, "resolved"):
        raise ValueError(
            f"{work.input!r} is no reference: its status is {work.status} ({work.error})"
        )
    item_type = zotero_item_type(work)
    ids = work.ids
    title = work.title
    if title and work.subtitle and work.subtitle.lower() not in title.lower():
        title = f"{title}: {work.subtitle}"
    venue = work.venue or ("arXiv" if item_type == "preprint" and ids.arxiv else None)
    # By base field; each goes to the field of the item's type that stands for it.
    values: dict[str, str | None] = {
        "title": title,
        "abstractNote": work.abstract,
        "date": _date(work),
        "url": _url(work),
        "rights": work.license,
        "libraryCatalog": "paperfuse",
        "publicationTitle": venue,
        # A preprint's repository is where it was posted (arXiv, bioRxiv), not its publisher.
        "publisher": venue if item_type == "preprint" else work.publisher,
        "journalAbbreviation": work.container_short,
        "volume": work.volume,
        "issue": work.issue,
        "pages": work.pages,
        "DOI": ids.doi,
        "PMID": ids.pmid,
        "PMCID": ids.pmcid,
        "ISSN": ", ".join(work.issn) or work.issn_l,
        "ISBN": " ".join(work.isbn) or None,
        "language": work.language,
        "number": f"arXiv:{ids.arxiv}" if item_type == "preprint" and ids.arxiv else None,
        "type": "peer review" if csl_type(work) == "review" else None,
    }
    placed = _placed(item_type, values)
    extra = [
        f"{name}: {value}"
        for name, value in (("DOI", ids.doi), ("PMID", ids.pmid), ("PMCID", ids.pmcid))
        if value and name not in placed
    ]
    if ids.arxiv and values["number"] is None:  # as Zotero's arXiv translator writes it
        category = f" [{work.primary_category}]" if work.primary_category else ""
        extra.append(f"arXiv:{ids.arxiv}{category}")
    if extra:
        placed["extra"] = "\n".join(extra)
    creators = [_creator(a, "author") for a in split_names(work.authors)]
    creators += [_creator(a, "editor") for a in split_names(work.editors)]
    item: dict[str, Any] = {"key": key or _key(work), "version": 0, "itemType": item_type}
    item.update(placed)
    item["creators"] = creators
    item["tags"] = [{"tag": keyword} for keyword in work.keywords]
    item["collections"] = []
    item["relations"] = {}
    return item


# -- read back -----------------------------------------------------------------------------------


def _text(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return " ".join(value.split()) or None if isinstance(value, str) else None


def _authors(item: dict[str, Any], roles: frozenset[str]) -> tuple[Author, ...]:
    creators = item.get("creators")
    people: list[Author] = []
    for creator in creators if isinstance(creators, list) else ():
        if not isinstance(creator, dict) or creator.get("creatorType", "author") not in roles:
            continue
        whole = _text(creator, "name")
        given, family = _text(creator, "firstName"), _text(creator, "lastName")
        whole = whole or (family if creator.get("fieldMode") == 1 else None)
        if whole:  # a family name alone is never split again: Zotero says it is whole
            people.append(Author(name=whole, family=whole))
        elif family or given:
            name = " ".join(p for p in (given, family) if p)
            people.append(Author(name=name, given=given, family=family))
    return tuple(people)


def _parsed(scheme: IdentifierScheme, text: str | None) -> str | None:
    """The identifier of ``scheme`` that ``text`` is, or None."""
    if not text:
        return None
    try:
        found = list(scheme.parse(text))
    except InvalidIdentifier:
        return None
    return found[0].value if found else None


def work_from_zotero(item: Any) -> Work:
    """A :class:`Work` from a Zotero item (API JSON, or a translator's item).

    Reads what the output formats write: type, title, authors and editors,
    date, venue, volume, issue, pages, publisher, DOI, ISSN, ISBN, URL,
    abstract, language, rights, tags, and the identifiers Zotero keeps in
    ``extra`` (DOI, PMID, PMCID, arXiv). Unknown or mistyped fields are
    ignored. Raises ``ValueError`` when ``item`` is no object with an
    ``itemType``.
    """
    if not isinstance(item, dict) or not isinstance(item.get("itemType"), str):
        raise ValueError("a Zotero item is a JSON object with an itemType")
    item_type = item["itemType"]
    fields = ITEM_FIELDS.get(item_type, {})
    # Each field under its base name: a thesis's university is its publisher.
    base: dict[str, str] = {}
    for field in item:
        value = _text(item, field)
        if value:
            base.setdefault(fields.get(field, field), value)
    in_extra: dict[str, str] = {}
    raw_extra = item.get("extra")  # read by line: _text would join its lines
    for name, value in _EXTRA_ID_RE.findall(raw_extra if isinstance(raw_extra, str) else ""):
        in_extra.setdefault(name.lower(), value)
    arxiv = _parsed(_ARXIV, base.get("number")) if item_type == "preprint" else None
    arxiv = arxiv or _parsed(_ARXIV, in_extra.get("arxiv"))
    pmid = base.get("PMID") or in_extra.get("pmid") or ""
    pmcid = base.get("PMCID") or in_extra.get("pmcid") or ""
    url = base.get("url", "")
    ids = Ids(
        doi=_parsed(_DOIS, base.get("DOI")) or _parsed(_DOIS, in_extra.get("doi")),
        arxiv=arxiv,
        pmid=pmid if pmid.isdigit() else None,
        pmcid=pmcid.upper() if re.fullmatch(r"PMC[0-9]+", pmcid, re.I) else None,
        urls=(url,) if url.startswith(("http://", "https://")) else (),
    )
    date = base.get("date", "")
    iso = _ISO_DATE_RE.match(date)
    year = _YEAR_RE.search(date)
    tags = item.get("tags")
    venue, publisher = base.get("publicationTitle"), base.get("publisher")
    if item_type == "preprint":  # its repository is where it was posted
        venue, publisher = venue or publisher, None
        if arxiv and venue and venue.lower() == "arxiv":
            venue = None
    return Work(
        status="resolved",
        ids=ids,
        title=base.get("title"),
        authors=_authors(item, frozenset({"author"})),
        editors=_authors(item, frozenset({"editor"})),
        abstract=base.get("abstractNote"),
        published=iso.group(0) if iso else None,
        year=int(year.group(1)) if year else None,
        venue=venue,
        container_short=base.get("journalAbbreviation"),
        volume=base.get("volume"),
        issue=base.get("issue"),
        pages=base.get("pages"),
        publisher=publisher,
        issn=tuple(re.findall(r"[0-9]{4}-?[0-9]{3}[0-9Xx]", base.get("ISSN", ""))),
        isbn=tuple(base.get("ISBN", "").split()),
        type=_RECORD_TYPES.get(item_type)
        or ("peer-review" if "review" in base.get("type", "").lower() else None),
        language=base.get("language"),
        license=base.get("rights"),
        keywords=tuple(
            t["tag"]
            for t in (tags if isinstance(tags, list) else ())
            if isinstance(t, dict) and isinstance(t.get("tag"), str) and t["tag"].strip()
        ),
    )


class ZoteroJSONFormat(OutputFormat):
    """Zotero items (API JSON): a batch is one JSON array, as translation-server answers."""

    name = "zotero"
    description = "a JSON array of Zotero items (Zotero's API JSON, as translation-server gives)"
    bibliography = True
    separator = ","

    def begin(self) -> str:
        return "[\n"

    def end(self) -> str:
        return "]\n"

    def render(self, work: Work) -> str:
        return _encoded(zotero_item(work))
