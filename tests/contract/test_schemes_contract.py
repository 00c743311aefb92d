"""paperfuse's own identifier schemes keep the scheme contract of paperfuse.testing.

Each built-in scheme claims its own kind of identifier, so each is checked
against the others of OTHER_IDENTIFIERS only: the DOI scheme must not claim an
arXiv id, the arXiv scheme no DOI, and so on. The URL scheme (the fallback)
claims any http(s) URL, a doi.org link included, so URLs are not among its others.
"""

from __future__ import annotations

from typing import Any

import paperfuse
from paperfuse.testing import OTHER_IDENTIFIERS, SchemeContract

SCHEMES = {scheme.name: scheme for scheme in paperfuse.builtin_schemes()}
#: Which texts of OTHER_IDENTIFIERS each scheme rightly claims.
OWN = {
    "doi": ("10.", "doi:", "https://doi.org/"),
    "arxiv": ("arXiv:", "1710.", "math/"),
    "pmid": ("PMID", "29915538"),
    "pmcid": ("PMC",),
    "url": ("https://",),
}


def others(name: str) -> tuple[str, ...]:
    return tuple(t for t in OTHER_IDENTIFIERS if not t.startswith(OWN[name]))


class TestDoiSchemeContract(SchemeContract):
    scheme: Any = SCHEMES["doi"]
    valid = (
        "10.1038/nature12373",
        "doi:10.1103/PhysRevLett.80.3915",
        "https://doi.org/10.7554/eLife.01567",
    )
    malformed = ("doi:10.1234", "doi:abc", "https://doi.org/")
    others = others("doi")


class TestArxivSchemeContract(SchemeContract):
    scheme: Any = SCHEMES["arxiv"]
    valid = ("arXiv:1710.08557", "1710.08557v2", "math/0211159", "https://arxiv.org/abs/2101.00001")
    malformed = ("arXiv:1234.5", "arXiv:abc")
    others = others("arxiv")


class TestPmidSchemeContract(SchemeContract):
    scheme: Any = SCHEMES["pmid"]
    valid = ("PMID: 29915538", "pmid:22663011")
    malformed = ("PMID: abc", "PMID: 0", "PMID:")
    others = others("pmid")


class TestPmcidSchemeContract(SchemeContract):
    scheme: Any = SCHEMES["pmcid"]
    valid = ("PMC2883744", "pmc3040717")
    malformed = ("PMC",)
    others = others("pmcid")


class TestUrlSchemeContract(SchemeContract):
    scheme: Any = SCHEMES["url"]
    valid = ("https://example.org/paper", "http://repository.example.edu/1234/paper.pdf")
    malformed = ("http://", "ftp://x")
    others = others("url")
