"""The Solr engine: searchapp on a SolrCloud collection alias, reached through one or more nodes.

Each module does one job: client.py (HTTP with failover), render.py (the parsed query in Lucene
syntax), searching.py (a search and its result), spelling.py (did-you-mean), indexing.py
(rebuild, update, stats), admin.py (configset, collections, alias).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from ... import query as query_tree
from ...config import Settings, setting
from ...errors import NotFound
from ...params import SearchParams, clean_text
from ...query import normalize_query
from ...results import Article, Hit, SearchResult, article_url
from . import indexing, searching
from .client import SolrClient, SolrError
from .render import render_any


def _collection_gone(exc: SolrError) -> bool:
    message = exc.message.lower()
    return exc.http_status == 404 or "not found" in message or "could not find" in message or "does not exist" in message


class SolrEngine:
    name = "solr"

    def __init__(self, urls: list[str], alias: str = "articles", client: SolrClient | None = None,
                 settings: Settings | None = None):
        self.alias = alias
        self.settings = settings or Settings.defaults()
        self.client = client or SolrClient(urls)

    @property
    def location(self) -> str:
        return f"Solr alias {self.alias!r}"

    def search(self, params: SearchParams) -> SearchResult:
        with self.settings.active():
            return self._search(params)

    def _search(self, params: SearchParams) -> SearchResult:
        try:
            return searching.search(self.client, self.alias, params)
        except SolrError as exc:
            self._missing_alias(exc)
            if not _collection_gone(exc):
                raise
        # The alias exists but a node still resolved it to the collection a rebuild has just
        # deleted (it learns the new one from ZooKeeper a moment later): once more.
        time.sleep(0.2)
        return searching.search(self.client, self.alias, params)

    def _missing_alias(self, exc: SolrError) -> None:
        if _collection_gone(exc):
            indexing.existing(self.client, self.alias)  # raises IndexMissing when the alias is gone

    def check(self) -> int:
        indexing.existing(self.client, self.alias)  # a missing alias is IndexMissing, which names the fix
        return self.client.get(f"/{self.alias}/select", {"q": "*:*", "rows": 0})["response"]["numFound"]

    def written_forms(self):
        """No table of written forms on Solr: suggestions as you type answer none (README)."""
        return None

    def exporter(self) -> SolrEngine:
        """The engine itself: `ranked` walks every match with Solr's cursor (searching.py)."""
        return self

    def ranked(self, params: SearchParams, limit: int) -> tuple[SearchResult, Iterator[Hit]]:
        with self.settings.active():
            try:
                return searching.ranked(self.client, self.alias, params, limit)
            except SolrError as exc:
                self._missing_alias(exc)
                raise

    def committed(self) -> float | None:
        """None: a collection's last commit time is not read (the feed says now)."""
        return None

    def exists(self) -> bool:
        from . import admin

        return admin.alias_target(self.client, self.alias) is not None

    def article(self, article_id: str, q: str = "", similar: bool = True) -> Article:
        with self.settings.active():
            return self._article(article_id, q, similar)

    def _article(self, article_id: str, q: str, similar: bool) -> Article:
        try:
            doc = self.client.get(f"/{self.alias}/get", {"id": article_id, "fl": "id,title,date,body,url,source"}).get("doc")
        except SolrError as exc:
            self._missing_alias(exc)
            raise
        if not doc:
            raise NotFound(f"no article with id {article_id!r}")
        article = Article(id=doc["id"], title=doc.get("title") or "", date=doc.get("date") or None,
                          text=doc.get("body") or "", url=article_url(doc["id"]), source=doc.get("source"),
                          link=doc.get("url"))
        if q.strip():
            article.marked_text = self._marked(article_id, q)
        if similar:
            article.similar = self._similar(article_id)
        return article

    def _marked(self, article_id: str, q: str) -> str | None:
        """The whole text with any of the query's words marked (as the Whoosh engine's page)."""
        normalized, _ = normalize_query(clean_text(q)[: setting("max_query_chars")])
        words = []
        for leaf in query_tree.leaves(query_tree.parse(normalized)):
            if isinstance(leaf, query_tree.Prefix):
                words.append((leaf.text, True))
            else:
                words.extend((w, False) for w in (leaf.words if isinstance(leaf, query_tree.Phrase) else [leaf.word]))
        if not words:
            return None
        answer = searching.select(self.client, self.alias, {
            "q": f"{{!term f=id}}{article_id}", "fl": "id", "hl": "true", "hl.method": "unified",
            "hl.fl": "body", "hl.q": render_any(words), "hl.qparser": "lucene", "hl.fragsize": 0,
            "hl.tag.pre": "<mark>", "hl.tag.post": "</mark>", "hl.encoder": "html", "hl.defaultSummary": "false",
            "hl.maxAnalyzedChars": 10_000_000,
        })
        marked = ((answer.get("highlighting") or {}).get(article_id) or {}).get("body") or []
        return searching.unescape_quotes(marked[0]) if marked else None

    def _similar(self, article_id: str) -> list[Hit]:
        answer = self.client.get(f"/{self.alias}/select", {
            "q": f"{{!mlt qf=title,body mintf=1 mindf=2 maxqt=20}}{article_id}", "fl": "id,title,date,score",
            "rows": setting("similar_articles"),
        })
        return [Hit(id=d["id"], title=d.get("title") or "", date=d.get("date") or None,
                    score=round(d.get("score", 0.0), 3), snippet="", url=article_url(d["id"]))
                for d in answer["response"]["docs"] if d["id"] != article_id]

    def stats(self) -> indexing.SolrStats:
        return indexing.stats(self.client, self.alias)

    def rebuild(self, sources: Iterable[Path], progress=None, shards: int = 2, replicas: int = 2,
                allow_shrink: bool = False, **_options):
        """`**_options`: another engine's (procs), which Solr has no use for."""
        return indexing.rebuild(self.client, self.alias, sources, progress, shards=shards, replicas=replicas,
                                allow_shrink=allow_shrink)

    def update(self, sources: Iterable[Path], progress=None, allow_shrink: bool = False):
        return indexing.update(self.client, self.alias, sources, progress, allow_shrink=allow_shrink)
