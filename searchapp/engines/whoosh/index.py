"""The Whoosh index's writes and statistics: atomic rebuilds, incremental updates, counts.

Where generations live and how they are switched is store.py; the fields are schema.py.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import Index
from whoosh.query import Term

from ... import written_forms
from ...errors import IndexUnreadable
from ...params import UNDATED
from ...sources import Article, ReadReport, read_articles
from ...writes import Progress, WriteSummary, check_size, fault_point
from .codec import SplitBlockCodec
from .schema import article_document, build_schema
from .store import (
    FORMAT_FILE,
    FORMAT_VERSION,
    current_generation,
    fsync_generation,
    new_generation_dir,
    open_index,
    remove_abandoned_generations,
    switch_current,
    term_text,
    writer_lock,
)
from .writer import segment_writer

# A writer process spills its postings to a sorted run on disk past this many MiB held (writer.py).
WRITER_LIMIT_MB = 160


def open_writer(ix: Index, procs: int | None = None):
    """The index's writer: `procs` worker processes (default: up to two) writing segments of
    their own, or one process (`writer.py`)."""
    procs = procs or min(2, os.cpu_count() or 1)
    return segment_writer(ix, procs=procs, limitmb=WRITER_LIMIT_MB, codec=SplitBlockCodec())


def rebuild(
    index_dir: Path,
    sources: Iterable[Path],
    progress: Progress | None = None,
    procs: int | None = None,
    allow_shrink: bool = False,
) -> WriteSummary:
    """Build a new generation from the sources and make it current in one atomic step.

    Raises `SourceTooSmall`, keeping the old index, when the sources give no articles, or
    (unless `allow_shrink`) fewer than `SHRINK_LIMIT` of the live index's."""
    index_dir = Path(index_dir)
    started = time.monotonic()
    with writer_lock(index_dir):
        remove_abandoned_generations(index_dir)
        live = _live_count(index_dir)
        generation = new_generation_dir(index_dir)
        fault_point("rebuild:start")
        try:
            summary = _write_generation(
                generation, sources, progress, procs,
                check=lambda count, report: _check_size("reindex", count, live, allow_shrink, report))
        except BaseException:
            shutil.rmtree(generation, ignore_errors=True)
            raise
        fault_point("rebuild:committed")
        fsync_generation(generation)
        switch_current(index_dir, generation)
        fault_point("rebuild:switched")
        remove_abandoned_generations(index_dir)
    summary.seconds = time.monotonic() - started
    return summary


def _write_generation(generation: Path, sources, progress, procs, check) -> WriteSummary:
    report = ReadReport()
    ix = whoosh_index.create_in(str(generation), build_schema())
    (generation / FORMAT_FILE).write_text(f"{FORMAT_VERSION}\n", encoding="ascii")
    writer = open_writer(ix, procs)
    summary = WriteSummary(problems=report.problems)
    forms = written_forms.FormCounter()
    try:
        for article in read_articles(sources, report):
            writer.add_document(**article_document(article))
            forms.add(article.title, article.text)
            summary.indexed += 1
            if summary.indexed == 100:
                fault_point("rebuild:added")
            if progress:
                progress(summary.indexed)
        check(summary.indexed, report)
    except BaseException:
        writer.cancel()
        _stop_workers(writer)
        raise
    writer.commit()
    forms.table().save(generation / written_forms.FILE_NAME)
    return summary


def _live_count(index_dir: Path) -> int | None:
    """The live index's article count; None without one, or when it cannot be read (a
    rebuild is then the repair, and nothing readable is lost)."""
    if current_generation(index_dir) is None:
        return None
    try:
        ix = open_index(index_dir)
        try:
            return ix.doc_count()
        finally:
            ix.close()
    except Exception:  # damaged files raise many types (see open_index)
        return None


def _check_size(action: str, count: int, live: int | None, allow_shrink: bool, report: ReadReport) -> None:
    check_size(action, count, live, allow_shrink, report, "the index's",
               f"the index keeps its {live} articles" if live else "no index was written")


def _stop_workers(writer) -> None:
    """Whoosh's MpWriter.cancel() never reaches its worker processes (it flags the parent's
    copy of each), which went on reading job files from the generation being removed and died
    with a traceback: end them first."""
    for task in getattr(writer, "tasks", []):
        task.terminate()
        task.join()


def update(
    index_dir: Path,
    sources: Iterable[Path],
    progress: Progress | None = None,
    allow_shrink: bool = False,
) -> WriteSummary:
    """Bring the index up to date: new and changed articles in, vanished ones out. Refuses
    (`SourceTooSmall`, index untouched) to leave fewer articles, as `rebuild` does."""
    index_dir = Path(index_dir)
    if current_generation(index_dir) is None:
        return rebuild(index_dir, sources, progress, allow_shrink=allow_shrink)
    started = time.monotonic()
    with writer_lock(index_dir):
        ix = open_index(index_dir)
        with ix.searcher() as searcher:
            known = {fields["id"]: fields["content_hash"] for fields in searcher.all_stored_fields()}
        forms = _FormsUpdate(ix)
        report = ReadReport()
        summary = WriteSummary(problems=report.problems)
        writer = open_writer(ix, procs=1)
        try:
            seen = set()
            for count, article in enumerate(read_articles(sources, report), start=1):
                seen.add(article.id)
                _apply_change(writer, known.get(article.id), article, summary, forms)
                if count == 100:
                    fault_point("update:added")
                if progress:
                    progress(count)
            _check_size("update", len(seen), len(known), allow_shrink, report)
            for vanished in known.keys() - seen:
                forms.remove(vanished)
                writer.delete_by_term("id", vanished)
                summary.deleted += 1
        except BaseException:
            writer.cancel()
            forms.close()
            raise
        writer.commit()
        forms.save()
        fault_point("update:committed")
    summary.seconds = time.monotonic() - started
    return summary


def _apply_change(writer, known_hash: str | None, article: Article, summary: WriteSummary, forms) -> None:
    if known_hash == article.content_hash:
        summary.unchanged += 1
        return
    if known_hash is not None:
        forms.remove(article.id)
    forms.add(article)
    writer.update_document(**article_document(article))
    if known_hash is None:
        summary.indexed += 1
    else:
        summary.updated += 1


class _FormsUpdate:
    """The written-forms table brought along by `update`: a replaced or deleted article's words
    out (read from its stored fields), a new one's in. An index without a table (built before
    tables existed) gets one counted from every stored article."""

    def __init__(self, ix: Index):
        self.ix = ix
        self.path = Path(ix.storage.folder) / written_forms.FILE_NAME
        self.searcher = ix.searcher()
        table = written_forms.WrittenForms.load(self.path) if self.path.exists() else None
        self.counter = (written_forms.counter_of(table) if table is not None
                        else written_forms.build_counter(self.searcher.all_stored_fields()))

    def add(self, article: Article) -> None:
        self.counter.add(article.title, article.text)

    def remove(self, article_id: str) -> None:
        fields = self.searcher.document(id=article_id)
        if fields:
            self.counter.add(fields.get("title") or "", fields.get("body") or "", sign=-1)

    def close(self) -> None:
        self.searcher.close()

    def save(self) -> None:
        self.close()
        self.counter.table().save(self.path)


# --- statistics -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexStats:
    articles: int
    dated: int
    undated: int
    first_date: str | None
    last_date: str | None
    size_bytes: int
    path: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def stats(index_dir: Path) -> IndexStats:
    ix = open_index(index_dir)
    try:
        with ix.searcher() as searcher:
            dates = sorted(d for d in searcher.lexicon("date") if d)
            undated = sum(1 for _ in searcher.docs_for_query(Term("year", UNDATED)))
            articles = searcher.doc_count()
            # Decoded here, where damage is caught.
            first_date, last_date = (term_text(dates[0], "date"), term_text(dates[-1], "date")) if dates else (None, None)
    except Exception as exc:
        raise IndexUnreadable(
            f"the index in {index_dir}/ is damaged ({type(exc).__name__}: {exc}); "
            "run `searchapp reindex` to rebuild it"
        ) from exc
    generation = current_generation(index_dir)
    size = sum(p.stat().st_size for p in generation.iterdir() if p.is_file())
    return IndexStats(
        articles=articles,
        dated=articles - undated,
        undated=undated,
        first_date=first_date,
        last_date=last_date,
        size_bytes=size,
        path=str(generation),
    )
