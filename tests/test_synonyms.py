"""Synonyms and name variants: the lists, the expansion, the ranking, what the page and API say."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from searchapp import config
from searchapp.engines.whoosh import index, synonyms
from searchapp.engines.whoosh.archive import Archive
from searchapp.params import parse_params
from searchapp.engines.whoosh.synonyms import Synonyms, read_groups
from searchapp.web import create_app

ARTICLES = [
    {"id": "typed", "title": "Bugetul UE pe 2027", "date": "2025-01-02",
     "text": "Negocierile pentru bugetul UE continuă la Bruxelles. UE are nevoie de acord."},
    {"id": "full", "title": "Bugetul Uniunii Europene", "date": "2025-01-03",
     "text": "Uniunea Europeană discută bugetul. Statele membre ale Uniunii Europene nu s-au înțeles."},
    {"id": "inflected", "title": "Acord amânat", "date": "2025-01-04",
     "text": "Liderii Uniunii Europene au amânat bugetul pentru luna viitoare."},
    {"id": "other", "title": "Altceva", "date": "2025-01-05", "text": "Un buget local fără nicio legătură."},
]


@pytest.fixture(scope="module")
def archive_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("synonyms")
    source = folder / "articles.jsonl"
    source.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES), encoding="utf-8")
    index.rebuild(folder / "index", [source])
    return folder / "index"


def ids(result) -> list[str]:
    return [hit.id for hit in result.hits]


# --- the lists --------------------------------------------------------------------------------


def test_curated_list_has_about_fifty_groups_and_no_common_words():
    groups = read_groups(synonyms.CURATED)
    assert 45 <= len(groups) <= 70
    from searchapp import romanian
    for forms in groups:
        for form in forms:
            assert not romanian.is_stop_word(form), f"{form} would expand ordinary sentences"


@pytest.mark.parametrize("query, expanded", [
    ("UE buget", '(UE OR "Uniunea Europeană" OR "Uniunii Europene") buget'),
    ("bnr dobanda", '(bnr OR "Banca Națională a României") dobanda'),
    ("Banca Nationala a Romaniei", '("Banca Nationala a Romaniei" OR BNR)'),
    ("Curții Constituționale", '("Curții Constituționale" OR CCR)'),
    ("kyiv", "(kyiv OR Kiev)"),
])
def test_expansion(query, expanded):
    text, expansions = synonyms.current().expand(query)
    assert text == expanded and len(expansions) == 1


@pytest.mark.parametrize("query", ['"UE" buget', "-UE buget", "NOT UE", "UE*", "buget", "Uniunea (Europeană x)", ""])
def test_no_expansion_inside_quotes_exclusions_prefixes_or_groups(query):
    assert synonyms.current().expand(query) == (query, [])


def test_the_longest_form_wins():
    text, expansions = synonyms.current().expand("Statele Unite ale Americii")
    assert expansions[0].typed == "Statele Unite ale Americii" and set(expansions[0].added) == {"SUA", "Statele Unite"}


def test_an_operator_file_is_read_when_it_changes(tmp_path, monkeypatch):
    own = tmp_path / "own.txt"
    own.write_text("# ours\nKremlin, Moscova\n", encoding="utf-8")
    monkeypatch.setenv(synonyms.ENV, str(own))
    assert synonyms.current().expand("Kremlinul")[0] == "(Kremlinul OR Moscova)"
    assert synonyms.current().expand("UE")[1], "the curated list still applies"
    own.write_text("Bruxelles, capitala europeană\n", encoding="utf-8")
    stamp = own.stat().st_mtime_ns + 1_000_000
    os.utime(own, ns=(stamp, stamp))
    assert synonyms.current().expand("Kremlin") == ("Kremlin", [])
    assert synonyms.current().expand("Bruxelles")[0] == '(Bruxelles OR "capitala europeană")'


def test_groups_merge_and_skip_forms_of_stop_words():
    table = Synonyms([["UE", "Uniunea Europeană"], ["UE", "U.E."], ["și", "plus"]])
    assert table.groups[("ue",)] == ["UE", "Uniunea Europeană", "U.E."]
    assert ("si",) not in table.groups


# --- searching --------------------------------------------------------------------------------


def test_typed_form_ranks_above_synonym_only_matches(archive_dir):
    result = Archive(archive_dir).search(parse_params({"q": "UE buget"}))
    assert ids(result)[0] == "typed"
    assert set(ids(result)) == {"typed", "full", "inflected"}
    assert result.to_json()["expanded"] == [{"typed": "UE", "added": ["Uniunea Europeană", "Uniunii Europene"]}]
    scores = [hit.score for hit in result.hits]
    assert scores[0] > max(scores[1:]) + 50, "a tier, not a nudge"
    full = Archive(archive_dir).search(parse_params({"q": "Uniunea Europeană buget"}))
    assert ids(full)[0] == "full" and "typed" in ids(full)


def test_synonyms_can_be_turned_off(archive_dir):
    result = Archive(archive_dir, config.Settings.defaults().replace(synonyms=False)).search(
        parse_params({"q": "UE buget"}))
    assert ids(result) == ["typed"] and result.to_json()["expanded"] == []


def test_an_excluded_word_is_excluded_as_typed(archive_dir):
    result = Archive(archive_dir).search(parse_params({"q": "buget -UE"}))
    assert "typed" not in ids(result) and "full" in ids(result)


def test_snippets_mark_the_synonyms_too(archive_dir):
    result = Archive(archive_dir).search(parse_params({"q": "UE buget"}))
    full = next(hit for hit in result.hits if hit.id == "full")
    assert "<mark>Uniunea</mark>" in full.snippet or "<mark>Uniunii</mark>" in full.snippet


def test_page_and_api_say_the_query_was_expanded(archive_dir):
    client = create_app({"INDEX_DIR": str(archive_dir)}).test_client()
    html = client.get("/?q=UE+buget").get_data(as_text=True)
    assert "Am căutat și „Uniunea Europeană”, „Uniunii Europene” pentru „UE”" in html
    data = client.get("/api/search?q=UE+buget").get_json()
    assert data["expanded"][0]["typed"] == "UE" and data["query"] == "UE buget"
    assert client.get("/api/search?q=buget").get_json()["expanded"] == []
    assert client.get("/api/search?q=" + "UE " * 300).status_code == 200


def test_a_reader_turns_synonyms_off_with_one_link(archive_dir):
    """The page that says what was added links to the same search without it (`synonyms=false`,
    as README documents it); the API takes the same parameter, and refuses a value that is not a flag."""
    client = create_app({"INDEX_DIR": str(archive_dir)}).test_client()
    html = client.get("/?q=UE+buget&sort=newest").get_data(as_text=True)
    assert '<a href="/?q=UE+buget&amp;sort=newest&amp;synonyms=false">Căutați fără sinonime</a>' in html
    plain = client.get("/?q=UE+buget&sort=newest&synonyms=false").get_data(as_text=True)
    assert "Am căutat și" not in plain and "Căutați fără sinonime" not in plain
    assert "synonyms=false" in plain  # kept in the page's other links (sort, feed, export)
    data = client.get("/api/search?q=UE+buget&synonyms=false").get_json()
    assert data["expanded"] == [] and [h["id"] for h in data["hits"]] == ["typed"]
    assert len(client.get("/api/search?q=UE+buget").get_json()["hits"]) > 1
    bad = client.get("/api/search?q=UE&synonyms=maybe")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_parameter"


def test_cli_search_without_synonyms(runner, archive_dir):
    from searchapp.cli import main

    result = runner.invoke(main, ["search", "UE buget", "--json", "--no-synonyms", "--index", str(archive_dir)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["expanded"] == [] and [h["id"] for h in data["hits"]] == ["typed"]
