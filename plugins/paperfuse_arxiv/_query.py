"""Building ``search_query`` strings for title and citation queries.

The arXiv API's query language has field prefixes (``ti:``, ``au:``,
``abs:``, ``all:``), the operators ``AND``, ``OR`` and ``ANDNOT``, phrases in
double quotes and grouping with parentheses. Words taken from user text are
:func:`paperfuse.search_words` (ASCII letters and digits), so that nothing in
them can act as syntax.
"""

from __future__ import annotations

from paperfuse import Query, search_words

__all__ = ["search_query"]

#: Words that the query language reads as operators.
_OPERATORS = {"and", "or", "andnot", "not"}
#: Words too common to narrow a search.
_STOP = {
    "a", "an", "the", "of", "in", "on", "for", "to", "with", "by", "at", "from",
    "is", "are", "via", "its", "into", "as",
}  # fmt: skip
#: Kinds of paper that a query only wants when it names them.
_UNWANTED = ("erratum", "corrigendum", "retraction")
_MAX_WORDS = 12


def _phrase(text: str) -> str | None:
    terms = [w for w in search_words(text) if w.lower() not in _OPERATORS]
    return '"' + " ".join(terms) + '"' if terms else None


def search_query(query: Query, *, phrase: bool = True) -> str | None:
    """The ``search_query`` for ``query``; None when the text has no usable words.

    With ``phrase`` (the first try), the title is one quoted ``ti:`` phrase;
    without it (the fallback), its significant words are ANDed, so that a
    word order or a punctuation difference still finds the paper. The first
    author's surname narrows the search with ``au:``; errata and the like
    are excluded with ``ANDNOT`` unless the query asks for them.
    """
    title = query.title or (query.text if query.kind == "title" else None)
    if title:
        if phrase:
            clause = _phrase(title)
            clause = f"ti:{clause}" if clause else None
        else:
            significant = [w for w in search_words(title) if w.lower() not in _STOP | _OPERATORS]
            clause = _and("ti", significant[:_MAX_WORDS])
    else:
        significant = [w for w in search_words(query.text) if w.lower() not in _STOP | _OPERATORS]
        clause = _and("all", [w for w in significant if not w.isdigit()][:_MAX_WORDS])
    if clause is None:
        return None
    parts = [clause]
    if query.author:
        author = _phrase(query.author)
        if author:
            parts.append(f"AND au:{author}")
    asked = query.text.lower()
    for kind in _UNWANTED:
        if kind not in asked:
            parts.append(f"ANDNOT ti:{kind}")
    return " ".join(parts)


def _and(field: str, terms: list[str]) -> str | None:
    if not terms:
        return None
    if len(terms) == 1:
        return f"{field}:{terms[0]}"
    return "(" + " AND ".join(f"{field}:{t}" for t in terms) + ")"
