"""The PMC ID converter source against a local server: ids grouped by type, 200 a
request, both answer shapes, expansion through the ids it reveals, politeness,
failures attributed to the converter, and hostile answers.

Recorded bodies come from tests/fixtures/idconv/ (see PROVENANCE.md there): an
answer of the older service (``/pmc/utils/idconv/v1.0/``) for the DOI
10.1038/ng.590, and its refusal of an id of the wrong type. The corpus holds no
answer of the newer service (``/tools/idconv/api/v1/articles/``); those answers
are BUILT in test code (:func:`newer_answer`) from the documented shape (PMID as
a number, ``requested-id`` echoed, ``status``/``errmsg`` for unknown ids) and
say so where they are used.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

import paperfuse
import paperfuse_idconv
from installed_plugins import BUILT_IN_PLUGINS
from mutations import mutated_json
from paperfuse import Config, Identifier, SourceSettings, Work
from paperfuse.testing import CLI, Isolation, SourcesPlugin, fake_source, report
from paperfuse_idconv import IdConverterSource, answer_records, normalised, record_to_work

FIXTURES = Path(__file__).parent / "fixtures" / "idconv"
OLDER = "rcrossref_idconv_doi_10.1038_ng.590.json"
MISMATCH = "rcrossref_idconv_error_idtype_mismatch.json"
PATH = "/tools/idconv/api/v1/articles/"
EMAIL = "librarian@example.org"
KEY = "ncbi-key-5d1e9a7c3b"
#: The article of the recorded answer: its three ids.
ARTICLE = {"doi": "10.1038/ng.590", "pmid": "20495566", "pmcid": "PMC2883744"}


def recorded(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def newer_record(requested: str, article: dict[str, str] | None) -> dict[str, Any]:
    """One record of the newer service's answer, BUILT from the documented shape."""
    if article is None:
        return {"requested-id": requested, "status": "error", "errmsg": "invalid article id"}
    return {
        "requested-id": requested,
        "pmcid": article["pmcid"],
        "pmid": int(article["pmid"]),
        "doi": article["doi"],
    }


def newer_answer(records: list[dict[str, Any]]) -> bytes:
    """The newer service's answer around ``records``: BUILT, not recorded."""
    return json.dumps(
        {"status": "ok", "responseDate": "2026-11-20 10:00:00", "records": records}
    ).encode()


def known(scheme: str, value: str) -> dict[str, str] | None:
    return ARTICLE if ARTICLE[scheme].lower() == value.lower() else None


def converter(request: Request) -> Response:
    """The converter: the recorded older answer for the recorded DOI alone, else a newer
    answer (built) with the one known article and error records for the rest; HTTP 400
    for a request without ``idtype`` or with ids of another type, as the newer service."""
    scheme = request.args.get("idtype", "")
    ids = request.args.get("ids", "").split(",")
    if scheme not in ARTICLE or any(not fits(scheme, i) for i in ids):
        return Response('{"status": "error", "message": "mixed id types"}', status=400)
    if scheme == "doi" and ids == [ARTICLE["doi"]]:
        return Response(recorded(OLDER), content_type="application/json")
    body = newer_answer([newer_record(i, known(scheme, i)) for i in ids])
    return Response(body, content_type="application/json")


def fits(scheme: str, value: str) -> bool:
    if scheme == "pmid":
        return value.isdigit()
    if scheme == "pmcid":
        return value.upper().startswith("PMC")
    return value.startswith("10.")


def serve(server: HTTPServer, handler: Callable[[Request], Response] = converter) -> None:
    server.expect_request(PATH).respond_with_handler(handler)


def requests(server: HTTPServer) -> list[Request]:
    return [request for request, _ in server.log if request.path == PATH]


def config(server: HTTPServer, email: str | None = EMAIL, **settings: Any) -> Config:
    url = server.url_for("").rstrip("/")
    settings.setdefault("min_interval", 0.0)
    return Config(email=email, sources={"idconv": SourceSettings(url=url, **settings)})


def resolver(cfg: Config, *extra: type[paperfuse.Source]) -> paperfuse.Resolver:
    plugins: dict[str, object] = {"idconv": paperfuse_idconv}
    if extra:
        plugins["fakes"] = SourcesPlugin(*extra)
    return paperfuse.Resolver(cfg, entry_points=False, plugins=plugins)


def pubmed_like() -> type[paperfuse.Source]:
    """A fake source that knows the article by its PMID only."""
    record = Work(title="Common SNPs explain a large proportion of heritability", year=2010)
    return fake_source("bypmid", ["pmid"], records={("pmid", ARTICLE["pmid"]): record})


# -- what it reveals -----------------------------------------------------------------------


def test_a_doi_reveals_its_pmid_and_pmcid_and_the_pmid_source_is_asked(
    httpserver: HTTPServer,
) -> None:
    """The recorded older answer: the PMID string and PMCID; then the PMID's source."""
    serve(httpserver)
    with resolver(config(httpserver), pubmed_like()) as r:
        work = r.resolve("10.1038/ng.590")
    assert work.status == "resolved"
    assert (work.ids.doi, work.ids.pmid, work.ids.pmcid) == tuple(ARTICLE.values())
    assert work.title == "Common SNPs explain a large proportion of heritability"
    assert report(work, "idconv").status == "ok"
    assert report(work, "bypmid").status == "ok"
    (asked,) = requests(httpserver)
    assert asked.args["idtype"] == "doi"
    assert asked.args["ids"] == "10.1038/ng.590"


def test_a_pmcid_reveals_its_pmid_from_the_newer_answer(httpserver: HTTPServer) -> None:
    """A newer answer (built): the PMID as a number is read as the PMID."""
    serve(httpserver)
    with resolver(config(httpserver), pubmed_like()) as r:
        work = r.resolve("PMC2883744")
    assert work.ids.pmid == "20495566"
    assert work.ids.doi == "10.1038/ng.590"
    assert work.title == "Common SNPs explain a large proportion of heritability"
    (asked,) = requests(httpserver)
    assert asked.args["idtype"] == "pmcid"


def test_an_unknown_id_is_not_found(httpserver: HTTPServer) -> None:
    """A newer answer (built) with an error record for the id."""
    serve(httpserver)
    with resolver(config(httpserver)) as r:
        work = r.resolve("PMID:12345678")
    assert report(work, "idconv").status == "not_found"
    assert work.status == "not_found"


def test_records_of_both_shapes_become_ids_only() -> None:
    older = json.loads(recorded(OLDER))
    (record,) = answer_records(older) or []
    key, work = record_to_work(record, "doi")
    assert key == "10.1038/ng.590"
    assert work == Work(ids=paperfuse.Ids(**ARTICLE))
    newer = {
        "requested-id": "pmc2883744",
        "pmcid": "PMC2883744",
        "pmid": 20495566,
        "doi": "10.1038/NG.590",
    }
    assert record_to_work(newer, "pmcid") == ("PMC2883744", Work(ids=paperfuse.Ids(**ARTICLE)))
    # An id the service does not know, or a record naming nothing more: not found.
    assert (
        record_to_work({"requested-id": "1", "status": "error", "errmsg": "x"}, "pmid")[1] is None
    )
    assert record_to_work({"requested-id": "10.1/x", "doi": "10.1/x"}, "doi")[1] is None


@pytest.mark.parametrize(
    ("scheme", "value", "expected"),
    [
        ("pmid", "20495566", "20495566"),
        ("pmid", 20495566, "20495566"),
        ("pmid", " 020495566 ", "20495566"),
        ("pmid", 10**40, None),
        ("pmid", -3, None),
        ("pmid", 0, None),
        ("pmid", True, None),
        ("pmid", 2.0495566e7, None),
        ("pmid", "٢٠٤٩", None),  # Arabic-Indic digits are no PMID
        ("pmid", ["20495566"], None),
        ("pmcid", "PMC2883744", "PMC2883744"),
        ("pmcid", "pmc2883744", "PMC2883744"),
        ("pmcid", "2883744", "PMC2883744"),
        ("pmcid", "PMC2883744.2", None),
        ("pmcid", "PMC" + "9" * 40, None),
        ("pmcid", {"id": 1}, None),
        ("doi", "10.1038/NG.590", "10.1038/ng.590"),
        ("doi", "https://doi.org/10.1038/ng.590", "10.1038/ng.590"),
        ("doi", "not a doi", None),
        ("doi", 10.1038, None),
        ("mid", "NIHMS198092", None),
    ],
)
def test_identifiers_are_read_strictly(scheme: str, value: Any, expected: str | None) -> None:
    assert normalised(scheme, value) == expected
    record = {"requested-id": "x", scheme: value, "status": "ok"}
    other = "doi" if scheme != "doi" else "pmid"
    record[other] = ARTICLE[other]
    _, work = record_to_work(record, other)
    assert work is None or getattr(work.ids, scheme, None) == expected


# -- batches grouped by type ---------------------------------------------------------------


def test_a_work_it_does_not_know_by_one_id_is_not_asked_by_another(
    httpserver: HTTPServer,
) -> None:
    """The converter knows a PMC article by all its ids or by none: no second request."""
    serve(httpserver)
    record = Work(ids=paperfuse.Ids(pmid="11111111", doi="10.1234/not-in-pmc"), title="Elsewhere")
    other = fake_source("bypmid", ["pmid"], records={("pmid", "11111111"): record})
    with resolver(config(httpserver), other) as r:
        work = r.resolve("PMID:11111111")
    assert work.ids.doi == "10.1234/not-in-pmc"
    assert report(work, "idconv").status == "not_found"
    (asked,) = requests(httpserver)
    assert asked.args["idtype"] == "pmid"


def test_a_mixed_batch_makes_one_request_per_type_never_mixed(httpserver: HTTPServer) -> None:
    serve(httpserver)
    inputs = ["PMID:20495566", "10.1038/ng.590", "PMID:11111111", "PMC2883744", "10.1234/x"]
    with resolver(config(httpserver)) as r:
        works = list(r.resolve_many(inputs))
    asked = requests(httpserver)
    assert sorted(q.args["idtype"] for q in asked) == ["doi", "pmcid", "pmid"]
    for q in asked:
        assert all(fits(q.args["idtype"], i) for i in q.args["ids"].split(","))
    statuses = [report(w, "idconv").status for w in works]
    assert statuses == ["ok", "ok", "not_found", "ok", "not_found"]
    assert works[0].ids.pmcid == "PMC2883744"


def test_a_thousand_pmids_cost_five_requests(httpserver: HTTPServer) -> None:
    serve(httpserver)
    pmids = [f"PMID:{30000000 + n}" for n in range(999)] + ["PMID:20495566"]
    with resolver(config(httpserver)) as r:
        works = list(r.resolve_many(pmids))
    asked = requests(httpserver)
    assert len(asked) == 5
    assert all(len(q.args["ids"].split(",")) == 200 for q in asked)
    assert works[-1].ids.doi == "10.1038/ng.590"
    assert sum(report(w, "idconv").status == "not_found" for w in works) == 999


# -- politeness and secrets ----------------------------------------------------------------


def test_requests_say_who_asks_and_the_root_is_configurable(httpserver: HTTPServer) -> None:
    serve(httpserver)
    with resolver(config(httpserver, api_key=KEY)) as r:
        r.resolve("10.1038/ng.590")
    (asked,) = requests(httpserver)
    assert asked.args["tool"] == "paperfuse"
    assert asked.args["email"] == EMAIL
    assert asked.args["api_key"] == KEY
    assert asked.args["format"] == "json"


def test_the_default_root_and_politeness_are_ncbis() -> None:
    assert IdConverterSource.base_url == "https://pmc.ncbi.nlm.nih.gov"
    assert IdConverterSource.batch_size == 200
    plain = IdConverterSource.politeness_for(Config(), SourceSettings())
    keyed = IdConverterSource.politeness_for(Config(), SourceSettings(api_key=KEY))
    assert (plain.min_interval, plain.max_concurrency) == (0.34, 1)
    assert (keyed.min_interval, keyed.max_concurrency) == (0.1, 1)


def test_the_environment_sets_the_root(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve(httpserver)
    monkeypatch.setenv("PAPERFUSE_IDCONV_URL", httpserver.url_for("").rstrip("/"))
    monkeypatch.setenv("PAPERFUSE_IDCONV_MIN_INTERVAL", "0")
    cfg = paperfuse.load_config()
    with resolver(cfg) as r:
        work = r.resolve("10.1038/ng.590")
    assert work.ids.pmid == "20495566"
    assert len(requests(httpserver)) == 1


def test_cli_resolves_a_pmcid_to_its_ids(
    httpserver: HTTPServer, paperfuse_isolated: Isolation, paperfuse_cli: CLI
) -> None:
    """``paperfuse resolve PMC2883744`` with the converter at a local server (answer built)."""
    serve(httpserver)
    paperfuse_isolated.use_plugins(
        entry_points=BUILT_IN_PLUGINS - {"arxiv", "oab", "unpaywall", "crossref", "datacite"}
    )
    run = paperfuse_cli.subprocess(
        "resolve",
        "PMC2883744",
        email=EMAIL,
        urls={"idconv": httpserver.url_for("").rstrip("/")},
    )
    record = json.loads(run.stdout)
    assert record["ids"]["pmid"] == "20495566", run.stderr
    assert record["ids"]["doi"] == "10.1038/ng.590"
    assert EMAIL not in run.stdout + run.stderr
    (asked,) = requests(httpserver)
    assert asked.args["email"] == EMAIL


# -- failures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (429, "slow down", "HTTP 429 after 1 attempt"),
        (503, "<html>down</html>", "HTTP 503 after 1 attempt"),
        (200, "<!DOCTYPE html><html><title>Gateway</title></html>", "malformed JSON"),
        (200, '{"status": "ok", "records": "none"}', "not an ID converter answer"),
        (200, "[" * 100_000 + "]" * 100_000, "JSON nested too deep"),
        (404, None, "refused: ID type 'doi' mismatch for '28371833'"),
        (400, '{"status": "error", "message": "mixed"}', "HTTP 400, refused: mixed"),
        (403, "<html>forbidden</html>", "HTTP 403"),
    ],
)
def test_failures_are_attributed_to_the_converter(
    httpserver: HTTPServer, status: int, body: str | None, message: str
) -> None:
    """``None`` as the body: the recorded refusal of an id of the wrong type."""
    content = recorded(MISMATCH) if body is None else body
    serve(httpserver, lambda request: Response(content, status=status))
    other = fake_source("other", ["doi"], records={("doi", ARTICLE["doi"]): Work(title="Kept")})
    with resolver(config(httpserver, api_key=KEY), other) as r:
        work = r.resolve("10.1038/ng.590")
    error = report(work, "idconv").error or ""
    assert report(work, "idconv").status == "error"
    assert message in error
    assert "plugin error" not in error
    assert EMAIL not in error
    assert KEY not in error
    assert "email=***" in error
    assert work.title == "Kept"


def test_a_rate_limited_type_asks_no_other_type(httpserver: HTTPServer) -> None:
    serve(httpserver, lambda request: Response("slow down", status=429))
    with resolver(config(httpserver)) as r:
        works = list(r.resolve_many(["PMID:20495566", "10.1038/ng.590"]))
    assert len(requests(httpserver)) == 1
    assert all("HTTP 429" in (report(w, "idconv").error or "") for w in works)


@pytest.mark.parametrize(
    "record",
    [
        {"requested-id": "20495566", "pmid": 10**40, "pmcid": "PMC2883744"},
        {"requested-id": "20495566", "pmid": "20495566", "pmcid": ["PMC1"], "doi": 5},
        {"requested-id": 20495566, "pmid": True, "pmcid": 1.5e308, "doi": {"a": 1}},
        {"requested-id": "20495566", "pmcid": "PMC" + "9" * 5000, "doi": "10.1/" + "x" * 5000},
    ],
)
def test_hostile_values_cost_only_themselves(
    httpserver: HTTPServer, record: dict[str, Any]
) -> None:
    """Answers BUILT in test code with values of the wrong type or size."""
    serve(httpserver, lambda request: Response(newer_answer([record])))
    with resolver(config(httpserver)) as r:
        work = r.resolve("PMID:20495566")
    assert report(work, "idconv").status in ("ok", "not_found")
    if report(work, "idconv").status == "ok":
        assert work.ids.pmid == "20495566"
        assert work.ids.pmcid == "PMC2883744" or work.ids.doi
    msgspec.json.encode(work)


def _sample_answers() -> list[Any]:
    older = json.loads(recorded(OLDER))
    built = json.loads(
        newer_answer([newer_record("PMC2883744", ARTICLE), newer_record("PMC1", None)])
    )
    return [older, built]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    answer=mutated_json(_sample_answers()),
    scheme=st.sampled_from(["pmid", "pmcid", "doi"]),
)
def test_mutated_answers_never_break_the_mapping(answer: Any, scheme: str) -> None:
    records = answer_records(answer)
    for record in records or []:
        key, work = record_to_work(record, scheme)
        if work is None:
            continue
        assert key is not None
        assert getattr(work.ids, scheme) == key
        assert work.ids.pmid is None or work.ids.pmid.isdigit()
        assert work.ids.pmcid is None or work.ids.pmcid[3:].isdigit()
        assert work.ids.doi is None or work.ids.doi == work.ids.doi.lower()
        msgspec.json.encode(work)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=mutated_json([*_sample_answers(), json.loads(recorded(MISMATCH))]))
def test_mutated_answers_are_records_or_bad_responses(httpserver: HTTPServer, data: Any) -> None:
    """Mutated recorded (and built) answers through the source: ids or the converter's
    bad response, never a plugin's own exception."""
    httpserver.clear()
    body = json.dumps(data).encode()
    httpserver.expect_request(PATH).respond_with_data(body, content_type="application/json")

    async def ask() -> list[Any]:
        async with resolver(config(httpserver)) as r:
            source = r._sources()["idconv"].instance
            assert source is not None
            batch = [
                Identifier(scheme="pmcid", value="PMC2883744"),
                Identifier(scheme="pmid", value="20495566"),
                Identifier(scheme="doi", value="10.1038/ng.590"),
            ]
            return list((await source.lookup(batch)).values())

    for value in asyncio.run(ask()):
        assert value is None or isinstance(value, (Work, paperfuse.BadResponse)), value
        if isinstance(value, Work):
            paperfuse.encode_json(value)
