"""The Whoosh engine: an index folder searched in process (the default engine).

Only the modules of this package import `whoosh`; workarounds.py lists the Whoosh behaviours
they work around. The engine object adapts `archive.Archive` (searching) and the `index`
module's functions (building, updating, statistics) to the seam of engines/__init__.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ...config import Settings
from ...params import SearchParams
from ...results import Article, SearchResult
from . import index as index_module
from . import store
from .archive import Archive


class WhooshEngine:
    name = "whoosh"

    def __init__(self, index_dir: Path, settings: Settings | None = None):
        self.index_dir = Path(index_dir)
        self.archive = Archive(self.index_dir, settings)

    @property
    def location(self) -> str:
        return f"{self.index_dir}/"

    def search(self, params: SearchParams) -> SearchResult:
        return self.archive.search(params)

    def article(self, article_id: str, q: str = "", similar: bool = True) -> Article:
        return self.archive.article(article_id, q, similar=similar)

    def check(self) -> int:
        return self.archive.check()

    def written_forms(self):
        """The table of written forms that suggestions complete from (written_forms.py)."""
        return self.archive.written_forms()

    def exporter(self) -> Archive:
        """What export.py reads every match from (`ranked`)."""
        return self.archive

    def committed(self) -> float | None:
        """When the current index was committed (seconds since the epoch), or None."""
        generation = store.current_generation(self.index_dir)
        return generation.stat().st_mtime if generation is not None and generation.exists() else None

    def exists(self) -> bool:
        return store.current_generation(self.index_dir) is not None

    def stats(self) -> index_module.IndexStats:
        return index_module.stats(self.index_dir)

    def rebuild(self, sources: Iterable[Path], progress=None, procs: int | None = None, shards=None, replicas=None,
                **options):
        """`shards`, `replicas`: the Solr engine's, which an index folder has no use for; other
        options (e.g. `allow_shrink`) are index.rebuild's."""
        return index_module.rebuild(self.index_dir, sources, progress, procs=procs, **options)

    def update(self, sources: Iterable[Path], progress=None, **options):
        return index_module.update(self.index_dir, sources, progress, **options)
