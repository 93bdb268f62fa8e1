"""The Atom feed of a search (issue 20, item 3), read back with feedparser."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import feedparser
import pytest

from searchapp import feed as feed_module
from searchapp.results import Hit

from .archive_fixtures import app, client, engine_config, on_engine, sources_index  # noqa: F401 - fixtures

ATOM = "{http://www.w3.org/2005/Atom}"


def get_feed(client, query_string):
    response = client.get("/feed.atom", query_string=query_string)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed, response


def test_a_search_feed_lists_its_dated_matches_newest_first(client):
    parsed, _ = get_feed(client, {"q": "pod", "sort": "relevance", "page": "2", "per_page": "1"})
    # 8 matches, one undated: the undated one is left out; sort, page and per_page are ignored.
    assert [e.id.rsplit("/", 1)[1] for e in parsed.entries] == [
        "src-c-2", "src-a-3", "src-b-2", "src-b-1", "src-a-2", "src-a-1", "src-c-1"]
    first = parsed.entries[0]
    assert first.title == "Podul suspendat, vopsit din nou"
    assert first.link == "http://localhost/articol/src-c-2?q=pod"
    assert first.id == "http://localhost/articol/src-c-2"
    assert first.updated == first.published == "2025-11-28T00:00:00Z"
    assert first.author == "agenția c"
    assert [t.term for t in first.tags] == ["agenția c"]
    # The summary is plain text: the snippet's words without its <mark>s.
    assert "<" not in first.summary and "Podul suspendat" in first.summary
    assert first.summary_detail.type == "text/plain"


def test_the_feed_says_what_it_is(client):
    parsed, response = get_feed(client, {"q": "pod", "source": "ziarul-a.ro"})
    f = parsed.feed
    assert f.title == "„pod” – Arhiva de știri"
    assert f.id == "http://localhost/feed.atom?q=pod&source=ziarul-a.ro"
    assert {link.rel: link.href for link in f.links} == {
        "self": "http://localhost/feed.atom?q=pod&source=ziarul-a.ro",
        "alternate": "http://localhost/?q=pod&sort=newest&source=ziarul-a.ro"}
    assert f.updated == "2025-11-02T00:00:00Z"  # the newest entry's date
    assert "fără dată nu apar" in f.subtitle
    assert {e.author for e in parsed.entries} == {"ziarul-a.ro"}
    # Atom's own schema: a feed needs an author, unless every entry has one.
    root = ET.fromstring(response.data)
    assert root.find(f"{ATOM}author/{ATOM}name").text == "Arhiva de știri"


def test_filters_apply_and_the_feed_holds_at_most_fifty(client):
    parsed, _ = get_feed(client, {"q": "pod", "year": "2024"})
    assert {e.updated[:4] for e in parsed.entries} == {"2024"} and len(parsed.entries) == 3
    everything, _ = get_feed(client, {})
    counts = client.get("/api/search").get_json()
    dated = counts["total"] - counts["facets"]["undated"]
    assert dated < 50 and len(everything.entries) == dated  # every dated article of the index
    dates = [e.updated for e in everything.entries]
    assert dates == sorted(dates, reverse=True)


def test_a_feed_with_no_entry_is_still_valid(client):
    parsed, _ = get_feed(client, {"q": "pod", "year": "none"})  # the only match is undated
    assert parsed.entries == []
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", parsed.feed.updated)  # the index's commit time


def test_hostile_text_is_escaped_text(client):
    parsed, response = get_feed(client, {"q": "pisici"})
    titles = [e.title for e in parsed.entries]
    assert "Titlu cu <script>alert('titlu')</script> periculos" in titles
    assert b"<script>" not in response.data
    assert {e.get("author") for e in parsed.entries} == {"<em>sursa</em>", None}


def test_characters_xml_cannot_carry_are_dropped():
    hit = Hit(id="x", title="a\x0bb\x00c", date="2024-01-01", score=None, snippet="d\x1ee", url="/articol/x",
              source="s\ufffe")
    root = ET.Element("feed")
    feed_module._entry(root, hit, "http://h/articol/x", "http://h/articol/x")
    assert root.find(f"{ATOM}entry/{ATOM}title").text == "abc"
    assert root.find(f"{ATOM}entry/{ATOM}summary").text in ("de", "d e")  # striptags may read it as a space
    assert root.find(f"{ATOM}entry/{ATOM}author/{ATOM}name").text == "s"


@pytest.mark.parametrize("query_string", [
    {"page": "0"}, {"year": "20x5"}, {"from": "2025-02-30"}, {"q": "x" * 1001}, {"source": "x" * 201},
])
def test_bad_parameters_are_400_json(client, query_string):
    response = client.get("/feed.atom", query_string=query_string)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] in ("bad_parameter", "query_too_long")


def test_the_results_page_links_its_feed(client):
    html = client.get("/?q=pod&source=ziarul-a.ro&sort=oldest&page=1").get_data(as_text=True)
    head = html[:html.index("</head>")]
    alternate = re.search(r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="([^"]+)">', head)
    assert alternate and alternate.group(1) == "/feed.atom?q=pod&amp;source=ziarul-a.ro"
    visible = re.search(r'<a href="([^"]+)" type="application/atom\+xml">Abonare \(Atom\)</a>', html)
    assert visible and visible.group(1) == alternate.group(1)
    parsed, _ = get_feed(client, visible.group(1).replace("&amp;", "&").split("?", 1)[1])
    assert len(parsed.entries) == 3
