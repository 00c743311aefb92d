"""The Crossref source against a local server replaying recorded answers: batches of
DOIs, single look-ups, the agency check, politeness (mailto, rate-limit headers, the
Metadata Plus token), failures attributed to Crossref, and bibliographic search
through the engine's matcher.

Recorded bodies come from tests/fixtures/crossref/ (see PROVENANCE.md there). The
corpus holds single-work answers and one list answer (a ``filter=prefix:...``
listing); a batch answer is that list shape built in test code around recorded
works, and the bibliographic search replays the recorded list, which has the same
``message.items`` shape. Both are said where they are used.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import stamina
from hypothesis import HealthCheck, given, settings
from pytest_httpserver import HTTPServer
from turns import TurnCounter
from werkzeug import Request, Response

import paperfuse
import paperfuse_crossref
from installed_plugins import BUILT_IN_PLUGINS
from mutations import mutated_json
from paperfuse import Config, Identifier, SourceSettings, Work
from paperfuse.testing import CLI, Isolation, SourcesPlugin, fake_source, report
from paperfuse_crossref import CrossrefSource

FIXTURES = Path(__file__).parent / "fixtures" / "crossref"
DOI_RA = Path(__file__).parent / "fixtures" / "doi_ra"
EMAIL = "librarian@example.org"
TOKEN = "plus-token-7f3a9c1e5b"
ELIFE = "commonmeta_10.7554_elife.01567.json"
UROLOGE = "commonmeta_10.1007_s00120_007_1345_2.json"
MONOGRAPH = "commonmeta_10.1017_9781108348843.json"
PROCEEDINGS = "commonmeta_10.1145_3448016.3452841.json"
POSTED = "commonmeta_10.53731_ybhah_9jy85.json"
LIST = "commonmeta_works_rows_20_filter_prefix_3a10.5555_2ctype_3ajournal_article.json"
BY_DOI = {
    "10.7554/elife.01567": ELIFE,
    "10.1007/s00120-007-1345-2": UROLOGE,
    "10.1017/9781108348843": MONOGRAPH,
    "10.1145/3448016.3452841": PROCEEDINGS,
    "10.53731/ybhah-9jy85": POSTED,
}
NOT_FOUND = "Resource not found."


def recorded(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def message(name: str) -> dict[str, Any]:
    return json.loads(recorded(name))["message"]


def work_list(names: list[str]) -> bytes:
    """A ``work-list`` answer in the recorded list's shape, holding recorded works.

    Built in test code: the corpus has no answer of a ``filter=doi:`` request.
    """
    answer = json.loads(recorded(LIST))
    answer["message"]["items"] = [message(name) for name in names]
    answer["message"]["total-results"] = len(names)
    return json.dumps(answer).encode()


def config(
    server: HTTPServer, email: str | None = EMAIL, min_interval: float | None = 0.0, **settings: Any
) -> Config:
    """Crossref and doi.org at the local server (see :func:`doi_org`)."""
    url = server.url_for("").rstrip("/")
    crossref = SourceSettings(url=url, min_interval=min_interval, **settings)
    doi = SourceSettings(url=url, min_interval=0.0)
    return Config(email=email, sources={"crossref": crossref, "doi": doi})


#: doi.org's answers for prefixes the recorded ones do not cover, written here in the
#: shape of the recorded ones (tests/fixtures/doi_ra/): not recorded answers.
AGENCIES = {"10.9999": "mEDRA"}


def doi_org(server: HTTPServer) -> None:
    """doi.org's ``/ra/{prefix}``: the recorded answer for 10.7554 (Crossref), the ones of
    :data:`AGENCIES`, and 404 for any other prefix (unknown: Crossref is asked)."""

    def respond(request: Request) -> Response:
        prefix = request.path.removeprefix("/ra/")
        recorded_answer = DOI_RA / f"commonmeta_ra_{prefix}.json"
        if recorded_answer.is_file():
            return Response(recorded_answer.read_bytes(), content_type="application/json")
        if prefix in AGENCIES:
            body = json.dumps([{"DOI": prefix, "RA": AGENCIES[prefix]}])
            return Response(body, content_type="application/json")
        return Response(json.dumps([{"DOI": prefix, "status": "Invalid DOI"}]), status=404)

    server.expect_request(re.compile(r"^/ra/.*")).respond_with_handler(respond)


@pytest.fixture(autouse=True)
def _doi_org(httpserver: HTTPServer) -> None:
    doi_org(httpserver)


def resolver(cfg: Config, *extra: type[paperfuse.Source]) -> paperfuse.Resolver:
    plugins: dict[str, object] = {"crossref": paperfuse_crossref}
    if extra:
        plugins["fakes"] = SourcesPlugin(*extra)
    return paperfuse.Resolver(cfg, entry_points=False, plugins=plugins)


def replay(server: HTTPServer, handler: Callable[[Request], Response] | None = None) -> None:
    """Crossref's routes: single works from the fixtures (404 for others), lists by DOI."""

    def respond(request: Request) -> Response:
        if request.path == "/works":
            dois = [d.removeprefix("doi:") for d in request.args.get("filter", "").split(",")]
            names = [BY_DOI[d.lower()] for d in dois if d.lower() in BY_DOI]
            return Response(work_list(names), content_type="application/json")
        doi = request.path.removeprefix("/works/").lower()
        if doi in BY_DOI:
            return Response(recorded(BY_DOI[doi]), content_type="application/json")
        return Response(NOT_FOUND, status=404, content_type="text/plain")

    server.expect_request(re.compile(r"^/works.*")).respond_with_handler(handler or respond)


def requests(server: HTTPServer) -> list[Request]:
    return [request for request, _ in server.log if request.path.startswith("/works")]


# -- look-ups -------------------------------------------------------------------------------


def test_one_doi_goes_straight_to_its_work(httpserver: HTTPServer) -> None:
    replay(httpserver)
    with resolver(config(httpserver)) as r:
        work = r.resolve("https://doi.org/10.7554/eLife.01567")
    (request,) = requests(httpserver)
    assert request.path == "/works/10.7554/elife.01567"
    assert request.args["mailto"] == EMAIL
    assert work.status == "resolved"
    assert report(work, "crossref").status == "ok"
    assert work.venue == "eLife"
    assert (work.volume, work.article_number) == ("3", "e01567")
    assert work.authors[0].family == "Sankar"
    assert work.funders
    assert work.provenance["volume"].source == "crossref"


def test_several_dois_are_one_request_and_the_missing_are_asked_singly(
    httpserver: HTTPServer,
) -> None:
    replay(httpserver)
    dois = [
        "10.7554/elife.01567",
        "10.1007/s00120-007-1345-2",
        "10.7554/not-there",
        "10.1145/3448016.3452841",
        "10.1017/9781108348843",
    ]
    with resolver(config(httpserver)) as r:
        works = list(r.resolve_many(dois))
    batch, single = requests(httpserver)
    assert batch.path == "/works"
    assert batch.args["filter"] == ",".join(f"doi:{d}" for d in dois)
    assert batch.args["rows"] == "5"
    assert batch.args["mailto"] == EMAIL
    assert single.path == "/works/10.7554/not-there"
    assert [w.status for w in works] == [
        "resolved",
        "resolved",
        "not_found",
        "resolved",
        "resolved",
    ]
    assert works[1].pages == "776-779"
    assert works[4].isbn == ("9781108348843", "9781108425728", "9781108443241")
    assert report(works[2], "crossref").status == "not_found"


def test_a_doi_the_batch_lists_under_another_doi_is_asked_singly(httpserver: HTTPServer) -> None:
    """An alias: the batch does not list it, its own look-up answers the prime work."""

    def respond(request: Request) -> Response:
        if request.path == "/works":
            return Response(work_list([ELIFE]), content_type="application/json")
        return Response(recorded(MONOGRAPH), content_type="application/json")

    replay(httpserver, respond)
    with resolver(config(httpserver)) as r:
        first, alias = r.resolve_many(["10.7554/elife.01567", "10.1017/alias-of-9781108348843"])
    assert [q.path for q in requests(httpserver)] == [
        "/works",
        "/works/10.1017/alias-of-9781108348843",
    ]
    assert first.status == alias.status == "resolved"
    assert alias.title == "The Politics of the Past in Early China"


def test_a_preprint_and_its_published_version_make_one_record(httpserver: HTTPServer) -> None:
    """The recorded posted content made, in test code, a preprint of the recorded eLife
    article (``is-preprint-of``); Crossref's own ``is-version-of`` is followed too."""
    preprint = json.loads(recorded(POSTED))
    preprint["message"]["relation"]["is-preprint-of"] = [
        {"id-type": "doi", "id": "10.7554/eLife.01567", "asserted-by": "subject"}
    ]

    def respond(request: Request) -> Response:
        if request.path == "/works/10.53731/ybhah-9jy85":
            return Response(json.dumps(preprint), content_type="application/json")
        if request.path == "/works/10.7554/elife.01567":
            return Response(recorded(ELIFE), content_type="application/json")
        return Response(NOT_FOUND, status=404)

    replay(httpserver, respond)
    with resolver(config(httpserver)) as r:
        work = r.resolve("10.53731/ybhah-9jy85")
    asked = [q.path for q in requests(httpserver)]
    assert asked[0] == "/works/10.53731/ybhah-9jy85"
    assert sorted(asked[1:]) == ["/works/10.53731/q5ges-cp507", "/works/10.7554/elife.01567"]
    assert work.status == "resolved"
    assert (work.venue, work.volume, work.published) == ("eLife", "3", "2014-02-11")
    assert work.ids.doi == "10.7554/elife.01567"
    assert work.type == "journal-article"


def test_a_retracted_work_says_so(httpserver: HTTPServer) -> None:
    """The recorded eLife work with an ``updated-by`` retraction added in test code, in the
    shape Crossref documents (no recorded work with updates was found)."""
    answer = json.loads(recorded(ELIFE))
    answer["message"]["updated-by"] = [
        {
            "updated": {"date-parts": [[2016, 1, 5]]},
            "DOI": "10.7554/eLife.99999",
            "type": "retraction",
            "source": "retraction-watch",
            "label": "Retraction",
        }
    ]
    replay(
        httpserver, lambda request: Response(json.dumps(answer), content_type="application/json")
    )
    with resolver(config(httpserver)) as r:
        work = r.resolve("10.7554/elife.01567")
    assert work.retracted is True
    assert work.provenance["retracted"].source == "crossref"
    (update,) = work.updates
    assert (update.direction, update.type, update.doi, update.date, update.source) == (
        "updated-by",
        "retraction",
        "10.7554/elife.99999",
        "2016-01-05",
        "retraction-watch",
    )
    record = json.loads(paperfuse.encode_json(work))
    assert record["retracted"] is True


def test_another_agencys_dois_are_not_found_without_a_request(httpserver: HTTPServer) -> None:
    replay(httpserver)
    dois = [
        "10.48550/arXiv.2101.00001",  # arXiv's prefix: DataCite, known without asking
        "10.5061/dryad.8515",  # Dryad's: DataCite
        "10.9999/medra.1",  # doi.org says mEDRA
        "10.7554/elife.01567",  # doi.org says Crossref (recorded)
        "10.1234/unknown-prefix",  # doi.org does not know it: asked anyway
    ]
    with resolver(config(httpserver)) as r:
        works = list(r.resolve_many(dois))
    assert [report(w, "crossref").status for w in works] == ["not_found"] * 3 + ["ok", "not_found"]
    batch, single = requests(httpserver)
    assert batch.args["filter"] == "doi:10.7554/elife.01567,doi:10.1234/unknown-prefix"
    assert single.path == "/works/10.1234/unknown-prefix"
    asked_ra = sorted(q.path for q, _ in httpserver.log if q.path.startswith("/ra/"))
    assert asked_ra == ["/ra/10.1234", "/ra/10.7554", "/ra/10.9999"]


def test_dois_with_a_comma_are_never_put_in_a_filter(httpserver: HTTPServer) -> None:
    replay(httpserver)
    dois = ["10.7554/elife.01567", "10.1017/9781108348843", "10.1234/a,b"]
    with resolver(config(httpserver)) as r:
        list(r.resolve_many(dois))
    batch, single = requests(httpserver)
    assert batch.args["filter"] == "doi:10.7554/elife.01567,doi:10.1017/9781108348843"
    assert single.path == "/works/10.1234/a,b"


def test_long_dois_are_cut_into_batches_with_short_urls() -> None:
    identifiers = [
        Identifier(scheme="doi", value=f"10.1234/{i:03d}-" + "x" * 180) for i in range(40)
    ]
    chunks = CrossrefSource._chunks(identifiers)
    assert len(chunks) > 1
    assert [i for chunk in chunks for i in chunk] == identifiers
    for chunk in chunks:
        params = {"filter": ",".join(f"doi:{i.value}" for i in chunk), "rows": str(len(chunk))}
        url = httpx.URL("https://api.crossref.org/works", params=params | {"mailto": EMAIL})
        assert len(str(url)) < 3_500


@pytest.mark.parametrize("body", [NOT_FOUND, "", "<html><title>404</title></html>"])
def test_404_is_not_found(httpserver: HTTPServer, body: str) -> None:
    replay(httpserver, lambda request: Response(body, status=404, content_type="text/plain"))
    with resolver(config(httpserver)) as r:
        work = r.resolve("10.1234/missing")
    assert report(work, "crossref").status == "not_found"
    assert work.status == "not_found"


# -- failures are Crossref's, and the others' data stays --------------------------------------


def other_source() -> type[paperfuse.Source]:
    record = Work(title="From elsewhere", publisher="Elsewhere Press")
    return fake_source("other", ["doi"], records={("doi", "10.7554/elife.01567"): record})


@pytest.mark.parametrize(
    ("status", "body", "headers", "message"),
    [
        (429, "slow down", {"Retry-After": "3600"}, "HTTP 429 after 1 attempt"),
        (503, "<html>down</html>", {}, "HTTP 503 after 1 attempt"),
        (500, "oops", {}, "HTTP 500 after 1 attempt"),
        (200, "<!DOCTYPE html><html><title>Gateway</title></html>", {}, "malformed JSON"),
        (200, '{"status": "ok", "message-type": "work", "message": []}', {}, "not a Crossref work"),
        (200, '{"status": "ok", "message": {"DOI": 5}}', {}, "not a Crossref work"),
        (200, "[" * 100_000 + "]" * 100_000, {}, "JSON nested too deep"),
        (400, '{"status": "failed", "message-type": "validation-failure"}', {}, "HTTP 400"),
    ],
)
def test_failures_are_attributed_to_crossref_and_the_others_stay(
    httpserver: HTTPServer, status: int, body: str, headers: dict[str, str], message: str
) -> None:
    replay(httpserver, lambda request: Response(body, status=status, headers=headers))
    with resolver(config(httpserver), other_source()) as r:
        work = r.resolve("10.7554/elife.01567")
    error = report(work, "crossref").error or ""
    assert report(work, "crossref").status == "error"
    assert message in error
    assert "plugin error" not in error
    assert EMAIL not in error
    assert "mailto=***" in error
    assert len(error) < 500
    assert work.status == "resolved"
    assert (work.title, work.publisher) == ("From elsewhere", "Elsewhere Press")
    assert report(work, "other").status == "ok"


def test_429_and_5xx_are_retried_honouring_retry_after(httpserver: HTTPServer) -> None:
    answers = [
        Response("slow down", status=429, headers={"Retry-After": "0"}),
        Response("oops", status=502),
        Response(recorded(ELIFE), content_type="application/json"),
    ]
    replay(httpserver, lambda request: answers.pop(0))
    with stamina.set_testing(True, attempts=3), resolver(config(httpserver)) as r:
        work = r.resolve("10.7554/elife.01567")
    assert work.status == "resolved"
    assert report(work, "crossref").status == "ok"
    assert len(requests(httpserver)) == 3


def test_a_long_retry_after_pauses_crossref_for_the_rest(httpserver: HTTPServer) -> None:
    replay(httpserver, lambda request: Response("no", status=429, headers={"Retry-After": "3600"}))
    with resolver(config(httpserver)) as r:
        first = r.resolve("10.7554/elife.01567")
        second = r.resolve("10.1017/9781108348843")
        assert r.stats()["crossref"].paused is not None
    assert "service asks to wait 3600 s" in (report(first, "crossref").error or "")
    assert "paused" in (report(second, "crossref").error or "")
    assert len(requests(httpserver)) == 1


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, "<html>maintenance</html>", "malformed JSON"),
        (200, '{"status": "ok", "message": {"items": "none"}}', "not a Crossref list of works"),
        (503, "down", "HTTP 503 after 1 attempt"),
    ],
)
def test_a_failed_batch_fails_its_dois_alone(
    httpserver: HTTPServer, status: int, body: str, message: str
) -> None:
    replay(httpserver, lambda request: Response(body, status=status))
    dois = ["10.7554/elife.01567", "10.1017/9781108348843"]
    with resolver(config(httpserver)) as r:
        works = list(r.resolve_many(dois))
    assert len(requests(httpserver)) == 1  # no single look-ups after a failed batch
    for work in works:
        assert report(work, "crossref").status == "error"
        assert message in (report(work, "crossref").error or "")
        assert "plugin error" not in (report(work, "crossref").error or "")


def test_a_batch_that_is_rate_limited_asks_nothing_more(httpserver: HTTPServer) -> None:
    """A list with one of three works, then 429 for the first single look-up."""
    answers = [Response(work_list([ELIFE]), content_type="application/json")]
    answers += [Response("slow down", status=429)] * 3
    replay(httpserver, lambda request: answers.pop(0))
    dois = ["10.7554/elife.01567", "10.1234/a", "10.1234/b"]
    with resolver(config(httpserver)) as r:
        works = list(r.resolve_many(dois))
    assert len(requests(httpserver)) == 2
    assert works[0].status == "resolved"
    assert ["HTTP 429" in (report(w, "crossref").error or "") for w in works[1:]] == [True, True]


# -- politeness ------------------------------------------------------------------------------


def intervals(cfg: Config, *inputs: str) -> list[float]:
    """Crossref's pacing interval once the resolver has started, and after each input."""

    async def run() -> list[float]:
        async with resolver(cfg) as r:
            pacer = r._sources()["crossref"].pacer
            seen = [pacer.min_interval]
            for text in inputs:
                await r.aresolve(text)
                seen.append(pacer.min_interval)
            return seen

    return asyncio.run(run())


async def _politeness(r: paperfuse.Resolver) -> paperfuse.Politeness:
    return r._sources()["crossref"].instance.context.politeness  # type: ignore[union-attr]


def test_default_politeness_is_the_public_pool() -> None:
    assert CrossrefSource.politeness.min_interval == 0.2
    assert CrossrefSource.politeness.max_concurrency == 1
    assert CrossrefSource.name == "crossref"
    assert CrossrefSource.schemes == ("doi",)
    assert CrossrefSource.searches_titles is True
    assert 20 <= CrossrefSource.batch_size <= 50


@pytest.mark.parametrize(
    ("email", "token", "interval"), [(None, None, 0.2), (EMAIL, None, 0.1), (None, TOKEN, 0.1)]
)
def test_a_contact_email_or_a_token_asks_at_the_polite_pools_pace(
    httpserver: HTTPServer, email: str | None, token: str | None, interval: float
) -> None:
    cfg = config(httpserver, email=email, min_interval=None, api_key=token)
    assert intervals(cfg) == [pytest.approx(interval)]
    with resolver(cfg) as r:
        politeness = asyncio.run(_politeness(r))
    assert politeness.max_concurrency == (1 if interval == 0.2 else 3)
    configured = config(httpserver, email=email, min_interval=0.7, api_key=token)
    assert intervals(configured) == [pytest.approx(0.7)]


@pytest.mark.parametrize(
    ("limit", "interval", "configured", "expected"),
    [
        ("50", "1s", 0.0, 0.02),
        ("2", "1s", 0.0, 0.5),
        ("5", "1s", 0.3, 0.3),  # never faster than configured
        ("1", "1h", 0.0, 10.0),  # never slower than 10 s a request
        ("3", "1500ms", 0.0, 0.5),
        ("0", "1s", 0.0, 0.0),  # unreadable: no change
        ("many", "1s", 0.0, 0.0),
        ("5", "soon", 0.0, 0.0),
        ("9" * 40, "1s", 0.0, 0.0),
    ],
)
def test_rate_limit_headers_slow_the_pace_down(
    httpserver: HTTPServer, limit: str, interval: str, configured: float, expected: float
) -> None:
    headers = {"x-rate-limit-limit": limit, "x-rate-limit-interval": interval}

    def respond(request: Request) -> Response:
        return Response(recorded(ELIFE), headers=headers, content_type="application/json")

    replay(httpserver, respond)
    seen = intervals(config(httpserver, min_interval=configured), "10.7554/elife.01567")
    assert seen == [pytest.approx(configured), pytest.approx(expected)]


def test_the_pace_follows_the_headers_back_up_to_the_configured_one(
    httpserver: HTTPServer,
) -> None:
    limits = ["2", "50"]

    def respond(request: Request) -> Response:
        headers = {"x-rate-limit-limit": limits.pop(0), "x-rate-limit-interval": "1s"}
        return Response(NOT_FOUND, status=404, headers=headers)

    replay(httpserver, respond)
    seen = intervals(config(httpserver, min_interval=0.05), "10.1234/a", "10.1234/b")
    assert seen == [pytest.approx(0.05), pytest.approx(0.5), pytest.approx(0.05)]


def test_the_email_is_sent_and_masked_everywhere(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    replay(httpserver, lambda request: Response("<html>oops</html>", status=502))
    with caplog.at_level(logging.DEBUG), resolver(config(httpserver)) as r:
        work = r.resolve("10.7554/elife.01567")
    assert requests(httpserver)[0].args["mailto"] == EMAIL
    error = report(work, "crossref").error or ""
    assert error == (
        "HTTP 502 after 1 attempt"
        f" (GET {httpserver.url_for('/works/10.7554/elife.01567')}?mailto=***)"
    )
    ours = [r for r in caplog.records if not r.name.startswith("werkzeug")]  # the test server's
    everything = paperfuse.encode_json(work).decode() + "\n".join(r.getMessage() for r in ours)
    assert EMAIL not in everything
    assert "librarian" not in everything


def test_without_an_email_no_mailto_is_sent(httpserver: HTTPServer) -> None:
    replay(httpserver)
    with resolver(config(httpserver, email=None)) as r:
        assert r.resolve("10.7554/elife.01567").status == "resolved"
    assert "mailto" not in requests(httpserver)[0].args


def test_the_plus_token_goes_to_crossref_alone_and_is_masked(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    elsewhere = HTTPServer(host="127.0.0.1")
    elsewhere.start()
    try:
        elsewhere.expect_request(re.compile(".*")).respond_with_data(
            recorded(ELIFE), content_type="application/json"
        )
        moved = elsewhere.url_for("/moved/10.7554/elife.01567")

        def respond(request: Request) -> Response:
            if request.path.endswith("/redirected"):
                return Response("", status=301, headers={"Location": moved})
            body = f"invalid token {TOKEN}"  # a service that echoes it
            return Response(body, status=200 if "ok" in request.path else 500)

        replay(httpserver, respond)
        cfg = config(httpserver, api_key=TOKEN)
        with caplog.at_level(logging.DEBUG), resolver(cfg) as r:
            failed = r.resolve("10.1234/fails")
            garbage = r.resolve("10.1234/ok")
            redirected = r.resolve("10.1234/redirected")
        sent = requests(httpserver)
        assert {q.headers.get("Crossref-Plus-API-Token") for q in sent} == {f"Bearer {TOKEN}"}
        (followed, _), *_ = elsewhere.log
        assert "Crossref-Plus-API-Token" not in followed.headers
        assert redirected.status == "resolved"
        assert "HTTP 500" in (report(failed, "crossref").error or "")
        assert "malformed JSON" in (report(garbage, "crossref").error or "")
        everything = paperfuse.encode_json([failed, garbage, redirected]).decode()
        everything += "\n".join(
            r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug")
        )
        assert TOKEN not in everything
        assert TOKEN[:8] not in everything
    finally:
        elsewhere.clear()
        if elsewhere.is_running():
            elsewhere.stop()


def test_the_token_comes_from_the_environment(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    replay(httpserver)
    monkeypatch.setenv("PAPERFUSE_CROSSREF_API_KEY", TOKEN)
    monkeypatch.setenv("PAPERFUSE_CROSSREF_URL", httpserver.url_for("").rstrip("/"))
    cfg = paperfuse.load_config()
    assert TOKEN in cfg.secrets
    with resolver(cfg) as r:
        r.resolve("10.7554/elife.01567")
    assert requests(httpserver)[0].headers["Crossref-Plus-API-Token"] == f"Bearer {TOKEN}"


# -- bibliographic search through the engine's matcher ----------------------------------------

CITATION = (
    "Heaton RK, Avitable N. Further crossvalidation of regression-based neuropsychological"
    " norms with an update for the Boston Naming Test. J Clin Exp Neuropsychol."
    " 1999;21(4):572-582."
)
MADE_UP = (
    "Smith J, Doe A. A survey of quantum gardening in lunar soils. Journal of Imaginary"
    " Results. 2015;12(3):45-67."
)


def replay_search(server: HTTPServer) -> None:
    """The recorded list answer (of a ``filter=prefix:`` request) replayed as the answer of
    every bibliographic query: the corpus has no recorded ``query.bibliographic`` answer."""
    server.expect_request("/works").respond_with_data(
        recorded(LIST), content_type="application/json"
    )


def test_a_citation_resolves_to_its_doi_and_a_made_up_one_does_not(
    httpserver: HTTPServer,
) -> None:
    replay_search(httpserver)
    with resolver(config(httpserver)) as r:
        found = r.resolve(CITATION)
        made_up = r.resolve(MADE_UP)
    first, second = requests(httpserver)
    assert first.args["query.bibliographic"] == CITATION
    assert first.args["rows"] == "5"
    assert first.args["mailto"] == EMAIL
    assert second.args["query.bibliographic"] == MADE_UP
    assert found.status == "resolved"
    assert found.ids.doi == "10.5555/jcen.21.4.572.882"
    assert (found.volume, found.issue, found.pages, found.year) == ("21", "4", "572-582", 1999)
    assert found.candidates[0].source == "crossref"
    assert made_up.status != "resolved"
    assert made_up.ids.doi is None


@pytest.mark.parametrize(
    "near_miss",
    [
        "Heaton RK, Avitable N. Further crossvalidation of regression-based neuropsychological"
        " norms with an update for the Boston Naming Test, part II. J Clin Exp Neuropsychol."
        " 2004;26(2):100-110.",
        "Heaton RK. Crossvalidation of regression-based neuropsychological norms."
        " J Clin Exp Neuropsychol. 1999;21(4):572-582.",
    ],
)
def test_a_near_miss_stays_ambiguous(httpserver: HTTPServer, near_miss: str) -> None:
    replay_search(httpserver)
    with resolver(config(httpserver)) as r:
        work = r.resolve(near_miss)
    assert work.status == "ambiguous"
    assert work.candidates[0].ids.doi == "10.5555/jcen.21.4.572.882"
    assert work.ids.doi is None


def test_a_title_is_searched_and_rows_come_from_the_options(httpserver: HTTPServer) -> None:
    replay_search(httpserver)
    title = "Adaptive estimation of discrete-time systems with nonlinear parameterization"
    with resolver(config(httpserver, options={"rows": 20})) as r:
        work = r.resolve(title)
    (request,) = requests(httpserver)
    assert request.args["query.bibliographic"] == title
    assert request.args["rows"] == "20"
    assert work.status == "resolved"
    assert work.ids.doi == "10.5555/s0005-1098(00)00106-0"


def test_search_failures_are_attributed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/works").respond_with_data("<html>x</html>", status=200)
    searcher = fake_source(
        "other",
        ["doi"],
        searches_titles=True,
        candidates=[Work(title="A survey of quantum gardening in lunar soils", year=2015)],
    )
    with resolver(config(httpserver), searcher) as r:
        work = r.resolve("A survey of quantum gardening in lunar soils")
    assert work.status == "resolved"
    assert report(work, "crossref").status == "error"
    assert "malformed JSON" in (report(work, "crossref").error or "")


# -- properties: mutated recorded answers are Crossref's bad responses at worst ----------------

RECORDED_ANSWERS = [json.loads(recorded(name)) for name in [ELIFE, UROLOGE, POSTED, LIST]]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(mutated_json(RECORDED_ANSWERS))
def test_mutated_answers_are_records_or_bad_responses(httpserver: HTTPServer, data: Any) -> None:
    httpserver.clear()
    doi_org(httpserver)
    body = json.dumps(data).encode()
    httpserver.expect_request(re.compile(r"^/works.*")).respond_with_data(
        body, content_type="application/json"
    )

    async def ask() -> list[Any]:
        async with resolver(config(httpserver)) as r:
            source = r._sources()["crossref"].instance
            assert source is not None
            one = [Identifier(scheme="doi", value="10.7554/elife.01567")]
            two = [*one, Identifier(scheme="doi", value="10.1017/9781108348843")]
            answers: list[Any] = []
            for call in (source.lookup(one), source.lookup(two), source.search(QUERY)):
                try:
                    answers.append(await call)
                except paperfuse.SourceError as e:
                    answers.append(e)
            return answers

    for answer in asyncio.run(ask()):
        values = answer.values() if isinstance(answer, dict) else [answer]
        if isinstance(answer, list):
            values = answer
        for value in values:
            assert value is None or isinstance(value, (Work, paperfuse.BadResponse)), value
            if isinstance(value, Work):
                paperfuse.encode_json(value)


QUERY = paperfuse.Query(kind="citation", text=CITATION)


# -- end to end --------------------------------------------------------------------------------


def test_cli_resolves_against_a_local_replay(
    httpserver: HTTPServer, paperfuse_isolated: Isolation, paperfuse_cli: CLI
) -> None:
    replay(httpserver)
    paperfuse_isolated.use_plugins(entry_points=BUILT_IN_PLUGINS - {"arxiv", "oab", "unpaywall"})
    run = paperfuse_cli.subprocess(
        "resolve",
        "10.1007/s00120-007-1345-2",
        email=EMAIL,
        urls={"crossref": httpserver.url_for("").rstrip("/")},
    )
    assert run.exit_code == 0, run.stderr
    record = json.loads(run.stdout)
    assert (record["volume"], record["issue"], record["pages"]) == ("46", "7", "776-779")
    assert record["authors"][0]["family"] == "Lehsnau"
    assert EMAIL not in run.stdout + run.stderr


def test_a_list_of_twenty_works_is_read_in_turns(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recorded 20-work list answers a request for its own DOIs: its works are mapped
    eight at a time, the event loop running other tasks in between."""
    import paperfuse_crossref._mapping as mapping

    items = message(LIST)["items"]
    dois = [item["DOI"] for item in items]
    httpserver.expect_request("/works").respond_with_data(
        recorded(LIST), content_type="application/json"
    )
    counter = TurnCounter()
    monkeypatch.setattr(mapping, "work_to_record", counter.wrap(mapping.work_to_record))
    with resolver(config(httpserver)) as r:
        works = list(r.resolve_many(dois))
    counter.running = False
    assert [w.ids.doi for w in works] == [d.lower() for d in dois]
    assert all(w.status == "resolved" for w in works)
    assert len(counter.seen_at) == 20  # one list, no single look-up
    assert counter.distinct == 3  # 8, 8 and 4 works
