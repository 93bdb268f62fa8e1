"""Diacritic invariance on real Romanian news: a word typed with comma-below ș/ț, with cedilla
ş/ţ or without diacritics finds the same articles.

`bench/quality.py --invariance N` reports it on N (article, word) pairs; tests/test_quality.py
asserts it on a small sample in the default test suite. So this module needs only the standard
library and searchapp (not the `bench` extra).
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

from bench import engines as E
from searchapp import romanian


def news_slice(path: Path, size: int, seed: int) -> list[dict]:
    """A reservoir sample of `size` articles, streamed (the file is never held in memory)."""
    rng = random.Random(seed)
    sample: list[dict] = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            if n < size:
                sample.append(line)
            else:
                j = rng.randrange(n + 1)
                if j < size:
                    sample[j] = line
    docs = []
    for line in sample:
        d = json.loads(line)
        docs.append({"id": d["id"], "title": d["title"], "text": d["text"], "date": d.get("date")})
    docs.sort(key=lambda d: d["id"])
    return docs


ROMANIAN_DIACRITICS = set("ăâîșțşţ")


def invariance_pairs(docs: list[dict], count: int, seed: int) -> list[tuple[str, str]]:
    """(article id, word) pairs: a word with Romanian diacritics, not a stop word, taken from
    a random article's title or text as searchapp indexes them (page furniture such as
    republication notices removed by `sources.make_article`)."""
    from searchapp.sources import make_article

    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    attempts = 0
    while len(pairs) < count and attempts < count * 20:
        attempts += 1
        doc = rng.choice(docs)
        article = make_article(doc["id"], doc["text"], title=doc["title"])
        if article is None:
            continue
        candidates = sorted({
            w.replace("\u00ad", "").lower() for w in romanian.words(article.title + "\n" + article.text)
            if ROMANIAN_DIACRITICS & set(w.lower()) and len(w) >= 3 and w.isalpha()
            and not romanian.is_stop_word(w)
        })
        if candidates:
            pairs.append((doc["id"], rng.choice(candidates)))
    return pairs


def spellings(word: str) -> dict[str, str]:
    """A word as typed with comma-below ș/ț, with cedilla ş/ţ, and without diacritics."""
    comma = word.replace("ş", "ș").replace("ţ", "ț")
    return {"comma": comma, "cedilla": comma.replace("ș", "ş").replace("ț", "ţ"), "none": romanian.fold(comma)}


INVARIANCE_PAGE = 30


def check_invariance(archive, pairs: list[tuple[str, str]]) -> list[str]:
    """The problems found: each spelling of each word must find the same articles, and, when
    the first INVARIANCE_PAGE hold them all, the article the word came from. Comma-below and
    cedilla ș/ț give the same answer, order included (newest first); without diacritics the
    same articles (the same total, and the same set where the page holds them all) in an
    order that may differ: newest first, the articles that write a word typed with diacritics
    as typed come first (readings.py)."""
    from searchapp.params import parse_params

    problems = []
    for article_id, word in pairs:
        answers = {}
        for kind, text in spellings(word).items():
            result = archive.search(parse_params({"q": text, "sort": "newest", "per_page": str(INVARIANCE_PAGE),
                                                  "literal": "1"}))
            answers[kind] = (result.total, tuple(hit.id for hit in result.hits), result.relaxed)
        comma, cedilla, none = answers["comma"], answers["cedilla"], answers["none"]
        same_set = comma[0] > INVARIANCE_PAGE or set(comma[1]) == set(none[1])
        if comma != cedilla or (comma[0], comma[2]) != (none[0], none[2]) or not same_set:
            problems.append(f"{word!r} ({article_id}): " + "; ".join(
                f"{kind}: {total} found" for kind, (total, _, _) in answers.items()))
        elif comma[0] <= INVARIANCE_PAGE and article_id not in comma[1]:
            problems.append(f"{word!r} does not find its article {article_id}")
    return problems


def invariance_report(corpus: Path, size: int, count: int, seed: int, log) -> str:
    docs = news_slice(corpus / "ro-news.jsonl.gz", size, seed)
    pairs = invariance_pairs(docs, count, seed)
    with E.Searchapp() as engine:
        engine.build(docs)
        problems = check_invariance(engine.archive, pairs)
    log(f"diacritic invariance: {len(pairs)} pairs, {len(problems)} problems")
    lines = [f"### Diacritic invariance ({len(pairs)} (article, word) pairs, {size}-article slice)", "",
             f"Each word searched with comma-below ș/ț, cedilla ş/ţ and no diacritics: "
             f"{len(pairs) - len(problems)} of {len(pairs)} pairs give identical results "
             f"(same total, same first {INVARIANCE_PAGE} ids newest first) and find their article "
             f"(checked where the total is at most {INVARIANCE_PAGE})."]
    lines += [f"- {p}" for p in problems[:20]]
    return "\n".join(lines) + "\n"
