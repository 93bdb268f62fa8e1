"""A second look at the best candidates of a relaxed query (a question, most words matching).

BM25F scores each word on its own; for a question, two more things tell the passage that
answers it (QUALITY.md, step 10):

* **nearness**: how much of the question (its words weighted by idf) one stretch of
  `near_window` consecutive words of the article holds;
* **word variants**: the question's words the article lacks but has in another form with the
  same first `variant_prefix` letters. The Snowball stemmer, given folded words, leaves some
  forms of one word apart (`imunodeficienței` -> `imunodeficiente`, `imunodeficiență` ->
  `imunodeficient`; `construiește` -> `construiest`, `construcții` -> `construct`), and
  folding has to come first so that a query without diacritics matches as one with them.

Each candidate's BM25F score is raised by the best candidate's score times
`near_weight * nearness + variant_weight * variants` (both between 0 and 1), so that the
reranked candidates still score above every article after them. Whoosh has no second-stage
ranking over positions; the candidates' stored text is analysed again with the index's own
analyzer, a bounded cost (`rerank_depth` articles) whatever the size of the index.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from whoosh.searching import Searcher

from ...config import setting


def reranked(searcher: Searcher, terms: Iterable[str], top_n: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """`top_n` ((score, document number), best first) with its first `rerank_depth` entries
    rescored and reordered; the rest as they were."""
    depth = int(setting("rerank_depth"))
    candidates, rest = top_n[:depth], top_n[depth:]
    weights = idf_weights(searcher, set(terms))
    total = sum(weights.values())
    if len(candidates) < 2 or not total:
        return top_n
    window, letters = int(setting("near_window")), int(setting("variant_prefix"))
    best = candidates[0][0]
    rescored = []
    for score, docnum in candidates:
        body, title = stored_positions(searcher, docnum)
        bonus = (float(setting("near_weight")) * nearness(weights, body, window) +
                 float(setting("variant_weight")) * variants(weights, set(body) | set(title), letters)) / total
        rescored.append((score + best * bonus, docnum))
    rescored.sort(key=lambda item: (-item[0], item[1]))
    return rescored + rest


def stored_positions(searcher: Searcher, docnum: int) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """An article's body and title terms, each with its positions, from its stored text."""
    fields = searcher.stored_fields(docnum)
    return (positions(searcher.schema["body"].analyzer, fields.get("body") or ""),
            positions(searcher.schema["title"].analyzer, fields.get("title") or ""))


def positions(analyzer, text: str) -> dict[str, list[int]]:
    """Each term of `text` as the index has it, with its positions."""
    found = analyzer.occurrences(text, chars=False) if hasattr(analyzer, "occurrences") else None
    if found is None:  # an analyzer without the memo's shortcut (analysis.CachedAnalyzer)
        found = {}
        for token in analyzer(text, positions=True, mode="index"):
            found.setdefault(token.text, []).append(token.pos)
    return found


def idf_weights(searcher: Searcher, terms: set[str]) -> dict[str, float]:
    """Each term's BM25 idf, log(1 + (N - n + 0.5) / (n + 0.5)), n the articles that have it.
    A word no article has keeps its (largest) weight: the shares are of the whole question, and
    leaving such words out lost 0.002-0.004 MRR@10 on XQuAD-ro (QUALITY.md)."""
    count = searcher.doc_count_all()
    weights = {}
    for term in terms:
        found = max(searcher.doc_frequency("body", term), searcher.doc_frequency("title", term))
        weights[term] = math.log(1 + (count - found + 0.5) / (found + 0.5))
    return weights


def nearness(weights: dict[str, float], positions: dict[str, list[int]], window: int) -> float:
    """The largest idf sum of distinct query terms within `window` consecutive positions."""
    events = sorted((pos, term) for term in weights for pos in positions.get(term, ()))
    inside: Counter[str] = Counter()
    best = first = 0
    for pos, term in events:
        inside[term] += 1
        while events[first][0] <= pos - window:
            gone = events[first][1]
            inside[gone] -= 1
            if not inside[gone]:
                del inside[gone]
            first += 1
        best = max(best, sum(weights[t] for t in inside))
    return best


def variants(weights: dict[str, float], article_terms: set[str], letters: int) -> float:
    """The idf sum of query terms the article lacks but has a longer or other form of (the same
    first `letters` letters)."""
    prefixes = {term[:letters] for term in article_terms if len(term) >= letters}
    return sum(weight for term, weight in weights.items()
               if term not in article_terms and len(term) >= letters and term[:letters] in prefixes)
