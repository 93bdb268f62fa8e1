"""Would a learned reranker do better than searchapp's? XQuAD-ro, word-matching features only.

searchapp reranks a relaxed question's best candidates with two hand-weighted features
(`searchapp/rerank.py`: nearness and word variants; QUALITY.md, step 10). This asks how far
more features and a fitted model get, to tell a ranking that is not tuned enough from one that
word matching cannot take further (QUALITY.md, Targets):

* candidates: searchapp's top `--depth` for each question, as `/api/search` returns them with
  its reranking off (`rerank_depth=0`), every question (AND and relaxed alike);
* 13 features per candidate, all from the question's words and the passage's (rerank.py's own
  nearness, variants and idf weights at several settings, the share of the question in the
  passage and in its title, adjacent question-word pairs, term frequency, length, BM25F);
* models: a linear one fitted by coordinate ascent on MRR@10 (ir-measures), and LambdaMART
  (LightGBM) at three sizes; each fitted on one half and measured on both, so that the figure
  on the half it was fitted on shows how much of a model's gain is memorising.

    python bench/learned_rerank.py --out bench/results/learned-rerank.md   # about 2 minutes
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench import quality as Q  # noqa: E402
from searchapp.engines.whoosh import analysis, rerank  # noqa: E402
from searchapp.params import parse_params  # noqa: E402

FEATURES = ["BM25F / best", "share", "title share", "near 4", "near 8", "near 16", "near 32",
            "variants 5", "variants 6", "adjacent pairs", "log length", "tf", "relaxed"]
LINEAR_GRID = [-3, -2, -1.5, -1, -0.6, -0.3, -0.1, 0, 0.1, 0.3, 0.6, 1, 1.5, 2, 3, 5]
LAMBDAMART_SIZES = [(4, 50), (8, 100), (16, 300)]  # (leaves, trees)


class Candidates:
    """One question's candidates: their ids and a feature row each."""

    def __init__(self, ids: list[str], features: np.ndarray):
        self.ids = ids
        self.features = features

    def ranked(self, scores: np.ndarray) -> list[str]:
        order = sorted(range(len(self.ids)), key=lambda i: (-scores[i], i))  # ties: searchapp's order
        return [self.ids[i] for i in order]


def question_candidates(archive, question: str, depth: int) -> Candidates:
    result = archive.search(parse_params({"q": question, "per_page": str(depth)}))
    sequence = analysis.match_terms(question)
    with archive.searcher() as searcher:
        weights = rerank.idf_weights(searcher, set(sequence))
        total = sum(weights.values()) or 1.0
        best = (result.hits[0].score if result.hits else 0.0) or 1.0
        rows = []
        for hit in result.hits:
            body, title = rerank.stored_positions(searcher, searcher.document_number(id=hit.id))
            rows.append(_features(weights, total, sequence, body, set(title), hit.score / best, result.relaxed))
    return Candidates([hit.id for hit in result.hits], np.array(rows).reshape(len(rows), len(FEATURES)))


def _features(weights, total, sequence, body, title, score, relaxed) -> list[float]:
    terms = set(body) | title
    shares = [sum(w for t, w in weights.items() if t in where) / total for where in (terms, title)]
    nears = [rerank.nearness(weights, body, window) / total for window in (4, 8, 16, 32)]
    variants = [rerank.variants(weights, terms, letters) / total for letters in (5, 6)]
    length = sum(len(p) for p in body)
    tf = sum(w * min(len(body.get(t, ())), 3) for t, w in weights.items()) / total / 3
    return [score, *shares, *nears, *variants, _adjacent_pairs(sequence, body), math.log1p(length) / 6, tf, float(relaxed)]


def _adjacent_pairs(sequence: list[str], body: dict[str, list[int]]) -> float:
    """The share of the question's consecutive word pairs that stand next to each other in the body."""
    pairs = set(zip(sequence, sequence[1:]))
    together = sum(1 for a, b in pairs if {p + 1 for p in body.get(a, ())} & set(body.get(b, ())))
    return together / (len(pairs) or 1)


def mrr(questions: dict[str, Candidates], qrels: dict, score) -> float:
    """MRR@10 (ir-measures, as bench/quality.py) of the candidates reordered by `score(features)`."""
    run = {qid: Q.ranked_run(c.ranked(score(c.features)) if c.ids else []) for qid, c in questions.items()}
    return Q.measure(run, qrels, set(questions))["MRR@10"]


def fit_linear(questions: dict[str, Candidates], qrels: dict) -> np.ndarray:
    """Weights on the features (BM25F's fixed at 1), one at a time over a grid, keeping a change
    only when MRR@10 rises: the coordinate ascent of learning-to-rank (Metzler and Croft 2007)."""
    weights = np.zeros(len(FEATURES))
    weights[0] = 1.0
    best = mrr(questions, qrels, lambda x: x @ weights)
    for _ in range(6):
        improved = False
        for feature in range(1, len(FEATURES)):
            for value in LINEAR_GRID:
                trial = weights.copy()
                trial[feature] = value
                score = mrr(questions, qrels, lambda x, w=trial: x @ w)
                if score > best + 1e-9:
                    best, weights, improved = score, trial, True
        if not improved:
            break
    return weights


def fit_lambdamart(questions: dict[str, Candidates], qrels: dict, leaves: int, trees: int):
    import lightgbm

    groups = {qid: c for qid, c in questions.items() if c.ids}
    features = np.vstack([c.features for c in groups.values()])
    labels = [qrels[qid].get(doc, 0) for qid, c in groups.items() for doc in c.ids]
    data = lightgbm.Dataset(features, labels, group=[len(c.ids) for c in groups.values()])
    params = {"objective": "lambdarank", "num_leaves": leaves, "learning_rate": 0.05, "min_data_in_leaf": 5,
              "verbose": -1, "seed": Q.SEED, "deterministic": True, "num_threads": 1}
    return lightgbm.train(params, data, num_boost_round=trees)


def report(test: Q.Test, depth: int, log) -> str:
    engine = Q._searchapp()
    engine.build(test.docs)
    questions = test.queries["questions"]
    halves = {half: sorted(test.halves[half]) for half in ("tuning", "held-out")}

    shipped = Q.run_queries(engine, questions)
    rows = [("searchapp as shipped (reranking its best 20)", "", *(
        Q.measure(shipped, test.qrels, set(ids))["MRR@10"] for ids in halves.values()))]

    Q.search_with(engine, Q.settings_with({"rerank_depth": 0}))
    log(f"features of the top {depth} for {len(questions)} questions")
    candidates = {qid: question_candidates(engine.archive, questions[qid], depth) for qid in questions}
    engine.close()
    by_half = {half: {qid: candidates[qid] for qid in ids} for half, ids in halves.items()}
    rows.append(("BM25F alone (no reranking)", "", *(mrr(by_half[h], test.qrels, lambda x: x[:, 0]) for h in halves)))

    fitted = {}
    for half in halves:
        log(f"linear model, fitted on the {half} half")
        weights = fit_linear(by_half[half], test.qrels)
        fitted[half] = weights
        rows.append(("linear, 13 features", half, *(mrr(by_half[h], test.qrels, lambda x: x @ weights) for h in halves)))
    for leaves, trees in LAMBDAMART_SIZES:
        for half in halves:
            log(f"LambdaMART {leaves} leaves x {trees} trees, fitted on the {half} half")
            model = fit_lambdamart(by_half[half], test.qrels, leaves, trees)
            rows.append((f"LambdaMART, {leaves} leaves x {trees} trees", half,
                         *(mrr(by_half[h], test.qrels, model.predict) for h in halves)))

    lines = [f"## A learned reranker on XQuAD-ro (searchapp's top {depth}, word-matching features)", "",
             "| reranker | fitted on | MRR@10 tuning | MRR@10 held-out |", "| --- | --- | ---: | ---: |"]
    lines += [f"| {name} | {half or '-'} | {a:.3f} | {b:.3f} |" for name, half, a, b in rows]
    answer_found = {h: sum(any(test.qrels[q].get(d) for d in by_half[h][q].ids) for q in by_half[h]) for h in halves}
    lines += ["", "Answer among the candidates: " + ", ".join(f"{h} {answer_found[h]} of {len(halves[h])}" for h in halves) + ".",
              "", "Linear weights (" + ", ".join(FEATURES) + "):", ""]
    lines += [f"- fitted on {half}: " + ", ".join(f"{w:g}" for w in weights) for half, weights in fitted.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Q.CORPUS)
    parser.add_argument("--depth", type=int, default=30, help="candidates per question")
    parser.add_argument("--xquad-queries", type=int, default=None, help="a sample of the questions (smoke runs)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    test = Q.load_xquad(args.corpus, Q.SEED, args.xquad_queries)
    text = report(test, args.depth, lambda message: print(message, file=sys.stderr, flush=True))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
