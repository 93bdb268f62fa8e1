"""Browsing in date order (an empty query, or sort=newest/oldest) reads a per-searcher date
order instead of Whoosh's sorting collector: the same articles in the same order."""

from __future__ import annotations

import json

import pytest
from whoosh import query as wq

from searchapp.engines.whoosh import index
from searchapp.engines.whoosh.archive import Archive
from searchapp.engines.whoosh.queries import date_filter, sort_facet
from searchapp.engines.whoosh.workarounds import filtered_by
from searchapp.params import parse_params

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="module")
def browsed(tmp_path_factory) -> Archive:
    """Seeds and the test archive, plus articles that share a date or have none, with one
    article deleted by `update` (a deleted document must never be listed)."""
    folder = tmp_path_factory.mktemp("date-order")
    extra = folder / "extra.jsonl"
    rows = [{"id": f"tie-{n}", "text": f"Soldați la paradă, ediția {n}.", "date": "2024-05-01" if n % 3 else None}
            for n in range(12)]
    extra.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    sources = [ROOT / "seeds", FIXTURES / "archive.jsonl", extra]
    index.rebuild(folder / "ix", sources)
    extra.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows if r["id"] != "tie-4") + "\n",
                     encoding="utf-8")
    assert index.update(folder / "ix", sources).deleted == 1
    return Archive(folder / "ix")


def whoosh_order(archive: Archive, params) -> list[str]:
    """The ids in the order Whoosh's own sorting collector gives (the behaviour before)."""
    with archive.searcher() as searcher:
        query = wq.Every() if not params.q else archive.parse(params.q)
        sort = "newest" if params.sort == "relevance" else params.sort
        results = searcher.search(filtered_by(query, date_filter(params, True)), sortedby=sort_facet(sort), limit=None)
        return [hit["id"] for hit in results]


CASES = [
    {}, {"q": "*"}, {"sort": "newest"}, {"sort": "oldest"}, {"sort": "relevance"},
    {"year": "2024"}, {"year": "none"}, {"year": "2024", "sort": "oldest"}, {"month": "2024-05"},
    {"from": "2023-01-01", "to": "2025-06-30"}, {"from": "2024-05-01", "sort": "oldest"},
    {"q": "soldati", "sort": "newest"}, {"q": "soldati", "sort": "oldest", "year": "2024"},
]


@pytest.mark.parametrize("raw", CASES, ids=lambda raw: "&".join(f"{k}={v}" for k, v in raw.items()) or "empty")
def test_date_order_is_whoosh_sorting_order_on_every_page(browsed, raw):
    expected = whoosh_order(browsed, parse_params(raw))
    assert "tie-4" not in expected and len(expected) > 3
    got = []
    for page in range(1, len(expected) // 3 + 2):
        result = browsed.search(parse_params({**raw, "per_page": "3", "page": str(page)}))
        assert result.total == len(expected)
        got += [hit.id for hit in result.hits]
        assert all(hit.score is None for hit in result.hits)
    assert got == expected


def test_the_cases_cover_ties_and_undated_articles(browsed):
    """The order the cases check has equal dates and undated articles to get right."""
    newest = [hit.id for hit in browsed.search(parse_params({"per_page": "100"})).hits]
    ties = [i for i in newest if i.startswith("tie-")]
    assert ties[:7] == ["tie-1", "tie-2", "tie-5", "tie-7", "tie-8", "tie-10", "tie-11"]  # one date: as indexed
    assert newest[-4:] == ["tie-0", "tie-3", "tie-6", "tie-9"]  # undated last (indexed last)
