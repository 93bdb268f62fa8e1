"""Did-you-mean from Solr's spellcheck component, with the Whoosh engine's rules: only words the
index does not have are corrected, a short word gets fewer edits (spelling.max_edits), and the
fewest edits win, then the word the most articles have."""

from __future__ import annotations

import re

from ... import romanian
from ...query import OPERATORS

_WORD = re.compile(r"([^\W_]+)(\*?)")


def candidate_words(q: str) -> list[str]:
    """The query's words that a correction could concern: no prefixes, operators, numbers or
    stop words (as search._Search._unknown_words), at most once each."""
    found = []
    for match in _WORD.finditer(q):
        word, is_prefix = match.groups()
        if is_prefix or word in OPERATORS or word.isdigit() or romanian.is_stop_word(word):
            continue
        if len(romanian.fold(word)) >= 2 and word not in found:
            found.append(word)
    return found


def max_edits(word: str) -> int:
    """The same allowance as searchapp.spelling.max_edits (kept here: that module imports whoosh)."""
    return 0 if len(word) <= 2 else 1 if len(word) <= 5 else 2


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment): two swapped letters are one edit."""
    previous2, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


def suggestion(q: str, words: list[str], spellcheck: dict | None, facets: dict | None) -> str | None:
    """The query with each unknown word replaced by its closest known word, or None."""
    if not words or not spellcheck:
        return None
    options = _options(spellcheck.get("suggestions") or [])
    corrected = {}
    for n, word in enumerate(words):
        if ((facets or {}).get(f"known{n}") or {}).get("count", 0) > 0:
            continue
        folded = romanian.fold(word)
        allowed = max_edits(folded)
        ranked = sorted((edit_distance(folded, option), -freq, option)
                        for option, freq in (options.get(folded) or options.get(word.lower()) or {}).items()
                        if option != folded)
        ranked = [r for r in ranked if r[0] <= allowed]
        if ranked:
            corrected[word] = ranked[0][2]
    if not corrected:
        return None
    return _WORD.sub(lambda m: corrected.get(m.group(1), m.group(1)) + m.group(2), q)


def _options(suggestions: list) -> dict[str, dict[str, int]]:
    """Solr's flat [word, {suggestion: [...]}, ...] list as {word: {option: articles}}."""
    found: dict[str, dict[str, int]] = {}
    for word, entry in zip(suggestions[::2], suggestions[1::2]):
        if not isinstance(entry, dict):
            continue
        for option in entry.get("suggestion") or []:
            text, freq = (option.get("word"), option.get("freq", 0)) if isinstance(option, dict) else (option, 0)
            if text:
                found.setdefault(str(word), {})[str(text)] = int(freq)
    return found
