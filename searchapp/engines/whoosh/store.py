"""Where the Whoosh index lives: its generations, the `current` link, the format version and
the one writer's lock.

Layout of an index folder (`index/` by default)::

    index/
      current -> gen-000003     symlink, swapped atomically when a rebuild commits
      gen-000003/               a complete Whoosh index, and `searchapp-format` (its version)
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
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import Index

from ...errors import IndexLocked, IndexMissing, IndexOutdated, IndexUnreadable
from .schema import build_schema, field_layout

class DamagedData(ValueError):
    """Index data that cannot be what searchapp wrote (a document number past the segment's
    end, a term that is not UTF-8): raised by our own readers, reported as IndexUnreadable."""


def term_text(term: bytes | str, fieldname: str) -> str:
    """A term as Whoosh reads it from the term index (raw bytes), as text; one that is not
    UTF-8 can only come from a damaged index."""
    if not isinstance(term, bytes):
        return term
    try:
        return term.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DamagedData(f"a term of {fieldname!r} is not UTF-8") from exc


CURRENT = "current"
# The fields as this version writes them; an opened index must have the same (open_index).
OUR_FIELD_LAYOUT = field_layout(build_schema())
# The layout of a generation as this version writes and reads it: the schema's pickled classes
# (analyzers, fields, formats) and the codec. Raised whenever either changes, so that an index
# of another version gives one clear error instead of a failure deep in unpickling.
# 2: stop words as written, the exact field of written forms (readings.py). 3: the analyzers and
# the codec pickled into an index moved to searchapp.engines.whoosh (issue 19).
FORMAT_VERSION = 3
FORMAT_FILE = "searchapp-format"
GENERATION_PREFIX = "gen-"
LOCK_FILE = ".lock"


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
    found = format_version(generation)
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
            ix = whoosh_index.open_dir(str(generation))
            if field_layout(ix.schema) != OUR_FIELD_LAYOUT:
                raise DamagedData("its schema is not the one this version writes")
            return ix
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


def format_version(generation: Path) -> int | None:
    try:
        return int((generation / FORMAT_FILE).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def new_generation_dir(index_dir: Path) -> Path:
    numbers = [generation_number(p) for p in index_dir.glob(GENERATION_PREFIX + "*")]
    generation = index_dir / f"{GENERATION_PREFIX}{max(numbers, default=0) + 1:06d}"
    generation.mkdir()
    return generation


def generation_number(path: Path) -> int:
    try:
        return int(path.name[len(GENERATION_PREFIX):])
    except ValueError:
        return 0


def switch_current(index_dir: Path, generation: Path) -> None:
    # rename() over an existing symlink is atomic: readers see the old or the new target.
    temporary = index_dir / f".{CURRENT}.{os.getpid()}"
    if temporary.is_symlink():
        temporary.unlink()
    os.symlink(generation.name, temporary)
    os.replace(temporary, index_dir / CURRENT)
    fsync_dir(index_dir)


def fsync_generation(generation: Path) -> None:
    """The new index reaches the disk before `current` points at it (a power cut between the
    two must not leave `current` naming files that were never written)."""
    for path in generation.iterdir():
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    fsync_dir(generation)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_abandoned_generations(index_dir: Path) -> None:
    """Keep the current generation and the one before it (readers may still be on it)."""
    current = current_generation(index_dir)
    generations = sorted(index_dir.glob(GENERATION_PREFIX + "*"), key=generation_number)
    keep = {current.name} if current else set()
    older = [g for g in generations if current and generation_number(g) < generation_number(current)]
    if older:
        keep.add(older[-1].name)
    for generation in generations:
        if generation.name not in keep:
            shutil.rmtree(generation, ignore_errors=True)
