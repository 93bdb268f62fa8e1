"""Snippets from known match positions (engines/whoosh/snippets.py): no text shown twice."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings, strategies as st

from searchapp.engines.whoosh.snippets import pinpoint_snippet

TEXT = ("Soldații români s-au întors din misiune. Familiile i-au așteptat pe soldați la aeroport, "
        "cu flori și steaguri.")


def pieces(snippet: str) -> list[str]:
    """The snippet's fragments as plain text."""
    return [html.unescape(re.sub(r"</?mark>", "", part)).removesuffix(" …").strip()
            for part in snippet.split(" … ")]


def test_two_nearby_matches_show_their_text_once():
    spans = [(m.start(), m.end()) for m in re.finditer(r"[Ss]oldați\w*", TEXT)]
    snippet = pinpoint_snippet(TEXT, spans, 220)
    assert snippet.count("așteptat pe") == 1
    assert snippet.count("<mark>") == 2 and " … " not in snippet


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(TEXT) - 3), min_size=1, max_size=6),
       st.integers(min_value=40, max_value=220))
def test_fragments_never_overlap_and_keep_text_order(starts, chars):
    spans = [(s, s + 3) for s in starts]
    snippet = pinpoint_snippet(TEXT, spans, chars)
    position = 0
    for piece in pieces(snippet):
        found = TEXT.find(piece, position)
        assert found >= position, (piece, snippet)  # after the previous fragment, never inside it
        position = found + len(piece)
