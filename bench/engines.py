"""Search engines behind one small interface, for the quality and speed benchmarks.

    engine = Tantivy()
    engine.build(articles)            # iterable of {"id", "title", "text", "date"} dicts
    ids = engine.search("soldati ucraina", k=10)
    engine.close()

Engines:

* `WhooshPlain`: the Whoosh setup a user would write first: RegexTokenizer, LowercaseFilter and
  the Snowball Romanian stemmer (StemFilter), no diacritic folding, default BM25F scoring.
* `Fts5`: SQLite FTS5 with `unicode61 remove_diacritics 2`, ranked by its bm25();
  `Fts5(stemmed=True)` indexes and queries Snowball-stemmed words instead.
* `Tantivy`: tantivy (PyPI) with lowercase, ASCII folding and its Romanian stemmer.
* `Searchapp`: this project, built with `searchapp.index.rebuild` from a temporary `.jsonl`
  and queried through `Archive.search(parse_params(...))`, the function the API calls.
* `SearchappSolr`: this project on its Solr engine (a SolrCloud named by SEARCHAPP_SOLR_URL).

The baselines get the query's words (runs of letters and digits) and combine them with OR
(`mode="or"`, what a search box over these engines usually does for free text) or AND
(`mode="and"`). Searchapp gets the query text as a user types it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path

WORD = re.compile(r"[^\W_]+")


def query_words(query: str) -> list[str]:
    return [w.lower() for w in WORD.findall(query)]


class Engine:
    """Build once from articles, then answer `search(query, k)` with ranked article ids."""

    name = "engine"

    def build(self, articles: Iterable[dict]) -> None:
        raise NotImplementedError

    def search(self, query: str, k: int = 10) -> list[str]:
        raise NotImplementedError

    def close(self) -> None:
        """Release files and temporary folders."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _TempDir:
    def _tempdir(self) -> Path:
        if getattr(self, "_dir", None) is None:
            self._dir = Path(tempfile.mkdtemp(prefix=f"bench-{self.name}-"))
        return self._dir

    def _remove_tempdir(self) -> None:
        if getattr(self, "_dir", None) is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


# --- plain Whoosh -----------------------------------------------------------------------------


def _snowball_stem(word: str) -> str:
    # Module-level so that Whoosh can pickle the analyzer into the index.
    from searchapp.romanian import stem

    return stem(word)


class WhooshPlain(Engine, _TempDir):
    """RegexTokenizer | LowercaseFilter | StemFilter(Snowball Romanian); default BM25F."""

    def __init__(self, mode: str = "or"):
        self.mode = mode
        self.name = f"whoosh-plain-{mode}"
        self._searcher = None

    def build(self, articles: Iterable[dict]) -> None:
        from whoosh import index
        from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter
        from whoosh.fields import ID, TEXT, Schema

        analyzer = RegexTokenizer() | LowercaseFilter() | StemFilter(stemfn=_snowball_stem)
        schema = Schema(id=ID(stored=True, unique=True), title=TEXT(analyzer=analyzer), body=TEXT(analyzer=analyzer))
        self._ix = index.create_in(str(self._tempdir()), schema)
        writer = self._ix.writer(limitmb=256)
        for a in articles:
            writer.add_document(id=a["id"], title=a["title"] or "", body=a["text"])
        writer.commit()
        self._searcher = self._ix.searcher()

    def search(self, query: str, k: int = 10) -> list[str]:
        from whoosh import qparser

        group = qparser.OrGroup if self.mode == "or" else qparser.AndGroup
        parser = qparser.MultifieldParser(["title", "body"], self._ix.schema, group=group)
        words = query_words(query)
        if not words:
            return []
        parsed = parser.parse(" ".join(words))
        return [hit["id"] for hit in self._searcher.search(parsed, limit=k)]

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        self._remove_tempdir()


# --- SQLite FTS5 ------------------------------------------------------------------------------


def _stemmed_text(text: str) -> str:
    from searchapp.romanian import normalize, stem

    return " ".join(stem(w) for w in WORD.findall(normalize(text)))


class Fts5(Engine):
    """SQLite FTS5, `unicode61 remove_diacritics 2`, ranked by bm25(); in memory."""

    def __init__(self, stemmed: bool = False, mode: str = "or"):
        self.stemmed = stemmed
        self.mode = mode
        self.name = f"fts5{'-stemmed' if stemmed else ''}-{mode}"
        self._db = None

    def _prepare(self, text: str) -> str:
        return _stemmed_text(text) if self.stemmed else text

    def build(self, articles: Iterable[dict]) -> None:
        self._db = sqlite3.connect(":memory:")
        self._db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
        self._db.executemany(
            "INSERT INTO docs (id, title, body) VALUES (?, ?, ?)",
            ((a["id"], self._prepare(a["title"] or ""), self._prepare(a["text"])) for a in articles),
        )
        self._db.commit()

    def search(self, query: str, k: int = 10) -> list[str]:
        words = query_words(self._prepare(query)) if self.stemmed else query_words(query)
        if not words:
            return []
        match = f" {self.mode.upper()} ".join('"' + w.replace('"', '""') + '"' for w in words)
        rows = self._db.execute("SELECT id FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT ?", (match, k))
        return [row[0] for row in rows]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


# --- tantivy ----------------------------------------------------------------------------------


class Tantivy(Engine):
    """tantivy: simple tokenizer, lowercase, ASCII folding, Romanian stemmer; in memory.

    Folding comes before stemming (`fold_first=True`) so that `soldați` and `soldati` get the
    same stem; `fold_first=False` stems first, as the filter order in many examples does.
    """

    def __init__(self, mode: str = "or", fold_first: bool = True):
        self.mode = mode
        self.fold_first = fold_first
        self.name = f"tantivy-{mode}" + ("" if fold_first else "-stem-first")
        self._index = None

    def _analyzer(self):
        import tantivy as tv

        builder = tv.TextAnalyzerBuilder(tv.Tokenizer.simple()).filter(tv.Filter.remove_long(40))
        builder = builder.filter(tv.Filter.lowercase())
        filters = [tv.Filter.ascii_fold(), tv.Filter.stemmer("romanian")]
        for f in filters if self.fold_first else reversed(filters):
            builder = builder.filter(f)
        return builder.build()

    def build(self, articles: Iterable[dict]) -> None:
        import tantivy as tv

        schema_builder = tv.SchemaBuilder()
        schema_builder.add_text_field("id", stored=True, tokenizer_name="raw")
        schema_builder.add_text_field("title", tokenizer_name="ro")
        schema_builder.add_text_field("body", tokenizer_name="ro")
        self._index = tv.Index(schema_builder.build())
        self._index.register_tokenizer("ro", self._analyzer())
        writer = self._index.writer(heap_size=128_000_000, num_threads=1)
        for a in articles:
            writer.add_document(tv.Document(id=a["id"], title=a["title"] or "", body=a["text"]))
        writer.commit()
        writer.wait_merging_threads()
        self._index.reload()
        self._searcher = self._index.searcher()

    def search(self, query: str, k: int = 10) -> list[str]:
        words = query_words(query)
        if not words:
            return []
        parsed = self._index.parse_query(" ".join(words), ["title", "body"], conjunction_by_default=self.mode == "and")
        hits = self._searcher.search(parsed, limit=k).hits
        return [self._searcher.doc(address)["id"][0] for _, address in hits]

    def close(self) -> None:
        self._index = None
        self._searcher = None


# --- searchapp --------------------------------------------------------------------------------


class Searchapp(Engine, _TempDir):
    """This project, through the same `Archive.search(parse_params(...))` the API calls."""

    name = "searchapp"

    def __init__(self, name: str = "searchapp", procs: int | None = None, settings=None):
        self.name = name
        self.procs = procs
        self.settings = settings  # a searchapp config.Settings (None: the defaults)
        self.archive = None

    def build(self, articles: Iterable[dict]) -> None:
        from searchapp.engines.whoosh import index
        from searchapp.engines.whoosh.archive import Archive

        folder = self._tempdir()
        source = self._jsonl(folder, articles)
        index.rebuild(folder / "index", [source], procs=self.procs)
        source.unlink()
        self.archive = Archive(folder / "index", self.settings)

    @staticmethod
    def _jsonl(folder: Path, articles: Iterable[dict]) -> Path:
        """The articles as the JSONL source that `searchapp reindex` reads."""
        source = folder / "articles.jsonl"
        with open(source, "w", encoding="utf-8") as out:
            for a in articles:
                record = {"id": a["id"], "title": a["title"], "text": a["text"], "date": a.get("date")}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return source

    def search(self, query: str, k: int = 10) -> list[str]:
        from searchapp.params import parse_params

        result = self.archive.search(parse_params({"q": query, "per_page": str(k)}))
        return [hit.id for hit in result.hits]

    def close(self) -> None:
        self.archive = None
        self._remove_tempdir()


class SearchappSolr(Searchapp):
    """This project on its Solr engine: a new collection behind a temporary alias on the
    SolrCloud that SEARCHAPP_SOLR_URL names, queried through the engine's `search`, as the API."""

    def __init__(self, name: str = "searchapp on SolrCloud", shards: int = 2, replicas: int = 1):
        super().__init__(name)
        self.shards, self.replicas = shards, replicas
        self.alias = f"bench_{shards}x{replicas}_{os.getpid()}"

    def build(self, articles: Iterable[dict]) -> None:
        from searchapp.engines import open_engine

        folder = self._tempdir()
        source = self._jsonl(folder, articles)
        self.archive = open_engine("solr", self.alias)
        self.archive.rebuild([source], shards=self.shards, replicas=self.replicas)
        source.unlink()

    def close(self) -> None:
        if self.archive is not None:
            from searchapp.engines.solr.admin import drop

            drop(self.archive.client, self.alias)
        super().close()


def baselines(mode: str = "or") -> list[Engine]:
    """The engines a user would pick instead, as the issues name them."""
    return [WhooshPlain(mode), Fts5(False, mode), Fts5(True, mode), Tantivy(mode)]
