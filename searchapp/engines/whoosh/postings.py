"""A query's matching documents and their scores, read straight from the posting blocks.

Why by hand: Whoosh answers a query through a tree of matchers that step from document to
document in Python, and through position spans for phrases. At 40k articles that stepping was
most of a request (BENCHMARKS.md): a phrase's documents took 0.5 s to list through Whoosh's span
matchers and as long again to collect, and an And's leapfrogging `skip_to` calls were three
quarters of a 2-3 word query. Here each term's postings are read once per request a whole
block at a time (ids and weights; positions only when a phrase or a snippet asks for them, a
block at a time), the sets of matching documents come from mask algebra on them, and the scores
from Whoosh's own scorer objects (`BM25F.scorer`, its `bm25()` applied to whole arrays), summed
as Whoosh's matchers sum them (And, Or, AndMaybe: sum of the parts that match; a
ConstantScoreQuery: its constant; a phrase: its words' scores in its field). A query this module
does not know returns None from `scores()` and goes through Whoosh's own collection
(tests/test_postings.py checks both against Whoosh on two-segment indexes).

Why numpy: at 160k articles a common word matches 40,000 articles, and Python sets of their
numbers, a dict of their scores and a loop per posting were most of the request (BENCHMARKS.md);
masks over the searcher's documents and arrays of postings do the same work at C speed, with
the same floats (elementwise IEEE operations in the order Whoosh's Python performs them).
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.collectors import TimeLimit
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import BM25FScorer, WeightLengthScorer
from whoosh.searching import Searcher

from .codec import SplitBlockMatcher, field_length_array
from .formats import is_packed, keyed_positions

_NO_IDS = np.zeros(0, dtype=np.int64)


class DocSet:
    """A set of top-level document numbers, held as a mask over the searcher's documents."""

    __slots__ = ("mask",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, mask: np.ndarray):
        self.mask = mask

    @classmethod
    def empty(cls, size: int) -> DocSet:
        return cls(np.zeros(size, dtype=bool))

    @classmethod
    def of(cls, docs: Iterable[int], size: int) -> DocSet:
        found = cls.empty(size)
        found.mask[np.fromiter(docs, dtype=np.int64)] = True
        return found

    def ids(self) -> np.ndarray:
        """The document numbers, increasing."""
        return np.flatnonzero(self.mask)

    def __len__(self) -> int:
        return int(np.count_nonzero(self.mask))

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids().tolist())

    def __contains__(self, doc: object) -> bool:
        return isinstance(doc, (int, np.integer)) and 0 <= doc < len(self.mask) and bool(self.mask[doc])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DocSet):
            return bool(np.array_equal(self.mask, other.mask))
        if isinstance(other, (set, frozenset)):
            return set(self) == other
        return NotImplemented

    def __and__(self, other: DocSet) -> DocSet:
        return DocSet(self.mask & other.mask)

    def __or__(self, other: DocSet) -> DocSet:
        return DocSet(self.mask | other.mask)

    def __sub__(self, other: DocSet) -> DocSet:
        return DocSet(self.mask & ~other.mask)

    def __repr__(self) -> str:
        return f"DocSet({len(self)} of {len(self.mask)})"


def live_docs(searcher: Searcher) -> DocSet:
    """The searcher's documents that are not deleted."""
    return DocSet.of(searcher.reader().all_doc_ids(), searcher.doc_count_all())


@dataclass
class Scores:
    """Each matching document's score: `docs` (top-level numbers, increasing) and `values`."""

    docs: np.ndarray
    values: np.ndarray

    @classmethod
    def none(cls) -> Scores:
        return cls(_NO_IDS, np.zeros(0))

    def __len__(self) -> int:
        return len(self.docs)

    def as_dict(self) -> dict[int, float]:
        return dict(zip(self.docs.tolist(), self.values.tolist()))

    def best(self, count: int) -> list[tuple[float, int]]:
        """The `count` best (score, document number), best first; among equal scores the lower
        document number, as Whoosh orders them."""
        docs, values = self.docs, self.values
        if len(values) > count > 0:
            # The cut-off score by partition first: only what reaches it is sorted.
            cutoff = np.partition(values, len(values) - count)[len(values) - count]
            kept = values >= cutoff
            docs, values = docs[kept], values[kept]
        ranked = sorted(zip((-values).tolist(), docs.tolist()))[:count]
        return [(-negated, doc) for negated, doc in ranked]

    @classmethod
    def joined(cls, docs: list[np.ndarray], values: list[np.ndarray]) -> Scores:
        """Parts over increasing, disjoint ranges of documents (one per segment), end to end."""
        return cls(np.concatenate(docs), np.concatenate(values)) if docs else cls.none()

    def boosted(self, boost: float) -> Scores:
        return self if boost == 1.0 else Scores(self.docs, self.values * boost)


@dataclass
class LeafPostings:
    """One term's postings in one segment; `ids` are the segment's own document numbers,
    deleted ones included (`deleted`: their numbers, empty when the segment has none)."""

    searcher: Searcher
    offset: int
    ids: np.ndarray
    weights: np.ndarray
    deleted: np.ndarray
    values: _Values  # each posting's encoded positions (and characters, in the body)

    def live_ids(self) -> np.ndarray:
        return self.ids if not len(self.deleted) else self.ids[~np.isin(self.ids, self.deleted)]

    def top_level_ids(self) -> np.ndarray:
        return self.ids + self.offset if self.offset else self.ids


def read_postings(searcher: Searcher, fieldname: str, text) -> list[LeafPostings]:
    """The term's postings in every segment of `searcher`: numbers and weights now, each
    block's values when first asked for."""
    leaves = []
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        if (fieldname, text) not in reader:
            continue
        matcher = reader.postings(fieldname, text)
        deleted = _NO_IDS
        if isinstance(matcher, FilterMatcher):  # the segment has deletions
            deleted, matcher = np.fromiter(matcher._ids, dtype=np.int64), matcher.child
        ids, weights, values = _read_all(matcher)
        leaves.append(LeafPostings(subsearcher, offset, np.fromiter(ids, dtype=np.int64, count=len(ids)),
                                   np.fromiter(weights, dtype=np.float64, count=len(weights)), deleted, values))
    return leaves


def _read_all(matcher) -> tuple[list[int], list[float], _Values]:
    if isinstance(matcher, SplitBlockMatcher):  # the values are left unread until asked for
        ids, weights, starts, positions = matcher.read_all()
        return ids, weights, _Values(starts, positions, matcher)
    # A term too rare for a block of its own, inlined in the term index (a ListMatcher).
    ids: list[int] = []
    weights: list[float] = []
    values = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        values.append(matcher.value())
        matcher.next()
    return ids, weights, _Values([0], [values])


class _Values:
    """Posting values by index, a block read (once) when one of its values is first asked for.
    `blocks` holds each block's values, or its position in the postings file for `matcher`."""

    def __init__(self, starts: list[int], blocks: list, matcher=None):
        self._starts = starts
        self._blocks = blocks
        self._matcher = matcher

    def __getitem__(self, i: int) -> bytes:
        block = bisect_right(self._starts, i) - 1
        return self._block(block)[i - self._starts[block]]

    def take(self, indexes: list[int]) -> list[bytes]:
        """The values at `indexes` (increasing), block by block."""
        starts, taken, i = self._starts, [], 0
        while i < len(indexes):
            block = bisect_right(starts, indexes[i]) - 1
            j = bisect_left(indexes, starts[block + 1], i) if block + 1 < len(starts) else len(indexes)
            values, start = self._block(block), starts[block]
            taken.extend([values[k - start] for k in indexes[i:j]])
            i = j
        return taken

    def _block(self, block: int):
        values = self._blocks[block]
        if isinstance(values, int):
            self._matcher._goto(values)
            self._matcher._read_values()
            values = self._blocks[block] = self._matcher._values
        return values


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
        self._phrases: dict[int, tuple[wq.Phrase, list]] = {}

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

    def _phrase_matches(self, phrase: wq.Phrase) -> list[_SegmentPhrase]:
        """The documents where the phrase's words stand in order, each next word 1 to `slop`
        positions after the previous (Whoosh's SpanNear2 with mindist=1), segment by segment,
        with the index of each word's posting in each, for their scores."""
        memo = self._phrases.get(id(phrase))
        if memo is not None and memo[0] is phrase:
            return memo[1]
        matches: list[_SegmentPhrase] = []
        texts = self._phrase_terms(phrase)
        if texts:
            by_term = [self.postings(phrase.fieldname, text) for text in texts]
            field_format = self.searcher.schema[phrase.fieldname].format
            for subsearcher, _offset in self.searcher.leaf_searchers():
                leaves = [next((leaf for leaf in term if leaf.searcher is subsearcher), None) for term in by_term]
                if any(leaf is None for leaf in leaves):
                    continue  # a word missing from this segment
                matches.append(_SegmentPhrase.found(leaves, field_format, phrase.slop))
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
                for i in _indexes_of(leaf, docs):
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
            return self._summed([self._scores(sub, within) for sub in query.subqueries]).boosted(query.boost)
        if type(query) is wq.Or and query.minmatch in (0, None, 1):
            scores = self._summed([self._scores(sub, docs) for sub in query.subqueries]).boosted(query.boost)
            if query.scale and len(query.subqueries) > 1:
                return self._coordinated(query, scores)
            return scores
        if isinstance(query, wq.AndMaybe):
            return self._summed([self._scores(query.a, docs), self._scores(query.b, self._within(query.a, docs))])
        if isinstance(query, wq.AndNot):
            return self._scores(query.a, self._within(query, docs))
        if type(query) is wq.Phrase and self._phrase_supported(query):
            return self._phrase_scores(query, docs).boosted(query.boost)
        if _is_null(query):
            return Scores.none()
        raise _Unsupported(type(query).__name__)

    def _summed(self, parts: list[Scores]) -> Scores:
        """The parts' scores added document by document: the largest part first, then the
        others by decreasing size (the same additions, in the same order, as before numpy)."""
        parts = sorted(parts, key=len, reverse=True)
        if len(parts) < 2:
            return parts[0] if parts else Scores.none()
        total = np.zeros(self.size)
        present = np.zeros(self.size, dtype=bool)
        for part in parts:
            total[part.docs] += part.values
            present[part.docs] = True
        docs = np.flatnonzero(present)
        return Scores(docs, total[docs])

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
        scorer = self._scorer(leaf.searcher, fieldname, text)
        weights = leaf.weights[indexes]
        lengths = self._lengths(leaf, fieldname, leaf.ids[indexes])
        if type(scorer) is not BM25FScorer or lengths is None:
            # Whoosh's own scorer, a posting at a time (a missing or damaged length column,
            # which Whoosh's scorer fails on, or another weighting).
            length = self._length_of(leaf, fieldname)
            return np.array([scorer._score(w, length(doc)) for w, doc in zip(weights.tolist(), leaf.ids[indexes].tolist())],
                            dtype=np.float64)
        # Whoosh's `bm25()` for BM25FScorer._score over whole arrays, with its operations in
        # the same order (so the same floats): a function call per posting was half of a
        # common word's request at 160k articles (BENCHMARKS.md).
        idf, avgfl, b, k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
        norms = k1 * ((1 - b) + b * lengths / avgfl)
        return idf * ((weights * (k1 + 1)) / (weights + norms))

    @staticmethod
    def _lengths(leaf: LeafPostings, fieldname: str, ids: np.ndarray) -> np.ndarray | None:
        """The documents' lengths of the field (segment numbers), or None when the segment
        has no length array or one of them is missing."""
        lengths = field_length_array(leaf.searcher.reader(), fieldname)
        if lengths is None:
            return None
        taken = lengths[ids]
        return None if np.isnan(taken).any() else taken

    @staticmethod
    def _length_of(leaf: LeafPostings, fieldname: str) -> Callable[[int], int]:
        """A document's length of the field in this segment, by its segment document number."""
        reader = leaf.searcher.reader()
        return lambda doc: reader.doc_field_length(doc, fieldname, 1)

    def _scorer(self, subsearcher: Searcher, fieldname: str, text) -> WeightLengthScorer:
        scorer = self.searcher.weighting.scorer(subsearcher, fieldname, text)
        if not isinstance(scorer, WeightLengthScorer) or not hasattr(scorer, "dfl"):
            raise _Unsupported(type(scorer).__name__)
        return scorer


@dataclass
class _SegmentPhrase:
    """A phrase's matches in one segment: its words' postings there (`leaves`), the matching
    documents (segment numbers, increasing) and, for each word, its posting's index in each."""

    leaves: list[LeafPostings]
    docs: np.ndarray
    indexes: list[np.ndarray]

    @classmethod
    def found(cls, leaves: list[LeafPostings], field_format, slop: int) -> _SegmentPhrase:
        candidates = leaves[0].ids
        for leaf in leaves[1:]:
            candidates = _common(candidates, leaf.ids)
        if len(leaves[0].deleted):
            candidates = candidates[~np.isin(candidates, leaves[0].deleted)]
        found = [np.searchsorted(leaf.ids, candidates) for leaf in leaves]  # each word's posting index
        values = [leaf.values.take(indexes.tolist()) for leaf, indexes in zip(leaves, found)]
        matched = _in_sequence_packed([keyed_positions(column, field_format) for column in values], slop)
        return cls(leaves, candidates[matched], [column[matched] for column in found])

    def top_level_docs(self) -> np.ndarray:
        return self.docs + self.leaves[0].offset


class _Unsupported(Exception):
    """A query node `RequestPostings.scores` leaves to Whoosh."""


def _indexes_of(leaf: LeafPostings, docs: list[int]) -> list[int]:
    """The indexes of the leaf's postings of `docs` (top-level numbers), increasing."""
    local = np.array(sorted(docs), dtype=np.int64) - leaf.offset
    at = np.searchsorted(leaf.ids, local)
    found = at < len(leaf.ids)
    at = at[found]
    return at[leaf.ids[at] == local[found]].tolist()


def _in_sequence_packed(keyed: list[np.ndarray], slop: int) -> np.ndarray:
    """The numbers of the candidates where some position of each word follows one of the
    previous word's by 1..slop, for every candidate at once, over `keyed_positions` of each
    word."""
    ends = keyed[0]
    for following in keyed[1:]:
        reachable = ends + 1 if slop == 1 else np.unique(ends[:, None] + np.arange(1, slop + 1))
        ends = _common(reachable, following)
        if not len(ends):
            break
    return np.unique(ends >> 32)


def _common(these: np.ndarray, those: np.ndarray) -> np.ndarray:
    """The numbers in both increasing arrays, by binary search of the longer (np.intersect1d
    sorts both again: a third of a common phrase's request)."""
    if len(these) > len(those):
        these, those = those, these
    at = np.searchsorted(those, these)
    inside = at < len(those)
    return these[inside][those[at[inside]] == these[inside]]


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
