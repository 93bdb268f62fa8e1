"""The Solr engine's own parts: the parsed query, its rendering, failover, an unreachable cluster;
and, against a real SolrCloud (SEARCHAPP_SOLR_URL), the renderer fuzzed for syntax errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from searchapp.cli import main
from searchapp.engines import open_engine
from searchapp.engines.solr.client import SolrClient, SolrError
from searchapp.engines.solr.render import escape, render
from searchapp.errors import EngineUnavailable
from searchapp.query import And, Not, Or, Phrase, Prefix, Term, parse
from searchapp.params import parse_params
from searchapp.query import normalize_query
from searchapp.web import create_app

from .conftest import SEEDS, solr_engine
from .test_web import _first_health, _free_port, _get_json

DEAD = "http://127.0.0.1:9"  # the discard port: nothing listens there


@pytest.mark.parametrize("text, tree", [
    ("soldati rachete", And((Term("soldati"), Term("rachete")))),
    ('"coreea de nord"', Phrase(("coreea", "de", "nord"))),
    ("Kim OR Putin", Or((Term("Kim"), Term("Putin")))),
    ("rachete NOT obuze", And((Term("rachete"), Not(Term("obuze"))))),
    ("(Kim OR Putin) rachete", And((Or((Term("Kim"), Term("Putin"))), Term("rachete")))),
    ("rachet*", Prefix("rachet")),
    ("Țări*", Prefix("tari")),
    ("NOT NOT x", Term("x")),
    ("și de la", None),
    ("OR AND NOT ( ) )(", None),
    ("mama) tata (bunic", And((Term("mama"), Term("tata"), Term("bunic")))),
    ('"unbalanced phrase', Phrase(("unbalanced", "phrase"))),
    ("title:x^2", And((Term("title"), Term("x"), Term("2")))),
])
def test_parse(text, tree):
    assert parse(normalize_query(text)[0]) == tree


def test_minus_is_not_through_normalize_query():
    assert parse(normalize_query("rachete -obuze")[0]) == And((Term("rachete"), Not(Term("obuze"))))


def test_render_escapes_every_word_and_writes_the_operators():
    assert escape("a:b(c)*") == r"a\:b\(c\)\*"
    assert render(parse("rachete NOT obuze"), title_boost=2, exact_score=0) == \
        "(+(title:rachete^2 body:rachete) -(title:obuze^2 body:obuze))"
    # A word with diacritics: required match, optional constant-score exact tier.
    assert render(Term("Țări"), title_boost=2, exact_score=1000) == "(+(title:țări^2 body:țări) exact:țări^=1000)"
    assert render(Not(Term("x")), title_boost=1, exact_score=0) == "(*:* -(title:x^1 body:x))"
    assert render(None) == "-*:*"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list('ab ș"()*-:^\\/[]{}~!?+&|') + ["OR", "AND", "NOT", " x "]), max_size=30).map("".join))
def test_parser_and_renderer_never_raise(text):
    render(parse(normalize_query(text)[0]))


def test_the_client_fails_over_from_a_dead_node_to_the_next():
    client = SolrClient([DEAD, DEAD + "1"], connect_timeout=0.5, dead_seconds=60)
    with pytest.raises(EngineUnavailable, match="Solr cannot be reached"):
        client.get("/admin/info/system")
    assert set(client._dead_until) == set(client.nodes), "both were tried and marked dead"


def test_unreachable_solr_is_a_503_json_and_a_romanian_page():
    client = create_app({"ENGINE": "solr", "SOLR_URL": f"{DEAD},{DEAD}1", "INDEX_DIR": "articles"}).test_client()
    for url in ("/healthz", "/api/search?q=x", "/api/articles/x"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert response.get_json()["error"]["code"] == "engine_unavailable"
    response = client.get("/?q=x")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Căutarea nu este disponibilă" in page and "Traceback" not in page


@pytest.mark.parametrize("args", [["search", "x"], ["stats"], ["update"], ["reindex", "--source", "seeds"]])
def test_unreachable_solr_is_one_cli_line(runner, args):
    result = runner.invoke(main, [*args, "--engine", "solr", "--solr-url", DEAD])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Solr cannot be reached" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_engine_selection(monkeypatch, tmp_path):
    monkeypatch.setenv("SEARCHAPP_ENGINE", "solr")
    monkeypatch.setenv("SEARCHAPP_SOLR_URL", f" {DEAD}/solr/ , {DEAD}1 ")
    engine = open_engine()
    assert engine.name == "solr" and engine.alias == "articles"
    assert engine.client.nodes == [f"{DEAD}/solr", f"{DEAD}1/solr"]
    assert open_engine("whoosh", tmp_path).name == "whoosh"


# --- against the real cluster ----------------------------------------------------------------

@pytest.mark.solr
def test_the_client_skips_a_dead_node_and_searches_on(solr_urls, solr_seed_alias):
    engine = open_engine("solr", solr_seed_alias, f"{DEAD},{solr_urls}")
    for _ in range(3):
        assert engine.search(parse_params({"q": "soldati"})).total == 3
    assert engine.client._order()[-1] == engine.client.nodes[0], "the dead node is tried last"


@pytest.mark.solr
def test_stats_report_the_collections_shape(solr_urls, solr_seed_alias):
    figures = solr_engine(solr_urls, solr_seed_alias).stats().as_dict()
    assert figures["articles"] == 5 and figures["undated"] == 2 and figures["dated"] == 3
    assert (figures["shards"], figures["replicas"]) == (2, 4)
    assert figures["live_nodes"] >= 1 and figures["first_date"] == "2025-08-15"


@pytest.mark.solr
def test_update_by_content_hash(solr_urls, solr_aliases, seeds_copy):
    engine = solr_engine(solr_urls, solr_aliases("update"))
    engine.rebuild([seeds_copy])
    (seeds_copy / "000_bba8654fe1fb9b3b.txt").unlink()
    (seeds_copy / "900_zmeu.txt").write_text("date 2026-02-03 Povestea zmeului din Bărăgan.", "utf-8")
    summary = engine.update([seeds_copy])
    assert (summary.indexed, summary.updated, summary.deleted, summary.unchanged) == (1, 0, 1, 4)
    assert [h.id for h in engine.search(parse_params({"q": "zmeului"})).hits] == ["900_zmeu"]
    assert engine.check() == 5


@pytest.mark.solr
def test_an_empty_rebuild_never_replaces_a_live_collection(solr_urls, solr_aliases, tmp_path):
    engine = solr_engine(solr_urls, solr_aliases("empty"))
    engine.rebuild([SEEDS])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(Exception, match="no article"):
        engine.rebuild([empty])
    assert engine.check() == 5


_WORDS = ["soldati", "Kim", "rachete", "țări", "coreea", "de", "nord", "x", "ș", "15.000", "é"]
_SOUP = st.lists(st.one_of(
    st.sampled_from(_WORDS),
    st.sampled_from(["OR", "AND", "NOT", "-", "(", ")", '"', "*", ":", "^2", "~", "\\", "/", "[", "]", "{", "}",
                     "!", "?", "+", "&&", "||", "'", "title:", "*:*", "_val_:", "{!lucene}", "$x"]),
    st.text(max_size=6),
), max_size=14).map(" ".join)


@pytest.mark.solr
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=_SOUP)
def test_rendered_queries_are_never_a_solr_syntax_error(solr_urls, solr_seed_alias, q):
    """Any text, through the real cluster: a result, never a 400 (syntax error) from Solr."""
    engine = solr_engine(solr_urls, solr_seed_alias)
    try:
        result = engine.search(parse_params({"q": q[:1000]}))
    except SolrError as exc:
        pytest.fail(f"Solr refused {q!r}: {exc.message}")
    assert result.total >= 0


@pytest.mark.solr
@pytest.mark.slow
def test_searchapp_serve_on_solr_builds_the_collection_serves_and_follows_reindex(solr_urls, solr_aliases, seeds_copy):
    alias, port = solr_aliases("serve"), _free_port()
    searchapp = Path(sys.executable).with_name("searchapp")
    engine = ["--engine", "solr", "--solr-url", solr_urls, "--index", alias]
    server = subprocess.Popen([str(searchapp), "serve", "--port", str(port), "--workers", "2", *engine,
                               "--source", str(seeds_copy)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        status, body = _first_health(base, server, seconds=180)
        assert (status, body) == (200, {"status": "ok", "articles": 5}), "serve built the missing collection"
        (seeds_copy / "900_zmeu.txt").write_text("date 2026-02-03 Povestea zmeului din Bărăgan.", "utf-8")
        subprocess.run([str(searchapp), "reindex", "-q", *engine, "--source", str(seeds_copy)],
                       check=True, capture_output=True, timeout=300)
        for _ in range(6):  # both workers answer from the new collection behind the alias
            status, body = _get_json(base + "/api/search?q=zmeului")
            assert status == 200 and [h["id"] for h in body["hits"]] == ["900_zmeu"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        server.stderr.close()


@pytest.mark.solr
def test_a_far_smaller_rebuild_needs_allow_shrink(solr_urls, solr_aliases, seeds_copy):
    engine = solr_engine(solr_urls, solr_aliases("shrink"))
    engine.rebuild([seeds_copy])
    for name in sorted(p.name for p in seeds_copy.iterdir())[:3]:
        (seeds_copy / name).unlink()
    with pytest.raises(Exception, match="fewer than half"):
        engine.update([seeds_copy])
    with pytest.raises(Exception, match="fewer than half"):
        engine.rebuild([seeds_copy])
    assert engine.check() == 5
    assert engine.rebuild([seeds_copy], allow_shrink=True).indexed == 2 and engine.check() == 2


def test_no_solr_url_is_a_503_not_a_crash(monkeypatch):
    monkeypatch.delenv("SEARCHAPP_SOLR_URL", raising=False)
    client = create_app({"ENGINE": "solr"}).test_client()
    response = client.get("/api/search?q=x")
    assert response.status_code == 503 and "SEARCHAPP_SOLR_URL" in response.get_json()["error"]["message"]
