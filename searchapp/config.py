"""Every setting in one place: its name, default and why (datasette's SETTINGS habit)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


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
        Setting("max_prefix_terms", 200, "A prefix* expands to at most this many index terms."),
        Setting("min_prefix_chars", 2, "Shorter prefixes are searched as plain words."),
        Setting("search_time_limit", 2.0, "Seconds a search may collect before partial results."),
        Setting("max_per_page", 100, "Largest per_page accepted."),
        Setting("max_page", 1000, "Largest page accepted."),
        Setting("snippet_chars", 220, "Characters of context in a result snippet."),
        Setting("similar_articles", 5, "Similar articles listed on an article page."),
    ]
}


def setting(name: str):
    return SETTINGS[name].default


def default_index_dir() -> Path:
    return Path(os.environ.get("SEARCHAPP_INDEX") or setting("index_dir"))


def default_sources() -> list[Path]:
    return [Path(os.environ.get("SEARCHAPP_SOURCE") or setting("source"))]
