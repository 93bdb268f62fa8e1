"""Before/after for the landing page (issue 18): browsing with no query, newest first, against
typical searches, with searchapp as it was at two or more git revisions, rounds interleaved.

    .venv/bin/python -m bench.landing_ab --index /work/idx40k --repeat 5 REV [REV ...]

Each revision's `searchapp/` is exported as `bench/speed_ab.py` does and searches the same
existing index in a process of its own (`python -P`, the revision first on PYTHONPATH). A
request is `Archive.search` plus the JSON encoding; the first request of each kind (a new
searcher's one-off work) is reported apart and left out of the medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.speed import ROOT, summary_ms
from bench.speed_ab import export

# The landing page and its neighbours: no query (the home page, `q=*`, `q=%00`), the other
# order, a year chosen, a deep page; and typical searches for scale.
REQUESTS = {
    "landing": [{}, {"q": "*"}, {"q": "\x00"}, {"sort": "oldest"}, {"year": "2019"}, {"page": "50"}],
    "search": [{"q": "guvernul"}, {"q": "soldati"}, {"q": "alegeri prezidentiale"}, {"q": "\"banca nationala\""},
               {"q": "inflatie", "sort": "newest"}, {"q": "Iohannis"}],
}

SEARCH = """
import json, sys, time
from searchapp.engines.whoosh.archive import Archive
from searchapp.params import parse_params
requests = json.loads(sys.argv[2])
archive = Archive(sys.argv[1])
first = {}
for kind, batch in requests.items():
    started = time.perf_counter()
    archive.search(parse_params(batch[0]))
    first[kind] = time.perf_counter() - started
    for raw in batch[1:]:
        archive.search(parse_params(raw))
times = {kind: [] for kind in requests}
for _ in range(int(sys.argv[3])):
    for kind, batch in requests.items():
        for raw in batch:
            started = time.perf_counter()
            json.dumps(archive.search(parse_params(raw)).to_json())
            times[kind].append(time.perf_counter() - started)
print(json.dumps({"first": first, "times": times}))
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("revs", nargs="+")
    parser.add_argument("--index", required=True, help="an existing index to search")
    parser.add_argument("--repeat", type=int, default=5, help="rounds (revisions interleaved); medians reported")
    parser.add_argument("--passes", type=int, default=3, help="timed passes over the requests per round")
    args = parser.parse_args()
    py = str(ROOT / ".venv" / "bin" / "python")
    measured: dict[str, dict[str, list[float]]] = {}
    firsts: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="landing-ab-") as tmp:
        trees = {rev: export(rev, Path(tmp)) for rev in args.revs}
        for _ in range(args.repeat):
            for rev, tree in trees.items():
                out = subprocess.run([py, "-P", "-c", SEARCH, args.index, json.dumps(REQUESTS), str(args.passes)],
                                     capture_output=True, text=True, check=True, env={"PYTHONPATH": str(tree)})
                run = json.loads(out.stdout)
                for kind, times in run["times"].items():
                    measured.setdefault(rev, {}).setdefault(kind, []).extend(times)
                firsts.setdefault(rev, []).append(run["first"]["landing"])
                print(rev, {k: summary_ms(v)["p50_ms"] for k, v in run["times"].items()}, file=sys.stderr, flush=True)
    results = {"command": " ".join(sys.argv), "requests": REQUESTS,
               "revisions": {rev: {**{kind: summary_ms(times) for kind, times in kinds.items()},
                                   "first_landing_ms": round(1000 * statistics.median(firsts[rev]), 1)}
                             for rev, kinds in measured.items()}}
    print(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
