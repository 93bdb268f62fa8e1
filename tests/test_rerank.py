"""rerank.py: a relaxed query's best candidates looked at again for nearness and word variants."""

from __future__ import annotations

import json

import pytest

from whoosh.analysis import LowercaseFilter

from searchapp import config
from searchapp.engines.whoosh import analysis, index, rerank
from searchapp.engines.whoosh.analysis import FoldFilter, NormalizeFilter, RomanianTokenizer, WrittenStopFilter
from searchapp.engines.whoosh.archive import Archive
from searchapp.params import parse_params

FILLER = "piața vremea ploaia soarele trenul orașul mașina strada parcul râul muntele satul".split()


def _spread(*words: str) -> str:
    """The words far apart: each followed by the twelve filler words."""
    return " ".join(f"{word} {' '.join(FILLER)}" for word in words)


ARTICLES = [
    # The question's words together once, against the same words three times each, far apart.
    {"id": "near", "title": "Știri", "text": f"{_spread('vremea', 'satul')} ministrul bugetul spitalului {_spread('parcul', 'râul')}"},
    {"id": "spread", "title": "Diverse", "text": _spread(*["ministrul", "bugetul", "spitalului"] * 2)},
    # A word of the question in another form (another stem), against another word twice.
    {"id": "variant", "title": "Boli", "text": f"Imunodeficiența are cauze multe. {_spread('satul', 'parcul')}"},
    {"id": "other", "title": "Familii", "text": _spread("copiilor", "copiii", "copiilor", "copiii", "copiilor")},
    *({"id": f"filler{n}", "title": FILLER[n], "text": _spread(FILLER[n + 1])} for n in range(6)),
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Archive:
    folder = tmp_path_factory.mktemp("rerank")
    source = folder / "articles.jsonl"
    source.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES), encoding="utf-8")
    index.rebuild(folder / "ix", [source], procs=1)
    return Archive(folder / "ix")


def _with(archive: Archive, **settings) -> Archive:
    """The same index searched with other settings (config.Settings: nothing global changes)."""
    return Archive(archive.index_dir, config.Settings.defaults().replace(**settings))


def _ranked(archive: Archive, q: str, **params) -> list[str]:
    result = archive.search(parse_params({"q": q, "per_page": "20", **params}))
    assert result.relaxed, q
    return [hit.id for hit in result.hits]


NEAR_QUESTION = "ministrul bugetul spitalului județului?"
VARIANT_QUESTION = "cauzele imunodeficienței copiilor?"


def test_the_words_standing_together_rank_first(archive):
    assert _ranked(archive, NEAR_QUESTION)[0] == "near"
    assert _ranked(_with(archive, near_weight=0.0), NEAR_QUESTION)[0] == "spread"


def test_another_form_of_a_word_counts(archive):
    assert _ranked(archive, VARIANT_QUESTION)[0] == "variant"
    assert _ranked(_with(archive, variant_weight=0.0), VARIANT_QUESTION)[0] == "other"


def test_without_reranking_bm25f_alone_ranks(archive):
    unranked = _with(archive, rerank_depth=0)
    assert _ranked(unranked, NEAR_QUESTION)[0] == "spread"
    assert _ranked(unranked, VARIANT_QUESTION)[0] == "other"


def test_pages_of_a_reranked_question_follow_one_order(archive):
    whole = archive.search(parse_params({"q": NEAR_QUESTION, "per_page": "20"})).hits
    pages = [archive.search(parse_params({"q": NEAR_QUESTION, "per_page": "1", "page": str(p)})).hits for p in (1, 2)]
    assert [page[0].id for page in pages] == [hit.id for hit in whole] == ["near", "spread"]
    scores = [hit.score for hit in whole]
    assert scores == sorted(scores, reverse=True)


def test_a_relaxed_question_sorted_by_date_is_not_reranked(archive):
    result = archive.search(parse_params({"q": NEAR_QUESTION, "sort": "newest", "per_page": "20"}))
    assert result.relaxed and all(hit.score is None for hit in result.hits)


def test_nearness_is_the_best_window_of_distinct_words():
    weights = {"a": 1.0, "b": 2.0, "c": 2.5}
    assert rerank.nearness(weights, {"a": [0], "b": [7], "c": [30]}, 8) == 3.0  # a and b within 8
    assert rerank.nearness(weights, {"a": [0], "b": [8], "c": [30]}, 8) == 2.5  # 8 apart: not together
    assert rerank.nearness(weights, {"a": [0, 1, 2], "b": [40]}, 8) == 2.0  # a word counts once
    assert rerank.nearness(weights, {}, 8) == 0.0


def test_variants_are_query_words_present_only_in_another_form():
    weights = {"imunodeficiente": 3.0, "cauz": 1.0, "construiest": 2.0}
    assert rerank.variants(weights, {"imunodeficient", "construiest", "cauzal"}, 6) == 3.0
    # `cauz` is shorter than the prefix: no variants; a word present as it is is no variant.
    assert rerank.variants(weights, {"cauzal", "construct", "construiest"}, 6) == 0.0


def test_terms_come_with_their_positions_from_any_analyzer():
    text = "Guvernul a aprobat bugetul; guvernul pleacă."
    cached = analysis.folded_analyzer()
    chain = RomanianTokenizer() | LowercaseFilter() | NormalizeFilter() | WrittenStopFilter() | FoldFilter() | analysis.romanian_stem_filter()
    expected = {"guvern": [0, 3], "aprob": [1], "buget": [2], "pleac": [4]}
    assert rerank.positions(cached, text) == rerank.positions(chain, text) == expected
