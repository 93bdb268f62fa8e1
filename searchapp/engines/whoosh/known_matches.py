"""A query whose matching documents are known before it is scored.

Why by hand: Whoosh finds the documents of an And by leapfrogging its words' matchers (each a
union of the title, body and exact fields) with `skip_to`, in Python. At 40k articles that
leapfrogging was three quarters of a 2-3 word request (BENCHMARKS.md), most of it spent on
documents that have one word and not the other. The search already knows the matching
documents exactly, from the posting-block sets that count the total and the facets
(`postings.RequestPostings.docs`, checked against Whoosh's own matching in the tests); so the
query's own matcher is only asked to score those documents, each reached with one `skip_to`.
Scores, and so the ranking, are Whoosh's own. Most queries are scored by `postings.py` now;
this serves an And it leaves to Whoosh (sorted by date, or holding a kind of query it does
not score).
"""

from __future__ import annotations

from bisect import bisect_left

from whoosh import query as wq
from whoosh.matching.wrappers import WrappingMatcher


class KnownMatches(wq.WrappingQuery):
    """`child`, matched only at `docs` (sorted top-level document numbers, all of which match
    `child`). `offsets` maps id(leaf searcher) to its first document number."""

    def __init__(self, child: wq.Query, docs: list[int], offsets: dict[int, int]):
        super().__init__(child)
        self.docs = docs
        self.offsets = offsets

    def _rewrap(self, child: wq.Query) -> KnownMatches:
        return KnownMatches(child, self.docs, self.offsets)

    def matcher(self, searcher, context=None):
        child = self.child.matcher(searcher, context)
        offset = self.offsets.get(id(searcher))
        if offset is None:  # not a leaf of the searcher the documents were counted on
            return child
        low = bisect_left(self.docs, offset)
        high = bisect_left(self.docs, offset + searcher.doc_count_all())
        return KnownMatchesMatcher(child, [doc - offset for doc in self.docs[low:high]])


class KnownMatchesMatcher(WrappingMatcher):
    """Steps through a list of document numbers, moving `child` to each (for its score)."""

    def __init__(self, child, ids: list[int], position: int = 0):
        super().__init__(child)
        self._ids = ids
        self._position = position
        self._align()

    def _align(self) -> None:
        # A listed document the child does not match (none, when the list is right) is passed over.
        child, ids = self.child, self._ids
        while self._position < len(ids):
            target = ids[self._position]
            if child.is_active() and child.id() < target:
                child.skip_to(target)
            if child.is_active() and child.id() == target:
                return
            self._position += 1

    def copy(self):
        return KnownMatchesMatcher(self.child.copy(), self._ids, self._position)

    def _replacement(self, newchild):
        return KnownMatchesMatcher(newchild, self._ids, self._position)

    def replace(self, minquality=0):
        return self

    def reset(self) -> None:
        self.child.reset()
        self._position = 0
        self._align()

    def is_active(self) -> bool:
        return self._position < len(self._ids)

    def id(self) -> int:
        return self._ids[self._position]

    def all_ids(self):
        return iter(self._ids[self._position:])

    def next(self) -> None:
        self._position += 1
        self._align()

    def skip_to(self, id) -> None:
        if self.is_active() and id > self.id():
            self._position = bisect_left(self._ids, id, self._position)
            self._align()

    def supports_block_quality(self) -> bool:
        return False
