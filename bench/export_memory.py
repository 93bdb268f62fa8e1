"""Memory of an export (issue 20): does it stay flat however many rows go out?

    .venv/bin/python -m bench.export_memory --index /tmp/archive-idx [--format jsonl] [--q ""]
    .venv/bin/python -m bench.export_memory --engine solr --solr-url URLS --index ALIAS [...]

Runs `/api/export` through the Flask app in this process, twice in child processes of their
own (one capped at 100 rows, one with no cap that binds), reads the streamed response a chunk
at a time as a client would (never holding it whole), and prints for each: rows, seconds, the
peak of Python's heap during the export (tracemalloc, from just before the request) and the
process's peak resident set (ru_maxrss, which includes opening the index). On the Solr engine
that process is the client: the index is in the cluster's JVMs, and the rows come through
cursorMark pages.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import time
import tracemalloc


def _run(engine: dict, query: str, export_format: str, cap: int, out) -> None:
    from searchapp.config import Settings
    from searchapp.web import create_app

    client = create_app({**engine, "SETTINGS": Settings.defaults().replace(export_cap=cap)}).test_client()
    client.get("/api/search", query_string={"q": query})  # open the index and its per-searcher data first
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get("/api/export", query_string={"format": export_format, "q": query}, buffered=False)
    lines = 0
    for chunk in response.response:
        lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    out.send({"cap": cap, "lines": lines, "seconds": round(seconds, 2), "heap_peak_mb": round(peak / 2**20, 1),
              "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
              "truncated": response.headers["X-Export-Truncated"], "partial": response.headers["X-Export-Partial"]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", required=True, help="the index folder, or the Solr alias")
    parser.add_argument("--engine", default="whoosh", choices=["whoosh", "solr"])
    parser.add_argument("--solr-url", default="", help="the Solr nodes' URLs, comma-separated")
    parser.add_argument("--q", default="")
    parser.add_argument("--format", default="jsonl", choices=["csv", "jsonl"])
    args = parser.parse_args()
    engine = {"INDEX_DIR": args.index, "ENGINE": args.engine, "SOLR_URL": args.solr_url}
    for cap in (100, 10_000_000):
        receive, send = multiprocessing.Pipe(duplex=False)
        child = multiprocessing.Process(target=_run, args=(engine, args.q, args.format, cap, send))
        child.start()
        print(json.dumps(receive.recv()))
        child.join()


if __name__ == "__main__":
    main()
