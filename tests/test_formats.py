"""formats.py: packed positions decode to what Whoosh's own formats decode."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh.formats import Characters, Positions

from searchapp.engines.whoosh.formats import (
    PackedCharacters,
    PackedPositions,
    keyed_positions,
)
from searchapp.engines.whoosh.phrases import in_sequence_packed

UINT32 = st.integers(min_value=0, max_value=2**32 - 1)


@st.composite
def occurrences(draw, last_position: int = 10**6) -> list[tuple[int, int, int]]:
    """A word's occurrences in one text: increasing positions, increasing character spans."""
    positions = sorted(set(draw(st.lists(st.integers(0, last_position), min_size=1, max_size=40))))
    spans, end = [], 0
    for pos in positions:
        start = end + draw(st.integers(0, 5000))
        end = start + draw(st.integers(1, 40))
        spans.append((pos, start, end))
    return spans


@given(occurrences(), st.floats(min_value=0.5, max_value=4))
def test_packed_characters_decode_as_whooshs(spans, boost):
    ours, whooshs = PackedCharacters(field_boost=boost), Characters(field_boost=boost)
    value, reference = ours.encode(spans), whooshs.encode(spans)
    assert ours.decode_characters(value) == whooshs.decode_characters(reference) == spans
    assert ours.decode_positions(value) == whooshs.decode_positions(reference)
    assert ours.decode_frequency(value) == whooshs.decode_frequency(reference) == len(spans)
    assert ours.decode_weight(value) == whooshs.decode_weight(reference)
    assert ours.decode_position_boosts(value) == whooshs.decode_position_boosts(reference)


@given(st.lists(UINT32, min_size=1, max_size=60).map(lambda xs: sorted(set(xs))))
def test_packed_positions_decode_as_whooshs(positions):
    ours, whooshs = PackedPositions(), Positions()
    value, reference = ours.encode(positions), whooshs.encode(positions)
    assert ours.decode_positions(value) == whooshs.decode_positions(reference) == positions
    assert ours.decode_frequency(value) == whooshs.decode_frequency(reference)


def test_the_value_is_little_endian_32_bit_integers():
    """The file format does not depend on the machine that wrote it."""
    assert PackedPositions().encode([1, 258]) == bytes([1, 0, 0, 0, 2, 1, 0, 0])
    assert PackedCharacters().encode([(3, 10, 14)]) == bytes([3, 0, 0, 0, 10, 0, 0, 0, 14, 0, 0, 0])


def test_the_formats_index_text_as_whooshs_do():
    """word_values (Whoosh's) gives the same terms, frequencies and weights and, decoded, the
    same positions and characters through the packed encoding."""
    from searchapp.engines.whoosh.analysis import folded_analyzer

    text = "Soldații au plecat. Soldații s-au întors; soldati, soldați!"
    for ours, whooshs, decode in [(PackedCharacters(), Characters(), "decode_characters"),
                                  (PackedPositions(), Positions(), "decode_positions")]:
        mine = {w: (f, wt, getattr(ours, decode)(v)) for w, f, wt, v in ours.word_values(text, folded_analyzer())}
        theirs = {w: (f, wt, getattr(whooshs, decode)(v)) for w, f, wt, v in whooshs.word_values(text, folded_analyzer())}
        assert mine == theirs and max(f for f, _wt, _v in mine.values()) == 4  # the four soldiers


@given(st.lists(st.lists(occurrences(last_position=12), min_size=1, max_size=3), min_size=1, max_size=12),
       st.integers(1, 3))
def test_a_phrase_checked_over_keyed_positions_matches_the_check_one_candidate_at_a_time(candidates, slop):
    """phrases.in_sequence_packed over keyed_positions finds the candidates that the plain
    check of each one's decoded positions (`_in_sequence`, here) finds, for both packed
    formats."""
    words = min(len(words) for words in candidates)
    for field_format in (PackedPositions(), PackedCharacters()):
        columns = [[field_format.encode(_as_format(c[w], field_format)) for c in candidates] for w in range(words)]
        keyed = [keyed_positions(column, field_format) for column in columns]
        decoded = [[field_format.decode_positions(column[k]) for column in columns] for k in range(len(candidates))]
        expected = [k for k, positions in enumerate(decoded) if _in_sequence(positions, slop)]
        assert in_sequence_packed(keyed, slop).tolist() == expected


def _in_sequence(positions: list[list[int]], slop: int) -> bool:
    """Whether some position of each word follows one of the previous word's by 1..slop."""
    ends = set(positions[0])
    for following in positions[1:]:
        ends = {end + gap for end in ends for gap in range(1, slop + 1)}.intersection(following)
        if not ends:
            return False
    return True


def _as_format(spans: list[tuple[int, int, int]], field_format) -> list:
    return spans if isinstance(field_format, PackedCharacters) else [pos for pos, _s, _e in spans]


def test_a_value_of_an_impossible_length_is_refused():
    value = PackedCharacters().encode([(1, 2, 3)])
    with pytest.raises(ValueError):
        keyed_positions([value, value[:-4]], PackedCharacters())
