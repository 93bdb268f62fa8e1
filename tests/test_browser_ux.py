"""Suggestions as you type, the advanced form and the phone layout in Debian's Chromium.

Same server, browser and screenshot rules as tests/test_browser.py (whose fixtures these are):
`SEARCHAPP_SCREENSHOTS=docs` replaces docs/screenshot-suggest.png, screenshot-advanced.png and
screenshot-phone.png; otherwise they go to a temporary folder.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from .test_browser import _open_page, axe_problems, browser, page, screenshots, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def _options_for(page, typed: str) -> None:
    """Wait until the list shows the answer for what was typed last (an answer for an earlier
    keystroke may arrive first on a busy machine)."""
    page.wait_for_function(
        """typed => { const os = [...document.querySelectorAll('#q-suggestions [role=option]')];
                     return !document.getElementById('q-suggestions').hidden && os.length > 0 &&
                            os.every(o => o.dataset.text.toLowerCase().startsWith(typed)); }""",
        arg=typed)


def _focused_box(page):
    page.goto("/")
    page.wait_for_load_state("load")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'q'")
    return page.locator("#q")


def test_suggestions_with_the_keyboard(page, screenshots):
    box = _focused_box(page)
    listbox = page.locator("#q-suggestions")
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "false"
    assert box.get_attribute("aria-controls") == "q-suggestions" and listbox.get_attribute("role") == "listbox"

    page.keyboard.type("sol", delay=40)
    _options_for(page, "sol")
    options = listbox.get_by_role("option")
    assert box.get_attribute("aria-expanded") == "true"
    texts = [t.split("\n")[0].strip() for t in options.all_inner_texts()]
    assert texts[0] == "soldați" and all(t.lower().startswith("sol") for t in texts)

    page.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "q-suggestion-0"
    assert options.nth(0).get_attribute("aria-selected") == "true"
    page.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "q-suggestion-1"
    page.keyboard.press("ArrowUp")
    assert box.get_attribute("aria-activedescendant") == "q-suggestion-0"
    assert page.evaluate("document.activeElement.id") == "q", "the focus stays in the box"

    page.keyboard.press("Escape")
    assert listbox.is_hidden() and box.get_attribute("aria-expanded") == "false"
    assert box.input_value() == "sol", "Escape closes the list and keeps what was typed"

    page.keyboard.press("ArrowDown")  # opens the list again, on its first option
    assert listbox.is_visible() and box.get_attribute("aria-activedescendant") == "q-suggestion-0"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?q="))
    assert parse_qs(urlsplit(page.url).query)["q"] == ["soldați"]
    assert page.locator(".result").count() >= 1


def test_suggestions_complete_names_and_keep_the_words_before(page, screenshots):
    _focused_box(page)
    page.keyboard.type("vizita kim j", delay=40)
    listbox = page.locator("#q-suggestions")
    _options_for(page, "vizita kim j")
    first = listbox.get_by_role("option").first
    assert first.inner_text().split("\n")[0].strip() == "vizita Kim Jong Un"
    page.keyboard.press("ArrowDown")
    page.screenshot(path=str(screenshots / "screenshot-suggest.png"))
    first.click()  # a pointer works as well as Enter
    page.wait_for_url(re.compile(r"\?q="))
    assert parse_qs(urlsplit(page.url).query)["q"] == ["vizita Kim Jong Un"]


def test_enter_without_choosing_searches_what_was_typed(page):
    _focused_box(page)
    page.keyboard.type("rachete", delay=40)
    _options_for(page, "rachete")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=rachete"))
    assert parse_qs(urlsplit(page.url).query)["q"] == ["rachete"]


def test_without_javascript_the_box_is_the_plain_form(browser, server):
    context, page, problems = _open_page(browser, server, java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page.goto("/")
        box = page.locator("#q")
        for attribute in ("role", "aria-expanded", "aria-controls", "aria-activedescendant"):
            assert box.get_attribute(attribute) is None, attribute
        assert page.locator("#q-suggestions, [role=listbox]").count() == 0
        box.fill("sol")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"q=sol"))
        assert page.locator("#q-suggestions").count() == 0
    finally:
        context.close()
    assert problems == []


def test_advanced_form_builds_an_ordinary_search(page, screenshots):
    page.goto("/cautare-avansata")
    page.fill("#toate", "militar")
    page.fill("#niciunul", "Iași")
    page.fill("#apropiate", "exercițiu militar")
    page.fill("#distanta", "3")
    page.check("#in")
    page.fill("#from", "2022-01-01")
    page.screenshot(path=str(screenshots / "screenshot-advanced.png"), full_page=True)
    page.get_by_role("button", name="Caută").last.click()
    page.wait_for_url(re.compile(r"/\?q="))
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"q": ['militar "exercițiu militar"~3 -Iași'], "in": ["title"], "from": ["2022-01-01"]}
    assert page.locator("#q").input_value() == 'militar "exercițiu militar"~3 -Iași'
    titles = page.locator(".result-title").all_inner_texts()
    assert titles and all("militar" in t.lower() and "Iași" not in t for t in titles)
    assert page.locator(".result-title mark").count() >= len(titles), "the query's words are marked in titles"
    assert "doar în titlu" in " ".join(page.locator(".chip").all_inner_texts())


def test_advanced_form_says_what_is_wrong(page):
    page.goto("/cautare-avansata?niciunul=Kim")
    assert "Cuvintele excluse au nevoie" in page.get_by_role("alert").inner_text()
    assert page.locator("#niciunul").input_value() == "Kim"


def test_phone_layout_filters_first_and_nothing_overflows(browser, server, screenshots):
    context, page, problems = _open_page(browser, server, **PHONE)
    long_query = "soldati https://www.exemplu.ro/stiri/o-adresa-foarte-lunga-lipita-in-caseta-de-cautare-fara-niciun-spatiu"
    try:
        page.goto("/?q=soldati&year=2025")
        page.screenshot(path=str(screenshots / "screenshot-phone.png"))
        page.goto("/?" + "&".join([f"q={long_query}", "year=2025"]))
        summary = page.locator(".filters > summary")
        first_result = page.locator(".result").first
        assert summary.is_visible() and "Filtre (1 activ)" in summary.inner_text()
        assert summary.bounding_box()["y"] < first_result.bounding_box()["y"], "the filters come before the results"
        assert page.locator("#facet-year").is_hidden(), "collapsed until asked for"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways ({width}px)"
        summary.click()
        assert page.locator("#facet-year").is_visible()
        page.locator(".facet-list a", has_text="2024").click()
        page.wait_for_url(re.compile(r"year=2024"))
        article_link = page.locator(".result-title a").first
        article_link.click()
        page.wait_for_url(re.compile(r"/articol/"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.locator(".back a").click()
        page.wait_for_url(re.compile(r"year=2024"))
        assert parse_qs(urlsplit(page.url).query)["q"] == [long_query]
    finally:
        context.close()
    assert problems == []


def test_wide_screen_shows_the_filters_open_beside_the_results(page):
    page.goto("/?q=soldati")
    assert page.locator(".filters > summary").is_hidden()
    assert page.locator("#facet-year").is_visible()
    facets, results = page.locator(".facets").bounding_box(), page.locator(".results").bounding_box()
    assert facets["x"] > results["x"] + results["width"] - 1, "beside, not above"


@pytest.mark.parametrize("url", ["/cautare-avansata", "/cautare-avansata?niciunul=Kim", "/?q=soldati&in=title"])
def test_new_pages_pass_axe_accessibility_checks(page, url):
    page.goto(url)
    assert axe_problems(page) == []


def test_open_suggestions_pass_axe_accessibility_checks(page):
    _focused_box(page)
    page.keyboard.type("sol", delay=40)
    _options_for(page, "sol")
    page.keyboard.press("ArrowDown")
    assert axe_problems(page) == []
