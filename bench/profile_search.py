"""Profile the search request: the query mix of `speed.py` through `Archive.search`, under cProfile.

    .venv/bin/python -m bench.profile_search INDEX_DIR SLICE.jsonl [--per-kind 15] [--top 40]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time

from bench.speed import query_mix
from searchapp.engines.whoosh.archive import Archive
from searchapp.params import parse_params


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("index")
    parser.add_argument("slice")
    parser.add_argument("--per-kind", type=int, default=15)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--out", default=None, help="save the raw profile here")
    args = parser.parse_args()
    articles = []
    with open(args.slice, encoding="utf-8") as handle:
        for line in handle:
            articles.append(json.loads(line))
            if len(articles) >= 5000:
                break
    queries = query_mix(articles, args.per_kind)
    archive = Archive(args.index)
    for q in queries:  # warm up: open the searcher, fill caches
        archive.search(parse_params({"q": q["q"]}))
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for q in queries:
        json.dumps(archive.search(parse_params({"q": q["q"]})).to_json())
    profile.disable()
    print(f"{len(queries)} requests in {time.perf_counter() - started:.2f} s (under cProfile)")
    if args.out:
        profile.dump_stats(args.out)
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
