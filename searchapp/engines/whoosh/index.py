"""The Whoosh index: schema, atomic rebuilds, incremental updates, statistics.

Layout of an index folder (`index/` by default)::

    index/
      current -> gen-000003     symlink, swapped atomically when a rebuild commits
      gen-000003/               a complete Whoosh index
      gen-000002/               the previous one, kept so in-flight readers can finish
      .lock                     flock'ed by the one writer (reindex or update)

A rebuild writes a new generation beside the live one and only then moves `current`, so a
search never sees half an index, a rebuild killed at any point leaves the old index whole, and
a schema change needs no special migration. Whoosh's own TOC commit would be atomic too, but it
cannot replace an index whose files are damaged or whose schema changed.
"""

from __future__ import annotations

import ctypes
import fcntl
import gc
import os
import shutil
import signal
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.formats import Characters, Frequency
from whoosh.index import Index
from whoosh.query import Term
from whoosh.system import pack_uint

from ... import written_forms
from ...errors import IndexLocked, IndexMissing, IndexOutdated, IndexUnreadable
from ...sources import Article, ReadReport, read_articles
from ...writes import Progress, WriteSummary, check_size, fault_point
from ... import romanian
from . import analysis
from .codec import SplitBlockCodec
from .formats import PackedCharacters, PackedPositions, term_occurrences
from .writer import segment_writer

CURRENT = "current"
# The layout of a generation as this version writes and reads it: the schema's pickled classes
# (analyzers, fields, formats) and the codec. Raised whenever either changes, so that an index
# of another version gives one clear error instead of a failure deep in unpickling.
# 2: stop words as written, the exact field of written forms (readings.py). 3: the analyzers and
# the codec pickled into an index moved to searchapp.engines.whoosh (issue 19).
FORMAT_VERSION = 3
FORMAT_FILE = "searchapp-format"
GENERATION_PREFIX = "gen-"
LOCK_FILE = ".lock"
# Test hook (tests/test_faults.py): a writer stops itself (SIGSTOP) at the named point, so that
# a test can `kill -9` it exactly there. Points: rebuild:start, rebuild:added (after the 100th
# article), rebuild:committed (new generation complete, `current` not yet switched),
# rebuild:switched, update:added, update:committed.
UNDATED = "none"  # the year/month facet value of articles without a date
TITLE_BOOST = 2.0
# A writer process spills its postings to a sorted run on disk past this many MiB held (writer.py).
WRITER_LIMIT_MB = 160


class SpelledText(TEXT):
    """TEXT whose words go to the spelling field once per writer, not once per article.

    Whoosh adds a spelling posting for every distinct word of every article, all with document
    number 0, and drops the duplicates only when it writes the segment: on the news corpus that
    was a third of the postings the writer had to sort (BENCHMARKS.md). The words already given
    are remembered on the field object, which every writer gets fresh (`rebuild` builds a new
    schema; `update` and Whoosh's sub-writers unpickle one), and are never pickled.
    """

    def spellable_words(self, value):
        given = self.__dict__.setdefault("_spelled", set())
        # Indexing the text just now met its new words (analysis.CachedAnalyzer.occurrences):
        # their spellings are the candidates, without reading the text a second time (a
        # tokenizing pass and a set of every article's words were a tenth of the build).
        unmet = getattr(self.analyzer, "unstemmed_new_words", lambda _: None)(value)
        if unmet is not None:
            terms = set(unmet) - given
            terms.discard(None)
        else:  # only the words this writer has not met yet are analysed
            met = self.__dict__.setdefault("_spelled_words", set())
            new_words = set(romanian.words(value)) - met
            met |= new_words
            terms = _unstemmed_terms(self.analyzer, new_words) - given
        given.update(terms)
        return iter(sorted(terms))

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_spelled", None)
        state.pop("_spelled_words", None)
        return state


def _unstemmed_terms(analyzer, words: set[str]) -> set[str]:
    if hasattr(analyzer, "terms_of_words"):  # analysis.CachedAnalyzer: one memo lookup per word
        return analyzer.terms_of_words(words, no_morph=True)
    # Another analyzer (a schema pickled before CachedAnalyzer, or an experiment's): its chain.
    return {t.text for word in words for t in analyzer(word, no_morph=True, mode="index")}


class WrittenFormText(TEXT):
    """TEXT of written forms (analysis.exact_analyzer: `putin|Putin`) with their frequencies.

    The `exact` field serves one thing: ranking the articles that write a query word as the
    reader means it (search.readings). Its terms come from the analyzer's occurrences without a
    Token per word (formats.PackedPositions.word_values does the same for the other fields).
    """

    def index(self, value, **kwargs):
        found = None
        if type(self.format) is Frequency:
            found = term_occurrences(value, self.analyzer, {"mode": "index", **kwargs}, chars=False)
        if found is None:
            return super().index(value, **kwargs)
        # What Whoosh's Frequency.word_values gives.
        boost = self.format.field_boost
        return ((term.encode("utf-8"), len(spots), len(spots) * boost, pack_uint(len(spots)))
                for term, spots in found.items())


def exact_words(text: str) -> str:
    """The words of `text` for the `exact` field: none when the text is written without
    diacritics (there `fata` may mean fată or fața, `putin` Putin or puțin: its forms would
    blur the statistics of which spelling is a word of its own), and no numbers. The field has
    no positions and its lengths are never read, so the rest can go before analysis."""
    if not romanian.writes_diacritics(text):
        return ""
    return " ".join(word for word in romanian.words(text) if not word[0].isdigit())


def with_packed_positions(field: TEXT) -> TEXT:
    """The field, its positions (and characters) stored as packed integers (`formats.py`)."""
    packed = PackedCharacters if isinstance(field.format, Characters) else PackedPositions
    field.format = packed(field_boost=field.format.field_boost)
    return field


def build_schema() -> Schema:
    # The title has an analyzer of its own: the body's tells its spelling field which words
    # are new by its memo (SpelledText), which must not have met them in a title.
    return Schema(
        id=ID(stored=True, unique=True),
        title=with_packed_positions(TEXT(analyzer=analysis.folded_analyzer(), stored=True, field_boost=TITLE_BOOST)),
        body=with_packed_positions(SpelledText(analyzer=analysis.folded_analyzer(), stored=True, chars=True, spelling=True)),
        exact=WrittenFormText(analyzer=analysis.exact_analyzer(), phrase=False),
        date=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        month=ID(stored=True, sortable=True),
        dated=NUMERIC(sortable=True, bits=8, signed=False),
        url=STORED(),
        # An ID (one term, the name as written) with a column: filtered by `source=` and
        # counted for the source facet as the month is (search._SearcherData).
        source=ID(stored=True, sortable=True),
        content_hash=STORED(),
    )


def article_document(article: Article) -> dict:
    """The fields Whoosh stores and indexes for one article."""
    date = article.date
    return {
        "id": article.id,
        "title": article.title,
        "body": article.text,
        "exact": exact_words(f"{article.title}\n{article.text}"),
        "date": date or "",
        "year": date[:4] if date else UNDATED,
        "month": date[:7] if date else UNDATED,
        "dated": 1 if date else 0,
        "url": article.url,
        "source": article.source,
        "content_hash": article.content_hash,
    }


# --- locating and opening ---------------------------------------------------------------------


def current_generation(index_dir: Path) -> Path | None:
    """The folder `current` points to, or None when there is no committed index."""
    link = Path(index_dir) / CURRENT
    try:
        target = os.readlink(link)
    except OSError:
        return None
    return Path(index_dir) / target


def open_index(index_dir: Path) -> Index:
    """Open the committed index, or raise an error that names the fix."""
    generation = current_generation(index_dir)
    if generation is None:
        raise IndexMissing(f"no index in {index_dir}/; run `searchapp reindex` to build it")
    found = _format_version(generation)
    # No format file in a folder that holds a Whoosh index: written before format versions.
    if found != FORMAT_VERSION and (found is not None or any(generation.glob("_MAIN_*.toc"))):
        raise IndexOutdated(
            f"the index in {index_dir}/ was built by another searchapp version (index format {found or 'unknown'}, "
            f"this version reads {FORMAT_VERSION}); run `searchapp reindex` to rebuild it"
        )
    # Whoosh leaves the file it failed to parse open: its ResourceWarning is expected here
    # and silenced, and the file is collected before the error leaves this function.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return whoosh_index.open_dir(str(generation))
        except Exception as exc:  # Whoosh raises many types for damaged files
            problem = f"{type(exc).__name__}: {exc}"
        gc.collect()
    raise IndexUnreadable(
        f"the index in {index_dir}/ cannot be read ({problem}); run `searchapp reindex` to rebuild it"
    )


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """One writer at a time: a second `reindex`/`update` fails at once instead of waiting."""
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(index_dir) / LOCK_FILE, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexLocked(
                f"another reindex or update is writing {index_dir}/; wait for it to finish and try again"
            ) from None
        _HELD_LOCKS[handle.fileno()] = os.getpid()
        try:
            yield
        finally:
            del _HELD_LOCKS[handle.fileno()]
            fcntl.flock(handle, fcntl.LOCK_UN)


# Whoosh's multiprocess writer forks workers, and a forked child shares the parent's flock. When
# `kill -9` ended a reindex, its orphaned workers waited forever on their job queue and kept the
# index locked: every later reindex failed (found by tests/test_faults.py). So a child lets go of
# the lock at once and is killed by the kernel when its parent dies.
_HELD_LOCKS: dict[int, int] = {}  # lock file descriptor -> pid of the process that took it


def _release_writer_lock_in_child() -> None:
    if not _HELD_LOCKS:
        return
    owner = next(iter(_HELD_LOCKS.values()))
    devnull = os.open(os.devnull, os.O_RDONLY)
    for fd in _HELD_LOCKS:
        os.dup2(devnull, fd)  # drops this process's reference to the lock, keeps the fd number valid
    os.close(devnull)
    _HELD_LOCKS.clear()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        return
    if os.getppid() != owner:  # the parent died before prctl took effect
        os._exit(1)


os.register_at_fork(after_in_child=_release_writer_lock_in_child)


# --- writing ----------------------------------------------------------------------------------




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
        _remove_abandoned_generations(index_dir)
        live = _live_count(index_dir)
        generation = _new_generation_dir(index_dir)
        fault_point("rebuild:start")
        try:
            summary = _write_generation(
                generation, sources, progress, procs,
                check=lambda count, report: _check_size("reindex", count, live, allow_shrink, report))
        except BaseException:
            shutil.rmtree(generation, ignore_errors=True)
            raise
        fault_point("rebuild:committed")
        _fsync_generation(generation)
        _switch_current(index_dir, generation)
        fault_point("rebuild:switched")
        _remove_abandoned_generations(index_dir)
    summary.seconds = time.monotonic() - started
    return summary


def _format_version(generation: Path) -> int | None:
    try:
        return int((generation / FORMAT_FILE).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


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


def _new_generation_dir(index_dir: Path) -> Path:
    numbers = [_generation_number(p) for p in index_dir.glob(GENERATION_PREFIX + "*")]
    generation = index_dir / f"{GENERATION_PREFIX}{max(numbers, default=0) + 1:06d}"
    generation.mkdir()
    return generation


def _generation_number(path: Path) -> int:
    try:
        return int(path.name[len(GENERATION_PREFIX):])
    except ValueError:
        return 0


def _switch_current(index_dir: Path, generation: Path) -> None:
    # rename() over an existing symlink is atomic: readers see the old or the new target.
    temporary = index_dir / f".{CURRENT}.{os.getpid()}"
    if temporary.is_symlink():
        temporary.unlink()
    os.symlink(generation.name, temporary)
    os.replace(temporary, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _fsync_generation(generation: Path) -> None:
    """The new index reaches the disk before `current` points at it (a power cut between the
    two must not leave `current` naming files that were never written)."""
    for path in generation.iterdir():
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(generation)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_abandoned_generations(index_dir: Path) -> None:
    """Keep the current generation and the one before it (readers may still be on it)."""
    current = current_generation(index_dir)
    generations = sorted(index_dir.glob(GENERATION_PREFIX + "*"), key=_generation_number)
    keep = {current.name} if current else set()
    older = [g for g in generations if current and _generation_number(g) < _generation_number(current)]
    if older:
        keep.add(older[-1].name)
    for generation in generations:
        if generation.name not in keep:
            shutil.rmtree(generation, ignore_errors=True)


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
        first_date=_decode(dates[0]) if dates else None,
        last_date=_decode(dates[-1]) if dates else None,
        size_bytes=size,
        path=str(generation),
    )


def _decode(term: bytes | str) -> str:
    return term.decode("utf-8") if isinstance(term, bytes) else term
