"""Sets of matching documents as boolean masks over a searcher's documents.

Why numpy: at 160k articles a common word matches 40,000 articles, and Python sets of their
numbers (with a dict of their scores and a loop per posting) were most of the request
(BENCHMARKS.md). A query's documents (postings.py), its totals and its facet counts
(searcher_data.py) are masks combined with `&`, `|` and `-`, at C speed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
from whoosh.searching import Searcher


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
