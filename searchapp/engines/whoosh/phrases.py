"""A phrase's matches from its words' packed positions, every candidate document at once.

Why: Whoosh lists a phrase's documents through position span matchers, a document and a
position at a time; at 40k articles a phrase's documents took 0.5 s to list that way and as
long again to collect (BENCHMARKS.md). Here the candidates are the documents that have every word (a binary search of
one posting array in another), and all their positions are checked together: each word's
positions keyed by candidate (formats.keyed_positions), and each next word's looked up among
the previous word's plus 1..slop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .formats import keyed_positions
from .posting_blocks import LeafPostings


@dataclass
class SegmentPhrase:
    """A phrase's matches in one segment: its words' postings there (`leaves`), the matching
    documents (segment numbers, increasing) and, for each word, its posting's index in each."""

    leaves: list[LeafPostings]
    docs: np.ndarray
    indexes: list[np.ndarray]

    @classmethod
    def found(cls, leaves: list[LeafPostings], field_format, slop: int) -> SegmentPhrase:
        """The documents where the words stand in order, each next word 1 to `slop` positions
        after the previous (Whoosh's SpanNear2 with mindist=1); `field_format` is packed."""
        candidates = leaves[0].ids
        for leaf in leaves[1:]:
            candidates = _common(candidates, leaf.ids)
        if len(leaves[0].deleted):
            candidates = candidates[~np.isin(candidates, leaves[0].deleted)]
        found = [np.searchsorted(leaf.ids, candidates) for leaf in leaves]  # each word's posting index
        values = [leaf.values.take(indexes.tolist()) for leaf, indexes in zip(leaves, found)]
        matched = in_sequence_packed([keyed_positions(column, field_format) for column in values], slop)
        return cls(leaves, candidates[matched], [column[matched] for column in found])

    def top_level_docs(self) -> np.ndarray:
        return self.docs + self.leaves[0].offset


def in_sequence_packed(keyed: list[np.ndarray], slop: int) -> np.ndarray:
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
