"""The timeline of a search's matches: the geometry of a bar chart, as plain data.

`timeline_of()` makes a bar of each year (or each month of the chosen year) from the facet links
`pages.py` built, so that a bar links where its facet entry does; `build_timeline()` places the
bars in an SVG viewBox, and `templates/_timeline.html` only writes the numbers out. The chart scales with the page width (a viewBox, `width: 100%` in the stylesheet);
its sizes are chosen so that the text stays readable at a phone's 20rem.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .config import setting

WIDTH = 360
HEIGHT = 140
TOP = 18  # room for the counts above the bars
BOTTOM = 20  # room for the axis labels
SIDE = 4
MAX_STEP = 48  # a bar and its gap, at most: two years are two bars, not two halves
FONT = 11  # user units: 11px on a 360px phone, 15px at the chart's widest (32rem)
CHAR = 0.6 * FONT  # a digit's width, about, for deciding whether a label fits


@dataclass(frozen=True)
class Slot:
    """One bar as the page means it."""

    label: str  # on the axis: "2013", "ian"
    name: str  # in words: "2013", "ianuarie 2013"
    count: int
    url: str | None  # the filter it links to; None when there is nothing to filter to
    selected: bool = False


@dataclass(frozen=True)
class Bar:
    slot: Slot
    description: str  # "2013: 5.123 de articole", the link's accessible name
    x: float
    y: float
    width: float
    height: float
    center: float
    count_y: float
    count_text: str | None  # shown above the bar when it fits
    axis_label: str | None  # shown under the bar when it fits (every k-th when crowded)


@dataclass(frozen=True)
class Timeline:
    title: str
    description: str
    bars: list[Bar]
    width: int
    height: int
    baseline: float
    axis_y: float
    top_y: float
    top_text: str | None  # the value at the top of the scale, when the bars are too narrow for their counts
    undated: object | None  # pages.FacetLink of the undated articles, shown beside the chart
    back_url: str | None  # from months back to every year
    undated_text: str = ""  # the undated count, formatted


def timeline_of(year: str | None, years: list, months: list, undated, month_names: Sequence[str],
                format_int: Callable[[int], str]) -> Timeline | None:
    """The chart of a search's matches: per year, or per month of `year` when one is chosen.
    `years`, `months` and `undated` are the page's facet links (value, count, url, selected);
    None when no match has a date."""
    if year is not None:
        links = {link.value: link for link in months}
        slots = []
        for number, name in enumerate(month_names, start=1):
            link = links.get(f"{year}-{number:02d}")
            slots.append(Slot(name[:3], f"{name} {year}", link.count if link else 0,
                              link.url if link else None, bool(link and link.selected)))
        back = next((link.url for link in years if link.selected), None)
        title = f"Articole găsite pe luni în {year}"
    else:
        links = {link.value: link for link in years}
        slots = [Slot(y, y, links[y].count if y in links else 0, links[y].url if y in links else None,
                      y in links and links[y].selected) for y in _year_span(list(links))]
        back, title = None, "Articole găsite pe ani"
    if not any(slot.count for slot in slots):
        return None
    return build_timeline(title, slots, undated, back, format_int)


def _year_span(years: list[str]) -> list[str]:
    """Every year from the first to the last, so that gaps show as gaps; only the years with
    matches when a stray date would stretch the axis past `timeline_max_years`."""
    if not years:
        return []
    first, last = int(min(years)), int(max(years))
    if last - first + 1 > setting("timeline_max_years"):
        return sorted(years)
    return [str(y) for y in range(first, last + 1)]


def build_timeline(title: str, slots: list[Slot], undated, back_url: str | None,
                   format_int: Callable[[int], str]) -> Timeline:
    peak = max(slot.count for slot in slots)
    plot = HEIGHT - TOP - BOTTOM
    step = min(MAX_STEP, (WIDTH - 2 * SIDE) / len(slots))
    left = (WIDTH - step * len(slots)) / 2  # a few bars stand in the middle
    gap = min(step * 0.2, 6.0)
    widest_label = max(len(slot.label) for slot in slots) * CHAR + 4
    every = max(1, -(-int(widest_label) // max(1, int(step))))  # label every k-th bar
    bars = []
    for i, slot in enumerate(slots):
        height = plot * slot.count / peak if slot.count else 0.0
        if slot.count and height < 2:
            height = 2.0  # a small count stays visible (its exact figure is in the text)
        count = format_int(slot.count)
        x = left + i * step + gap / 2
        bars.append(Bar(
            slot=slot,
            description=f"{slot.name}: {_articles(slot.count, format_int)}",
            x=round(x, 2),
            y=round(TOP + plot - height, 2),
            width=round(step - gap, 2),
            height=round(height, 2),
            center=round(x + (step - gap) / 2, 2),
            count_y=round(TOP + plot - height - 5, 2),
            count_text=count if slot.count and len(count) * CHAR <= step + 1 else None,
            axis_label=slot.label if (len(slots) - 1 - i) % every == 0 else None,  # the latest always
        ))
    busiest = [slot.name for slot in slots if slot.count == peak]
    most = (f"{busiest[0]} ({_articles(peak, format_int)})" if len(busiest) == 1 else
            f"{', '.join(busiest[:-1])} și {busiest[-1]} (câte {_articles(peak, format_int)})")
    description = f"{len(slots)} bare, de la {slots[0].name} la {slots[-1].name}; cele mai multe în {most}"
    if undated is not None and undated.count:
        description += f"; {_articles(undated.count, format_int)} fără dată"
    return Timeline(
        title=title,
        description=description + ".",
        bars=bars,
        width=WIDTH,
        height=HEIGHT,
        baseline=TOP + plot,
        axis_y=HEIGHT - 7,
        top_y=TOP,
        top_text=None if all(bar.count_text for bar in bars if bar.slot.count) else format_int(peak),
        undated=undated,
        back_url=back_url,
        undated_text=format_int(undated.count) if undated is not None else "",
    )


def _articles(count: int, format_int: Callable[[int], str]) -> str:
    if count == 1:
        return "1 articol"
    de = " de" if count and (count % 100 == 0 or count % 100 >= 20) else ""
    return f"{format_int(count)}{de} articole"
