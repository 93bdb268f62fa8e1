"""The engine seam: web, CLI and serve talk to one small interface, whatever the engine.

An engine object offers:

* `search(params: SearchParams) -> SearchResult`
* `article(id, q="", similar=True) -> Article` (raises NotFound)
* `check() -> int`: raises a domain error when it cannot search, else the number of articles
* `stats()`: an object with `as_dict()` (articles, dated, undated, date range, ...)
* `rebuild(sources, progress=None, **options)` and `update(sources, progress=None)`: a
  `WriteSummary` (indexed, updated, deleted, unchanged, problems, seconds); each engine
  ignores the other's options (`procs` for Whoosh; `shards`, `replicas` for Solr)
* `exists() -> bool` (is there an index to serve?) and `location` (its name, for messages)
* `committed() -> float | None`: when the index was last written (the feed's `updated`)
* `written_forms()` (the table suggestions complete from, or None) and `exporter()` (what
  export.py reads every match from: an object with `ranked(params, limit)`)

`whoosh` (the default) is the embedded index in a folder; `solr` is a SolrCloud collection
alias reached through one or more node URLs (engines/solr/).
"""

from __future__ import annotations

import os

ENGINES = ("whoosh", "solr")
DEFAULT_ALIAS = "articles"


def engine_name(name: str | None = None) -> str:
    chosen = (name or os.environ.get("SEARCHAPP_ENGINE") or "whoosh").strip().lower()
    if chosen not in ENGINES:
        from ..errors import BadParameter

        raise BadParameter("engine", f"{chosen!r} is not an engine; use one of {', '.join(ENGINES)}")
    return chosen


def solr_url_list(solr_urls: str | list[str] | tuple[str, ...] | None = None) -> list[str]:
    """Node URLs from the argument or SEARCHAPP_SOLR_URL (comma-separated)."""
    raw = solr_urls if solr_urls is not None else os.environ.get("SEARCHAPP_SOLR_URL", "")
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    return [p.strip() for p in parts if p and p.strip()]


def open_engine(name: str | None = None, index: str | os.PathLike | None = None,
                solr_urls: str | list[str] | None = None, settings=None):
    """The engine `name` (default SEARCHAPP_ENGINE, else whoosh) over `index`: an index folder
    for Whoosh (default SEARCHAPP_INDEX or index/), a collection alias for Solr (default
    SEARCHAPP_INDEX or `articles`). `settings`: a config.Settings (default: the defaults)."""
    chosen = engine_name(name)
    if chosen == "solr":
        from .solr import SolrEngine

        alias = str(index) if index else (os.environ.get("SEARCHAPP_INDEX") or DEFAULT_ALIAS)
        return SolrEngine(solr_url_list(solr_urls), alias, settings=settings)
    from pathlib import Path

    from ..config import default_index_dir
    from .whoosh import WhooshEngine

    return WhooshEngine(Path(index) if index else default_index_dir(), settings)
