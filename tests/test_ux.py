"""The advanced search form, title-only search, marked titles, the back link, Romanian wording."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from searchapp.engines.whoosh import index
from searchapp.advanced import compose, read_form
from searchapp.cli import main
from searchapp.params import parse_params
from searchapp.web import create_app
from searchapp.messages import count_of, count_phrase, takes_de

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def ux_index(tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("ux-index")
    index.rebuild(index_dir, [ROOT / "seeds", FIXTURES / "archive.jsonl", FIXTURES / "hostile.jsonl"])
    return index_dir


@pytest.fixture
def client(ux_index):
    return create_app({"INDEX_DIR": str(ux_index), "TESTING": True}).test_client()


def html_of(response) -> str:
    return response.get_data(as_text=True)


def api(client, **params) -> dict:
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 200, html_of(response)
    return response.get_json()


# --- the advanced form ------------------------------------------------------------------------


def test_the_form_is_a_page_with_every_field(client):
    response = client.get("/cautare-avansata")
    assert response.status_code == 200
    html = html_of(response)
    for name in ("toate", "fraza", "oricare", "niciunul", "apropiate", "distanta", "in", "from", "to", "source", "sort"):
        assert f'name="{name}"' in html, name
        assert re.search(rf'<label for="{name}">', html), f"{name} has a label"
    assert '"Putin Kim"~5' in html, "the proximity syntax is documented"


def test_a_filled_form_redirects_to_the_ordinary_results_url(client):
    response = client.get("/cautare-avansata", query_string={
        "toate": "soldati Kursk", "fraza": "Coreea de Nord", "oricare": "Moscova Phenian", "niciunul": "Kim -obuze",
        "apropiate": "Putin Kim", "distanta": "7", "in": "title", "from": "2025-01-01", "to": "2025-12-31",
        "source": "agerpres", "sort": "newest"})
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/"
    assert parse_qs(target.query) == {
        "q": ['soldati Kursk "Coreea de Nord" (Moscova OR Phenian) "Putin Kim"~7 -Kim -obuze'],
        "in": ["title"], "from": ["2025-01-01"], "to": ["2025-12-31"], "source": ["agerpres"], "sort": ["newest"]}


def test_the_composed_url_finds_what_the_boxes_say(client):
    target = client.get("/cautare-avansata", query_string={"toate": "soldati", "niciunul": "Kursk"}).headers["Location"]
    page = client.get(target)
    assert page.status_code == 200
    assert 'value="soldati -Kursk"' in html_of(page), "the search box shows what the form meant"
    with_kursk = {h["id"] for h in api(client, q="soldati Kursk", per_page=100)["hits"]}
    without = {h["id"] for h in api(client, **parse_qs(urlsplit(target).query), per_page=100)["hits"]}
    assert without and not with_kursk & without


@pytest.mark.parametrize("boxes, expected", [
    ({"toate": 'a"b (c) OR -d'}, {"q": "a b c or d"}),
    ({"oricare": "unu"}, {"q": "unu"}),
    ({"apropiate": "singur"}, {"q": "singur"}),
    ({"fraza": '"deja citat"'}, {"q": '"deja citat"'}),
    ({"from": "2025-01-01"}, {"from": "2025-01-01"}),
    ({"toate": "x", "sort": "relevance", "distanta": "3"}, {"q": "x"}),
])
def test_composition(boxes, expected):
    form = read_form(boxes)
    assert form.submitted
    assert compose(form) == expected and not form.errors


@pytest.mark.parametrize("query, message", [
    ({"niciunul": "Kim"}, "Cuvintele excluse au nevoie de cel puțin un cuvânt căutat"),
    ({"apropiate": "a b", "distanta": "0"}, "Distanța dintre cuvinte trebuie să fie un număr de la 1 la 50"),
    ({"apropiate": "a b", "distanta": "x"}, "Distanța dintre cuvinte"),
    ({"toate": "a", "from": "2025-02-30"}, "Data „de la” trebuie să fie o zi din calendar"),
    ({"toate": "a", "from": "2025-05-01", "to": "2025-01-01"}, "Data „de la” este după data „până la”"),
    ({"toate": "a", "sort": "alfabetic"}, "Ordonarea poate fi doar"),
    ({"toate": "ș " * 600}, "Căutarea este prea lungă"),
])
def test_bad_boxes_show_the_form_again_with_a_romanian_message(client, query, message):
    response = client.get("/cautare-avansata", query_string=query)
    assert response.status_code == 400
    html = html_of(response)
    assert message in html and 'role="alert"' in html
    assert 'name="toate"' in html, "the form is shown again, filled in"


def test_an_empty_form_is_just_the_form(client):
    response = client.get("/cautare-avansata", query_string={"toate": " ", "distanta": "5", "sort": "relevance"})
    assert response.status_code == 200 and "form-errors" not in html_of(response)


# --- in=title ---------------------------------------------------------------------------------


def test_in_title_restricts_the_words_to_titles(client):
    everywhere = api(client, q="militar", per_page=100)
    in_title = api(client, q="militar", per_page=100, **{"in": "title"})
    assert 0 < in_title["total"] < everywhere["total"]
    assert all("<mark>" in hit["title_html"] for hit in in_title["hits"])
    assert {h["id"] for h in in_title["hits"]} <= {h["id"] for h in everywhere["hits"]}
    phrase = api(client, q='"Coreea de Nord"', **{"in": "title"})
    assert phrase["total"] >= 1 and all("Coreea de Nord" in h["title"] for h in phrase["hits"])


def test_in_title_is_validated_and_kept_in_links(client):
    response = client.get("/api/search?q=x&in=body")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_parameter"
    assert parse_params({"in": " title "}).in_field == "title" and parse_params({"in": ""}).in_field is None
    html = html_of(client.get("/?q=soldati&in=title"))
    assert 'Elimină filtrul doar în titlu' in html
    assert '<input type="hidden" name="in" value="title">' in html, "a new query keeps the restriction"


def test_cli_search_in_title(runner, ux_index):
    result = runner.invoke(main, ["search", "soldati", "--in", "title", "--index", str(ux_index)])
    assert result.exit_code == 0, result.output
    bad = runner.invoke(main, ["search", "soldati", "--in", "corp", "--index", str(ux_index)])
    assert bad.exit_code == 2 and "in: 'corp'" in bad.output


# --- the results page -------------------------------------------------------------------------


def test_query_words_are_marked_in_titles_escaped(client):
    html = html_of(client.get("/?q=pisici"))
    assert re.search(r'class="result-title"><a [^>]+><mark>Pisici</mark> cu id ostil</a>', html)
    data = api(client, q="pisici")
    hostile = next(h for h in data["hits"] if h["id"] == "ostil-script")
    assert "<script>" not in hostile["title_html"] and "&lt;script&gt;" in hostile["title_html"]
    soldati = api(client, q="soldati")["hits"]
    assert any("<mark>" in h["title_html"] for h in soldati) or all("sold" not in h["title"].lower() for h in soldati)


def test_article_links_carry_the_search_and_the_back_link_returns_to_it(client):
    html = html_of(client.get("/?q=soldati&year=2025&sort=oldest&page=2&per_page=2"))
    link = re.search(r'class="result-title"><a href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query) == {"q": ["soldati"], "year": ["2025"], "sort": ["oldest"],
                                              "page": ["2"], "per_page": ["2"]}
    article = html_of(client.get(link))
    back = re.search(r'<p class="back"><a href="([^"]+)"', article).group(1).replace("&amp;", "&")
    assert urlsplit(back).path == "/"
    assert parse_qs(urlsplit(back).query) == parse_qs(urlsplit(link).query)
    no_query = html_of(client.get(urlsplit(link).path + "?year=2025"))
    assert "Înapoi la rezultate</a>" in no_query


def test_article_page_with_bad_state_is_a_romanian_400(client):
    response = client.get("/articol/001_1cc27a957bb943bb?page=0")
    assert response.status_code == 400
    assert "Numărul paginii trebuie să fie" in html_of(response)


@pytest.mark.parametrize("url, status, romanian", [
    ("/?page=0", 400, "Numărul paginii trebuie să fie un număr întreg de la 1 la 1.000."),
    ("/?per_page=500", 400, "Numărul de rezultate pe pagină"),
    ("/?year=20x5", 400, "Anul se scrie cu patru cifre"),
    ("/?month=2025-13", 400, "Luna se scrie AAAA-LL"),
    ("/?to=2025-02-30", 400, "Data „până la” trebuie să fie o zi din calendar"),
    ("/?sort=random", 400, "Ordonarea poate fi"),
    ("/?in=corp", 400, "Căutarea se poate restrânge doar la titlu"),
    ("/nicaieri", 404, "Nu există nimic la această adresă."),
    ("/articol/nu-exista", 404, "Nu există nimic la această adresă."),
])
def test_html_error_pages_speak_romanian_and_the_api_keeps_its_messages(client, url, status, romanian):
    response = client.get(url)
    assert response.status_code == status
    html = html_of(response)
    assert romanian in html
    detail = re.search(r'<p class="error-detail">(.*?)</p>', html, re.S).group(1)
    assert not re.search(r"\b(is|use|not|out of range|the)\b", detail), detail
    if url.startswith("/?"):
        api_response = client.get("/api/search" + url[1:])
        assert api_response.status_code == 400
        assert re.search(r"\b(is|use)\b", api_response.get_json()["error"]["message"]), "the API keeps English"


def test_method_not_allowed_page_is_romanian(client):
    response = client.post("/")
    assert response.status_code == 405 and "Adresa aceasta nu acceptă metoda cererii." in html_of(response)


# --- one count wording for the web and the terminal -------------------------------------------


@pytest.mark.parametrize("number, de", [(1, False), (19, False), (20, True), (99, True), (100, True), (101, False),
                                        (119, False), (120, True), (200, True), (633, True), (1000, True),
                                        (1001, False), (1019, False), (1020, True), (40514, False)])
def test_romanian_de_rule(number, de):
    assert takes_de(number) is de
    assert count_of(number, "articol", "articole").endswith(" de articole" if de else "articol" if number == 1 else " articole")


def test_cli_and_web_say_the_count_the_same_way(runner, ux_index, client):
    total = api(client, q="soldati")["total"]
    result = runner.invoke(main, ["search", "soldati", "--index", str(ux_index)])
    assert result.output.startswith(count_phrase(total) + ",")
    assert count_phrase(total) in html_of(client.get("/?q=soldati"))
    assert count_phrase(633) == "633 de rezultate"


def test_cli_stats_speaks_romanian(runner, ux_index):
    result = runner.invoke(main, ["stats", "--index", str(ux_index)])
    assert result.exit_code == 0
    labels = [line.split(":")[0] for line in result.output.splitlines()]
    assert labels == ["articole", "cu dată", "fără dată", "interval", "dimensiune"]
    assert "MiB" in result.output and re.search(r"\d+,\d MiB", result.output)
