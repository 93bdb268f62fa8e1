"""A query's matching documents and their scores, read straight from the posting blocks.

Why by hand: Whoosh answers a query through a tree of matchers that step from document to
document in Python, and through position spans for phrases. At 40k articles that stepping was
most of a request (BENCHMARKS.md): a phrase's documents took 0.5 s to list through Whoosh's span
matchers and as long again to collect, and an And's leapfrogging `skip_to` calls were three
quarters of a 2-3 word query. Here each term's postings are read once per request a whole
block at a time (ids and weights; positions only when a phrase or a snippet asks for them, a
block at a time), the sets of matching documents come
from set algebra on them, and the scores from Whoosh's own scorer objects (`BM25F.scorer`,
`_score(weight, length)`), summed as Whoosh's matchers sum them (And, Or, AndMaybe: sum of the
parts that match; a ConstantScoreQuery: its constant; a phrase: its words' scores in its field).
A query this module does not know returns None from `scores()` and goes through Whoosh's own
collection (tests/test_postings.py checks both against Whoosh on two-segment indexes).
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.collectors import TimeLimit
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import BM25FScorer, WeightLengthScorer
from whoosh.searching import Searcher

from .codec import SplitBlockMatcher, field_lengths


@dataclass
class LeafPostings:
    """One term's postings in one segment; `ids` are the segment's own document numbers,
    deleted ones included (`deleted`, empty when the segment has none)."""

    searcher: Searcher
    offset: int
    ids: list[int]
    weights: list[float]
    deleted: Container[int]
    values: _Values  # each posting's encoded positions (and characters, in the body)

    def live_ids(self) -> Sequence[int]:
        return self.ids if not self.deleted else [doc for doc in self.ids if doc not in self.deleted]


def read_postings(searcher: Searcher, fieldname: str, text) -> list[LeafPostings]:
    """The term's postings in every segment of `searcher`: numbers and weights now, each
    block's values when first asked for."""
    leaves = []
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        if (fieldname, text) not in reader:
            continue
        matcher = reader.postings(fieldname, text)
        deleted: Container[int] = ()
        if isinstance(matcher, FilterMatcher):  # the segment has deletions
            deleted, matcher = matcher._ids, matcher.child
        ids, weights, values = _read_all(matcher)
        leaves.append(LeafPostings(subsearcher, offset, ids, weights, deleted, values))
    return leaves


def _read_all(matcher) -> tuple[list[int], list[float], _Values]:
    ids: list[int] = []
    weights: list[float] = []
    if not isinstance(matcher, W3LeafMatcher):  # e.g. a one-posting term inlined in the term index
        values = []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            values.append(matcher.value())
            matcher.next()
        return ids, weights, _Values([0], [values])
    # Whoosh's block reader, a block at a time: ids are stored as gaps, summed here by
    # itertools.accumulate (Whoosh's _read_ids does it with a Python generator). A split block
    # (codec.SplitBlockCodec) leaves its values unread; Whoosh's own has them unpickled already.
    split = isinstance(matcher, SplitBlockMatcher)
    starts, blocks = [], []
    position = matcher._baseoffset
    while matcher.is_active():
        matcher._read_data()
        matcher._read_weights()
        starts.append(len(ids))
        block_ids = matcher._data[0]
        ids.extend(block_ids if matcher._byteids else accumulate(block_ids))
        weights.extend(matcher._weights)
        if split:
            blocks.append(position)
        else:
            matcher._read_values()
            blocks.append(matcher._values)
        position = matcher._nextoffset
        matcher._next_block()
    return ids, weights, _Values(starts, blocks, matcher if split else None)


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

    def __init__(self, searcher: Searcher, live: Callable[[], frozenset[int]], deadline: float | None = None):
        self.searcher = searcher
        self.live = live
        self.deadline = deadline
        self._postings: dict[tuple, list[LeafPostings]] = {}
        self._docs: dict[int, tuple[wq.Query, frozenset[int] | set[int]]] = {}
        self._phrases: dict[int, tuple[wq.Phrase, dict]] = {}

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

    def docs(self, query: wq.Query):
        """The document numbers that match `query` (a set). Raises TimeLimit past the deadline."""
        memo = self._docs.get(id(query))
        if memo is not None and memo[0] is query:
            return memo[1]
        self._check_time()
        docs = self._find_docs(query)
        self._docs[id(query)] = (query, docs)
        return docs

    def _find_docs(self, query: wq.Query):
        if isinstance(query, wq.Term):
            text = _term_bytes(self.searcher, query)
            if text is None:
                return frozenset()
            docs: set[int] = set()
            for leaf in self.postings(query.fieldname, text):
                live = leaf.live_ids()
                docs.update(map(leaf.offset.__add__, live) if leaf.offset else live)
            return docs
        if isinstance(query, wq.Every):
            return self.live()
        if _is_null(query):
            return frozenset()
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
            sets = sorted((self.docs(q) for q in query.subqueries), key=len)
            if not sets:
                return frozenset()
            result = set(sets[0])
            for other in sets[1:]:
                result &= other
            return result
        if type(query) in (wq.Or, wq.DisjunctionMax) and getattr(query, "minmatch", 0) in (0, None, 1):
            result = set()
            for sub in query.subqueries:
                result |= self.docs(sub)
            return result
        if type(query) is wq.Phrase and self._phrase_supported(query):
            return frozenset(doc for segment in self._phrase_matches(query) for doc in segment.top_level_docs())
        return set(query.docs(self.searcher))  # ranges and the rest: Whoosh's own way

    def _phrase_supported(self, phrase: wq.Phrase) -> bool:
        schema = self.searcher.schema
        if phrase.fieldname not in schema:
            return False
        field_format = schema[phrase.fieldname].format
        return field_format is not None and field_format.supports("positions")

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
            decode = self.searcher.schema[phrase.fieldname].format.decoder("positions")
            for subsearcher, _offset in self.searcher.leaf_searchers():
                leaves = [next((leaf for leaf in term if leaf.searcher is subsearcher), None) for term in by_term]
                if any(leaf is None for leaf in leaves):
                    continue  # a word missing from this segment
                matches.append(_SegmentPhrase.found(leaves, decode, phrase.slop))
                self._check_time()
        self._phrases[id(phrase)] = (phrase, matches)
        return matches

    def _phrase_terms(self, phrase: wq.Phrase) -> list | None:
        """The phrase's words as index terms, or None when one of them cannot be one."""
        texts = [_to_bytes(self.searcher, phrase.fieldname, word) for word in phrase.words]
        return texts if texts and all(text is not None for text in texts) else None

    def characters(self, fieldname: str, texts, docs: list[int]) -> dict[int, list[tuple[int, int]]]:
        """(start, end) of each occurrence of the terms `texts` in each of `docs` (top-level
        document numbers), from the postings' stored characters."""
        decode = self.searcher.schema[fieldname].format.decoder("characters")
        chars: dict[int, list[tuple[int, int]]] = {doc: [] for doc in docs}
        for text in texts:
            for leaf in self.postings(fieldname, text, timed=False):  # for the hits already found
                for i in _indexes_within(leaf, chars):
                    chars[leaf.offset + leaf.ids[i]].extend((start, end) for _pos, start, end in decode(leaf.values[i]))
        return chars

    # -- how well they match

    def scores(self, query: wq.Query, docs) -> dict[int, float] | None:
        """Whoosh's score of each document of `docs` that matches `query`, or None when the
        query holds a kind of node this module does not score."""
        try:
            return self._scores(query, docs)
        except _Unsupported:
            return None

    def _scores(self, query: wq.Query, docs) -> dict[int, float]:
        # Boosts as Whoosh applies them: a term's, a phrase's and an And's or Or's multiply
        # their scores; AndMaybe, AndNot and ConstantScoreQuery have none.
        self._check_time()
        if isinstance(query, wq.Term):
            text = _term_bytes(self.searcher, query)
            leaves = self.postings(query.fieldname, text) if text is not None else []
            return _boosted(self._term_scores(query.fieldname, text, leaves, docs), query.boost)
        if isinstance(query, wq.ConstantScoreQuery):
            score = query.score
            return {doc: score for doc in self._within(query.child, docs)}
        if type(query) is wq.And:
            within = self._within(query, docs)
            return _boosted(_summed(self._scores(sub, within) for sub in query.subqueries), query.boost)
        if type(query) is wq.Or and query.minmatch in (0, None, 1):
            scores = _boosted(_summed(self._scores(sub, docs) for sub in query.subqueries), query.boost)
            if query.scale and len(query.subqueries) > 1:
                return self._coordinated(query, scores)
            return scores
        if isinstance(query, wq.AndMaybe):
            return _summed([self._scores(query.a, docs), self._scores(query.b, self._within(query.a, docs))])
        if isinstance(query, wq.AndNot):
            return self._scores(query.a, self._within(query, docs))
        if type(query) is wq.Phrase and self._phrase_supported(query):
            return _boosted(self._phrase_scores(query, docs), query.boost)
        if _is_null(query):
            return {}
        raise _Unsupported(type(query).__name__)

    def _coordinated(self, query: wq.Or, scores: dict[int, float]) -> dict[int, float]:
        """Whoosh's CoordMatcher: an Or with a `scale` rescales each score by how many of its
        terms (one per field) the document has, out of those its segment has (V-Twin's SQR)."""
        terms = [node for node in query.leaves() if not _is_null(node)]
        if not all(type(node) is wq.Term for node in terms):
            raise _Unsupported("coordination over other than terms")
        matching: dict[int, int] = dict.fromkeys(scores, 0)
        in_segment: dict[int, int] = {}  # segment offset -> how many of the terms it has
        for term in terms:
            text = _term_bytes(self.searcher, term)
            for leaf in self.postings(term.fieldname, text) if text is not None else []:
                in_segment[leaf.offset] = in_segment.get(leaf.offset, 0) + 1
                for i in _indexes_within(leaf, matching):
                    matching[leaf.offset + leaf.ids[i]] += 1
        offsets = sorted(in_segment)
        scale = query.scale
        coordinated = {}
        for doc, score in scores.items():
            termcount = in_segment[offsets[bisect_right(offsets, doc) - 1]]
            if termcount in (0, scale):
                coordinated[doc] = 0
            else:
                coordinated[doc] = (score + (matching[doc] - 1) / (termcount - scale) ** 2) * ((termcount - 1) / termcount)
        return coordinated

    def _within(self, query: wq.Query, docs):
        """The documents of `docs` that match `query`."""
        matching = self.docs(query)
        return docs if matching is docs else matching & docs

    def _term_scores(self, fieldname: str, text, leaves: list[LeafPostings], docs) -> dict[int, float]:
        scores: dict[int, float] = {}
        for leaf in leaves:
            indexes = _indexes_within(leaf, docs)
            found = [leaf.offset + leaf.ids[i] for i in indexes] if leaf.offset else [leaf.ids[i] for i in indexes]
            scores.update(zip(found, self._posting_scores(leaf, fieldname, text, indexes)))
        return scores

    def _phrase_scores(self, phrase: wq.Phrase, docs) -> dict[int, float]:
        # Whoosh scores a phrase as the intersection of its words: the sum of their scores,
        # added word after word.
        texts = self._phrase_terms(phrase)
        scores: dict[int, float] = {}
        for segment in self._phrase_matches(phrase):
            totals = [0.0] * len(segment.docs)
            for leaf, text, indexes in zip(segment.leaves, texts, segment.indexes):
                word_scores = self._posting_scores(leaf, phrase.fieldname, text, indexes)
                totals = [total + score for total, score in zip(totals, word_scores)]
            scores.update((doc, total) for doc, total in zip(segment.top_level_docs(), totals) if doc in docs)
        return scores

    def _posting_scores(self, leaf: LeafPostings, fieldname: str, text, indexes: list[int]) -> list[float]:
        """The scores Whoosh's scorer gives the term's postings at `indexes` in this segment."""
        scorer = self._scorer(leaf.searcher, fieldname, text)
        weights = [leaf.weights[i] for i in indexes]
        lengths = list(map(self._length_of(leaf, fieldname), [leaf.ids[i] for i in indexes]))
        if type(scorer) is not BM25FScorer or None in lengths:  # None: a damaged length column,
            return list(map(scorer._score, weights, lengths))  # which Whoosh's scorer fails on
        # Whoosh's `bm25()` for BM25FScorer._score, inlined with its operations in the same order
        # (so the same floats): a function call per posting was half of a common word's request
        # at 160k articles (BENCHMARKS.md). A length's part of the denominator is computed once
        # per distinct length (Whoosh stores lengths as one of 256 byte values).
        idf, avgfl, b, k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
        k1_plus_1, one_minus_b = k1 + 1, 1 - b
        norms = {length: k1 * (one_minus_b + b * length / avgfl) for length in set(lengths)}
        return [idf * ((tf * k1_plus_1) / (tf + norms[length])) for tf, length in zip(weights, lengths)]

    @staticmethod
    def _length_of(leaf: LeafPostings, fieldname: str) -> Callable[[int], int]:
        """A document's length of the field in this segment, by its segment document number."""
        reader = leaf.searcher.reader()
        lengths = field_lengths(reader, fieldname)
        if lengths is None:  # a segment written by another codec: Whoosh's way
            return lambda doc: reader.doc_field_length(doc, fieldname, 1)
        return lengths.__getitem__

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
    docs: list[int]
    indexes: list[list[int]]

    @classmethod
    def found(cls, leaves: list[LeafPostings], decode: Callable[[bytes], list[int]], slop: int) -> _SegmentPhrase:
        where = [{doc: i for i, doc in enumerate(leaf.ids)} for leaf in leaves]
        candidates = sorted(set(where[0]).intersection(*where[1:]).difference(leaves[0].deleted))
        found = [list(map(w.__getitem__, candidates)) for w in where]  # each word's posting index
        values = [leaf.values.take(indexes) for leaf, indexes in zip(leaves, found)]
        matched = [k for k, value in enumerate(zip(*values)) if _in_sequence(list(map(decode, value)), slop)]
        return cls(leaves, [candidates[k] for k in matched], [[column[k] for k in matched] for column in found])

    def top_level_docs(self) -> Iterator[int]:
        offset = self.leaves[0].offset
        return (offset + doc for doc in self.docs)


class _Unsupported(Exception):
    """A query node `RequestPostings.scores` leaves to Whoosh."""


def _summed(parts) -> dict[int, float]:
    parts = sorted(parts, key=len, reverse=True)
    if not parts:
        return {}
    total = dict(parts[0])  # the largest part copied at C speed; the others added to it
    for part in parts[1:]:
        for doc, score in part.items():
            total[doc] = total.get(doc, 0.0) + score
    return total


def _boosted(scores: dict[int, float], boost: float) -> dict[int, float]:
    if boost == 1.0:
        return scores
    return {doc: score * boost for doc, score in scores.items()}


def _indexes_within(leaf: LeafPostings, docs) -> list[int]:
    """The indexes of the leaf's postings whose documents are in `docs`: looked up one by one
    when `docs` is much shorter than the posting list (a rare word And a common one), else by
    walking the list."""
    ids, offset = leaf.ids, leaf.offset
    if len(docs) * 16 < len(ids):
        found = []
        for doc in sorted(docs):
            i = bisect_left(ids, doc - offset)
            if i < len(ids) and ids[i] == doc - offset:
                found.append(i)
        return found
    return [i for i, doc in enumerate(ids) if offset + doc in docs]


def _in_sequence(positions: list[list[int]], slop: int) -> bool:
    """Whether some position of each word follows one of the previous word's by 1..slop."""
    ends = positions[0]
    for following in positions[1:]:
        if slop == 1:  # a plain phrase: the next position, at C speed
            reachable = set(map((1).__add__, ends))
        else:
            reachable = {end + gap for end in ends for gap in range(1, slop + 1)}
        ends = reachable.intersection(following)
        if not ends:
            return False
    return True


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
