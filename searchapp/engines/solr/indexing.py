"""Writing a Solr collection: full rebuilds behind the alias, updates by content hash, statistics.

A rebuild never touches the live collection: it builds a new one (`<alias>_<timestamp>`),
commits it, then moves the alias with CREATEALIAS (atomic: a search sees the old collection or
the new one) and only then deletes the old. A rebuild that fails deletes what it built, and one
that is killed leaves a collection the alias does not name, which the next rebuild removes;
either way the alias still serves the old collection.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ...errors import IndexMissing, SearchappError
from ...sources import Article, ReadReport, read_articles
from ...writes import WriteSummary, check_size, fault_point
from . import admin
from .client import SolrClient

BATCH = 500  # documents per update request
OLD_COLLECTION_GRACE = 2.0  # seconds between every node seeing the new alias and deleting the old collection
UNDATED = "none"


def _check_size(action: str, count: int, live: int | None, allow_shrink: bool, report: ReadReport, alias: str) -> None:
    check_size(action, count, live, allow_shrink, report, "the collection's",
               f"the collection behind {alias!r} keeps its {live} articles" if live else "nothing was written")


def document(article: Article) -> dict:
    """The fields Solr indexes and stores for one article (the configset's schema)."""
    date = article.date
    doc = {"id": article.id, "title": article.title, "body": article.text,
           "year": date[:4] if date else UNDATED, "month": date[:7] if date else UNDATED,
           "content_hash": article.content_hash}
    # Undated articles have no `date` at all: the schema sorts missing values last both ways.
    for name, value in (("date", date), ("url", article.url), ("source", article.source)):
        if value:
            doc[name] = value
    return doc


def rebuild(client: SolrClient, alias: str, sources: Iterable[Path], progress=None, shards: int = 2,
            replicas: int = 2, allow_shrink: bool = False) -> WriteSummary:
    started = time.monotonic()
    live = admin.alias_target(client, alias)
    live_count = _count(client, alias) if live else None
    for leftover in _abandoned(client, alias, live):
        admin.delete_collection(client, leftover)
    config = admin.ensure_configset(client, admin.configset_files())
    name = f"{alias}_{time.strftime('%Y%m%d%H%M%S')}_{int(time.time() * 1000) % 1000:03d}"
    admin.create_collection(client, name, config, shards, replicas)
    fault_point("rebuild:start")
    try:
        summary, report = _index_all(client, name, sources, progress)
        _check_size("reindex", summary.indexed, live_count, allow_shrink, report, alias)
        client.post(f"/{name}/update", {"commit": "true", "waitSearcher": "true"}, json=[],
                    timeout=admin.ADMIN_TIMEOUT)
        fault_point("rebuild:committed")
        admin.point_alias(client, alias, name)
    except BaseException:
        _delete_quietly(client, name)
        raise
    fault_point("rebuild:switched")
    if live and live != name:
        # Each node learns of the new alias from ZooKeeper a moment later; until it has, it
        # still sends searches to the old collection, which must stay until then.
        admin.wait_for_alias(client, alias, name)
        time.sleep(OLD_COLLECTION_GRACE)  # searches already running on the old collection finish
        admin.delete_collection(client, live)
    summary.seconds = time.monotonic() - started
    return summary


def _abandoned(client: SolrClient, alias: str, live: str | None) -> list[str]:
    """Collections of this alias's naming that it does not point to: a killed rebuild's."""
    return [c for c in admin.collections(client) if c.startswith(alias + "_") and c != live
            and c[len(alias) + 1:].replace("_", "").isdigit()]


def _delete_quietly(client: SolrClient, name: str) -> None:
    try:
        admin.delete_collection(client, name)
    except SearchappError:
        pass  # the next rebuild removes it (_abandoned)


def _index_all(client: SolrClient, collection: str, sources, progress) -> tuple[WriteSummary, ReadReport]:
    report = ReadReport()
    summary = WriteSummary(problems=report.problems)
    batch: list[dict] = []
    for article in read_articles(sources, report):
        batch.append(document(article))
        summary.indexed += 1
        if progress:
            progress(summary.indexed)
        if len(batch) >= BATCH:
            _send(client, collection, batch)
            if summary.indexed <= BATCH:
                fault_point("rebuild:added")
    if summary.indexed < BATCH:
        _send(client, collection, batch)
        fault_point("rebuild:added")  # a test kills the rebuild here
    _send(client, collection, batch)
    return summary, report


def _send(client: SolrClient, collection: str, docs: list) -> None:
    """Adds (dicts) or deletes ({"delete": ids}) in one update request; re-sending is harmless
    (same ids), so the client may retry it on another node."""
    if docs:
        client.post(f"/{collection}/update", json=docs, timeout=admin.ADMIN_TIMEOUT)
        docs.clear()


def existing(client: SolrClient, alias: str) -> str:
    """The alias's collection, or IndexMissing naming the fix."""
    target = admin.alias_target(client, alias)
    if target is None:
        raise IndexMissing(f"Solr has no collection alias {alias!r}; run `searchapp reindex` to build it")
    return target


def update(client: SolrClient, alias: str, sources: Iterable[Path], progress=None,
           allow_shrink: bool = False) -> WriteSummary:
    """New and changed articles in (by content hash), vanished ones out, the rest untouched."""
    if admin.alias_target(client, alias) is None:
        return rebuild(client, alias, sources, progress, allow_shrink=allow_shrink)
    started = time.monotonic()
    known = _known_hashes(client, alias)
    report = ReadReport()
    summary = WriteSummary(problems=report.problems)
    # Held until the sources are known to be whole: an update refused for its size sends nothing
    # (a later commit, anyone's, would make sent documents visible).
    changed: list[dict] = []
    seen = set()
    for count, article in enumerate(read_articles(sources, report), start=1):
        seen.add(article.id)
        known_hash = known.get(article.id)
        if known_hash == article.content_hash:
            summary.unchanged += 1
        else:
            changed.append(document(article))
            if known_hash is None:
                summary.indexed += 1
            else:
                summary.updated += 1
        if progress:
            progress(count)
    _check_size("update", len(seen), len(known), allow_shrink, report, alias)
    for start in range(0, len(changed), BATCH):
        _send(client, alias, changed[start:start + BATCH])
    vanished = sorted(known.keys() - seen)
    for start in range(0, len(vanished), BATCH):
        client.post(f"/{alias}/update", json={"delete": vanished[start:start + BATCH]}, timeout=admin.ADMIN_TIMEOUT)
    summary.deleted = len(vanished)
    client.post(f"/{alias}/update", {"commit": "true", "waitSearcher": "true"}, json=[], timeout=admin.ADMIN_TIMEOUT)
    summary.seconds = time.monotonic() - started
    return summary


def _count(client: SolrClient, alias: str) -> int:
    return client.get(f"/{alias}/select", {"q": "*:*", "rows": 0})["response"]["numFound"]


def _known_hashes(client: SolrClient, alias: str) -> dict[str, str]:
    """Every article's content hash, read with a cursor (deep paging without a growing cost)."""
    known, cursor = {}, "*"
    while True:
        answer = client.get(f"/{alias}/select", {"q": "*:*", "fl": "id,content_hash", "rows": 2000,
                                                  "sort": "id asc", "cursorMark": cursor})
        for doc in answer["response"]["docs"]:
            known[doc["id"]] = doc.get("content_hash", "")
        if answer.get("nextCursorMark", cursor) == cursor:
            return known
        cursor = answer["nextCursorMark"]


@dataclass(frozen=True)
class SolrStats:
    articles: int
    dated: int
    undated: int
    first_date: str | None
    last_date: str | None
    collection: str
    shards: int
    replicas: int
    active_replicas: int
    live_nodes: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def stats(client: SolrClient, alias: str) -> SolrStats:
    collection = existing(client, alias)
    count = lambda **p: client.get(f"/{alias}/select", {"q": "*:*", "rows": 0, **p})["response"]["numFound"]  # noqa: E731
    articles = count()
    undated = count(fq=f"year:{UNDATED}")

    def edge(order: str) -> str | None:
        docs = client.get(f"/{alias}/select", {"q": "date:*", "rows": 1, "fl": "date",
                                                "sort": f"date {order}"})["response"]["docs"]
        return docs[0]["date"] if docs else None

    return SolrStats(articles=articles, dated=articles - undated, undated=undated, first_date=edge("asc"),
                     last_date=edge("desc"), collection=collection, **admin.cluster_shape(client, collection))
