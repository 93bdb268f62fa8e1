"""The command line: exit codes, stdout and stderr, as users see them."""

from __future__ import annotations

import json

import pytest

from searchapp.cli import main
from searchapp.search import Archive, parse_params

from .conftest import SEEDS

COMMANDS = ["reindex", "update", "search", "stats", "serve"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(runner, command):
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "--index" in result.output


def test_reindex_then_search_soldati(runner, tmp_path):
    index_dir = str(tmp_path / "ix")
    result = runner.invoke(main, ["reindex", "--index", index_dir, "--source", str(SEEDS)])
    assert result.exit_code == 0, result.output
    assert "reindex: 5 indexed" in result.output and "0 skipped" in result.output

    result = runner.invoke(main, ["search", "soldati", "--index", index_dir])
    assert result.exit_code == 0
    assert result.output.startswith("3 rezultate")
    assert "*soldaților*" in result.output  # the snippet, marked for a terminal
    assert "001_1cc27a957bb943bb" in result.output


def test_environment_variables_give_the_defaults(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("SEARCHAPP_INDEX", str(tmp_path / "ix"))
    monkeypatch.setenv("SEARCHAPP_SOURCE", str(SEEDS))
    assert runner.invoke(main, ["reindex"]).exit_code == 0
    result = runner.invoke(main, ["stats", "--json"])
    assert json.loads(result.output)["articles"] == 5


def test_search_json_is_the_api_json(runner, seed_index):
    result = runner.invoke(main, ["search", "rachete", "--json", "--index", str(seed_index), "--limit", "2", "--sort", "newest"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    expected = Archive(seed_index).search(parse_params({"q": "rachete", "per_page": "2", "sort": "newest"})).to_json()
    data.pop("took_ms"), expected.pop("took_ms")
    assert data == expected


def test_search_filters(runner, seed_index):
    result = runner.invoke(main, ["search", "", "--json", "--year", "none", "--index", str(seed_index)])
    assert {h["id"] for h in json.loads(result.output)["hits"]} == {"003_719bcf90d0d11112", "004_ae5b814a1d694bd7"}
    result = runner.invoke(main, ["search", "", "--json", "--from", "2025-09-01", "--to", "2025-12-31", "--index", str(seed_index)])
    assert [h["id"] for h in json.loads(result.output)["hits"]] == ["002_ccc367ce25698c12"]


def test_suggestion_is_printed(runner, seed_index):
    result = runner.invoke(main, ["search", "Pheniam", "--literal", "--index", str(seed_index)])
    assert "Ați vrut să scrieți: Phenian" in result.output
    result = runner.invoke(main, ["search", "Pheniam", "--index", str(seed_index)])
    assert "Se afișează rezultatele pentru „Phenian”" in result.output and "*Phenian*" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["search", "x", "--page", "0"], "page: 0 is out of range"),
        (["search", "x", "--limit", "1000"], "per_page"),
        (["search", "x", "--from", "2025-02-30"], "from:"),
        (["search", "x", "--sort", "best"], "sort:"),
    ],
)
def test_bad_options_are_usage_errors(runner, seed_index, args, message):
    result = runner.invoke(main, [*args, "--index", str(seed_index)])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["stats"], "run `searchapp reindex`"),
        (["search", "x"], "run `searchapp reindex`"),
        (["reindex", "--source", "/nonexistent/articles"], "does not exist"),
    ],
)
def test_runtime_failures_are_one_clear_line(runner, tmp_path, args, message):
    result = runner.invoke(main, [*args, "--index", str(tmp_path / "missing")])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in result.stderr


def test_reindex_summary_lists_skipped_files_with_reasons(runner, tmp_path, seeds_copy):
    (seeds_copy / "bad.txt").write_bytes(b"\x00\x01binary")
    (seeds_copy / "odd.txt").write_text("date 2025-13-45 Un articol cu o dată imposibilă.", encoding="utf-8")
    result = runner.invoke(main, ["reindex", "--source", str(seeds_copy), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 0
    assert "6 indexed" in result.output and "1 skipped" in result.output
    assert "bad.txt: skipped: binary file" in result.output
    assert "odd.txt: repaired: impossible date '2025-13-45'" in result.output


def test_update_reports_changes(runner, tmp_path, seeds_copy):
    index_dir = str(tmp_path / "ix")
    runner.invoke(main, ["reindex", "--source", str(seeds_copy), "--index", index_dir])
    (seeds_copy / "000_bba8654fe1fb9b3b.txt").unlink()
    result = runner.invoke(main, ["update", "--source", str(seeds_copy), "--index", index_dir])
    assert result.exit_code == 0
    assert "0 updated, 1 deleted, 4 unchanged" in result.output


# --- a bad source never wipes the index (issue 18) ---------------------------------------------


def _articles_in(runner, index_dir) -> int:
    result = runner.invoke(main, ["stats", "--json", "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["articles"]


def _one_error_line(result) -> str:
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    return lines[0]


def _bad_sources(tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "empty-folder").mkdir()
    (tmp_path / "binary.jsonl").write_bytes(bytes(range(256)) * 40)
    return {"empty file": tmp_path / "empty.jsonl", "empty folder": tmp_path / "empty-folder",
            "binary .jsonl": tmp_path / "binary.jsonl"}


@pytest.mark.parametrize("command", ["reindex", "update"])
@pytest.mark.parametrize("kind", ["empty file", "empty folder", "binary .jsonl"])
def test_a_source_with_no_articles_keeps_the_index(runner, tmp_path, command, kind):
    index_dir = tmp_path / "ix"
    assert runner.invoke(main, ["reindex", "--index", str(index_dir), "--source", str(SEEDS)]).exit_code == 0
    source = _bad_sources(tmp_path)[kind]
    for flags in ([], ["--allow-shrink"]):  # never to an empty index, even when allowed to shrink
        result = runner.invoke(main, [command, "--index", str(index_dir), "--source", str(source), *flags])
        line = _one_error_line(result)
        assert line.startswith(f"Error: {command} refused: the sources gave no articles")
        assert "the index keeps its 5 articles" in line
        assert _articles_in(runner, index_dir) == 5
    assert len(list(index_dir.glob("gen-*"))) == 1  # the refused generation is gone


@pytest.mark.parametrize("command", ["reindex", "update"])
def test_far_fewer_articles_need_allow_shrink(runner, tmp_path, seeds_copy, command):
    index_dir = tmp_path / "ix"
    assert runner.invoke(main, ["reindex", "--index", str(index_dir), "--source", str(seeds_copy)]).exit_code == 0
    for path in sorted(seeds_copy.glob("*.txt"))[2:]:
        path.unlink()  # 2 of 5 left: fewer than half
    result = runner.invoke(main, [command, "--index", str(index_dir), "--source", str(seeds_copy)])
    line = _one_error_line(result)
    assert "the sources gave 2 articles, fewer than half of the index's 5" in line and "--allow-shrink" in line
    assert _articles_in(runner, index_dir) == 5

    result = runner.invoke(main, [command, "--index", str(index_dir), "--source", str(seeds_copy), "--allow-shrink"])
    assert result.exit_code == 0, result.output
    assert _articles_in(runner, index_dir) == 2


def test_half_the_articles_is_no_shrink(runner, tmp_path, seeds_copy):
    index_dir = tmp_path / "ix"
    (seeds_copy / "900_extra.txt").write_text("Un articol în plus despre Iași.", encoding="utf-8")
    assert runner.invoke(main, ["reindex", "--index", str(index_dir), "--source", str(seeds_copy)]).exit_code == 0
    for path in sorted(seeds_copy.glob("*.txt"))[3:]:
        path.unlink()  # 3 of 6 left: exactly half is accepted
    result = runner.invoke(main, ["reindex", "--index", str(index_dir), "--source", str(seeds_copy)])
    assert result.exit_code == 0, result.output
    assert _articles_in(runner, index_dir) == 3


def test_a_first_reindex_of_an_empty_source_writes_no_index(runner, tmp_path):
    index_dir = tmp_path / "ix"
    source = _bad_sources(tmp_path)["binary .jsonl"]
    line = _one_error_line(runner.invoke(main, ["reindex", "--index", str(index_dir), "--source", str(source)]))
    assert "the sources gave no articles" in line and "no index was written" in line
    assert "binary file (NUL bytes)" in line  # the first reason it read nothing
    result = runner.invoke(main, ["stats", "--index", str(index_dir)])
    assert result.exit_code == 1 and "run `searchapp reindex`" in result.stderr


def test_a_cp1250_jsonl_is_indexed_readable_and_said_so(runner, tmp_path):
    """The issue's case: indexed as "Ploi toren�iale �n Ia�i", "0 skipped", and `Iasi` found nothing."""
    source = tmp_path / "ploi.jsonl"
    source.write_bytes(json.dumps({"id": "ploi", "text": "Ploi torenţiale în Iaşi."}, ensure_ascii=False).encode("cp1250"))
    index_dir = str(tmp_path / "ix")
    result = runner.invoke(main, ["reindex", "--index", index_dir, "--source", str(source)])
    assert result.exit_code == 0, result.output
    assert f"{source}: repaired: 1 line not UTF-8; re-decoded from cp1250" in result.output
    found = json.loads(runner.invoke(main, ["search", "Iasi", "--json", "--index", index_dir]).output)
    assert [hit["id"] for hit in found["hits"]] == ["ploi"]
    assert "torenţiale în <mark>Iaşi</mark>" in found["hits"][0]["snippet"]
