"""Synonyms on the news test: does expanding a query change the ranking, and where it helps.

    .venv/bin/python bench/synonyms.py            # about 2-5 minutes
    .venv/bin/python bench/synonyms.py --speed /tmp/idx40k   # what expansion costs a search

The news known-item test of bench/quality.py (6,000 articles, 1,000 queries of three title
words, seed 20261121), searchapp built once, every query run with `synonyms` off and on:

* all queries, and the ones the lists expand (a title word such as `BNR` or `PSD`);
* the expanded queries with the form swapped for another of its group (`BNR` typed as
  `Banca Națională a României`): a reader who types the long name of what the title abbreviates.

MRR@10 / R@10 per half, as bench/quality.py measures them.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import quality as Q  # noqa: E402
from searchapp.engines.whoosh import synonyms  # noqa: E402


def swapped(query: str, table: synonyms.Synonyms) -> str | None:
    """The query with its first expanded form written as another form of its group."""
    _text, expansions = table.expand(query)
    if not expansions:
        return None
    first = expansions[0]
    return query.replace(first.typed, first.added[0], 1) if first.typed in query else None


SPEED_QUERIES = [
    "BNR dobanda", "UE buget", "CCR decizie", "DNA dosar", "PSD guvern", "PNL alegeri", "NATO summit", "SUA China",
    "ANAF control", "TVA cota", "PIB crestere", "FMI acord", "USR Barna", "UDMR Kelemen", "CSM judecatori",
    "Uniunea Europeana fonduri", "Banca Nationala a Romaniei curs", "Curtea Constitutionala", "kyiv", "ONU Ucraina"]


def speed(index: Path) -> int:
    """In-process search time of 20 queries with a group's form, synonyms off and on, twice
    each, interleaved (two passes timed after one to warm up)."""
    from searchapp.engines.whoosh.archive import Archive
    from searchapp.params import parse_params

    archives = {on: Archive(index, Q.settings_with({"synonyms": on})) for on in (False, True)}
    print("| synonyms | p50 ms | p95 ms |\n| --- | ---: | ---: |")
    for on in (False, True, False, True):
        archive = archives[on]
        times = []
        for _ in range(3):
            for q in SPEED_QUERIES:
                started = time.perf_counter()
                archive.search(parse_params({"q": q}))
                times.append((time.perf_counter() - started) * 1000)
        timed = sorted(times[len(SPEED_QUERIES):])
        print(f"| {'on' if on else 'off'} | {timed[len(timed) // 2]:.1f} | {timed[int(0.95 * (len(timed) - 1))]:.1f} |")
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--speed"]:
        return speed(Path(sys.argv[2]))
    started = time.perf_counter()
    test = Q.load_news(Q.CORPUS, 6000, 1000, Q.SEED)
    table = synonyms.current()
    (engine, _modes), = Q.make_engines(["searchapp"])
    engine.build(test.docs)
    sets = {}
    for variant, queries in test.queries.items():
        expanded = {qid for qid, q in queries.items() if table.expand(q)[1]}
        sets[variant] = ("all", queries, set(queries)), ("expanded", queries, expanded), \
            ("expanded, another form typed", {qid: swapped(queries[qid], table) for qid in expanded}, expanded)
    print("| queries | diacritics | count | half | MRR@10 off | MRR@10 on | R@10 off | R@10 on |")
    print("| --- | --- | ---: | --- | ---: | ---: | ---: | ---: |")
    for variant, rows in sets.items():
        for name, queries, qids in rows:
            runs = {}
            for on in (False, True):
                Q.search_with(engine, Q.settings_with({"synonyms": on}))
                runs[on] = Q.run_queries(engine, {q: queries[q] for q in qids if queries.get(q)})
            for half in ("tuning", "held-out"):
                chosen = qids & test.halves[half]
                off, on = (Q.measure(runs[flag], test.qrels, chosen) for flag in (False, True))
                print(f"| {name} | {variant} | {len(chosen)} | {half} | {off['MRR@10']:.3f} | {on['MRR@10']:.3f} "
                      f"| {off['R@10']:.3f} | {on['R@10']:.3f} |")
    engine.close()
    print(f"\n{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
