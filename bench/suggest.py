"""Suggestions as you type over HTTP: `/api/suggest` latency, as a browser asks while typing.

    .venv/bin/python -m bench.suggest --index /tmp/idx40k-with-forms [--requests 3000]
    .venv/bin/python -m bench.suggest --count-cost      # CPU of counting written forms at 40k

1. samples titles of the corpus (../shared/corpus/ro-news.jsonl.gz) with a fixed seed and
   types them: every keystroke of one to three of their words is a request, as the page's
   script asks (`k`, `kl`, `kla`, ..., `klaus i`, ...), with the words before kept;
2. starts `searchapp serve --workers 1` on a free loopback port over the given index (built by
   this code: it must hold written-forms.npz) and sends the requests one at a time, each on a
   new connection (gunicorn's sync workers close it), after 100 to warm up;
3. prints p50/p95/p99/max of the time from sending a request to its whole answer.

`--count-cost` instead measures the CPU time `searchapp reindex` spends counting written forms
(written_forms.FormCounter over every article as sources.py reads it) and the table's size.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "ro-news.jsonl.gz"
SEARCHAPP = Path(sys.executable).with_name("searchapp")
SEED = 20261203


def typed_prefixes(count: int, seed: int = SEED) -> list[str]:
    """What a reader's box holds after each keystroke, typing words of corpus titles."""
    rng = random.Random(seed)
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        titles = [json.loads(line).get("title") or "" for line in handle]
    prefixes: list[str] = []
    while len(prefixes) < count:
        words = [w for w in rng.choice(titles).split() if w.isalpha()]
        if not words:
            continue
        start = rng.randrange(len(words))
        typed = ""
        for word in words[start:start + rng.randint(1, 3)]:
            for end in range(1, len(word) + 1):
                prefixes.append(typed + word[:end].lower())
            typed += word.lower() + " "
    return prefixes[:count]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not come up")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run_http(index: Path, requests: int) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(SEARCHAPP), "serve", "--workers", "1", "--port", str(port), "--index", str(index)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(base)
        prefixes = typed_prefixes(requests + 100)
        latencies, empty = [], 0
        for number, q in enumerate(prefixes):
            started = time.perf_counter()
            with urllib.request.urlopen(f"{base}/api/suggest?{urlencode({'q': q})}", timeout=30) as response:
                data = json.loads(response.read())
            elapsed = (time.perf_counter() - started) * 1000
            if number >= 100:  # the first hundred warm the worker up
                latencies.append(elapsed)
                empty += not data["suggestions"]
        if not empty < len(latencies):
            raise SystemExit("no suggestions at all: was the index built with written-forms.npz?")
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"| requests | p50 ms | p95 ms | p99 ms | max ms | answers without suggestions |")
    print(f"| ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {len(latencies)} | {statistics.median(latencies):.1f} | {percentile(latencies, .95):.1f} | "
          f"{percentile(latencies, .99):.1f} | {max(latencies):.1f} | {empty} |")


def run_count_cost() -> None:
    from searchapp.sources import ReadReport, read_articles
    from searchapp.written_forms import FormCounter

    articles = list(read_articles([CORPUS], ReadReport()))
    counter = FormCounter()
    started_cpu, started = time.process_time(), time.perf_counter()
    for article in articles:
        counter.add(article.title, article.text)
    counted_cpu, counted = time.process_time() - started_cpu, time.perf_counter() - started
    started_cpu = time.process_time()
    table = counter.table()
    frozen_cpu = time.process_time() - started_cpu
    path = Path("/tmp") / f"written-forms-bench-{time.time_ns()}.npz"
    table.save(path)
    size = path.stat().st_size
    started = time.perf_counter()
    type(table).load(path)
    load_ms = (time.perf_counter() - started) * 1000
    path.unlink()
    print(f"articles {len(articles)}; counting: {counted_cpu:.1f} s CPU ({counted:.1f} s wall); "
          f"freezing the table: {frozen_cpu:.1f} s CPU; {len(table)} keys; file {size / 1e6:.1f} MB; "
          f"loading it: {load_ms:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, help="an index folder built with written forms")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--count-cost", action="store_true", help="measure the counting instead")
    args = parser.parse_args()
    if args.count_cost:
        run_count_cost()
    elif args.index:
        run_http(args.index, args.requests)
    else:
        parser.error("give --index DIR or --count-cost")


if __name__ == "__main__":
    main()
