"""The web pages in a real browser: Playwright driving Debian's Chromium.

The app is served by werkzeug in a background thread over an index of the seeds, the invented
archive fixture (32 articles over 2022-2026, so that "soldați" has several pages) and two
hostile articles. If Chromium cannot start, these tests FAIL (never skip): CI must notice.
Never `playwright install`: the browser is Debian's (`apt-get install chromium`, scripts/test).

Screenshots of the search page and an article page are taken in every run; they replace the
README's (docs/) only when asked, so that a test run leaves the tree as it was:
`SEARCHAPP_SCREENSHOTS=docs bash scripts/test tests/test_browser.py`.
"""

from __future__ import annotations

from contextlib import contextmanager

import os
import re
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.serving import make_server

from searchapp.engines.whoosh import index
from searchapp.web import create_app

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("browser-index")
    index.rebuild(index_dir, [ROOT / "seeds", FIXTURES / "archive.jsonl", FIXTURES / "hostile.jsonl"])
    with served(create_app({"INDEX_DIR": str(index_dir)})) as base:
        yield base


@contextmanager
def served(app):
    """The app on a free loopback port in a thread, for the browser; its base URL."""
    httpd = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    # No importorskip and no skip on a failed launch: a browser that cannot start fails CI.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as exc:  # noqa: BLE001 - any launch failure is a test failure
            pytest.fail(f"Chromium could not start from {CHROMIUM}: {exc}", pytrace=False)
        yield chromium
        chromium.close()


def _open_page(browser, server, **context_options):
    context = browser.new_context(base_url=server, locale="ro-RO", **context_options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    # Anything the page logs as an error (a CSP violation, a failed resource) or any dialog
    # (an injected alert()) is a failure.

    def on_console(msg):
        # An error page's own 4xx status is logged too; that one is expected, nothing else is.
        own_status = msg.text.startswith("Failed to load resource") and msg.location.get("url") == page.url
        if msg.type == "error" and not own_status:
            problems.append(f"console {msg.type}: {msg.text} ({msg.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    return context, page, problems


@pytest.fixture
def page(browser, server):
    context, page, problems = _open_page(browser, server, viewport={"width": 1280, "height": 900})
    yield page
    context.close()
    assert problems == []


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def result_ids(page) -> list[str]:
    return [urlsplit(href).path for href in page.locator(".result-title a").evaluate_all("as => as.map(a => a.href)")]


def result_dates(page) -> list[str | None]:
    return page.locator(".result .result-meta").evaluate_all(
        "ps => ps.map(p => { const t = p.querySelector('time'); return t ? t.getAttribute('datetime') : null; })"
    )


def test_search_typed_without_diacritics_shows_highlighted_results(page):
    page.goto("/")
    # autofocus: the search box gets the focus on load, without a click
    page.wait_for_function("document.activeElement && document.activeElement.id === 'q'", timeout=5_000)
    page.keyboard.type("soldati")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=soldati"))

    assert page.locator(".result").count() == 10
    summary = page.locator(".summary").inner_text()
    assert re.fullmatch(r"\d+ (de )?rezultate, \d+,\d\d s", summary.strip()), summary
    marks = page.locator(".snippet mark")
    assert marks.count() >= 10
    assert marks.first.is_visible()
    # Matched through folding and stemming: soldați, soldaţii, soldaților...
    for word in marks.all_inner_texts():
        assert re.match(r"solda[tțţ]", word, re.IGNORECASE), word


@pytest.fixture
def screenshots(tmp_path) -> Path:
    """Where screenshots go: SEARCHAPP_SCREENSHOTS (relative to the project) or a temporary folder."""
    wanted = os.environ.get("SEARCHAPP_SCREENSHOTS")
    folder = ROOT / wanted if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_choose_a_year_then_a_month_and_undo_each(page, screenshots):
    page.goto("/?q=soldati")
    all_years = page.locator("#facet-year ~ .facet-list a .facet-label").all_inner_texts()
    assert {"2022", "2023", "2024", "2025", "2026", "fără dată"} <= set(all_years)

    page.locator(".facet-list a", has_text="2025").click()
    page.wait_for_url(re.compile(r"year=2025"))
    dates = result_dates(page)
    assert dates and all(d and d.startswith("2025-") for d in dates)
    # The year facet still lists every year; the months of 2025 appear.
    assert page.locator("#facet-year ~ .facet-list a .facet-label").all_inner_texts() == all_years
    months = page.locator("#facet-month ~ .facet-list a")
    assert months.count() >= 2
    page.screenshot(path=str(screenshots / "screenshot-search.png"))

    months.filter(has_text="august").click()
    page.wait_for_url(re.compile(r"month=2025-08"))
    dates = result_dates(page)
    assert dates and all(d.startswith("2025-08-") for d in dates)
    assert [" ".join(t.split()) for t in page.locator(".chip").all_inner_texts()] == ["anul 2025 ×", "august 2025 ×"]

    page.locator(".chip", has_text="august 2025").click()  # one click undoes the month
    page.wait_for_url(lambda url: "month=" not in url)
    assert query_of(page)["year"] == ["2025"]
    page.locator(".chip", has_text="anul 2025").click()  # and one the year
    page.wait_for_url(lambda url: "year=" not in url)
    assert query_of(page)["q"] == ["soldati"]


def test_undated_entry_and_date_range(page):
    page.goto("/?q=soldati")
    page.locator(".facet-list a", has_text="fără dată").click()
    page.wait_for_url(re.compile(r"year=none"))
    assert result_dates(page) and all(d is None for d in result_dates(page))

    page.goto("/?q=soldati")
    page.fill("#from", "2024-01-01")
    page.fill("#to", "2024-12-31")
    page.get_by_role("button", name="Aplică intervalul").click()
    page.wait_for_url(re.compile(r"from=2024-01-01"))
    dates = result_dates(page)
    assert dates and all(d and d.startswith("2024-") for d in dates)
    assert query_of(page)["q"] == ["soldati"]


def test_page_two_of_a_larger_result(page):
    page.goto("/?q=soldati")
    first = result_ids(page)
    page.get_by_role("link", name="Pagina 2", exact=True).click()
    page.wait_for_url(re.compile(r"page=2"))
    second = result_ids(page)
    assert second and not set(first) & set(second)
    assert page.locator("ol.results").get_attribute("start") == "11"
    assert page.locator(".pagination [aria-current=page]").inner_text() == "2"
    page.get_by_role("link", name="‹ Înapoi").click()
    page.wait_for_url(lambda url: "page=" not in url)
    assert result_ids(page) == first


def test_sort_newest_and_oldest(page):
    page.goto("/?q=soldati")
    page.get_by_role("link", name="cele mai noi").click()
    page.wait_for_url(re.compile(r"sort=newest"))
    dates = [d for d in result_dates(page) if d]
    assert dates == sorted(dates, reverse=True)
    page.get_by_role("link", name="cele mai vechi").click()
    page.wait_for_url(re.compile(r"sort=oldest"))
    dates = [d for d in result_dates(page) if d]
    assert dates == sorted(dates)


def test_open_an_article_with_its_matches_marked(page, screenshots):
    page.goto("/?q=soldati%20Kursk")
    title = page.locator(".result-title a").first.inner_text()
    page.locator(".result-title a").first.click()
    page.wait_for_url(re.compile(r"/articol/.+\?q=soldati"))
    assert page.locator("h1").inner_text() == title
    marks = page.locator(".article-text mark")
    assert marks.count() >= 2
    assert marks.first.is_visible()
    assert {m.lower()[:5] for m in marks.all_inner_texts()} >= {"solda", "kursk"}
    assert page.locator(".similar li").count() >= 1
    page.screenshot(path=str(screenshots / "screenshot-article.png"))
    page.get_by_role("link", name=re.compile("Înapoi la rezultatele")).click()
    page.wait_for_url(re.compile(r"/\?q=soldati"))


def test_follow_a_suggestion(page):
    page.goto("/")
    page.fill("#q", "Pheniam")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=Pheniam"))
    # Nothing has the word as typed: the correction's results are shown at once.
    assert page.locator(".suggestion").inner_text().startswith("Se afișează rezultatele pentru „Phenian”")
    assert page.locator(".result").count() >= 3
    assert page.locator(".snippet mark").count() >= 1
    page.get_by_role("link", name="Pheniam").click()  # the way back to the query as typed
    page.wait_for_url(re.compile(r"q=Pheniam.*literal=1"))
    assert page.locator(".result").count() == 0
    suggestion = page.locator(".suggestion a")
    assert page.locator(".suggestion").inner_text().startswith("Ați vrut să scrieți:")
    assert suggestion.inner_text() == "Phenian"
    suggestion.click()
    page.wait_for_url(re.compile(r"q=Phenian"))
    assert page.locator(".result").count() >= 3


def test_hostile_text_is_shown_as_text_and_runs_nothing(page):
    page.goto("/?q=" + "%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(2)%3E")
    assert page.locator("#q").input_value() == '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    assert page.locator("img").count() == 0
    page.goto("/?q=pisici")
    assert page.locator(".result-title a", has_text="<script>").count() == 1
    page.locator(".result-title a", has_text="<script>").click()
    page.wait_for_load_state()
    assert "<script>alert('titlu')</script>" in page.locator("h1").inner_text()
    assert '"><img src=x onerror=alert(1)>' in page.locator(".article-text").inner_text()
    assert page.locator(".article-text img, .article-text b").count() == 0
    assert page.title() != "atacat"
    assert page.locator("a[href^='javascript:']").count() == 0
    # the page fixture fails the test if any dialog opened or the CSP reported anything


def test_keyboard_skip_link_and_focus(page):
    # The article page has no autofocus, so the first Tab reaches the skip link.
    page.goto("/articol/001_1cc27a957bb943bb?q=soldati")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Sari la conținut"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # after skipping, the next stop is inside the main content, not the header
    assert page.evaluate("document.activeElement.closest('main') !== null")
    # on the search page, Enter in the focused box searches, Tab reaches the button
    page.goto("/")
    # Keys typed before the load event can be dropped by Chromium (seen in CI: "achete").
    page.wait_for_load_state("load")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'q'")
    page.keyboard.type("rachete", delay=20)
    assert page.input_value("#q") == "rachete"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Caută"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=rachete"))
    assert page.locator(".result").count() >= 1


def test_works_without_javascript_on_a_phone(browser, server):
    context, page, problems = _open_page(
        browser, server, java_script_enabled=False, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    try:
        page.goto("/")
        page.fill("#q", "rachete")
        page.get_by_role("button", name="Caută").click()
        page.wait_for_url(re.compile(r"q=rachete"))
        assert page.locator(".result").count() >= 1
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    finally:
        context.close()
    assert problems == []


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_problems(page) -> list[tuple]:
    """axe-core's violations on the page as it is now: rule, help, the first three elements."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]]


@pytest.mark.parametrize("url", [
    "/", "/?q=soldati&year=2025&month=2025-08", "/?q=soldati&page=2", "/?q=xylofonistului", "/?q=Pheniam",
    "/articol/001_1cc27a957bb943bb?q=soldati", "/articol/nu-exista", "/?page=0",
])
def test_pages_pass_axe_accessibility_checks(page, url):
    """axe-core (the engine of Lighthouse's accessibility audit): contrast, labels, landmarks,
    headings, link names. It runs through Playwright's evaluate, outside the page's CSP."""
    page.goto(url)
    assert axe_problems(page) == []
