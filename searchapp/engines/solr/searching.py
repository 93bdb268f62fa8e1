"""One search on a Solr collection: the request built from `SearchParams`, the answer turned into
searchapp's own `SearchResult` (the same JSON shape as the Whoosh engine's).

The query is searchapp's parsed query rendered into Lucene syntax (render.py); the relaxed "most
words" fallback is an edismax query whose `mm` accepts any of the words when no article has
all of them. Facets come from the JSON Facet API, snippets from the unified highlighter, the
suggestion from the spellcheck component, and `partial` from `timeAllowed`.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterator
from dataclasses import replace

from ... import query as query_tree
from ...config import setting
from ...params import UNDATED, SearchParams
from ...query import PARENS, is_plain_words, normalize_query, only_stop_words
from ...results import Facets, FacetValue, Hit, Notice, SearchResult, article_url
from .client import SolrClient
from .render import EVERYTHING, render, render_words
from .spelling import candidate_words, suggestion

SELECTION_TAG = "selection"
# The source facet keeps every source's count while some are chosen (the Whoosh engine's too).
SOURCES_TAG = "sources"
# How many of a relaxed query's words an article needs: any one (the Whoosh engine's relaxed
# set); BM25's sum already ranks articles with more of the words higher.
RELAXED_MM = "1"


# Rows per request when an export walks every match with a cursor.
EXPORT_BATCH = 500


def search(client: SolrClient, collection: str, params: SearchParams) -> SearchResult:
    return _run(client, collection, params)[0]


def ranked(client: SolrClient, collection: str, params: SearchParams,
           limit: int) -> tuple[SearchResult, Iterator[Hit]]:
    """The search's result and every match up to `limit`, in its order, as hits without
    snippets (export.py): the request that answered the search, walked with Solr's cursorMark
    (deep paging that holds no offset; the sort ends with the unique id, as a cursor needs)."""
    # The count has the export's time limit, as the Whoosh engine's export collection does.
    result, request = _run(client, collection, replace(params, page=1, per_page=1), "export_time_limit")
    walk = {key: value for key, value in request.items() if not key.startswith(("hl", "json.facet", "spellcheck"))}
    walk.update({"fl": "id,title,date,source,score", "start": 0})
    walk.pop("timeAllowed", None)  # a cursor's pages must be whole, or it would skip matches
    scored = _scored(params, request)

    def hits() -> Iterator[Hit]:
        cursor, left = "*", limit
        while left > 0:
            answer = select(client, collection, {**walk, "rows": min(EXPORT_BATCH, left), "cursorMark": cursor})
            page = _hits(answer, scored)
            yield from page
            left -= len(page)
            if not page or answer["nextCursorMark"] == cursor:
                return
            cursor = answer["nextCursorMark"]

    return result, hits()


def _run(client: SolrClient, collection: str, params: SearchParams,
         time_limit: str = "search_time_limit") -> tuple[SearchResult, dict]:
    """The search's result, and the request that answered it (as typed, or relaxed); its
    `timeAllowed` is the setting named by `time_limit`."""
    started = time.perf_counter()
    text, notices = normalize_query(params.q)
    common = only_stop_words(text)
    if common:
        notices.append(Notice("only_stop_words", (" ".join(common),)))
    every = not text.strip() or text.strip() == "*"
    tree = None if every else query_tree.parse(text)
    request = _base_request(params, every, time_limit)
    request["q"] = EVERYTHING if every else render(tree)
    spell_words = [] if every else candidate_words(params.q)
    answer = first = select(client, collection, _with_spellcheck(request, spell_words))
    relaxed = False
    words = query_tree.plain_words(PARENS.sub(" ", text))
    if (answer["response"]["numFound"] == 0 and not every and is_plain_words(text) and len(words) > 1
            and isinstance(tree, query_tree.And)):
        relaxed_request = _base_request(params, every, time_limit)
        relaxed_request.update({
            "defType": "edismax", "q": render_words(words), "mm": RELAXED_MM, "q.op": "OR",
            "qf": f"title^{float(setting('relaxed_title_boost')):g} body", "uf": "-*",
            "lowercaseOperators": "false", "stopwords": "true",
        })
        relaxed_answer = select(client, collection, relaxed_request)
        if relaxed_answer["response"]["numFound"] > 0:
            answer, relaxed, request = relaxed_answer, True, relaxed_request
    partial = bool(answer.get("responseHeader", {}).get("partialResults"))
    if partial:
        notices.append(Notice("partial"))
    return SearchResult(
        query=params.q,
        total=answer["response"]["numFound"],
        page=params.page,
        per_page=params.per_page,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        hits=_hits(answer, scored=_scored(params, request)),
        facets=_facets(answer.get("facets") or {}, params),
        suggestion=suggestion(params.q, spell_words, first.get("spellcheck"), first.get("facets")),
        relaxed=relaxed,
        partial=partial,
        notices=notices,
        params=params,
    ), request


def select(client: SolrClient, collection: str, request: dict) -> dict:
    """A search request, its parameters in a POST body: a 1000-letter query is too long a URL for Jetty."""
    return client.post(f"/{collection}/select", data=request)


# Solr's HTML encoder escapes quotes and slashes too; in text they need no escaping, and the
# Whoosh engine leaves them as they are (html.escape(quote=False)).
_OVERESCAPED = {"&quot;": '"', "&#x27;": "'", "&#39;": "'", "&#x2F;": "/"}
_OVERESCAPED_PATTERN = re.compile("|".join(_OVERESCAPED))


def unescape_quotes(marked: str) -> str:
    return _OVERESCAPED_PATTERN.sub(lambda m: _OVERESCAPED[m.group(0)], marked)


def _base_request(params: SearchParams, every: bool, time_limit: str) -> dict:
    request = {
        "defType": "lucene",
        "q.op": "OR",
        "fl": "id,title,date,source,score",
        "start": (params.page - 1) * params.per_page,
        "rows": params.per_page,
        "fq": _filters(params),
        # Solr reads 0 or less as "no limit"; here a limit that has already passed is the shortest.
        "timeAllowed": max(1, int(float(setting(time_limit)) * 1000)),
        "hl": "true",
        "hl.method": "unified",
        "hl.fl": "body",
        "hl.tag.pre": "<mark>",
        "hl.tag.post": "</mark>",
        "hl.encoder": "html",
        "hl.snippets": 2,
        "hl.fragsize": setting("snippet_chars") // 2,  # per passage; two passages, as the Whoosh engine gives
        "hl.bs.type": "WORD",
        "hl.fragsizeIsMinimum": "false",
        "hl.fragAlignRatio": 0.3,
        "hl.defaultSummary": "false",
        "hl.requireFieldMatch": "false",
        "json.facet": json.dumps(_facet_request()),
    }
    sort = "newest" if every and params.sort == "relevance" else params.sort
    # Ties broken by id: two replicas of a shard may hold the same articles in another order,
    # and a page must not depend on which one answers (pages would overlap).
    if sort == "relevance":
        request["sort"] = "score desc,id asc"
    else:
        request["sort"] = f"date {'desc' if sort == 'newest' else 'asc'},id asc"
    # `body` is read for the lead of a hit that the highlighter has nothing to mark in.
    request["fl"] += ",body"
    return request


def _filters(params: SearchParams) -> list[str]:
    # Values were validated by parse_params; the term parser takes them literally anyway.
    filters = []
    if params.date_from or params.date_to:
        filters.append(f'date:["{params.date_from or "0000-00-00"}" TO "{params.date_to or "9999-99-99"}"]')
    if params.year:
        filters.append(f"{{!term f=year tag={SELECTION_TAG}}}{params.year}")
    if params.month:
        filters.append(f"{{!term f=month tag={SELECTION_TAG}}}{params.month}")
    if params.sources:
        # An article from any of them: one filter. Quoted, a string field's value is one exact term.
        filters.append(f"{{!tag={SOURCES_TAG}}}source:(" + " OR ".join(_quoted(s) for s in params.sources) + ")")
    return filters


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _facet_request() -> dict:
    # Year and month counts ignore the year/month selection (the year facet keeps every year;
    # the months are narrowed to the selected year below), but keep the from/to range.
    facet = {"type": "terms", "limit": -1, "mincount": 1, "sort": "index desc",
             "domain": {"excludeTags": SELECTION_TAG}}
    return {
        "years": {**facet, "field": "year"},
        "months": {**facet, "field": "month"},
        "sources": {"type": "terms", "field": "source", "limit": 100, "mincount": 1,
                    "domain": {"excludeTags": SOURCES_TAG}},
    }


def _with_spellcheck(request: dict, words: list[str]) -> dict:
    if not words:
        return request
    request = dict(request)
    request.update({"spellcheck": "true", "spellcheck.q": " ".join(words), "spellcheck.count": 20,
                    "spellcheck.extendedResults": "true", "spellcheck.collate": "false"})
    # Whether the index has each word at all (its terms in a title or a body): only unknown
    # words are corrected, as the Whoosh engine does (spelling.is_known).
    facets = json.loads(request["json.facet"])
    for n, word in enumerate(words):
        facets[f"known{n}"] = {"type": "query", "q": render(query_tree.Term(word), exact_score=0),
                               "domain": {"query": EVERYTHING}}
    request["json.facet"] = json.dumps(facets)
    return request


def _scored(params: SearchParams, request: dict) -> bool:
    """Whether the hits carry scores: by relevance, and not every article (sorted by date)."""
    return params.sort == "relevance" and request["q"] != EVERYTHING


def _hits(answer: dict, scored: bool) -> list[Hit]:
    highlighting = answer.get("highlighting") or {}
    hits = []
    for doc in answer["response"]["docs"]:
        marked = (highlighting.get(doc["id"]) or {}).get("body") or []
        snippet = unescape_quotes(" … ".join(s.strip() for s in marked if s.strip())) or _lead(doc.get("body") or "")
        hits.append(Hit(
            id=doc["id"],
            title=doc.get("title") or "",
            date=doc.get("date") or None,
            score=round(doc["score"], 4) if scored and "score" in doc else None,
            snippet=snippet,
            url=article_url(doc["id"]),
            source=doc.get("source"),
        ))
    return hits


def _lead(text: str) -> str:
    chars = setting("snippet_chars")
    if len(text) <= chars:
        return html.escape(text, quote=False)
    return html.escape(text[:chars].rsplit(" ", 1)[0], quote=False) + " …"


def _facets(facets: dict, params: SearchParams) -> Facets:
    years = {b["val"]: b["count"] for b in (facets.get("years") or {}).get("buckets", [])}
    months = {b["val"]: b["count"] for b in (facets.get("months") or {}).get("buckets", [])}
    selected_year = params.year or (params.month[:4] if params.month else None)
    return Facets(
        year=[FacetValue(y, c) for y, c in sorted(years.items(), reverse=True) if y != UNDATED],
        month=[FacetValue(m, c) for m, c in sorted(months.items(), reverse=True)
               if m != UNDATED and (selected_year is None or m.startswith(selected_year))],
        undated=years.get(UNDATED, 0),
        source=[FacetValue(b["val"], b["count"]) for b in (facets.get("sources") or {}).get("buckets", [])],
    )

