"""The engines searchapp is timed against, each answering a *full request*.

A full request is what the search page needs: the top 10 hits with a highlighted snippet each,
the year facet counts over every match, and the total. Each baseline is built from the same
clean JSONL slice and answers the same query strings (see `speed.py` for the query mix):

* `NaiveWhoosh`: Whoosh as obvious code uses it: the default writer, a new searcher per request,
  a Snowball stemmer without a cache, a full `groupedby` facet collection and highlights that
  re-analyse the stored text.
* `Tantivy`: tantivy (PyPI) with its Romanian stemmer and ascii folding, snippets from its
  `SnippetGenerator`, year counts from a terms aggregation over a fast field.
* `Fts5`: SQLite FTS5 with `unicode61 remove_diacritics 2` (no stemming), `snippet()` and a
  `GROUP BY year` for the counts.

`python -m bench.speed_engines build ENGINE SOURCE DEST` builds one index in a process of its
own, so that `speed.py` can measure its time and peak memory alone.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import sys
import time
from functools import lru_cache
from pathlib import Path

YEAR_UNDATED = "none"


def read_slice(path: Path):
    """The clean articles of a slice written by `speed.py` (one JSON object a line)."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def year_of(article: dict) -> str:
    return (article.get("date") or "")[:4] or YEAR_UNDATED


_WORD = re.compile(r"[^\W_]+")


def query_parts(text: str) -> tuple[list[str], bool]:
    """The words of a query of the mix and whether it is one quoted phrase."""
    phrase = text.startswith('"') and text.endswith('"') and len(text) > 1
    return _WORD.findall(text), phrase


# --- naive Whoosh ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _snowball():
    import snowballstemmer

    return snowballstemmer.stemmer("romanian")


def naive_stem(word: str) -> str:
    """Module-level so that Whoosh can pickle the analyzer into the index."""
    return _snowball().stemWord(word)


def naive_analyzer():
    from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter
    from whoosh.support.charset import accent_map

    # Folded before stemming, so that words typed without diacritics match at all.
    return RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map) | StemFilter(stemfn=naive_stem, cachesize=None)


class NaiveWhoosh:
    name = "whoosh-naive"

    @staticmethod
    def build(source: Path, dest: Path) -> int:
        from whoosh import index
        from whoosh.fields import ID, TEXT, Schema

        analyzer = naive_analyzer()
        schema = Schema(
            id=ID(stored=True, unique=True),
            title=TEXT(analyzer=analyzer, stored=True, field_boost=2.0),
            body=TEXT(analyzer=analyzer, stored=True),
            date=ID(stored=True),
            year=ID(stored=True),
        )
        dest.mkdir(parents=True)
        ix = index.create_in(str(dest), schema)
        writer = ix.writer()
        count = 0
        for article in read_slice(source):
            writer.add_document(
                id=article["id"], title=article["title"], body=article["text"],
                date=article.get("date") or "", year=year_of(article),
            )
            count += 1
        writer.commit()
        return count

    def __init__(self, dest: Path):
        from whoosh import index
        from whoosh.qparser import MultifieldParser

        self.ix = index.open_dir(str(dest))
        self.parser = MultifieldParser(["title", "body"], self.ix.schema)

    def request(self, text: str) -> dict:
        from whoosh.highlight import ContextFragmenter, HtmlFormatter
        from whoosh.sorting import Count, FieldFacet

        with self.ix.searcher() as searcher:  # a new searcher per request
            results = searcher.search(
                self.parser.parse(text), limit=10, groupedby={"year": FieldFacet("year")}, maptype=Count
            )
            results.fragmenter = ContextFragmenter(maxchars=220, surround=60)
            results.formatter = HtmlFormatter(tagname="mark")
            hits = [
                {"id": h["id"], "title": h["title"], "snippet": h.highlights("body", top=2)}
                for h in results
            ]
            return {"total": len(results), "hits": hits, "years": dict(results.groups("year"))}

    def close(self) -> None:
        self.ix.close()


# --- tantivy ----------------------------------------------------------------------------------


class Tantivy:
    name = "tantivy"

    @staticmethod
    def _schema():
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", stored=True, tokenizer_name="ro")
        builder.add_text_field("body", stored=True, tokenizer_name="ro")
        builder.add_text_field("year", stored=True, fast=True, tokenizer_name="raw")
        builder.add_text_field("date", stored=True, tokenizer_name="raw")
        return builder.build()

    @staticmethod
    def _register(index) -> None:
        import tantivy

        analyzer = (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
            .filter(tantivy.Filter.stemmer("romanian"))
            .build()
        )
        index.register_tokenizer("ro", analyzer)

    @classmethod
    def build(cls, source: Path, dest: Path) -> int:
        import tantivy

        dest.mkdir(parents=True)
        index = tantivy.Index(cls._schema(), path=str(dest))
        cls._register(index)
        writer = index.writer(heap_size=256_000_000, num_threads=2)
        count = 0
        for article in read_slice(source):
            writer.add_document(tantivy.Document(
                id=article["id"], title=article["title"], body=article["text"],
                year=year_of(article), date=article.get("date") or "",
            ))
            count += 1
        writer.commit()
        writer.wait_merging_threads()
        return count

    def __init__(self, dest: Path):
        import tantivy

        self.index = tantivy.Index.open(str(dest))
        self._register(self.index)
        self.index.reload()
        self.searcher = self.index.searcher()  # tantivy's searcher is a cheap snapshot: reuse it
        self.schema = self.index.schema

    def _query(self, text: str):
        words, phrase = query_parts(text)
        if not words:
            return self.index.parse_query("*")
        body = '"' + " ".join(words) + '"' if phrase else " ".join("+" + w for w in words)
        return self.index.parse_query(body, ["title", "body"], field_boosts={"title": 2.0})

    def request(self, text: str) -> dict:
        import tantivy

        query = self._query(text)
        result = self.searcher.search(query, limit=10, count=True)
        snippets = tantivy.SnippetGenerator.create(self.searcher, query, self.schema, "body")
        snippets.set_max_num_chars(220)
        hits = []
        for _score, address in result.hits:
            doc = self.searcher.doc(address)
            hits.append({"id": doc["id"][0], "title": doc["title"][0],
                         "snippet": snippets.snippet_from_doc(doc).to_html()})
        agg = self.searcher.aggregate(query, {"years": {"terms": {"field": "year", "size": 1000}}})
        years = {b["key"]: b["doc_count"] for b in agg["years"]["buckets"]}
        return {"total": result.count, "hits": hits, "years": years}

    def close(self) -> None:
        pass


# --- SQLite FTS5 ------------------------------------------------------------------------------


class Fts5:
    name = "fts5"

    @staticmethod
    def build(source: Path, dest: Path) -> int:
        dest.mkdir(parents=True)
        db = sqlite3.connect(dest / "fts.db")
        db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, year UNINDEXED, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
        count = 0
        with db:
            rows = ((a["id"], a["title"], a["text"], year_of(a)) for a in read_slice(source))
            for row in rows:
                db.execute("INSERT INTO docs VALUES (?, ?, ?, ?)", row)
                count += 1
        db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        db.commit()
        db.close()
        return count

    def __init__(self, dest: Path):
        self.db = sqlite3.connect(dest / "fts.db", check_same_thread=False)

    @staticmethod
    def _match(text: str) -> str:
        words, phrase = query_parts(text)
        return '"' + " ".join(words) + '"' if phrase else " ".join(f'"{w}"' for w in words)

    def request(self, text: str) -> dict:
        match = self._match(text)
        rows = self.db.execute(
            "SELECT id, title, snippet(docs, 2, '<mark>', '</mark>', ' … ', 32) FROM docs "
            "WHERE docs MATCH ? ORDER BY bm25(docs, 0.0, 2.0, 1.0, 0.0) LIMIT 10",
            (match,),
        ).fetchall()
        years = dict(self.db.execute(
            "SELECT year, count(*) FROM docs WHERE docs MATCH ? GROUP BY year", (match,)
        ).fetchall())
        hits = [{"id": i, "title": t, "snippet": s} for i, t, s in rows]
        return {"total": sum(years.values()), "hits": hits, "years": years}

    def close(self) -> None:
        self.db.close()


ENGINES = {engine.name: engine for engine in (NaiveWhoosh, Tantivy, Fts5)}


def main(argv: list[str]) -> int:
    # Under `python -m` this file is `__main__`: take the engines from the importable module, so
    # that the analyzer pickled into a Whoosh index names `bench.speed_engines.naive_stem`.
    from bench.speed_engines import ENGINES

    if len(argv) != 4 or argv[0] != "build" or argv[1] not in ENGINES:
        print(f"usage: python -m bench.speed_engines build {{{','.join(ENGINES)}}} SOURCE DEST", file=sys.stderr)
        return 2
    engine, source, dest = ENGINES[argv[1]], Path(argv[2]), Path(argv[3])
    if dest.exists():
        shutil.rmtree(dest)
    started = time.perf_counter()
    count = engine.build(source, dest)
    print(json.dumps({"engine": engine.name, "articles": count, "seconds": time.perf_counter() - started}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
