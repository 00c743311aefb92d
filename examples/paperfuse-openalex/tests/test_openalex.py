"""The example OpenAlex plugin, tested with paperfuse.testing alone.

The contract suites check what every source and scheme promise; the tests
after them check what this plugin does of its own. Recorded answers are in
tests/fixtures/ (see PROVENANCE.md there).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import paperfuse_example_openalex as plugin
from paperfuse_example_openalex import MarkdownReferences, OpenAlexScheme

from paperfuse import Work
from paperfuse.testing import (
    CLI,
    Asked,
    FakeUpstream,
    FormatContract,
    Isolation,
    Reply,
    ResolverFactory,
    SchemeContract,
    SourceContract,
    report,
)

FIXTURES = Path(__file__).parent / "fixtures"
PLOS = "commonmeta_work_10.1371_journal.pone.0000030.json"
BIORXIV = "commonmeta_work_10.1101_097196.json"
#: Recorded works by the keys the source asks them with.
BY_KEY = {
    "W1982728624": PLOS,
    "doi:10.1371/journal.pone.0000030": PLOS,
    "doi:10.1101/097196": BIORXIV,
}
PLOS_TITLE = (
    "Triose Phosphate Isomerase Deficiency Is Caused by Altered Dimerization"
    "\u2013Not Catalytic Inactivity\u2013of the Mutant Enzymes"
)


def search(asked: Asked) -> Reply:
    """``/works?search=``: a list in OpenAlex's documented shape around the recorded
    works (the list is built here; the works in it are recorded)."""
    results = [json.loads((FIXTURES / name).read_bytes()) for name in (PLOS, BIORXIV)]
    body = {"meta": {"count": len(results), "page": 1, "per_page": 5}, "results": results}
    return Reply(body)


def replay(upstream: FakeUpstream) -> None:
    """OpenAlex's routes: recorded works by id or DOI (404 for others), and the search."""
    upstream.answer_from(
        FIXTURES,
        lambda asked: BY_KEY.get((asked.path or "").removeprefix("/works/")),
        path=re.compile(r"/works/.+"),
    )
    upstream.route("/works", search, params={"search": re.compile(".")})


class TestOpenAlexSourceContract(SourceContract):
    plugin = plugin
    source = "openalex-example"
    found = ("W1982728624", "10.1101/097196")
    unknown = "10.1371/not-there"
    search_title = PLOS_TITLE

    def replay(self, upstream: FakeUpstream) -> None:
        replay(upstream)


class TestOpenAlexSchemeContract(SchemeContract):
    scheme = OpenAlexScheme
    valid = ("W1982728624", "w1982728624", "openalex:W2581393460", "https://openalex.org/W97658052")
    malformed = ("openalex:A5070892021", "https://openalex.org/W12")


class TestMarkdownReferencesContract(FormatContract):
    format = MarkdownReferences

    def check(self, text: str, works: Sequence[Work]) -> None:
        lines = text.splitlines()
        assert lines[:2] == ["## References", ""]
        assert len(lines) == 2 + len(works)
        assert all(line.startswith("- ") for line in lines[2:])


def test_an_openalex_id_resolves_to_its_work(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    replay(paperfuse_upstream)
    with paperfuse_resolver(plugin, urls={"openalex-example": paperfuse_upstream.url}) as resolver:
        work = resolver.resolve("https://openalex.org/W1982728624")
    assert report(work, "openalex-example").status == "ok"
    assert work.title == PLOS_TITLE
    assert work.ids.doi == "10.1371/journal.pone.0000030"
    assert work.ids.pmid == "17183658"
    assert (work.volume, work.issue, work.pages) == ("1", "1", "e30")
    assert work.authors[0].orcid == "0000-0001-9535-7413"
    (asked,) = paperfuse_upstream.requests()
    assert asked.path == "/works/W1982728624"


def test_the_api_key_is_sent_and_never_shown(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    replay(paperfuse_upstream)
    key = "openalex-key-0f9e8d7c"
    with paperfuse_resolver(
        plugin,
        urls={"openalex-example": paperfuse_upstream.url},
        settings={"openalex-example": {"api_key": key}},
    ) as resolver:
        work = resolver.resolve("W1982728624")
    assert paperfuse_upstream.requests()[0].params["api_key"] == key
    assert key not in str(work)


def test_the_command_line_resolves_a_doi_through_the_plugin(
    paperfuse_upstream: FakeUpstream, paperfuse_isolated: Isolation, paperfuse_cli: CLI
) -> None:
    replay(paperfuse_upstream)
    paperfuse_isolated.use_plugins(plugin)
    ran = paperfuse_cli(
        "resolve", "10.1101/097196", urls={"openalex-example": paperfuse_upstream.url}
    )
    (work,) = ran.works()
    assert ran.exit_code == 0, ran.stderr
    assert work.status == "resolved"
    assert work.ids.other["openalex-example"] == "W2581393460"


def test_the_reference_list_leaves_failed_inputs_out(
    paperfuse_upstream: FakeUpstream, paperfuse_isolated: Isolation, paperfuse_cli: CLI
) -> None:
    replay(paperfuse_upstream)
    paperfuse_isolated.use_plugins(plugin)
    ran = paperfuse_cli(
        "resolve",
        "--format",
        "markdown-references",
        "W1982728624",
        "10.1371/not-there",
        urls={"openalex-example": paperfuse_upstream.url},
    )
    assert ran.exit_code == 1  # one input did not resolve
    lines = ran.stdout.splitlines()
    assert lines[:2] == ["## References", ""]
    (entry,) = lines[2:]
    assert entry.startswith("- Ralser, M.; ")
    assert "(2006)" in entry
    assert entry.endswith("https://doi.org/10.1371/journal.pone.0000030")
    assert "10.1371/not-there" in ran.stderr  # reported, not an entry
