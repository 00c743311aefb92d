"""paperfuse.testing, the kit for plugin authors: each part does what docs/testing.md says,
the contract suites fail for sources and schemes that break a promise, and the example
plugin under examples/ passes its own tests from outside the project.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import httpx
import pytest

import paperfuse
import paperfuse_crossref
from paperfuse import Ids, Politeness, Source, Work
from paperfuse.testing import (
    CLI,
    CLOSED_URL,
    FakeUpstream,
    Isolation,
    Reply,
    ResolverFactory,
    SourcesPlugin,
    fake_source,
    isolate,
    report,
    reports,
)

ROOT = Path(__file__).parents[1]
CASES = Path(__file__).parent / "kit_cases"
EXAMPLE = ROOT / "examples" / "paperfuse-openalex"


class Echo(Source):
    """A source of DOIs at ``/echo/{doi}`` answering the JSON ``{"title": ...}`` (synthetic)."""

    name = "echo"
    schemes = ("doi",)
    politeness = Politeness(min_interval=5.0, max_concurrency=1, max_linger=30.0)
    base_url = "https://echo.example"

    async def lookup(self, identifiers):  # type: ignore[no-untyped-def]
        client = self.context.client
        found = {}
        for identifier in identifiers:
            response = await client.get(f"{self.context.base_url}/echo/{identifier.value}")
            if response.status_code == 200:
                title = client.decode_json(response)["title"]
                found[identifier] = Work(title=title, ids=Ids(doi=identifier.value))
        return found


class EchoPlugin:
    name = "echo-plugin"

    @paperfuse.hookimpl
    def paperfuse_register_sources(self) -> list[type[Source]]:
        return [Echo]


# -- shipped, registered, and out of the way ----------------------------------------------------


def test_import_paperfuse_imports_neither_the_kit_nor_pytest() -> None:
    code = (
        "import sys, paperfuse; paperfuse.Resolver; paperfuse.Config;"
        " print(sorted(m for m in sys.modules if m.startswith(('paperfuse.testing',"
        " 'pytest', '_pytest', 'pytest_httpserver', 'werkzeug'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_the_pytest_plugin_loads_nothing_heavy_until_a_fixture_is_used() -> None:
    code = (
        "import sys, paperfuse.testing.plugin;"
        " print(sorted(m for m in sys.modules if m.startswith(('paperfuse._resolver',"
        " 'paperfuse.testing._', 'httpx', 'pytest_httpserver', 'werkzeug'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_the_kit_is_a_pytest_plugin_by_entry_point(pytestconfig: pytest.Config) -> None:
    (entry,) = [e for e in metadata.entry_points(group="pytest11") if e.name == "paperfuse"]
    assert entry.value == "paperfuse.testing.plugin"
    assert pytestconfig.pluginmanager.hasplugin("paperfuse")


# -- isolation ----------------------------------------------------------------------------------


def test_isolation_empties_the_configuration_and_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PAPERFUSE_EMAIL", "someone@example.org")
    monkeypatch.setenv("PAPERFUSE_CROSSREF_API_KEY", "a-real-key")
    isolation = isolate(monkeypatch, tmp_path)
    config = paperfuse.load_config()
    assert config.email is None
    assert "a-real-key" not in repr(config)
    assert Path(os.environ["PAPERFUSE_CONFIG"]).read_text().strip().startswith("#")
    assert config.cache_dir == str(isolation.cache_dir)
    assert os.environ["PAPERFUSE_DOI_URL"] == CLOSED_URL
    # Nothing loaded: no source's variable either (paperfuse would warn of it).
    assert not any(k.endswith("_URL") and k != "PAPERFUSE_DOI_URL" for k in os.environ)


def test_isolation_loads_only_the_named_plugins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolation = isolate(monkeypatch, tmp_path)
    assert set(paperfuse.PluginHost().sources) == set()
    isolation.use_plugins(paperfuse_crossref, EchoPlugin())
    assert set(paperfuse.PluginHost().sources) == {"crossref", "crossref-snapshot", "echo"}
    assert os.environ["PAPERFUSE_CROSSREF_URL"] == CLOSED_URL
    assert os.environ["PAPERFUSE_ECHO_URL"] == CLOSED_URL
    isolation.use_plugins(entry_points=["arxiv"])
    assert set(paperfuse.PluginHost().sources) == {"arxiv"}
    assert "PAPERFUSE_CROSSREF_URL" not in os.environ
    isolation.use_plugins(entry_points=True)
    assert {"arxiv", "crossref", "pubmed"} <= set(paperfuse.PluginHost().sources)


def test_the_installed_sources_are_known_whatever_the_test_allowed_when_first_asked(
    monkeypatch: pytest.MonkeyPatch, paperfuse_isolated: Isolation
) -> None:
    """A test that allowed no entry point, first in its process, left the kit believing
    nothing was installed: later tests' sources were not pointed at the closed port, and a
    ``paperfuse`` process of theirs asked live services."""
    from paperfuse.testing import _isolation

    monkeypatch.setattr(_isolation, "_installed", None)
    paperfuse_isolated.use_plugins()  # no entry point allowed, as the first test
    assert {"arxiv", "crossref", "datacite", "europepmc"} <= {
        source for sources in _isolation.installed_sources().values() for source in sources
    }
    paperfuse_isolated.use_plugins(entry_points=["crossref", "datacite"])
    assert paperfuse_isolated.loaded_sources() == ["crossref", "crossref-snapshot", "datacite"]
    assert os.environ["PAPERFUSE_DATACITE_URL"] == CLOSED_URL


def test_isolation_writes_a_configuration_file_paperfuse_reads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolation = isolate(monkeypatch, tmp_path)
    isolation.use_plugins(paperfuse_crossref)
    isolation.configure(
        {
            "email": "tester@example.org",
            "max_rounds": 2,
            "sources": {"crossref": {"enabled": True, "options": {"rows": 7, "x y": ['a"b']}}},
        }
    )
    config = paperfuse.load_config()
    assert (config.email, config.max_rounds) == ("tester@example.org", 2)
    assert config.source("crossref").options == {"rows": 7, "x y": ['a"b']}
    assert config.source("crossref").url == CLOSED_URL  # the environment still wins


def test_isolation_refuses_hosts_beyond_loopback_and_fails_the_test(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolation = isolate(monkeypatch, tmp_path)
    with pytest.raises(httpx.ConnectError, match="no connection beyond loopback"):
        httpx.get("https://example.org/")
    with pytest.raises(pytest.fail.Exception, match=r"reach the network \(https://example.org"):
        isolation.check()


def test_a_source_sent_to_the_internet_is_caught_even_though_paperfuse_reports_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    isolation = isolate(monkeypatch, tmp_path)
    from paperfuse.testing import make_resolver

    with make_resolver(EchoPlugin(), urls={"echo": "https://echo.example"}) as resolver:
        work = resolver.resolve("10.1234/x")
    assert "cannot reach echo.example" in (report(work, "echo").error or "")
    assert isolation.refused == ["https://echo.example"]
    with pytest.raises(pytest.fail.Exception):
        isolation.check()


def test_isolation_is_undone_after_the_test(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    before = (httpx.AsyncHTTPTransport.handle_async_request, paperfuse.PluginHost.__init__)
    with pytest.MonkeyPatch.context() as inner:
        isolate(inner, tmp_path)
        assert httpx.AsyncHTTPTransport.handle_async_request is not before[0]
    assert (httpx.AsyncHTTPTransport.handle_async_request, paperfuse.PluginHost.__init__) == before


# -- the resolver factory -------------------------------------------------------------------------


def test_the_resolver_factory_is_fast_and_closes_what_it_made(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    paperfuse_upstream.answer(re.compile("/echo/.*"), {"title": "Echoed"})
    resolver = paperfuse_resolver(EchoPlugin(), urls={"echo": paperfuse_upstream.url})
    works = list(resolver.resolve_many([f"10.1234/{n}" for n in range(5)]))
    assert [w.title for w in works] == ["Echoed"] * 5
    assert resolver.config.source("echo").min_interval == 0.0
    assert resolver.config.source("echo").max_linger == 0.0
    assert resolver.config.source("doi").url == CLOSED_URL
    paperfuse_resolver.close()
    assert paperfuse_resolver.made == []
    assert (resolver._http, resolver._runtimes) == (None, None)  # closed


def test_the_resolver_factory_refuses_a_url_for_a_source_not_loaded(
    paperfuse_resolver: ResolverFactory,
) -> None:
    with pytest.raises(ValueError, match="no loaded source is named 'crossreff'"):
        paperfuse_resolver(paperfuse_crossref, urls={"crossreff": "http://127.0.0.1:1"})


def test_fake_sources_answer_from_their_records_through_the_resolver_factory(
    paperfuse_resolver: ResolverFactory,
) -> None:
    found = Work(title="A title", ids=Ids(doi="10.1234/x"))
    table = fake_source("table", ["doi"], records={("doi", "10.1234/x"): found})
    resolver = paperfuse_resolver(SourcesPlugin(table))
    work = resolver.resolve("10.1234/x")
    assert (work.status, work.title) == ("resolved", "A title")
    assert report(work, "table").status == "ok"
    assert report(resolver.resolve("10.1234/y"), "table").status == "not_found"
    assert len(table.calls) == 2
    assert "10.1234/x" in table.calls[0][2][0]
    assert table.most_in_flight == 1


def test_a_fake_source_can_fail_and_each_has_its_own_call_log(
    paperfuse_resolver: ResolverFactory,
) -> None:
    broken = fake_source("broken", ["doi"], fail_with=paperfuse.SourceUnavailable("down"))
    other = fake_source(
        "other", ["doi"], answer=lambda ids: {i: Work(title="Answered") for i in ids}
    )
    resolver = paperfuse_resolver(SourcesPlugin(broken, other))
    work = resolver.resolve("10.1234/x")
    assert work.title == "Answered"
    assert report(work, "broken").status == "error"
    assert "down" in (report(work, "broken").error or "")
    assert len(broken.calls) == len(other.calls) == 1
    assert fake_source("fresh", ["doi"]).calls == []


def test_stamina_testing_mode_is_on(paperfuse_isolated: Isolation) -> None:
    import stamina

    assert stamina.is_testing()


# -- the fake upstream -----------------------------------------------------------------------------


def test_the_fake_upstream_answers_by_path_and_parameters_last_route_first(
    paperfuse_upstream: FakeUpstream,
) -> None:
    up = paperfuse_upstream
    up.answer("/works", b"list", params={"filter": re.compile("^doi:")})
    up.answer("/works", b"search", params={"query": "x"})
    up.answer("/works", b"busy", status=503, times=1)
    with httpx.Client(base_url=up.url) as client:
        assert client.get("/works", params={"filter": "doi:1"}).status_code == 503
        assert client.get("/works", params={"filter": "doi:1"}).text == "list"
        assert client.post("/works", data={"query": "x"}).text == "search"
        missing = client.get("/nothing")
    assert (missing.status_code, missing.text) == (404, "no recorded answer")
    assert [a.path for a in up.unmatched] == ["/nothing"]
    (posted,) = up.requests("/works", method="POST")
    assert posted.params == {"query": "x"}
    assert len(up.requests(re.compile("^/works"))) == 3


def test_the_fake_upstream_serves_a_folder_and_nothing_outside_it(
    paperfuse_upstream: FakeUpstream, tmp_path: Path
) -> None:
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "a.json").write_text('{"a": 1}')
    (tmp_path / "secret.json").write_text('{"secret": 1}')
    paperfuse_upstream.answer_from(
        tmp_path / "answers", lambda asked: asked.params.get("file"), path="/files"
    )
    with httpx.Client(base_url=paperfuse_upstream.url) as client:
        found = client.get("/files", params={"file": "a.json"})
        outside = client.get("/files", params={"file": "../secret.json"})
    assert (found.json(), found.headers["content-type"]) == ({"a": 1}, "application/json")
    assert outside.status_code == 404


def test_the_fake_upstream_mounts_routes_under_a_prefix(paperfuse_upstream: FakeUpstream) -> None:
    paperfuse_upstream.prefix = "mirror/v1/"
    paperfuse_upstream.route("/x", lambda asked: Reply({"path": asked.path}))
    assert paperfuse_upstream.url.endswith("/mirror/v1")
    with httpx.Client() as client:
        inside = client.get(paperfuse_upstream.url + "/x")
        outside = client.get(paperfuse_upstream.url.removesuffix("/mirror/v1") + "/x")
    assert inside.json() == {"path": "/x"}
    assert outside.status_code == 404
    assert [a.path for a in paperfuse_upstream.asked] == ["/x", None]


def test_more_upstreams_each_on_a_server_of_their_own(
    paperfuse_upstream: FakeUpstream, paperfuse_upstreams: Callable[..., FakeUpstream]
) -> None:
    other = paperfuse_upstreams(prefix="/api")
    paperfuse_upstream.answer("/works", b"first")
    other.answer("/works", b"second")
    assert other.url != paperfuse_upstream.url
    with httpx.Client() as client:
        assert client.get(paperfuse_upstream.url + "/works").text == "first"
        assert client.get(other.url + "/works").text == "second"
    assert [a.path for a in other.asked] == ["/works"]


def test_the_fake_upstream_faults(paperfuse_upstream: FakeUpstream) -> None:
    up = paperfuse_upstream
    up.rate_limited("/429", retry_after=7)
    up.server_error("/500", status=500)
    up.html("/html")
    up.empty("/empty")
    up.wrong_shape("/shape")
    up.not_found("/404")
    with httpx.Client(base_url=up.url) as client:
        limited = client.get("/429")
        assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
        assert client.get("/500").status_code == 500
        page = client.get("/html", params={"email": "me@example.org"})
        assert page.headers["content-type"].startswith("text/html")
        assert "email=me@example.org" in page.text  # the request is quoted back
        assert client.get("/empty").content == b""
        assert json.loads(client.get("/shape").content) == {"unexpected": [1, 2, {"shape": None}]}
        assert client.get("/404").status_code == 404


def test_a_slow_answer_times_a_source_out(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    paperfuse_upstream.slow(delay=5)
    resolver = paperfuse_resolver(
        EchoPlugin(), urls={"echo": paperfuse_upstream.url}, settings={"echo": {"timeout": 0.2}}
    )
    work = resolver.resolve("10.1234/slow")
    assert "timed out" in (report(work, "echo").error or "")


# -- the CLI runner and reports --------------------------------------------------------------------


def test_the_cli_runner_resolves_through_the_named_plugins(
    paperfuse_upstream: FakeUpstream, paperfuse_isolated: Isolation, paperfuse_cli: CLI
) -> None:
    paperfuse_upstream.answer(re.compile("/echo/.*"), {"title": "From the CLI"})
    paperfuse_isolated.use_plugins(EchoPlugin())
    ran = paperfuse_cli("resolve", "10.1234/a", "10.1234/b", urls={"echo": paperfuse_upstream.url})
    assert ran.exit_code == 0, ran.stderr
    assert [w.title for w in ran.works()] == ["From the CLI"] * 2
    assert set(reports(ran.works()[0])) == {"echo"}
    listed = paperfuse_cli("plugins", "--json").json()
    assert [p["name"] for p in listed if p.get("sources")] == ["echo-plugin"]


def test_the_cli_runner_runs_a_process_of_its_own(
    paperfuse_isolated: Isolation, paperfuse_cli: CLI
) -> None:
    paperfuse_isolated.use_plugins(entry_points=["crossref"])
    ran = paperfuse_cli.subprocess("plugins", "--json")
    assert ran.exit_code == 0, ran.stderr
    loaded = {p["name"] for p in ran.json() if p["status"] == "loaded"}
    assert loaded == {"paperfuse", "crossref"}


def test_report_names_the_reports_there_when_one_is_missing() -> None:
    work = Work(input="x", sources=(paperfuse.SourceReport(name="arxiv", status="ok"),))
    assert report(work, "arxiv").status == "ok"
    with pytest.raises(AssertionError, match=r"no report of source 'crossref'.*arxiv"):
        report(work, "crossref")


# -- the contract suites catch what they promise to catch ----------------------------------------


def _run_pytest(folder: Path, junit: Path, *args: str) -> dict[str, str]:
    """Run pytest in ``folder`` as a process of its own; each test's outcome by id
    (read from the JUnit XML report written to ``junit``)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={junit}",
            *args,
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    outcomes = {}
    for case in ET.parse(junit).iter("testcase"):
        kind = next((child.tag for child in case), "passed")
        outcomes[f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"] = kind
    return outcomes


def test_the_contract_suites_fail_exactly_where_a_promise_is_broken(tmp_path: Path) -> None:
    (tmp_path / "test_cases.py").write_text((CASES / "broken_plugins.py").read_text())
    outcomes = _run_pytest(tmp_path, tmp_path / "results.xml")
    failed = {name for name, kind in outcomes.items() if kind in ("failure", "error")}
    unreadable = "test_contract_an_unreadable_body_is_an_attributed_error"
    assert failed == {
        "TestRetries404::test_contract_404_is_not_found_and_not_retried",
        *(f"TestUnreadableIsNotFound::{unreadable}[{f}]" for f in ("html", "empty", "wrong_shape")),
        "TestIgnoresPrefix::test_contract_the_url_setting_and_a_path_prefix_are_honoured",
        "TestIgnoresPrefix::test_contract_the_url_from_the_environment_is_honoured",
        "TestLogsEmail::test_contract_secrets_never_appear",
        "TestNamesNoIdentifier::test_contract_429_is_retried_honouring_retry_after_then_attributed",
        "TestNamesNoIdentifier::test_contract_5xx_is_retried_honouring_retry_after_then_attributed",
        *(f"TestNamesNoIdentifier::{unreadable}[{f}]" for f in ("html", "empty", "wrong_shape")),
        "TestNamesNoIdentifier::test_contract_a_timeout_is_an_attributed_error",
        "TestClaimsDigits::test_contract_claims_no_doi_arxiv_id_pmid_or_title",
        "TestChokes::test_contract_parse_raises_only_invalid_identifier",
        "TestNotIdempotent::test_contract_normalisation_is_idempotent",
    }
    assert outcomes["TestToy::test_contract_a_second_run_makes_no_request"] == "passed"


def test_the_example_plugin_passes_its_tests_from_outside_the_project(tmp_path: Path) -> None:
    """examples/paperfuse-openalex, a plugin in a package of its own, tested with the kit
    alone: its own rootdir and configuration, none of the project's conftest."""
    outcomes = _run_pytest(
        EXAMPLE,
        tmp_path / "results.xml",
        f"--rootdir={EXAMPLE}",
        f"--basetemp={tmp_path / 'tmp'}",
    )
    assert outcomes, "no test ran"
    assert {k for k, kind in outcomes.items() if kind != "passed"} == set()
    assert any(name.startswith("TestOpenAlexSourceContract::") for name in outcomes)
    assert any(name.startswith("TestOpenAlexSchemeContract::") for name in outcomes)
