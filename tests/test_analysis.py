"""Romanian analysis: input text, expected tokens (as in Whoosh's own test_analysis.py)."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings, strategies as st

from searchapp import romanian
from searchapp.engines.whoosh.analysis import exact_analyzer, folded_analyzer, match_terms


def tokens(analyzer, text):
    return [t.text for t in analyzer(text)]


@pytest.mark.parametrize(
    "variants",
    [
        ("țări", "ţări", "tari", "ȚĂRI"),
        ("soldați", "soldaţi", "soldati", "Soldați"),
        ("muniții", "muniţii", "munitii"),
        ("față", "faţă", "fata"),
    ],
)
def test_diacritics_and_both_s_t_spellings_match_the_same_term(variants):
    assert len({tuple(match_terms(v)) for v in variants}) == 1


def test_fold_before_stem_because_the_stemmer_reads_diacritics():
    # The finding behind the analyzer's order: stemming first would split these.
    assert romanian.stem("soldați") != romanian.stem("soldati")
    assert match_terms("soldați") == match_terms("soldati") == ["soldat"]


def test_inflections_conflate():
    assert match_terms("rachetă") == match_terms("rachetele") == match_terms("Rachete")
    assert match_terms("Phenian") == match_terms("Phenianul")


def test_clitics_quotes_and_dashes_separate_words():
    assert tokens(folded_analyzer(), "într-o „casă” — s-a dus") == ["cas", "dus"]
    assert romanian.words("într-o s-a «vorbă»") == ["într", "o", "s", "a", "vorbă"]


def test_thousands_separator_joined_decimals_kept():
    assert match_terms("15.000 de soldați") == ["15000", "soldat"]
    assert match_terms("15000") == ["15000"]
    assert match_terms("3,5 procente")[0] == "3,5"


def test_soft_hyphen_inside_a_word_is_removed():
    assert match_terms("ran\u00addamentelor") == match_terms("randamentelor")


def test_stop_words_match_with_or_without_diacritics():
    assert match_terms("și si în in să sa că ca") == []
    assert tokens(exact_analyzer(), "și în să") == []


def test_content_words_kept_although_the_published_list_has_them():
    assert match_terms("fata mare") == ["fat", "mar"]


def test_exact_analyzer_files_written_forms_under_their_folded_key():
    assert tokens(exact_analyzer(), "față ţări țări fata Putin puţin") == [
        "fata|față", "tari|țări", "tari|țări", "fata|fata", "putin|Putin", "putin|puțin"]


def test_a_word_is_a_stop_word_only_as_written():
    # `pește` (fish) and `său` (his) are words; `peste` (over) and `sau` (or) are not searched.
    assert match_terms("pește său") == ["pest", "sau"]
    assert match_terms("pește") == ["pest"] and match_terms("peşte") == ["pest"]
    assert match_terms("peste sau") == []
    assert romanian.is_stop_word("Şi") and romanian.is_stop_word("și") and not romanian.is_stop_word("pește")


def test_the_stop_list_carries_both_spellings_of_s_and_t():
    words = romanian.stop_word_list()
    assert {"și", "şi", "ți", "ţi", "totuși", "totuşi", "si"} <= set(words)
    assert "pește" not in words and "său" not in words


@pytest.mark.parametrize("text, expected", [
    ("Soldații au plecat spre țară, în grabă.", True),
    ("Soldatii au plecat spre tara, in graba.", False),
    ("", False),
])
def test_writes_diacritics(text, expected):
    assert romanian.writes_diacritics(text) is expected


def test_character_offsets_point_into_the_original_text():
    text = "Soldaţii au plecat"
    spans = [(t.startchar, t.endchar) for t in folded_analyzer()(text, chars=True)]
    assert [text[a:b] for a, b in spans] == ["Soldaţii", "plecat"]


def test_positions_skip_stop_words_so_phrases_still_match():
    positions = [t.pos for t in folded_analyzer()("Coreea de Nord", positions=True)]
    assert positions == [0, 1]


def test_analyzers_pickle_into_the_index():
    for analyzer in (folded_analyzer(), exact_analyzer()):
        clone = pickle.loads(pickle.dumps(analyzer))
        assert tokens(clone, "Soldaţii") == tokens(analyzer, "Soldaţii")


def test_spelling_words_are_unstemmed_and_folded():
    assert [t.text for t in folded_analyzer()("Soldaţii Phenianul", no_morph=True)] == ["soldatii", "phenianul"]


ROMANIAN_LETTERS = "abcdefghijklmnopqrstuvwxyzăâîșțşţĂÂÎȘȚŞŢ"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ROMANIAN_LETTERS, min_size=1, max_size=20))
def test_any_word_matches_the_same_whatever_its_diacritics(word):
    folded = romanian.fold(word)
    cedilla = word.translate(str.maketrans("șțȘȚ", "şţŞŢ"))
    assert match_terms(word) == match_terms(cedilla)
    # Without its diacritics a word may become a stop word as written (`său` -> `sau`); else
    # it matches the same.
    assert match_terms(folded) == ([] if romanian.is_stop_word(folded) else match_terms(word))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_analysis_never_fails_on_arbitrary_text(text):
    for t in folded_analyzer()(text, positions=True, chars=True):
        assert t.text
        assert 0 <= t.startchar <= t.endchar <= len(text)


def _indexed(analyzer, text, **kwargs):
    return [(t.text, t.pos, t.startchar, t.endchar)
            for t in analyzer(text, positions=True, chars=True, mode="index", **kwargs)]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(ROMANIAN_LETTERS + "0123456789 .,-\u00ad\n„”ÉéСлово")), max_size=120))
def test_the_indexing_memo_gives_what_the_plain_chain_gives(text):
    """CachedAnalyzer answers indexing calls from a per-word memo; tokens, positions,
    characters and the spelling terms must be exactly those of Whoosh's chain run in full."""
    from whoosh.analysis import CompositeAnalyzer

    for make in (folded_analyzer, exact_analyzer):
        cached = make()
        plain = CompositeAnalyzer(*cached.items)
        for no_morph in (False, True):
            assert _indexed(cached, text, no_morph=no_morph) == _indexed(plain, text, no_morph=no_morph)
            assert cached.distinct_terms(text, no_morph) == {t.text for t in plain(text, no_morph=no_morph)}


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(ROMANIAN_LETTERS + "0123456789 .,-\u00ad\n„”ÉéСлово")), max_size=120))
def test_occurrences_are_the_plain_chains_tokens_by_term(text):
    """CachedAnalyzer.occurrences (what the posting formats encode) groups the chain's tokens
    by term: positions, or positions with start and end characters, in order; and it reports
    the unstemmed terms of the words its memo had not met, for the spelling field."""
    from whoosh.analysis import CompositeAnalyzer

    for make in (folded_analyzer, exact_analyzer):
        cached = make()
        plain = CompositeAnalyzer(*cached.items)
        expected: dict[str, list[int]] = {}
        for term, pos, start, end in _indexed(plain, text):
            expected.setdefault(term, []).extend((pos, start, end))
        assert cached.occurrences(text, chars=True) == expected
        assert cached.unstemmed_new_words(text) is not None
        assert set(cached.unstemmed_new_words(text)) - {None} == {t.text for t in plain(text, no_morph=True)}
        assert cached.occurrences(text, chars=False) == {term: spots[0::3] for term, spots in expected.items()}
        assert cached.unstemmed_new_words(text) == []  # every word met by now
