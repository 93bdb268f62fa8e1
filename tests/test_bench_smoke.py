"""A smoke run of the speed benchmark on a tiny slice of the news corpus: it proves that
`bench/speed.py` still builds every engine, serves searchapp over HTTP, times the query mix and
writes its report and plot. It asserts nothing about speed (BENCHMARKS.md has the figures).
Marked `bench`: skipped without the `bench` extra (`pip install -e '.[test,bench]'`)."""

from __future__ import annotations

import json
import shutil

import pytest

from .conftest import corpus_path

pytestmark = [pytest.mark.bench, pytest.mark.slow, pytest.mark.corpus]


def test_speed_benchmark_runs_on_a_tiny_slice(tmp_path):
    corpus = corpus_path("ro-news.jsonl.gz")
    from bench import speed

    engines = ["searchapp", "whoosh-naive", "fts5", "tantivy"]
    out = tmp_path / "speed.json"
    argv = ["run", "--corpus", str(corpus), "--limit", "120", "--sizes", "60,120", "--per-kind", "2",
            "--passes", "1", "--engines", ",".join(engines), "--work", str(tmp_path / "work"), "--out", str(out),
            "--wrk-seconds", "2" if shutil.which("wrk") else "0"]
    assert speed.main(argv) == 0

    results = json.loads(out.read_text())
    assert [q["kind"] for q in results["queries"]] == [k for k in speed.QUERY_KINDS for _ in range(2)]
    for size in ("60", "120"):
        entry = results["sizes"][size]
        assert set(entry["builds"]) == set(engines)
        for build in entry["builds"].values():
            # peak memory is sampled: a build of 60 articles may end before the first sample
            assert build["articles_per_s"] > 0 and build["peak_mib"] >= 0 and build["disk_mib"] > 0
        timed = set(entry["search"])
        assert timed == {"searchapp-http", "searchapp-inprocess"} | (set(engines) - {"searchapp"})
        for figures in entry["search"].values():
            assert figures["n"] == 8 and 0 < figures["p50_ms"] <= figures["p95_ms"]
    if shutil.which("wrk"):
        assert results["throughput"]["requests"] > 0 and results["throughput"]["errors"] == 0
        assert len(results["throughput"]["worker_pss_mib"]) == 2

    assert "| 120 | searchapp |" in speed.report(results)
    speed.plot(results, tmp_path / "scaling.png")
    assert (tmp_path / "scaling.png").read_bytes().startswith(b"\x89PNG")
    assert not (tmp_path / "work" / "slices").exists()  # slices and indexes removed without --keep


def test_every_engine_answers_the_same_query_shapes(tmp_path):
    """The baselines parse the mix's query kinds (words, a quoted phrase) without errors."""
    corpus = corpus_path("ro-news.jsonl.gz")
    from bench import speed, speed_engines

    articles = speed.clean_articles(corpus, limit=80)
    source = speed.write_slices(articles, [80], tmp_path)[80]
    queries = speed.query_mix(articles, 3)
    names = ["whoosh-naive", "fts5", "tantivy"]
    for name in names:
        engine_class = speed_engines.ENGINES[name]
        assert engine_class.build(source, tmp_path / name) == 80
        engine = engine_class(tmp_path / name)
        for q in queries:
            answer = engine.request(q["q"])
            assert answer["total"] >= len(answer["hits"]) and sum(answer["years"].values()) == answer["total"]
        # every query comes from a title of the slice, so most of them find something
        assert sum(1 for q in queries if engine.request(q["q"])["total"]) >= len(queries) // 2
        engine.close()


def test_spelling_benchmark_runs_on_the_seeds(seed_index, capsys):
    from bench import spelling

    assert spelling.main(["--index", str(seed_index), "--words", "20", "--min-articles", "1"]) == 0
    table = capsys.readouterr().out
    assert "| by length (1 up to 5 letters, 2 from 6) | 2 | 6+ |" in table
