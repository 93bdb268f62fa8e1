"""Load test: `searchapp serve --workers 2` on loopback under wrk, then the same while
`searchapp reindex` commits again and again. Figures for RELIABILITY.md.

    .venv/bin/python -m bench.load [--clients 32] [--duration 60] [--commits 2]
    .venv/bin/python -m bench.load --slice 2000 --duration 10 --commits 1   # a quick run

What it does, bounded in count and time, loopback only:

1. builds the index of the corpus (default ../shared/corpus/ro-news.jsonl.gz, 40,514 articles)
   once into bench/.work/load/index (ignored by git), with the real `searchapp reindex`;
2. samples a realistic request mix with a fixed seed from the corpus titles: the API (60%), the
   HTML search page (25%) and article pages (15%); single words, 2-3 words, quoted phrases,
   words typed without diacritics, prefixes, with now and then a year, a sort or page 2;
   every request in the mix is valid, so any non-2xx answer counts as an error;
3. starts `searchapp serve --workers 2` on a free loopback port and runs wrk (Debian's `wrk`)
   with N connections for the duration: requests/s, latency p50/p95/p99, errors (socket
   errors, timeouts and non-2xx), and the memory of each worker (RSS and PSS, the proportional
   share, which counts the index pages the workers share once), sampled every second;
4. the same again while a loop runs `searchapp reindex` of the same corpus into the served
   index, from the start of the first reindex until 30 s after the `--commits`-th commit
   (default 2; a 40k reindex takes minutes on two busy cores), counting the commits;
5. after the reindex loop, checks that the server answers from the last committed generation.

Results: a JSON file in bench/results/ (ignored by git) and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "ro-news.jsonl.gz"
WORK = ROOT / "bench" / ".work" / "load"
RESULTS = ROOT / "bench" / "results"
SEARCHAPP = Path(sys.executable).with_name("searchapp")
SEED = 20261121
WRK_TIMEOUT = "30s"  # gunicorn's worker timeout: a slower answer is an error either way

# --- the request mix --------------------------------------------------------------------------

LUA = r"""
local paths = {%(paths)s}
local counter = 0
init = function(args)
  counter = tonumber(args[1]) or 0
end
request = function()
  counter = counter + 7919  -- a prime stride: each thread walks the whole mix in its own order
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nWRK_JSON {"requests": %%d, "duration_us": %%d, "bytes": %%d, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "status": %%d, "timeout": %%d, "p50_us": %%d, "p90_us": %%d, "p95_us": %%d, ' ..
    '"p99_us": %%d, "max_us": %%d, "mean_us": %%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def corpus_records(corpus: Path, limit: int | None):
    opener = gzip.open if corpus.name.endswith(".gz") else open
    with opener(corpus, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if limit is not None and number >= limit:
                return
            yield json.loads(line)


def request_mix(corpus: Path, limit: int | None, size: int = 600) -> list[str]:
    from unidecode import unidecode

    from searchapp.romanian import is_stop_word

    rng = random.Random(SEED)
    records = [r for r in corpus_records(corpus, limit) if r.get("title")]
    sample = rng.sample(records, min(len(records), size))
    paths = []
    for record in sample:
        words = [w for w in re.findall(r"[^\W\d_]{4,}", record["title"]) if not is_stop_word(w)]
        if not words:
            continue
        kind = rng.choices(["word", "words", "phrase", "folded", "prefix"], [35, 30, 10, 15, 10])[0]
        start = rng.randrange(len(words))
        if kind == "word":
            q = words[start]
        elif kind == "words":
            q = " ".join(words[start: start + rng.choice([2, 3])])
        elif kind == "phrase":
            q = '"' + " ".join(words[start: start + 2]) + '"'
        elif kind == "folded":
            q = unidecode(" ".join(words[start: start + 2]))
        else:
            q = words[start][:5] + "*"
        params = {"q": q}
        extra = rng.random()
        if extra < 0.08 and record.get("date"):
            params["year"] = record["date"][:4]
        elif extra < 0.14:
            params["sort"] = "newest"
        elif extra < 0.20:
            params["page"] = "2"
        where = rng.choices(["api", "page", "article"], [60, 25, 15])[0]
        if where == "api":
            paths.append("/api/search?" + urlencode(params))
        elif where == "page":
            paths.append("/?" + urlencode(params))
        else:
            paths.append(f"/articol/{quote(record['id'], safe='')}?" + urlencode({"q": q}))
    return paths


def write_lua(paths: list[str], target: Path) -> Path:
    quoted = ",\n".join(json.dumps(p) for p in paths)  # JSON strings are valid Lua strings here
    target.write_text(LUA % {"paths": quoted}, encoding="utf-8")
    return target


# --- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 30) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def memory_kib(pid: int) -> tuple[int, int] | None:
    """(RSS, PSS) of a process in KiB, from /proc/PID/smaps_rollup."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    values = dict(re.findall(r"^(Rss|Pss):\s+(\d+) kB", text, re.M))
    return int(values["Rss"]), int(values["Pss"])


class MemorySampler(threading.Thread):
    """The largest RSS and PSS seen for each worker of the server, sampled every second."""

    def __init__(self, master: int):
        super().__init__(daemon=True)
        self.master = master
        self.peak: dict[int, tuple[int, int]] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(1.0):
            for pid in children(self.master):
                sample = memory_kib(pid)
                if sample:
                    rss, pss = self.peak.get(pid, (0, 0))
                    self.peak[pid] = (max(rss, sample[0]), max(pss, sample[1]))


class Server:
    def __init__(self, index_dir: Path, workers: int):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(SEARCHAPP), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
             "--index", str(index_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                if get(self.base + "/healthz", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start: {self.process.stderr.read().decode()[-2000:]}")
            time.sleep(0.3)
        # Warm both workers up (first searcher, analyzers) before measuring.
        for _ in range(20):
            get(self.base + "/api/search?q=guvern")

    def close(self) -> str:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        log = self.process.stderr.read().decode(errors="replace")
        self.process.stderr.close()
        return log


def run_wrk(base: str, lua: Path, clients: int, threads: int, duration: int,
            until: threading.Event | None = None) -> dict:
    """wrk for `duration` seconds, or until `until` is set (wrk reports what it measured on SIGINT)."""
    command = ["wrk", f"-t{threads}", f"-c{clients}", f"-d{duration}s", f"--timeout={WRK_TIMEOUT}", "--latency",
               "-s", str(lua), base, "--", str(random.Random(SEED).randrange(10**6))]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if until is not None:
        deadline = time.monotonic() + duration
        while process.poll() is None and time.monotonic() < deadline and not until.wait(0.5):
            pass
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    output, errors = process.communicate(timeout=duration + 120)
    if "WRK_JSON " not in output:
        raise SystemExit(f"wrk failed: {errors[-2000:]}")
    data = json.loads(output.split("WRK_JSON ", 1)[1].splitlines()[0])
    data["command"] = " ".join(command[:-4] + ["mix.lua", "http://127.0.0.1:PORT"])
    data["errors"] = data["connect"] + data["read"] + data["write"] + data["status"] + data["timeout"]
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


class ReindexLoop(threading.Thread):
    """`searchapp reindex` of the corpus into the served index, again and again, until stopped."""

    def __init__(self, index_dir: Path, sources: list[Path]):
        super().__init__(daemon=True)
        self.index_dir, self.sources = index_dir, sources
        self.stop = threading.Event()
        self.commits: list[float] = []
        self.failures: list[str] = []
        self.enough = threading.Event()  # set `settle` seconds after the `wanted`-th commit
        self.wanted, self.settle = 1, 30.0
        self.process: subprocess.Popen | None = None

    def interrupt(self) -> None:
        """Stop the loop; a reindex under way is interrupted (Ctrl-C: it cancels, the index stays)."""
        self.stop.set()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)

    def run(self) -> None:
        while not self.stop.is_set():
            args = [str(SEARCHAPP), "reindex", "-q", "--index", str(self.index_dir)]
            for source in self.sources:
                args += ["--source", str(source)]
            self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            _, stderr = self.process.communicate(timeout=3600)
            result = subprocess.CompletedProcess(args, self.process.returncode, "", stderr)
            if self.stop.is_set():
                break  # interrupted on purpose: neither a commit nor a failure
            if result.returncode == 0:
                self.commits.append(time.monotonic())
                if len(self.commits) == self.wanted:
                    threading.Timer(self.settle, self.enough.set).start()
            else:
                self.failures.append(result.stderr.strip()[-500:])


# --- the run --------------------------------------------------------------------------------------


def build_index(index_dir: Path, sources: list[Path]) -> dict:
    from searchapp.engines.whoosh import index, store

    if store.current_generation(index_dir) is not None:
        return {"built": False, "articles": index.stats(index_dir).articles}
    started = time.monotonic()
    args = [str(SEARCHAPP), "reindex", "-q", "--index", str(index_dir)]
    for source in sources:
        args += ["--source", str(source)]
    subprocess.run(args, check=True, timeout=7200)
    return {"built": True, "seconds": round(time.monotonic() - started, 1), "articles": index.stats(index_dir).articles}


def phase(server: Server, lua: Path, args, duration: int, reindex_sources: list[Path] | None, index_dir: Path) -> dict:
    from searchapp.engines.whoosh import store

    sampler = MemorySampler(server.process.pid)
    sampler.start()
    loop = None
    if reindex_sources:
        loop = ReindexLoop(index_dir, reindex_sources)
        loop.wanted = args.commits
        loop.start()
    started = time.monotonic()
    result = run_wrk(server.base, lua, args.clients, args.threads, duration, until=loop.enough if loop else None)
    ended = time.monotonic()
    sampler.stop.set()
    sampler.join()
    result["workers_kib"] = sorted(sampler.peak.values(), reverse=True)
    if loop:
        loop.interrupt()
        loop.join()
        result["commits_during_run"] = sum(1 for t in loop.commits if started <= t <= ended)
        result["commits_total"] = len(loop.commits)
        result["reindex_failures"] = loop.failures
        # The server follows the last commit without a restart: every worker answers from it.
        generation = store.current_generation(index_dir).name
        result["final_generation"] = generation
        checks = [json.loads(get(server.base + "/healthz")[1]) for _ in range(8)]
        result["healthz_after"] = checks[-1]
    return result


WORST_QUERIES = [
    ("a lone `*` (every article)", "*"),
    ("22 one-letter prefixes", " ".join(f"{c}*" for c in "abcdefghijlmnoprstuvz")),
    ("8 two-letter prefixes OR-ed", " OR ".join(f"{p}*" for p in ("ma", "co", "pr", "de", "in", "re", "ca", "st"))),
    ("40 common words OR-ed", " OR ".join(["guvern", "ministru", "presedinte", "romania", "lege", "bani", "oameni", "an",
                                          "tara", "partid", "vot", "euro", "lei", "ziua", "oras", "politie", "spital",
                                          "scoala", "europa", "rusia"] * 2)),
    ("a 140-word phrase", '"' + " ".join(["guvernul", "a", "decis"] * 47)[:990] + '"'),
    ("400 nested parentheses", "(" * 400 + "guvern" + ")" * 400),
    ("`NOT` soup", "NOT " * 240),
    ("1000 characters of one word", "guvern " * 142),
]


def worst_queries(index_dir: Path) -> str:
    """In-process time of pathological queries (the server answers the same through /api/search)."""
    from searchapp.engines.whoosh.archive import Archive
    from searchapp.params import parse_params

    archive = Archive(index_dir)
    archive.search(parse_params({"q": "guvern"}))  # open the searcher first
    rows = ["| query | total | partial | time (best of 3) |", "| --- | --- | --- | --- |"]
    for label, q in WORST_QUERIES:
        times, result = [], None
        for _ in range(3):
            started = time.perf_counter()
            result = archive.search(parse_params({"q": q}))
            times.append(time.perf_counter() - started)
        rows.append(f"| {label} | {result.total} | {result.partial} | {min(times) * 1000:.0f} ms |")
    return "\n".join(rows)


def markdown(report: dict) -> str:
    rows = ["| run | requests/s | p50 | p95 | p99 | max | requests | errors | worker memory (RSS / PSS, MiB) | commits during the run |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, r in report["phases"].items():
        memory = ", ".join(f"{rss / 1024:.0f} / {pss / 1024:.0f}" for rss, pss in r["workers_kib"])
        rows.append(
            f"| {name} | {r['rps']:.1f} | {r['p50_us'] / 1000:.0f} ms | {r['p95_us'] / 1000:.0f} ms | "
            f"{r['p99_us'] / 1000:.0f} ms | {r['max_us'] / 1000:.0f} ms | {r['requests']} | {r['errors']} | {memory} | "
            f"{r.get('commits_during_run', '-')} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--slice", type=int, default=None, help="Only the first N articles (a quick run).")
    parser.add_argument("--clients", type=int, default=32, help="Concurrent connections (wrk -c).")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    parser.add_argument("--workers", type=int, default=2, help="searchapp serve --workers.")
    parser.add_argument("--duration", type=int, default=60, help="Seconds of the first run.")
    parser.add_argument("--commits", type=int, default=2,
                        help="The run during reindexes lasts until 30 s after this many commits...")
    parser.add_argument("--reindex-duration", type=int, default=1800, help="...or this many seconds at most.")
    parser.add_argument("--worst-queries", action="store_true",
                        help="Only time pathological queries in-process on the built index, and stop.")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    if not args.corpus.exists():
        raise SystemExit(f"corpus {args.corpus} not found")

    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    sources = [args.corpus]
    name = "full"
    if args.slice:
        name = f"slice-{args.slice}"
        sliced = WORK / f"{name}.jsonl"
        if not sliced.exists():
            with open(sliced, "w", encoding="utf-8") as out:
                for record in corpus_records(args.corpus, args.slice):
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
        sources = [sliced]
    index_dir = WORK / f"index-{name}"
    build = build_index(index_dir, sources)
    if args.worst_queries:
        print(worst_queries(index_dir))
        return
    paths = request_mix(args.corpus, args.slice)
    lua = write_lua(paths, Path(tempfile.mkdtemp(prefix="searchapp-load-")) / "mix.lua")

    report = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "loadavg_before": os.getloadavg()},
        "corpus": str(args.corpus), "slice": args.slice, "index": build, "mix_size": len(paths),
        "clients": args.clients, "workers": args.workers, "phases": {},
    }
    server = Server(index_dir, args.workers)
    try:
        report["phases"]["steady"] = phase(server, lua, args, args.duration, None, index_dir)
        report["phases"]["while reindexing"] = phase(server, lua, args, args.reindex_duration, sources, index_dir)
    finally:
        report["server_log_tail"] = server.close()[-3000:]
        shutil.rmtree(lua.parent, ignore_errors=True)
    report["machine"]["loadavg_after"] = os.getloadavg()
    out = RESULTS / f"load-{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(markdown(report))
    print(f"\nindex: {build}; mix: {len(paths)} requests; load average before/after: "
          f"{report['machine']['loadavg_before']} / {report['machine']['loadavg_after']}")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
