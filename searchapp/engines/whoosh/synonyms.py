"""Synonyms and name variants, expanded at query time: `UE` also finds `Uniunea Europeană`.

The curated list (`synonyms-ro.txt`, Solr's format: the forms of one thing comma-separated on a
line) ships with the package; an operator adds a file of the same format with the setting
`synonyms_file` (env SEARCHAPP_SYNONYMS). Both are read when they change, never indexed, so
editing a list needs no reindex.

A query's words are compared by their index terms (folded, stemmed: `Uniunii Europene` is
`Uniunea Europeană`), outside quotes, exclusions and prefixes, longest form first. A form found
becomes a group of every form (`(UE OR "Uniunea Europeană")`, several words as a phrase). Then
`typed_first` weighs the group so that articles with the form as typed come first: the other
forms' clauses count `synonym_weight`, and when every word is required (not a relaxed query)
the typed form's articles get a constant `synonym_typed_score` above the rest.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from whoosh import query as wq

from ...config import setting
from ...results import Expansion
from . import analysis

CURATED = Path(__file__).resolve().parents[2] / "data" / "synonyms-ro.txt"
ENV = "SEARCHAPP_SYNONYMS"
# Between the words of one form only spaces and stop words may stand, no operator.
_OPERATOR_BETWEEN = re.compile(r'["()*]|\b(?:AND|OR|NOT)\b|(?:^|\s)[-–]')
_QUOTED = re.compile(r'"[^"]*"?')


@dataclass(frozen=True)
class _Token:
    text: str
    startchar: int
    endchar: int


def _terms(form: str) -> tuple[str, ...]:
    return tuple(analysis.match_terms(form))


def read_groups(path: Path) -> list[list[str]]:
    """The groups of a synonyms file: one a line, forms comma-separated, `#` comments."""
    groups = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        forms = [form.strip() for form in line.split("#", 1)[0].split(",")]
        forms = [form for form in forms if form]
        if len(forms) > 1:
            groups.append(forms)
    return groups


class Synonyms:
    def __init__(self, groups: list[list[str]]):
        self.groups: dict[tuple[str, ...], list[str]] = {}
        for forms in groups:
            for form in forms:
                terms = _terms(form)
                if terms:  # a form made only of stop words would match anything
                    self.groups.setdefault(terms, [])
                    self.groups[terms] += [f for f in forms if f not in self.groups[terms]]
        self.longest = max((len(terms) for terms in self.groups), default=0)

    def expand(self, text: str) -> tuple[str, list[Expansion]]:
        """The query with each form found replaced by its group, and what was added."""
        if not self.groups:
            return text, []
        quoted = [m.span() for m in _QUOTED.finditer(text)]
        # (Whoosh's analyzers give one Token object over and over: its values are copied out.)
        tokens = [_Token(t.text, t.startchar, t.endchar) for t in analysis.folded_analyzer()(text, chars=True, mode="query")
                  if not any(start <= t.startchar < end for start, end in quoted)]
        pieces, expansions, cursor, i = [], [], 0, 0
        while i < len(tokens):
            found = self._longest_form(text, tokens, i)
            if found is None:
                i += 1
                continue
            n, forms = found
            start, end = tokens[i].startchar, tokens[i + n - 1].endchar
            typed = text[start:end]
            others = [form for form in forms if _terms(form) != _terms(typed)]
            group = [_quoted(typed)] + [_quoted(form) for form in others]
            pieces += [text[cursor:start], "(" + " OR ".join(group) + ")"]
            expansions.append(Expansion(typed, tuple(others)))
            cursor, i = end, i + n
        return "".join(pieces) + text[cursor:], expansions

    def _longest_form(self, text: str, tokens, i: int) -> tuple[int, list[str]] | None:
        before = text[:tokens[i].startchar].rstrip()
        if before.endswith(("-", "–")) or re.search(r"\bNOT$", before):
            return None  # an excluded word stays excluded as typed
        for n in range(min(self.longest, len(tokens) - i), 0, -1):
            terms = tuple(t.text for t in tokens[i:i + n])
            forms = self.groups.get(terms)
            end = tokens[i + n - 1].endchar
            if forms and not _OPERATOR_BETWEEN.search(text[tokens[i].startchar:end]) \
                    and not text[end:end + 1] == "*":
                return n, forms
        return None


def _quoted(form: str) -> str:
    return f'"{form}"' if len(form.split()) > 1 or not form.isalnum() else form


def typed_first(query: wq.Query, expansions: list[Expansion], relaxed: bool) -> wq.Query:
    """Each group of the parsed query weighed: the typed form's clauses as they are (plus a
    constant for its articles unless `relaxed`), the other forms' clauses `synonym_weight`."""
    if not expansions:
        return query
    added = {_terms(form) for e in expansions for form in e.added}
    typed = {_terms(e.typed) for e in expansions}
    weight, bonus = float(setting("synonym_weight")), 0.0 if relaxed else float(setting("synonym_typed_score"))

    def words(node) -> tuple[str, ...] | None:
        if isinstance(node, wq.Term):
            return (str(node.text),)
        if isinstance(node, wq.Phrase):
            return tuple(str(w) for w in node.words)
        return None

    def regroup(node: wq.Query) -> wq.Query:
        if not isinstance(node, wq.Or):
            return node
        mine = [q for q in node.subqueries if words(q) in typed]
        theirs = [q for q in node.subqueries if words(q) in added and words(q) not in typed]
        if not mine or not theirs:
            return node
        rest = [q for q in node.subqueries if q not in mine and q not in theirs]
        as_typed = mine[0] if len(mine) == 1 else wq.Or(mine)
        parts = [as_typed, wq.Or(theirs, boost=weight)] + rest
        if bonus:
            parts.append(wq.ConstantScoreQuery(as_typed, score=bonus))
        return node.__class__(parts, boost=node.boost)

    return query.accept(regroup)


# --- the lists in force, read again when a file changes ---------------------------------------

_cache: dict[tuple, Synonyms] = {}
_lock = threading.Lock()


def operator_file() -> Path | None:
    name = os.environ.get(ENV) or setting("synonyms_file")
    return Path(name) if name else None


def current() -> Synonyms:
    """The curated list and the operator's file (if any), as they are now on disk."""
    paths = [CURATED] + ([operator_file()] if operator_file() else [])
    stamps = tuple((str(p), p.stat().st_mtime_ns if p.exists() else None) for p in paths)
    with _lock:
        if stamps not in _cache:
            _cache.clear()
            _cache[stamps] = Synonyms([g for p in paths if p.exists() for g in read_groups(p)])
        return _cache[stamps]
