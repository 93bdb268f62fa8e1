"""Suggestions as you type: the written-forms table, the completions and /api/suggest."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchapp import written_forms
from searchapp.engines.whoosh import index, store
from searchapp.suggest import suggest
from searchapp.web import create_app
from searchapp.written_forms import FormCounter, WrittenForms, document_forms

ROOT = Path(__file__).resolve().parent.parent

ARTICLES = [
    ("Vizită la Timișoara", "Klaus Iohannis a ajuns la Timişoara. Președintele Klaus Iohannis a vorbit."),
    ("TIMIȘOARA", "Primăria din Timisoara. Banca Națională a României a anunțat dobânda."),
    ("Iarna", "Ieri, Klaus Iohannis și Banca Națională a României, despre timizi și timpul lor la Timișoara."),
]


def counter_of(articles) -> FormCounter:
    counter = FormCounter()
    for title, text in articles:
        counter.add(title, text)
    return counter


@pytest.fixture(scope="module")
def table() -> WrittenForms:
    return counter_of(ARTICLES).table()


# --- the table --------------------------------------------------------------------------------


def test_document_forms_are_words_and_names_not_sentence_starts():
    forms = document_forms("Vizită la Timișoara", "Ieri Klaus Iohannis a vorbit despre Banca Națională a României. Banca ține 15.000 lei.")
    assert {"Timișoara", "Klaus", "Iohannis", "Klaus Iohannis", "Banca Națională a României", "Națională a României",
            "Banca Națională"} <= forms
    assert "Ieri Klaus" not in forms and "Vizită" in forms  # a capital at the start of a text or a sentence
    assert "Banca ține" not in forms
    assert "15.000" not in forms, "numbers are not words to complete"
    assert "la Timișoara" not in forms, "a name starts and ends with a capital"


def test_cedilla_and_soft_hyphens_are_written_as_romanian():
    assert document_forms("Timişoara, Ţară, Ro\u00admânia") == {"Timișoara", "Țară", "România"}


def test_lookup_gives_the_commonest_written_form_and_article_counts(table):
    assert table.written_form("timisoara") == "Timișoara"
    assert table.written_form("TIMIŞOARA") == "Timișoara"
    entry = table.lookup("Timisoara")
    assert entry.count == 3, "three articles have it, one of them in two forms"
    assert dict(table.forms("timisoara")) == {"Timișoara": 2, "TIMIȘOARA": 1, "Timisoara": 1}
    assert table.lookup("klaus iohannis").form == "Klaus Iohannis" and table.lookup("klaus iohannis").count == 2
    assert table.lookup("nicăieri") is None and table.forms("nicaieri") == []


def test_completions_rank_by_articles(table):
    assert [e.form for e in table.completions("tim")][:2] == ["Timișoara", "timizi"]
    assert [e.form for e in table.completions("klaus ")] == ["Klaus Iohannis"]
    assert table.completions("zzz") == []
    assert len(table.completions("a", limit=2)) == 2


def test_save_and_load_round_trip(table, tmp_path):
    table.save(tmp_path / written_forms.FILE_NAME)
    loaded = WrittenForms.load(tmp_path / written_forms.FILE_NAME)
    assert len(loaded) == len(table)
    assert loaded.forms("timisoara") == table.forms("timisoara")
    assert not list(tmp_path.glob(".*")), "no temporary file left"


def test_an_article_taken_out_leaves_the_counts_as_without_it(table):
    counter = written_forms.counter_of(table)
    counter.add(*ARTICLES[1], sign=-1)
    again = counter.table()
    expected = counter_of([ARTICLES[0], ARTICLES[2]]).table()
    assert again.arrays.keys() == expected.arrays.keys()
    for name, array in expected.arrays.items():
        assert (again.arrays[name] == array).all(), name


# --- completions of a query -------------------------------------------------------------------


def texts(table, q, limit=8):
    return [s.text for s in suggest(table, q, limit).suggestions]


def test_the_last_word_is_completed_and_the_rest_kept(table):
    assert texts(table, "timi")[0] == "Timișoara"
    assert texts(table, "vizită TIMI")[0] == "vizită Timișoara"
    # `Klaus` alone is never written here without `Iohannis`: the name says more
    assert texts(table, "(Putin OR kla")[0] == "(Putin OR Klaus Iohannis"
    assert "(Putin OR Klaus" not in texts(table, "(Putin OR kla")


def test_names_continue_the_words_typed(table):
    assert texts(table, "klaus i")[0] == "Klaus Iohannis"
    assert texts(table, "klaus ") == ["Klaus Iohannis"]
    assert texts(table, "banca națională a r")[0] == "Banca Națională a României"


def test_counts_and_limit(table):
    result = suggest(table, "tim", limit=1)
    assert result.to_json() == {"query": "tim", "suggestions": [{"text": "Timișoara", "count": 3}]}


@pytest.mark.parametrize("q", ["", "   ", "rachet*", '"coreea de nord"', "Kim OR", "timi  ", "("])
def test_nothing_to_complete(table, q):
    assert texts(table, q) == [], "no word to complete, or an operator"


def test_stop_words_are_not_suggested(table):
    assert texts(table, "a") == ["ajuns", "anunțat"]
    assert texts(table, "ș") == []


def test_no_table_means_no_suggestions():
    assert suggest(None, "timi").suggestions == []


# --- the index and the API --------------------------------------------------------------------


@pytest.fixture
def client(seed_index):
    return create_app({"INDEX_DIR": str(seed_index), "TESTING": True}).test_client()


def test_api_suggest_shape(client):
    response = client.get("/api/suggest?q=soldat")
    assert response.status_code == 200
    data = response.get_json()
    assert data["query"] == "soldat"
    assert data["suggestions"][0] == {"text": "soldați", "count": 3}
    assert all(s["text"].lower().startswith("sold") and s["count"] >= 1 for s in data["suggestions"])


def test_api_suggest_names(client):
    data = client.get("/api/suggest", query_string={"q": "Coreea de n"}).get_json()
    assert data["suggestions"][0]["text"] == "Coreea de Nord"
    data = client.get("/api/suggest", query_string={"q": "kim j", "limit": "2"}).get_json()
    assert data["suggestions"][0] == {"text": "Kim Jong Un", "count": 5}
    assert len(data["suggestions"]) == 2 and "Kim Jong" not in [s["text"] for s in data["suggestions"]]


@pytest.mark.parametrize("query, code", [
    ({"q": "so", "limit": "0"}, "bad_parameter"),
    ({"q": "so", "limit": "21"}, "bad_parameter"),
    ({"q": "so", "limit": "abc"}, "bad_parameter"),
    ({"q": "so", "limit": "-1"}, "bad_parameter"),
    ({"q": "ș" * 1001}, "query_too_long"),
])
def test_api_suggest_bad_input(client, query, code):
    response = client.get("/api/suggest", query_string=query)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code


@pytest.mark.parametrize("q", ["", "\x00", "<script>", "%", "ș" * 1000, "\u202e", "a " * 400])
def test_api_suggest_odd_input_is_fine(client, q):
    response = client.get("/api/suggest", query_string={"q": q})
    assert response.status_code == 200 and "suggestions" in response.get_json()


def test_api_suggest_rejects_other_methods(client):
    response = client.post("/api/suggest?q=so")
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"


def test_update_keeps_the_table_exact(seeds_copy, tmp_path):
    index_dir = tmp_path / "index"
    index.rebuild(index_dir, [seeds_copy])
    (seeds_copy / "zz_timisoara.txt").write_text("date 2026-02-01 Vizită la Timișoara a lui Klaus Iohannis.", "utf-8")
    changed = sorted(seeds_copy.glob("0*.txt"))[0]
    changed.write_text("date 2026-02-02 Un text nou despre Timișoara.", "utf-8")
    sorted(seeds_copy.glob("0*.txt"))[1].unlink()
    index.update(index_dir, [seeds_copy])
    updated = written_forms.for_generation(store.current_generation(index_dir))
    rebuilt_dir = tmp_path / "rebuilt"
    index.rebuild(rebuilt_dir, [seeds_copy])
    rebuilt = written_forms.for_generation(store.current_generation(rebuilt_dir))
    assert updated.lookup("timisoara").count == 2
    for name, array in rebuilt.arrays.items():
        assert (updated.arrays[name] == array).all(), name


def test_an_index_without_a_table_gets_one_on_update(seeds_copy, tmp_path):
    index_dir = tmp_path / "index"
    index.rebuild(index_dir, [seeds_copy])
    (store.current_generation(index_dir) / written_forms.FILE_NAME).unlink()
    assert create_app({"INDEX_DIR": str(index_dir)}).test_client().get("/api/suggest?q=sol").get_json()["suggestions"] == []
    index.update(index_dir, [seeds_copy])
    assert written_forms.for_generation(store.current_generation(index_dir)).written_form("soldati") == "soldați"


def test_openapi_lists_suggest(client):
    document = client.get("/api/openapi.json").get_json()
    operation = document["paths"]["/api/suggest"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"q", "limit"}
    assert "Suggestions" in document["components"]["schemas"]


def test_api_suggest_without_an_index_is_a_503(tmp_path):
    response = create_app({"INDEX_DIR": str(tmp_path)}).test_client().get("/api/suggest?q=sol")
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "index_missing"
