"""The Whoosh engine: a thin adapter over `search.Archive` and the `index` module's functions
(issue 19 moves their code in here; behaviour is theirs, unchanged)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ... import index as index_module
from ...search import Archive, Article, SearchParams, SearchResult


class WhooshEngine:
    name = "whoosh"

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self.archive = Archive(self.index_dir)

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

    def exists(self) -> bool:
        return index_module.current_generation(self.index_dir) is not None

    def stats(self) -> index_module.IndexStats:
        return index_module.stats(self.index_dir)

    def rebuild(self, sources: Iterable[Path], progress=None, procs: int | None = None, shards=None, replicas=None,
                **options):
        """`shards`, `replicas`: the Solr engine's, which an index folder has no use for; other
        options (e.g. `allow_shrink`) are index.rebuild's."""
        return index_module.rebuild(self.index_dir, sources, progress, procs=procs, **options)

    def update(self, sources: Iterable[Path], progress=None, **options):
        return index_module.update(self.index_dir, sources, progress, **options)
