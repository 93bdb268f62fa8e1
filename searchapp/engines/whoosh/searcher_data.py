"""Per-searcher data that no request should recompute: each document's month and source, the
documents in date order, the live documents.

Profiling a request on the news corpus showed two costs that grow with the archive: Whoosh's
highlighter re-analysing every hit's whole text, and the `groupedby` facet collection doing
Python work for every matching article. Snippets now come from the character positions stored
with the body's postings (the field has chars=True), and totals and facet counts from sets of
document numbers read straight from the posting blocks (postings.py), counted against one
month-per-document list that is built once per searcher (BENCHMARKS.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
from whoosh.searching import Searcher

from .docsets import DocSet, live_docs


class SearcherData:
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
            self._months = [decode_term(value) for value in column]
        return self._months

    def date_order(self, sort: str) -> np.ndarray:
        """Every document number in "newest" or "oldest" order, as Whoosh's sorting collector
        orders them by `sort_facet`: undated last, equal dates by document number."""
        if not self._date_orders:
            dates = np.array([decode_term(value) for value in self.searcher.reader().column_reader("date")])
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
                names = [decode_term(value) for value in self.searcher.reader().column_reader("source")]
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


def decode_term(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
