"""The contract's query language as an engine-neutral tree.

Words (all required), `"exact phrase"`, `OR`, `NOT` / `-word`, parentheses and `word*`. Each
engine renders the tree into its own syntax (engines/solr/render.py); user text is never pasted
into an engine's query language. The parser is total: any operator soup (a stray `)`, `NOT NOT`,
`OR` with nothing beside it) gives some tree or None, never an exception.

The text given to `parse` has been through `normalize_query` (below) (`-word` is already `NOT word`,
`?` gone, depth and word count bounded). Stop words are dropped here, as the analysis drops
them: a query made only of them is None (nothing to search).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import romanian
from .config import setting
from .results import Notice

OPERATORS = ("AND", "OR", "NOT")


# --- the raw text, before parsing ------------------------------------------------------------

_MINUS = re.compile(r"(^|[\s(])[-–](?=[^\s\-–])")
_WORDISH = re.compile(r"\S+")


def normalize_query(text: str) -> tuple[str, list[Notice]]:
    """Make a raw query safe to parse: `-word` as NOT, bounded length, depth and word count."""
    notices = []
    # `?` ends questions; it is no wildcard here (Whoosh's would turn `Tesla?` into `tesla` + one letter).
    text = _MINUS.sub(r"\1NOT ", text.replace("\u00ad", "").replace("?", " "))
    if _paren_depth(text) > setting("max_query_depth"):
        text = text.replace("(", " ").replace(")", " ")
        notices.append(Notice("deep_parentheses"))
    parts = _WORDISH.findall(text)
    if len(parts) > setting("max_query_terms"):
        text = " ".join(parts[: setting("max_query_terms")])
        notices.append(Notice("words_cut", (setting("max_query_terms"),)))
    return text, notices


def only_stop_words(text: str) -> list[str]:
    """A query's words when it has some and every one is a stop word (which the index leaves
    out, so that such a query finds nothing and the user should be told why), else []."""
    words = [w for w in romanian.words(text) if w not in OPERATORS]
    return words if words and all(romanian.is_stop_word(w) for w in words) else []


OPERATORS_PATTERN = re.compile(r'["()]|\b(AND|OR|NOT)\b')
_CHOICE_OPERATORS = re.compile(r'"|\b(AND|OR|NOT)\b')
PARENS = re.compile(r"[()]")


def is_plain_words(text: str) -> bool:
    """Words only, no operators: the kind of query that may be relaxed to "most words match".
    Parentheses alone (often a stray one in a pasted question) change nothing in a query whose
    words are all required, so they do not count; phrases, OR and NOT (`-word`) do."""
    return not _CHOICE_OPERATORS.search(text)


def _paren_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth = max(0, depth - 1)
    return deepest


# --- the tree ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    word: str  # as typed (the engine's analysis lowers, folds and stems it)


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]


@dataclass(frozen=True)
class Prefix:
    text: str  # folded, lower case, without the `*`


@dataclass(frozen=True)
class Not:
    child: "Node"


@dataclass(frozen=True)
class And:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    children: tuple["Node", ...]


Node = Term | Phrase | Prefix | Not | And | Or

# A phrase, a parenthesis, an operator word, or a word with an optional `*` after it.
_TOKEN = re.compile(rf'"(?P<phrase>[^"]*)"?|(?P<paren>[()])|(?P<word>{romanian.WORD_PATTERN.pattern})(?P<star>\*)?')


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens = []
    for match in _TOKEN.finditer(text):
        if match.group("phrase") is not None:
            tokens.append(("phrase", match.group("phrase")))
        elif match.group("paren"):
            tokens.append((match.group("paren"), match.group("paren")))
        elif match.group("word") in OPERATORS and not match.group("star"):
            tokens.append((match.group("word"), match.group("word")))
        else:
            tokens.append(("prefix" if match.group("star") else "word", match.group("word")))
    return tokens


class _Parser:
    """Recursive descent: or := and ("OR" and)*; and := unary+; unary := NOT unary | primary."""

    def __init__(self, tokens: list[tuple[str, str]]):
        self.tokens = tokens
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else None

    def parse(self) -> Node | None:
        nodes = []
        while self.peek() is not None:
            node = self.parse_or()
            if node is not None:
                nodes.append(node)
            if self.peek() == ")":  # a stray closing parenthesis: ignored
                self.at += 1
        return _joined(And, nodes)

    def parse_or(self) -> Node | None:
        sides = [self.parse_and()]
        while self.peek() == "OR":
            self.at += 1
            sides.append(self.parse_and())
        return _joined(Or, [s for s in sides if s is not None])

    def parse_and(self) -> Node | None:
        nodes = []
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                self.at += 1
                continue
            node = self.parse_unary()
            if node is not None:
                nodes.append(node)
        return _joined(And, nodes)

    def parse_unary(self) -> Node | None:
        negations = 0
        while self.peek() == "NOT":
            self.at += 1
            negations += 1
        if self.peek() in (None, ")", "OR", "AND"):
            return None  # NOT with nothing after it
        node = self.parse_primary()
        if node is None or not negations % 2:
            return node
        return node.child if isinstance(node, Not) else Not(node)

    def parse_primary(self) -> Node | None:
        kind, value = self.tokens[self.at]
        self.at += 1
        if kind == "(":
            node = self.parse_or()
            while self.peek() not in (None, ")"):  # `(a OR b c` keeps going to the `)`
                more = self.parse_or()
                node = _joined(And, [n for n in (node, more) if n is not None])
            if self.peek() == ")":
                self.at += 1
            return node
        if kind == "phrase":
            words = tuple(w for w in romanian.words(value) if not romanian.is_stop_word(w))
            if len(words) > 1:
                return Phrase(tuple(romanian.words(value)))
            return Term(words[0]) if words else None
        if kind == "prefix":
            folded = romanian.fold(value)
            if len(folded) < setting("min_prefix_chars"):
                return None if romanian.is_stop_word(value) else Term(value)
            return Prefix(folded)
        return None if romanian.is_stop_word(value) else Term(value)


def _joined(kind, nodes: list[Node]) -> Node | None:
    if not nodes:
        return None
    if len(nodes) == 1:
        return nodes[0]
    flat = []
    for node in nodes:  # (a b) c is a b c
        flat.extend(node.children if isinstance(node, kind) else [node])
    return kind(tuple(flat))


def parse(text: str) -> Node | None:
    """The query tree of `text`, or None when nothing in it can be searched."""
    return _Parser(_tokens(text.replace("\u00ad", ""))).parse()


def plain_words(text: str) -> list[tuple[str, bool]]:
    """A plain query's words as (word or folded prefix, is_prefix), stop words out: what a
    relaxed "most words" search ranks by."""
    found = []
    for kind, value in _tokens(text):
        if kind == "word" and not romanian.is_stop_word(value):
            found.append((value, False))
        elif kind == "prefix":
            folded = romanian.fold(value)
            if len(folded) >= setting("min_prefix_chars"):
                found.append((folded, True))
            elif not romanian.is_stop_word(value):
                found.append((value, False))
    return found


def leaves(node: Node | None) -> list[Node]:
    """Every Term, Phrase and Prefix of the tree, negated ones included."""
    if node is None:
        return []
    if isinstance(node, (And, Or)):
        return [leaf for child in node.children for leaf in leaves(child)]
    if isinstance(node, Not):
        return leaves(node.child)
    return [node]
