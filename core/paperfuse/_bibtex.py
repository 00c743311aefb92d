"""BibTeX and BibLaTeX: a work as the entry LaTeX users and reference managers read.

Each work becomes one entry, written by bibtexparser's writer (so quoting and
braces are a parser's business, not string formatting). Text fields are
LaTeX-encoded by pylatexenc (``Müller`` is ``M{\\"u}ller``, ``&`` is ``{\\&}``);
identifiers that LaTeX reads verbatim (``doi``, ``url``, ``eprint``) are
written exactly as the record holds them. Titles keep their math (``$K$``),
turn HTML markup into LaTeX (``<i>`` is ``\\textit``) and brace words that
carry capitals after their first letter (``{DNA}``, ``{mRNA}``), as Zotero
does, so that a bibliography style that lower-cases titles leaves them alone.

The entry type follows the record's type (Crossref's vocabulary): a journal
article is an ``@article``, a chapter an ``@incollection``, a preprint an
``@misc`` (BibTeX) or ``@online`` (BibLaTeX) with its arXiv eprint fields.
BibTeX's standard styles warn about an entry that lacks a field its type
requires (an ``@article`` without a journal) and pybtex refuses it; such a
work is written as an ``@misc``, which requires none. BibLaTeX keeps the
type, since biblatex's styles print what there is.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from ._citekeys import CitationKeys
from ._formats import OutputFormat
from ._records import Author, Work

__all__ = ["BibLaTeXFormat", "BibTeXFormat"]

if TYPE_CHECKING:
    from pylatexenc.latexencode import UnicodeToLatexEncoder


@cache
def _encoder() -> UnicodeToLatexEncoder:
    """pylatexenc's encoder as BibTeX needs it, made on first use (with bibtexparser,
    its import is a tenth of a resolve command's start-up, and only these formats use it)."""
    from pylatexenc.latexencode import (
        RULE_DICT,
        UnicodeToLatexConversionRule,
        UnicodeToLatexEncoder,
    )

    # Braces as commands: BibTeX counts the brace of `\{` as any other, so an
    # escaped brace would unbalance the field.
    braces = UnicodeToLatexConversionRule(
        RULE_DICT, {ord("{"): r"\textbraceleft", ord("}"): r"\textbraceright"}
    )
    return UnicodeToLatexEncoder(
        conversion_rules=[braces, "defaults"],
        unknown_char_policy="keep",
        unknown_char_warning=False,
        replacement_latex_protection="braces-almost-all",
    )


@cache
def _bibtex_format() -> Any:
    """bibtexparser's writer settings: two spaces of indent."""
    import bibtexparser

    settings = bibtexparser.BibtexFormat()
    settings.indent = "  "
    return settings


_SURROGATE_RE = re.compile("[\ud800-\udfff]")
# Control characters, which LaTeX refuses ("invalid character") and RIS cannot show.
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_SPACE_RE = re.compile(r"\s+")
_WORD_RE = re.compile(r"[^\W_]+")
# A `$...$` span (what may be math), an HTML/XML tag (what may be markup) or a
# LaTeX command with its arguments.
_RICH_RE = re.compile(
    r"\$(?:[^$\\]|\\.)+\$"
    r"|</?([A-Za-z][\w.-]*:)?([A-Za-z][\w.-]*)(?:\s+[\w:.-]+=(?:\"[^\"]*\"|'[^']*'))*\s*/?>"
    r"|(\\(?:[A-Za-z]+|[^A-Za-z\s{}]))((?:\{[^{}]*\})*)"
)
# "and" as a word: BibTeX would split a name there.
_AND_RE = re.compile(r"(?<!\S)and(?!\S)", re.IGNORECASE)
_UNESCAPED_BRACE_RE = re.compile(r"(?<!\\)[{}]")
_ARGUMENT_RE = re.compile(r"\{([^{}]*)\}")
_DASHES_RE = re.compile(r"\s*[-‐‑‒–—]+\s*")
_ISO_DATE_RE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

#: Tags that are markup without a LaTeX counterpart: dropped, their text kept (as
#: are the tags of any namespace: ``<mml:math>``, ``<jats:p>``).
_DROPPED_TAGS = frozenset(
    {"a", "span", "p", "div", "br", "title", "sec", "abstract", "small", "big", "font"}
)
#: Tags that end a block of text: a space where they stood (``<jats:title>``, ``<p>``).
_BLOCK_TAGS = frozenset({"p", "div", "br", "title", "sec", "abstract", "list-item", "label"})
#: HTML and JATS markup that has a LaTeX counterpart.
_MARKUP = {
    "i": "\\textit",
    "em": "\\textit",
    "italic": "\\textit",
    "b": "\\textbf",
    "strong": "\\textbf",
    "bold": "\\textbf",
    "sub": "\\textsubscript",
    "sup": "\\textsuperscript",
    "scp": "\\textsc",
    "sc": "\\textsc",
    "u": "\\underline",
    "underline": "\\underline",
    "tt": "\\texttt",
    "code": "\\texttt",
    "monospace": "\\texttt",
}

#: Entry types by the record's (Crossref) type: (BibTeX, BibLaTeX).
_ENTRY_TYPES = {
    "journal-article": ("article", "article"),
    "proceedings-article": ("inproceedings", "inproceedings"),
    "book-chapter": ("incollection", "incollection"),
    "book-section": ("incollection", "incollection"),
    "book-part": ("incollection", "incollection"),
    "book-track": ("incollection", "incollection"),
    "reference-entry": ("incollection", "incollection"),
    "book": ("book", "book"),
    "monograph": ("book", "book"),
    "edited-book": ("book", "book"),
    "reference-book": ("book", "book"),
    "book-set": ("book", "book"),
    "proceedings": ("proceedings", "proceedings"),
    "dissertation": ("phdthesis", "thesis"),
    "report": ("techreport", "report"),
    "report-component": ("techreport", "report"),
    "report-series": ("techreport", "report"),
    "dataset": ("misc", "dataset"),
    "software": ("misc", "software"),
    "posted-content": ("misc", "online"),
}


#: BibLaTeX types that have no volume, number or pages in biblatex's data model.
_BIBLATEX_UNNUMBERED = frozenset({"misc", "software", "online", "dataset"})
#: BibLaTeX types that have an ISBN in biblatex's data model.
_BIBLATEX_WITH_ISBN = frozenset({"book", "incollection", "inproceedings", "proceedings"})

#: The fields BibTeX's standard styles require of an entry type (each tuple: one of).
_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "article": (("author",), ("title",), ("journal",), ("year",)),
    "inproceedings": (("author",), ("title",), ("booktitle",), ("year",)),
    "incollection": (("author",), ("title",), ("booktitle",), ("publisher",), ("year",)),
    "book": (("author", "editor"), ("title",), ("publisher",), ("year",)),
    "phdthesis": (("author",), ("title",), ("school",), ("year",)),
    "techreport": (("author",), ("title",), ("institution",), ("year",)),
    "proceedings": (("title",), ("year",)),
}


def one_line(text: str | None) -> str:
    """``text`` on one line without control characters, lone surrogates as U+FFFD; "" for None."""
    if not text:
        return ""
    text = _CONTROL_RE.sub("", _SURROGATE_RE.sub("\ufffd", text))
    return _SPACE_RE.sub(" ", text).strip()


def latex(text: str | None) -> str:
    """Plain ``text`` as LaTeX: special characters escaped, accents as commands."""
    return _encoder().unicode_to_latex(one_line(text))


def _protected(text: str) -> str:
    """Plain ``text`` as LaTeX, each word with a capital after its first letter braced."""
    out: list[str] = []
    end = 0
    for match in _WORD_RE.finditer(text):
        word = match.group()
        if any(c.isupper() for c in word[1:]):
            out.append(_encoder().unicode_to_latex(text[end : match.start()]))
            out.append("{" + _encoder().unicode_to_latex(word) + "}")
            end = match.end()
    out.append(_encoder().unicode_to_latex(text[end:]))
    return "".join(out)


def _is_math(span: str) -> bool:
    """Whether a ``$...$`` span is math rather than two prices (``$30 ... $50``)."""
    inner = span[1:-1]
    # A % would make LaTeX skip the rest of the line, closing dollar and brace too.
    if inner != inner.strip() or "%" in inner or not _balanced(inner):
        return False
    return not inner[0].isdigit() or any(c in inner for c in "\\^_{")


def _tokens(text: str) -> Iterator[tuple[str, str, str]]:
    """``text`` cut into (kind, text, detail): ``text``, ``math``, ``command``
    (detail: its arguments), ``open``, ``close`` and ``drop`` (detail: the tag's name).
    """
    pos = scan = 0
    while match := _RICH_RE.search(text, scan):
        span = match.group()
        tag = (match.group(2) or "").lower()
        if (span.startswith("$") and not _is_math(span)) or (
            tag and not (match.group(1) or tag in _MARKUP or tag in _DROPPED_TAGS)
        ):
            scan = match.start() + 1  # text after all (a price, "x<y>z"): look further on
            continue
        if match.start() > pos:
            yield "text", text[pos : match.start()], ""
        if span.startswith("$"):
            yield "math", span, ""
        elif match.group(3):
            yield "command", match.group(3), match.group(4)
        elif span.startswith("</"):
            yield "close", span, tag
        elif tag in _MARKUP and not span.endswith("/>"):
            yield "open", span, tag
        else:
            yield "drop", span, tag
        pos = scan = match.end()
    if pos < len(text):
        yield "text", text[pos:], ""


def rich_latex(text: str | None, *, protect: bool = False) -> str:
    """``text`` holding math and HTML markup as LaTeX.

    ``$...$`` math is kept as is (braced when ``protect``, so that no style
    changes its case), and so are LaTeX commands the source wrote (arXiv's
    titles and abstracts are LaTeX), with the text of their arguments encoded;
    known tags become LaTeX commands, others are dropped; the rest is encoded,
    with case protection when ``protect``.
    """
    encode = _protected if protect else _encoder().unicode_to_latex
    out: list[str] = []
    open_tags: list[str] = []
    for kind, value, detail in _tokens(one_line(text)):
        if kind == "text":
            out.append(encode(html.unescape(value)))
        elif kind == "math":
            out.append("{" + value + "}" if protect else value)
        elif kind == "command":
            arguments = _ARGUMENT_RE.sub(lambda m: "{" + encode(m.group(1)) + "}", detail)
            out.append(value + arguments)
        elif kind == "open":
            out.append(_MARKUP[detail] + "{")
            open_tags.append(detail)
        elif kind == "close":
            while detail in open_tags:
                out.append("}")
                if open_tags.pop() == detail:
                    break
        elif detail in _BLOCK_TAGS:
            out.append(" ")
    out.append("}" * len(open_tags))
    result = _SPACE_RE.sub(" ", "".join(out)).strip()
    if not _balanced(result):
        # Math or commands whose braces BibTeX and bibtexparser would read
        # differently: the text is written as plain text instead.
        return encode(html.unescape(one_line(text)))
    return result


def plain_text(text: str | None) -> str:
    """``text`` on one line without its markup (math and LaTeX commands kept as written)."""
    out: list[str] = []
    for kind, value, detail in _tokens(one_line(text)):
        if kind == "text":
            out.append(html.unescape(value))
        elif kind in ("math", "command"):
            out.append(value + detail)
        elif detail in _BLOCK_TAGS:
            out.append(" ")
    return _SPACE_RE.sub(" ", "".join(out)).strip()


def _balanced(text: str) -> bool:
    """Whether both BibTeX and bibtexparser read ``text``'s braces as balanced.

    BibTeX (and pybtex) count every brace; bibtexparser does not count a brace
    after a backslash. A value is safe only when both counts balance.
    """
    for braces in (re.findall(r"[{}]", text), _UNESCAPED_BRACE_RE.findall(text)):
        depth = 0
        for brace in braces:
            depth += 1 if brace == "{" else -1
            if depth < 0:
                return False
        if depth:
            return False
    return not text.endswith("\\")


def _verbatim(text: str | None) -> str | None:
    """An identifier or URL as written, or None when BibTeX cannot hold it verbatim."""
    text = one_line(text)
    return text if text and _balanced(text) else None


def doi_url(doi: str) -> str:
    """The doi.org link of ``doi``, with what a URL cannot hold percent-encoded."""
    return "https://doi.org/" + quote(doi, safe="/:;()[]._-~+,=!*'@$&")


def landing_url(work: Work, *, pdf: bool = False) -> str | None:
    """The link to cite: the DOI's, the arXiv abstract page, a landing page.

    With ``pdf``, the PDF of the best free copy when there is nothing else.
    """
    if one_line(work.ids.doi):
        return doi_url(one_line(work.ids.doi))
    if _verbatim(work.ids.arxiv):
        return f"https://arxiv.org/abs/{_verbatim(work.ids.arxiv)}"
    location = work.best_oa_location
    candidates = list(work.ids.urls)
    if location:
        candidates.append(location.url_for_landing_page)
        if location.url != location.url_for_pdf:
            candidates.append(location.url)
        if pdf:
            candidates.extend((location.url_for_pdf, location.url))
    return next((url for url in map(_verbatim, candidates) if url), None)


def _name_part(text: str) -> str:
    """A name part as LaTeX, braced when BibTeX would read a comma or "and" in it."""
    encoded = latex(text)
    if "," in encoded or _AND_RE.search(encoded):
        return "{" + encoded + "}"
    return encoded


def bibtex_name(author: Author) -> str:
    """``Family, Given`` (particles stay with the family), or an organisation braced whole."""
    if not one_line(author.family):
        return "{" + latex(author.name) + "}"
    family = _name_part(author.family)
    given = _name_part(author.given) if one_line(author.given) else ""
    if not given and " " in author.family.strip() and not family.startswith("{"):
        # A family name alone is written whole: BibTeX would read its last word as it.
        return "{" + family + "}"
    return f"{family}, {given}" if given else family


def _names(authors: tuple[Author, ...]) -> str:
    return " and ".join(bibtex_name(a) for a in authors if one_line(a.name))


def bibtex_pages(pages: str | None) -> str:
    """Pages with an en dash as BibTeX writes it: ``54--58``."""
    return latex(_DASHES_RE.sub("--", one_line(pages)))


def date_parts(work: Work) -> tuple[str, ...]:
    """(year, month, day) as far as known and consistent with the work's year."""
    match = _ISO_DATE_RE.match(work.published or "")
    if match and (work.year is None or match.group(1) == str(work.year)):
        parts = tuple(p for p in match.groups() if p)
        if len(parts) < 2 or 1 <= int(parts[1]) <= 12:
            return parts if len(parts) < 3 or 1 <= int(parts[2]) <= 31 else parts[:2]
        return parts[:1]
    return (str(work.year),) if work.year else ()


def is_preprint(work: Work) -> bool:
    """Whether ``work`` is a preprint (Crossref's posted-content, or an arXiv record of no type)."""
    return work.type == "posted-content" or (
        work.type is None and bool(work.ids.arxiv) and not work.venue
    )


def record_type(work: Work) -> str:
    """The work's type in Crossref's vocabulary; a work of no type with a venue is an article."""
    if work.type:
        return work.type
    if is_preprint(work):
        return "posted-content"
    return "journal-article" if one_line(work.venue) else ""


def _title(work: Work, *, with_subtitle: bool) -> str:
    title = rich_latex(work.title, protect=True)
    if with_subtitle and work.subtitle:
        subtitle = rich_latex(work.subtitle, protect=True)
        return f"{title}: {subtitle}" if title else subtitle
    return title


def _list(values: tuple[str, ...]) -> str:
    return ", ".join(latex(v) for v in values if one_line(v))


class BibTeXFormat(OutputFormat):
    """A BibTeX entry per work, for BibTeX's styles, natbib and reference managers."""

    name = "bibtex"
    description = "a .bib bibliography: one BibTeX entry per resolved work"
    bibliography: ClassVar[bool] = True

    def __init__(self) -> None:
        super().__init__()
        # One key space per output, so that keys are unique within the batch.
        self._keys = CitationKeys()

    def render(self, work: Work) -> str:
        import bibtexparser
        from bibtexparser.model import Entry, Field

        entry_type, fields = self.entry(work)
        block = Entry(
            entry_type,
            self._keys.key(work),
            [Field(k, v, enclosing="no-enclosing" if k == "month" else None) for k, v in fields],
        )
        text = bibtexparser.write_string(
            bibtexparser.Library([block]), bibtex_format=_bibtex_format()
        )
        return text.rstrip("\n")

    def entry(self, work: Work) -> tuple[str, list[tuple[str, str]]]:
        """The entry type and the (name, LaTeX value) fields of ``work``."""
        entry_type = _ENTRY_TYPES.get(record_type(work), ("misc", "misc"))[0]
        fields = [(k, v) for k, v in self._fields(entry_type, work) if v]
        names = {k for k, _ in fields}
        if not all(names & set(one_of) for one_of in _REQUIRED.get(entry_type, ())):
            entry_type = "misc"
            fields = [(k, v) for k, v in self._fields(entry_type, work) if v]
        return entry_type, fields

    def _fields(self, entry_type: str, work: Work) -> Iterator[tuple[str, str]]:
        venue = rich_latex(work.venue)
        date = date_parts(work)
        yield "author", _names(work.authors)
        yield "editor", _names(work.editors)
        yield "title", _title(work, with_subtitle=True)
        if entry_type == "article":
            yield "journal", venue
        elif entry_type in ("inproceedings", "incollection"):
            yield "booktitle", venue
        elif entry_type == "misc" and not is_preprint(work):
            yield "howpublished", venue
        yield "year", date[0] if date else ""
        yield "month", _MONTHS[int(date[1]) - 1] if len(date) > 1 else ""
        yield "volume", latex(work.volume)
        yield "number", latex(work.issue)
        yield "pages", bibtex_pages(work.pages or work.article_number)
        publisher = latex(work.publisher)
        if entry_type == "phdthesis":
            yield "school", publisher
        elif entry_type == "techreport":
            yield "institution", publisher
        else:
            yield "publisher", publisher
        if is_preprint(work):
            yield "note", latex(work.journal_ref)
        yield from _identifiers(work)
        yield "language", latex(work.language)
        yield "keywords", _list(work.keywords)
        yield "abstract", rich_latex(work.abstract)


class BibLaTeXFormat(BibTeXFormat):
    """A BibLaTeX entry per work, for biblatex and biber: ``date``, ``journaltitle``, eprints."""

    name = "biblatex"
    description = "a .bib bibliography for biblatex: one BibLaTeX entry per resolved work"
    bibliography: ClassVar[bool] = True

    def entry(self, work: Work) -> tuple[str, list[tuple[str, str]]]:
        entry_type = _ENTRY_TYPES.get(record_type(work), ("misc", "misc"))[1]
        return entry_type, [(k, v) for k, v in self._fields(entry_type, work) if v]

    def _fields(self, entry_type: str, work: Work) -> Iterator[tuple[str, str]]:
        # Each field only where biblatex's data model has it for the type
        # (biber --validate-datamodel): no publisher for an article, an ISSN for
        # periodicals only, one ISSN or ISBN.
        venue = rich_latex(work.venue)
        publisher = latex(work.publisher)
        yield "author", _names(work.authors)
        yield "editor", _names(work.editors)
        yield "title", _title(work, with_subtitle=False)
        yield "subtitle", rich_latex(work.subtitle, protect=True)
        if entry_type == "article":
            yield "journaltitle", venue
            yield "shortjournal", latex(work.container_short)
        elif entry_type in ("inproceedings", "incollection"):
            yield "booktitle", venue
        elif entry_type in ("misc", "software"):
            yield "howpublished", venue
        yield "date", "-".join(date_parts(work))
        if entry_type not in _BIBLATEX_UNNUMBERED:
            yield "volume", latex(work.volume)
            yield "number", latex(work.issue)
            yield "pages", bibtex_pages(work.pages)
            yield "eid", latex(work.article_number)
        if entry_type in ("thesis", "report"):
            yield "type", "phdthesis" if entry_type == "thesis" else "techreport"
            yield "institution", publisher
        elif entry_type in ("misc", "software", "online"):
            yield "organization", publisher or (venue if entry_type == "online" else "")
        elif entry_type != "article":
            yield "publisher", publisher
        if is_preprint(work):
            yield "note", latex(work.journal_ref)
        ids = work.ids
        arxiv, pmid = _verbatim(ids.arxiv), _verbatim(ids.pmid)
        if arxiv:
            yield "eprint", arxiv
            yield "eprinttype", "arxiv"
            yield "eprintclass", _verbatim(work.primary_category) or ""
        elif pmid:
            yield "eprint", pmid
            yield "eprinttype", "pubmed"
        yield "doi", _verbatim(ids.doi) or ""
        yield "url", landing_url(work, pdf=True) or ""
        if entry_type == "article":
            yield "issn", latex(work.issn[0]) if work.issn else ""
        if entry_type in _BIBLATEX_WITH_ISBN:
            yield "isbn", latex(work.isbn[0]) if work.isbn else ""
        # Not in biblatex's data model (biber ignores them), kept for reference managers.
        yield "pmid", pmid or ""
        yield "pmcid", _verbatim(ids.pmcid) or ""
        yield "language", latex(work.language)
        yield "keywords", _list(work.keywords)
        yield "abstract", rich_latex(work.abstract)


def _identifiers(work: Work) -> Iterator[tuple[str, str]]:
    """BibTeX's eprint, identifier and link fields, verbatim where LaTeX reads them verbatim."""
    ids = work.ids
    arxiv = _verbatim(ids.arxiv)
    if arxiv:
        yield "eprint", arxiv
        yield "archivePrefix", "arXiv"
        yield "primaryClass", _verbatim(work.primary_category) or ""
    yield "doi", _verbatim(ids.doi) or ""
    yield "url", landing_url(work) or ""
    yield "issn", _list(work.issn)
    yield "isbn", _list(work.isbn)
    yield "pmid", _verbatim(ids.pmid) or ""
    yield "pmcid", _verbatim(ids.pmcid) or ""
