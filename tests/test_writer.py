"""writer.py: segments written from the term pool read back exactly as Whoosh's writer's do."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from whoosh.analysis import CompositeAnalyzer

from searchapp.engines.whoosh import index, schema, store
from searchapp.engines.whoosh.writer import MpSegmentWriter, TermPostingPool

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
WORDS = "pădure drum școală țară soldați rachete preț bancă guvern lege Phenian soldaţi".split()


@pytest.fixture(scope="module")
def articles(tmp_path_factory) -> Path:
    """The seeds and 400 small articles, so that common words span several posting blocks."""
    path = tmp_path_factory.mktemp("src") / "many.jsonl"
    rng = random.Random(5)
    lines = [json.dumps({"id": f"a{n}", "title": " ".join(rng.choices(WORDS, k=3)),
                         "text": " ".join(rng.choices(WORDS, k=rng.randint(3, 60)))}, ensure_ascii=False)
             for n in range(400)]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _whooshs_writer(ix, procs=1, **kwargs):
    return ix.writer(procs=procs, multisegment=procs > 1, **kwargs)


def _by_term(index_dir: Path) -> dict:
    """Every term's statistics and postings, documents named by article id (segments and their
    document numbers differ between writers), values decoded as stored."""
    ix = store.open_index(index_dir)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        ids = {docnum: fields["id"] for docnum, fields in reader.iter_docs()}
        out = {}
        for fieldname, text in reader.all_terms():
            info = reader.term_info(fieldname, text)
            matcher = reader.postings(fieldname, text)
            postings = []
            while matcher.is_active():
                postings.append((ids.get(matcher.id()), matcher.weight(), matcher.value()))
                matcher.next()
            out[fieldname, text] = (info.doc_frequency(), info.weight(), info.min_length(), info.max_length(),
                                    info.max_weight(), sorted(postings, key=repr))
        lengths = {(fields["id"], name): reader.doc_field_length(docnum, name)
                   for docnum, fields in reader.iter_docs() for name in ("title", "body")}
        return {"terms": out, "lengths": lengths, "segments": len(reader.leaf_readers())}


def test_one_process_writes_what_whooshs_writer_writes(tmp_path, articles, monkeypatch):
    index.rebuild(tmp_path / "ours", [SEEDS, articles], procs=1)
    monkeypatch.setattr(index, "segment_writer", _whooshs_writer)
    index.rebuild(tmp_path / "whooshs", [SEEDS, articles], procs=1)

    ours, theirs = _by_term(tmp_path / "ours"), _by_term(tmp_path / "whooshs")
    assert ours == theirs
    with store.open_index(tmp_path / "ours").reader() as reader:
        positions = reader.postings("body", "soldat").all_ids()
        assert len(list(positions)) > 128  # several blocks of one term were written and read


def test_spilled_runs_merge_into_what_whooshs_writer_writes(tmp_path, articles, monkeypatch):
    """A pool limit so small that every article spills a run: merged term by term, the same
    segment as Whoosh's writer's."""
    monkeypatch.setattr(index, "WRITER_LIMIT_MB", 0)
    index.rebuild(tmp_path / "ours", [SEEDS, articles], procs=1)
    monkeypatch.setattr(index, "segment_writer", _whooshs_writer)
    index.rebuild(tmp_path / "whooshs", [SEEDS, articles], procs=1)

    assert _by_term(tmp_path / "ours") == _by_term(tmp_path / "whooshs")
    assert not list((tmp_path / "ours").rglob(".searchapp-run-*"))  # runs are anonymous files


def test_worker_processes_write_what_whooshs_workers_write(tmp_path, articles, monkeypatch):
    """Two workers, spilling runs: the same terms, postings and lengths as Whoosh's two-process
    writer, in no more segments (which articles go to which worker varies from run to run, so
    per-segment statistics and the spelling words' placeholder postings are not compared)."""
    monkeypatch.setattr(index, "WRITER_LIMIT_MB", 0)
    index.rebuild(tmp_path / "ours", [SEEDS, articles], procs=2)
    monkeypatch.setattr(index, "segment_writer", _whooshs_writer)
    index.rebuild(tmp_path / "whooshs", [SEEDS, articles], procs=2)

    ours, theirs = _by_term(tmp_path / "ours"), _by_term(tmp_path / "whooshs")
    assert ours["segments"] <= 2 and theirs["segments"] <= 2  # spilling adds no segment
    assert ours["terms"].keys() == theirs["terms"].keys()
    assert {k: v[-1] for k, v in ours["terms"].items() if not k[0].startswith("spell_")} \
        == {k: v[-1] for k, v in theirs["terms"].items() if not k[0].startswith("spell_")}
    assert ours["lengths"] == theirs["lengths"]


def test_a_rebuild_with_two_processes_uses_searchapps_writer(tmp_path):
    ix_dir = tmp_path / "ix"
    index.rebuild(ix_dir, [SEEDS], procs=2)
    writer = index.open_writer(store.open_index(ix_dir), procs=2)
    try:
        assert isinstance(writer, MpSegmentWriter)
    finally:
        writer.cancel()


def test_the_pool_gives_postings_in_whooshs_order_when_added_out_of_order():
    """Documents arrive in order when indexing; a merge of older segments may not keep it."""
    pool = TermPostingPool()
    items = [("body", b"b", 3, 1.0, b"x"), ("body", b"a", 2, 2.0, b""), ("title", b"a", 1, 1.0, b"yy"),
             ("body", b"b", 1, 1.5, b"z"), ("body", b"a", 0, 1.0, b"w")]
    for item in items:
        pool.add(item)
    assert list(pool.iter_postings()) == sorted(items)
    assert pool.fieldnames == {"body", "title"}


def _seed_texts() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]


def test_the_exact_field_indexes_what_whooshs_frequency_format_gives():
    """WrittenFormText takes its terms from the analyzer's occurrences; Whoosh's generic path
    (Frequency.word_values over the analyzer's tokens) must give the same items."""
    from whoosh.fields import TEXT

    field = schema.build_schema()["exact"]
    for text in _seed_texts() + ["Soldații ţări țări soldați, 15.000 de școli"]:
        words = schema.exact_words(text)
        generic = sorted(TEXT.index(field, words))
        assert sorted(field.index(words)) == generic and generic


def test_spelling_words_are_each_distinct_word_of_the_articles_once():
    """SpelledText analyses only words it has not met: what it gives over several articles is
    every spelling term of them all, each once."""
    field = schema.build_schema()["body"]
    texts = _seed_texts() * 2
    given = [word for text in texts for word in field.spellable_words(text)]
    expected = set().union(*(field.analyzer.distinct_terms(text, no_morph=True) for text in texts))
    assert sorted(given) == sorted(expected) and len(expected) > 500


def test_spelling_words_of_a_plain_analyzer_chain_are_the_same():
    """A body field whose analyzer is the bare filter chain (a schema pickled before
    CachedAnalyzer, or an experiment's) gives the same spelling words, through the chain."""
    cached = schema.build_schema()["body"]
    plain = schema.build_schema()["body"]
    plain.analyzer = CompositeAnalyzer(*cached.analyzer.items)
    texts = _seed_texts()
    assert [w for t in texts for w in plain.spellable_words(t)] == [w for t in texts for w in cached.spellable_words(t)]


def test_spelling_words_after_indexing_are_each_distinct_word_once():
    """Indexing a body tells the spelling field which of its words are new (the analyzer's
    memo): the words given are the same as those of reading each text afresh, titles apart."""
    fields = schema.build_schema()
    body, title = fields["body"], fields["title"]
    texts = _seed_texts() * 2
    given = []
    for text in texts:
        list(title.index(text.split("\n", 1)[0]))  # a title's words are no body's
        list(body.index(text))
        assert body.analyzer.unstemmed_new_words(text) is not None
        given.extend(body.spellable_words(text))
    expected = set().union(*(body.analyzer.distinct_terms(text, no_morph=True) for text in texts))
    assert sorted(given) == sorted(expected) and len(expected) > 500
