"""The Unpaywall sources: recorded DOI objects replayed by a local server, faults,
the daily budget, secrets, and the snapshot mode.

Expected values were read by eye from the files in tests/fixtures/unpaywall/.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import stamina
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import paperfuse
import paperfuse_unpaywall
from installed_plugins import BUILT_IN_PLUGINS
from paperfuse import Config, SourceSettings, Work
from paperfuse.testing import CLI, Isolation, SourcesPlugin, fake_source, report
from paperfuse_unpaywall import doi_object_to_work, snapshot_records

FIXTURES = Path(__file__).parent / "fixtures" / "unpaywall"
EMAIL = "librarian@example.org"
#: Records in the snapshot sample (tests/fixtures/unpaywall/snapshot/).
SAMPLE_SIZE = 34


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


# -- mapping --------------------------------------------------------------------------------


def test_green_record_with_several_locations() -> None:
    work = doi_object_to_work(load("unpywall_10.1038_nature12373.json"))
    assert work is not None
    assert work.ids.doi == "10.1038/nature12373"
    assert work.title == "Nanometre-scale thermometry in a living cell"
    assert (work.venue, work.publisher) == ("Nature", "Springer Science and Business Media LLC")
    assert (work.issn, work.issn_l) == (("0028-0836", "1476-4687"), "0028-0836")
    assert (work.published, work.year, work.type) == ("2013-07-31", 2013, "journal-article")
    assert (work.journal_is_oa, work.journal_is_in_doaj) == (False, False)
    assert (work.is_oa, work.oa_status) == (True, "green")
    first = work.authors[0]
    assert (first.name, first.given, first.family, first.sequence) == (
        "G. Kucsko",
        "G.",
        "Kucsko",
        "first",
    )
    assert len(work.oa_locations) == 4
    dash = work.oa_locations[0]
    assert dash.url == (
        "https://dash.harvard.edu/bitstream/1/12285462/1/Nanometer-Scale%20Thermometry.pdf"
    )
    assert dash.url_for_landing_page == "http://nrs.harvard.edu/urn-3:HUL.InstRepos:12285462"
    assert (dash.host_type, dash.version, dash.license, dash.is_best) == (
        "repository",
        "publishedVersion",
        None,
        True,
    )
    assert dash.pmh_id == "oai:dash.harvard.edu:1/12285462"
    assert dash.evidence == "oa repository (via OAI-PMH doi match)"
    assert dash.updated == "2020-04-15T00:18:04.153557"
    assert dash.repository_institution.startswith("Harvard University")  # type: ignore[union-attr]
    assert dash.source == "unpaywall"
    assert work.best_oa_location == dash
    # identifiers the locations reveal: the arXiv copy and the PMC copy
    assert (work.ids.arxiv, work.ids.pmcid) == ("1304.1068", "PMC4221854")
    assert work.extra["unpaywall"]["has_repository_copy"] is True


def test_orcids_become_https_urls() -> None:
    work = doi_object_to_work(load("unpywall_10.1016_j.jns.2020.116832.json"))
    assert work is not None
    assert work.authors[0].orcid == "https://orcid.org/0000-0002-2598-7601"
    assert work.authors[0].name == "Ali A. Asadi-Pooya"


@pytest.mark.parametrize(
    ("name", "status", "is_oa"),
    [
        ("unpywall_10.1016_j.envint.2020.105730.json", "gold", True),
        ("unpywall_10.1103_physreve.88.012814.json", "hybrid", True),
        ("unpywall_10.1016_j.jns.2020.116832.json", "bronze", True),
        ("unpywall_10.1038_nature12373.json", "green", True),
        ("snapshot/ezunpaywall_10.1109_jphotov.2020.3019951.json", "closed", False),
    ],
)
def test_every_oa_status(name: str, status: str, is_oa: bool) -> None:
    work = doi_object_to_work(load(name))
    assert work is not None
    assert (work.oa_status, work.is_oa) == (status, is_oa)


def test_record_without_oa_status_and_with_nulls() -> None:
    work = doi_object_to_work(load("psu_fixture_unpaywall2.json"))
    assert work is not None
    assert work.oa_status is None
    assert work.best_oa_location is None
    assert work.oa_locations == ()
    assert [a.family for a in work.authors] == ["Castonguay", "Goldfried"]


def test_old_snapshot_record_with_missing_fields() -> None:
    work = doi_object_to_work(load("snapshot/dissemin_10.1080_21645515.2017.1330236.json"))
    assert work is not None
    assert work.oa_status is None  # 2018 records have no oa_status
    assert work.authors[0].affiliations  # Crossref affiliations are kept
    assert not work.authors[0].affiliations[0].startswith(" ")


def test_paratext_and_deprecated_values() -> None:
    data = load("snapshot/ezunpaywall_10.9783_9780812209709.toc.json")
    work = doi_object_to_work(data)
    assert work is not None
    assert work.extra["unpaywall"]["is_paratext"] is True
    data["oa_locations"][0]["evidence"] = "deprecated"
    data["oa_locations"][0]["updated"] = "deprecated"
    location = doi_object_to_work(data).oa_locations[0]  # type: ignore[union-attr]
    assert (location.evidence, location.updated) == (None, None)


def test_new_fields_wrong_types_and_name_only_authors_do_not_break_it() -> None:
    data = load("unpywall_10.1016_j.envint.2020.105730.json")
    data |= {"a_field_from_2030": {"nested": [1, 2]}, "year": "2020", "title": 12345}
    data["z_authors"] = [{"name": "The COVID-19 Consortium"}, "garbage", {"given": "Ada"}]
    data["oa_locations"].append({"url": None})
    data["oa_locations"].append("garbage")
    work = doi_object_to_work(data)
    assert work is not None
    assert work.year == 2020
    assert work.title is None
    assert [a.name for a in work.authors] == ["The COVID-19 Consortium", "Ada"]
    assert len(work.oa_locations) == 2
    assert doi_object_to_work({"not": "a doi object"}) is None
    assert doi_object_to_work(["nor", "this"]) is None


# -- the API source against a local server ----------------------------------------------------


def config(server: HTTPServer, email: str | None = EMAIL, **settings: Any) -> Config:
    url = server.url_for("").rstrip("/")
    return Config(email=email, sources={"unpaywall": SourceSettings(url=url, **settings)})


def resolver(cfg: Config, *extra: type[paperfuse.Source]) -> paperfuse.Resolver:
    plugins: dict[str, object] = {"unpaywall": paperfuse_unpaywall}
    if extra:
        plugins["fakes"] = SourcesPlugin(*extra)
    return paperfuse.Resolver(cfg, entry_points=False, plugins=plugins)


def serve(server: HTTPServer, handler: Callable[[Request], Response]) -> None:
    import re

    server.expect_request(re.compile(r"^/v2/.*")).respond_with_handler(handler)


def recorded(name: str, status: int = 200) -> Callable[[Request], Response]:
    def respond(request: Request) -> Response:
        return Response(
            (FIXTURES / name).read_bytes(), status=status, content_type="application/json"
        )

    return respond


def test_without_email_the_source_is_skipped_with_help(httpserver: HTTPServer) -> None:
    other = fake_source("other", ["doi"], records={("doi", "10.1038/nature12373"): Work(title="T")})
    with resolver(config(httpserver, email=None), other) as r:
        work = r.resolve("10.1038/nature12373")
    assert work.title == "T"
    assert report(work, "unpaywall").status == "skipped"
    assert "PAPERFUSE_EMAIL" in (report(work, "unpaywall").error or "")
    assert httpserver.log == []


def test_doi_object_is_fetched_with_the_email_and_merged(httpserver: HTTPServer) -> None:
    serve(httpserver, recorded("unpywall_10.1038_nature12373.json"))
    with resolver(config(httpserver)) as r:
        work = r.resolve("https://doi.org/10.1038/NATURE12373")
    request = httpserver.log[0][0]
    assert request.path == "/v2/10.1038/nature12373"
    assert request.args["email"] == EMAIL
    assert work.status == "resolved"
    assert (work.title, work.venue, work.oa_status) == (
        "Nanometre-scale thermometry in a living cell",
        "Nature",
        "green",
    )
    assert work.best_oa_location is not None
    assert work.best_oa_location.url.startswith("https://dash.harvard.edu/")
    assert work.best_oa_location.reason
    assert report(work, "unpaywall").status == "ok"
    assert report(work, "unpaywall").requests == 1


def test_unpaywalls_own_view_is_kept_when_paperfuse_ranks_differently(
    httpserver: HTTPServer,
) -> None:
    data = load("unpywall_10.1038_nature12373.json")
    data["oa_status"] = "bronze"  # Unpaywall's own verdict, made to differ
    serve(httpserver, lambda request: Response(json.dumps(data), content_type="application/json"))
    with resolver(config(httpserver)) as r:
        work = r.resolve("10.1038/nature12373")
    assert work.oa_status == "green"
    provenance = work.provenance["oa_status"]
    assert provenance.source == "paperfuse"
    assert [(o.source, o.value) for o in provenance.others] == [("unpaywall", "bronze")]


def test_revealed_identifiers_go_back_to_the_engine(httpserver: HTTPServer) -> None:
    serve(httpserver, recorded("unpywall_10.1038_nature12373.json"))
    arxiv = fake_source("arxiv", ["arxiv"])
    pmc = fake_source("pmc", ["pmcid"])
    with resolver(config(httpserver), arxiv, pmc) as r:
        r.resolve("10.1038/nature12373")
    assert [call[2] for call in arxiv.calls] == [("arxiv:1304.1068",)]
    assert [call[2] for call in pmc.calls] == [("pmcid:PMC4221854",)]


@pytest.mark.parametrize(
    "name",
    [
        "psu_404_10.000_doi1.json",
        "vufind_404_invalid_doi_10.1032228_nature12373.json",
    ],
)
def test_404_is_not_found(httpserver: HTTPServer, name: str) -> None:
    serve(httpserver, recorded(name, status=404))
    with resolver(config(httpserver)) as r:
        work = r.resolve("10.1234/missing")
    assert report(work, "unpaywall").status == "not_found"
    assert work.status == "not_found"


def test_404_as_an_html_page_is_not_found(httpserver: HTTPServer) -> None:
    page = b"<html><head><title>404 Not Found</title></head><body>Not Found</body></html>"
    serve(httpserver, lambda request: Response(page, status=404, content_type="text/html"))
    with resolver(config(httpserver)) as r:
        assert report(r.resolve("10.1234/missing"), "unpaywall").status == "not_found"


def test_422_is_a_clear_error_without_the_email(httpserver: HTTPServer) -> None:
    body = json.dumps(
        {"HTTP_status_code": 422, "error": True, "message": f"Please use a real email, not {EMAIL}"}
    )
    serve(httpserver, lambda request: Response(body, status=422, content_type="application/json"))
    with resolver(config(httpserver)) as r:
        work = r.resolve("10.1234/x")
    error = report(work, "unpaywall").error or ""
    assert report(work, "unpaywall").status == "error"
    assert "Unpaywall refused the contact email as invalid (HTTP 422)" in error
    assert EMAIL not in paperfuse.encode_json(work).decode()
    assert "email=***" in error


def test_429_and_5xx_are_retried_with_retry_after(httpserver: HTTPServer) -> None:
    answers = [
        Response("slow down", status=429, headers={"Retry-After": "0"}),
        Response("oops", status=502),
        Response((FIXTURES / "unpywall_10.1016_j.envint.2020.105730.json").read_bytes()),
    ]
    serve(httpserver, lambda request: answers.pop(0))
    with stamina.set_testing(True, attempts=3), resolver(config(httpserver)) as r:
        work = r.resolve("10.1016/j.envint.2020.105730")
    assert work.oa_status == "gold"
    assert len(httpserver.log) == 3


def test_failures_are_attributed_to_the_doi_and_redacted(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    serve(httpserver, lambda request: Response("<html>oops</html>", status=500))
    with caplog.at_level(logging.DEBUG), resolver(config(httpserver)) as r:
        bad = r.resolve("10.1234/x")
    assert report(bad, "unpaywall").error == (
        f"HTTP 500 after 1 attempt (GET {httpserver.url_for('/v2/10.1234/x')}?email=***)"
    )
    httpserver.clear()
    serve(httpserver, lambda request: Response("not json at all {", status=200))
    with resolver(config(httpserver)) as r:
        garbage = r.resolve("10.1234/y")
    assert "malformed JSON: 'not json at all {'" in (report(garbage, "unpaywall").error or "")
    ours = [r for r in caplog.records if not r.name.startswith("werkzeug")]  # the test server's
    assert any(r.name == "httpx" for r in ours)
    everything = paperfuse.encode_json([bad, garbage]).decode()
    everything += "\n".join(r.getMessage() for r in ours)
    assert EMAIL not in everything
    assert "librarian" not in everything


# -- search -----------------------------------------------------------------------------------


def test_title_search_gives_candidates_to_the_matcher(httpserver: HTTPServer) -> None:
    serve(httpserver, recorded("psu_search_stable_characteristic_evolution_2023-09.json"))
    title = (
        "Stable characteristic evolution of generic three-dimensional single-black-hole spacetimes"
    )
    cfg = config(httpserver, options={"search_is_oa": True})
    with resolver(cfg) as r:
        work = r.resolve(title)
    search = httpserver.log[0][0]
    assert search.path == "/v2/search"
    assert search.args["query"] == title.replace("-", " ")  # words only: "-" negates
    assert search.args["is_oa"] == "true"
    assert search.args["email"] == EMAIL
    assert work.status == "resolved"
    assert work.ids.doi == "10.1103/physrevlett.80.3915"
    assert work.extra["unpaywall"]["search_score"] == pytest.approx(0.019493563)
    assert work.candidates[0].source == "unpaywall"


def test_search_with_many_weak_results_is_not_accepted(httpserver: HTTPServer) -> None:
    serve(httpserver, recorded("psu_search_economic_development_2023-09.json"))
    with resolver(config(httpserver)) as r:
        work = r.resolve("Economic development")
    assert work.status == "ambiguous"
    assert len(work.candidates) >= 2


# -- the daily budget ---------------------------------------------------------------------------


def test_daily_budget_is_counted_across_runs_and_stops_asking(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    serve(httpserver, recorded("unpywall_10.1016_j.envint.2020.105730.json"))
    cfg = msgspec_replace(config(httpserver, daily_budget=3), cache_dir=str(tmp_path))
    with caplog.at_level(logging.WARNING), resolver(cfg) as r:
        works = list(r.resolve_many(["10.1234/a", "10.1234/b"]))
    assert all(w.status == "resolved" for w in works)
    assert "has used 3 of its 3 calls" not in caplog.text
    with caplog.at_level(logging.WARNING), resolver(cfg) as r:
        third, fourth = r.resolve_many(["10.1234/c", "10.1234/d"])
    assert third.status == "resolved"
    assert "source unpaywall has used 3 of its 3 calls for today (UTC)" in caplog.text
    assert report(fourth, "unpaywall").status == "error"
    assert "daily budget of 3 calls is spent; asking again after 00:00 UTC" in (
        report(fourth, "unpaywall").error or ""
    )
    assert len(httpserver.log) == 3


def msgspec_replace(value: Any, **changes: Any) -> Any:
    import msgspec

    return msgspec.structs.replace(value, **changes)


def test_default_politeness() -> None:
    source = paperfuse_unpaywall.UnpaywallSource
    assert source.politeness.daily_budget == 100_000
    assert source.politeness.max_concurrency == 4
    assert source.batch_size == 1


# -- snapshot mode ------------------------------------------------------------------------------


def write_snapshot(path: Path, *, gzipped: bool) -> list[str]:
    """A snapshot file from the sample records, with a bad line among them."""
    lines = []
    dois = []
    for file in sorted((FIXTURES / "snapshot").glob("*.json")):  # the single-record samples
        data = json.loads(file.read_text())
        dois.append(data["doi"].lower())
        lines.append(json.dumps(data))
    lines.insert(3, "{this is not json")
    text = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(text) if gzipped else text)
    return dois


def snapshot_resolver(path: Path, cache: Path) -> paperfuse.Resolver:
    cfg = Config(
        cache_dir=str(cache),
        use_cache=False,  # answers come from the snapshot index itself, each run
        sources={"unpaywall-snapshot": SourceSettings(options={"path": str(path)})},
    )
    return paperfuse.Resolver(cfg, entry_points=False, plugins={"unpaywall": paperfuse_unpaywall})


@pytest.mark.parametrize("gzipped", [True, False])
def test_snapshot_answers_dois_without_any_server(
    tmp_path: Path, gzipped: bool, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / ("snapshot.jsonl.gz" if gzipped else "snapshot.jsonl")
    dois = write_snapshot(path, gzipped=gzipped)
    assert len(dois) == SAMPLE_SIZE
    with caplog.at_level(logging.INFO), snapshot_resolver(path, tmp_path / "cache") as r:
        works = list(r.resolve_many([*dois, "10.1234/not-in-the-snapshot"]))
    assert [w.ids.doi for w in works[:-1]] == dois
    assert all(w.status == "resolved" for w in works[:-1])
    assert works[-1].status == "not_found"
    assert f"indexed {SAMPLE_SIZE} records" in caplog.text
    assert "1 lines of the snapshot" in caplog.text
    gold = next(w for w in works if w.ids.doi == "10.1016/j.physletb.2015.06.070")
    assert gold.oa_status == "gold"
    assert len(gold.oa_locations) >= 20
    assert report(gold, "unpaywall-snapshot").status == "ok"
    assert report(gold, "unpaywall").status == "skipped"  # no email, no network


def test_the_real_snapshot_sample_file_is_indexed_and_answers(tmp_path: Path) -> None:
    """The 2,150-record gzipped sample of an Unpaywall snapshot, used as it is."""
    path = FIXTURES / "snapshot" / "ezunpaywall_snapshot_2150records.jsonl.gz"
    with gzip.open(path, "rt") as lines:
        sample = [json.loads(line) for line in lines]
    assert len(sample) == 2150
    chosen = sample[0], sample[1075], sample[-1]
    with snapshot_resolver(path, tmp_path / "cache") as r:
        works = list(r.resolve_many(d["doi"] for d in chosen))
    for work, data in zip(works, chosen, strict=True):
        assert work.status == "resolved"
        assert work.ids.doi == data["doi"].lower()
        assert work.title == data["title"]
        assert work.oa_status == data["oa_status"]
    assert works[0].title == (
        "Synergistic effect of wire bending and salivary pH on surface properties"
        " and mechanical properties of orthodontic stainless steel archwires"
    )
    assert works[0].authors[0].family == "Hobbelink"


def test_snapshot_is_indexed_once_per_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "snapshot.jsonl"
    dois = write_snapshot(path, gzipped=False)
    with snapshot_resolver(path, tmp_path / "cache") as r:
        r.resolve(dois[0])
    with caplog.at_level(logging.INFO), snapshot_resolver(path, tmp_path / "cache") as r:
        assert r.resolve(dois[1]).status == "resolved"
    assert "indexing" not in caplog.text
    path.write_text(path.read_text().replace(dois[1], "10.9999/renamed"))
    with caplog.at_level(logging.INFO), snapshot_resolver(path, tmp_path / "cache") as r:
        assert r.resolve(dois[1]).status == "not_found"
        assert r.resolve("10.9999/renamed").status == "resolved"
    assert "indexing the Unpaywall snapshot" in caplog.text


def test_snapshot_source_without_a_file_says_how_to_set_one(tmp_path: Path) -> None:
    cfg = Config(cache_dir=str(tmp_path))
    with paperfuse.Resolver(cfg, entry_points=False, plugins={"u": paperfuse_unpaywall}) as r:
        work = r.resolve("10.1234/x")
    assert "set path under [sources.unpaywall-snapshot.options]" in (
        report(work, "unpaywall-snapshot").error or ""
    )


def test_snapshot_records_reads_gzip_and_skips_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.gz"
    write_snapshot(path, gzipped=True)
    records = list(snapshot_records(path))
    assert len(records) == SAMPLE_SIZE
    assert records[0][1].startswith(b"{")


# -- end to end ---------------------------------------------------------------------------------


def test_cli_resolves_against_a_local_replay(
    httpserver: HTTPServer, paperfuse_isolated: Isolation, paperfuse_cli: CLI
) -> None:
    serve(httpserver, recorded("unpywall_10.1038_nature12373.json"))
    paperfuse_isolated.use_plugins(entry_points=BUILT_IN_PLUGINS - {"arxiv", "oab"})
    run = paperfuse_cli.subprocess(
        "resolve",
        "10.1038/nature12373",
        email=EMAIL,
        urls={"unpaywall": httpserver.url_for("").rstrip("/")},
    )
    assert run.exit_code == 0, run.stderr
    record = json.loads(run.stdout)
    assert record["title"] == "Nanometre-scale thermometry in a living cell"
    assert record["best_oa_location"]["url_for_pdf"].startswith("https://dash.harvard.edu/")
    assert record["oa_status"] == "green"
    assert len(record["oa_locations"]) == 4
    assert EMAIL not in run.stdout + run.stderr
