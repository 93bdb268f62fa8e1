"""Search quality on real Romanian text: searchapp against the engines a user would pick instead.

Two known-item tests (one relevant document per query), both split with a fixed seed into a
tuning half (the only one ranking was tuned on) and a held-out half:

* `xquad`: the 1,190 XQuAD-ro questions over its 240 passages, as typed (natural language).
* `news`: a fixed 6,000-article slice of ro-news.jsonl.gz (reservoir sample, fixed seed); for
  1,000 of its articles, three words of the title (not stop words, kept in title order) are the
  query and the article is the target; typed `with` diacritics as in the title and `without`
  them (ASCII, as people type).

Measures (ir-measures, on top-10 lists): RR@10 (= MRR@10), R@10, nDCG@10. Every engine runs in
this process on the same data; searchapp through `Archive.search(parse_params(...))`, the
function behind /api/search.

    python bench/quality.py                          # full run, markdown tables on stdout
    python bench/quality.py --out bench/results/quality.md
    python bench/quality.py --slice 300 --targets 40 --xquad-queries 60   # a quick smoke run
    python bench/quality.py --sweep                  # tuning sweeps (tuning halves only)
    python bench/quality.py --set title_boost=3 --set bm25_k1=1.0 --engines searchapp
    python bench/quality.py --tests none --engines "" --invariance 2000   # invariance only
    python bench/quality.py --engines searchapp-stem-first,searchapp-split-soft-hyphens
    python bench/quality.py --tests xquad --engines "" --ceiling   # what word matching can still gain
    python bench/quality.py --engines searchapp,searchapp-solr   # the Solr engine (SEARCHAPP_SOLR_URL)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import ir_measures  # noqa: E402
from ir_measures import R, RR, nDCG  # noqa: E402

from bench import engines as E  # noqa: E402
from bench.invariance import invariance_report, news_slice  # noqa: E402
from searchapp import config  # noqa: E402
from searchapp import romanian  # noqa: E402
from searchapp.engines.whoosh import analysis  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
SEED = 20261121
MEASURES = [RR @ 10, R @ 10, nDCG @ 10]
MEASURE_NAMES = {RR @ 10: "MRR@10", R @ 10: "R@10", nDCG @ 10: "nDCG@10"}
K = 10


# --- data -------------------------------------------------------------------------------------


@dataclasses.dataclass
class Test:
    name: str
    docs: list[dict]
    queries: dict[str, dict[str, str]]  # variant -> qid -> query text
    qrels: dict[str, dict[str, int]]
    halves: dict[str, set[str]]  # "tuning" / "held-out" -> qids


def split_halves(qids: Iterable[str], seed: int) -> dict[str, set[str]]:
    ordered = sorted(qids)
    random.Random(seed).shuffle(ordered)
    middle = len(ordered) // 2
    return {"tuning": set(ordered[:middle]), "held-out": set(ordered[middle:])}


def load_xquad(corpus: Path, seed: int, max_queries: int | None = None) -> Test:
    folder = corpus / "xquad-ro"
    docs = []
    with open(folder / "passages.jsonl", encoding="utf-8") as lines:
        for line in lines:
            p = json.loads(line)
            docs.append({"id": p["id"], "title": p["title"], "text": p["text"], "date": None})
    queries = {}
    with open(folder / "queries.tsv", encoding="utf-8") as lines:
        for line in lines:
            qid, text = line.rstrip("\n").split("\t", 1)
            queries[qid] = text
    qrels: dict[str, dict[str, int]] = {}
    with open(folder / "qrels.txt", encoding="utf-8") as lines:
        for line in lines:
            qid, _, docid, rel = line.split()
            qrels.setdefault(qid, {})[docid] = int(rel)
    if max_queries:
        keep = sorted(queries)
        random.Random(seed).shuffle(keep)
        queries = {q: queries[q] for q in sorted(keep[:max_queries])}
    qrels = {q: r for q, r in qrels.items() if q in queries}
    return Test("xquad", docs, {"questions": queries}, qrels, split_halves(queries, seed))


def title_words(title: str) -> list[str]:
    """Candidate query words of a title: letters only, 3+ characters, not stop words, distinct."""
    seen, words = set(), []
    for word in romanian.words(title):
        clean = word.replace("\u00ad", "").lower()
        if len(clean) < 3 or not clean.isalpha() or romanian.is_stop_word(clean):
            continue
        if romanian.fold(clean) in seen:
            continue
        seen.add(romanian.fold(clean))
        words.append(clean)
    return words


def load_news(corpus: Path, size: int, targets: int, seed: int, words: int = 3, with_cedilla: bool = False) -> Test:
    docs = news_slice(corpus / "ro-news.jsonl.gz", size, seed)
    rng = random.Random(seed + 1)
    candidates = [d for d in docs if len(title_words(d["title"])) >= words]
    chosen = rng.sample(candidates, min(targets, len(candidates)))
    with_dia, without, cedilla, qrels = {}, {}, {}, {}
    for d in sorted(chosen, key=lambda d: d["id"]):
        pool = title_words(d["title"])
        picked = sorted(rng.sample(range(len(pool)), words))
        query = " ".join(pool[i] for i in picked)
        qid = "n-" + d["id"]
        with_dia[qid] = query
        without[qid] = romanian.fold(query)
        cedilla[qid] = query.replace("ș", "ş").replace("ț", "ţ")
        qrels[qid] = {d["id"]: 1}
    queries = {"with": with_dia, "without": without}
    if with_cedilla:
        queries["cedilla"] = cedilla
    return Test("news", docs, queries, qrels, split_halves(qrels, seed))


# --- running ----------------------------------------------------------------------------------


def run_queries(engine: E.Engine, queries: dict[str, str], k: int = K) -> dict[str, dict[str, float]]:
    return {qid: ranked_run(engine.search(text, k), k) for qid, text in queries.items()}


def ranked_run(ids: list[str], k: int = K) -> dict[str, float]:
    """One query's entry of an ir-measures run: its ranked ids scored k, k-1, ... A query that
    finds nothing still counts (as 0): ir-measures averages only over the queries present in
    the run, so it gets a placeholder document."""
    return {doc: float(k - rank) for rank, doc in enumerate(ids[:k])} or {"-none-": 0.0}


def measure(run: dict, qrels: dict, qids: set[str]) -> dict[str, float]:
    sub_run = {q: r for q, r in run.items() if q in qids}
    sub_qrels = {q: r for q, r in qrels.items() if q in qids}
    scores = ir_measures.calc_aggregate(MEASURES, sub_qrels, sub_run)
    return {MEASURE_NAMES[m]: scores[m] for m in MEASURES}


@dataclasses.dataclass
class Row:
    engine: str
    test: str
    variant: str
    half: str
    scores: dict[str, float]


def evaluate(engine: E.Engine, test: Test, variants: Iterable[str] | None = None, halves=("tuning", "held-out")):
    rows = []
    for variant in variants or test.queries:
        queries = test.queries[variant]
        wanted = set().union(*(test.halves[h] for h in halves))
        run = run_queries(engine, {q: t for q, t in queries.items() if q in wanted})
        for half in halves:
            rows.append(Row(engine.name, test.name, variant, half, measure(run, test.qrels, test.halves[half])))
    return rows


# --- searchapp settings -----------------------------------------------------------------------


def settings_with(values: dict[str, object], base=None):
    """searchapp's settings (searchapp/config.py) with `values`: a Settings the engines under
    test are given; nothing global changes. Text values take the type of the default."""
    return (base or config.Settings.defaults()).replace(**values)


def search_with(engine: E.Searchapp, settings) -> None:
    """Search the engine's built index with `settings` from now on (a new Archive)."""
    from searchapp.engines.whoosh.archive import Archive

    engine.settings = settings
    engine.archive = Archive(engine.archive.index_dir, settings)


# --- analysis variants (experiments: what the stem/fold order and soft-hyphen handling buy) ----


class _StemThenFold(E.Searchapp):
    """searchapp with the folded analyzer stemming before it folds (the other possible order)."""

    def build(self, articles):
        from searchapp.engines.whoosh import analysis as A

        def stem_then_fold():
            return (A.RomanianTokenizer() | A.LowercaseFilter() | A.NormalizeFilter() | A.WrittenStopFilter()
                    | A.romanian_stem_filter() | A.FoldFilter())

        original = A.folded_analyzer
        A.folded_analyzer = stem_then_fold
        try:
            super().build(articles)
        finally:
            A.folded_analyzer = original


class _SoftHyphensSplit(E.Searchapp):
    """searchapp given text whose soft hyphens split words, as a tokenizer that does not know
    U+00AD does (`ran\u00addamentelor` -> `ran`, `damentelor`)."""

    def build(self, articles):
        super().build({**a, "title": (a["title"] or "").replace("\u00ad", " "), "text": a["text"].replace("\u00ad", " ")}
                      for a in articles)


VARIANTS = {"stem-first": _StemThenFold, "split-soft-hyphens": _SoftHyphensSplit}


# --- engines ----------------------------------------------------------------------------------


def _searchapp(kind: type[E.Searchapp] = E.Searchapp, **kwargs) -> E.Searchapp:
    # One writer process: the articles keep their order as document numbers, so that exact
    # ties (ranked by document number, as Whoosh does) come out the same in every run; with two,
    # which articles share a segment varies from run to run.
    return kind(procs=1, **kwargs)


def make_engines(names: list[str], settings=None) -> list[tuple[E.Engine, list[str]]]:
    """Engines and the query modes each is measured in (baselines in both OR and AND);
    `settings`: searchapp's (settings_with)."""
    table = {
        "whoosh": lambda: E.WhooshPlain("or"),
        "fts5": lambda: E.Fts5(False, "or"),
        "fts5-stemmed": lambda: E.Fts5(True, "or"),
        "tantivy": lambda: E.Tantivy("or"),
        "searchapp": lambda: _searchapp(),
        "searchapp-solr": lambda: E.SearchappSolr(),
        **{f"searchapp-{v}": (lambda v=v: _searchapp(VARIANTS[v], name=f"searchapp, {v}")) for v in VARIANTS},
    }
    out = []
    for name in names:
        engine = table[name]()
        if settings is not None and isinstance(engine, E.Searchapp):
            engine.settings = settings
        out.append((engine, [] if name.startswith("searchapp") else ["or", "and"]))
    return out


def engine_label(engine: E.Engine, mode: str | None) -> str:
    if mode is None:
        return engine.name
    base = engine.name.rsplit("-", 1)[0]
    return f"{base} ({mode.upper()})"


def run_engine(engine: E.Engine, modes: list[str], tests: list[Test], log) -> list[Row]:
    rows = []
    for test in tests:
        started = time.perf_counter()
        engine.build(test.docs)
        built = time.perf_counter() - started
        for mode in modes or [None]:
            if mode is not None:
                engine.mode = mode
            started = time.perf_counter()
            new = evaluate(engine, test)
            for row in new:
                row.engine = engine_label(engine, mode)
            rows.extend(new)
            log(f"{engine_label(engine, mode)} on {test.name}: built in {built:.1f} s, "
                f"queries in {time.perf_counter() - started:.1f} s")
        engine.close()
    return rows


# --- reports ----------------------------------------------------------------------------------

COLUMNS = [("xquad", "questions"), ("news", "with"), ("news", "without")]
COLUMN_NAMES = {
    ("xquad", "questions"): "XQuAD-ro questions",
    ("news", "with"): "news, 3 title words, with diacritics",
    ("news", "without"): "news, 3 title words, without diacritics",
    ("news", "cedilla"): "news, 3 title words, cedilla ş/ţ",
}


def table(rows: list[Row], half: str, measure_name: str) -> str:
    columns = [c for c in COLUMNS if any((r.test, r.variant) == c for r in rows)]
    engines = list(dict.fromkeys(r.engine for r in rows))
    lines = [
        "| engine | " + " | ".join(COLUMN_NAMES[c] for c in columns) + " |",
        "| --- | " + " | ".join("---:" for _ in columns) + " |",
    ]
    best = {}
    for c in columns:
        values = [r.scores[measure_name] for r in rows if (r.test, r.variant) == c and r.half == half]
        best[c] = max(values) if values else None
    for name in engines:
        cells = []
        for c in columns:
            found = [r for r in rows if r.engine == name and (r.test, r.variant) == c and r.half == half]
            if not found:
                cells.append("")
                continue
            value = found[0].scores[measure_name]
            text = f"{value:.3f}"
            cells.append(f"**{text}**" if value == best[c] else text)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(rows: list[Row], header: str) -> str:
    parts = [header]
    for half in ("tuning", "held-out"):
        for m in MEASURE_NAMES.values():
            if any(r.half == half for r in rows):
                parts.append(f"\n### {m}, {half} half\n\n" + table(rows, half, m))
    parts.append("\n" + targets(rows))
    return "\n".join(parts) + "\n"


def targets(rows: list[Row]) -> str:
    """The issue's targets on the held-out halves, computed from the rows."""
    def score(engine_pred: Callable[[str], bool], test, variant, half="held-out"):
        values = [r.scores["MRR@10"] for r in rows
                  if engine_pred(r.engine) and r.test == test and r.variant == variant and r.half == half]
        return max(values) if values else None

    is_app = lambda name: name == "searchapp"  # noqa: E731
    lines = ["### Targets (held-out halves, MRR@10)", ""]
    for test, variant in COLUMNS:
        app, base = score(is_app, test, variant), score(lambda n: not n.startswith("searchapp"), test, variant)
        if app is not None and base is not None:
            lines.append(f"- {COLUMN_NAMES[(test, variant)]}: searchapp {app:.3f}, best baseline {base:.3f}, "
                         f"margin {app - base:+.3f} (target >= +0.020)")
    with_d, without = score(is_app, "news", "with"), score(is_app, "news", "without")
    if with_d is not None and without is not None:
        lines.append(f"- news, cost of stripping diacritics for searchapp: {with_d - without:+.3f} "
                     "(target <= 0.010)")
    return "\n".join(lines)


# --- sweeps (tuning halves only) --------------------------------------------------------------

# Query-time settings: one index, reopened per configuration.
SWEEPS: list[tuple[str, list[dict]]] = [
    ("title_boost", [{"title_boost": v} for v in (1.0, 1.5, 2.0, 3.0, 4.0, 6.0)]),
    ("bm25_k1", [{"bm25_k1": v} for v in (0.6, 0.9, 1.2, 1.5, 2.0)]),
    ("bm25_b", [{"bm25_b": v} for v in (0.3, 0.5, 0.75, 0.9, 1.0)]),
    ("exact_score", [{"exact_score": v} for v in (0.0, 0.5, 1.0, 2.0, 1000.0)]),
    ("relax", [{"relax_below": 1}, {"relax_below": 10}, {"relax_below": 10, "relax_blend": True},
               {"relax_below": 1_000_000, "relax_blend": True}]),
    ("relaxed_coord", [{"relaxed_coord": v} for v in (0.0, 0.5, 0.9)]),
    ("rerank_depth", [{"rerank_depth": v} for v in (0, 10, 20, 30, 50)]),
    ("near_window", [{"near_window": v} for v in (6, 8, 12)]),
    ("near_weight", [{"near_weight": v} for v in (0.0, 1.0, 1.5, 2.0)]),
    ("variant_prefix", [{"variant_prefix": v} for v in (4, 5, 6, 7)]),
    ("variant_weight", [{"variant_weight": v} for v in (0.0, 0.8, 1.2, 1.6)]),
]


def sweep(tests: list[Test], names: list[str], log, tries: list[str] = (), base=None) -> str:
    """Tuning-half MRR@10 of searchapp for each configuration of the named sweeps (all when
    none is named), or for each `--try` configuration ("name=value,name=value")."""
    sweeps = [(n, c) for n, c in SWEEPS if not names or n in names]
    if tries:
        sweeps = [("tries", [dict(item.split("=", 1) for item in t.split(",") if item) for t in tries])]
    loaded = {t.name for t in tests}
    columns = [c for c in COLUMNS if c[0] in loaded]
    engine = _searchapp()
    out = ["## Sweeps (tuning halves, MRR@10; one setting varied, the others at their defaults)", ""]
    built = {}
    for test in tests:
        engine.build(test.docs)
        built[test.name] = engine.archive.index_dir
        engine.archive = None
        engine._dir = None  # keep each test's folder; removed at the end
    for name, configs in sweeps:
        out.append(f"### {name}\n")
        out.append("| setting | " + " | ".join(COLUMN_NAMES[c] for c in columns) + " |")
        out.append("| --- | " + " | ".join("---:" for _ in columns) + " |")
        for values in configs:
            missing = [n for n in values if n not in config.SETTINGS]
            if missing:
                log(f"skipping {values}: no such setting")
                continue
            cells = []
            for test_name, variant in columns:
                test = next(t for t in tests if t.name == test_name)
                from searchapp.engines.whoosh.archive import Archive

                engine.archive = Archive(built[test_name], settings_with(values, base))
                rows = evaluate(engine, test, [variant], halves=("tuning",))
                cells.append(f"{rows[0].scores['MRR@10']:.3f}")
            label = ", ".join(f"{k}={v}" for k, v in values.items()) or "defaults"
            out.append(f"| {label} | " + " | ".join(cells) + " |")
            log(f"{label}: {cells}")
        out.append("")
    for folder in built.values():
        import shutil

        shutil.rmtree(Path(folder).parent, ignore_errors=True)
    return "\n".join(out)


# --- how far word matching can go ------------------------------------------------------------


def ceiling_report(test: Test) -> str:
    """searchapp's misses (answer not first), and among them those where the answer has at least
    the first passage's share of the question's words (idf-weighted, title and text): the only
    misses a ranking by the question's words could mend without putting a passage with fewer of
    them first. Counting all of those as mended gives an optimistic bound on MRR@10."""
    engine = _searchapp()
    engine.build(test.docs)
    terms = {d["id"]: set(analysis.match_terms(f"{d['title']}\n{d['text']}")) for d in test.docs}
    articles = len(test.docs)
    found = {}
    for doc_terms in terms.values():
        for term in doc_terms:
            found[term] = found.get(term, 0) + 1

    def share(question_terms: set[str], doc: str) -> float:
        weights = {t: math.log(1 + (articles - found.get(t, 0) + 0.5) / (found.get(t, 0) + 0.5)) for t in question_terms}
        return sum(w for t, w in weights.items() if t in terms[doc]) / (sum(weights.values()) or 1)

    lines = ["## How far word matching can go (XQuAD-ro, searchapp)", "",
             "| half | MRR@10 | answer not first | of which the answer has at least the first passage's share of the question | MRR@10 if all of those came first |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for half in ("tuning", "held-out"):
        total = bound = 0.0
        misses = mendable = 0
        for qid in sorted(test.halves[half]):
            answer = next(iter(test.qrels[qid]))
            text = test.queries["questions"][qid]
            ranked = engine.search(text, K)
            rr = 1 / (ranked.index(answer) + 1) if answer in ranked else 0.0
            total += rr
            if rr < 1:
                misses += 1
                question_terms = set(analysis.match_terms(text))
                if ranked and share(question_terms, answer) >= share(question_terms, ranked[0]):
                    mendable += 1
                    rr = 1.0
            bound += rr
        count = len(test.halves[half])
        lines.append(f"| {half} | {total / count:.3f} | {misses} | {mendable} | {bound / count:.3f} |")
    engine.close()
    return "\n".join(lines) + "\n"


# --- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--slice", type=int, default=6000, help="news articles in the slice")
    parser.add_argument("--targets", type=int, default=1000, help="news known-item queries")
    parser.add_argument("--xquad-queries", type=int, default=None, help="use only this many questions")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--tests", default="xquad,news")
    parser.add_argument("--engines", default="whoosh,fts5,fts5-stemmed,tantivy,searchapp")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a searchapp setting (searchapp/config.py) for this run")
    parser.add_argument("--sweep", nargs="*", default=None, metavar="NAME",
                        help="run the tuning sweeps (all, or the named ones) instead of the tables")
    parser.add_argument("--try", dest="tries", action="append", default=[], metavar="NAME=V,NAME=V",
                        help="with --sweep: one configuration to measure (repeatable; '' = defaults)")
    parser.add_argument("--invariance", type=int, default=0, metavar="N",
                        help="also check N (article, word) pairs for diacritic invariance on the news slice")
    parser.add_argument("--ceiling", action="store_true",
                        help="also report searchapp's XQuAD-ro misses that word matching could mend")
    parser.add_argument("--out", type=Path, help="also write the markdown here")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        if not args.quiet:
            print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    settings = settings_with(dict(s.split("=", 1) for s in args.set))
    started = time.perf_counter()
    tests = []
    wanted = args.tests.split(",")
    if "xquad" in wanted:
        tests.append(load_xquad(args.corpus, args.seed, args.xquad_queries))
    if "news" in wanted:
        tests.append(load_news(args.corpus, args.slice, args.targets, args.seed))
    for t in tests:
        log(f"{t.name}: {len(t.docs)} documents, {len(t.qrels)} queries "
            f"({len(t.halves['tuning'])} tuning / {len(t.halves['held-out'])} held-out)")

    if args.sweep is not None:
        text = sweep(tests, args.sweep, log, args.tries, settings)
    else:
        rows = []
        for engine, modes in make_engines([e for e in args.engines.split(",") if e], settings):
            rows.extend(run_engine(engine, modes, tests, log))
        command = "python bench/quality.py " + " ".join(argv if argv is not None else sys.argv[1:])
        header = (f"## Quality: {', '.join(f'{t.name} ({len(t.docs)} docs, {len(t.qrels)} queries)' for t in tests)}\n\n"
                  f"Command: `{command.strip()}`; seed {args.seed}; settings "
                  + (", ".join(args.set) or "defaults") + ".")
        text = report(rows, header)
    if args.ceiling:
        text += "\n" + ceiling_report(next(t for t in tests if t.name == "xquad"))
    if args.invariance:
        text += "\n" + invariance_report(args.corpus, args.slice, args.invariance, args.seed, log)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    log(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
