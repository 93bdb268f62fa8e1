"""A query's scores as arrays: Whoosh's BM25 applied to whole posting arrays, and the sums,
boosts and rankings of the scores of a query's parts.

Why: at 160k articles a function call per posting was half of a common word's request
(BENCHMARKS.md). `posting_scores` is Whoosh's
`bm25()` (`BM25FScorer._score`) over arrays of weights and field lengths, its operations in the
same order, so the floats are Whoosh's own (tests/test_postings.py compares them); another
scorer, or a segment whose lengths cannot be read as an array, gets Whoosh's scorer a posting
at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from whoosh.scoring import BM25FScorer, WeightLengthScorer

from .codec import field_length_array
from .posting_blocks import NO_IDS, LeafPostings


@dataclass
class Scores:
    """Each matching document's score: `docs` (top-level numbers, increasing) and `values`."""

    docs: np.ndarray
    values: np.ndarray

    @classmethod
    def none(cls) -> Scores:
        return cls(NO_IDS, np.zeros(0))

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

    @classmethod
    def summed(cls, parts: list[Scores], size: int) -> Scores:
        """The parts' scores added document by document (numbers below `size`): the largest
        part first, then the others by decreasing size (the same additions, in the same order,
        as before numpy)."""
        parts = sorted(parts, key=len, reverse=True)
        if len(parts) < 2:
            return parts[0] if parts else cls.none()
        total = np.zeros(size)
        present = np.zeros(size, dtype=bool)
        for part in parts:
            total[part.docs] += part.values
            present[part.docs] = True
        docs = np.flatnonzero(present)
        return cls(docs, total[docs])

    def boosted(self, boost: float) -> Scores:
        return self if boost == 1.0 else Scores(self.docs, self.values * boost)


def posting_scores(scorer: WeightLengthScorer, leaf: LeafPostings, fieldname: str, indexes: np.ndarray) -> np.ndarray:
    """The scores `scorer` (Whoosh's, for the leaf's term and segment) gives the leaf's
    postings at `indexes`."""
    weights = leaf.weights[indexes]
    lengths = _lengths(leaf, fieldname, leaf.ids[indexes])
    if type(scorer) is not BM25FScorer or lengths is None:
        # Whoosh's own scorer, a posting at a time (a missing or damaged length column,
        # which Whoosh's scorer fails on, or another weighting).
        length = length_of(leaf, fieldname)
        return np.array([scorer._score(w, length(doc)) for w, doc in zip(weights.tolist(), leaf.ids[indexes].tolist())],
                        dtype=np.float64)
    # Whoosh's `bm25()` for BM25FScorer._score over whole arrays, with its operations in
    # the same order (so the same floats).
    idf, avgfl, b, k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
    norms = k1 * ((1 - b) + b * lengths / avgfl)
    return idf * ((weights * (k1 + 1)) / (weights + norms))


def _lengths(leaf: LeafPostings, fieldname: str, ids: np.ndarray) -> np.ndarray | None:
    """The documents' lengths of the field (segment numbers), or None when the segment
    has no length array or one of them is missing."""
    lengths = field_length_array(leaf.searcher.reader(), fieldname)
    if lengths is None:
        return None
    taken = lengths[ids]
    return None if np.isnan(taken).any() else taken


def length_of(leaf: LeafPostings, fieldname: str) -> Callable[[int], int]:
    """A document's length of the field in the leaf's segment, by its segment document number."""
    reader = leaf.searcher.reader()
    return lambda doc: reader.doc_field_length(doc, fieldname, 1)
