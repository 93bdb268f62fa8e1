"""A term's postings read from its posting blocks: every posting's document number and weight
at once, its value (positions and characters) only when asked for, a block at a time.

Why by hand: Whoosh's matcher steps through a dozen methods and resets ten attributes per
block, which was most of reading a common word at 160k articles (BENCHMARKS.md). A split posting block (codec.py) keeps the numbers and weights
apart from the values, so `SplitBlockMatcher.read_all` reads a term's whole extent at once and
the values of a block are decompressed only when a phrase or a snippet needs one of them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import numpy as np
from whoosh.matching.wrappers import FilterMatcher
from whoosh.searching import Searcher

from .codec import SplitBlockMatcher
from .store import DamagedData

NO_IDS = np.zeros(0, dtype=np.int64)


@dataclass
class LeafPostings:
    """One term's postings in one segment; `ids` are the segment's own document numbers,
    deleted ones included (`deleted`: their numbers, empty when the segment has none)."""

    searcher: Searcher
    offset: int
    ids: np.ndarray
    weights: np.ndarray
    deleted: np.ndarray
    values: PostingValues  # each posting's encoded positions (and characters, in the body)

    def live_ids(self) -> np.ndarray:
        return self.ids if not len(self.deleted) else self.ids[~np.isin(self.ids, self.deleted)]

    def top_level_ids(self) -> np.ndarray:
        return self.ids + self.offset if self.offset else self.ids

    def indexes_of(self, docs: list[int]) -> list[int]:
        """The indexes of the postings of `docs` (top-level numbers), increasing."""
        local = np.array(sorted(docs), dtype=np.int64) - self.offset
        at = np.searchsorted(self.ids, local)
        found = at < len(self.ids)
        at = at[found]
        return at[self.ids[at] == local[found]].tolist()


def read_postings(searcher: Searcher, fieldname: str, text) -> list[LeafPostings]:
    """The term's postings in every segment of `searcher`: numbers and weights now, each
    block's values when first asked for."""
    leaves = []
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        if (fieldname, text) not in reader:
            continue
        matcher = reader.postings(fieldname, text)
        deleted = NO_IDS
        if isinstance(matcher, FilterMatcher):  # the segment has deletions
            deleted, matcher = np.fromiter(matcher._ids, dtype=np.int64), matcher.child
        ids, weights, values = _read_all(matcher)
        ids = np.fromiter(ids, dtype=np.int64, count=len(ids))
        if len(ids) and (ids.min() < 0 or ids.max() >= reader.doc_count_all()):
            # Numpy would index past a document set (an IndexError nobody can act on) or, for a
            # negative number, silently mark another article (found by tests/test_faults.py).
            raise DamagedData(f"a posting of {fieldname!r} names document {int(ids.max())} in a segment of "
                              f"{reader.doc_count_all()}")
        leaves.append(LeafPostings(subsearcher, offset, ids,
                                   np.fromiter(weights, dtype=np.float64, count=len(weights)), deleted, values))
    return leaves


def _read_all(matcher) -> tuple[list[int], list[float], PostingValues]:
    if isinstance(matcher, SplitBlockMatcher):  # the values are left unread until asked for
        ids, weights, starts, positions = matcher.read_all()
        return ids, weights, PostingValues(starts, positions, matcher)
    # A term too rare for a block of its own, inlined in the term index (a ListMatcher).
    ids: list[int] = []
    weights: list[float] = []
    values = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        values.append(matcher.value())
        matcher.next()
    return ids, weights, PostingValues([0], [values])


class PostingValues:
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
