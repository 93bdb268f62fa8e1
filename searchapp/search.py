"""The one search function that the web pages, the JSON API and the CLI all call.

`parse_params()` validates raw parameters (strings from a URL or the command line),
`Archive.search()` runs a query and returns plain data (`SearchResult`); rendering it as HTML,
JSON or terminal text is the caller's job.
"""

from __future__ import annotations

import html
import math
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

import numpy as np
from whoosh import qparser, query as wq
from whoosh.collectors import TimeLimit, TimeLimitCollector
from whoosh.analysis import Token
from whoosh.highlight import (
    FIRST, BasicFragmentScorer, HtmlFormatter, PinpointFragmenter, WholeFragmenter, highlight, top_fragments,
)
from whoosh.qparser import plugins
from whoosh.scoring import BM25F
from whoosh.searching import Results, Searcher
from whoosh.sorting import FieldFacet, MultiFacet

from . import analysis, marks, readings, synonyms, written_forms
from .config import setting
from .errors import BadParameter, IndexUnreadable, NotFound, QueryTooLong, SearchappError
from .index import UNDATED, current_generation, open_index
from .known_matches import KnownMatches
from .postings import DocSet, RequestPostings, live_docs
from .rerank import reranked
from .spelling import correction
from .sources import valid_date

SORTS = ("relevance", "newest", "oldest")
SEARCH_FIELDS = ("title", "body", "exact")
FIELD_BOOSTS = {"title": 2.0, "body": 1.0, "exact": 1.0}


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
    literal: bool = False  # no automatic correction: search the words as typed
    sources: tuple[str, ...] = ()  # `source=`, repeatable: an article from any of them matches
    in_field: str | None = None  # "title": the query's words must be in the title (`in=title`)


IN_FIELDS = ("title",)


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
    in_field = _optional(args.get("in"))
    if in_field is not None and in_field not in IN_FIELDS:
        raise BadParameter("in", f"{in_field!r} is not a field to search in; use one of {', '.join(IN_FIELDS)}")
    return SearchParams(
        q=q,
        page=_int(args, "page", 1, 1, setting("max_page")),
        per_page=_int(args, "per_page", 10, 1, setting("max_per_page")),
        year=year,
        month=month,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        literal=_flag(args, "literal"),
        sources=_sources(args),
        in_field=in_field,
    )


def _flag(args: Mapping[str, object], name: str) -> bool:
    raw = (_optional(args.get(name)) or "0").lower()
    if raw not in ("0", "1", "true", "false"):
        raise BadParameter(name, f"{raw!r} is not a flag; use 1 or 0")
    return raw in ("1", "true")


def _sources(args: Mapping[str, object]) -> tuple[str, ...]:
    """The `source=` values, each once: a URL's repeated parameter (`getlist`) or a list."""
    getlist = getattr(args, "getlist", None)
    raw = getlist("source") if getlist else args.get("source")
    sources: list[str] = []
    for value in raw if isinstance(raw, (list, tuple)) else [raw]:
        name = _optional(value)
        if name is None or name in sources:
            continue
        if len(name) > setting("max_source_chars"):
            raise BadParameter("source", f"a source name has at most {setting('max_source_chars')} characters")
        sources.append(name)
    if len(sources) > setting("max_sources"):
        raise BadParameter("source", f"{len(sources)} sources given; the limit is {setting('max_sources')}")
    return tuple(sources)


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
    source: str | None = None
    title_html: str = ""  # the title escaped, with <mark> around the query's words (as snippet)


@dataclass
class FacetValue:
    value: str
    count: int


@dataclass
class Facets:
    year: list[FacetValue] = field(default_factory=list)
    month: list[FacetValue] = field(default_factory=list)
    undated: int = 0
    source: list[FacetValue] = field(default_factory=list)  # most articles first


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
    # Query words that the articles also write as another word (`Putin` / `puțin`): the
    # articles that write them as typed rank first; the page links to the other reading.
    other_readings: list[readings.OtherReading] = field(default_factory=list)
    # The hits are those of `suggestion`, searched at once because the query as typed found
    # nothing, or little next to it; `total_as_typed` is what the query as typed found.
    autocorrected: bool = False
    total_as_typed: int | None = None
    params: SearchParams | None = None
    expanded: list[synonyms.Expansion] = field(default_factory=list)  # synonyms searched too

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def to_json(self) -> dict:
        # By hand, not dataclasses.asdict(): that deep-copies every value, `params` included,
        # and was 5 % of a request's profile (BENCHMARKS.md).
        data = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "params"}
        data["hits"] = [dict(vars(hit)) for hit in self.hits]
        data["facets"] = {"year": [dict(vars(v)) for v in self.facets.year],
                          "month": [dict(vars(v)) for v in self.facets.month], "undated": self.facets.undated,
                          "source": [dict(vars(v)) for v in self.facets.source]}
        data["notices"] = list(self.notices)
        data["other_readings"] = [
            {"word": r.word, "other": r.other, "query": replace_word(self.query, r.word, r.other)}
            for r in self.other_readings]
        data["expanded"] = [e.to_json() for e in self.expanded]
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


class ProbabilisticIdfBM25F(BM25F):
    """BM25F with the idf of the BM25 literature (Lucene and tantivy use it), log(1 + (N - n +
    0.5) / (n + 0.5)), instead of Whoosh's log(N / (n + 1)) + 1: Whoosh's never falls below 1, so
    a word found in every article still weighs a fifth of a rare one (setting `bm25_idf`)."""

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        count = parent.doc_count_all()
        return math.log(1 + (count - n + 0.5) / (n + 0.5))


def weighting() -> BM25F:
    """The scoring model, from the ranking settings (tuned in QUALITY.md)."""
    model = ProbabilisticIdfBM25F if setting("bm25_idf") == "bm25" else BM25F
    return model(B=float(setting("bm25_b")), K1=float(setting("bm25_k1")))


def field_boosts(relaxed: bool = False) -> dict[str, float]:
    """FIELD_BOOSTS with the title weight from the settings (tuned in QUALITY.md)."""
    return {**FIELD_BOOSTS, "title": float(setting("relaxed_title_boost" if relaxed else "title_boost"))}


def make_parser(schema, group=qparser.AndGroup, relaxed: bool = False) -> qparser.QueryParser:
    parser = qparser.MultifieldParser(list(SEARCH_FIELDS), schema, fieldboosts=field_boosts(relaxed), group=group)
    # Users type words, not field names, ranges or boosts: `foo:bar` and `x^2` are words.
    for plugin in (plugins.FieldsPlugin, plugins.RangePlugin, plugins.BoostPlugin, plugins.SingleQuotePlugin):
        parser.remove_plugin_class(plugin)
    return parser


_MINUS = re.compile(r"(^|[\s(])[-–](?=[^\s\-–])")
_WORDISH = re.compile(r"\S+")


def normalize_query(text: str) -> tuple[str, list[str]]:
    """Make a raw query safe to parse: `-word` as NOT, bounded length, depth and word count."""
    notices = []
    # `?` ends questions; it is no wildcard here (Whoosh's would turn `Tesla?` into `tesla` + one letter).
    text = _MINUS.sub(r"\1NOT ", text.replace("\u00ad", "").replace("?", " "))
    if _paren_depth(text) > setting("max_query_depth"):
        text = text.replace("(", " ").replace(")", " ")
        notices.append("parantezele prea adânci au fost ignorate")
    parts = _WORDISH.findall(text)
    if len(parts) > setting("max_query_terms"):
        text = " ".join(parts[: setting("max_query_terms")])
        notices.append(f"s-au căutat doar primele {setting('max_query_terms')} cuvinte")
    return text, notices


_OPERATOR_WORDS = ("AND", "OR", "NOT")


def _only_stop_words(text: str) -> list[str]:
    """A query's words when it has some and every one is a stop word (which the index leaves
    out, so that such a query finds nothing and the user should be told why), else []."""
    words = [w for w in analysis.words(text) if w not in _OPERATOR_WORDS]
    return words if words and all(analysis.is_stop_word(w) for w in words) else []


_OPERATORS = re.compile(r'["()]|\b(AND|OR|NOT)\b')
_CHOICE_OPERATORS = re.compile(r'"|\b(AND|OR|NOT)\b')
_PARENS = re.compile(r"[()]")


def _is_plain_words(text: str) -> bool:
    """Words only, no operators: the kind of query that may be relaxed to "most words match".
    Parentheses alone (often a stray one in a pasted question) change nothing in a query whose
    words are all required, so they do not count; phrases, OR and NOT (`-word`) do."""
    return not _CHOICE_OPERATORS.search(text)


def _paren_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth = max(0, depth - 1)
    return deepest


def replace_word(query: str, word: str, other: str) -> str:
    """The query with every occurrence of the word (a whole word) written as `other`."""
    return re.sub(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", lambda _: other, query)


def _exact_words_as_tiers(node: wq.Query, score: float) -> wq.Query:
    """A word's `exact` clause (its written form, `putin|Putin`) as a constant score, to be
    resolved against the index's readings (`_Search._reading_tier`); phrases and prefixes
    have no written-form ranking (the field has no positions)."""
    if getattr(node, "fieldname", None) != "exact":
        return node
    if isinstance(node, wq.Term) and score > 0:
        return wq.ConstantScoreQuery(node, score=score)
    return wq.NullQuery


def _exact_only_ranks(node: wq.Query) -> wq.Query:
    """A word's `exact` clause may raise an article that matches the word anyway, never add
    one: Or(title, body, exact) becomes AndMaybe(Or(title, body), exact). Otherwise `începând`
    would also find articles that only have `începe` (both `încep` unfolded) while `incepand`
    would not (found by the diacritic-invariance check, tests/test_quality.py)."""
    if not isinstance(node, wq.Or):
        return node
    exact = [q for q in node.subqueries if _is_exact_clause(q)]
    if not exact or len(exact) == len(node.subqueries):
        return node
    rest = [q for q in node.subqueries if not _is_exact_clause(q)]
    required = rest[0] if len(rest) == 1 else node.__class__(rest, boost=node.boost)
    return wq.AndMaybe(required, exact[0] if len(exact) == 1 else wq.Or(exact))


def _negated_leaves(query: wq.Query) -> Iterator[wq.Query]:
    """The leaves under a NOT: their words are not what the reader looks for."""
    if isinstance(query, wq.Not):
        yield from query.query.leaves()
        yield query.query
        return
    if isinstance(query, wq.AndNot):
        yield from _negated_leaves(query.a)
        yield from query.b.leaves()
        yield query.b
        return
    for child in query.children():
        yield from _negated_leaves(child)


def _is_exact_clause(node: wq.Query) -> bool:
    child = node.child if isinstance(node, wq.ConstantScoreQuery) else node
    return getattr(child, "fieldname", None) == "exact"


def _bounded_prefixes(node: wq.Query, reader, cap: int | None = None) -> wq.Query:
    """Expand `word*` to at most `cap` (default `max_prefix_terms`) index terms, most frequent first."""
    if not isinstance(node, (wq.Prefix, wq.Wildcard)):
        return node
    cap = cap or setting("max_prefix_terms")
    prefix = re.split(r"[*?]", node.text, maxsplit=1)[0]
    if len(prefix) < setting("min_prefix_chars"):
        return wq.Term(node.fieldname, prefix) if prefix else wq.NullQuery
    terms = list(reader.expand_prefix(node.fieldname, prefix))
    if len(terms) > cap:
        terms.sort(key=lambda t: -reader.doc_frequency(node.fieldname, t))
        terms = terms[:cap]
    return wq.Or([wq.Term(node.fieldname, t) for t in terms], boost=node.boost) if terms else wq.NullQuery


def _only_in_field(query: wq.Query, fieldname: str) -> wq.Query:
    """The query with only its clauses on `fieldname` (`in=title`): each word or phrase is
    parsed for every search field at once, so the others' clauses go and the structure stays."""
    def keep(node: wq.Query) -> wq.Query:
        field = getattr(node, "fieldname", None)
        return wq.NullQuery if field is not None and field != fieldname else node
    return query.accept(keep).normalize()


def _date_filter(params: SearchParams, with_facet_selection: bool, with_sources: bool = True) -> wq.Query | None:
    """The request's filters: the date range always, the sources unless their facet is being
    counted, the chosen year or month unless the year facet is."""
    clauses = []
    if with_sources and params.sources:
        terms = [wq.Term("source", name) for name in params.sources]
        clauses.append(terms[0] if len(terms) == 1 else wq.Or(terms))
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
        self._searcher = ix.searcher(weighting=weighting())
        self._data = _SearcherData(self._searcher)
        self._generation = generation
        self._parsers = {
            "and": make_parser(ix.schema),
            "or": make_parser(ix.schema, group=qparser.OrGroup.factory(float(setting("relaxed_coord"))), relaxed=True),
        }

    def check(self) -> int:
        """Raise if the index cannot be searched; else the number of articles."""
        with self.searcher() as searcher:
            searcher.search(wq.Every(), limit=1)
            return searcher.doc_count()

    def written_forms(self):
        """The current index's table of written forms (`written_forms.py`), or None when it
        was built without one."""
        with self.searcher():
            return written_forms.for_generation(self._generation)

    # -- search

    def search(self, params: SearchParams) -> SearchResult:
        started = time.perf_counter()
        with self.searcher() as searcher:
            result = _Search(self, searcher, params, self._data).run()
            if result.suggestion and not params.literal:
                result = self._autocorrected(searcher, result)
        result.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return result

    def _autocorrected(self, searcher: Searcher, typed: SearchResult) -> SearchResult:
        """The corrected query's results instead, when the query as typed found nothing or only
        a small share of what its correction finds (`autocorrect_share`)."""
        params = typed.params
        corrected = _Search(self, searcher, replace(params, q=typed.suggestion, literal=True), self._data).run()
        found_as_typed = 0 if typed.relaxed else typed.total
        if corrected.relaxed or corrected.total <= found_as_typed \
                or found_as_typed >= setting("autocorrect_share") * corrected.total:
            return typed
        corrected.query, corrected.params = typed.query, params
        corrected.suggestion, corrected.autocorrected, corrected.total_as_typed = typed.suggestion, True, found_as_typed
        corrected.other_readings = []
        return corrected

    def ranked(self, params: SearchParams, limit: int) -> tuple[SearchResult, Iterator[Hit]]:
        """The search's result (total, facets, its first hit) and every match up to `limit`, in
        the search's order, as hits without snippets (export.py). The order is collected once
        (a score or sort key and a document number each); each hit's stored fields are read
        only when the iterator reaches it, so the hits themselves are never held together."""
        started = time.perf_counter()
        with self.searcher() as searcher:
            # An export collects up to `limit` hits in one pass: it has its own time limit.
            search = _Search(self, searcher, replace(params, page=1, per_page=1), self._data,
                             time_limit=setting("export_time_limit"))
            search.collect_at_least = limit
            result = search.run()
        result.took_ms = round((time.perf_counter() - started) * 1000, 2)
        order = search.hits_results.top_n[:limit] if search.hits_results is not None else []

        def hits() -> Iterator[Hit]:
            with self.searcher():  # a damaged index is IndexUnreadable here too
                for key, docnum in order:
                    fields = searcher.stored_fields(docnum)
                    yield Hit(id=fields["id"], title=fields["title"], date=fields.get("date") or None,
                              score=round(key, 4) if isinstance(key, (int, float)) else None,  # None: by date
                              snippet="", url=article_url(fields["id"]), source=fields.get("source") or None)

        return result, hits()

    def parse(self, text: str, relaxed: bool = False) -> wq.Query:
        parser = self._parsers["or" if relaxed else "and"]
        try:
            parsed = parser.parse(text)
        except Exception:
            # Whoosh's parser fails on some operator soup (`NOT NOT x` is an IndexError, found
            # by tests/test_fuzz.py): search the words alone.
            parsed = parser.parse(_OPERATORS.sub(" ", text))
        # A relaxed query ranks a bag of words: there a tier per exact word would rank by how
        # many words keep their diacritics, not by relevance (measured in QUALITY.md).
        score = float(setting("relaxed_exact_score" if relaxed else "exact_score"))
        exact = lambda node: _exact_words_as_tiers(node, score)  # noqa: E731
        return parsed.accept(exact).normalize().accept(_exact_only_ranks)

    # -- articles

    def article(self, article_id: str, q: str = "", similar: bool = True) -> Article:
        """One article, with the query's matches marked and (unless `similar` is false) similar
        articles listed."""
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
            if similar:
                article.similar = self._similar(searcher, docnum, article.text)
            return article

    def _mark_whole_text(self, searcher: Searcher, docnum: int, text: str, q: str) -> str | None:
        normalized, _ = normalize_query(_text(q)[: setting("max_query_chars")])
        reader = searcher.reader()
        query = self.parse(normalized, relaxed=True).accept(lambda node: _bounded_prefixes(node, reader))
        found = marks.spans(RequestPostings(searcher, self._data.live, None), query, [docnum])[docnum]
        if not found:
            return None
        return MarkFormatter().format_fragment(marks.whole_text_fragment(text, found), replace=False)

    def _similar(self, searcher: Searcher, docnum: int, text: str) -> list[Hit]:
        results = searcher.more_like(docnum, "body", text=text, top=setting("similar_articles"))
        return [
            Hit(id=h["id"], title=h["title"], date=h.get("date") or None, score=round(h.score, 3),
                snippet="", url=article_url(h["id"]))
            for h in results
        ]


_WHOOSH = f"{os.sep}whoosh{os.sep}"
# Code that reads index files, or computes only from the statistics read from them (scoring,
# more-like-this key terms: a damaged length column makes them divide by zero).
_WHOOSH_FILE_READERS = tuple(_WHOOSH + name for name in (
    "filedb", "codec", "util", "index.py", "reading.py", "columns.py", "fields.py", "formats.py", "scoring.py",
    "classify.py"))
# Our own reader of posting blocks (SplitBlockMatcher) and decoder of posting values read
# index files too.
_OWN_FILE_READERS = tuple(f"{os.sep}searchapp{os.sep}{name}" for name in ("codec.py", "formats.py"))


def _raised_reading_index_files(exc: BaseException) -> bool:
    """True when the innermost index-reading frame of the error (Whoosh's or our codec's) is
    code that reads index files (not, say, the query parser): the mark of a damaged index, not
    of a bad query or a bug."""
    innermost, tb = None, exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if _WHOOSH in filename or filename.endswith(_OWN_FILE_READERS):
            innermost = filename
        tb = tb.tb_next
    if innermost is None:
        return False
    return innermost.endswith(_OWN_FILE_READERS) or any(name in innermost for name in _WHOOSH_FILE_READERS)


class _Search:
    """One run of a search: parse, collect hits and facets, build snippets and a suggestion."""

    def __init__(self, archive: Archive, searcher: Searcher, params: SearchParams, data: _SearcherData | None = None,
                 time_limit: float | None = None):
        self.archive = archive
        self.searcher = searcher
        self.data = data or _SearcherData(searcher)
        self.params = params
        self.notices: list[str] = []
        self.expanded: list[synonyms.Expansion] = []
        self.partial = False
        self.other_readings: list[readings.OtherReading] = []
        self.tiers: list[wq.Query] = []  # the written-form clauses of the query in force
        # Counting every match (total, facets) has its own budget, as collecting hits has.
        self.time_limit = setting("search_time_limit") if time_limit is None else time_limit
        self.count_deadline = time.monotonic() + self.time_limit
        self.postings = RequestPostings(searcher, self.data.live, self.count_deadline)
        self._collected = None
        self.collect_at_least = 0  # Archive.ranked: collect this many hits, whatever the page
        self.hits_results = None

    def run(self) -> SearchResult:
        params = self.params
        text, self.notices = normalize_query(params.q)
        common = _only_stop_words(text)
        if common:
            self.notices.append(f"„{' '.join(common)}” are doar cuvinte foarte des întâlnite, care nu se caută: "
                                "adăugați un cuvânt mai rar (un nume, un loc, un subiect)")
        relaxed = False
        query = self._query(text, relaxed=False)
        hits_results = self._collect(query, with_facet_selection=True)
        found = len(self._matched(query, with_facet_selection=True))
        relax_below = max(1, int(setting("relax_below"))) if params.sort == "relevance" else 1
        if found < relax_below and _is_plain_words(text) and self._has_several_words(query):
            relaxed_query = self._query(_PARENS.sub(" ", text), relaxed=True)
            relaxed_results = self._relaxed_results(relaxed_query)
            if len(self._matched(relaxed_query, with_facet_selection=True)) > found:
                if found and not setting("relax_blend"):
                    # The articles with every word first, as ranked; then those with most words.
                    first = {docnum for _, docnum in hits_results.top_n}
                    relaxed_results.top_n = hits_results.top_n + [
                        item for item in relaxed_results.top_n if item[1] not in first]
                query, hits_results, relaxed = relaxed_query, relaxed_results, True
        self.hits_results = hits_results
        facets = self._facets(query, hits_results)
        start = (params.page - 1) * params.per_page
        page_hits = hits_results[start: start + params.per_page]
        self._chars = self._body_chars(query, [h.docnum for h in page_hits])
        self._title_words = self._words_of(query, "title")
        hits = [self._hit(h) for h in page_hits]
        return SearchResult(
            query=params.q,
            total=len(self._matched(query, with_facet_selection=True)),
            page=params.page,
            per_page=params.per_page,
            took_ms=0.0,
            hits=hits,
            facets=facets,
            suggestion=self._suggestion(),
            relaxed=relaxed,
            partial=self.partial,
            notices=self.notices,
            other_readings=self.other_readings if not relaxed else [],
            params=params,
            expanded=self.expanded,
        )

    def _query(self, text: str, relaxed: bool) -> wq.Query:
        if not text.strip() or text.strip() == "*":
            return wq.Every()
        expansions = []
        if setting("synonyms"):  # the query's abbreviations and name variants, in every form
            text, expansions = synonyms.current().expand(text)
            self.expanded = expansions
        parsed = synonyms.typed_first(self.archive.parse(text, relaxed=relaxed), expansions, relaxed)
        if self.params.in_field:
            parsed = _only_in_field(parsed, self.params.in_field)
        # `max_prefix_terms` is the budget of the whole query, shared by its prefixes (and their
        # fields): eight two-letter prefixes expanded to 200 terms each took 7 s on 2,000
        # articles (bench/load.py --worst-queries, RELIABILITY.md).
        prefixes = sum(1 for node in parsed.leaves() if isinstance(node, (wq.Prefix, wq.Wildcard)))
        cap = max(1, setting("max_prefix_terms") // max(1, prefixes))
        reader = self.searcher.reader()
        bounded = parsed.accept(lambda node: _bounded_prefixes(node, reader, cap))
        negated = {(getattr(n, "fieldname", None), getattr(n, "text", None)) for n in _negated_leaves(bounded)}
        tiers: list[wq.Query] = []
        bounded = bounded.accept(lambda node: self._reading_tier(node, reader, negated, tiers)).normalize()
        if not relaxed:
            self.tiers = tiers
        if relaxed and isinstance(bounded, wq.Or):
            # Query.accept() rebuilds nodes without OrGroup's coordination scale; put it back.
            bounded.scale = float(setting("relaxed_coord")) or None
        return bounded

    def _reading_tier(self, node: wq.Query, reader, negated: set, tiers: list[wq.Query]) -> wq.Query:
        """A word's written-form clause as the forms the reader means (readings.preferred), or
        nothing where the spelling tells nothing."""
        if not _is_exact_clause(node) or not isinstance(node, wq.ConstantScoreQuery):
            return node
        typed = str(node.child.text).split(analysis.FORM_SEPARATOR, 1)[-1]
        forms, other = readings.preferred(reader, typed)
        wanted = (node.child.fieldname, node.child.text) not in negated
        if wanted and other and all(o.word != other.word for o in self.other_readings):
            self.other_readings.append(other)
        if not forms:
            return wq.NullQuery
        terms = [wq.Term("exact", analysis.form_term(form)) for form in forms]
        tier = terms[0] if len(terms) == 1 else wq.Or(terms)
        if wanted:
            tiers.append(tier)
        return wq.ConstantScoreQuery(tier, score=node.score)

    def _tier_counts(self) -> np.ndarray | None:
        """How many of the query's words each document writes as the reader means them (the
        written-form clauses), or None when the query has none."""
        counts = None
        for tier in self.tiers:
            mask = self.postings.docs(tier).mask
            counts = mask.astype(np.int16) if counts is None else counts + mask
        return counts

    def _relaxed_results(self, query: wq.Query):
        """A relaxed query's hits, the best candidates reranked (rerank.py) when ranked by relevance."""
        if self.params.sort != "relevance":
            return self._collect(query, with_facet_selection=True)
        results = self._collect(query, with_facet_selection=True, at_least=setting("rerank_depth"))
        terms = {text for fieldname, text in query.iter_all_terms() if fieldname == "body"}
        results.top_n = reranked(self.searcher, terms, results.top_n)
        return results

    @staticmethod
    def _has_several_words(query: wq.Query) -> bool:
        return isinstance(query, wq.And) and len(query.subqueries) > 1

    def _collect(self, query: wq.Query, with_facet_selection: bool, at_least: int = 0):
        params = self.params
        limit = max(params.page * params.per_page, at_least, self.collect_at_least)
        if params.sort == "relevance" and not isinstance(query, wq.Every):
            results = self._scored_from_postings(query, with_facet_selection, limit)
            if results is not None:
                self._collected = results
                return results
        elif params.sort != "relevance" or isinstance(query, wq.Every):
            results = self._date_sorted(query, with_facet_selection, limit)
            if results is not None:
                self._collected = results
                return results
        sortedby = _sort_facet("newest" if isinstance(query, wq.Every) and params.sort == "relevance" else params.sort)
        collector = self.searcher.collector(
            limit=limit,
            sortedby=sortedby,
        )
        # Filters go into the query (see _filtered), not into the collector: Whoosh's
        # TimeLimitCollector bypasses a wrapped FilterCollector's checks.
        timed = _DeadlineCollector(collector, timelimit=self.time_limit)
        filtered = self._filtered_query(query, with_facet_selection)
        try:
            self.searcher.search_with_collector(self._driven(filtered, query, with_facet_selection), timed)
        except TimeLimit:
            self._cut_short()
        self._collected = timed.results()
        return self._collected

    def _scored_from_postings(self, query: wq.Query, with_facet_selection: bool, limit: int) -> Results | None:
        """The top hits of every match scored from the posting blocks (postings.py), or None
        where that cannot be done in time or for this kind of query."""
        docs = self._matched_in_time(query, with_facet_selection)
        if docs is None:
            return None
        filtered = self._filtered_query(query, with_facet_selection)
        try:
            scores = self.postings.scores(filtered, docs)
        except TimeLimit:
            return None
        if scores is None:
            return None
        return Results(self.searcher, filtered, scores.best(limit))

    def _date_sorted(self, query: wq.Query, with_facet_selection: bool, limit: int) -> Results | None:
        """The first `limit` matches in date order, read off the searcher's precomputed date
        order (an empty query browsed newest first was 0.7 s at 40k in Whoosh's sorting
        collector, which looks every match's date up in a list); None when out of time."""
        docs = self._matched_in_time(query, with_facet_selection)
        if docs is None:
            return None
        order = self.data.date_order("oldest" if self.params.sort == "oldest" else "newest")
        picked = order[docs.mask[order]]
        try:
            tiers = self._tier_counts()
        except TimeLimit:
            return None
        if tiers is not None:
            # The articles that write the query's words as the reader means them first (the
            # most such words first), each group in date order, as relevance ranks them first.
            picked = picked[np.argsort(-tiers[picked], kind="stable")]
        picked = picked[:limit]
        # Score None, as Whoosh's sorted hits give (their sort key is no score).
        return Results(self.searcher, self._filtered_query(query, with_facet_selection),
                       [(None, docnum) for docnum in picked.tolist()])

    def _cut_short(self) -> None:
        if not self.partial:
            self.partial = True
            self.notices.append("căutarea a depășit timpul permis; rezultatele sunt parțiale")

    def _driven(self, filtered: wq.Query, query: wq.Query, with_facet_selection: bool) -> wq.Query:
        """An intersection (words that must all occur, or a date filter) is collected at its
        already counted matches (known_matches.py); a union keeps Whoosh's own collection,
        which can skip the blocks that cannot reach the top."""
        if type(filtered) is not wq.And:
            return filtered
        docs = self._matched_in_time(query, with_facet_selection)
        if docs is None:
            return filtered
        offsets = {id(sub): offset for sub, offset in self.searcher.leaf_searchers()}
        return KnownMatches(filtered, sorted(docs), offsets)

    def _matched(self, query: wq.Query, with_facet_selection: bool, with_sources: bool = True):
        """Every matching document number, filters applied (memoised for this request)."""
        docs = self._matched_in_time(query, with_facet_selection, with_sources)
        if docs is None:
            # Out of time: count what the hits' collection saw, and say the figures are partial.
            self._cut_short()
            docs = frozenset(docnum for _, docnum in self._collected.top_n) if self._collected else frozenset()
        return docs

    def _matched_in_time(self, query: wq.Query, with_facet_selection: bool, with_sources: bool = True):
        """The matching document numbers, or None once the time limit has passed."""
        try:
            return self.postings.docs(self._filtered_query(query, with_facet_selection, with_sources))
        except TimeLimit:
            return None

    def _filtered_query(self, query: wq.Query, with_facet_selection: bool, with_sources: bool = True) -> wq.Query:
        """`query` with this request's date and source filters: one object per query and filter, so that
        its matches are found once (RequestPostings memoises them by query)."""
        # Without a year or month selection both filters are the same; so without a source.
        with_sources = with_sources or not self.params.sources
        key = (id(query), with_facet_selection and self._facets_need_own_pass(), with_sources)
        memo = self.__dict__.setdefault("_filtered_memo", {})
        if key not in memo:
            memo[key] = (query, _filtered(query, _date_filter(self.params, with_facet_selection, with_sources)))
        return memo[key][1]

    def _facets_need_own_pass(self) -> bool:
        # The year facet counts every year even when one is selected, so a selection needs a
        # second, unfiltered collection; without one the hits' collection counts them too.
        return bool(self.params.year or self.params.month)

    def _facets(self, query: wq.Query, hits_results) -> Facets:
        """Year counts over every match; month counts narrowed by the selected year."""
        params = self.params
        matched = self._matched(query, with_facet_selection=False)
        months = self.data.month_counts(matched)
        years: dict[str, int] = {}
        for month, count in months.items():
            year = month[:4] if month != UNDATED else UNDATED
            years[year] = years.get(year, 0) + count
        selected_year = params.year or (params.month[:4] if params.month else None)
        # Sources: narrowed by every filter but their own, so that each still shows its count
        # while one is chosen (as years do).
        sources = self.data.source_counts(self._matched(query, with_facet_selection=True, with_sources=False))
        return Facets(
            year=[FacetValue(y, c) for y, c in sorted(years.items(), reverse=True) if y != UNDATED],
            month=[
                FacetValue(m, c)
                for m, c in sorted(months.items(), reverse=True)
                if m != UNDATED and (selected_year is None or m.startswith(selected_year))
            ],
            undated=years.get(UNDATED, 0),
            source=[FacetValue(s, c) for s, c in sorted(sources.items(), key=lambda item: (-item[1], item[0]))],
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
            source=fields.get("source") or None,
            title_html=self._marked_title(fields["title"]),
        )

    def _words_of(self, query: wq.Query, fieldname: str) -> frozenset[str]:
        terms = query.existing_terms(self.searcher.reader(), phrases=True, expand=True, fieldname=fieldname)
        return frozenset(_decode_term(text) for _f, text in terms)

    def _marked_title(self, title: str) -> str:
        """The title as HTML, its query words marked: a title is short, so it is analysed
        again (the title field stores positions, not characters)."""
        marked = None
        if self._title_words:
            marked = highlight(title, self._title_words, self.searcher.schema["title"].analyzer,
                               WholeFragmenter(charlimit=None), MarkFormatter(), top=1)
        return marked or html.escape(title, quote=False)

    def _body_chars(self, query: wq.Query, docnums: list[int]) -> dict[int, list[tuple[int, int]]]:
        """(start, end) of the query's matches in each hit's body, from the postings."""
        return marks.spans(self.postings, query, docnums)

    def _snippet(self, hit, text: str) -> str:
        snippet = _pinpoint_snippet(text, self._chars.get(hit.docnum, []), setting("snippet_chars"))
        if snippet:
            return snippet
        return _lead(text, setting("snippet_chars"))

    def _suggestion(self) -> str | None:
        """The query with its misspelled words corrected (spelling.correction), each written
        as the articles most often write it (`iohannis` -> `Iohannis`), or None."""
        forms = written_forms.for_generation(self.archive._generation)
        corrected = {}
        for word in self._correctable_words():
            folded = correction(self.searcher, word)
            if folded:
                corrected[word] = _as_typed_case(word, (forms and forms.written_form(folded)) or folded)
        if not corrected:
            return None
        return re.sub(r"[^\W_]+", lambda m: corrected.get(m.group(0), m.group(0)), self.params.q)

    def _correctable_words(self) -> Iterator[str]:
        for match in re.finditer(r"([^\W_]+)(\*?)", self.params.q):
            word, is_prefix = match.groups()
            if not (is_prefix or word in _OPERATOR_WORDS or word.isdigit() or analysis.is_stop_word(word)):
                yield word


def _as_typed_case(typed: str, form: str) -> str:
    """A correction in the case the word was typed in where that says more than the articles'
    usual form: `Cluj` stays capitalised, `iohannis` becomes `Iohannis` (a name)."""
    if typed[:1].isupper() and form[:1].islower():
        return form[:1].upper() + form[1:]
    return form


def _lead(text: str, chars: int) -> str:
    if len(text) <= chars:
        return html.escape(text, quote=False)
    cut = text[:chars].rsplit(" ", 1)[0]
    return html.escape(cut, quote=False) + " …"


# --- doing less per request (BENCHMARKS.md) ---------------------------------------------------
# Profiling a request on the news corpus showed two costs that grow with the archive: Whoosh's
# highlighter re-analysing every hit's whole text, and the `groupedby` facet collection doing
# Python work for every matching article. Snippets now come from the character positions stored
# with the body's postings (the field has chars=True), and totals and facet counts from sets of
# document numbers read straight from the posting blocks (postings.py), counted against one
# month-per-document list that is built once per searcher.


class _SearcherData:
    """Per-searcher data that no request should recompute: each document's month and source,
    the documents in date order."""

    def __init__(self, searcher: Searcher):
        self.searcher = searcher
        self._sources: tuple[list[str], np.ndarray | None] | None = None
        self._months: list[str] | None = None
        self._month_numbers: tuple[list[str], np.ndarray] | None = None
        self._every_counts: dict[str, int] | None = None
        self._live: DocSet | None = None
        self._date_orders: dict[str, np.ndarray] = {}

    def months(self) -> list[str]:
        """docnum -> "YYYY-MM" (or "none"), read once from the month column."""
        if self._months is None:
            reader = self.searcher.reader()
            column = reader.column_reader("month")
            self._months = [_decode_term(value) for value in column]
        return self._months

    def date_order(self, sort: str) -> np.ndarray:
        """Every document number in "newest" or "oldest" order, as Whoosh's sorting collector
        orders them by `_sort_facet`: undated last, equal dates by document number."""
        if not self._date_orders:
            dates = np.array([_decode_term(value) for value in self.searcher.reader().column_reader("date")])
            _, rank = np.unique(dates, return_inverse=True)
            # lexsort: the last key sorts first; it is stable, so ties keep document order.
            self._date_orders = {"newest": np.lexsort((-rank, dates == "")),
                                 "oldest": np.lexsort((rank, dates == ""))}
        return self._date_orders[sort]

    def live(self) -> DocSet:
        if self._live is None:
            self._live = live_docs(self.searcher)
        return self._live

    def month_counts(self, docs: DocSet | Iterable[int]) -> dict[str, int]:
        if docs is self.live():
            if self._every_counts is None:
                self._every_counts = self._counted(docs)
            return self._every_counts
        return self._counted(docs)

    def _counted(self, docs: DocSet | Iterable[int]) -> dict[str, int]:
        if not isinstance(docs, DocSet):  # the hits of a search cut short
            return dict(Counter(map(self.months().__getitem__, docs)))
        if self._month_numbers is None:
            labels = sorted(set(self.months()))
            number = {label: n for n, label in enumerate(labels)}
            self._month_numbers = labels, np.array([number[m] for m in self.months()], dtype=np.int64)
        labels, numbers = self._month_numbers
        counts = np.bincount(numbers[docs.mask[: len(numbers)]], minlength=len(labels))
        return {labels[n]: int(counts[n]) for n in np.flatnonzero(counts).tolist()}

    def source_counts(self, docs: DocSet | Iterable[int]) -> dict[str, int]:
        """Articles per source among `docs`, counted as months are; {} for an index built before
        the source field had a column (run `searchapp reindex`)."""
        if self._sources is None:
            field = self.searcher.schema["source"] if "source" in self.searcher.schema else None
            if field is None or not field.column_type:
                self._sources = [], None
            else:
                names = [_decode_term(value) for value in self.searcher.reader().column_reader("source")]
                labels = sorted(set(names))
                number = {label: n for n, label in enumerate(labels)}
                self._sources = labels, np.array([number[name] for name in names], dtype=np.int64)
        labels, numbers = self._sources
        if numbers is None:
            return {}
        if isinstance(docs, DocSet):
            chosen = numbers[docs.mask[: len(numbers)]]
        else:  # the hits of a search cut short
            chosen = numbers[np.fromiter(docs, dtype=np.int64)]
        counts = np.bincount(chosen, minlength=len(labels))
        # "" is the column's value for an article without a source: no facet value.
        return {labels[n]: int(counts[n]) for n in np.flatnonzero(counts).tolist() if labels[n]}


def _decode_term(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _pinpoint_snippet(text: str, spans: list[tuple[int, int]], chars: int, top: int = 2) -> str | None:
    """Whoosh's PinpointFragmenter over known match positions: no re-analysis of the text."""
    if not spans:
        return None
    longest: dict[int, int] = {}
    for start, end in spans:
        if end > longest.get(start, -1):
            longest[start] = end
    tokens = [Token(text=text[s:e], startchar=s, endchar=e, matched=True) for s, e in sorted(longest.items())]
    fragmenter = PinpointFragmenter(maxchars=chars, surround=60, autotrim=True, charlimit=None)
    fragments = top_fragments(fragmenter.fragment_matches(text, tokens), top, BasicFragmentScorer(), FIRST)
    return MarkFormatter().format(fragments) or None


class _DeadlineCollector(TimeLimitCollector):
    """Whoosh's TimeLimitCollector without its timer thread: starting and cancelling a
    `threading.Timer` cost about a fifth of a short request in the profile; reading the clock
    between two matches costs far less and stops the search at the same point."""

    def __init__(self, child, timelimit: float):
        super().__init__(child, timelimit, use_alarm=False)

    def prepare(self, top_searcher, q, context):
        self.child.prepare(top_searcher, q, context)
        self.timedout = False
        self.deadline = time.monotonic() + self.timelimit

    def collect_matches(self):
        child, deadline, clock = self.child, self.deadline, time.monotonic
        for sub_docnum in child.matches():
            if clock() > deadline:
                self.timedout = True
                raise TimeLimit
            child.collect(sub_docnum)

    def finish(self):
        self.child.finish()
