"""Text normalisation shared by matching and searching: one place, one set of rules.

Sources spell one title differently: Crossref has HTML and MathML
(``<i>in vivo</i>``, ``H<sub>2</sub>O``), arXiv has LaTeX (``$\\alpha$``,
``Schr\\"odinger``), users type without accents or capitals. :func:`plain_text`
removes all of that and keeps the words; :func:`normalize_title` is what
matching compares (``_match.py``), :func:`search_words` what a source puts in a
search query. Both are public, so that a plugin reads titles as paperfuse does.
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = ["normalize_title", "plain_text", "search_words"]

#: LaTeX Greek letters, so that "$\alpha$" and "α" normalise alike (both to "alpha").
_GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "vartheta": "θ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
}


def _greek_names() -> dict[str, str]:
    """Greek letters spelled out (" alpha "), so that "α", "$\\alpha$" and "alpha" agree."""
    names: dict[str, str] = {}
    for code in range(0x391, 0x3CA):
        name = unicodedata.name(chr(code), "")
        if name.startswith(("GREEK SMALL LETTER ", "GREEK CAPITAL LETTER ")):
            word = name.rsplit(" ", 1)[-1].lower()
            names[chr(code)] = " " + ("lambda" if word == "lamda" else word) + " "
    return names


_GREEK_NAMES = _greek_names()

#: Letters that NFKD does not decompose into a base letter and an accent.
_LETTERS = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L"}
    | {"đ": "d", "Đ": "D", "ð": "d", "þ": "th", "ı": "i", "&": " and "}
)

_BLOCK_TAG = re.compile(r"</?(?:br|p|div|li|title|subtitle|jats:p|jats:title)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^<>]*>")
_LATEX_ACCENT = re.compile(r"\\[`'^\"~=.]\s*(?:\{\s*([A-Za-z])\s*\}|([A-Za-z]))")
_LATEX_ACCENT_WORD = re.compile(r"\\[cvuHkrdbt]\s*\{\s*([A-Za-z]+)\s*\}")
_LATEX_COMMAND = re.compile(r"\\([A-Za-z]+)")
_LATEX_MATH = re.compile(r"\$([^$]*)\$")
_LATEX_SYMBOL = re.compile(r"\\([&%$#_{}])")


def _strip_latex(text: str) -> str:
    """``text`` with LaTeX markup removed and the content kept."""
    text = _LATEX_SYMBOL.sub(r"\1", text)
    text = _LATEX_ACCENT.sub(lambda m: m.group(1) or m.group(2), text)
    text = _LATEX_ACCENT_WORD.sub(r"\1", text)
    text = _LATEX_COMMAND.sub(lambda m: _GREEK.get(m.group(1), ""), text)
    # Sub- and superscripts inside math: "H$_2$O" reads "H2O", like "H<sub>2</sub>O".
    text = _LATEX_MATH.sub(lambda m: m.group(1).replace("_", "").replace("^", ""), text)
    return text.replace("$", "").replace("{", "").replace("}", "")


def plain_text(text: str) -> str:
    """``text`` without markup or accents, its words and case kept.

    HTML, JATS and MathML tags are removed with their content kept
    (``<i>in vivo</i>`` is "in vivo", ``H<sub>2</sub>O`` "H2O"), entities
    decoded; LaTeX markup likewise (``\\emph{x}`` is "x", ``Schr\\"odinger``
    "Schrodinger"). Then Unicode NFKD with accents dropped, letters that do
    not decompose spelled in ASCII ("ø" is "o", "æ" "ae", "&" " and ") and
    Greek letters spelled out (``$\\alpha$``, "α" and "alpha" all read "alpha").
    """
    text = _BLOCK_TAG.sub(" ", text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    if "\\" in text or "$" in text:
        text = _strip_latex(text)
    text = text.translate(_LETTERS)
    text = unicodedata.normalize("NFKD", text)
    return "".join(_GREEK_NAMES.get(c, c) for c in text if not unicodedata.combining(c))


def normalize_title(text: str) -> str:
    """``text`` reduced to what identifies a title: plain lower-case words.

    :func:`plain_text`, then casefold; every character that is not a letter
    or digit becomes a space, and runs of spaces collapse. Two sources'
    spellings of one title normalise alike: "Schr\\"odinger's <i>cat</i>" and
    "Schrödinger’s Cat" are both "schrodinger s cat".
    """
    text = "".join(c if c.isalnum() else " " for c in plain_text(text).casefold())
    return " ".join(text.split())


_SEARCH_WORD_RE = re.compile(r"[A-Za-z0-9]+")


def search_words(text: str) -> list[str]:
    """The words of ``text`` to put in a search query: ASCII letters and digits only.

    :func:`plain_text`'s words, in their case; everything else (punctuation,
    quotes, operators' symbols, letters no ASCII spelling exists for) only
    separates words. Nothing in them can act as a query language's syntax,
    though a word may still be one of its operators ("AND", "NOT"): a source
    drops those itself.
    """
    return _SEARCH_WORD_RE.findall(plain_text(text))
