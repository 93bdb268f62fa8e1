"""Export of a whole result set (issue 20, item 4): CSV read back with the csv module, JSON Lines
with json; the web route streams, the CLI writes the same lines. On both engines: the Whoosh
engine collects the order in one pass, the Solr engine walks it with a cursor."""

from __future__ import annotations

import csv
import io
import json

import pytest

from searchapp.cli import main
from searchapp.config import Settings
from searchapp.web import create_app

from .archive_fixtures import app, client, engine_config, on_engine, sources_index  # noqa: F401 - fixtures

COLUMNS = ["id", "title", "date", "source", "url", "score"]


def every_hit(client, **params) -> list[dict]:
    """Every hit of a search through /api/search, page after page: what an export must match."""
    hits, page = [], 1
    while True:
        data = client.get("/api/search", query_string={**params, "per_page": 100, "page": page}).get_json()
        hits += data["hits"]
        if page * 100 >= data["total"]:
            return hits
        page += 1


def read_csv(text: str) -> list[dict]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == COLUMNS
    return [dict(zip(COLUMNS, row)) for row in rows[1:]]


def read_jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("params", [{"q": "pod"}, {"q": "soldati", "sort": "newest"}, {"q": "", "sort": "oldest"},
                                    {"q": "pod OR soldati", "source": "arhiva de test", "year": "2024"}])
def test_csv_has_every_match_in_the_searchs_order(client, params):
    response = client.get("/api/export", query_string={"format": "csv", **params})
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="cautare.csv"'
    rows = read_csv(response.get_data(as_text=True))
    expected = every_hit(client, **params)
    assert response.headers["X-Export-Total"] == str(len(expected))
    assert response.headers["X-Export-Truncated"] == response.headers["X-Export-Partial"] == "false"
    assert [r["id"] for r in rows] == [h["id"] for h in expected]
    for row, hit in zip(rows, expected):
        assert row["title"] == hit["title"]
        assert row["date"] == (hit["date"] or "")
        assert row["source"] == (hit["source"] or "")
        assert row["url"] == "http://localhost" + hit["url"]
        assert row["score"] == ("" if hit["score"] is None else str(hit["score"]))


@pytest.mark.solr
@pytest.mark.parametrize("engine_config", ["solr"], indirect=True)
def test_the_solr_cursor_walks_page_after_page(engine_config, monkeypatch):
    """The Solr engine reads an export a batch at a time with cursorMark; with batches of 3
    (500 in use), every match still comes once, in the search's order, on both sorts."""
    from searchapp.engines.solr import searching

    monkeypatch.setattr(searching, "EXPORT_BATCH", 3)
    client = create_app({**engine_config, "TESTING": True}).test_client()
    for params in ({"q": ""}, {"q": "pod OR soldati"}, {"q": "pod", "sort": "oldest"}):
        rows = read_jsonl(client.get("/api/export", query_string={"format": "jsonl", **params}).get_data(as_text=True))
        expected = every_hit(client, **params)
        assert len(expected) > 3
        assert [r["id"] for r in rows] == [h["id"] for h in expected]


def test_csv_quotes_what_needs_quoting(client):
    text = client.get("/api/export?format=csv&q=ghilimele").get_data(as_text=True)
    rows = {r["id"]: r for r in read_csv(text)}
    assert rows["src-c-1"]["title"] == 'Titlu cu "ghilimele", virgule, și punct și virgulă; pod'
    assert rows["src-c-1"]["source"] == "agenția c"
    assert '"Titlu cu ""ghilimele"", virgule, și punct și virgulă; pod"' in text
    assert text.endswith("\r\n")  # RFC 4180 line ends


def test_jsonl_has_one_object_a_line(client):
    response = client.get("/api/export", query_string={"format": "jsonl", "q": "pod", "sort": "newest"})
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    rows = read_jsonl(response.get_data(as_text=True))
    assert [list(row) for row in rows] == [COLUMNS] * 8
    assert [r["id"] for r in rows] == [h["id"] for h in every_hit(client, q="pod", sort="newest")]
    assert rows[-1] == {"id": "src-b-3", "title": "Istoria podurilor din oraș", "date": None,
                        "source": "ziarul-b.ro", "url": "http://localhost/articol/src-b-3", "score": None}


@pytest.fixture
def capped(engine_config):
    return create_app({**engine_config, "TESTING": True,
                       "SETTINGS": Settings.defaults().replace(export_cap=3)}).test_client()


def test_the_cap_cuts_the_export_and_says_so(capped):
    response = capped.get("/api/export?format=jsonl&q=pod")
    assert response.headers["X-Export-Truncated"] == "true"
    assert response.headers["X-Export-Total"] == "8" and response.headers["X-Export-Cap"] == "3"
    lines = read_jsonl(response.get_data(as_text=True))
    assert len(lines) == 4 and all("id" in line for line in lines[:3])
    assert lines[-1] == {"truncated": True, "partial": False, "total": 8, "exported": 3, "cap": 3}
    as_csv = capped.get("/api/export?format=csv&q=pod")
    assert as_csv.headers["X-Export-Truncated"] == "true"
    assert len(read_csv(as_csv.get_data(as_text=True))) == 3
    exact = capped.get("/api/export?format=csv&q=pod&source=ziarul-a.ro")  # 3 matches, cap 3: whole
    assert exact.headers["X-Export-Truncated"] == "false" and len(read_csv(exact.get_data(as_text=True))) == 3


@pytest.mark.parametrize("query_string,code", [
    ({"q": "pod"}, "bad_parameter"),
    ({"format": "xml"}, "bad_parameter"),
    ({"format": "CSV"}, "bad_parameter"),
    ({"format": "csv", "page": "0"}, "bad_parameter"),
    ({"format": "csv", "to": "2025-02-30"}, "bad_parameter"),
    ({"format": "jsonl", "q": "x" * 1001}, "query_too_long"),
    ({"format": "jsonl", "source": "x" * 201}, "bad_parameter"),
])
def test_bad_input_is_400_json(client, query_string, code):
    response = client.get("/api/export", query_string=query_string)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == code


def test_no_index_is_503_json(tmp_path):
    response = create_app({"INDEX_DIR": str(tmp_path)}).test_client().get("/api/export?format=csv")
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "index_missing"


def test_the_page_links_both_exports(client):
    html = client.get("/?q=pod&sort=newest&year=2024").get_data(as_text=True)
    assert '<a href="/api/export?format=csv&amp;q=pod&amp;year=2024&amp;sort=newest" download>CSV</a>' in html
    assert '<a href="/api/export?format=jsonl&amp;q=pod&amp;year=2024&amp;sort=newest" download>JSONL</a>' in html


# --- the command line -------------------------------------------------------------------------


def test_cli_export_writes_the_same_rows(runner, on_engine, client):
    result = runner.invoke(main, ["export", "pod", "--format", "csv", "--sort", "newest", *on_engine])
    assert result.exit_code == 0, result.output
    rows = read_csv(result.stdout)
    assert [r["id"] for r in rows] == [h["id"] for h in every_hit(client, q="pod", sort="newest")]
    assert rows[0]["url"] == "/articol/" + rows[0]["id"]  # the hit's URL, as the API gives it


def test_cli_export_to_a_file_with_filters_and_a_cap(runner, on_engine, tmp_path):
    out = tmp_path / "pod.jsonl"
    result = runner.invoke(main, ["export", "pod", "--format", "jsonl", "--source", "ziarul-a.ro", "--source",
                                  "agenția c", "--from", "2024-01-01", "--cap", "2", "-o", str(out), *on_engine])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.strip() == "export: primele 2 din 4 rezultate (limita --cap 2)"
    lines = read_jsonl(out.read_text(encoding="utf-8"))
    assert [line.get("source") for line in lines[:2]] and {line["source"] for line in lines[:2]} <= {"ziarul-a.ro", "agenția c"}
    assert lines[-1] == {"truncated": True, "partial": False, "total": 4, "exported": 2, "cap": 2}


@pytest.mark.parametrize("args,message", [
    (["--format", "xml"], "'xml' is not one of 'csv', 'jsonl'"),
    ([], "Missing option '--format'"),
    (["--format", "csv", "--year", "20x5"], "year: '20x5' is not a year"),
    (["--format", "csv", "--cap", "0"], "0 is not in the range"),
])
def test_cli_export_bad_input_is_a_usage_error(runner, sources_index, args, message):
    result = runner.invoke(main, ["export", "pod", *args, "--index", str(sources_index)])
    assert result.exit_code == 2 and message in result.stderr
    assert "Traceback" not in result.output


def test_cli_export_without_an_index_says_what_to_do(runner, tmp_path):
    result = runner.invoke(main, ["export", "pod", "--format", "csv", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1 and "run `searchapp reindex`" in result.stderr
