"""OpenAlex's routes on a fake upstream, from the recorded answers in tests/fixtures/openalex/.

Single works answer ``/works/{key}`` (recorded bodies). Lists and searches
(``/works?filter=`` and ``/works?search=``) are answered in the recorded 2026
list's shape (``commonmeta_2026_list_sample_5.json``: ``meta`` with
``cost_usd``, ``results``), its ``results`` replaced here by the recorded
works asked for: the wrapper is built in this module, the works in it are
recorded.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from paperfuse.testing import Asked, FakeUpstream, Reply

FIXTURES = Path(__file__).parent / "fixtures" / "openalex"
PLOS = "commonmeta_work_10.1371_journal.pone.0000030.json"
BIORXIV = "commonmeta_work_10.1101_097196.json"
BOOK = "commonmeta_work_10.1017_9781108348843.json"
LIST = "commonmeta_2026_list_sample_5.json"
PLOS_TITLE = (
    "Triose Phosphate Isomerase Deficiency Is Caused by Altered Dimerization"
    "\u2013Not Catalytic Inactivity\u2013of the Mutant Enzymes"
)
#: Recorded works by the key the source asks them with (``/works/{key}``).
BY_KEY = {
    "W1982728624": PLOS,
    "doi:10.1371/journal.pone.0000030": PLOS,
    "pmid:17183658": PLOS,
    "mag:1982728624": PLOS,
    "W2581393460": BIORXIV,
    "doi:10.1101/097196": BIORXIV,
    "W97658052": BOOK,
    "doi:10.1017/9781108348843": BOOK,
}
#: The same works by the value a list's filter names.
BY_FILTER = {
    "doi:10.1371/journal.pone.0000030": PLOS,
    "doi:10.1101/097196": BIORXIV,
    "doi:10.1017/9781108348843": BOOK,
    "pmid:17183658": PLOS,
}
#: What OpenAlex's 2026 answers carry about cost (the recorded list's headers, in kind).
LIST_HEADERS = {"X-RateLimit-Cost-USD": "0.0001", "X-RateLimit-Limit-USD": "1"}


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_bytes())


def list_answer(results: list[Any], cost: float) -> dict[str, Any]:
    """A list answer in the recorded list's shape around ``results`` (built here)."""
    answer = load(LIST)
    answer["meta"] = {**answer["meta"], "count": len(results), "cost_usd": cost}
    answer["meta"].pop("x_query", None)
    answer["results"] = results
    return answer


def _list(asked: Asked) -> Reply:
    field, _, values = asked.params["filter"].partition(":")
    results = [
        load(BY_FILTER[f"{field}:{v.lower()}"])
        for v in values.split("|")
        if f"{field}:{v.lower()}" in BY_FILTER
    ]
    return Reply(list_answer(results, 0.0001), headers=LIST_HEADERS)


def _search(asked: Asked) -> Reply:
    results = [load(name) for name in (PLOS, BIORXIV)]
    return Reply(list_answer(results, 0.001), headers={"X-RateLimit-Cost-USD": "0.001"})


def replay(upstream: FakeUpstream) -> None:
    """Recorded works by key (a 404 for others), lists and searches around them."""
    upstream.answer_from(
        FIXTURES,
        lambda asked: BY_KEY.get((asked.path or "").removeprefix("/works/")),
        path=re.compile(r"/works/.+"),
    )
    upstream.route("/works", _list, params={"filter": re.compile(".")})
    upstream.route("/works", _search, params={"search": re.compile(".")})


def synthetic_work(doi: str) -> dict[str, Any]:
    """The recorded PLOS work with another DOI and id: a stand-in for one of many DOIs
    (built here from the recorded body, for the tests that count requests)."""
    work = copy.deepcopy(_TEMPLATE)
    number = abs(hash(doi)) % 10**10
    work["id"] = f"https://openalex.org/W{number}"
    work["doi"] = f"https://doi.org/{doi}"
    work["ids"] = {"openalex": work["id"], "doi": work["doi"]}
    for location in (*work["locations"], work["primary_location"], work["best_oa_location"]):
        location["id"] = f"doi:{doi}"
    return work


#: The recorded PLOS work cut to what a look-up needs, so that 10,000 of them are quick.
_TEMPLATE = {
    k: v[:1] if k in ("authorships", "locations") else v
    for k, v in load(PLOS).items()
    if k
    in (
        "id",
        "doi",
        "title",
        "publication_year",
        "publication_date",
        "ids",
        "primary_location",
        "type",
        "open_access",
        "authorships",
        "biblio",
        "is_retracted",
        "locations",
        "best_oa_location",
    )
}
