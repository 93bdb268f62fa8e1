"""Speed at archive scale: searchapp against the engines a user would pick instead.

    .venv/bin/python -m bench.speed run [--sizes 5000,10000,20000,40000,160000] [--out FILE]
    .venv/bin/python -m bench.speed report FILE      # Markdown tables for BENCHMARKS.md
    .venv/bin/python -m bench.speed plot FILE        # docs/scaling.png
    .venv/bin/python -m bench.speed run --sizes 40000,160000 \
        --engines searchapp,tantivy,searchapp-solr-1,searchapp-solr-2   # + SolrCloud (SEARCHAPP_SOLR_URL)

One `run` measures, for every archive size, in one process run so that the ratios compare
like with like on a shared machine:

* index build: articles/s and peak memory of `searchapp reindex` (the real CLI, in a process
  of its own) and of each baseline (`python -m bench.speed_engines build ...`), the peak being
  the largest sum of the proportional set sizes (PSS) of the build's process tree, sampled;
* a full search request (top 10, snippets, year facet counts, total) over a fixed, seeded
  query mix: searchapp through `/api/search` over HTTP with one worker (`searchapp serve
  --workers 1` on a free loopback port) and in-process (`Archive.search`), naive Whoosh,
  tantivy and SQLite FTS5 in-process; median and p95 over every request;
* at the largest size of 40k or less, HTTP throughput of `searchapp serve --workers 2` under
  `wrk` (Debian) for a bounded time, and the memory of each worker.

Sizes above the corpus replicate it with new ids (`<id>~r1`, ...). Slices are nested: the
corpus is read once through `searchapp.sources` (so every engine indexes the same clean
text), shuffled with a fixed seed, and each size is a prefix. The query mix is sampled with a
fixed seed from the titles of the smallest slice, so every size answers the same queries.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "ro-news.jsonl.gz"
WORK = ROOT / "bench" / ".work"
RESULTS = ROOT / "bench" / "results"
SEED = 20261121
DEFAULT_SIZES = (5000, 10000, 20000, 40000, 160000)
QUERY_KINDS = ("word", "words", "phrase", "folded")
# Not in the main mix (tantivy has neither relaxing nor suggestions to compare with); for A/Bs
# of those paths (bench/speed_ab.py --kinds): a question whose words no one article has all of
# (ranked by most words matching, then reranked), and a word with a typo (a suggestion).
EXTRA_QUERY_KINDS = ("question", "typo")


# --- data -------------------------------------------------------------------------------------


def clean_articles(corpus: Path, limit: int | None = None) -> list[dict]:
    """The corpus as searchapp reads it: decoded, furniture stripped, titled."""
    from searchapp.sources import ReadReport, read_articles

    articles = []
    for article in read_articles([corpus], ReadReport()):
        articles.append({"id": article.id, "title": article.title, "text": article.text,
                         "date": article.date, "url": article.url, "source": article.source})
        if limit and len(articles) >= limit:
            break
    return articles


def write_slices(articles: list[dict], sizes: list[int], folder: Path) -> dict[int, Path]:
    """Nested slices: a seeded shuffle, then prefixes; past the corpus, copies with new ids."""
    folder.mkdir(parents=True, exist_ok=True)
    order = list(articles)
    random.Random(SEED).shuffle(order)
    paths = {}
    for size in sizes:
        path = folder / f"slice-{size}.jsonl"
        with open(path, "w", encoding="utf-8") as out:
            for i in range(size):
                article = order[i % len(order)]
                copy = i // len(order)
                if copy:
                    article = {**article, "id": f"{article['id']}~r{copy}"}
                out.write(json.dumps(article, ensure_ascii=False) + "\n")
        paths[size] = path
    return paths


def query_mix(articles: list[dict], per_kind: int, seed: int = SEED, kinds=QUERY_KINDS) -> list[dict]:
    """Seeded queries from titles: one word, 2-3 words, a quoted phrase, 2 words folded (and, when
    asked for, a question of words from two titles, or a title word with a letter dropped)."""
    from searchapp.romanian import fold, is_stop_word, words

    rng = random.Random(seed)
    titles = [a["title"] for a in articles if a["title"]]
    queries: list[dict] = []

    def content(word: str) -> bool:
        return word.isalpha() and len(word) >= 3 and not is_stop_word(word)

    def runs(title: str, n: int, keep) -> list[list[str]]:
        ws = words(title)
        return [ws[i:i + n] for i in range(len(ws) - n + 1) if all(keep(w) for w in ws[i:i + n])]

    makers = {
        "word": lambda t: [[w] for w in words(t) if content(w) and len(w) >= 4],
        "words": lambda t: runs(t, rng.choice((2, 3)), content),
        "phrase": lambda t: runs(t, rng.choice((2, 3)), lambda w: w.isalpha() and len(w) >= 2),
        "folded": lambda t: [r for r in runs(t, 2, content) if any(not w.isascii() for w in r)],
        "question": lambda t: question(t),
        "typo": lambda t: [[w[: len(w) // 2] + w[len(w) // 2 + 1:]] for w in words(t) if content(w) and len(w) >= 6],
    }

    def question(title: str) -> list[list[str]]:
        """`care`, three words of this title and two of another."""
        these, those = runs(title, 3, content), runs(rng.choice(titles), 2, content)
        return [["care", *rng.choice(these), *rng.choice(those)]] if these and those else []

    for kind in kinds:
        made = 0
        while made < per_kind:
            choices = makers[kind](rng.choice(titles))
            if not choices:
                continue
            chosen = rng.choice(choices)
            if kind == "folded":
                text = " ".join(fold(w) for w in chosen)
            elif kind == "phrase":
                text = '"' + " ".join(chosen) + '"'
            else:
                text = " ".join(chosen)
            queries.append({"kind": kind, "q": text})
            made += 1
    return queries


# --- measuring --------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo.extend(_children(p))
    return pids


def memory_kib(pid: int, field: str = "Pss") -> int:
    """PSS (or RSS) of one process in KiB, from /proc; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_memory_kib(pid: int) -> int:
    return sum(memory_kib(p) for p in _tree(pid))


def run_measured(cmd: list[str], timeout: float, env: dict | None = None) -> dict:
    """Run a command, sampling the PSS of its process tree; seconds, peak MiB, output."""
    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = 0
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True)
    reader.start()
    try:
        while proc.poll() is None:
            peak = max(peak, tree_memory_kib(proc.pid))
            if time.perf_counter() - started > timeout:
                proc.kill()
                raise TimeoutError(f"{cmd[:4]} took more than {timeout} s")
            time.sleep(0.05 if time.perf_counter() - started < 2 else 0.2)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # user + system seconds of the whole tree (waited descendants count): far steadier than wall
    # time on a machine shared with other work
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    reader.join(5)
    stderr = proc.stderr.read()
    proc.stdout.close()
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {stderr[-2000:]}")
    return {"seconds": seconds, "cpu_s": round(cpu, 2), "peak_mib": round(peak / 1024, 1), "stdout": "".join(out)}


def folder_mib(path: Path) -> float:
    return round(sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20, 1)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summary_ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 3), "p95_ms": round(percentile(ms, 95), 3),
            "mean_ms": round(statistics.fmean(ms), 3), "max_ms": round(max(ms), 3)}


def time_requests(request, queries: list[dict], passes: int) -> dict:
    """One warm-up pass, then `passes` timed passes over the mix; latency per request."""
    for q in queries:
        request(q["q"])
    timings: list[float] = []
    by_kind: dict[str, list[float]] = {k: [] for k in QUERY_KINDS}
    for _ in range(passes):
        for q in queries:
            started = time.perf_counter()
            request(q["q"])
            elapsed = time.perf_counter() - started
            timings.append(elapsed)
            by_kind[q["kind"]].append(elapsed)
    result = summary_ms(timings)
    result["by_kind"] = {k: summary_ms(v) for k, v in by_kind.items() if v}
    return result


# --- searchapp over HTTP ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`searchapp serve` on a free loopback port, stopped (with its workers) on exit."""

    def __init__(self, index_dir: Path | str, workers: int, engine: str = "whoosh"):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "searchapp"), "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(workers), "--index", str(index_dir), "--engine", engine],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            # This checkout's code first: the console script would otherwise import the package
            # the editable install points to, which need not be this checkout (a git worktree).
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )

    def __enter__(self) -> "Server":
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("searchapp serve exited at start")
            try:
                status, _ = http_get(self.port, "/healthz")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("searchapp serve did not become healthy in 60 s")

    def worker_pids(self) -> list[int]:
        return _children(self.proc.pid)

    def __exit__(self, *exc) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def http_get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def api_path(q: str) -> str:
    return "/api/search?" + urlencode({"q": q})


def wrk_throughput(port: int, queries: list[dict], seconds: int, connections: int) -> dict:
    """Requests/s and latency from wrk, cycling through the query mix."""
    if not shutil.which("wrk"):
        return {"skipped": "wrk not installed (apt-get install wrk)"}
    paths = [api_path(q["q"]) for q in queries]
    script = "paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n" + (
        "i = 0\n"
        "request = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n"
        "done = function(summary, latency, requests)\n"
        "  io.write(string.format('JSON {\"requests\": %d, \"errors\": %d, \"non2xx\": %d, \"p50_ms\": %.3f, "
        "\"p95_ms\": %.3f, \"p99_ms\": %.3f, \"seconds\": %.3f}\\n', summary.requests, "
        "summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, "
        "summary.errors.status, latency:percentile(50)/1000, latency:percentile(95)/1000, "
        "latency:percentile(99)/1000, summary.duration/1e6))\nend\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", handle.name,
             f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, timeout=seconds + 60, check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    line = next(l for l in out.splitlines() if l.startswith("JSON "))
    data = json.loads(line[5:])
    data["requests_per_s"] = round(data["requests"] / data["seconds"], 1)
    data["connections"] = connections
    return data


# --- one archive size -------------------------------------------------------------------------


def build_all(size: int, source: Path, folder: Path, engines: list[str], timeout: float) -> dict:
    py = str(ROOT / ".venv" / "bin" / "python")
    builds = {}
    for name in engines:
        dest = folder / name
        if dest.exists():
            shutil.rmtree(dest)
        if name == "searchapp":
            cmd = [str(ROOT / ".venv" / "bin" / "searchapp"), "reindex", "--source", str(source),
                   "--index", str(dest), "--quiet"]
        elif name.startswith(SOLR_PREFIX):
            # Peak memory is the client's alone: the Solr nodes' JVMs are not in its process tree.
            cmd = [str(ROOT / ".venv" / "bin" / "searchapp"), "reindex", "--engine", "solr", "--source", str(source),
                   "--index", solr_alias(name, size), "--shards", name[len(SOLR_PREFIX):], "--replicas", "1", "--quiet"]
        else:
            cmd = [py, "-m", "bench.speed_engines", "build", name, str(source), str(dest)]
        print(f"[{size}] building {name}…", file=sys.stderr, flush=True)
        measured = run_measured(cmd, timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})
        builds[name] = {
            "seconds": round(measured["seconds"], 2),
            "articles_per_s": round(size / measured["seconds"], 1),
            "cpu_s": measured["cpu_s"],
            "peak_mib": measured["peak_mib"],
            "disk_mib": folder_mib(dest),
        }
        print(f"[{size}] {name}: {builds[name]}", file=sys.stderr, flush=True)
    return builds


def search_all(size: int, folder: Path, engines: list[str], queries: list[dict], passes: int) -> dict:
    from bench.speed_engines import ENGINES
    from searchapp.engines.whoosh.archive import Archive
    from searchapp.params import parse_params

    latencies = {}
    if "searchapp" in engines:
        with Server(folder / "searchapp", workers=1) as server:
            def over_http(q: str) -> None:
                status, body = http_get(server.port, api_path(q))
                if status != 200:
                    raise RuntimeError(f"/api/search {q!r}: {status} {body[:200]!r}")
            latencies["searchapp-http"] = time_requests(over_http, queries, passes)
            latencies["searchapp-http"]["worker_pss_mib"] = [round(memory_kib(p) / 1024, 1) for p in server.worker_pids()]
        archive = Archive(folder / "searchapp")
        latencies["searchapp-inprocess"] = time_requests(
            lambda q: json.dumps(archive.search(parse_params({"q": q})).to_json()), queries, passes)
        del archive
    for name in engines:
        if not name.startswith(SOLR_PREFIX):
            continue
        with Server(solr_alias(name, size), workers=1, engine="solr") as server:
            def over_solr(q: str) -> None:
                status, body = http_get(server.port, api_path(q))
                if status != 200:
                    raise RuntimeError(f"/api/search {q!r} on Solr: {status} {body[:200]!r}")
            latencies[f"{name}-http"] = time_requests(over_solr, queries, passes)
        _drop_solr_alias(solr_alias(name, size))
    for name in engines:
        if name == "searchapp" or name.startswith(SOLR_PREFIX):
            continue
        engine = ENGINES[name](folder / name)
        latencies[name] = time_requests(engine.request, queries, passes)
        engine.close()
    for name, figures in latencies.items():
        print(f"[{size}] {name}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms", file=sys.stderr, flush=True)
    return latencies


# "searchapp on SolrCloud": `searchapp-solr-N` is a collection of N shards (one replica each) on
# the SolrCloud that SEARCHAPP_SOLR_URL names, built and served through searchapp's CLI.
SOLR_PREFIX = "searchapp-solr-"


def solr_alias(name: str, size: int) -> str:
    return f"bench_speed_{name[len(SOLR_PREFIX):]}shards_{size}"


def _drop_solr_alias(alias: str) -> None:
    from searchapp.engines import open_engine
    from searchapp.engines.solr.admin import drop

    drop(open_engine("solr", alias).client, alias)


def throughput(folder: Path, queries: list[dict], seconds: int, connections: int) -> dict:
    with Server(folder / "searchapp", workers=2) as server:
        for q in queries:  # warm both workers' caches
            http_get(server.port, api_path(q["q"]))
        before = {p: round(memory_kib(p) / 1024, 1) for p in server.worker_pids()}
        result = wrk_throughput(server.port, queries, seconds, connections)
        result["worker_pss_mib"] = [round(memory_kib(p) / 1024, 1) for p in server.worker_pids()]
        result["worker_rss_mib"] = [round(memory_kib(p, "Rss") / 1024, 1) for p in server.worker_pids()]
        result["worker_pss_mib_before"] = list(before.values())
        result["master_pss_mib"] = round(memory_kib(server.proc.pid) / 1024, 1)
    print(f"throughput: {result}", file=sys.stderr, flush=True)
    return result


def machine() -> dict:
    info = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    try:
        with open("/proc/cpuinfo") as handle:
            info["cpu"] = next(l.split(":", 1)[1].strip() for l in handle if l.startswith("model name"))
        with open("/proc/meminfo") as handle:
            info["mem_gib"] = round(int(handle.readline().split()[1]) / 2**20, 1)
    except (OSError, StopIteration):
        pass
    info["load_at_start"] = os.getloadavg()
    import tantivy
    import whoosh

    info["versions"] = {"whoosh": whoosh.versionstring(),
                        "tantivy": getattr(tantivy, "__version__", "?"), "sqlite": __import__("sqlite3").sqlite_version}
    return info


def run(args) -> dict:
    sizes = sorted(args.sizes)
    engines = args.engines
    corpus = Path(args.corpus)
    started = time.time()
    print(f"reading {corpus}…", file=sys.stderr, flush=True)
    articles = clean_articles(corpus, args.limit)
    work = Path(args.work)
    slices = write_slices(articles, sizes, work / "slices")
    with open(slices[sizes[0]], encoding="utf-8") as handle:
        shuffled = [json.loads(line) for line in handle]
    queries = query_mix(shuffled, args.per_kind)
    del articles, shuffled
    results = {"command": " ".join(sys.argv), "machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(started)),
               "queries": queries, "passes": args.passes, "sizes": {}}
    for size in sizes:
        folder = work / f"indexes-{size}"
        size_engines = [e for e in engines if not (e == "whoosh-naive" and size > args.naive_max)]
        entry = {"builds": build_all(size, slices[size], folder, size_engines, args.build_timeout)}
        searched = [e for e in size_engines if not (e == "whoosh-naive" and size > args.naive_search_max)]
        entry["search"] = search_all(size, folder, searched, queries, args.passes)
        results["sizes"][str(size)] = entry
        if args.out:
            _save(results, args.out)
        if not args.keep and size != _throughput_size(sizes):
            shutil.rmtree(folder, ignore_errors=True)
    tsize = _throughput_size(sizes)
    if args.wrk_seconds and "searchapp" in engines:
        results["throughput"] = {"size": tsize, **throughput(work / f"indexes-{tsize}", queries, args.wrk_seconds, args.wrk_connections)}
    if not args.keep:
        shutil.rmtree(work / f"indexes-{tsize}", ignore_errors=True)
        shutil.rmtree(work / "slices", ignore_errors=True)
    results["seconds"] = round(time.time() - started, 1)
    if args.out:
        _save(results, args.out)
    return results


def _throughput_size(sizes: list[int]) -> int:
    small = [s for s in sizes if s <= 40000]
    return max(small) if small else min(sizes)


def _save(results: dict, out: str) -> None:
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(out).with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    tmp.replace(out)


# --- report and plot --------------------------------------------------------------------------


def report(results: dict) -> str:
    """Markdown tables of a run: builds, latencies, ratios, throughput."""
    lines = []
    sizes = list(results["sizes"])
    lines.append("| articles | engine | build s | articles/s | peak MiB | index MiB |")
    lines.append("| ---: | --- | ---: | ---: | ---: | ---: |")
    for size in sizes:
        for name, b in results["sizes"][size]["builds"].items():
            lines.append(f"| {int(size):,} | {name} | {b['seconds']:.1f} | {b['articles_per_s']:,.0f} | {b['peak_mib']:,.0f} | {b['disk_mib']:,.0f} |")
    lines.append("")
    lines.append("| articles | engine | p50 ms | p95 ms | mean ms |")
    lines.append("| ---: | --- | ---: | ---: | ---: |")
    for size in sizes:
        for name, s in results["sizes"][size]["search"].items():
            lines.append(f"| {int(size):,} | {name} | {s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['mean_ms']:.1f} |")
    lines.append("")
    lines.append("| articles | reindex vs naive (articles/s) | HTTP p95 / naive p95 | HTTP p50 / tantivy p50 | HTTP p95 / tantivy p95 |")
    lines.append("| ---: | ---: | ---: | ---: | ---: |")
    for size in sizes:
        entry = results["sizes"][size]
        b, s = entry["builds"], entry["search"]
        def ratio(a, bb, fmt="{:.2f}"):
            return fmt.format(a / bb) if a and bb else "-"
        naive_b = b.get("whoosh-naive", {}).get("articles_per_s")
        http = s.get("searchapp-http", {})
        naive = s.get("whoosh-naive", {})
        tv = s.get("tantivy", {})
        lines.append(
            f"| {int(size):,} | {ratio(b.get('searchapp', {}).get('articles_per_s'), naive_b, '{:.1f}x')} "
            f"| {ratio(http.get('p95_ms'), naive.get('p95_ms'))} | {ratio(http.get('p50_ms'), tv.get('p50_ms'), '{:.1f}x')} "
            f"| {ratio(http.get('p95_ms'), tv.get('p95_ms'), '{:.1f}x')} |"
        )
    if "throughput" in results:
        t = results["throughput"]
        lines.append("")
        if "skipped" in t:
            lines.append(f"Throughput: skipped ({t['skipped']}).")
        else:
            lines.append("| articles | workers | connections | requests/s | p50 ms | p95 ms | p99 ms | errors | worker PSS MiB | worker RSS MiB |")
            lines.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
            lines.append(
                f"| {t['size']:,} | 2 | {t['connections']} | {t['requests_per_s']:,.1f} | {t['p50_ms']:.1f} | {t['p95_ms']:.1f} "
                f"| {t['p99_ms']:.1f} | {t['errors'] + t['non2xx']} | {', '.join(map(str, t['worker_pss_mib']))} "
                f"| {', '.join(map(str, t['worker_rss_mib']))} |"
            )
    return "\n".join(lines)


def plot(results: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [int(s) for s in results["sizes"]]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    panels = [
        ("build: articles/s", lambda e, n: e["builds"].get(n, {}).get("articles_per_s"),
         ["searchapp", "whoosh-naive", "tantivy", "fts5"]),
        ("build: peak memory (MiB, PSS)", lambda e, n: e["builds"].get(n, {}).get("peak_mib"),
         ["searchapp", "whoosh-naive", "tantivy", "fts5"]),
        ("full request p95 (ms)", lambda e, n: e["search"].get(n, {}).get("p95_ms"),
         ["searchapp-http", "searchapp-inprocess", "whoosh-naive", "tantivy", "fts5"]),
    ]
    for ax, (title, get, names) in zip(axes, panels):
        for name in names:
            points = [(s, get(results["sizes"][str(s)], name)) for s in sizes]
            points = [(s, v) for s, v in points if v]
            if points:
                ax.plot(*zip(*points), marker="o", label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("articles")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    starts = results.get("runs_started", [results["started"]])
    fig.suptitle(f"searchapp vs baselines, {results['machine'].get('cpus')} cores, run(s) started {', '.join(starts)}")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def merged(files: list[str]) -> dict:
    """Several runs' results as one: sizes (sorted) and throughput from the later files."""
    results: dict = {}
    for name in files:
        data = json.loads(Path(name).read_text())
        sizes = {**results.get("sizes", {}), **data["sizes"]}
        starts = results.get("runs_started", []) + [data["started"]]
        results = {**results, **data, "sizes": dict(sorted(sizes.items(), key=lambda kv: int(kv[0]))),
                   "runs_started": starts}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="build and time every engine at every size")
    r.add_argument("--corpus", default=str(CORPUS))
    r.add_argument("--limit", type=int, default=None, help="read at most this many corpus articles")
    r.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=list(DEFAULT_SIZES))
    r.add_argument("--engines", type=lambda s: s.split(","), default=["searchapp", "whoosh-naive", "tantivy", "fts5"])
    r.add_argument("--per-kind", type=int, default=15, help="queries of each kind in the mix")
    r.add_argument("--passes", type=int, default=3, help="timed passes over the mix (after one warm-up)")
    r.add_argument("--naive-max", type=int, default=10**9, help="skip naive Whoosh above this size")
    r.add_argument("--naive-search-max", type=int, default=10**9,
                   help="above this size naive Whoosh is built (timed) but not searched (seconds per request)")
    r.add_argument("--wrk-seconds", type=int, default=20, help="0: no throughput run")
    r.add_argument("--wrk-connections", type=int, default=4)
    r.add_argument("--build-timeout", type=float, default=1800)
    r.add_argument("--work", default=str(WORK))
    r.add_argument("--keep", action="store_true", help="keep slices and indexes")
    r.add_argument("--out", default=str(RESULTS / "speed.json"))
    rep = sub.add_parser("report", help="Markdown tables of results files (sizes merged, later files win)")
    rep.add_argument("file", nargs="+")
    pl = sub.add_parser("plot", help="docs/scaling.png from results files (sizes merged)")
    pl.add_argument("file", nargs="+")
    pl.add_argument("--out", default=str(ROOT / "docs" / "scaling.png"))
    args = parser.parse_args(argv)
    if args.command == "run":
        results = run(args)
        print(report(results))
    elif args.command == "report":
        print(report(merged(args.file)))
    else:
        plot(merged(args.file), Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
