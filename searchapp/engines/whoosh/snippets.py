"""Snippets and marked titles: Whoosh's highlighting over match positions already known."""

from __future__ import annotations

import html

from whoosh.analysis import Token
from whoosh.highlight import (
    FIRST,
    BasicFragmentScorer,
    Fragment,
    HtmlFormatter,
    PinpointFragmenter,
    WholeFragmenter,
    highlight,
    top_fragments,
)


class MarkFormatter(HtmlFormatter):
    """`<mark>word</mark>`, with the text around it HTML-escaped (by HtmlFormatter)."""

    template = "<%(tag)s>%(t)s</%(tag)s>"

    def __init__(self, between: str = " … "):
        super().__init__(tagname="mark", between=between)



def lead(text: str, chars: int) -> str:
    if len(text) <= chars:
        return html.escape(text, quote=False)
    cut = text[:chars].rsplit(" ", 1)[0]
    return html.escape(cut, quote=False) + " …"


# --- doing less per request (BENCHMARKS.md) ---------------------------------------------------
# Profiling a request on the news corpus showed two costs that grow with the archive: Whoosh's
# highlighter re-analysing every hit's whole text, and the `groupedby` facet collection doing
# Python work for every matching article. Snippets now come from the character positions stored
# with the body's postings (the field has chars=True), and totals and facet counts from sets of
# document numbers read straight from the posting blocks (postings.py), counted against one
# month-per-document list that is built once per searcher.

def pinpoint_snippet(text: str, spans: list[tuple[int, int]], chars: int, top: int = 2) -> str | None:
    """Whoosh's PinpointFragmenter over known match positions: no re-analysis of the text."""
    if not spans:
        return None
    longest: dict[int, int] = {}
    for start, end in spans:
        if end > longest.get(start, -1):
            longest[start] = end
    tokens = [Token(text=text[s:e], startchar=s, endchar=e, matched=True) for s, e in sorted(longest.items())]
    fragmenter = PinpointFragmenter(maxchars=chars, surround=60, autotrim=True, charlimit=None)
    fragments = top_fragments(fragmenter.fragment_matches(text, tokens), top, BasicFragmentScorer(), FIRST)
    return MarkFormatter().format(without_overlaps(fragments)) or None


def without_overlaps(fragments: list[Fragment]) -> list[Fragment]:
    """Fragments in text order, those that overlap or touch joined into one: Whoosh's top
    fragments around two nearby matches share text, which a snippet showed twice ("... așteptat
    pe … așteptat pe soldați ..."; workarounds.py)."""
    joined: list[Fragment] = []
    for fragment in sorted(fragments, key=lambda f: f.startchar):
        last = joined[-1] if joined else None
        if last is not None and fragment.startchar <= last.endchar:
            joined[-1] = Fragment(last.text, last.matches + [m for m in fragment.matches if m not in last.matches],
                                  last.startchar, max(last.endchar, fragment.endchar))
        else:
            joined.append(fragment)
    return joined


def marked_title(title: str, words: frozenset[str], analyzer) -> str:
    """The title as HTML, its query words marked: a title is short, so it is analysed again
    (the title field stores positions, not characters)."""
    marked = None
    if words:
        marked = highlight(title, words, analyzer, WholeFragmenter(charlimit=None), MarkFormatter(), top=1)
    return marked or html.escape(title, quote=False)
