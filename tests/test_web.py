"""The landing-page source against local servers: a page URL resolves to its DOI and the
full record, and fetching is safe (private addresses, robots.txt, redirects, HTML only,
a size cap, politeness per host, no cookies or credentials).

The fake upstream (paperfuse.testing) runs on 127.0.0.1, so most tests set the
source option ``allow_private_addresses``; the tests of the guard leave it off.
Pages come from tests/fixtures/web/ (BUILT, see PROVENANCE.md there); Crossref's
answer is the recorded body in tests/fixtures/crossref/. Small pages, redirects and
faults are built in test code, and say so.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
from pathlib import Path
from typing import Any

import pytest

import paperfuse
import paperfuse_crossref
import paperfuse_web
from paperfuse import Identifier, Ids, OALocation, Work, rank_oa
from paperfuse.testing import (
    CLI,
    FakeUpstream,
    Isolation,
    ResolverFactory,
    SourcesPlugin,
    fake_source,
    report,
)

FIXTURES = Path(__file__).parent / "fixtures" / "web"
CROSSREF = Path(__file__).parent / "fixtures" / "crossref" / "skgif_10.1038_nature12373.json"
NATURE = FIXTURES / "nature_highwire.html"
DOI = "10.1038/nature12373"
EMAIL = "librarian@example.org"
#: A page built here: the least a page needs to be read (a title).
SMALL_PAGE = b'<html><head><meta name="citation_title" content="A small page"></head></html>'


def web_settings(**options: Any) -> dict[str, Any]:
    """The web source asking pages where they are (no gateway URL), with ``options``."""
    return {"url": None, "options": {"host_interval": 0, **options}}


def resolver(
    factory: ResolverFactory, upstream: FakeUpstream, *plugins: object, **options: Any
) -> paperfuse.Resolver:
    named: dict[str, object] = {"web": paperfuse_web}
    named.update({getattr(p, "__name__", "fakes"): p for p in plugins})
    urls = {"crossref": upstream.url} if paperfuse_crossref in plugins else {}
    return factory(named, urls=urls, email=EMAIL, settings={"web": web_settings(**options)})


def allowed(factory: ResolverFactory, upstream: FakeUpstream, *plugins: object, **options: Any):
    return resolver(factory, upstream, *plugins, allow_private_addresses=True, **options)


def error_of(work: Work) -> str:
    found = report(work, "web")
    assert found.status == "error", (found.status, found.error)
    assert "plugin error" not in (found.error or "")
    return found.error or ""


# -- a landing page resolves to its work ----------------------------------------------------------


def test_a_landing_page_resolves_to_its_doi_and_crossrefs_full_record(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    up = paperfuse_upstream
    up.answer("/articles/nature12373", file=NATURE)
    up.answer(f"/works/{DOI}", file=CROSSREF)
    page = f"{up.url}/articles/nature12373"
    with allowed(paperfuse_resolver, up, paperfuse_crossref) as r:
        work = r.resolve(page)
    assert work.status == "resolved", work.error
    assert report(work, "web").status == "ok"
    assert report(work, "crossref").status == "ok"
    assert work.ids.doi == DOI
    assert page in work.ids.urls
    assert work.provenance["title"].source == "crossref"
    assert work.title == "Nanometre-scale thermometry in a living cell"
    assert len(work.authors) == 8
    assert (work.volume, work.issue) == ("500", "7460")
    # The page's citation_pdf_url is a candidate no other source confirms: no OA location.
    assert not any("web" in (loc.source or "") for loc in work.oa_locations)
    assert work.extra["web"]["pdf_url"] == "https://www.nature.com/articles/nature12373.pdf"
    assert [a.path for a in up.asked] == ["/robots.txt", "/articles/nature12373", f"/works/{DOI}"]


def test_a_candidate_pdf_confirmed_by_another_source_is_one_location(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    """An in-memory source (built here) reports the page's PDF as a free copy."""
    pdf = "https://www.nature.com/articles/nature12373.pdf"
    confirmed = OALocation(
        url=pdf, host_type="publisher", version="publishedVersion", source="oaindex"
    )
    index = fake_source(
        "oaindex",
        ["doi"],
        records={("doi", DOI): Work(ids=Ids(doi=DOI), oa_locations=(confirmed,))},
    )
    paperfuse_upstream.answer("/articles/nature12373", file=NATURE)
    with allowed(paperfuse_resolver, paperfuse_upstream, SourcesPlugin(index)) as r:
        work = r.resolve(f"{paperfuse_upstream.url}/articles/nature12373")
    (location,) = work.oa_locations
    assert location.url == pdf
    assert set((location.source or "").split(",")) == {"oaindex", "web"}
    assert location.url_for_landing_page == "https://www.nature.com/articles/nature12373"
    assert location.candidate is None
    assert work.is_oa is True


def test_a_candidate_alone_is_dropped_and_a_matching_location_gains_its_links() -> None:
    work = Work(ids=Ids(doi=DOI))
    pdf, landing = "https://journal.example.org/a.pdf", "https://journal.example.org/a"
    candidate = OALocation(
        url=pdf, url_for_pdf=pdf, url_for_landing_page=landing, source="web", candidate=True
    )
    assert rank_oa(work, [candidate]).oa_locations == ()
    assert rank_oa(work, [candidate]).oa_status == "closed"
    other = OALocation(url=landing, host_type="publisher", source="unpaywall")
    (pooled,) = rank_oa(work, [candidate, other]).oa_locations
    assert (pooled.url, pooled.url_for_pdf, pooled.source) == (landing, pdf, "unpaywall,web")


def test_a_page_stating_an_open_licence_is_an_oa_location(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    paperfuse_upstream.answer("/index.php/jop/article/view/57", file=FIXTURES / "ojs_article.html")
    with allowed(paperfuse_resolver, paperfuse_upstream) as r:
        work = r.resolve(f"{paperfuse_upstream.url}/index.php/jop/article/view/57")
    assert work.status == "resolved"
    assert work.best_oa_location is not None
    assert work.best_oa_location.license == "http://creativecommons.org/licenses/by/4.0/"
    assert work.oa_status == "green"  # no DOI: the page is not known to be the publisher's


def test_a_url_that_names_an_identifier_is_left_to_its_sources(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    with allowed(paperfuse_resolver, paperfuse_upstream) as r:
        work = r.resolve("https://onlinelibrary.wiley.com/doi/10.1002/anie.201915678")
    assert report(work, "web").status in ("not_found", "skipped")
    assert paperfuse_upstream.asked == []


def test_a_page_without_metadata_is_an_error_that_says_so(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    paperfuse_upstream.answer("/home", "<html><head><title>Home</title></head></html>",
                              content_type="text/html")  # fmt: skip
    with allowed(paperfuse_resolver, paperfuse_upstream) as r:
        work = r.resolve(f"{paperfuse_upstream.url}/home")
    assert "no scholarly metadata" in error_of(work)


# -- private addresses -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("[::1]", "loopback"),
        ("[::ffff:127.0.0.1]", "IPv4 127.0.0.1 in an IPv6 form"),
        ("0177.0.0.1", "unusual form"),
        ("0x7f.0.0.1", "unusual form"),
        ("169.254.169.254", "cloud metadata"),
        ("10.0.0.8", "private network"),
        ("[fd00::1]", "private network"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_a_private_address_is_refused_with_its_reason(
    host: str,
    reason: str,
    paperfuse_upstream: FakeUpstream,
    paperfuse_resolver: ResolverFactory,
) -> None:
    port = paperfuse_upstream.url.rsplit(":", 1)[1]
    with resolver(paperfuse_resolver, paperfuse_upstream) as r:
        work = r.resolve(f"http://{host}:{port}/articles/nature12373")
    message = error_of(work)
    assert message.startswith("refused:"), message
    assert reason in message
    if "unusual" not in reason:
        assert "allow_private_addresses = true" in message
    assert paperfuse_upstream.asked == []


def test_a_name_that_resolves_to_a_private_address_is_refused(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    port = paperfuse_upstream.url.rsplit(":", 1)[1]
    with resolver(paperfuse_resolver, paperfuse_upstream) as r:
        work = r.resolve(f"http://localhost:{port}/articles/nature12373")
    message = error_of(work)
    assert "localhost resolves to" in message, message
    assert "loopback" in message
    assert paperfuse_upstream.asked == []


def test_a_decimal_ip_address_is_no_usable_url(paperfuse_resolver: ResolverFactory) -> None:
    with paperfuse_resolver({"web": paperfuse_web}, settings={"web": web_settings()}) as r:
        work = r.resolve("http://2130706433/articles/x")
    assert work.status == "invalid"
    assert "bad host" in (work.error or "")


@pytest.mark.parametrize(
    "target",
    ["http://localhost:{port}/secret", "http://[::1]:{port}/secret", "http://2130706433:{port}/"],
)
def test_a_redirect_to_a_private_address_is_refused(
    target: str, paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    """Through a gateway the configuration names (allowed, though on 127.0.0.1), a redirect
    (built here) to this machine under another name is refused after it resolves."""
    up = paperfuse_upstream
    port = up.url.rsplit(":", 1)[1]
    up.answer(
        "/https://journal.example.org/a", status=302, headers={"Location": target.format(port=port)}
    )
    up.answer("/secret", SMALL_PAGE, content_type="text/html")
    with paperfuse_resolver({"web": paperfuse_web}, urls={"web": up.url}) as r:
        work = r.resolve("https://journal.example.org/a")
    message = error_of(work)
    assert message.startswith("refused:"), message
    assert [a.path for a in up.asked] == ["/https://journal.example.org/a"]


def test_the_option_allows_private_addresses(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    paperfuse_upstream.answer("/a", SMALL_PAGE, content_type="text/html")
    port = paperfuse_upstream.url.rsplit(":", 1)[1]
    with allowed(paperfuse_resolver, paperfuse_upstream) as r:
        works = list(r.resolve_many([f"http://127.0.0.1:{port}/a", f"http://localhost:{port}/a"]))
    assert [report(w, "web").status for w in works] == ["ok", "ok"]


def test_refusal_knows_every_kind_of_non_public_address() -> None:
    refused = [
        "127.0.0.2", "::1", "0.0.0.0", "::", "10.1.2.3", "172.16.0.1", "192.168.1.1",
        "169.254.169.254", "169.254.1.1", "fe80::1", "fd00::1", "fc00::1", "224.0.0.251",
        "ff02::1", "240.0.0.1", "100.64.0.1", "192.0.2.1", "::ffff:10.0.0.1",
        "::ffff:169.254.169.254", "2002:7f00:1::", "64:ff9b::a00:1", "::127.0.0.1",
    ]  # fmt: skip
    for text in refused:
        assert paperfuse_web.refusal(ipaddress.ip_address(text)), text
    for text in ("93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "8.8.8.8"):
        assert paperfuse_web.refusal(ipaddress.ip_address(text)) is None, text


# -- robots.txt, redirects, HTML only, size ----------------------------------------------------


def test_robots_txt_disallow_is_honoured(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    up = paperfuse_upstream
    up.answer("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    up.answer("/private/a", SMALL_PAGE, content_type="text/html")
    up.answer("/public/a", SMALL_PAGE, content_type="text/html")
    with allowed(paperfuse_resolver, up) as r:
        denied, fine = r.resolve_many([f"{up.url}/private/a", f"{up.url}/public/a"])
    assert "robots.txt of 127.0.0.1 does not allow paperfuse to fetch /private/a" in error_of(
        denied
    )
    assert report(fine, "web").status == "ok"
    assert sorted(a.path for a in up.asked) == ["/public/a", "/robots.txt"]  # read once


def test_robots_txt_rules_for_paperfuse_by_name(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    up = paperfuse_upstream
    robots = "User-agent: paperfuse\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    up.answer("/robots.txt", robots, content_type="text/plain")
    with allowed(paperfuse_resolver, up) as r:
        work = r.resolve(f"{up.url}/a")
    assert "does not allow paperfuse" in error_of(work)


def test_a_robots_txt_that_cannot_be_read_allows_nothing(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    paperfuse_upstream.server_error(status=503, path="/robots.txt")
    with allowed(paperfuse_resolver, paperfuse_upstream) as r:
        work = r.resolve(f"{paperfuse_upstream.url}/a")
    assert "robots.txt of" in error_of(work)
    assert "nothing is fetched there" in error_of(work)
    assert [a.path for a in paperfuse_upstream.asked] == ["/robots.txt"]


def redirects(up: FakeUpstream, count: int) -> None:
    """A chain of ``count`` redirects (built here) from /r0 to the small page."""
    for hop in range(count):
        target = f"/r{hop + 1}" if hop + 1 < count else "/end"
        up.answer(f"/r{hop}", status=302, headers={"Location": target})
    up.answer("/end", SMALL_PAGE, content_type="text/html")


def test_five_redirects_are_followed_and_a_sixth_is_not(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    redirects(paperfuse_upstream, 5)
    with allowed(paperfuse_resolver, paperfuse_upstream) as r:
        assert report(r.resolve(f"{paperfuse_upstream.url}/r0"), "web").status == "ok"
    paperfuse_upstream.clear()
    redirects(paperfuse_upstream, 6)
    with allowed(paperfuse_resolver, paperfuse_upstream) as r:
        work = r.resolve(f"{paperfuse_upstream.url}/r0?again")
    assert "more than 5 redirects" in error_of(work)
    assert not any(a.path == "/end" for a in paperfuse_upstream.asked)


def test_only_html_is_read(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    paperfuse_upstream.answer("/paper.pdf", b"%PDF-1.5\n" + b"0" * 100_000,
                              content_type="application/pdf")  # fmt: skip
    paperfuse_upstream.answer("/page.xhtml", SMALL_PAGE, content_type="application/xhtml+xml")
    with allowed(paperfuse_resolver, paperfuse_upstream) as r:
        pdf, xhtml = r.resolve_many(
            [f"{paperfuse_upstream.url}/paper.pdf", f"{paperfuse_upstream.url}/page.xhtml"]
        )
    assert "not an HTML page (Content-Type: application/pdf)" in error_of(pdf)
    assert report(xhtml, "web").status == "ok"


def test_a_page_over_the_size_cap_is_refused(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    big = SMALL_PAGE.replace(b"</head>", b"</head><body>" + b"x" * 20_000 + b"</body>")
    paperfuse_upstream.answer("/big", big, content_type="text/html")
    paperfuse_upstream.answer("/small", SMALL_PAGE, content_type="text/html")
    with allowed(paperfuse_resolver, paperfuse_upstream, max_page_bytes=4096) as r:
        big_work, small = r.resolve_many(
            [f"{paperfuse_upstream.url}/big", f"{paperfuse_upstream.url}/small"]
        )
    assert "larger than 4096 bytes" in error_of(big_work)
    assert report(small, "web").status == "ok"


# -- politeness, cookies, credentials --------------------------------------------------------------


def test_requests_to_one_host_are_spaced_by_the_host_interval(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    up = paperfuse_upstream
    for name in ("a", "b", "c"):
        up.answer(f"/{name}", SMALL_PAGE, content_type="text/html")
    with allowed(paperfuse_resolver, up, host_interval=0.3) as r:
        works = list(r.resolve_many([f"{up.url}/a", f"{up.url}/b", f"{up.url}/c"]))
    assert all(report(w, "web").status == "ok" for w in works)
    assert len(up.asked) == 4  # robots.txt once, then each page
    stamps = [a.at for a in up.asked]
    gaps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    assert min(gaps) >= 0.27, gaps


def test_no_cookie_and_no_contact_email_is_ever_sent(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    up = paperfuse_upstream
    up.answer("/a", SMALL_PAGE, content_type="text/html", headers={"Set-Cookie": "session=s3cr3t"})
    up.answer("/b", SMALL_PAGE, content_type="text/html")
    with allowed(paperfuse_resolver, up) as r:
        list(r.resolve_many([f"{up.url}/a", f"{up.url}/b"]))
    assert len(up.asked) == 3
    for asked in up.asked:
        headers = {k.lower(): v for k, v in asked.headers.items()}
        assert "cookie" not in headers
        assert "authorization" not in headers
        assert EMAIL not in headers.get("user-agent", "")
        assert headers.get("user-agent", "").startswith("paperfuse/")


def test_a_url_with_a_user_name_and_password_is_refused_and_not_shown(
    paperfuse_upstream: FakeUpstream, paperfuse_resolver: ResolverFactory
) -> None:
    host = paperfuse_upstream.url.removeprefix("http://")
    with allowed(paperfuse_resolver, paperfuse_upstream) as r:
        work = r.resolve(f"http://reader:hunter2@{host}/a")
    message = error_of(work)
    assert "user name or password" in message
    assert "hunter2" not in message
    assert paperfuse_upstream.asked == []


def test_the_guard_connects_to_the_address_it_checked() -> None:
    """The backend resolves a name once and connects to that very address."""
    backend = paperfuse_web._guard.GuardedBackend(allow_private=True)
    checked: list[str] = []

    async def connect(target: str, port: int, **kwargs: Any) -> Any:
        checked.append(target)
        raise paperfuse_web._guard.httpcore.ConnectError("stopped here")

    backend._inner.connect_tcp = connect  # type: ignore[method-assign]
    with pytest.raises(Exception, match="stopped here"):
        asyncio.run(backend.connect_tcp("localhost", 80))
    assert checked
    assert all(ipaddress.ip_address(t).is_loopback for t in checked)


def test_identifiers_are_answered_in_batches_of_one() -> None:
    assert paperfuse_web.WebSource.batch_size == 1
    assert paperfuse_web.WebSource.schemes == ("url",)
    assert Identifier(scheme="url", value="https://example.org/").scheme == "url"


def test_a_host_that_cannot_be_reached_is_said_so_not_blamed_on_robots_txt(
    paperfuse_resolver: ResolverFactory,
) -> None:
    with paperfuse_resolver(
        {"web": paperfuse_web}, settings={"web": web_settings(allow_private_addresses=True)}
    ) as r:
        work = r.resolve("http://127.0.0.1:9/articles/a")
    message = error_of(work)
    assert message.startswith("cannot reach 127.0.0.1: connection refused"), message
    assert "/articles/a" in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.5, 0.5), (0, 0.0), (2, 2.0), (-1, 1.0), ("fast", 1.0), (True, 1.0), (float("nan"), 1.0),
     (10**18, 1.0)],
)  # fmt: skip
def test_the_host_interval_option_is_read_or_falls_back_to_one_second(
    value: object, expected: float
) -> None:
    context = paperfuse.SourceContext(
        name="web",
        config=paperfuse.Config(),
        settings=paperfuse.SourceSettings(options={"host_interval": value}),
        base_url=None,
        politeness=paperfuse_web.WebSource.politeness,
    )
    assert paperfuse_web.WebSource(context).host_interval == expected


def test_the_command_line_reads_the_option_from_the_configuration_file(
    paperfuse_upstream: FakeUpstream, paperfuse_isolated: Isolation, paperfuse_cli: CLI
) -> None:
    """``[sources.web.options] allow_private_addresses`` in the file, as docs/sources.md says."""
    paperfuse_upstream.answer("/articles/nature12373", file=NATURE)
    paperfuse_isolated.use_plugins({"web": paperfuse_web})
    page = f"{paperfuse_upstream.url}/articles/nature12373"
    no_gateway = {"PAPERFUSE_WEB_URL": None}
    refused = paperfuse_cli("resolve", "-q", page, env=no_gateway)
    (work,) = refused.works()
    assert "allow_private_addresses = true" in (report(work, "web").error or "")
    paperfuse_isolated.configure(
        {"sources": {"web": {"options": {"allow_private_addresses": True, "host_interval": 0}}}}
    )
    ran = paperfuse_cli("resolve", "-q", page, env=no_gateway)
    (work,) = ran.works()
    assert report(work, "web").status == "ok", ran.stderr
    assert work.ids.doi == DOI
