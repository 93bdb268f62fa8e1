"""The one search function that the web pages, the JSON API and the CLI all call.

`parse_params()` validates raw parameters (strings from a URL or the command line),
`Archive.search()` runs a query and returns plain data (`SearchResult`); rendering it as HTML,
JSON or terminal text is the caller's job.
"""

from __future__ import annotations

import html
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

from whoosh import qparser, query as wq
from whoosh.collectors import TimeLimit, TimeLimitCollector
from whoosh.highlight import ContextFragmenter, Highlighter, HtmlFormatter, WholeFragmenter, highlight
from whoosh.qparser import plugins
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.sorting import Count, FieldFacet, MultiFacet

from . import analysis
from .config import setting
from .errors import BadParameter, IndexUnreadable, NotFound, QueryTooLong, SearchappError
from .index import UNDATED, current_generation, open_index
from .sources import valid_date

SORTS = ("relevance", "newest", "oldest")
FACETS = {"year": FieldFacet("year"), "month": FieldFacet("month")}
SEARCH_FIELDS = ("title", "body", "exact")
FIELD_BOOSTS = {"title": 2.0, "body": 1.0, "exact": 1.0}
# The contract: where a query carries diacritics, articles that match them exactly rank above
# those that match only once folded. A constant far above any BM25F score makes that a tier.
EXACT_TIER_SCORE = 1000.0
# Rank by how many words match when requiring all of them finds nothing (Elasticsearch's
# minimum_should_match idea): Whoosh's OrGroup.factory scales scores by the share matched.
RELAXED_GROUP = qparser.OrGroup.factory(0.9)


# --- parameters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    page: int = 1
    per_page: int = 10
    year: str | None = None  # "YYYY" or "none"
    month: str | None = None  # "YYYY-MM"
    date_from: str | None = None  # "YYYY-MM-DD", inclusive
    date_to: str | None = None
    sort: str = "relevance"


def parse_params(args: Mapping[str, object]) -> SearchParams:
    """Validate raw parameters as the contract names them (`q`, `page`, `from`, ...)."""
    q = _text(args.get("q"))
    if len(q) > setting("max_query_chars"):
        raise QueryTooLong("q", f"the query has {len(q)} characters; the limit is {setting('max_query_chars')}")
    year = _optional(args.get("year"))
    if year is not None and year != UNDATED and not re.fullmatch(r"[0-9]{4}", year):
        raise BadParameter("year", f"{year!r} is not a year; use YYYY, or 'none' for undated articles")
    month = _optional(args.get("month"))
    if month is not None and not _valid_month(month):
        raise BadParameter("month", f"{month!r} is not a month; use YYYY-MM, e.g. 2025-08")
    date_from, date_to = _date(args, "from"), _date(args, "to")
    if date_from and date_to and date_from > date_to:
        raise BadParameter("from", f"{date_from} is after to={date_to}")
    sort = _optional(args.get("sort")) or "relevance"
    if sort not in SORTS:
        raise BadParameter("sort", f"{sort!r} is not a sort order; use one of {', '.join(SORTS)}")
    return SearchParams(
        q=q,
        page=_int(args, "page", 1, 1, setting("max_page")),
        per_page=_int(args, "per_page", 10, 1, setting("max_per_page")),
        year=year,
        month=month,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
    )


def _text(value: object) -> str:
    text = "" if value is None else str(value)
    # Control characters (NUL included) are never part of a word; they separate.
    return re.sub(r"[\x00-\x1f\x7f]", " ", text).strip()


def _optional(value: object) -> str | None:
    text = _text(value)
    return text or None


def _int(args: Mapping[str, object], name: str, default: int, low: int, high: int) -> int:
    raw = _optional(args.get(name))
    if raw is None:
        return default
    if not re.fullmatch(r"[+]?[0-9]{1,9}", raw):
        raise BadParameter(name, f"{raw!r} is not a whole number from {low} to {high}")
    value = int(raw)
    if not low <= value <= high:
        raise BadParameter(name, f"{value} is out of range; use a number from {low} to {high}")
    return value


def _valid_month(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", value))


def _date(args: Mapping[str, object], name: str) -> str | None:
    raw = _optional(args.get(name))
    if raw is not None and not valid_date(raw):
        raise BadParameter(name, f"{raw!r} is not a date that exists; use YYYY-MM-DD")
    return raw


# --- results ----------------------------------------------------------------------------------


@dataclass
class Hit:
    id: str
    title: str
    date: str | None
    score: float | None
    snippet: str
    url: str


@dataclass
class FacetValue:
    value: str
    count: int


@dataclass
class Facets:
    year: list[FacetValue] = field(default_factory=list)
    month: list[FacetValue] = field(default_factory=list)
    undated: int = 0


@dataclass
class SearchResult:
    query: str
    total: int
    page: int
    per_page: int
    took_ms: float
    hits: list[Hit]
    facets: Facets
    suggestion: str | None = None
    # Additions to the contract's shape:
    relaxed: bool = False  # no article had every word; ranked by how many words match
    partial: bool = False  # the time limit cut the search short
    notices: list[str] = field(default_factory=list)
    params: SearchParams | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("params")
        return data


@dataclass
class Article:
    id: str
    title: str
    date: str | None
    text: str
    url: str
    source: str | None
    link: str | None = None  # the original article on the web, when known
    marked_text: str | None = None  # the text as HTML with the query's matches marked
    similar: list[Hit] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "date": self.date, "text": self.text,
                "url": self.link or self.url, "source": self.source}


def article_url(article_id: str) -> str:
    return "/articol/" + quote(article_id, safe="")


# --- query building ---------------------------------------------------------------------------


class MarkFormatter(HtmlFormatter):
    """`<mark>word</mark>`, with the text around it HTML-escaped (by HtmlFormatter)."""

    template = "<%(tag)s>%(t)s</%(tag)s>"

    def __init__(self, between: str = " … "):
        super().__init__(tagname="mark", between=between)


def make_parser(schema, group=qparser.AndGroup) -> qparser.QueryParser:
    parser = qparser.MultifieldParser(list(SEARCH_FIELDS), schema, fieldboosts=FIELD_BOOSTS, group=group)
    # Users type words, not field names, ranges or boosts: `foo:bar` and `x^2` are words.
    for plugin in (plugins.FieldsPlugin, plugins.RangePlugin, plugins.BoostPlugin, plugins.SingleQuotePlugin):
        parser.remove_plugin_class(plugin)
    return parser


_MINUS = re.compile(r"(^|[\s(])[-–](?=[^\s\-–])")
_WORDISH = re.compile(r"\S+")


def normalize_query(text: str) -> tuple[str, list[str]]:
    """Make a raw query safe to parse: `-word` as NOT, bounded length, depth and word count."""
    notices = []
    text = _MINUS.sub(r"\1NOT ", text.replace("\u00ad", ""))
    if _paren_depth(text) > setting("max_query_depth"):
        text = text.replace("(", " ").replace(")", " ")
        notices.append("parantezele prea adânci au fost ignorate")
    parts = _WORDISH.findall(text)
    if len(parts) > setting("max_query_terms"):
        text = " ".join(parts[: setting("max_query_terms")])
        notices.append(f"s-au căutat doar primele {setting('max_query_terms')} cuvinte")
    return text, notices


_OPERATORS = re.compile(r'["()]|\b(AND|OR|NOT)\b')


def _is_plain_words(text: str) -> bool:
    """Words only, no operators: the kind of query that may be relaxed to "most words match"."""
    return not _OPERATORS.search(text)


def _paren_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth = max(0, depth - 1)
    return deepest


def _keep_exact_only_for_diacritics(node: wq.Query) -> wq.Query:
    """The `exact` field only boosts words typed with diacritics; anything else there is noise
    (or, for phrases and prefixes, unsupported: the field has no positions)."""
    if getattr(node, "fieldname", None) != "exact":
        return node
    if isinstance(node, wq.Term) and not str(node.text).isascii():
        return wq.ConstantScoreQuery(node, score=EXACT_TIER_SCORE)
    return wq.NullQuery


def _bounded_prefixes(node: wq.Query, reader) -> wq.Query:
    """Expand `word*` to at most `max_prefix_terms` index terms, most frequent first."""
    if not isinstance(node, (wq.Prefix, wq.Wildcard)):
        return node
    prefix = re.split(r"[*?]", node.text, maxsplit=1)[0]
    if len(prefix) < setting("min_prefix_chars"):
        return wq.Term(node.fieldname, prefix) if prefix else wq.NullQuery
    terms = list(reader.expand_prefix(node.fieldname, prefix))
    if len(terms) > setting("max_prefix_terms"):
        terms.sort(key=lambda t: -reader.doc_frequency(node.fieldname, t))
        terms = terms[: setting("max_prefix_terms")]
    return wq.Or([wq.Term(node.fieldname, t) for t in terms], boost=node.boost) if terms else wq.NullQuery


def _date_filter(params: SearchParams, with_facet_selection: bool) -> wq.Query | None:
    clauses = []
    if params.date_from or params.date_to:
        clauses.append(wq.TermRange("date", params.date_from or "0000-00-00", params.date_to or "9999-99-99"))
    if with_facet_selection:
        if params.year:
            clauses.append(wq.Term("year", params.year))
        if params.month:
            clauses.append(wq.Term("month", params.month))
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else wq.And(clauses)


def _filtered(query: wq.Query, date_filter: wq.Query | None) -> wq.Query:
    # Not wq.Require: its matcher's skip_to_quality can leave both sides on one document and
    # trips an assertion in IntersectionMatcher._find_next (e.g. `soldati` with year=2025 once
    # there are more hits than one page). And() with the filter scoring 0 finds the same set.
    return query if date_filter is None else wq.And([query, wq.ConstantScoreQuery(date_filter, score=0.0)])


def _sort_facet(sort: str):
    if sort == "relevance":
        return None
    # Undated articles go last in both date orders.
    return MultiFacet([FieldFacet("dated", reverse=True), FieldFacet("date", reverse=(sort == "newest"))])


# --- the archive ------------------------------------------------------------------------------


class Archive:
    """A searchable index folder. Keeps one searcher open and swaps it, between two requests,
    for a new one when `reindex` or `update` has committed a new index."""

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._generation: Path | None = None
        self._parsers: dict[str, qparser.QueryParser] = {}

    # -- searcher lifecycle

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        try:
            yield self._current_searcher()
        except Exception as exc:
            # Damaged files show up as low-level errors of many types (EOFError, UnpicklingError,
            # struct.error, IndexError, even a bare Exception) raised inside Whoosh while it opens
            # segments or reads postings (tests/test_faults.py corrupts files to find them).
            if isinstance(exc, SearchappError) or not _raised_reading_index_files(exc):
                raise
            self._searcher = None
            raise IndexUnreadable(
                f"the index in {self.index_dir}/ cannot be read ({type(exc).__name__}); "
                "run `searchapp reindex` to rebuild it"
            ) from exc

    def _current_searcher(self) -> Searcher:
        with self._lock:
            generation = current_generation(self.index_dir)
            if self._searcher is None or generation != self._generation:
                self._open(generation)
            elif not self._searcher.up_to_date():
                # Not Searcher.refresh(): it reuses the old segment readers by segment id, so
                # articles that `update` deleted from an existing segment would still be found.
                self._open(generation)
            return self._searcher

    def _open(self, generation: Path | None) -> None:
        ix = open_index(self.index_dir)
        self._searcher = ix.searcher(weighting=BM25F(B=0.75, K1=1.2))
        self._generation = generation
        self._parsers = {
            "and": make_parser(ix.schema),
            "or": make_parser(ix.schema, group=RELAXED_GROUP),
        }

    def check(self) -> int:
        """Raise if the index cannot be searched; else the number of articles."""
        with self.searcher() as searcher:
            searcher.search(wq.Every(), limit=1)
            return searcher.doc_count()

    # -- search

    def search(self, params: SearchParams) -> SearchResult:
        started = time.perf_counter()
        with self.searcher() as searcher:
            result = _Search(self, searcher, params).run()
        result.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return result

    def parse(self, text: str, relaxed: bool = False) -> wq.Query:
        parser = self._parsers["or" if relaxed else "and"]
        try:
            parsed = parser.parse(text)
        except Exception:
            # Whoosh's parser fails on some operator soup (`NOT NOT x` is an IndexError, found
            # by tests/test_fuzz.py): search the words alone.
            parsed = parser.parse(_OPERATORS.sub(" ", text))
        return parsed.accept(_keep_exact_only_for_diacritics).normalize()

    # -- articles

    def article(self, article_id: str, q: str = "") -> Article:
        """One article, with the query's matches marked and similar articles listed."""
        with self.searcher() as searcher:
            docnum = searcher.document_number(id=article_id)
            if docnum is None:
                raise NotFound(f"no article with id {article_id!r}")
            stored = searcher.stored_fields(docnum)
            article = Article(
                id=stored["id"],
                title=stored["title"],
                date=stored.get("date") or None,
                text=stored["body"],
                url=article_url(stored["id"]),
                source=stored.get("source"),
                link=stored.get("url"),
            )
            if q.strip():
                article.marked_text = self._mark_whole_text(searcher, docnum, article.text, q)
            article.similar = self._similar(searcher, docnum, article.text)
            return article

    def _mark_whole_text(self, searcher: Searcher, docnum: int, text: str, q: str) -> str | None:
        normalized, _ = normalize_query(_text(q)[: setting("max_query_chars")])
        terms = {t for f, t in self.parse(normalized, relaxed=True).iter_all_terms() if f == "body"}
        if not terms:
            return None
        highlighter = Highlighter(fragmenter=WholeFragmenter(charlimit=None), formatter=MarkFormatter())
        fragments = highlighter_fragments(searcher, highlighter, text, terms)
        return fragments or None

    def _similar(self, searcher: Searcher, docnum: int, text: str) -> list[Hit]:
        results = searcher.more_like(docnum, "body", text=text, top=setting("similar_articles"))
        return [
            Hit(id=h["id"], title=h["title"], date=h.get("date") or None, score=round(h.score, 3),
                snippet="", url=article_url(h["id"]))
            for h in results
        ]


_WHOOSH = f"{os.sep}whoosh{os.sep}"
_WHOOSH_FILE_READERS = tuple(_WHOOSH + name for name in ("filedb", "codec", "util", "index.py", "reading.py", "columns.py"))


def _raised_reading_index_files(exc: BaseException) -> bool:
    """True when the innermost Whoosh frame of the error is code that reads index files (not,
    say, the query parser): the mark of a damaged index, not of a bad query or a bug."""
    innermost, tb = None, exc.__traceback__
    while tb is not None:
        if _WHOOSH in tb.tb_frame.f_code.co_filename:
            innermost = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return innermost is not None and any(name in innermost for name in _WHOOSH_FILE_READERS)


def highlighter_fragments(searcher: Searcher, highlighter: Highlighter, text: str, terms: set) -> str:
    """Highlight `terms` (index terms of the body field) in `text`, re-analysing it."""
    words = frozenset(t.decode("utf-8") if isinstance(t, bytes) else t for t in terms)
    analyzer = searcher.schema["body"].analyzer
    return highlight(text, words, analyzer, highlighter.fragmenter, highlighter.formatter, top=1000000)


class _Search:
    """One run of a search: parse, collect hits and facets, build snippets and a suggestion."""

    def __init__(self, archive: Archive, searcher: Searcher, params: SearchParams):
        self.archive = archive
        self.searcher = searcher
        self.params = params
        self.notices: list[str] = []
        self.partial = False

    def run(self) -> SearchResult:
        params = self.params
        text, self.notices = normalize_query(params.q)
        relaxed = False
        query = self._query(text, relaxed=False)
        hits_results = self._collect(query, with_facet_selection=True)
        if hits_results.estimated_length() == 0 and _is_plain_words(text) and self._has_several_words(query):
            relaxed_query = self._query(text, relaxed=True)
            relaxed_results = self._collect(relaxed_query, with_facet_selection=True)
            if relaxed_results.estimated_length():
                query, hits_results, relaxed = relaxed_query, relaxed_results, True
        facets = self._facets(query, hits_results)
        start = (params.page - 1) * params.per_page
        page_hits = hits_results[start: start + params.per_page]
        hits = [self._hit(h) for h in page_hits]
        return SearchResult(
            query=params.q,
            total=len(hits_results),
            page=params.page,
            per_page=params.per_page,
            took_ms=0.0,
            hits=hits,
            facets=facets,
            suggestion=self._suggestion(),
            relaxed=relaxed,
            partial=self.partial,
            notices=self.notices,
            params=params,
        )

    def _query(self, text: str, relaxed: bool) -> wq.Query:
        if not text.strip() or text.strip() == "*":
            return wq.Every()
        parsed = self.archive.parse(text, relaxed=relaxed)
        bounded = parsed.accept(lambda node: _bounded_prefixes(node, self.searcher.reader())).normalize()
        return bounded

    @staticmethod
    def _has_several_words(query: wq.Query) -> bool:
        return isinstance(query, wq.And) and len(query.subqueries) > 1

    def _collect(self, query: wq.Query, with_facet_selection: bool):
        params = self.params
        sortedby = _sort_facet("newest" if isinstance(query, wq.Every) and params.sort == "relevance" else params.sort)
        collector = self.searcher.collector(
            limit=params.page * params.per_page,
            sortedby=sortedby,
            groupedby=None if self._facets_need_own_pass() else FACETS,
            maptype=Count,
        )
        # Filters go into the query (Require scores only its first part), not into the
        # collector: Whoosh's TimeLimitCollector bypasses a wrapped FilterCollector's checks.
        timed = TimeLimitCollector(collector, timelimit=setting("search_time_limit"), use_alarm=False)
        try:
            self.searcher.search_with_collector(_filtered(query, _date_filter(params, with_facet_selection)), timed)
        except TimeLimit:
            self.partial = True
            self.notices.append("căutarea a depășit timpul permis; rezultatele sunt parțiale")
        return timed.results()

    def _facets_need_own_pass(self) -> bool:
        # The year facet counts every year even when one is selected, so a selection needs a
        # second, unfiltered collection; without one the hits' collection counts them too.
        return bool(self.params.year or self.params.month)

    def _facets(self, query: wq.Query, hits_results) -> Facets:
        """Year counts over every match; month counts narrowed by the selected year."""
        params = self.params
        results = hits_results
        if self._facets_need_own_pass() and not self.partial:
            results = self.searcher.search(
                _filtered(query, _date_filter(params, with_facet_selection=False)),
                limit=1,
                groupedby=FACETS,
                maptype=Count,
            )
        years = _counts(results, "year")
        months = _counts(results, "month")
        selected_year = params.year or (params.month[:4] if params.month else None)
        return Facets(
            year=[FacetValue(y, c) for y, c in sorted(years.items(), reverse=True) if y != UNDATED],
            month=[
                FacetValue(m, c)
                for m, c in sorted(months.items(), reverse=True)
                if m != UNDATED and (selected_year is None or m.startswith(selected_year))
            ],
            undated=years.get(UNDATED, 0),
        )

    def _hit(self, hit) -> Hit:
        fields = hit.fields()
        return Hit(
            id=fields["id"],
            title=fields["title"],
            date=fields.get("date") or None,
            score=round(hit.score, 4) if isinstance(hit.score, (int, float)) else None,  # None: sorted by date
            snippet=self._snippet(hit, fields["body"]),
            url=article_url(fields["id"]),
        )

    def _snippet(self, hit, text: str) -> str:
        hit.results.fragmenter = ContextFragmenter(maxchars=setting("snippet_chars"), surround=60)
        hit.results.formatter = MarkFormatter()
        snippet = hit.highlights("body", text=text, top=2)
        if snippet:
            return snippet
        return _lead(text, setting("snippet_chars"))

    def _suggestion(self) -> str | None:
        """A corrected query when some word finds nothing in the index and a close word exists."""
        corrected = {}
        for word in self._unknown_words():
            folded = analysis.fold(word)
            if len(folded) < 2:  # nothing to correct; Whoosh's automaton fails on "" (IndexError)
                continue
            suggestions = self.searcher.corrector("body").suggest(folded, limit=1, maxdist=2, prefix=1)
            if suggestions:
                corrected[word] = suggestions[0]
        if not corrected:
            return None
        return re.sub(r"[^\W_]+", lambda m: corrected.get(m.group(0), m.group(0)), self.params.q)

    def _unknown_words(self) -> Iterator[str]:
        reader = self.searcher.reader()
        for match in re.finditer(r"([^\W_]+)(\*?)", self.params.q):
            word, is_prefix = match.groups()
            if is_prefix or word in ("OR", "AND", "NOT") or word.isdigit() or analysis.is_stop_word(word):
                continue
            terms = analysis.match_terms(word)
            if terms and not any(("body", t) in reader or ("title", t) in reader for t in terms):
                yield word


def _counts(results, facet: str) -> dict[str, int]:
    try:
        groups = results.groups(facet)
    except KeyError:
        return {}
    return {(k.decode() if isinstance(k, bytes) else str(k)): int(v) for k, v in groups.items()}


def _lead(text: str, chars: int) -> str:
    if len(text) <= chars:
        return html.escape(text, quote=False)
    cut = text[:chars].rsplit(" ", 1)[0]
    return html.escape(cut, quote=False) + " …"
