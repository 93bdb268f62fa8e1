"""The timeline of the matches (issue 20, item 2): its geometry as data, and the SVG the page draws."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from searchapp.messages import MONTHS, format_int
from searchapp.timeline import HEIGHT, WIDTH, Slot, build_timeline, timeline_of

from .archive_fixtures import app, client, engine_config, on_engine, sources_index  # noqa: F401 - fixtures

SVG = "{http://www.w3.org/2000/svg}"


def slots(*counts: int) -> list[Slot]:
    return [Slot(str(2000 + i), str(2000 + i), n, f"/?year={2000 + i}" if n else None) for i, n in enumerate(counts)]


def test_bars_are_proportional_and_stay_inside_the_view_box():
    timeline = build_timeline("t", slots(10, 0, 5, 1), None, None, format_int)
    heights = [bar.height for bar in timeline.bars]
    assert heights[0] == timeline.baseline - timeline.top_y  # the peak fills the plot
    assert heights[1] == 0 and heights[2] == heights[0] / 2
    assert heights[3] >= 2  # a small count stays visible
    for bar in timeline.bars:
        assert 0 <= bar.x and bar.x + bar.width <= WIDTH
        assert 0 <= bar.y and bar.y + bar.height <= timeline.baseline <= HEIGHT
    xs = [bar.x for bar in timeline.bars]
    assert xs == sorted(xs)


def test_counts_and_labels_are_text_where_they_fit():
    few = build_timeline("t", slots(1234, 5), None, None, format_int)
    assert [bar.count_text for bar in few.bars] == ["1.234", "5"]
    assert few.top_text is None  # every bar says its count
    assert [bar.description for bar in few.bars] == ["2000: 1.234 de articole", "2001: 5 articole"]
    crowded = build_timeline("t", slots(*range(1000, 1040)), None, None, format_int)
    assert all(bar.count_text is None for bar in crowded.bars)
    assert crowded.top_text == "1.039"  # the scale says the peak instead
    labels = [bar.axis_label for bar in crowded.bars]
    assert labels[-1] == "2039" and 3 <= sum(1 for label in labels if label) < 40


def test_the_description_says_what_the_chart_shows():
    class Undated:
        count, url, selected = 7, "/?year=none", False

    timeline = build_timeline("Articole găsite pe ani", slots(3, 20), Undated(), None, format_int)
    assert timeline.description == ("2 bare, de la 2000 la 2001; cele mai multe în 2001 (20 de articole); "
                                    "7 articole fără dată.")
    assert timeline.undated_text == "7"


def chart(html: str) -> ET.Element:
    svg = re.search(r"<svg class=\"timeline-chart\".*?</svg>", html, re.S).group(0)
    return ET.fromstring(svg.replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))


def bar_links(svg: ET.Element) -> dict[str, str]:
    return {a.get("aria-label"): a.get("href") for a in svg.iter(f"{SVG}a")}


def test_the_page_draws_years_each_bar_a_link_to_its_year(client):
    html = client.get("/?q=pod").get_data(as_text=True)
    svg = chart(html)
    assert svg.find(f"{SVG}title").text == "Articole găsite pe ani"
    assert svg.find(f"{SVG}desc").text == ("3 bare, de la 2023 la 2025; cele mai multe în 2024 și 2025 "
                                           "(câte 3 articole); 1 articol fără dată.")
    assert bar_links(svg) == {"2023: 1 articol": "/?q=pod&year=2023", "2024: 3 articole": "/?q=pod&year=2024",
                              "2025: 3 articole": "/?q=pod&year=2025"}
    # Each link has its title (a tooltip), and the counts are text in the chart.
    assert all(a.find(f"{SVG}title") is not None for a in svg.iter(f"{SVG}a"))
    assert sorted(t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "timeline-count") == ["1", "3", "3"]
    assert '<a href="/?q=pod&amp;year=none">fără dată: 1</a>' in html


def test_years_without_matches_show_as_gaps(client):
    svg = chart(client.get("/?q=soldati").get_data(as_text=True))
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class", "").startswith("timeline-label")]
    assert labels == ["2022", "2023", "2024", "2025", "2026"]


def test_a_chosen_year_draws_its_twelve_months(client):
    html = client.get("/?q=pod&year=2025&month=2025-11").get_data(as_text=True)
    svg = chart(html)
    assert svg.find(f"{SVG}title").text == "Articole găsite pe luni în 2025"
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class", "").startswith("timeline-label")]
    assert labels == ["ian", "feb", "mar", "apr", "mai", "iun", "iul", "aug", "sep", "oct", "noi", "dec"]
    links = bar_links(svg)
    assert links == {"ianuarie 2025: 1 articol": "/?q=pod&year=2025&month=2025-01",
                     "noiembrie 2025: 2 articole": "/?q=pod&year=2025"}  # the chosen month toggles off
    selected = [a for a in svg.iter(f"{SVG}a") if a.get("aria-current") == "true"]
    assert [a.get("aria-label") for a in selected] == ["noiembrie 2025: 2 articole"]
    assert '<a href="/?q=pod">toți anii</a>' in html


def test_choosing_the_undated_keeps_the_years_and_marks_it(client):
    html = client.get("/?q=pod&year=none").get_data(as_text=True)
    assert len(bar_links(chart(html))) == 3
    assert '<a href="/?q=pod" class="selected" aria-current="true">fără dată: 1</a>' in html


def test_no_timeline_without_dated_matches(client):
    assert "timeline-chart" not in client.get("/?q=xylofonistului").get_data(as_text=True)
    only_undated = client.get("/api/search?q=expozi%C8%9Bie+fotografii").get_json()
    assert only_undated["total"] == 1 and only_undated["facets"]["undated"] == 1
    assert "timeline-chart" not in client.get("/?q=expozi%C8%9Bie+fotografii").get_data(as_text=True)


def test_the_chart_keeps_the_strict_csp(client):
    response = client.get("/?q=pod")
    html = response.get_data(as_text=True)
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    # The pages' one script is the same-origin suggestions (static/suggest.js); none inline.
    scripts = re.findall(r"<script[^>]*>", html)
    assert not re.search(r"\sstyle=", html) and "<style" not in html
    assert scripts == ['<script src="/static/suggest.js" defer>']


def test_a_stray_date_does_not_squeeze_the_axis():
    from types import SimpleNamespace

    def links(*years):
        return [SimpleNamespace(value=y, count=1, url=f"/?year={y}", selected=False) for y in years]

    near = timeline_of(None, links("2019", "2022"), [], None, MONTHS, format_int)
    assert [bar.slot.label for bar in near.bars] == ["2019", "2020", "2021", "2022"]
    stray = timeline_of(None, links("1901", "2019", "2022"), [], None, MONTHS, format_int)
    assert [bar.slot.label for bar in stray.bars] == ["1901", "2019", "2022"]
