"""The page at ``/``, driven in a real browser: headless Chromium through Playwright.

The browser is Debian's ``chromium`` (``.ci/run`` installs it); Playwright is
pointed at its executable and never downloads one. Where it is missing the
tests are skipped, except under CI, where that is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import httpx
import pytest

from paperfuse.serve import create_app
from paperfuse.testing import ResolverFactory, SourcesPlugin
from tests.serving import HOSTILE, TITLE, Broken, Table, running

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: How this machine's Chromium must start: no sandbox (root), no network of its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(paperfuse_resolver: ResolverFactory) -> Iterator[str]:
    resolver = paperfuse_resolver(SourcesPlugin(Table, Broken))
    with running(create_app(resolver=resolver)) as url:
        yield url


@pytest.fixture
def page(browser: object, site: str) -> Iterator[object]:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])  # type: ignore[attr-defined]
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("dialog", lambda dialog: page.errors.append(f"dialog: {dialog.message}"))
    page.goto(site + "/")
    yield page
    context.close()
    assert page.errors == []


def resolve_in(page: object, text: str) -> None:
    page.fill("#id", text)  # type: ignore[attr-defined]
    page.press("#id", "Enter")  # type: ignore[attr-defined]
    page.wait_for_selector("#outcome")  # type: ignore[attr-defined]


def test_a_person_pastes_a_doi_and_sees_the_record(page: object) -> None:
    resolve_in(page, "  doi:10.1234/found ")
    assert page.text_content("#title") == "A found work"
    assert page.locator(".author").all_text_contents() == ["Ada Lovelace", "Charles Babbage"]
    venue = page.text_content("#venue")
    assert "Journal of Found Things" in venue
    assert "7 (2), 1-9" in venue
    assert "2020" in venue
    doi_link = page.locator("#ids a", has_text="10.1234/found")
    assert doi_link.get_attribute("href") == "https://doi.org/10.1234/found"
    best = page.locator("#best-oa a")
    assert best.get_attribute("href") == "https://repository.example/found.pdf"
    assert page.text_content("#best-oa .oa-status").strip() == "green"
    assert page.text_content(".reason").strip()  # why this copy is the best
    cells = page.locator('#sources tr[data-source="table"] td').all_text_contents()
    assert cells[:2] == ["table", "ok"]


def test_each_format_opens_and_copies(page: object) -> None:
    resolve_in(page, "10.1234/found")
    bibtex = page.locator('details.format[data-format="bibtex"]')
    assert not bibtex.locator("pre").is_visible()
    bibtex.locator("summary").click()
    text = bibtex.locator("pre").text_content()
    assert bibtex.locator("pre").is_visible()
    assert text.startswith("@article{")
    assert "doi = {10.1234/found}" in text
    bibtex.locator("button.copy").click()
    playwright_api.expect(bibtex.locator("button.copy")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == text
    ris = page.locator('details.format[data-format="ris"]')
    ris.locator("summary").click()
    assert "TY  - JOUR" in ris.locator("pre").text_content()
    download = ris.locator("a", has_text="download").get_attribute("href")
    assert download == "resolve?id=10.1234/found&format=ris"


def test_an_ambiguous_title_lists_the_candidates_to_pick(page: object) -> None:
    resolve_in(page, TITLE)
    assert page.text_content("#title") == "Several works match"
    rows = page.locator("#candidates tbody tr")
    assert rows.count() == 2
    rows.first.locator("a").click()
    page.wait_for_selector("#outcome")
    assert "id=10.1234%2Fone" in page.url or "id=10.1234/one" in page.url
    assert page.text_content("#title") == "No source knows this input"


def test_a_failing_source_is_said_on_the_page(page: object) -> None:
    resolve_in(page, "PMID:12345")
    assert page.text_content("#title") == "Every source that could answer failed"
    row = page.locator('#sources tr[data-source="broken"]').text_content()
    assert "error" in row
    assert "down for test" in row


def test_markup_from_input_or_sources_is_shown_as_text_never_run(page: object) -> None:
    resolve_in(page, "10.1234/hostile")
    assert HOSTILE in page.text_content("#title")
    assert page.locator("#outcome img").count() == 0
    assert page.evaluate("window.pwned") is None
    resolve_in(page, HOSTILE)
    assert page.input_value("#id") == HOSTILE
    assert page.evaluate("window.pwned") is None


def test_the_page_allows_only_its_own_style_and_script(site: str) -> None:
    answer = httpx.get(f"{site}/?id=10.1234/found")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "Thank you to arXiv for use of its open access interoperability." in answer.text
    for asset, kind in (("page.css", "text/css"), ("page.js", "text/javascript")):
        served = httpx.get(f"{site}/assets/{asset}")
        assert served.headers["content-type"].startswith(kind)
    assert httpx.get(f"{site}/assets/other.js").status_code == 404
