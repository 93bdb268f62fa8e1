"""Sources (issue 20, item 1): on every hit, as a facet counted over the matches, as a filter."""

from __future__ import annotations

import re

from searchapp.cli import main
from searchapp.sources import ReadReport, read_seed_file

from .archive_fixtures import ROOT, app, client, engine_config, on_engine, sources_index  # noqa: F401 - fixtures

BRIDGE_SOURCES = {"ziarul-a.ro": 3, "ziarul-b.ro": 3, "agenția c": 2}


def api(client, query_string) -> dict:
    response = client.get("/api/search", query_string=query_string)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def facet(data: dict, name: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in data["facets"][name]}


def test_a_seed_takes_its_folders_name_as_source():
    report = ReadReport()
    article = read_seed_file(ROOT / "seeds" / "000_bba8654fe1fb9b3b.txt", report)
    assert article.source == "seeds"


def test_every_hit_carries_its_source(client):
    data = api(client, {"q": "pod", "per_page": 100})
    assert {h["id"]: h["source"] for h in data["hits"]} == {
        "src-a-1": "ziarul-a.ro", "src-a-2": "ziarul-a.ro", "src-a-3": "ziarul-a.ro",
        "src-b-1": "ziarul-b.ro", "src-b-2": "ziarul-b.ro", "src-b-3": "ziarul-b.ro",
        "src-c-1": "agenția c", "src-c-2": "agenția c"}
    seeds = api(client, {"q": "Phenian"})
    assert seeds["hits"] and {h["source"] for h in seeds["hits"]} == {"seeds"}
    # An article whose JSONL line names no source has none (null), and no facet value.
    hostile = api(client, {"q": "pisici"})
    assert sorted(map(str, (h["source"] for h in hostile["hits"]))) == ["<em>sursa</em>", "None"]


def test_the_source_facet_counts_the_matches_most_first(client):
    data = api(client, {"q": "pod"})
    assert data["facets"]["source"] == [
        {"value": "ziarul-a.ro", "count": 3}, {"value": "ziarul-b.ro", "count": 3}, {"value": "agenția c", "count": 2}]
    everything = api(client, {})
    counts = facet(everything, "source")
    assert counts["seeds"] == 5 and counts["arhiva de test"] == 32 and counts["<em>sursa</em>"] == 1
    assert sum(counts.values()) == everything["total"] - 1  # one hostile article has no source


def test_source_filters_and_repeats_as_any_of_them(client):
    one = api(client, {"q": "pod", "source": "ziarul-b.ro"})
    assert one["total"] == 3 and {h["source"] for h in one["hits"]} == {"ziarul-b.ro"}
    two = api(client, [("q", "pod"), ("source", "ziarul-b.ro"), ("source", "agenția c")])
    assert two["total"] == 5 and {h["source"] for h in two["hits"]} == {"ziarul-b.ro", "agenția c"}
    # The source facet keeps every source's count while some are chosen (as the year facet does).
    assert facet(two, "source") == BRIDGE_SOURCES
    # The year facet is narrowed by the source filter.
    assert facet(two, "year") == {"2023": 1, "2024": 1, "2025": 2}
    assert two["facets"]["undated"] == 1
    assert api(client, {"q": "pod", "source": "nu-exista.ro"})["total"] == 0
    # Exact names: another case is another source.
    assert api(client, {"q": "pod", "source": "ZIARUL-B.RO"})["total"] == 0


def test_the_source_facet_is_narrowed_by_the_dates(client):
    in_2025 = api(client, {"q": "pod", "year": "2025"})
    assert facet(in_2025, "source") == {"ziarul-a.ro": 1, "ziarul-b.ro": 1, "agenția c": 1}
    ranged = api(client, {"q": "pod", "from": "2024-01-01", "to": "2024-12-31"})
    assert facet(ranged, "source") == {"ziarul-a.ro": 2, "ziarul-b.ro": 1}
    undated = api(client, {"q": "pod", "year": "none"})
    assert facet(undated, "source") == {"ziarul-b.ro": 1}
    month = api(client, {"q": "pod", "month": "2025-11", "source": "agenția c"})
    assert month["total"] == 1 and facet(month, "source") == {"ziarul-a.ro": 1, "agenția c": 1}


def test_blank_source_values_are_ignored(client):
    assert api(client, [("q", "pod"), ("source", ""), ("source", " \x00 ")])["total"] == 8


def test_bad_source_values_are_400_json(client):
    too_many = [("q", "pod")] + [("source", f"s{i}") for i in range(51)]
    for query in (too_many, {"source": "x" * 201}):
        response = client.get("/api/search", query_string=query)
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "bad_parameter"
        assert "source" in response.get_json()["error"]["message"]
    page = client.get("/", query_string={"source": "x" * 201})
    assert page.status_code == 400 and "Cerere greșită" in page.get_data(as_text=True)


def test_the_page_lists_sources_with_toggle_links_and_chips(client):
    html = client.get("/?q=pod&source=ziarul-b.ro").get_data(as_text=True)
    section = html[html.index('id="facet-source"'):html.index('id="facet-range"')]
    entries = re.findall(r'<a href="([^"]*)"( class="selected")?[^>]*><span class="facet-label">([^<]*)</span> '
                         r'<span class="count">(\d+)</span>', section)
    found = {label: (url.replace("&amp;", "&"), bool(selected), int(count)) for url, selected, label, count in entries}
    assert found == {
        "ziarul-a.ro": ("/?q=pod&source=ziarul-b.ro&source=ziarul-a.ro", False, 3),
        "ziarul-b.ro": ("/?q=pod", True, 3),
        "agenția c": ("/?q=pod&source=ziarul-b.ro&source=agen%C8%9Bia+c", False, 2),
    }
    assert 'aria-label="Elimină filtrul sursa ziarul-b.ro"' in html
    # Each hit shows its source; the date form keeps the source filter.
    assert html.count('<span class="source">ziarul-b.ro</span>') == 3
    assert '<input type="hidden" name="source" value="ziarul-b.ro">' in html


def test_a_chosen_source_without_matches_stays_removable(client):
    html = client.get("/?q=pod&source=nu-exista.ro").get_data(as_text=True)
    assert re.search(r'<a href="/\?q=pod" class="selected" aria-current="true"[^>]*>'
                     r'<span class="facet-label">nu-exista.ro</span> <span class="count">0</span>', html)


def test_cli_search_filters_by_source(runner, on_engine):
    result = runner.invoke(main, ["search", "pod", "--json", "--source", "agenția c", *on_engine])
    assert result.exit_code == 0, result.output
    assert '"total": 2' in result.output
    bad = runner.invoke(main, ["search", "pod", "--source", "x" * 201, *on_engine])
    assert bad.exit_code == 2 and "source" in bad.output
