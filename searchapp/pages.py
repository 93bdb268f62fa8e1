"""View models for the HTML pages: plain data with ready-made URLs and selection state.

The templates only render what is here (datasette's facets habit: every facet value carries its
label, count, toggle URL and whether it is selected). Every URL is built from the validated
`SearchParams`, never from the raw query string, so a link can only carry clean state.

The only HTML that reaches a page unescaped is what the search layer built for that purpose
(snippets and the article's marked text: text escaped, `<mark>` around matches); it is wrapped
in `Markup` here, in one place, and nowhere else. Everything else is autoescaped by Jinja.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from markupsafe import Markup, escape

from .config import setting
from .messages import (  # noqa: F401 (count_phrase, format_seconds: pages' names for them too)
    MONTHS, count_phrase, format_date, format_int, format_month, format_seconds, format_short_date, notice_sentences,
)
from .params import DEFAULT_PER_PAGE, UNDATED, SearchParams
from .results import Article, Hit, SearchResult
from .romanian import replace_word
from .timeline import Timeline, timeline_of

SORT_LABELS = {"relevance": "relevanță", "newest": "cele mai noi", "oldest": "cele mai vechi"}


# --- URLs -------------------------------------------------------------------------------------


def state_args(params: SearchParams) -> dict[str, str | list[str]]:
    """The search state as URL parameters, in the contract's names, defaults left out
    (`source` is a list: the parameter repeats)."""
    args = {
        "q": params.q,
        "year": params.year,
        "month": params.month,
        "from": params.date_from,
        "to": params.date_to,
        "sort": params.sort if params.sort != "relevance" else None,
        "per_page": str(params.per_page) if params.per_page != DEFAULT_PER_PAGE else None,
        "page": str(params.page) if params.page != 1 else None,
        "literal": "1" if params.literal else None,
        "source": list(params.sources),
        "in": params.in_field,
        "synonyms": "false" if not params.synonyms else None,
    }
    return {key: value for key, value in args.items() if value}


def search_url(base: str, params: SearchParams, **changes) -> str:
    """A link to the search page with `changes` applied; any change but a page starts at page 1."""
    changes.setdefault("page", 1)
    args = state_args(replace(params, **changes))
    return base + ("?" + urlencode(args, doseq=True) if args else "")


def feed_url(base: str, params: SearchParams) -> str:
    """The Atom feed of this search: its query and filters (the feed has its own order and size)."""
    args = state_args(replace(params, page=1, per_page=DEFAULT_PER_PAGE, sort="relevance"))
    return base + ("?" + urlencode(args, doseq=True) if args else "")


def export_url(base: str, params: SearchParams, format: str) -> str:
    """The export of every match of this search, in its order."""
    args = state_args(replace(params, page=1, per_page=DEFAULT_PER_PAGE))
    return base + "?" + urlencode({"format": format, **args}, doseq=True)


def article_link(hit_url: str, state: str | SearchParams) -> str:
    """The article page, carrying the search (`q` marks its matches there; the rest, filters
    and page included, lets its back link return to the same results)."""
    args = state_args(state) if isinstance(state, SearchParams) else {"q": state} if state else {}
    return hit_url + ("?" + urlencode(args) if args else "")


def safe_external_url(url: str | None) -> str | None:
    """Only http(s) links to the original article: a `javascript:` URL is never a link."""
    if url and re.match(r"https?://[^\s<>\"']+$", url, re.IGNORECASE):
        return url
    return None


# --- the search page --------------------------------------------------------------------------


@dataclass
class FacetLink:
    value: str
    label: str
    count: int
    url: str  # toggles: adds the selection, or removes it when selected
    selected: bool

    @property
    def action(self) -> str:
        return f"Elimină filtrul {self.label}" if self.selected else f"Filtrează: {self.label}"


@dataclass
class Chip:
    """A selection in force, with the link that removes it."""

    label: str
    remove_url: str


@dataclass
class SortLink:
    label: str
    url: str
    selected: bool


@dataclass
class PageLink:
    number: int | None  # None: a gap (…)
    url: str | None
    current: bool = False


@dataclass
class Pagination:
    previous_url: str | None
    next_url: str | None
    links: list[PageLink]


@dataclass
class HitView:
    title: str
    url: str
    date: str | None
    date_label: str
    snippet: Markup
    source: str | None = None
    title_html: Markup = Markup("")


@dataclass
class SearchPage:
    params: SearchParams
    result: SearchResult
    hits: list[HitView]
    summary: str
    years: list[FacetLink]
    undated: FacetLink | None
    months: list[FacetLink]
    months_heading: str | None
    chips: list[Chip]
    clear_url: str | None
    sorts: list[SortLink]
    pagination: Pagination | None
    suggestion_url: str | None
    literal_url: str | None  # when the hits are the corrected query's: the query as typed
    other_readings: list[OtherReadingLink]
    first_page_url: str | None  # set when the page asked for lies past the last one
    hidden_for_dates: dict[str, str] = field(default_factory=dict)
    hidden_for_query: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    sources: list[FacetLink] = field(default_factory=list)
    hidden_sources: list[str] = field(default_factory=list)  # `source` inputs of the date form
    timeline: Timeline | None = None
    feed_url: str | None = None
    export_urls: dict[str, str] = field(default_factory=dict)  # format -> URL
    without_synonyms_url: str | None = None  # when synonyms were searched too: the words only

    @property
    def has_query(self) -> bool:
        return bool(self.params.q)

    @property
    def literal_summary(self) -> str:
        return count_phrase(self.result.total_as_typed or 0)

    @property
    def first_number(self) -> int:
        return (self.params.page - 1) * self.params.per_page + 1


@dataclass
class OtherReadingLink:
    word: str  # as typed
    other: str  # the other word the articles write the same way once folded
    url: str


def build_search_page(params: SearchParams, result: SearchResult, base: str, feed_base: str | None = None,
                      export_base: str | None = None) -> SearchPage:
    total_pages = min(result.pages, setting("max_page"))
    page = SearchPage(
        params=params,
        result=result,
        hits=[_hit_view(hit, replace(params, q=result.suggestion) if result.autocorrected else params)
              for hit in result.hits],
        summary=f"{count_phrase(result.total)}, {format_seconds(result.took_ms)}",
        years=_year_links(params, result, base),
        undated=_undated_link(params, result, base),
        months=_month_links(params, result, base),
        months_heading=_selected_year(params) if _selected_year(params) not in (None, UNDATED) else None,
        chips=(chips := _chips(params, base)),
        clear_url=search_url(base, params, year=None, month=None, date_from=None, date_to=None, sources=(),
                             in_field=None) if len(chips) > 1 else None,
        sorts=_sort_links(params, base),
        pagination=_pagination(params, total_pages, base) if total_pages > 1 and result.hits else None,
        suggestion_url=search_url(base, params, q=result.suggestion, literal=False) if result.suggestion else None,
        literal_url=search_url(base, params, literal=True) if result.autocorrected else None,
        without_synonyms_url=search_url(base, params, synonyms=False) if result.expanded else None,
        other_readings=[OtherReadingLink(r.word, r.other, search_url(base, params, q=replace_word(params.q, r.word, r.other)))
                        for r in result.other_readings],
        first_page_url=search_url(base, params) if result.total and not result.hits else None,
        hidden_for_dates={k: v for k, v in state_args(params).items() if k in ("q", "year", "month", "sort", "per_page", "in")},
        hidden_for_query={k: v for k, v in state_args(params).items() if k in ("sort", "per_page", "in")},
        notices=notice_sentences(result),
        sources=_source_links(params, result, base),
        hidden_sources=list(params.sources),
        feed_url=feed_url(feed_base, params) if feed_base else None,
        export_urls={f: export_url(export_base, params, f) for f in ("csv", "jsonl")} if export_base else {},
    )
    chosen = _selected_year(params)
    page.timeline = timeline_of(chosen if chosen != UNDATED else None, page.years, page.months, page.undated,
                                MONTHS, format_int)
    return page


def _hit_view(hit: Hit, params: SearchParams) -> HitView:
    return HitView(
        title=hit.title,
        url=article_link(hit.url, params),
        date=hit.date,
        date_label=format_date(hit.date),
        snippet=Markup(hit.snippet),  # trusted: built by the search layer, text escaped
        source=hit.source,
        # trusted, as the snippet; else escaped as the search layer escapes (quotes kept)
        title_html=Markup(hit.title_html or html.escape(hit.title, quote=False)),
    )


def _selected_year(params: SearchParams) -> str | None:
    return params.year or (params.month[:4] if params.month else None)


def _year_links(params: SearchParams, result: SearchResult, base: str) -> list[FacetLink]:
    chosen = _selected_year(params)
    links = []
    for facet in result.facets.year:
        selected = facet.value == chosen
        url = (search_url(base, params, year=None, month=None) if selected
               else search_url(base, params, year=facet.value, month=None))
        links.append(FacetLink(facet.value, facet.value, facet.count, url, selected))
    return links


def _undated_link(params: SearchParams, result: SearchResult, base: str) -> FacetLink | None:
    selected = params.year == UNDATED
    if not result.facets.undated and not selected:
        return None
    url = (search_url(base, params, year=None, month=None) if selected
           else search_url(base, params, year=UNDATED, month=None))
    return FacetLink(UNDATED, format_date(None), result.facets.undated, url, selected)


def _month_links(params: SearchParams, result: SearchResult, base: str) -> list[FacetLink]:
    chosen = _selected_year(params)
    if chosen in (None, UNDATED):
        return []  # months are shown once a year is chosen
    links = []
    for facet in sorted(result.facets.month, key=lambda f: f.value):
        if not facet.value.startswith(chosen):
            continue
        selected = facet.value == params.month
        url = (search_url(base, params, month=None, year=chosen) if selected
               else search_url(base, params, month=facet.value, year=chosen))
        links.append(FacetLink(facet.value, format_month(facet.value, with_year=False), facet.count, url, selected))
    return links


def _source_links(params: SearchParams, result: SearchResult, base: str) -> list[FacetLink]:
    """Each source toggles in or out of `source=` (any of the chosen ones matches); a chosen
    source the query no longer finds still shows, with 0, so that it can be removed."""
    counts = {facet.value: facet.count for facet in result.facets.source}
    names = [facet.value for facet in result.facets.source] + [s for s in params.sources if s not in counts]
    links = []
    for name in names:
        selected = name in params.sources
        chosen = tuple(s for s in params.sources if s != name) if selected else (*params.sources, name)
        links.append(FacetLink(name, name, counts.get(name, 0), search_url(base, params, sources=chosen), selected))
    return links


def _chips(params: SearchParams, base: str) -> list[Chip]:
    chips = []
    if params.year == UNDATED:
        chips.append(Chip(format_date(None), search_url(base, params, year=None, month=None)))
    elif params.year:
        chips.append(Chip(f"anul {params.year}", search_url(base, params, year=None, month=None)))
    if params.month:
        chips.append(Chip(format_month(params.month), search_url(base, params, month=None)))
    if params.date_from:
        chips.append(Chip(f"de la {format_short_date(params.date_from)}", search_url(base, params, date_from=None)))
    if params.date_to:
        chips.append(Chip(f"până la {format_short_date(params.date_to)}", search_url(base, params, date_to=None)))
    for name in params.sources:
        chips.append(Chip(f"sursa {name}", search_url(base, params, sources=tuple(s for s in params.sources if s != name))))
    if params.in_field == "title":
        chips.append(Chip("doar în titlu", search_url(base, params, in_field=None)))
    return chips


def _sort_links(params: SearchParams, base: str) -> list[SortLink]:
    # Without a query there is no relevance: everything is listed newest first.
    current = "newest" if not params.q and params.sort == "relevance" else params.sort
    names = SORT_LABELS if params.q else {k: v for k, v in SORT_LABELS.items() if k != "relevance"}
    return [SortLink(label, search_url(base, params, sort=name), name == current) for name, label in names.items()]


def _pagination(params: SearchParams, total_pages: int, base: str) -> Pagination:
    page = params.page
    wanted = {1, total_pages, *range(max(1, page - 2), min(total_pages, page + 2) + 1)}
    links: list[PageLink] = []
    previous = 0
    for number in sorted(wanted):
        if number - previous > 1:
            links.append(PageLink(None, None))
        links.append(PageLink(number, search_url(base, params, page=number), number == page))
        previous = number
    return Pagination(
        previous_url=search_url(base, params, page=page - 1) if 1 < page <= total_pages else None,
        next_url=search_url(base, params, page=page + 1) if page < total_pages else None,
        links=links,
    )


# --- the article page -------------------------------------------------------------------------


@dataclass
class SimilarView:
    title: str
    url: str
    date: str | None
    date_label: str


@dataclass
class ArticlePage:
    article: Article
    q: str
    date_label: str
    paragraphs: list[Markup]
    marked: bool
    back_url: str
    external_url: str | None
    similar: list[SimilarView]


def build_article_page(article: Article, q: str, base: str, params: SearchParams | None = None) -> ArticlePage:
    """The article page; `params`, the search it was opened from, makes its back link."""
    if article.marked_text:
        # trusted: the search layer escaped the text and added only <mark> around whole words
        lines = [Markup(line) for line in article.marked_text.split("\n")]
    else:
        lines = [escape(line) for line in article.text.split("\n")]
    return ArticlePage(
        article=article,
        q=q,
        date_label=format_date(article.date),
        paragraphs=[line for line in lines if line.strip()],
        marked=bool(article.marked_text),
        back_url=(search_url(base, params, page=params.page) if params and state_args(params)
                  else search_url(base, SearchParams(q=q)) if q else base),
        external_url=safe_external_url(article.link),
        similar=[SimilarView(s.title, s.url, s.date, format_date(s.date)) for s in article.similar],
    )
