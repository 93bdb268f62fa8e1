"""A query's matching documents and their scores, read straight from the posting blocks.

Why by hand: Whoosh answers a query through a tree of matchers that step from document to
document in Python, and through position spans for phrases. At 40k articles that stepping was
most of a request (BENCHMARKS.md): a phrase's documents took 0.5 s to list through Whoosh's span
matchers and as long again to collect, and an And's leapfrogging `skip_to` calls were three
quarters of a 2-3 word query. Here each term's postings are read once per request a whole
block at a time (ids and weights; positions only when a phrase or a snippet asks for them, a
block at a time: posting_blocks.py), the sets of matching documents come from mask algebra on
them (docsets.py; phrases.py for a phrase's positions), and the scores from Whoosh's own scorer
objects (`BM25F.scorer`, its `bm25()` applied to whole arrays: scores.py), summed as Whoosh's
matchers sum them (And, Or, AndMaybe: sum of the parts that match; a ConstantScoreQuery: its
constant; a phrase: its words' scores in its field). A query this module does not know returns
None from `scores()` and goes through Whoosh's own collection (tests/test_postings.py checks
both against Whoosh on two-segment indexes).

`RequestPostings` ties those modules together for one request: it walks the query tree,
reads each term once, and keeps each node's documents for the nodes that ask again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from whoosh import query as wq
from whoosh.collectors import TimeLimit
from whoosh.scoring import WeightLengthScorer
from whoosh.searching import Searcher

from .docsets import DocSet
from .formats import is_packed
from .phrases import SegmentPhrase
from .posting_blocks import LeafPostings, read_postings
from .scores import Scores, posting_scores


class RequestPostings:
    """The postings one request reads, each term read once; the matching documents of a query
    (top-level document numbers) and their scores."""

    def __init__(self, searcher: Searcher, live: Callable[[], DocSet], deadline: float | None = None):
        self.searcher = searcher
        self.live = live
        self.deadline = deadline
        self.size = searcher.doc_count_all()
        self._postings: dict[tuple, list[LeafPostings]] = {}
        self._docs: dict[int, tuple[wq.Query, DocSet]] = {}
        self._phrases: dict[int, tuple[wq.Phrase, list[SegmentPhrase]]] = {}

    def postings(self, fieldname: str, text, timed: bool = True) -> list[LeafPostings]:
        """The term's postings, read once per request; TimeLimit past the deadline if `timed`."""
        leaves = self._postings.get((fieldname, text))
        if leaves is None:
            if timed:
                self._check_time()
            leaves = self._postings[fieldname, text] = read_postings(self.searcher, fieldname, text)
        return leaves

    def _check_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TimeLimit

    # -- which documents match

    def docs(self, query: wq.Query) -> DocSet:
        """The documents that match `query`. Raises TimeLimit past the deadline."""
        memo = self._docs.get(id(query))
        if memo is not None and memo[0] is query:
            return memo[1]
        self._check_time()
        docs = self._find_docs(query)
        self._docs[id(query)] = (query, docs)
        return docs

    def _find_docs(self, query: wq.Query) -> DocSet:
        if isinstance(query, wq.Term):
            found = DocSet.empty(self.size)
            text = _term_bytes(self.searcher, query)
            for leaf in self.postings(query.fieldname, text) if text is not None else []:
                found.mask[leaf.live_ids() + leaf.offset] = True
            return found
        if isinstance(query, wq.Every):
            return self.live()
        if _is_null(query):
            return DocSet.empty(self.size)
        if isinstance(query, wq.ConstantScoreQuery):
            return self.docs(query.child)
        if isinstance(query, wq.Not):
            return self.live() - self.docs(query.query)
        if isinstance(query, wq.AndMaybe):
            return self.docs(query.a)
        if isinstance(query, wq.AndNot):
            return self.docs(query.a) - self.docs(query.b)
        if isinstance(query, wq.Require):
            return self.docs(query.a) & self.docs(query.b)
        if type(query) is wq.And:
            parts = [self.docs(q) for q in query.subqueries]
            return DocSet(np.logical_and.reduce([p.mask for p in parts])) if parts else DocSet.empty(self.size)
        if type(query) in (wq.Or, wq.DisjunctionMax) and getattr(query, "minmatch", 0) in (0, None, 1):
            parts = [self.docs(q) for q in query.subqueries]
            return DocSet(np.logical_or.reduce([p.mask for p in parts])) if parts else DocSet.empty(self.size)
        if type(query) is wq.Phrase and self._phrase_supported(query):
            found = DocSet.empty(self.size)
            for segment in self._phrase_matches(query):
                found.mask[segment.top_level_docs()] = True
            return found
        return DocSet.of(query.docs(self.searcher), self.size)  # ranges and the rest: Whoosh's own way

    def _phrase_supported(self, phrase: wq.Phrase) -> bool:
        schema = self.searcher.schema
        if phrase.fieldname not in schema:
            return False
        # The title and body store packed positions (formats.py); a phrase in another field
        # (none of the schema's) is left to Whoosh.
        return is_packed(schema[phrase.fieldname].format)

    def _phrase_matches(self, phrase: wq.Phrase) -> list[SegmentPhrase]:
        """The documents where the phrase's words stand in order, each next word 1 to `slop`
        positions after the previous (Whoosh's SpanNear2 with mindist=1), segment by segment,
        with the index of each word's posting in each, for their scores."""
        memo = self._phrases.get(id(phrase))
        if memo is not None and memo[0] is phrase:
            return memo[1]
        matches: list[SegmentPhrase] = []
        texts = self._phrase_terms(phrase)
        if texts:
            by_term = [self.postings(phrase.fieldname, text) for text in texts]
            field_format = self.searcher.schema[phrase.fieldname].format
            for subsearcher, _offset in self.searcher.leaf_searchers():
                leaves = [next((leaf for leaf in term if leaf.searcher is subsearcher), None) for term in by_term]
                if any(leaf is None for leaf in leaves):
                    continue  # a word missing from this segment
                matches.append(SegmentPhrase.found(leaves, field_format, phrase.slop))
                self._check_time()
        self._phrases[id(phrase)] = (phrase, matches)
        return matches

    def _phrase_terms(self, phrase: wq.Phrase) -> list | None:
        """The phrase's words as index terms, or None when one of them cannot be one."""
        texts = [_to_bytes(self.searcher, phrase.fieldname, word) for word in phrase.words]
        return texts if texts and all(text is not None for text in texts) else None

    def occurrences(self, fieldname: str, texts, docs: list[int]) -> dict[int, dict[str, list[tuple[int, int, int]]]]:
        """(position, start, end) of each occurrence of each of the terms `texts` in each of
        `docs`, by document and term, from the postings' stored positions and characters."""
        decode = self.searcher.schema[fieldname].format.decoder("characters")
        found: dict[int, dict[str, list[tuple[int, int, int]]]] = {doc: {} for doc in docs}
        for text in texts:
            for leaf in self.postings(fieldname, text, timed=False):  # for the hits already found
                for i in leaf.indexes_of(docs):
                    found[leaf.offset + int(leaf.ids[i])].setdefault(text, []).extend(decode(leaf.values[i]))
        return found

    # -- how well they match

    def scores(self, query: wq.Query, docs: DocSet) -> Scores | None:
        """Whoosh's score of each document of `docs` that matches `query`, or None when the
        query holds a kind of node this module does not score."""
        try:
            return self._scores(query, docs)
        except _Unsupported:
            return None

    def _scores(self, query: wq.Query, docs: DocSet) -> Scores:
        # Boosts as Whoosh applies them: a term's, a phrase's and an And's or Or's multiply
        # their scores; AndMaybe, AndNot and ConstantScoreQuery have none.
        self._check_time()
        if isinstance(query, wq.Term):
            text = _term_bytes(self.searcher, query)
            leaves = self.postings(query.fieldname, text) if text is not None else []
            return self._term_scores(query.fieldname, text, leaves, docs).boosted(query.boost)
        if isinstance(query, wq.ConstantScoreQuery):
            within = self._within(query.child, docs).ids()
            return Scores(within, np.full(len(within), query.score, dtype=np.float64))
        if type(query) is wq.And:
            within = self._within(query, docs)
            return Scores.summed([self._scores(sub, within) for sub in query.subqueries], self.size).boosted(query.boost)
        if type(query) is wq.Or and query.minmatch in (0, None, 1):
            scores = Scores.summed([self._scores(sub, docs) for sub in query.subqueries], self.size).boosted(query.boost)
            if query.scale and len(query.subqueries) > 1:
                return self._coordinated(query, scores)
            return scores
        if isinstance(query, wq.AndMaybe):
            return Scores.summed([self._scores(query.a, docs), self._scores(query.b, self._within(query.a, docs))], self.size)
        if isinstance(query, wq.AndNot):
            return self._scores(query.a, self._within(query, docs))
        if type(query) is wq.Phrase and self._phrase_supported(query):
            return self._phrase_scores(query, docs).boosted(query.boost)
        if _is_null(query):
            return Scores.none()
        raise _Unsupported(type(query).__name__)

    def _coordinated(self, query: wq.Or, scores: Scores) -> Scores:
        """Whoosh's CoordMatcher (V-Twin's SQR): an Or with a `scale` rescales each score by
        how many of its terms (one per field) the document has, out of the terms the index
        has. Whoosh counts the terms of the document's segment instead, so an article's score
        depended on which articles shared its segment (XQuAD-ro's passages in one segment and
        in two: other scores in the top ten of 790 of its 1,190 questions; QUALITY.md). Counted
        over the whole index, a document scores as it would in an index of one segment."""
        terms = [node for node in query.leaves() if not _is_null(node)]
        if not all(type(node) is wq.Term for node in terms):
            raise _Unsupported("coordination over other than terms")
        matching = np.zeros(self.size, dtype=np.int64)
        termcount = 0  # the query's terms that the index has
        for term in terms:
            text = _term_bytes(self.searcher, term)
            leaves = self.postings(term.fieldname, text) if text is not None else []
            termcount += bool(leaves)
            for leaf in leaves:
                matching[leaf.top_level_ids()] += 1
        scale = query.scale
        if not len(scores):
            return scores
        if termcount == scale:  # Whoosh's guard against dividing by zero
            return Scores(scores.docs, np.zeros(len(scores)))
        rescaled = (scores.values + (matching[scores.docs] - 1) / (termcount - scale) ** 2) * ((termcount - 1) / termcount)
        return Scores(scores.docs, rescaled)

    def _within(self, query: wq.Query, docs: DocSet) -> DocSet:
        """The documents of `docs` that match `query`."""
        matching = self.docs(query)
        return docs if matching is docs else matching & docs

    def _term_scores(self, fieldname: str, text, leaves: list[LeafPostings], docs: DocSet) -> Scores:
        found, scores = [], []
        for leaf in leaves:
            top_level = leaf.top_level_ids()
            indexes = np.flatnonzero(docs.mask[top_level])
            found.append(top_level[indexes])
            scores.append(self._posting_scores(leaf, fieldname, text, indexes))
        return Scores.joined(found, scores)

    def _phrase_scores(self, phrase: wq.Phrase, docs: DocSet) -> Scores:
        # Whoosh scores a phrase as the intersection of its words: the sum of their scores,
        # added word after word.
        texts = self._phrase_terms(phrase)
        found, scores = [], []
        for segment in self._phrase_matches(phrase):
            totals = np.zeros(len(segment.docs))
            for leaf, text, indexes in zip(segment.leaves, texts, segment.indexes):
                totals = totals + self._posting_scores(leaf, phrase.fieldname, text, indexes)
            top_level = segment.top_level_docs()
            kept = docs.mask[top_level]
            found.append(top_level[kept])
            scores.append(totals[kept])
        return Scores.joined(found, scores)

    def _posting_scores(self, leaf: LeafPostings, fieldname: str, text, indexes: np.ndarray) -> np.ndarray:
        """The scores Whoosh's scorer gives the term's postings at `indexes` in this segment."""
        return posting_scores(self._scorer(leaf.searcher, fieldname, text), leaf, fieldname, indexes)

    def _scorer(self, subsearcher: Searcher, fieldname: str, text) -> WeightLengthScorer:
        scorer = self.searcher.weighting.scorer(subsearcher, fieldname, text)
        if not isinstance(scorer, WeightLengthScorer) or not hasattr(scorer, "dfl"):
            raise _Unsupported(type(scorer).__name__)
        return scorer


class _Unsupported(Exception):
    """A query node `RequestPostings.scores` leaves to Whoosh."""


def _is_null(query: wq.Query) -> bool:
    return isinstance(query, type(wq.NullQuery))


def _term_bytes(searcher: Searcher, term: wq.Term):
    return _to_bytes(searcher, term.fieldname, term.text)


def _to_bytes(searcher: Searcher, fieldname: str, text):
    if fieldname not in searcher.schema:
        return None
    try:
        return searcher.schema[fieldname].to_bytes(text)
    except ValueError:
        return None
