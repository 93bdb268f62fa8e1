"""Every setting in one place: its name, default and why (datasette's SETTINGS habit).

Settings belong to an instance: an engine (or a Flask app) is given a `Settings` (by default
`Settings.defaults()`, never edited) and makes it the active one while it serves a call, so
that the code under it reads `setting(name)` without a settings argument threaded through every
function. Tests and bench pass their own, `Settings.defaults().replace(name=value)`; nothing
edits a global. The active settings are a context variable: each thread (each web request) has
its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str


SETTINGS = {
    s.name: s
    for s in [
        Setting("index_dir", "index", "Index folder (env SEARCHAPP_INDEX)."),
        Setting("source", "seeds", "Default article source (env SEARCHAPP_SOURCE)."),
        Setting("max_query_chars", 1000, "Longer queries are refused with a 400."),
        Setting("max_query_terms", 40, "Words past this many are ignored (and said so)."),
        Setting("max_query_depth", 8, "Deeper parentheses are flattened."),
        Setting("max_prefix_terms", 200, "The prefix* words of a query expand to at most this many index terms in all."),
        Setting("min_prefix_chars", 2, "Shorter prefixes are searched as plain words."),
        Setting("search_time_limit", 2.0, "Seconds a search may collect before partial results."),
        Setting("max_per_page", 100, "Largest per_page accepted."),
        Setting("max_page", 1000, "Largest page accepted."),
        Setting("snippet_chars", 220, "Characters of context in a result snippet."),
        Setting("correct_below_docs", 50, "A word that at most this many articles have may be corrected to a "
                "far more frequent one (spelling.py: `Iohanis` -> `Iohannis`)."),
        Setting("correction_ratio", 20, "How many times more articles a correction of a known word must have."),
        Setting("autocorrect_share", 0.01, "A query is searched as corrected at once when as typed it finds fewer "
                "than this share of what its correction finds (or nothing)."),
        Setting("similar_articles", 5, "Similar articles listed on an article page."),
        Setting("max_sources", 50, "Most `source=` values one search accepts."),
        Setting("max_source_chars", 200, "Longest source name accepted in `source=`."),
        Setting("timeline_max_years", 60, "Past this many years from first to last, the timeline shows only the "
                "years with matches (a stray date would otherwise squeeze every bar)."),
        Setting("feed_entries", 50, "Entries in an Atom feed of a search (the newest dated matches)."),
        Setting("export_cap", 10000, "Most rows one export writes; it says so when the cap cuts it."),
        Setting("export_time_limit", 15.0, "Seconds an export may take to collect its matches (below gunicorn's "
                "30 s worker timeout) before it writes the ones found and says it is partial."),
        # Ranking (measured and tuned with bench/quality.py; see QUALITY.md).
        Setting("title_boost", 2.0, "Weight of a title match relative to a body match."),
        Setting("relaxed_title_boost", 0.5, "title_boost for a relaxed query (most words matching): there one word "
                "shared with a title is weak evidence (QUALITY.md)."),
        Setting("bm25_k1", 1.2, "BM25F term-frequency saturation."),
        Setting("bm25_b", 0.75, "BM25F length normalisation."),
        Setting("bm25_idf", "whoosh", "Inverse document frequency: 'whoosh' (log(N/(n+1))+1) or 'bm25' "
                "(log(1+(N-n+0.5)/(n+0.5)), as Lucene and tantivy)."),
        Setting("exact_score", 1000.0, "Score per query word typed with diacritics that an article has with "
                "those same diacritics (1000: a tier above folded-only matches; 0: no boost)."),
        Setting("reading_min_docs", 20, "Articles that must write a word's spelling before it counts as a word of "
                "its own (readings.py: `Putin` beside `puțin`)."),
        Setting("reading_min_share", 0.05, "Share of a folded word's articles that a spelling must have to count as "
                "a word of its own (readings.py)."),
        Setting("relaxed_exact_score", 0.0, "exact_score for a relaxed query (most words matching)."),
        Setting("relax_below", 1, "When requiring every word finds fewer articles than this, articles with "
                "most of the words follow them (1: only when none has them all)."),
        Setting("relax_blend", False, "When relaxing, rank every article by the relaxed score instead of "
                "listing those with all the words first."),
        Setting("relaxed_coord", 0.9, "How much the share of query words matched scales a relaxed score."),
        Setting("rerank_depth", 20, "A relaxed query's best candidates that rerank.py looks at again (0: none)."),
        Setting("near_window", 8, "Consecutive words within which a relaxed query's words count as near."),
        Setting("near_weight", 1.5, "Weight of nearness (the share of the query within near_window words) "
                "in reranking, relative to the best candidate's score."),
        Setting("variant_prefix", 6, "Letters a query word and another form of it share, for reranking."),
        Setting("variant_weight", 1.2, "Weight of the share of the query an article has in other forms only."),
        # Synonyms (synonyms.py), measured with bench/quality.py --set synonyms=... (QUALITY.md).
        Setting("synonyms", True, "Expand a query's abbreviations and name variants (synonyms-ro.txt and "
                "synonyms_file) at query time."),
        Setting("synonyms_file", "", "An operator's own synonyms file, Solr's format (env SEARCHAPP_SYNONYMS)."),
        Setting("synonym_weight", 0.5, "Weight of a match through a synonym relative to the form as typed."),
        Setting("synonym_typed_score", 100.0, "Constant for the articles with the form as typed, so that they "
                "rank above synonym-only matches (0: none; relaxed queries get none)."),
    ]
}


class Settings(Mapping):
    """An immutable set of values, one for every name in SETTINGS."""

    def __init__(self, values: Mapping[str, object] | None = None):
        self._values = MappingProxyType({name: s.default for name, s in SETTINGS.items()} | dict(values or {}))

    @classmethod
    def defaults(cls) -> Settings:
        return _DEFAULTS

    def replace(self, **changes) -> Settings:
        """A copy with `changes`; a value given as text (`--set name=value`) takes the type of
        the default."""
        unknown = sorted(set(changes) - set(SETTINGS))
        if unknown:
            raise KeyError(f"no such setting: {', '.join(unknown)}")
        return Settings({**self._values, **{name: _coerce(value, SETTINGS[name].default)
                                            for name, value in changes.items()}})

    @contextmanager
    def active(self) -> Iterator[Settings]:
        """These settings for `setting()` in this context until the block ends."""
        token = push(self)
        try:
            yield self
        finally:
            pop(token)

    def __getitem__(self, name: str):
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        changed = {n: v for n, v in self._values.items() if v != SETTINGS[n].default}
        return f"Settings({changed})"


def _coerce(value: object, default: object) -> object:
    if not isinstance(value, str) or isinstance(default, str):
        return value
    if isinstance(default, bool):
        if value.lower() not in ("1", "0", "true", "false"):
            raise ValueError(f"{value!r} is not a flag; use 1 or 0")
        return value.lower() in ("1", "true")
    return type(default)(value)


_DEFAULTS = Settings()
_ACTIVE: ContextVar[Settings] = ContextVar("searchapp_settings", default=_DEFAULTS)


def setting(name: str):
    """The active settings' value (the defaults outside an engine's or app's call)."""
    return _ACTIVE.get()[name]


def active_settings() -> Settings:
    return _ACTIVE.get()


def push(settings: Settings):
    """Make `settings` active until `pop(token)` (a web request's start and end)."""
    return _ACTIVE.set(settings)


def pop(token) -> None:
    _ACTIVE.reset(token)


def default_index_dir() -> Path:
    return Path(os.environ.get("SEARCHAPP_INDEX") or setting("index_dir"))


def default_sources() -> list[Path]:
    return [Path(os.environ.get("SEARCHAPP_SOURCE") or setting("source"))]
