"""The archive experience in Debian's Chromium (issue 20): timeline links, sources, the feed link,
the timeline on a phone. The browser and page helpers are test_browser.py's (Chromium must start:
these tests fail, never skip, when it cannot)."""

from __future__ import annotations

import re

import feedparser
import pytest

from searchapp.engines.whoosh import index
from searchapp.web import create_app

from .archive_fixtures import SOURCES
from .test_browser import _open_page, axe_problems, browser, page, query_of, result_dates, served  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

BAR = "svg.timeline-chart a.timeline-bar"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("browser-archive-index")
    index.rebuild(index_dir, SOURCES)
    with served(create_app({"INDEX_DIR": str(index_dir)})) as base:
        yield base


def test_timeline_bars_lead_to_a_year_then_a_month_and_back(page):
    page.goto("/?q=soldati")
    years = page.locator(BAR)
    facet = page.request.get("/api/search?q=soldati").json()["facets"]["year"]
    expected = [f"{f['value']}: {f['count']} articol{'e' if f['count'] != 1 else ''}" for f in reversed(facet)]
    assert len(expected) == 5 and all(f["count"] < 20 for f in facet)
    assert years.evaluate_all("as => as.map(a => a.getAttribute('aria-label'))") == expected
    page.locator(f'{BAR}[aria-label^="2025:"]').click()
    page.wait_for_url(re.compile(r"year=2025"))
    assert page.locator(".timeline-title").inner_text() == "Articole găsite pe luni în 2025"
    assert page.locator("svg.timeline-chart .timeline-label").count() == 12
    # Keyboard: the month bars are links in the tab order; Enter follows one.
    month = page.locator(f'{BAR}[aria-label^="august 2025:"]')
    month.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"month=2025-08"))
    dates = result_dates(page)
    assert dates and all(d.startswith("2025-08-") for d in dates)
    assert page.locator(f'{BAR}[aria-current="true"]').get_attribute("aria-label").startswith("august 2025:")
    page.get_by_role("link", name="toți anii").click()
    page.wait_for_url(lambda url: "year=" not in url and "month=" not in url)
    assert query_of(page)["q"] == ["soldati"]
    assert page.locator(BAR).count() == 5


def test_the_undated_link_beside_the_chart(page):
    page.goto("/?q=pod")
    page.get_by_role("link", name="fără dată: 1").click()
    page.wait_for_url(re.compile(r"year=none"))
    assert result_dates(page) == [None]


def test_sources_toggle_and_show_on_hits(page):
    page.goto("/?q=pod")
    page.locator("#facet-source ~ .facet-list a", has_text="ziarul-b.ro").click()
    page.wait_for_url(re.compile(r"source=ziarul-b.ro"))
    assert set(page.locator(".result-meta .source").all_inner_texts()) == {"ziarul-b.ro"}
    page.locator("#facet-source ~ .facet-list a", has_text="agenția c").click()  # any of them
    page.wait_for_url(re.compile(r"source=agen"))
    assert set(page.locator(".result-meta .source").all_inner_texts()) == {"ziarul-b.ro", "agenția c"}
    assert page.locator(".chip", has_text="sursa ziarul-b.ro").count() == 1
    page.locator(".chip", has_text="sursa ziarul-b.ro").click()
    page.wait_for_url(lambda url: "ziarul-b.ro" not in url)
    assert query_of(page)["source"] == ["agenția c"]


def test_the_feed_is_linked_and_valid(page):
    page.goto("/?q=pod&source=ziarul-a.ro")
    alternate = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    visible = page.get_by_role("link", name="Abonare (Atom)")
    assert visible.is_visible()
    href = visible.get_attribute("href")
    assert alternate.get_attribute("href") == href
    response = page.request.get(href)
    assert response.ok and response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.body())
    assert feed.bozo == 0 and [e.author for e in feed.entries] == ["ziarul-a.ro"] * 3


def test_the_timeline_on_a_phone(browser, server):
    context, page, problems = _open_page(browser, server, java_script_enabled=False,
                                         viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        page.goto("/?q=soldati&year=2025")
        chart = page.locator("svg.timeline-chart").bounding_box()
        assert 0 <= chart["x"] and chart["x"] + chart["width"] <= 375
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        # Text big enough to read, labels apart, bars wide enough to tap.
        sizes = page.locator("svg.timeline-chart text").evaluate_all(
            "ts => ts.map(t => t.getBoundingClientRect().height)")
        assert min(sizes) >= 9, sizes
        boxes = page.locator("svg.timeline-chart .timeline-label").evaluate_all(
            "ts => ts.map(t => { const r = t.getBoundingClientRect(); return [r.left, r.right]; })")
        assert all(left_right[1] <= next_box[0] for left_right, next_box in zip(boxes, boxes[1:])), boxes
        targets = page.locator("svg.timeline-chart .timeline-hit").evaluate_all(
            "rs => rs.map(r => { const b = r.getBoundingClientRect(); return [b.width, b.height]; })")
        assert targets and all(w >= 20 and h >= 70 for w, h in targets), targets
        page.locator(f'{BAR}[aria-label^="august 2025:"]').click()
        page.wait_for_url(re.compile(r"month=2025-08"))
    finally:
        context.close()
    assert problems == []


@pytest.mark.parametrize("url", ["/?q=soldati", "/?q=pod&year=2025&source=agen%C8%9Bia+c", "/?q=pod&year=none"])
def test_timeline_and_sources_pass_axe(page, url):
    page.goto(url)
    assert axe_problems(page) == []
