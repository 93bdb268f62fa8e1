"""searchapp's parsed query (searchapp/query.py) rendered into Solr's standard Lucene syntax.

Every word is backslash-escaped and lower-cased (so it can never be read as an operator, a
field name, a range or a boost); only this module writes operators, fields and boosts. A
word is searched in the title (boosted) and the body; a word typed with diacritics adds an
optional constant-score clause on the `exact` field, so that articles with those diacritics
rank first (the contract) without it ever adding a match.
"""

from __future__ import annotations

import re

from ...config import setting
from ...query import And, Node, Not, Or, Phrase, Prefix, Term

# Lucene's special characters, and whitespace (a word with a space would be two clauses).
_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/\s])')
EVERYTHING = "*:*"
NOTHING = "-*:*"


def escape(word: str) -> str:
    return _SPECIAL.sub(r"\\\1", word.lower())


def _number(value: float) -> str:
    return f"{value:g}"


def render(node: Node | None, title_boost: float | None = None, exact_score: float | None = None) -> str:
    """Lucene syntax for the tree, for `defType=lucene` with `q.op=OR` (every operator explicit)."""
    if node is None:
        return NOTHING
    title_boost = float(setting("title_boost")) if title_boost is None else title_boost
    exact_score = float(setting("exact_score")) if exact_score is None else exact_score
    return _Renderer(title_boost, exact_score).node(node)


class _Renderer:
    def __init__(self, title_boost: float, exact_score: float):
        self.title = _number(title_boost)
        self.exact_score = exact_score

    def node(self, node: Node) -> str:
        if isinstance(node, Term):
            return self.term(node.word)
        if isinstance(node, Phrase):
            quoted = '"' + " ".join(escape(w) for w in node.words) + '"'
            return f"(title:{quoted}^{self.title} body:{quoted})"
        if isinstance(node, Prefix):
            text = escape(node.text)
            return f"(title:{text}*^{self.title} body:{text}*)"
        if isinstance(node, Not):
            # A purely negative clause matches nothing in Lucene: subtract from everything.
            return f"({EVERYTHING} -{self.node(node.child)})"
        if isinstance(node, And):
            positive = [c for c in node.children if not isinstance(c, Not)]
            negative = [c.child for c in node.children if isinstance(c, Not)]
            parts = [f"+{self.node(c)}" for c in positive] or [f"+{EVERYTHING}"]
            parts += [f"-{self.node(c)}" for c in negative]
            return "(" + " ".join(parts) + ")"
        if isinstance(node, Or):
            return "(" + " ".join(self.node(c) for c in node.children) + ")"
        raise TypeError(f"not a query node: {node!r}")

    def term(self, word: str) -> str:
        text = escape(word)
        matched = f"(title:{text}^{self.title} body:{text})"
        if self.exact_score > 0 and not word.isascii():
            # Required match, optional exact boost: `exact` may raise an article, never add one.
            return f"(+{matched} exact:{text}^={_number(self.exact_score)})"
        return matched


def render_words(words: list[tuple[str, bool]]) -> str:
    """A plain query's words for edismax (the relaxed "most words" search, ranked with `mm`)."""
    return " ".join(escape(w) + ("*" if is_prefix else "") for w, is_prefix in words)


def render_any(words: list[tuple[str, bool]], field: str = "body") -> str:
    """Any of the words in one field: what the article page marks in the text."""
    if not words:
        return NOTHING
    return " ".join(f"{field}:{escape(w)}{'*' if is_prefix else ''}" for w, is_prefix in words)
