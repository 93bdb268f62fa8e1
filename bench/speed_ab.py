"""Before/after: the same build and the same query mix with searchapp as it was at several git
revisions, one after the other in one run (so that each optimisation's effect is measured).

    .venv/bin/python -m bench.speed_ab --size 5000 [--repeat 3] REV [REV ...]
    .venv/bin/python -m bench.speed_ab --size 40000 --index INDEX_DIR --repeat 5 REV [REV ...]
    .venv/bin/python -m bench.speed_ab --size 160000 --index-of A=DIR_A --index-of B=DIR_B --repeat 5 A B
    .venv/bin/python -m bench.speed_ab --size 40000 --index INDEX_DIR --kinds question,typo REV [REV ...]

Each revision's `searchapp/` is exported with `git archive` into a temporary folder and run with
that folder first on PYTHONPATH, under `python -P` (without it, `python -c` puts the current
folder, this checkout, ahead of PYTHONPATH, and every "revision" ran the working tree's code:
the A/Bs of 2026-11-22 before 02:40 UTC compared the working tree with itself). Builds use
the Whoosh engine's `index.rebuild` (both cores); each revision then searches the index it built itself
(its own file format), or with `--search-only` the one the first revision built, or with
`--index` an existing one, or with `--index-of` one built beforehand by that revision (at 160k a
build takes 10 minutes), with `Archive.search` in-process.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.speed import (
    CORPUS,
    QUERY_KINDS,
    ROOT,
    clean_articles,
    query_mix,
    run_measured,
    summary_ms,
    write_slices,
)

BUILD = """
import sys, time
try:
    from searchapp.engines.whoosh import index
except ImportError:  # a revision from before the engine seam (issue 19)
    from searchapp import index
started = time.perf_counter()
summary = index.rebuild(sys.argv[1], [sys.argv[2]])
print(summary.indexed, time.perf_counter() - started)
"""

SEARCH = """
import json, sys, time
try:
    from searchapp.engines.whoosh.archive import Archive
    from searchapp.params import parse_params
except ImportError:  # a revision from before the engine seam (issue 19)
    from searchapp.search import Archive, parse_params
queries = json.loads(open(sys.argv[2]).read())
archive = Archive(sys.argv[1])
for q in queries:
    archive.search(parse_params({"q": q}))
times, cpu = [], []
for _ in range(int(sys.argv[3])):
    for q in queries:
        started, cpu_started = time.perf_counter(), time.process_time()
        json.dumps(archive.search(parse_params({"q": q})).to_json())
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
print(json.dumps([times, cpu]))
"""


def export(rev: str, folder: Path) -> Path:
    target = folder / rev
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "searchapp"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("revs", nargs="+")
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--per-kind", type=int, default=15)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--kinds", default=",".join(QUERY_KINDS),
                        help="query kinds of bench/speed.py's mix (also: question, typo)")
    parser.add_argument("--search-only", action="store_true", help="build with the first revision only")
    parser.add_argument("--repeat", type=int, default=1, help="rounds (revisions interleaved); medians reported")
    parser.add_argument("--search-repeat", type=int, default=None, help="search rounds (default: --repeat)")
    parser.add_argument("--index", default=None, help="search this existing index (of the same slice); build nothing")
    parser.add_argument("--index-of", action="append", default=[], metavar="REV=DIR",
                        help="revision REV searches the existing index DIR (of the same slice, built by REV); "
                             "with one for every revision, nothing is built")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "speed-ab.json"))
    args = parser.parse_args()
    index_of = dict(item.split("=", 1) for item in args.index_of)
    if index_of and set(index_of) != set(args.revs):
        parser.error("--index-of needs an index for every revision")
    py = str(ROOT / ".venv" / "bin" / "python")
    results = {"command": " ".join(sys.argv), "size": args.size, "builds": {}, "search": {}}
    with tempfile.TemporaryDirectory(prefix="speed-ab-") as tmp:
        tmp = Path(tmp)
        articles = clean_articles(CORPUS, args.size)
        # The query mix of `speed.py run --sizes 5000,...`: sampled from the 5k slice's titles.
        first = min(5000, args.size)
        slices = write_slices(articles, sorted({first, args.size}), tmp)
        source = slices[args.size]
        with open(slices[first], encoding="utf-8") as handle:
            queries = [q["q"] for q in query_mix([json.loads(line) for line in handle], args.per_kind,
                                                 kinds=args.kinds.split(","))]
        (tmp / "queries.json").write_text(json.dumps(queries, ensure_ascii=False))
        trees = {rev: export(rev, tmp / "trees") for rev in args.revs}
        builds: dict[str, list[dict]] = {}
        # Rounds interleave the revisions (A B C A B C ...), so that a slow spell of the shared
        # machine falls on every revision alike; the table takes each revision's median.
        for _ in range(args.repeat if args.index is None and not index_of else 0):
            for rev, tree in list(trees.items())[: 1 if args.search_only else None]:
                index_dir = tmp / f"ix-{rev}"
                shutil.rmtree(index_dir, ignore_errors=True)
                measured = run_measured([py, "-P", "-c", BUILD, str(index_dir), str(source)], 3600,
                                        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
                builds.setdefault(rev, []).append(measured)
                print(rev, "build", {k: measured[k] for k in ("seconds", "cpu_s", "peak_mib")}, file=sys.stderr, flush=True)
        for rev, runs in builds.items():
            seconds, cpu_s = statistics.median(r["seconds"] for r in runs), statistics.median(r["cpu_s"] for r in runs)
            results["builds"][rev] = {"seconds": round(seconds, 2), "cpu_s": round(cpu_s, 2),
                                      "cpu_ms_per_article": round(1000 * cpu_s / args.size, 2),
                                      "peak_mib": max(r["peak_mib"] for r in runs),
                                      "articles_per_s": round(args.size / seconds, 1),
                                      "runs": [[round(r["seconds"], 2), r["cpu_s"]] for r in runs]}
        rounds: dict[str, list[dict]] = {}
        for _ in range(args.search_repeat or args.repeat):
            for rev, tree in trees.items():
                own = args.index is None and not args.search_only
                index_dir = Path(index_of.get(rev) or args.index or tmp / f"ix-{rev if own else args.revs[0]}")
                out = subprocess.run([py, "-P", "-c", SEARCH, str(index_dir), str(tmp / "queries.json"), str(args.passes)],
                                     capture_output=True, text=True, check=True, env={"PYTHONPATH": str(tree)})
                wall, cpu = json.loads(out.stdout)
                rounds.setdefault(rev, []).append({"wall": summary_ms(wall), "cpu": summary_ms(cpu)})
                print(rev, "search", rounds[rev][-1], file=sys.stderr, flush=True)
        for rev, measured in rounds.items():
            results["search"][rev] = {
                kind: {stat: statistics.median(m[kind][stat] for m in measured) for stat in measured[0][kind]}
                for kind in ("wall", "cpu")}
            results["search"][rev]["rounds"] = measured
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
