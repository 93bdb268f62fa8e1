"""Suggestions as you type: the query's last word completed as the articles write it.

`timi` -> `Timișoara`, `klaus i` -> `Klaus Iohannis`, `summit ro` -> `summit România`: the
words before the last one are kept as typed, the last is replaced by the commonest written form
of a word (or a name of two or three words) that starts like it, most articles first. A name
that continues the word before the last one (`klaus i`, or `klaus ` with a space) comes before
single words, because it uses more of what was typed. Stop words are never suggested: the
search ignores them. The words come from the index's written-forms table (`written_forms.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import romanian
from .config import setting
from .errors import BadParameter, QueryTooLong
from .written_forms import Entry, WrittenForms

MAX_LIMIT = 20
DEFAULT_LIMIT = 8
# The query's last words, one space apart: a name may continue any of them (`Coreea de n`).
_WORD = romanian.WORD_PATTERN.pattern
_LAST_WORDS = re.compile(rf"(?:(?:{_WORD}) ){{0,3}}(?:{_WORD}) ?$")
_OPERATORS = frozenset({"AND", "OR", "NOT"})


@dataclass
class Suggestion:
    text: str
    count: int


@dataclass
class Suggestions:
    query: str
    suggestions: list[Suggestion] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"query": self.query, "suggestions": [{"text": s.text, "count": s.count} for s in self.suggestions]}


def parse_suggest_params(args) -> tuple[str, int]:
    """`q` (kept with a trailing space: it asks for the next word of a name) and `limit`."""
    q = _clean(args.get("q")).lstrip()
    if len(q) > setting("max_query_chars"):
        raise QueryTooLong("q", f"the query has {len(q)} characters; the limit is {setting('max_query_chars')}")
    raw = _clean(args.get("limit")).strip()
    if not raw:
        return q, DEFAULT_LIMIT
    if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadParameter("limit", f"{raw!r} is not a whole number from 1 to {MAX_LIMIT}")
    return q, int(raw)


def _clean(value: object) -> str:
    # As parse_params: control characters (NUL included) separate, they are never text.
    return re.sub(r"[\x00-\x1f\x7f]", " ", "" if value is None else str(value))


def suggest(table: WrittenForms | None, q: str, limit: int = DEFAULT_LIMIT) -> Suggestions:
    """Completions of `q`'s last word; none when the index has no table or `q` ends otherwise
    than in a word (a space after a word asks for names that continue it)."""
    result = Suggestions(q)
    if table is None or not q.strip():
        return result
    tail = _LAST_WORDS.search(q)
    if tail is None:
        return result  # `rachet*`, `"..."`: the query does not end in a word
    words = tail.group().split()
    if words[-1] in _OPERATORS:
        return result
    candidates: list[tuple[str, Entry]] = []  # (text before the completion, entry)
    # Names first, those that continue the most typed words first: they use more of the query.
    start = tail.start()
    for first in range(len(words) - (1 if q[-1].isspace() else 2) + 1):
        typed = " ".join(words[first:]) + (" " if q[-1].isspace() else "")
        prefix = q[:start + _offset(tail.group(), first)]
        candidates += [(prefix, entry) for entry in table.completions(typed, 2 * limit)]
    if not q[-1].isspace():
        last = q[:start + _offset(tail.group(), len(words) - 1)]
        candidates += [(last, entry) for entry in table.completions(words[-1], 2 * limit, _useful)]
    found: dict[str, Suggestion] = {}
    for prefix, entry in candidates:
        found.setdefault((prefix + entry.form).casefold(), Suggestion(prefix + entry.form, entry.count))
    # A name never written without its next word (`Kim Jong`, always `Kim Jong Un`) says less.
    result.suggestions = [s for key, s in found.items()
                          if not any(other.startswith(key + " ") and found[other].count >= s.count for other in found)]
    del result.suggestions[limit:]  # (twice as many asked for: some names drop out)
    return result


def _offset(tail: str, word: int) -> int:
    """Where the `word`-th word of `tail` (words one space apart) starts."""
    return sum(len(w) + 1 for w in tail.split(" ")[:word])


def _useful(key: str) -> bool:
    return " " in key or not romanian.is_stop_word(key)
