"""The reader's cases of issue 18 on the real corpus: an index of the corpus articles that
mention the words concerned (a few thousand), built once; skipped cleanly without the corpus."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from searchapp.engines.whoosh import index
from searchapp.engines.whoosh.archive import Archive
from searchapp.params import parse_params

from .conftest import corpus_path

pytestmark = pytest.mark.corpus

# The articles that write the rarer words, and enough of those with the common ones that
# collide with them (all of these would be half the corpus).
RARE = re.compile(r"\b(Putin|[Ff]ată|[Pp]e[șş]te|Iohann?is|Curtea Constitu)")
COMMON = re.compile(r"\b(pu[țţ]in|fa[țţ][ăa])\b")
COMMON_ARTICLES = 1500
CEDILLA = str.maketrans({"ş": "ș", "ţ": "ț"})


@pytest.fixture(scope="module")
def corpus_archive(tmp_path_factory) -> Archive:
    source = corpus_path("ro-news.jsonl.gz")
    folder = tmp_path_factory.mktemp("reader-corpus")
    chosen = folder / "articles.jsonl"
    with gzip.open(source, "rt", encoding="utf-8") as lines, chosen.open("w", encoding="utf-8") as out:
        common = 0
        for line in lines:
            text = json.loads(line).get("text", "")
            if RARE.search(text) or (common < COMMON_ARTICLES and COMMON.search(text)):
                common += not RARE.search(text)
                out.write(line)
    index.rebuild(folder / "ix", [chosen])
    return Archive(folder / "ix")


def top(archive: Archive, q: str, **params) -> list[str]:
    result = archive.search(parse_params({"q": q, "per_page": "10", "literal": "1", **params}))
    return [(lambda a: f"{a.title}\n{a.text}")(archive.article(h.id, similar=False)) for h in result.hits]


def share(texts: list[str], form: str, case: bool) -> float:
    pattern = re.compile(rf"(?<!\w){re.escape(form)}(?!\w)", 0 if case else re.IGNORECASE)
    return sum(bool(pattern.search(t.translate(CEDILLA))) for t in texts) / max(1, len(texts))


@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_putin_finds_putin_not_putin_the_adverb(corpus_archive, sort):
    texts = top(corpus_archive, "Putin", sort=sort)
    assert len(texts) == 10 and share(texts, "Putin", case=True) >= 0.9


@pytest.mark.parametrize("q", ["fată", "pește", "puțin", "față"])
def test_a_word_typed_with_diacritics_finds_it_so(corpus_archive, q):
    texts = top(corpus_archive, q)
    assert len(texts) == 10 and share(texts, q, case=False) >= 0.9


def test_fish_is_searched(corpus_archive):
    assert corpus_archive.search(parse_params({"q": "pește"})).total >= 50
    assert corpus_archive.search(parse_params({"q": "pește proaspăt"})).total >= 1


def test_iohanis_shows_iohannis(corpus_archive):
    result = corpus_archive.search(parse_params({"q": "Iohanis"}))
    assert result.autocorrected and result.suggestion == "Iohannis" and result.total > 10 * result.total_as_typed


def test_a_phrase_marks_only_its_occurrences(corpus_archive):
    result = corpus_archive.search(parse_params({"q": '"Curtea Constitutionala"', "per_page": "20"}))
    for hit in result.hits:
        words = re.findall(r"<mark>(.*?)</mark>", hit.snippet)
        assert len(words) % 2 == 0, hit.snippet
        for first, second in zip(words[::2], words[1::2]):
            assert first.lower().startswith("cur") and second.lower().startswith("constitu"), hit.snippet
            assert "constitu" + "ționalitate" not in second.lower()
