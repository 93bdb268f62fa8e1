"""What a Romanian reader sees (issue 18): written forms that folding merges, stop words as
written, corrections of misspellings that occur in the archive, phrase marks.

The archive here is made up so that each case has the counts that decide it (readings.py needs
a spelling in `reading_min_docs` articles before it counts as a word of its own); the same
cases on the real corpus are in tests/test_reader_corpus.py.
"""

from __future__ import annotations

import json
import re

import pytest

from searchapp.engines.whoosh import index
from searchapp.engines.whoosh.archive import Archive
from searchapp.params import parse_params

FILLER = "Știrea a apărut în presa de la București, iar autoritățile au făcut declarații."


def _articles() -> list[dict]:
    articles = []

    def add(kind: str, n: int, text: str, year: int, title: str = "Știre"):
        for i in range(n):
            articles.append({"id": f"{kind}-{i:02d}", "title": title, "text": f"{text} {FILLER}",
                             "date": f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d}"})

    # `Putin` (the name) in fewer, older articles than `puțin` (a little).
    add("putin", 25, "Vladimir Putin a vorbit despre Rusia la Moscova.", 2019, "Putin la Moscova")
    add("putin-mic", 60, "Prețurile au crescut puțin în această lună, cel puțin la alimente.", 2022)
    # Written without diacritics: `putin` may be either word, so it decides nothing.
    add("fara-diacritice", 5, "Preturile au crescut putin in aceasta luna si tara a reactionat.", 2023)
    # `fată` (girl) beside the far more common `față` (face).
    add("fata", 22, "O fată a câștigat concursul de șah al școlii.", 2018)
    add("fata-fata", 70, "Ministrul a stat față în față cu protestatarii în fața clădirii.", 2021)
    # `pește` (fish) is no stop word, `peste` (over) is.
    add("peste", 21, "Pescarii au prins pește proaspăt în Deltă.", 2020)
    add("peste-stop", 30, "Temperaturile au urcat peste 35 de grade în țară.", 2022)
    # A misspelling that occurs in the archive, next to the name as it is usually written.
    add("iohannis", 120, "Președintele Klaus Iohannis a semnat decretul.", 2020)
    add("iohanis", 1, "Președintele Klaus Iohanis a semnat decretul.", 2020)
    # `soldați` written without diacritics by a few: no word of its own.
    add("soldati", 30, "Ieri, soldații români au plecat în misiune.", 2021)
    add("soldati-ascii", 1, "Soldatii romani au plecat in misiune, scrie ziarul fără diacritice rareori.", 2021)
    # A phrase whose words also occur apart.
    articles.append({"id": "curtea", "title": "Decizie", "date": "2021-01-01",
                     "text": "Curtea Constituțională a decis. Curții i s-a cerut o analiză de "
                             "constituționalitate, iar Curtea de Apel a amânat."})
    return articles


@pytest.fixture(scope="module")
def reader_archive(tmp_path_factory) -> Archive:
    folder = tmp_path_factory.mktemp("reader")
    source = folder / "articles.jsonl"
    source.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in _articles()), encoding="utf-8")
    index.rebuild(folder / "ix", [source])
    return Archive(folder / "ix")


def search(archive: Archive, q: str, **params):
    return archive.search(parse_params({"q": q, "per_page": "100", **params}))


def kinds(result, top: int) -> set[str]:
    return {hit.id.rsplit("-", 1)[0] for hit in result.hits[:top]}


# --- readings ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
@pytest.mark.parametrize("q", ["Putin", "PUTIN"])
def test_a_name_without_diacritics_ranks_its_own_articles_first(reader_archive, q, sort):
    result = search(reader_archive, q, sort=sort)
    assert kinds(result, 25) == {"putin"}
    # Folding still decides the matches: the name finds every spelling, as `puțin` does.
    assert result.total == search(reader_archive, "puțin").total == 25 + 60 + 5
    assert [(r.word, r.other) for r in result.other_readings] == [(q, "puțin")]


def test_a_name_typed_in_lower_case_is_offered_not_imposed(reader_archive):
    # `putin` typed in lower case is most often `puțin` typed without diacritics: relevance
    # decides, and the page offers the name.
    result = search(reader_archive, "putin")
    assert result.total == 90 and max(hit.score for hit in result.hits) < 1000  # no written-form tier
    assert [(r.word, r.other) for r in result.other_readings] == [("putin", "Putin")]


@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_a_word_typed_with_diacritics_ranks_the_articles_that_write_it_so_first(reader_archive, sort):
    assert kinds(search(reader_archive, "puțin", sort=sort), 60) == {"putin-mic"}
    assert kinds(search(reader_archive, "fată", sort=sort), 22) == {"fata"}
    assert kinds(search(reader_archive, "față", sort=sort), 70) == {"fata-fata"}


def test_the_other_reading_is_offered_where_the_spelling_is_a_word_of_its_own(reader_archive):
    assert [(r.word, r.other) for r in search(reader_archive, "puțin").other_readings] == [("puțin", "Putin")]
    # `soldati`: the articles write soldați; the one without diacritics is no word of its own.
    soldati = search(reader_archive, "soldati")
    assert soldati.other_readings == [] and soldati.total == 31
    data = search(reader_archive, "Putin Moscova").to_json()
    assert data["other_readings"] == [{"word": "Putin", "other": "puțin", "query": "puțin Moscova"}]


@pytest.mark.parametrize("q", ["ţări", "țări", "soldaţi", "soldați", "puţin", "puțin"])
def test_cedilla_and_comma_below_give_the_same_results(reader_archive, q):
    comma = q.replace("ţ", "ț").replace("ş", "ș")
    assert [h.id for h in search(reader_archive, q).hits] == [h.id for h in search(reader_archive, comma).hits]


# --- stop words as written ---------------------------------------------------------------------


def test_fish_is_not_the_stop_word_over(reader_archive):
    fish = search(reader_archive, "pește")
    assert {hit.id.rsplit("-", 1)[0] for hit in fish.hits} == {"peste"} and fish.total == 21
    assert search(reader_archive, "pește proaspăt").total == 21
    over = search(reader_archive, "peste")
    assert over.total == 0 and [(n.code, n.values) for n in over.notices] == [("only_stop_words", ("peste",))]


# --- corrections -------------------------------------------------------------------------------


def test_a_misspelling_that_occurs_is_corrected_and_searched_at_once(reader_archive):
    result = search(reader_archive, "Iohanis")
    assert result.autocorrected and result.suggestion == "Iohannis"
    assert result.total == 120 and result.total_as_typed == 1 and result.query == "Iohanis"
    data = result.to_json()
    assert data["autocorrected"] is True and data["total_as_typed"] == 1 and data["suggestion"] == "Iohannis"


def test_the_query_as_typed_stays_one_click_away(reader_archive):
    literal = search(reader_archive, "Iohanis", literal="1")
    assert not literal.autocorrected and literal.total == 1 and literal.suggestion == "Iohannis"


def test_a_correction_is_written_as_the_articles_write_it(reader_archive):
    assert search(reader_archive, "presedintele Iohanis").suggestion == "presedintele Iohannis"
    assert search(reader_archive, "soldatti", literal="1").suggestion == "soldații"


def test_a_frequent_word_is_not_corrected(reader_archive):
    assert search(reader_archive, "Iohannis").suggestion is None
    assert search(reader_archive, "fată").suggestion is None


# --- phrases -------------------------------------------------------------------------------------


def marked(snippet: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", snippet)


def test_a_phrase_marks_only_its_own_words(reader_archive):
    hit = search(reader_archive, '"Curtea Constitutionala"').hits[0]
    assert marked(hit.snippet) == ["Curtea", "Constituțională"]
    page = reader_archive.article("curtea", '"Curtea Constitutionala"')
    assert marked(page.marked_text) == ["Curtea", "Constituțională"]
