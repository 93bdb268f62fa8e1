"""postings.py (and the modules it ties together) against Whoosh itself: the same matching
documents and the same scores, on an index of two segments with deleted articles, for every
kind of query the search builds."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from whoosh import query as wq

from searchapp.engines.whoosh import index
from searchapp.engines.whoosh import scores as scores_module
from searchapp.engines.whoosh.archive import Archive
from searchapp.engines.whoosh.docsets import live_docs
from searchapp.engines.whoosh.postings import RequestPostings
from searchapp.engines.whoosh.queries import date_filter
from searchapp.engines.whoosh.searching import Search
from searchapp.engines.whoosh.workarounds import filtered_by
from searchapp.params import parse_params
from searchapp.query import normalize_query

VOCABULARY = ["guvern", "ministru", "lege", "buget", "taxe", "impozit", "pensii", "salarii", "spital", "școală", "elevi", "profesori", "drum", "autostradă", "tren", "avion", "port", "energie", "gaze", "petrol", "curent", "preț", "inflație", "bancă", "credit", "dobândă", "euro", "leu", "bursă", "acțiuni", "firmă", "export", "import", "recoltă", "grâu", "porumb", "vin", "turism", "soldați", "țară", "de", "la", "în", "și"]


def _records(rng: random.Random, count: int, prefix: str) -> list[dict]:
    weights = [1 / (rank + 1) for rank in range(len(VOCABULARY))]
    return [{"id": f"{prefix}{n}",
             "title": " ".join(rng.choices(VOCABULARY, weights, k=rng.randint(2, 6))),
             "text": " ".join(rng.choices(VOCABULARY, weights, k=rng.randint(5, 200))),
             "date": f"{rng.choice([2023, 2024, 2025])}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"}
            for n in range(count)]


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Archive:
    return _archive(tmp_path_factory)


def _archive(tmp_path_factory) -> Archive:
    """600 articles in two segments, then an update that deletes 40, changes 40 and adds 40."""
    rng = random.Random(11)
    folder = tmp_path_factory.mktemp("postings")
    source = folder / "articles.jsonl"
    records = _records(rng, 600, "a")
    source.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    index.rebuild(folder / "ix", [source], procs=2)
    changed = [{**r, "text": r["text"] + " schimbat"} for r in records[40:80]]
    records = changed + records[80:] + _records(rng, 40, "b")
    source.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    index.update(folder / "ix", [source])
    return Archive(folder / "ix")


def _queries(rng: random.Random) -> list[str]:
    words = VOCABULARY[:20] + ["soldati", "tara", "scoala", "dobanda"]
    queries = list(words)
    queries += [f"{rng.choice(words)} {rng.choice(words)}" for _ in range(40)]
    queries += [f"{rng.choice(words)} {rng.choice(words)} {rng.choice(words)}" for _ in range(20)]
    queries += [f'"{rng.choice(words)} {rng.choice(words)}"' for _ in range(40)]
    queries += ['"guvern de la"', '"de la"', '"taxe taxe"', '"ministru lege buget"', '"soldați țară"']
    queries += [f"{rng.choice(words)} OR {rng.choice(words)}" for _ in range(10)]
    queries += [f"{rng.choice(words)} -{rng.choice(words)}" for _ in range(10)]
    queries += ["pen*", "gu* ministru", "(guvern OR lege) buget", "țară soldați", "inexistent guvern"]
    return queries


def test_the_archive_has_segments_with_deletions(archive):
    with archive.searcher() as searcher:
        leaves = [sub.reader() for sub, _offset in searcher.leaf_searchers()]
    assert len(leaves) >= 2
    assert any(reader.has_deletions() for reader in leaves)
    assert _block_readers(archive) == {"SplitBlockMatcher"}


@pytest.mark.parametrize("date_params", [{}, {"year": "2024"}, {"from": "2023-03-01", "to": "2024-06-30"}])
def test_documents_and_scores_are_whooshs(archive, date_params):
    checked = sum(_matches_whoosh(archive, q, date_params) for q in _queries(random.Random(5)))
    assert checked > 130  # words, phrases, OR, NOT and prefixes are all scored here


def test_without_a_length_array_lengths_are_read_through_whoosh(archive, monkeypatch):
    """A damaged length column, or a field without one: the scores of Whoosh's own scorer."""
    monkeypatch.setattr(scores_module, "field_length_array", lambda reader, fieldname: None)
    checked = sum(_matches_whoosh(archive, q, {}) for q in _queries(random.Random(6))[:60])
    assert checked > 50


def test_posting_scores_are_whooshs_own_floats(archive):
    """The BM25 over arrays of scores.py gives exactly the floats of Whoosh's scorer."""
    compared = 0
    with archive.searcher() as searcher:
        postings = RequestPostings(searcher, lambda: live_docs(searcher))
        terms = [(f, t) for f, t in searcher.reader().all_terms() if f in ("title", "body")]
        for fieldname, text in terms:
            for leaf in postings.postings(fieldname, text):
                indexes = list(range(0, len(leaf.ids), 2))
                scorer = postings._scorer(leaf.searcher, fieldname, text)
                length = scores_module.length_of(leaf, fieldname)
                expected = [scorer._score(float(leaf.weights[i]), length(int(leaf.ids[i]))) for i in indexes]
                got = postings._posting_scores(leaf, fieldname, text, np.array(indexes, dtype=np.int64))
                assert got.tolist() == expected, (fieldname, text)
                compared += len(indexes)
    assert compared > 5000


def _relaxed_questions() -> list[str]:
    questions = [q for q in _queries(random.Random(8)) if len(q.split()) > 1 and not set('"-()*') & set(q)]
    return questions + ["guvern ministru lege buget taxe inexistent", "soldați țară și de la școală", "vin vin porumb"]


@pytest.fixture(scope="module")
def one_segment(tmp_path_factory) -> Archive:
    """The 600 articles the two-segment archive starts from, in one segment."""
    return _rare_words_archive(tmp_path_factory, segments=1)


def _rare_words_archive(tmp_path_factory, segments: int) -> Archive:
    folder = tmp_path_factory.mktemp(f"segments-{segments}")
    source = folder / "articles.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in _with_rare_words()), encoding="utf-8")
    index.rebuild(folder / "ix", [source], procs=segments)  # one segment per writer process
    archive = Archive(folder / "ix")
    with archive.searcher() as searcher:
        assert len(searcher.leaf_searchers()) == segments
    return archive


def _with_rare_words() -> list[dict]:
    """The 600 articles, every 60th with a word of its own: a word that one segment has and
    the other has not."""
    records = _records(random.Random(11), 600, "a")
    for n in range(0, 600, 60):
        records[n]["text"] += f" unicat{n}"
    return records


def test_relaxed_queries_are_coordinated_as_whoosh_does(one_segment):
    questions = _relaxed_questions() + [f"guvern lege unicat{n}" for n in range(0, 600, 60)]
    assert sum(_matches_whoosh(one_segment, q, {}, relaxed=True) for q in questions) == len(questions)


def test_relaxed_scores_do_not_depend_on_how_the_index_is_split_into_segments(one_segment, tmp_path_factory):
    """Whoosh's CoordMatcher counts the query's terms that the document's segment has, so an
    article's relaxed score depended on which articles shared its segment; postings.py counts
    the terms the whole index has."""
    two_segments = _rare_words_archive(tmp_path_factory, segments=2)
    compared = 0
    rare = [f"guvern lege unicat{n}" for n in range(0, 600, 60)] + ["unicat0 unicat540 taxe"]
    for q in _relaxed_questions() + rare:
        expected = _relaxed_scores_by_id(one_segment, q)
        got = _relaxed_scores_by_id(two_segments, q)
        assert got.keys() == expected.keys(), q
        assert all(got[i] == pytest.approx(score, rel=1e-12) for i, score in expected.items()), q
        compared += len(expected)
    assert compared > 10_000


def _relaxed_scores_by_id(archive: Archive, q: str) -> dict[str, float]:
    with archive.searcher() as searcher:
        query = Search(archive, searcher, parse_params({"q": q}))._query(normalize_query(q)[0], relaxed=True)
        postings = RequestPostings(searcher, lambda: live_docs(searcher))
        scores = postings.scores(query, postings.docs(query)).as_dict()
        return {searcher.stored_fields(doc)["id"]: score for doc, score in scores.items()}


def _walked(searcher, query) -> dict[int, float]:
    """Each match's score from the query's own matcher, stepped with next(). Whoosh's collection
    of an Or with a coordination `scale` gives some later matches other scores: as the collector
    prunes finished terms from the union (`replace()`), CoordMatcher recounts the query's terms
    without them, so the same document would score differently in another order."""
    scores = {}
    for subsearcher, offset in searcher.leaf_searchers():
        matcher = query.matcher(subsearcher)
        while matcher.is_active():
            scores[offset + matcher.id()] = matcher.score()
            matcher.next()
    return scores


def _block_readers(archive: Archive) -> set[str]:
    """The kinds of posting-block reader behind a common word, in every segment."""
    with archive.searcher() as searcher:
        matchers = [sub.reader().postings("body", b"guvern") for sub, _offset in searcher.leaf_searchers()]
    return {type(getattr(m, "child", m)).__name__ for m in matchers}


def _matches_whoosh(archive: Archive, q: str, date_params: dict, relaxed: bool = False) -> bool:
    """Asserts that postings.py finds Whoosh's documents for the query and, where it scores
    the query (True), Whoosh's scores."""
    params = parse_params({"q": q, **date_params})
    with archive.searcher() as searcher:
        words = Search(archive, searcher, params)._query(normalize_query(q)[0], relaxed=relaxed)
        query = filtered_by(words, date_filter(params, with_facet_selection=True))
        postings = RequestPostings(searcher, lambda: live_docs(searcher))
        docs = postings.docs(query)
        assert docs == set(query.docs(searcher)), q
        scores = postings.scores(query, docs)
        if scores is None:
            return False
        scores = scores.as_dict()
        # The date filter scores nothing (Whoosh's ListMatcher would add 1 for its constant
        # 0.0, which it takes for "no constant"): the words' own scores.
        if relaxed:
            expected = {doc: score for doc, score in _walked(searcher, words).items() if doc in docs}
        else:
            expected = {hit.docnum: hit.score for hit in searcher.search(words, limit=None) if hit.docnum in docs}
        assert scores.keys() == expected.keys(), q
        for doc, score in expected.items():
            assert scores[doc] == pytest.approx(score, rel=1e-9), (q, doc)
    return True


def test_the_search_ranks_as_whoosh_scoring_every_match(archive):
    rng = random.Random(9)
    for q in _queries(rng):
        params = parse_params({"q": q, "per_page": "20"})
        result = archive.search(params)
        if result.relaxed:  # no article had every word: ranked by the relaxed query
            continue
        got = [(h.id, h.score) for h in result.hits]
        with archive.searcher() as searcher:
            query = Search(archive, searcher, params)._query(normalize_query(q)[0], relaxed=False)
            whole = searcher.search(query, limit=None)
            ranked = sorted((-hit.score, hit.docnum, hit["id"]) for hit in whole)
        expected = [(doc_id, round(-negated, 4)) for negated, _doc, doc_id in ranked[:20]]
        assert [s for _, s in got] == [s for _, s in expected], q
        # Equal scores may be ordered by either document number only if they are truly equal.
        assert {i for i, _ in got} == {i for i, _ in expected} or _only_ties_differ(got, expected), q


def _only_ties_differ(got, expected) -> bool:
    cut = expected[-1][1]
    return {i for i, s in got if s > cut} == {i for i, s in expected if s > cut}


def test_unsupported_queries_are_left_to_whoosh(archive):
    with archive.searcher() as searcher:
        postings = RequestPostings(searcher, lambda: live_docs(searcher))
        best_field = wq.DisjunctionMax([wq.Term("body", "guvern"), wq.Term("title", "guvern")])
        assert postings.scores(best_field, postings.docs(best_field)) is None
