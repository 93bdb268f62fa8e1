"""A searchable index folder: one searcher kept open and swapped when a new index is committed;
searches, the export's ranked matches, article pages and similar articles."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from whoosh import qparser
from whoosh import query as wq
from whoosh.searching import Searcher

from ... import written_forms
from ...config import Settings, setting
from ...errors import IndexUnreadable, NotFound, SearchappError
from ...params import SearchParams, clean_text
from ...query import OPERATORS_PATTERN, normalize_query
from ...results import Article, Hit, SearchResult, article_url
from . import marks
from .postings import RequestPostings
from .queries import bounded_prefixes, exact_only_ranks, exact_words_as_tiers, make_parser, weighting
from .searcher_data import SearcherData
from .searching import Search
from .snippets import MarkFormatter
from .store import current_generation, open_index
from .workarounds import raised_reading_index_files


class Archive:
    """A searchable index folder. Keeps one searcher open and swaps it, between two requests,
    for a new one when `reindex` or `update` has committed a new index."""

    def __init__(self, index_dir: Path, settings: Settings | None = None):
        self.index_dir = Path(index_dir)
        self.settings = settings or Settings.defaults()
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._generation: Path | None = None
        self._parsers: dict[str, qparser.QueryParser] = {}

    # -- searcher lifecycle

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """The current searcher, with this archive's settings active (config.py)."""
        try:
            with self.settings.active():
                yield self._current_searcher()
        except Exception as exc:
            # Damaged files show up as low-level errors of many types (EOFError, UnpicklingError,
            # struct.error, IndexError, even a bare Exception) raised inside Whoosh while it opens
            # segments or reads postings (tests/test_faults.py corrupts files to find them).
            if isinstance(exc, SearchappError) or not raised_reading_index_files(exc):
                raise
            self._searcher = None
            raise IndexUnreadable(
                f"the index in {self.index_dir}/ cannot be read ({type(exc).__name__}); "
                "run `searchapp reindex` to rebuild it"
            ) from exc

    def _current_searcher(self) -> Searcher:
        with self._lock:
            generation = current_generation(self.index_dir)
            if self._searcher is None or generation != self._generation:
                self._open(generation)
            elif not self._searcher.up_to_date():
                # Not Searcher.refresh(): it reuses the old segment readers by segment id, so
                # articles that `update` deleted from an existing segment would still be found.
                self._open(generation)
            return self._searcher

    def _open(self, generation: Path | None) -> None:
        ix = open_index(self.index_dir)
        self._searcher = ix.searcher(weighting=weighting())
        self._data = SearcherData(self._searcher)
        self._generation = generation
        self._parsers = {
            "and": make_parser(ix.schema),
            "or": make_parser(ix.schema, group=qparser.OrGroup.factory(float(setting("relaxed_coord"))), relaxed=True),
        }

    def check(self) -> int:
        """Raise if the index cannot be searched; else the number of articles."""
        with self.searcher() as searcher:
            searcher.search(wq.Every(), limit=1)
            return searcher.doc_count()

    def written_forms(self):
        """The current index's table of written forms (`written_forms.py`), or None when it
        was built without one."""
        with self.searcher():
            return written_forms.for_generation(self._generation)

    # -- search

    def search(self, params: SearchParams) -> SearchResult:
        started = time.perf_counter()
        with self.searcher() as searcher:
            # One time budget for the request, the correction's search included.
            deadline = time.monotonic() + setting("search_time_limit")
            result = Search(self, searcher, params, self._data, deadline).run()
            if result.suggestion and not params.literal:
                result = self._autocorrected(searcher, result, deadline)
        result.took_ms = round((time.perf_counter() - started) * 1000, 2)
        return result

    def _autocorrected(self, searcher: Searcher, typed: SearchResult, deadline: float) -> SearchResult:
        """The corrected query's results instead, when the query as typed found nothing or only
        a small share of what its correction finds (`autocorrect_share`)."""
        params = typed.params
        corrected = Search(self, searcher, replace(params, q=typed.suggestion, literal=True), self._data, deadline).run()
        found_as_typed = 0 if typed.relaxed else typed.total
        if corrected.relaxed or corrected.total <= found_as_typed \
                or found_as_typed >= setting("autocorrect_share") * corrected.total:
            return typed
        corrected.query, corrected.params = typed.query, params
        corrected.suggestion, corrected.autocorrected, corrected.total_as_typed = typed.suggestion, True, found_as_typed
        corrected.other_readings = []
        return corrected

    def ranked(self, params: SearchParams, limit: int) -> tuple[SearchResult, Iterator[Hit]]:
        """The search's result (total, facets, its first hit) and every match up to `limit`, in
        the search's order, as hits without snippets (export.py). The order is collected once
        (a score or sort key and a document number each); each hit's stored fields are read
        only when the iterator reaches it, so the hits themselves are never held together."""
        started = time.perf_counter()
        with self.searcher() as searcher:
            # An export collects up to `limit` hits in one pass: it has its own time limit.
            search = Search(self, searcher, replace(params, page=1, per_page=1), self._data,
                            deadline=time.monotonic() + setting("export_time_limit"))
            search.collect_at_least = limit
            result = search.run()
        result.took_ms = round((time.perf_counter() - started) * 1000, 2)
        order = search.hits_results.top_n[:limit] if search.hits_results is not None else []

        def hits() -> Iterator[Hit]:
            with self.searcher():  # a damaged index is IndexUnreadable here too
                for key, docnum in order:
                    fields = searcher.stored_fields(docnum)
                    yield Hit(id=fields["id"], title=fields["title"], date=fields.get("date") or None,
                              score=round(key, 4) if isinstance(key, (int, float)) else None,  # None: by date
                              snippet="", url=article_url(fields["id"]), source=fields.get("source") or None)

        return result, hits()

    def parse(self, text: str, relaxed: bool = False) -> wq.Query:
        parser = self._parsers["or" if relaxed else "and"]
        try:
            parsed = parser.parse(text)
        except Exception:
            # Whoosh's parser fails on some operator soup (`NOT NOT x` is an IndexError, found
            # by tests/test_fuzz.py): search the words alone.
            parsed = parser.parse(OPERATORS_PATTERN.sub(" ", text))
        # A relaxed query ranks a bag of words: there a tier per exact word would rank by how
        # many words keep their diacritics, not by relevance (measured in QUALITY.md).
        score = float(setting("relaxed_exact_score" if relaxed else "exact_score"))
        exact = lambda node: exact_words_as_tiers(node, score)  # noqa: E731
        return parsed.accept(exact).normalize().accept(exact_only_ranks)

    # -- articles

    def article(self, article_id: str, q: str = "", similar: bool = True) -> Article:
        """One article, with the query's matches marked and (unless `similar` is false) similar
        articles listed."""
        with self.searcher() as searcher:
            docnum = searcher.document_number(id=article_id)
            if docnum is None:
                raise NotFound(f"no article with id {article_id!r}")
            stored = searcher.stored_fields(docnum)
            article = Article(
                id=stored["id"],
                title=stored["title"],
                date=stored.get("date") or None,
                text=stored["body"],
                url=article_url(stored["id"]),
                source=stored.get("source"),
                link=stored.get("url"),
            )
            if q.strip():
                article.marked_text = self._mark_whole_text(searcher, docnum, article.text, q)
            if similar:
                article.similar = self._similar(searcher, docnum, article.text)
            return article

    def _mark_whole_text(self, searcher: Searcher, docnum: int, text: str, q: str) -> str | None:
        normalized, _ = normalize_query(clean_text(q)[: setting("max_query_chars")])
        reader = searcher.reader()
        query = self.parse(normalized, relaxed=True).accept(lambda node: bounded_prefixes(node, reader))
        found = marks.spans(RequestPostings(searcher, self._data.live, None), query, [docnum])[docnum]
        if not found:
            return None
        return MarkFormatter().format_fragment(marks.whole_text_fragment(text, found), replace=False)

    def _similar(self, searcher: Searcher, docnum: int, text: str) -> list[Hit]:
        results = searcher.more_like(docnum, "body", text=text, top=setting("similar_articles"))
        return [
            Hit(id=h["id"], title=h["title"], date=h.get("date") or None, score=round(h.score, 3),
                snippet="", url=article_url(h["id"]))
            for h in results
        ]

