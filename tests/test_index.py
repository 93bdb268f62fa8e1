"""The index over real files in a temp folder: atomic rebuilds, the writer lock, updates, stats."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from searchapp.engines.whoosh import index, schema, store
from searchapp.engines.whoosh.archive import Archive
from searchapp.errors import IndexLocked, IndexMissing, IndexUnreadable, SourceError
from searchapp.params import parse_params

from .conftest import SEEDS


def ids(archive: Archive, q: str) -> set[str]:
    return {h.id for h in archive.search(parse_params({"q": q, "per_page": "100"})).hits}


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    return path


def test_rebuild_makes_a_generation_current(tmp_path):
    summary = index.rebuild(tmp_path / "ix", [SEEDS])
    assert summary.indexed == 5 and summary.skipped == []
    assert store.current_generation(tmp_path / "ix").name == "gen-000001"
    assert index.stats(tmp_path / "ix").articles == 5


def test_a_search_keeps_answering_from_the_old_index_during_a_rebuild(tmp_path, seeds_copy):
    index_dir = tmp_path / "ix"
    index.rebuild(index_dir, [seeds_copy])
    archive = Archive(index_dir)
    assert ids(archive, "soldati") == {"000_bba8654fe1fb9b3b", "001_1cc27a957bb943bb", "002_ccc367ce25698c12"}

    def search_meanwhile(count):
        # Called by the writer half way: the new generation is not current yet.
        if count == 3:
            assert len(ids(archive, "Putin")) == 5

    (seeds_copy / "005_new.txt").write_text("date 2026-02-01 Soldații au primit rachete noi.", encoding="utf-8")
    index.rebuild(index_dir, [seeds_copy], progress=search_meanwhile)
    assert "005_new" in ids(archive, "soldati")  # the same Archive sees the new index


def test_a_failed_rebuild_leaves_the_old_index_whole(tmp_path, seeds_copy):
    index_dir = tmp_path / "ix"
    index.rebuild(index_dir, [seeds_copy])

    def crash(count):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        index.rebuild(index_dir, [seeds_copy], progress=crash)
    assert store.current_generation(index_dir).name == "gen-000001"
    assert sorted(p.name for p in index_dir.glob("gen-*")) == ["gen-000001"]
    assert len(ids(Archive(index_dir), "Putin")) == 5


def test_a_second_writer_fails_at_once_with_a_clear_message(tmp_path):
    index_dir = tmp_path / "ix"
    index.rebuild(index_dir, [SEEDS])

    def second_writer(count):
        with pytest.raises(IndexLocked, match="another reindex or update"):
            index.rebuild(index_dir, [SEEDS])
        with pytest.raises(IndexLocked):
            index.update(index_dir, [SEEDS])

    index.rebuild(index_dir, [SEEDS], progress=second_writer)
    assert index.stats(index_dir).articles == 5


def test_old_generations_are_cleaned_keeping_the_previous_one(tmp_path):
    index_dir = tmp_path / "ix"
    for _ in range(4):
        index.rebuild(index_dir, [SEEDS])
    assert sorted(p.name for p in index_dir.glob("gen-*")) == ["gen-000003", "gen-000004"]


def test_update_adds_changes_and_removes_by_content_hash(tmp_path):
    index_dir = tmp_path / "ix"
    source = tmp_path / "bulk.jsonl"
    write_jsonl(source, [
        {"id": "a", "text": "Primul articol despre rachete."},
        {"id": "b", "text": "Al doilea articol despre soldați."},
        {"id": "c", "text": "Al treilea articol despre Phenian."},
    ])
    index.rebuild(index_dir, [source])
    write_jsonl(source, [
        {"id": "a", "text": "Primul articol despre rachete."},
        {"id": "b", "text": "Al doilea articol, schimbat: despre artilerie."},
        {"id": "d", "text": "Un articol nou despre obuze."},
    ])
    summary = index.update(index_dir, [source])
    assert (summary.indexed, summary.updated, summary.deleted, summary.unchanged) == (1, 1, 1, 1)
    archive = Archive(index_dir)
    assert ids(archive, "soldati") == set()
    assert ids(archive, "artilerie") == {"b"}
    assert ids(archive, "obuze") == {"d"}
    assert ids(archive, "Phenian") == set()
    assert index.stats(index_dir).articles == 3


def test_update_without_an_index_builds_one(tmp_path):
    summary = index.update(tmp_path / "ix", [SEEDS])
    assert summary.indexed == 5


def test_missing_source_changes_nothing(tmp_path):
    index_dir = tmp_path / "ix"
    index.rebuild(index_dir, [SEEDS])
    with pytest.raises(SourceError):
        index.rebuild(index_dir, [tmp_path / "gone"])
    assert index.stats(index_dir).articles == 5
    assert len(list(index_dir.glob("gen-*"))) == 1


def test_stats_counts_dated_and_undated(seed_index):
    stats = index.stats(seed_index)
    assert (stats.articles, stats.dated, stats.undated) == (5, 3, 2)
    assert (stats.first_date, stats.last_date) == ("2025-08-15", "2026-01-09")
    assert stats.size_bytes > 0


def test_missing_index_names_the_fix(tmp_path):
    with pytest.raises(IndexMissing, match="searchapp reindex"):
        index.stats(tmp_path / "none")


def test_damaged_index_names_the_fix(tmp_path):
    index_dir = tmp_path / "ix"
    index.rebuild(index_dir, [SEEDS])
    for toc in store.current_generation(index_dir).glob("*.toc"):
        toc.write_bytes(b"garbage")
    with pytest.raises(IndexUnreadable, match="searchapp reindex"):
        index.stats(index_dir)
    index.rebuild(index_dir, [SEEDS])
    assert index.stats(index_dir).articles == 5


def _postings(index_dir: Path) -> dict:
    ix = store.open_index(index_dir)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        return {
            (fieldname, text): [(m.id(), m.weight(), m.value()) for m in _walk(reader.postings(fieldname, text))]
            for fieldname, text in reader.all_terms()
        }


def _walk(matcher):
    while matcher.is_active():
        yield matcher
        matcher.next()


def test_the_build_codec_writes_the_same_postings_as_whoosh(tmp_path, monkeypatch):
    """SplitBlockCodec inlines one-posting terms, caches column lookups while writing and keeps
    a block's values apart; what a reader gets back must be exactly what Whoosh's own codec
    gives."""
    from whoosh.codec import whoosh3

    common = tmp_path / "common.jsonl"  # 300 articles, so that common words span several blocks
    rng = random.Random(3)
    words = "pădure drum școală țară soldați rachete preț bancă guvern lege".split()
    common.write_text("\n".join(json.dumps({"id": f"c{n}", "text": " ".join(rng.choices(words, k=rng.randint(3, 40)))},
                                           ensure_ascii=False) for n in range(300)), encoding="utf-8")
    index.rebuild(tmp_path / "ours", [SEEDS, common], procs=1)
    monkeypatch.setattr(index, "SplitBlockCodec", whoosh3.W3Codec)
    index.rebuild(tmp_path / "other", [SEEDS, common], procs=1)

    ours, theirs = _postings(tmp_path / "ours"), _postings(tmp_path / "other")
    assert ours == theirs
    assert sum(len(p) == 1 for p in ours.values()) > 100  # inlined terms were read back
    assert sum(len(p) > 128 for p in ours.values()) > 5  # and terms of several blocks
    with store.open_index(tmp_path / "ours").reader() as reader:
        assert any(reader.term_info(f, t)._inlined for f, t in reader.all_terms())
    assert _field_lengths(tmp_path / "ours") == _field_lengths(tmp_path / "other")


def test_packed_positions_index_what_whooshs_formats_index(tmp_path, monkeypatch):
    """The title and body store positions (and characters) packed (formats.py); decoded, they
    are what Whoosh's own Positions and Characters store, posting for posting."""
    index.rebuild(tmp_path / "ours", [SEEDS], procs=1)
    monkeypatch.setattr(schema, "with_packed_positions", lambda field: field)
    index.rebuild(tmp_path / "whooshs", [SEEDS], procs=1)

    ours, theirs = _decoded_positions(tmp_path / "ours"), _decoded_positions(tmp_path / "whooshs")
    assert ours == theirs
    assert sum(len(positions) for postings in ours.values() for _id, _w, positions in postings) > 1000


def _decoded_positions(index_dir: Path) -> dict:
    # Whoosh's own open: searchapp's refuses the index with Whoosh's formats, not its schema.
    ix = whoosh_index.open_dir(str(store.current_generation(index_dir)))
    decoders = {"title": ix.schema["title"].format.decode_positions,
                "body": ix.schema["body"].format.decode_characters}
    with ix.reader() as reader:
        return {
            (fieldname, text): [(m.id(), m.weight(), decoders[fieldname](m.value())) for m in _walk(reader.postings(fieldname, text))]
            for fieldname, text in reader.all_terms() if fieldname in decoders
        }


def _field_lengths(index_dir: Path) -> list:
    with store.open_index(index_dir).reader() as reader:
        fields = ("title", "body", "exact", "spell_body", "id")
        return [[reader.doc_field_length(d, f) for f in fields] for d in range(reader.doc_count_all())]


def test_an_index_of_another_format_names_the_fix(tmp_path, runner):
    """An index written by another searchapp version (here: its format file says so) is never
    read half-way: one clear error, 503 on the web, one line from the CLI."""
    from searchapp.cli import main
    from searchapp.engines.whoosh.archive import Archive
    from searchapp.errors import IndexOutdated
    from searchapp.params import parse_params
    from searchapp.web import create_app

    index.rebuild(tmp_path / "ix", [SEEDS])
    generation = store.current_generation(tmp_path / "ix")
    (generation / store.FORMAT_FILE).write_text("1\n", encoding="ascii")
    with pytest.raises(IndexOutdated, match="another searchapp version.*searchapp reindex"):
        Archive(tmp_path / "ix").search(parse_params({"q": "soldati"}))
    response = create_app({"INDEX_DIR": str(tmp_path / "ix")}).test_client().get("/api/search?q=soldati")
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "index_outdated"
    result = runner.invoke(main, ["search", "soldati", "--index", str(tmp_path / "ix")])
    assert result.exit_code == 1 and "another searchapp version" in result.output and "Traceback" not in result.output
    index.rebuild(tmp_path / "ix", [SEEDS])  # the fix it names
    assert Archive(tmp_path / "ix").search(parse_params({"q": "soldati"})).total == 3
