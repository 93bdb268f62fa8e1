"""Reading sources: the real seeds, bulk JSONL, and every kind of bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from searchapp.errors import SourceError
from searchapp.sources import (
    ReadReport,
    clean_text,
    first_sentence_title,
    read_articles,
    read_jsonl,
    strip_furniture,
)

from .conftest import SEEDS


def read(*sources) -> tuple[dict, ReadReport]:
    report = ReadReport()
    articles = {a.id: a for a in read_articles([Path(s) for s in sources], report)}
    return articles, report


@pytest.fixture(scope="module")
def seeds():
    articles, report = read(SEEDS)
    assert report.problems == []
    return articles


def test_seed_ids_dates_and_undated(seeds):
    assert sorted(seeds) == [p.stem for p in sorted(SEEDS.glob("*.txt"))]
    assert seeds["000_bba8654fe1fb9b3b"].date == "2026-01-09"
    assert seeds["001_1cc27a957bb943bb"].date == "2025-08-15"
    assert seeds["003_719bcf90d0d11112"].date is None
    assert seeds["004_ae5b814a1d694bd7"].date is None


def test_date_header_is_not_article_text(seeds):
    assert seeds["000_bba8654fe1fb9b3b"].text.startswith("Liderul nord-coreean")
    assert "date 2026" not in seeds["000_bba8654fe1fb9b3b"].text


def test_headline_carried_by_the_text_becomes_the_title(seeds):
    article = seeds["003_719bcf90d0d11112"]
    assert article.title == "Vladimir Putin, scrisoare pentru pentru Kim Jong Un: relațiile bilaterale vor fi extinse"
    assert article.title not in article.text


def test_title_falls_back_to_the_first_sentence_cut_at_a_word(seeds):
    title = seeds["002_ccc367ce25698c12"].title
    assert title.startswith("Preşedintele rus Vladimir Putin se va întâlni luni")
    assert len(title) <= 122 and title.endswith(" …")
    assert seeds["002_ccc367ce25698c12"].text.startswith(title[:-2])


@pytest.mark.parametrize(
    "article_id, furniture",
    [
        ("003_719bcf90d0d11112", ["Explorează subiectul", "Articole Similare", "Zelenski", "Sarajevo", "2.095", "Comentează"]),
        ("004_ae5b814a1d694bd7", ["Distribuie pe Facebook", "viewscnt", "Google News", "abonamente@news.ro", "republicarea"]),
    ],
)
def test_page_furniture_is_stripped_from_the_real_seeds(seeds, article_id, furniture):
    text = seeds[article_id].text
    for piece in furniture:
        assert piece not in text
    assert text.rstrip().endswith(".")


def test_article_text_around_furniture_is_kept(seeds):
    text = seeds["004_ae5b814a1d694bd7"].text
    assert "Phenianul a trimis în războiul de invazie" in text
    assert "furnituri alimentare şi de energie, potrivit unor analişti." in text


def test_related_headlines_with_counters_are_dropped():
    text = "Articol adevărat.\nTitlul articolului\nArticole Similare\n\n22\nAlt titlu\n22\n"
    body, headline = strip_furniture(text)
    assert body == "Articol adevărat."
    assert headline == "Titlul articolului"


def test_web_debris_is_cleaned():
    assert clean_text("&amp;icirc;n &amp;nbsp;Rom&acirc;nia") == "în România"
    assert clean_text("ran\u00addamente") == "randamente"
    assert clean_text("a\u0306") == "ă"
    assert clean_text("<b>tag</b> stays text") == "<b>tag</b> stays text"


def test_first_sentence_title():
    assert first_sentence_title("Prima frază. A doua frază.") == "Prima frază."
    long = "cuvânt " * 40
    title = first_sentence_title(long)
    assert title.endswith(" …") and len(title) <= 122 and "cuvân …" not in title


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def test_impossible_date_is_repaired_as_undated(tmp_path):
    write(tmp_path, "x.txt", b"date 2025-13-45 Un articol despre ceva.")
    articles, report = read(tmp_path)
    assert articles["x"].date is None
    assert articles["x"].text == "Un articol despre ceva."
    assert [p.skipped for p in report.problems] == [False]
    assert "2025-13-45" in str(report.problems[0])


@pytest.mark.parametrize("encoding", ["cp1250", "iso-8859-2"])
def test_legacy_romanian_encodings_are_decoded(tmp_path, encoding):
    write(tmp_path, "legacy.txt", "Ştiri din ţară: şcoala şi ţăranii.".encode(encoding))
    articles, report = read(tmp_path)
    assert "ţară" in articles["legacy"].text
    assert "not UTF-8" in str(report.problems[0])


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.txt", b"", "no article text"),
        ("blank.txt", b"  \n\n  ", "no article text"),
        ("only-date.txt", b"date 2025-01-01\n", "no article text"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ],
)
def test_bad_files_are_skipped_with_a_reason_and_the_rest_indexed(tmp_path, name, data, reason):
    write(tmp_path, "good.txt", "Un articol bun.".encode())
    write(tmp_path, name, data)
    articles, report = read(tmp_path)
    assert list(articles) == ["good"]
    assert len(report.skipped) == 1 and reason in str(report.skipped[0])


def test_jsonl_lines_malformed_missing_fields_and_duplicates(tmp_path):
    lines = [
        json.dumps({"id": "a", "text": "Primul articol.", "title": "Titlul A", "date": "2024-02-29", "url": "https://x.ro/a"}),
        "{not json",
        json.dumps({"text": "fără id"}),
        json.dumps({"id": "b", "text": "Al doilea.", "date": "2023-02-29"}),
        json.dumps({"id": "a", "text": "Duplicat."}),
        json.dumps(["not", "an", "object"]),
    ]
    write(tmp_path, "bulk.jsonl", "\n".join(lines).encode())
    articles, report = read(tmp_path)
    assert sorted(articles) == ["a", "b"]
    assert articles["a"].title == "Titlul A" and articles["a"].date == "2024-02-29"
    assert articles["a"].url == "https://x.ro/a"
    assert articles["b"].date is None and articles["b"].title == "Al doilea."
    reasons = [str(p) for p in report.problems]
    assert any("bulk.jsonl:2" in r and "malformed JSON" in r for r in reasons)
    assert any("bulk.jsonl:3" in r and '"id"' in r for r in reasons)
    assert any("bulk.jsonl:4" in r and "2023-02-29" in r for r in reasons)
    assert any("duplicate id 'a'" in r for r in reasons)
    assert any("bulk.jsonl:6" in r for r in reasons)


def test_jsonl_gz_is_streamed_line_by_line(tmp_path):
    path = tmp_path / "bulk.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for i in range(3):
            f.write(json.dumps({"id": f"n{i}", "text": f"Articolul numărul {i}."}) + "\n")
        f.write("{broken\n")
    report = ReadReport()
    stream = read_jsonl(path, report)
    first = next(stream)  # a generator: the first article arrives before the file is read through
    assert first.id == "n0" and report.problems == []
    assert [a.id for a in stream] == ["n1", "n2"]
    assert "bulk.jsonl.gz:4" in str(report.problems[0])


def test_truncated_gzip_is_reported_not_fatal(tmp_path):
    data = gzip.compress(b'{"id": "z", "text": "Un text destul de lung pentru test."}\n' * 50)
    write(tmp_path, "cut.jsonl.gz", data[: len(data) // 2])
    write(tmp_path, "ok.txt", "Alt articol.".encode())
    articles, report = read(tmp_path)
    assert "ok" in articles
    assert any("cut.jsonl.gz" in str(p) for p in report.skipped)


def test_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        read(tmp_path / "nope")


def test_symlink_loop_is_skipped(tmp_path):
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    write(tmp_path, "ok.txt", "Un articol.".encode())
    articles, report = read(tmp_path)
    assert list(articles) == ["ok"]
    assert "loop.txt" in str(report.skipped[0])
