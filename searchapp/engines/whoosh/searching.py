"""One run of a search on a Whoosh searcher: parse, collect hits and facets, build snippets and
a suggestion. `Search.run()` reads as the page of what a search does."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
from whoosh import query as wq
from whoosh.collectors import TimeLimit
from whoosh.searching import Results, Searcher

from ... import romanian, written_forms
from ...config import setting
from ...params import UNDATED, SearchParams
from ...query import OPERATORS, PARENS, is_plain_words, normalize_query, only_stop_words
from ...results import (
    Expansion,
    Facets,
    FacetValue,
    Hit,
    Notice,
    OtherReading,
    SearchResult,
    article_url,
)
from . import marks, readings, synonyms
from .known_matches import KnownMatches
from .postings import RequestPostings
from .queries import (
    bounded_prefixes,
    date_filter,
    is_exact_clause,
    negated_leaves,
    only_in_field,
    sort_facet,
)
from .rerank import reranked
from .searcher_data import SearcherData, decode_term
from .snippets import lead, marked_title, pinpoint_snippet
from .spelling import correction
from .workarounds import DeadlineCollector, filtered_by

if TYPE_CHECKING:
    from .archive import Archive


class Search:
    """One run of a search: parse, collect hits and facets, build snippets and a suggestion."""

    def __init__(self, archive: Archive, searcher: Searcher, params: SearchParams, data: SearcherData | None = None,
                 deadline: float | None = None):
        self.archive = archive
        self.searcher = searcher
        self.data = data or SearcherData(searcher)
        self.params = params
        self.notices: list[Notice] = []
        self.expanded: list[Expansion] = []
        self.partial = False
        self.other_readings: list[OtherReading] = []
        self.tiers: list[wq.Query] = []  # the written-form clauses of the query in force
        # One budget for the whole request (counting, collecting, a correction's second search):
        # the time.monotonic() by which it must be done.
        self.deadline = time.monotonic() + setting("search_time_limit") if deadline is None else deadline
        self.postings = RequestPostings(searcher, self.data.live, self.deadline)
        self._collected = None
        self.collect_at_least = 0  # Archive.ranked: collect this many hits, whatever the page
        self.hits_results = None

    def run(self) -> SearchResult:
        params = self.params
        text, self.notices = normalize_query(params.q)
        common = only_stop_words(text)
        if common:
            self.notices.append(Notice("only_stop_words", (" ".join(common),)))
        relaxed = False
        query = self._query(text, relaxed=False)
        hits_results = self._collect(query, with_facet_selection=True)
        found = len(self._matched(query, with_facet_selection=True))
        relax_below = max(1, int(setting("relax_below"))) if params.sort == "relevance" else 1
        if found < relax_below and is_plain_words(text) and self._has_several_words(query):
            relaxed_query = self._query(PARENS.sub(" ", text), relaxed=True)
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
        if setting("synonyms") and self.params.synonyms:  # abbreviations and name variants, in every form
            text, expansions = synonyms.current().expand(text)
            self.expanded = expansions
        parsed = synonyms.typed_first(self.archive.parse(text, relaxed=relaxed), expansions, relaxed)
        if self.params.in_field:
            parsed = only_in_field(parsed, self.params.in_field)
        # `max_prefix_terms` is the budget of the whole query, shared by its prefixes (and their
        # fields): eight two-letter prefixes expanded to 200 terms each took 7 s on 2,000
        # articles (bench/load.py --worst-queries, RELIABILITY.md).
        prefixes = sum(1 for node in parsed.leaves() if isinstance(node, (wq.Prefix, wq.Wildcard)))
        cap = max(1, setting("max_prefix_terms") // max(1, prefixes))
        reader = self.searcher.reader()
        bounded = parsed.accept(lambda node: bounded_prefixes(node, reader, cap))
        negated = {(getattr(n, "fieldname", None), getattr(n, "text", None)) for n in negated_leaves(bounded)}
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
        if not is_exact_clause(node) or not isinstance(node, wq.ConstantScoreQuery):
            return node
        typed = str(node.child.text).split(romanian.FORM_SEPARATOR, 1)[-1]
        forms, other = readings.preferred(reader, typed)
        wanted = (node.child.fieldname, node.child.text) not in negated
        if wanted and other and all(o.word != other.word for o in self.other_readings):
            self.other_readings.append(other)
        if not forms:
            return wq.NullQuery
        terms = [wq.Term("exact", romanian.form_term(form)) for form in forms]
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
        sortedby = sort_facet("newest" if isinstance(query, wq.Every) and params.sort == "relevance" else params.sort)
        collector = self.searcher.collector(
            limit=limit,
            sortedby=sortedby,
        )
        # Filters go into the query (see workarounds.filtered_by), not into the collector: Whoosh's
        # TimeLimitCollector bypasses a wrapped FilterCollector's checks.
        timed = DeadlineCollector(collector, self.deadline)
        narrowed = self._filtered_query(query, with_facet_selection)
        try:
            self.searcher.search_with_collector(self._driven(narrowed, query, with_facet_selection), timed)
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
            self.notices.append(Notice("partial"))

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
            memo[key] = (query, filtered_by(query, date_filter(self.params, with_facet_selection, with_sources)))
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
        return frozenset(decode_term(text) for _f, text in terms)

    def _marked_title(self, title: str) -> str:
        return marked_title(title, self._title_words, self.searcher.schema["title"].analyzer)

    def _body_chars(self, query: wq.Query, docnums: list[int]) -> dict[int, list[tuple[int, int]]]:
        """(start, end) of the query's matches in each hit's body, from the postings."""
        return marks.spans(self.postings, query, docnums)

    def _snippet(self, hit, text: str) -> str:
        snippet = pinpoint_snippet(text, self._chars.get(hit.docnum, []), setting("snippet_chars"))
        if snippet:
            return snippet
        return lead(text, setting("snippet_chars"))

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
            if not (is_prefix or word in OPERATORS or word.isdigit() or romanian.is_stop_word(word)):
                yield word


def _as_typed_case(typed: str, form: str) -> str:
    """A correction in the case the word was typed in where that says more than the articles'
    usual form: `Cluj` stays capitalised, `iohannis` becomes `Iohannis` (a name)."""
    if typed[:1].isupper() and form[:1].islower():
        return form[:1].upper() + form[1:]
    return form


