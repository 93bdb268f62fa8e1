"""The command line: exit codes, stdout and stderr, as users see them."""

from __future__ import annotations

import json

import pytest

from searchapp.cli import main
from searchapp.engines import open_engine
from searchapp.params import parse_params

from .conftest import ENGINES, SEEDS

COMMANDS = ["reindex", "update", "search", "stats", "serve"]


@pytest.fixture(params=ENGINES)
def engine_name(request) -> str:
    return request.param


@pytest.fixture
def on_engine(engine_name, request, tmp_path):
    """Options naming a fresh index on the engine: a folder, or a new Solr alias."""
    if engine_name == "whoosh":
        return lambda name="ix": ["--index", str(tmp_path / name)]
    urls, aliases = request.getfixturevalue("solr_urls"), request.getfixturevalue("solr_aliases")
    return lambda name="ix": ["--engine", "solr", "--solr-url", urls, "--index", aliases(f"cli_{name}")]


@pytest.fixture
def seeded(engine_name, request) -> list[str]:
    """Options naming the engine's read-only index of the seeds."""
    if engine_name == "whoosh":
        return ["--index", str(request.getfixturevalue("seed_index"))]
    urls = request.getfixturevalue("solr_urls")
    return ["--engine", "solr", "--solr-url", urls, "--index", request.getfixturevalue("solr_seed_alias")]


def engine_of(args: list[str]):
    options = dict(zip(args[::2], args[1::2]))
    return open_engine(options.get("--engine"), options["--index"], options.get("--solr-url"))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(runner, command):
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "--index" in result.output


def test_reindex_then_search_soldati(runner, on_engine):
    index = on_engine()
    result = runner.invoke(main, ["reindex", *index, "--source", str(SEEDS)])
    assert result.exit_code == 0, result.output
    assert "reindex: 5 indexed" in result.output and "0 skipped" in result.output

    result = runner.invoke(main, ["search", "soldati", *index])
    assert result.exit_code == 0
    assert result.output.startswith("3 rezultate")
    assert "*soldaților*" in result.output  # the snippet, marked for a terminal
    assert "001_1cc27a957bb943bb" in result.output


def test_environment_variables_give_the_defaults(runner, on_engine, monkeypatch):
    options = dict(zip(*[iter(on_engine())] * 2))
    for option, variable in (("--index", "SEARCHAPP_INDEX"), ("--engine", "SEARCHAPP_ENGINE"),
                             ("--solr-url", "SEARCHAPP_SOLR_URL")):
        if option in options:
            monkeypatch.setenv(variable, options[option])
    monkeypatch.setenv("SEARCHAPP_SOURCE", str(SEEDS))
    assert runner.invoke(main, ["reindex"]).exit_code == 0
    result = runner.invoke(main, ["stats", "--json"])
    assert json.loads(result.output)["articles"] == 5


def test_search_json_is_the_api_json(runner, seeded):
    result = runner.invoke(main, ["search", "rachete", "--json", *seeded, "--limit", "2", "--sort", "newest"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    expected = engine_of(seeded).search(parse_params({"q": "rachete", "per_page": "2", "sort": "newest"})).to_json()
    data.pop("took_ms"), expected.pop("took_ms")
    assert data == expected


def test_search_filters(runner, seeded):
    result = runner.invoke(main, ["search", "", "--json", "--year", "none", *seeded])
    assert {h["id"] for h in json.loads(result.output)["hits"]} == {"003_719bcf90d0d11112", "004_ae5b814a1d694bd7"}
    result = runner.invoke(main, ["search", "", "--json", "--from", "2025-09-01", "--to", "2025-12-31", *seeded])
    assert [h["id"] for h in json.loads(result.output)["hits"]] == ["002_ccc367ce25698c12"]


def test_suggestion_is_printed(runner, seeded):
    result = runner.invoke(main, ["search", "Pheniam", "--literal", *seeded])
    assert "Ați vrut să scrieți:" in result.output and "ați vrut să scrieți: phenian" in result.output.lower()


def test_a_query_that_finds_nothing_prints_its_correction_s_results(runner, seed_index):
    # Whoosh engine: the corrected results at once, written as the articles write the word.
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
def test_bad_options_are_usage_errors(runner, seeded, args, message):
    result = runner.invoke(main, [*args, *seeded])
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
def test_runtime_failures_are_one_clear_line(runner, on_engine, args, message):
    result = runner.invoke(main, [*args, *on_engine("missing")])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in result.stderr


def test_reindex_summary_lists_skipped_files_with_reasons(runner, on_engine, seeds_copy):
    (seeds_copy / "bad.txt").write_bytes(b"\x00\x01binary")
    (seeds_copy / "odd.txt").write_text("date 2025-13-45 Un articol cu o dată imposibilă.", encoding="utf-8")
    result = runner.invoke(main, ["reindex", "--source", str(seeds_copy), *on_engine()])
    assert result.exit_code == 0
    assert "6 indexed" in result.output and "1 skipped" in result.output
    assert "bad.txt: skipped: binary file" in result.output
    assert "odd.txt: repaired: impossible date '2025-13-45'" in result.output


def test_update_reports_changes(runner, on_engine, seeds_copy):
    index = on_engine()
    runner.invoke(main, ["reindex", "--source", str(seeds_copy), *index])
    (seeds_copy / "000_bba8654fe1fb9b3b.txt").unlink()
    result = runner.invoke(main, ["update", "--source", str(seeds_copy), *index])
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
