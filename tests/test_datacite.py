"""The DataCite source against a local server replaying recorded answers: the
mapping of each recorded DOI through the resolver, the registration agency's
routing, the contact email, failures attributed to DataCite, and an arXiv DOI
resolved through DataCite and arXiv together.

Recorded answers: tests/fixtures/datacite/ (DataCite), tests/fixtures/doi_ra/
(doi.org's registration agencies), tests/fixtures/arxiv/ (arXiv). Bodies built
in test code say so where they are built.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import stamina
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import paperfuse
import paperfuse_arxiv
import paperfuse_crossref
import paperfuse_datacite
from engine_resolvers import make_resolver
from paperfuse import Config, Politeness, Relation, SourceSettings, Work
from paperfuse.testing import fake_source, report
from paperfuse_datacite import DataCiteSource

FIXTURES = Path(__file__).parent / "fixtures"
EMAIL = "data.curator@example.org"
RECORDED = {
    "10.5061/dryad.8515": "commonmeta_10.5061_dryad.8515.json",
    "10.4230/lipics.tqc.2013.93": "commonmeta_10.4230_lipics.tqc.2013.93.json",
    "10.6084/m9.figshare.1449060": "commonmeta_10.6084_m9.figshare.1449060.json",
    "10.5281/zenodo.48440": "commonmeta_10.5281_zenodo.48440.json",
}
ARXIV_DOI = "10.48550/arxiv.1710.08557"
JOURNAL_DOI = "10.1186/s12984-017-0305-3"  # the published version, as arXiv's feed says
#: DataCite's JSON:API error body for an unknown DOI. Built here after the documented
#: JSON:API error shape (no recorded DataCite 404 body could be found).
NOT_FOUND = {
    "errors": [{"status": "404", "title": "The resource you are looking for doesn't exist."}]
}


def body(name: str) -> bytes:
    return (FIXTURES / "datacite" / name).read_bytes()


def agency_answer(prefix: str, agency: str) -> bytes:
    """doi.org's /ra answer for a prefix that has no recorded answer: built here in the
    shape of the recorded ones (tests/fixtures/doi_ra/), not recorded."""
    return json.dumps([{"DOI": prefix, "RA": agency}]).encode()


def config(server: HTTPServer, tmp_path: Path, email: str | None = EMAIL, *also: str) -> Config:
    """DataCite, doi.org (and the ``also`` sources) at the local server, without pauses."""
    url = server.url_for("").rstrip("/")
    sources = {
        name: SourceSettings(url=url, min_interval=0.0) for name in ("datacite", "doi", *also)
    }
    return Config(email=email, cache_dir=str(tmp_path), sources=sources)


PLUGINS = {"arxiv": paperfuse_arxiv, "crossref": paperfuse_crossref}


def resolver(cfg: Config, *others: type[paperfuse.Source], also: tuple[str, ...] = ()) -> Any:
    """A resolver with DataCite, the ``others`` sources and the ``also`` built-in plugins."""
    plugins: dict[str, Any] = {"datacite": paperfuse_datacite}
    plugins |= {name: PLUGINS[name] for name in also}
    return make_resolver(*others, config=cfg, plugins=plugins)


def serve_doi_org(server: HTTPServer) -> None:
    """The recorded registration-agency answers (10.7554: Crossref, 10.5061: DataCite)."""
    for prefix in ("10.7554", "10.5061"):
        recorded = (FIXTURES / "doi_ra" / f"commonmeta_ra_{prefix}.json").read_bytes()
        server.expect_request(f"/ra/{prefix}").respond_with_data(
            recorded, content_type="application/json"
        )
    server.expect_request("/ra/10.4230").respond_with_data(
        agency_answer("10.4230", "DataCite"), content_type="application/json"
    )


def serve_datacite(server: HTTPServer, bodies: dict[str, bytes] | None = None) -> None:
    """/dois/{doi}: the recorded answers (and ``bodies``), else DataCite's 404."""
    answers = {doi: body(name) for doi, name in RECORDED.items()} | (bodies or {})

    def respond(request: Request) -> Response:
        doi = request.path.removeprefix("/dois/")
        if doi in answers:
            return Response(answers[doi], status=200, content_type="application/vnd.api+json")
        return Response(json.dumps(NOT_FOUND), status=404, content_type="application/json")

    server.expect_request(re.compile(r"^/dois/.+")).respond_with_handler(respond)


def serve(server: HTTPServer, handler: Callable[[Request], Response]) -> None:
    server.expect_request(re.compile(r"^/dois/.+")).respond_with_handler(handler)


def asked(server: HTTPServer, prefix: str = "/dois/") -> list[str]:
    return [request.path for request, _ in server.log if request.path.startswith(prefix)]


# -- the recorded DOIs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doi", "title", "kind", "authors"),
    [
        ("10.5061/dryad.8515", "Data from: A new malaria agent in African hominids.", "dataset", 8),
        (
            "10.4230/lipics.tqc.2013.93",
            "The Minimum Size of Qubit Unextendible Product Bases",
            "proceedings-article",
            1,
        ),
        (
            "10.6084/m9.figshare.1449060",
            "Drosophila melanogaster wing images from low and high altitude populations in"
            " Ethiopia and Zambia.",
            "dataset",
            4,
        ),
        (
            "10.5281/zenodo.48440",
            "Analysis Tools for Crossover Experiment of UI using Choice Architecture",
            "software",
            1,
        ),
    ],
)
def test_each_recorded_doi_resolves_and_is_cached(
    httpserver: HTTPServer, tmp_path: Path, doi: str, title: str, kind: str, authors: int
) -> None:
    serve_doi_org(httpserver)
    serve_datacite(httpserver)
    with resolver(config(httpserver, tmp_path)) as r:
        work = r.resolve(doi.upper() if "dryad" in doi else doi)
    assert work.status == "resolved", report(work, "datacite").error
    assert report(work, "datacite").status == "ok"
    assert (work.ids.doi, work.title, work.type, len(work.authors)) == (doi, title, kind, authors)
    assert work.provenance["title"].source == "datacite"
    assert asked(httpserver) == [f"/dois/{doi}"]
    with resolver(config(httpserver, tmp_path)) as r:
        again = r.resolve(doi)
    assert report(again, "datacite").cached
    assert again.title == title
    assert len(asked(httpserver)) == 1


def test_conference_paper_keeps_its_container_editors_and_pages(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve_doi_org(httpserver)
    serve_datacite(httpserver)
    with resolver(config(httpserver, tmp_path)) as r:
        work = r.resolve("https://doi.org/10.4230/LIPIcs.TQC.2013.93")
    assert (work.venue, work.volume, work.pages) == ("LIPIcs, Volume 22, TQC 2013", "22", "93-105")
    assert [e.family for e in work.editors] == ["Severini", "Brandao"]
    assert work.authors[0].given == "Nathaniel"
    assert (work.isbn, work.issn) == (("978-3-939897-55-2",), ("1868-8969",))


# -- the contact email ----------------------------------------------------------------------------


def test_the_email_identifies_the_client_and_is_masked_everywhere(
    httpserver: HTTPServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[Request] = []

    def respond(request: Request) -> Response:
        seen.append(request)
        if "dryad" in request.path:
            return Response(body(RECORDED["10.5061/dryad.8515"]), status=200)
        return Response("<html><title>502 Bad Gateway</title></html>", status=200)

    serve(httpserver, respond)
    with caplog.at_level(logging.DEBUG), resolver(config(httpserver, tmp_path)) as r:
        good, bad = r.resolve_many(["10.5061/dryad.8515", "10.5281/zenodo.1"])
    assert good.status == "resolved"
    for request in seen:
        assert request.args.get("mailto") == EMAIL  # DataCite's documented parameter
        assert f"mailto:{EMAIL}" in request.headers["User-Agent"]
    error = report(bad, "datacite").error or ""
    assert "malformed JSON" in error
    assert "mailto=***" in error
    ours = [rec.getMessage() for rec in caplog.records if not rec.name.startswith("werkzeug")]
    assert any("mailto=***" in line for line in ours)  # the HTTP libraries' lines, masked
    everything = [error, *ours, paperfuse.encode_json([good, bad]).decode()]
    assert not [text for text in everything if EMAIL in text]


def test_without_an_email_datacite_is_asked_unidentified(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve_datacite(httpserver)
    with resolver(config(httpserver, tmp_path, email=None)) as r:
        work = r.resolve("10.5061/dryad.8515")
    assert report(work, "datacite").status == "ok"
    request = httpserver.log[0][0]
    assert "mailto" not in request.args
    assert "mailto" not in request.headers["User-Agent"]


# -- which agency ---------------------------------------------------------------------------------


def test_a_crossref_doi_costs_datacite_no_request(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_doi_org(httpserver)
    serve_datacite(httpserver)
    crossref = fake_source(
        "crossref", ["doi"], records={("doi", "10.7554/elife.01567"): Work(title="An eLife paper")}
    )
    with resolver(config(httpserver, tmp_path), crossref) as r:
        work = r.resolve("10.7554/eLife.01567")
    assert work.title == "An eLife paper"
    assert report(work, "datacite").status == "not_found"
    assert report(work, "datacite").requests == 0
    assert [request.path for request, _ in httpserver.log] == ["/ra/10.7554"]


def test_known_datacite_prefixes_are_not_looked_up(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_doi_org(httpserver)
    serve_datacite(httpserver)
    with resolver(config(httpserver, tmp_path)) as r:
        works = list(r.resolve_many(["10.5061/dryad.8515", "10.5281/zenodo.48440"]))
    assert [w.status for w in works] == ["resolved", "resolved"]
    assert asked(httpserver, "/ra/") == []


def test_a_doi_of_unknown_agency_is_asked(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/ra/10.4230").respond_with_data("oops", status=500)
    serve_datacite(httpserver)
    with resolver(config(httpserver, tmp_path)) as r:
        work = r.resolve("10.4230/lipics.tqc.2013.93")
    assert work.status == "resolved"
    assert report(work, "datacite").status == "ok"
    assert asked(httpserver) == ["/dois/10.4230/lipics.tqc.2013.93"]


def test_the_other_agencys_404_leaves_the_work_resolved(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    """With Crossref's source installed too and the agency unknown, both are asked;
    Crossref's 404 (its plain-text body, written here as Crossref documents it) is its
    "not found", and DataCite's record makes the work."""
    httpserver.expect_request("/ra/10.4230").respond_with_data("oops", status=500)
    httpserver.expect_request(re.compile(r"^/works.*")).respond_with_data(
        "Resource not found.", status=404, content_type="text/plain"
    )
    serve_datacite(httpserver)
    cfg = config(httpserver, tmp_path, EMAIL, "crossref")
    with resolver(cfg, also=("crossref",)) as r:
        work = r.resolve("10.4230/lipics.tqc.2013.93")
    assert work.status == "resolved"
    assert (report(work, "crossref").status, report(work, "datacite").status) == ("not_found", "ok")
    assert work.title == "The Minimum Size of Qubit Unextendible Product Bases"
    assert asked(httpserver, "/works") == ["/works/10.4230/lipics.tqc.2013.93"]


def test_with_both_agencies_each_doi_costs_one_agency_one_request(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve_doi_org(httpserver)
    httpserver.expect_request(re.compile(r"^/works.*")).respond_with_data(
        "Resource not found.", status=404, content_type="text/plain"
    )
    serve_datacite(httpserver)
    cfg = config(httpserver, tmp_path, EMAIL, "crossref")
    with resolver(cfg, also=("crossref",)) as r:
        dryad, elife = r.resolve_many(["10.5061/dryad.8515", "10.7554/eLife.01567"])
    assert (report(dryad, "datacite").status, report(dryad, "crossref").status) == (
        "ok",
        "not_found",
    )
    assert (report(elife, "datacite").status, report(elife, "crossref").status) == (
        "not_found",
        "not_found",
    )
    assert asked(httpserver) == ["/dois/10.5061/dryad.8515"]
    assert asked(httpserver, "/works") == ["/works/10.7554/elife.01567"]


def test_a_doi_with_reserved_characters_is_sent_escaped(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve_datacite(httpserver)
    doi = "10.5061/dryad.x[1]?y#z;2"
    with resolver(config(httpserver, tmp_path)) as r:
        work = r.resolve(f"doi:{doi}")
    assert report(work, "datacite").status == "not_found"
    request = httpserver.log[0][0]
    assert request.path == "/dois/10.5061/dryad.x[1]?y#z;2"  # decoded by the server
    assert list(request.args) == ["mailto"]


# -- failures are DataCite's, and the other sources' data stays -----------------------------------


def other_source() -> type[paperfuse.Source]:
    record = Work(title="From another source", publisher="Somebody")
    return fake_source("other", ["doi"], records={("doi", "10.5061/dryad.8515"): record})


def test_404_is_not_found(httpserver: HTTPServer, tmp_path: Path) -> None:
    serve_datacite(httpserver)
    with resolver(config(httpserver, tmp_path)) as r:
        work = r.resolve("10.5061/dryad.nothing")
    assert work.status == "not_found"
    assert (report(work, "datacite").status, report(work, "datacite").error) == ("not_found", None)


@pytest.mark.parametrize(
    ("status", "headers", "content", "message"),
    [
        (
            429,
            {"Retry-After": "600"},
            "",
            "HTTP 429 after 1 attempt; the service asks to wait 600 s",
        ),
        (503, {}, "<html>down</html>", "HTTP 503 after 1 attempt"),
        (500, {}, json.dumps({"errors": [{"title": "x"}]}), "HTTP 500 after 1 attempt"),
        (
            400,
            {},
            json.dumps({"errors": [{"status": "400", "title": "Bad DOI"}]}),
            "HTTP 400: Bad DOI",
        ),
        (403, {}, "<html>Forbidden</html>", "HTTP 403: '<html>Forbidden</html>'"),
        (200, {}, "<!DOCTYPE html><html><title>Maintenance</title></html>", "malformed JSON"),
        (200, {}, '{"data": {"attributes": ', "malformed JSON"),
        (200, {}, "[" * 100_000 + "]" * 100_000, "JSON nested too deep"),
        (200, {}, json.dumps(NOT_FOUND), "not a DataCite DOI record"),
        (200, {}, '{"data": []}', "not a DataCite DOI record"),
        (200, {}, '{"data": {"id": 5, "attributes": {"doi": 7}}}', "not a DataCite DOI record"),
        (200, {}, '{"data": {"attributes": {"publicationYear": 1e999}}}', "malformed JSON"),
    ],
)
def test_failures_are_attributed_to_datacite_and_leave_the_rest(
    httpserver: HTTPServer,
    tmp_path: Path,
    status: int,
    headers: dict[str, str],
    content: str,
    message: str,
) -> None:
    serve(httpserver, lambda request: Response(content, status=status, headers=headers))
    with resolver(config(httpserver, tmp_path), other_source()) as r:
        work = r.resolve("10.5061/dryad.8515")
    error = report(work, "datacite").error or ""
    assert report(work, "datacite").status == "error"  # DataCite's report holds the error
    assert message in error
    assert "plugin error" not in error
    assert EMAIL not in error
    assert len(error) < 600
    assert work.status == "resolved"
    assert (work.title, work.publisher) == ("From another source", "Somebody")
    assert report(work, "other").status == "ok"


def test_429_and_5xx_are_retried_honouring_retry_after(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    answers = [
        Response("slow down", status=429, headers={"Retry-After": "0"}),
        Response("<html>oops</html>", status=502),
        Response(body(RECORDED["10.5061/dryad.8515"]), status=200),
    ]
    serve(httpserver, lambda request: answers.pop(0))
    with stamina.set_testing(True, attempts=3), resolver(config(httpserver, tmp_path)) as r:
        work = r.resolve("10.5061/dryad.8515")
    assert (work.status, report(work, "datacite").status) == ("resolved", "ok")
    assert work.title == "Data from: A new malaria agent in African hominids."
    assert len(asked(httpserver)) == 3


def test_a_long_retry_after_pauses_the_source_for_the_run(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    serve(httpserver, lambda request: Response("", status=429, headers={"Retry-After": "3600"}))
    dois = [f"10.5061/dryad.{n}" for n in range(4)]
    with resolver(config(httpserver, tmp_path)) as r:
        works = list(r.resolve_many(dois))
    errors = [report(w, "datacite").error or "" for w in works]
    assert all(report(w, "datacite").status == "error" for w in works)
    assert "Retry-After" in errors[0]
    assert any("paused" in e for e in errors[1:])
    assert len(asked(httpserver)) < len(dois)


# -- versions of one work -------------------------------------------------------------------------


def test_related_versions_are_asked_about_too(httpserver: HTTPServer, tmp_path: Path) -> None:
    """The recorded Zenodo answer with one related identifier added in test code: its
    concept DOI (HasVersion / IsVersionOf name versions of the same work)."""
    answer = json.loads(body(RECORDED["10.5281/zenodo.48440"]))
    answer["data"]["attributes"]["relatedIdentifiers"].append(
        {
            "relationType": "IsVersionOf",
            "relatedIdentifier": "10.5281/zenodo.48439",
            "relatedIdentifierType": "DOI",
        }
    )
    serve_datacite(httpserver, {"10.5281/zenodo.48440": json.dumps(answer).encode()})
    with resolver(config(httpserver, tmp_path)) as r:
        work = r.resolve("10.5281/zenodo.48440")
    assert work.status == "resolved"
    assert Relation(type="is-version-of", scheme="doi", value="10.5281/zenodo.48439") in (
        work.relations
    )
    assert asked(httpserver) == ["/dois/10.5281/zenodo.48440", "/dois/10.5281/zenodo.48439"]
    assert report(work, "datacite").status == "ok"


def arxiv_answer() -> bytes:
    """DataCite's answer for arXiv's DOI 10.48550/arXiv.1710.08557: BUILT HERE, not
    recorded (no recorded DataCite answer for a 10.48550 DOI could be found). It takes
    the recorded Zenodo answer's shape (JSON:API ``data.attributes``) and fills it the
    way DataCite serves arXiv's DOIs (publisher arXiv, a v1 Submitted date and a year-only
    Issued date, the published version as IsVersionOf), with the values of the recorded
    arXiv feed tests/fixtures/arxiv/pubs_id_1710.08557.xml."""
    answer = json.loads(body(RECORDED["10.5281/zenodo.48440"]))
    data = answer["data"]
    data["id"] = ARXIV_DOI
    data["relationships"]["client"]["data"]["id"] = "arxiv.content"
    attributes = data["attributes"]
    attributes.update(
        {
            "doi": ARXIV_DOI,
            "prefix": "10.48550",
            "suffix": "arxiv.1710.08557",
            "creators": [
                {
                    "name": "Valero-Cuevas, Francisco J",
                    "nameType": "Personal",
                    "givenName": "Francisco J",
                    "familyName": "Valero-Cuevas",
                    "affiliation": [],
                    "nameIdentifiers": [],
                },
                {
                    "name": "Santello, Marco",
                    "nameType": "Personal",
                    "givenName": "Marco",
                    "familyName": "Santello",
                    "affiliation": [],
                    "nameIdentifiers": [],
                },
            ],
            "titles": [
                {
                    "title": "On Neuromechanical Approaches for the Study of Biological Grasp"
                    " and Manipulation"
                }
            ],
            "publisher": "arXiv",
            "publicationYear": 2017,
            "subjects": [{"subject": "Robotics (cs.RO)"}],
            "dates": [
                {"date": "2017-10-24T00:21:32Z", "dateType": "Submitted", "dateInformation": "v1"},
                {"date": "2017", "dateType": "Issued"},
            ],
            "language": "en",
            "types": {
                "ris": "GEN",
                "bibtex": "misc",
                "citeproc": "article",
                "schemaOrg": "CreativeWork",
                "resourceType": "Article",
                "resourceTypeGeneral": "Preprint",
            },
            "relatedIdentifiers": [
                {
                    "relationType": "IsVersionOf",
                    "relatedIdentifier": JOURNAL_DOI,
                    "relatedIdentifierType": "DOI",
                }
            ],
            "rightsList": [
                {
                    "rights": "arXiv.org perpetual, non-exclusive license",
                    "rightsUri": "http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
                }
            ],
            "descriptions": [
                {
                    "description": "Biological and robotic grasp and manipulation are undeniably"
                    " similar at the level of mechanical task performance.",
                    "descriptionType": "Abstract",
                }
            ],
            "version": "1",
            "url": "https://arxiv.org/abs/1710.08557",
            "citationCount": 0,
            "referenceCount": 0,
        }
    )
    return json.dumps(answer).encode()


@pytest.fixture
def threaded_server() -> Iterator[HTTPServer]:
    """A local server answering requests at once, each in a thread of its own."""
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_an_arxiv_doi_resolves_through_datacite_and_arxiv_together(
    threaded_server: HTTPServer, tmp_path: Path
) -> None:
    httpserver = threaded_server
    feed = (FIXTURES / "arxiv" / "pubs_id_1710.08557.xml").read_bytes()
    agency_asked = threading.Event()

    def arxiv_feed(request: Request) -> Response:
        # arXiv (asked at once, for the id the input's DOI names) answers after DataCite's
        # record has been read, as its slower API does: its record's DOI (the journal's)
        # is then already known as another version's, asked of DataCite, not the work's.
        agency_asked.wait(5.0)
        return Response(feed, content_type="application/atom+xml")

    def journal_agency(request: Request) -> Response:
        agency_asked.set()
        # The published version (a BMC journal) is Crossref's: built doi.org answer, see above.
        return Response(agency_answer("10.1186", "Crossref"), content_type="application/json")

    httpserver.expect_request("/api/query").respond_with_handler(arxiv_feed)
    httpserver.expect_request("/ra/10.1186").respond_with_handler(journal_agency)
    serve_datacite(httpserver, {ARXIV_DOI: arxiv_answer()})
    with resolver(config(httpserver, tmp_path, EMAIL, "arxiv"), also=("arxiv",)) as r:
        work = r.resolve("10.48550/arXiv.1710.08557")
    assert work.status == "resolved", [s.error for s in work.sources]
    assert (report(work, "datacite").status, report(work, "arxiv").status) == ("ok", "ok")
    assert work.ids.arxiv == "1710.08557"
    assert (
        work.title
        == "On Neuromechanical Approaches for the Study of Biological Grasp and Manipulation"
    )
    assert [a.family for a in work.authors] == ["Valero-Cuevas", "Santello"]
    assert (work.published, work.type) == ("2017-10-24", "posted-content")
    assert Relation(type="is-version-of", scheme="doi", value=JOURNAL_DOI) in work.relations
    assert any(loc.source == "arxiv" for loc in work.oa_locations)  # arXiv's free copy
    assert work.extra["datacite"]["client"] == "arxiv.content"
    # DataCite was asked for arXiv's DOI only: the journal's DOI is Crossref's.
    assert asked(httpserver) == [f"/dois/{ARXIV_DOI}"]
    assert asked(httpserver, "/ra/") == ["/ra/10.1186"]


# -- the source itself ----------------------------------------------------------------------------


def test_declared_name_schemes_and_politeness() -> None:
    assert (DataCiteSource.name, DataCiteSource.schemes, DataCiteSource.batch_size) == (
        "datacite",
        ("doi",),
        1,
    )
    assert DataCiteSource.base_url == "https://api.datacite.org"
    assert Politeness(min_interval=0.3, max_concurrency=3) == DataCiteSource.politeness


def test_datacite_is_a_builtin_entry_point() -> None:
    info = paperfuse.PluginHost().plugins["datacite"]
    assert (info.distribution, info.status) == ("paperfuse", "loaded")


def test_mapping_does_not_change_the_recorded_answer() -> None:
    answer = json.loads(body(RECORDED["10.5061/dryad.8515"]))
    before = copy.deepcopy(answer)
    paperfuse_datacite.doi_record_to_work(answer)
    assert answer == before
