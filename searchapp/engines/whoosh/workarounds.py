"""The Whoosh behaviours searchapp works around, each with where its fix lives.

Whoosh-Reloaded 2.7.5 is pinned (setup.cfg); each item below names what Whoosh does and what
searchapp does instead. The fixes that are a few lines of their own are in this module; the rest
are where they act, and named here so that an upgrade knows what to re-check.

Searching
1. `wq.Require`'s matcher can leave both sides on one document and trip an assertion in
   `IntersectionMatcher._find_next` (`soldati` with year=2025): filters join the query through
   `And` with a zero-scoring constant (`filtered_by`, here).
2. `TimeLimitCollector` starts a `threading.Timer` per search, a fifth of a short request, and
   bypasses a wrapped `FilterCollector`'s checks: `DeadlineCollector` (here) reads the clock
   between matches; filters go into the query, not the collector (searching.py).
3. `Searcher.refresh()` reuses segment readers by segment id, so articles that `update` deleted
   from an existing segment stay findable: a new searcher is opened instead (archive.py).
4. Damaged index files raise many exception types (EOFError, UnpicklingError, struct.error,
   IndexError, a bare Exception) from deep inside Whoosh: `raised_reading_index_files` (here)
   tells index damage from a bad query by the innermost index-reading frame; our own readers
   check what they read and raise `store.DamagedData` themselves. Whoosh reads a damaged
   stored value of length zero as a document with nothing stored: codec.py says so. A damaged
   table of contents can unpickle into another schema: `store.open_index` compares its fields
   with the ones this version writes (`schema.field_layout`). `expand_prefix` yields the term
   index's raw bytes: `queries.bounded_prefixes` checks they are text.
5. The query parser raises on some operator soup (`NOT NOT x` is an IndexError): the words are
   parsed again without operators (archive.py, `Archive.parse`).
6. The parser's `?` is a one-letter wildcard (`Tesla?`), and it reads `field:word`, ranges,
   `^boosts` and single quotes: `?` is removed before parsing (query.py, `normalize_query`) and
   those plugins are removed (queries.py, `make_parser`).
7. `Query.accept()` rebuilds an `Or` without `OrGroup`'s coordination `scale`: it is put back
   (searching.py, `Search._query`).
8. Whoosh's idf, log(N / (n + 1)) + 1, never falls below 1: `ProbabilisticIdfBM25F` (queries.py)
   has the BM25 literature's, behind the `bm25_idf` setting.
9. The highlighter re-analyses every hit's whole text, and `groupedby` facets do Python work per
   match: snippets come from stored character positions (snippets.py) and facet counts from
   document sets (searcher_data.py, postings.py).
10. `top_fragments` can pick two fragments around nearby matches that share text, and the
    formatter prints both, so a snippet repeated words: they are joined (snippets.py,
    `without_overlaps`).

Reading postings (private names: see each module's docstring)
11. Listing a query's documents through the matcher tree, and scoring them a posting at a time,
    dominated a request: postings.py reads the posting blocks directly (posting_blocks.py,
    through the block reader's internals), keeps document sets as numpy masks (docsets.py),
    checks phrases on packed positions (phrases.py) and scores with `BM25FScorer._score`'s
    arithmetic over arrays (scores.py).
12. `StemFilter`'s LFU cache cost as much as the stemmer: analysis.py calls `StemFilter._stem`
    behind its own per-word memo (`CachedAnalyzer`).

Writing
13. In 2.7.5 the W3 codec's inlined postings path is broken and field lengths are looked up a
    posting at a time: codec.py (`SplitBlockCodec`) writes blocks its own way through
    `_write_block`, `_mini_ids`, `_mini_weights` and the postings writer's private state.
14. `SegmentWriter`'s `PostingPool` sorts every posting as a 5-tuple: writer.py gathers a
    segment's postings by term (`TermPostingPool`), and its `MpWriter` workers use it too.
15. `MpWriter.cancel()` never reaches its worker processes (it flags the parent's copy of each):
    index.py terminates them (`_stop_workers`).
16. Forked writer workers inherit the parent's `flock`; after `kill -9` they kept the index
    locked forever: index.py releases the lock in each child and has the kernel end it with its
    parent (`_release_writer_lock_in_child`).
17. `open_dir` leaves the file it failed to parse open (a ResourceWarning): index.py silences
    that warning and collects the file before raising `IndexUnreadable`.
"""

from __future__ import annotations

import os
import time

from whoosh import query as wq
from whoosh.collectors import TimeLimit, TimeLimitCollector

from .store import DamagedData

_WHOOSH = f"{os.sep}whoosh{os.sep}"
# Code that reads index files, or computes only from the statistics read from them (scoring,
# more-like-this key terms: a damaged length column makes them divide by zero).
_WHOOSH_FILE_READERS = tuple(_WHOOSH + name for name in (
    "filedb", "codec", "util", "index.py", "reading.py", "columns.py", "fields.py", "formats.py", "scoring.py",
    "classify.py"))
# Our own reader of posting blocks (SplitBlockMatcher) and decoder of posting values read
# index files too.
_OWN_FILE_READERS = tuple(f"{os.sep}engines{os.sep}whoosh{os.sep}{name}" for name in ("codec.py", "formats.py"))


def raised_reading_index_files(exc: BaseException) -> bool:
    """True when the innermost index-reading frame of the error (Whoosh's or our codec's) is
    code that reads index files (not, say, the query parser): the mark of a damaged index, not
    of a bad query or a bug. Our own readers say so directly (store.DamagedData)."""
    if isinstance(exc, DamagedData):
        return True
    innermost, tb = None, exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if _WHOOSH in filename or filename.endswith(_OWN_FILE_READERS):
            innermost = filename
        tb = tb.tb_next
    if innermost is None:
        return False
    return innermost.endswith(_OWN_FILE_READERS) or any(name in innermost for name in _WHOOSH_FILE_READERS)


class DeadlineCollector(TimeLimitCollector):
    """Whoosh's TimeLimitCollector without its timer thread: starting and cancelling a
    `threading.Timer` cost about a fifth of a short request in the profile; reading the clock
    between two matches costs far less and stops the search at the same point."""

    def __init__(self, child, deadline: float):
        super().__init__(child, max(0.0, deadline - time.monotonic()), use_alarm=False)
        self.deadline = deadline  # the request's (time.monotonic()), shared with its counting

    def prepare(self, top_searcher, q, context):
        self.child.prepare(top_searcher, q, context)
        self.timedout = False

    def collect_matches(self):
        child, deadline, clock = self.child, self.deadline, time.monotonic
        for sub_docnum in child.matches():
            if clock() > deadline:
                self.timedout = True
                raise TimeLimit
            child.collect(sub_docnum)

    def finish(self):
        self.child.finish()


def filtered_by(query: wq.Query, date_filter: wq.Query | None) -> wq.Query:
    # Not wq.Require: its matcher's skip_to_quality can leave both sides on one document and
    # trips an assertion in IntersectionMatcher._find_next (e.g. `soldati` with year=2025 once
    # there are more hits than one page). And() with the filter scoring 0 finds the same set.
    return query if date_filter is None else wq.And([query, wq.ConstantScoreQuery(date_filter, score=0.0)])

