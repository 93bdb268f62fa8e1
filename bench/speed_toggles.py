"""One optimisation at a time: the query mix through `Archive.search` with each of this
session's search-path changes switched back to the obvious Whoosh code, in one process, on one
index. CPU time per request (`time.process_time`), which a shared machine disturbs far less
than wall time.

    .venv/bin/python -m bench.speed_toggles INDEX_DIR SLICE.jsonl [--passes 3]
"""

from __future__ import annotations

import argparse
import json
import time

from whoosh.collectors import TimeLimitCollector
from whoosh.highlight import ContextFragmenter

from bench.speed import query_mix, summary_ms
from searchapp.engines.whoosh import archive as archive_module, searching, snippets
from searchapp.params import parse_params
from searchapp.config import setting


def _whoosh_snippet(self, hit, text):
    """The snippet as it was: Whoosh's highlighter re-analysing the whole text."""
    hit.results.fragmenter = ContextFragmenter(maxchars=setting("snippet_chars"), surround=60)
    hit.results.formatter = snippets.MarkFormatter()
    return hit.highlights("body", text=text, top=2) or snippets.lead(text, setting("snippet_chars"))


class _TimerCollector(TimeLimitCollector):
    """The time limit as it was: a threading.Timer per search."""

    def __init__(self, child, timelimit):
        super().__init__(child, timelimit, use_alarm=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("index")
    parser.add_argument("slice")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--per-kind", type=int, default=15)
    args = parser.parse_args()
    with open(args.slice, encoding="utf-8") as handle:
        articles = [json.loads(line) for _, line in zip(range(5000), handle)]
    queries = [q["q"] for q in query_mix(articles, args.per_kind)]
    variants = {
        "now": {},
        "snippets by re-analysis": {"snippet": _whoosh_snippet},
        "timer thread per search": {"collector": _TimerCollector},
    }
    originals = {"snippet": searching.Search._snippet, "collector": searching.DeadlineCollector}
    results = {}
    for name, change in variants.items():
        searching.Search._snippet = change.get("snippet", originals["snippet"])
        searching.DeadlineCollector = change.get("collector", originals["collector"])
        archive = archive_module.Archive(args.index)
        for q in queries:
            archive.search(parse_params({"q": q}))
        cpu, wall = [], []
        for _ in range(args.passes):
            for q in queries:
                c, w = time.process_time(), time.perf_counter()
                json.dumps(archive.search(parse_params({"q": q})).to_json())
                cpu.append(time.process_time() - c)
                wall.append(time.perf_counter() - w)
        results[name] = {"cpu": summary_ms(cpu), "wall": summary_ms(wall)}
        print(name, results[name], flush=True)
    searching.Search._snippet, searching.DeadlineCollector = originals["snippet"], originals["collector"]
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
