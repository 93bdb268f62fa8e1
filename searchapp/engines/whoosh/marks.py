"""Which characters of an article to mark for a query: every occurrence of a word searched on
its own, and the words of a phrase only where the phrase itself occurs.

Marking every occurrence of a phrase's words marked a lone `Curții` and `constituționalitate`
(the same stem as `constituțională`) for `"Curtea Constitutionala"`. The positions and
characters stored with the body's postings say where each word is, so a phrase's occurrences
are found here as the phrase query finds them, without analysing the text again.
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh.analysis import Token
from whoosh.highlight import Fragment

FIELD = "body"


def spans(postings, query: wq.Query, docs: list[int]) -> dict[int, list[tuple[int, int]]]:
    """(start, end) of the characters to mark in each of `docs` (top-level numbers)."""
    loose: set[str] = set()
    phrases: list[wq.Phrase] = []
    _collect(query, loose, phrases)
    texts = loose | {word for phrase in phrases for word in phrase.words}
    found = postings.occurrences(FIELD, texts, docs)
    marked: dict[int, list[tuple[int, int]]] = {}
    for doc, by_term in found.items():
        chosen = [(start, end) for text in loose for _pos, start, end in by_term.get(text, ())]
        for phrase in phrases:
            chosen.extend(_phrase_spans(phrase, by_term))
        marked[doc] = chosen
    return marked


def _collect(node: wq.Query, loose: set[str], phrases: list[wq.Phrase]) -> None:
    if isinstance(node, wq.Not):
        return  # an excluded word is not in the article, or not what the reader looks for
    if isinstance(node, wq.AndNot):
        _collect(node.a, loose, phrases)
        return
    if isinstance(node, wq.Phrase):
        if node.fieldname == FIELD:
            phrases.append(node)
        return
    if isinstance(node, wq.Term):
        if node.fieldname == FIELD:
            loose.add(node.text.decode("utf-8") if isinstance(node.text, bytes) else node.text)
        return
    for child in node.children():
        _collect(child, loose, phrases)


def _phrase_spans(phrase: wq.Phrase, by_term: dict) -> list[tuple[int, int]]:
    """The characters of each occurrence of the phrase: its words in order, each within `slop`
    positions of the one before (Whoosh's Phrase)."""
    occurrences = [{pos: (start, end) for pos, start, end in by_term.get(word, ())} for word in phrase.words]
    if not occurrences or not all(occurrences):
        return []
    slop = max(1, phrase.slop)
    found = []
    for first in sorted(occurrences[0]):
        chain = [first]
        for following in occurrences[1:]:
            nxt = next((p for p in range(chain[-1] + 1, chain[-1] + slop + 1) if p in following), None)
            if nxt is None:
                break
            chain.append(nxt)
        else:
            found.extend(occ[pos] for occ, pos in zip(occurrences, chain))
    return found


def whole_text_fragment(text: str, marks: list[tuple[int, int]]) -> Fragment:
    """The whole text as one highlighting fragment with `marks` as its matched tokens."""
    longest: dict[int, int] = {}
    for start, end in marks:
        longest[start] = max(end, longest.get(start, end))
    tokens = [Token(text=text[s:e], startchar=s, endchar=e, matched=True) for s, e in sorted(longest.items())]
    return Fragment(text, tokens, 0, len(text))
