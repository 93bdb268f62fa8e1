"""Did-you-mean: the known word closest to one the index does not have.

Whoosh's own corrector (`searcher.corrector("body").suggest`) has two faults here, so only its
word search is used:

* on an index of several segments its reader (a MultiReader) has no `terms_within` of its own
  and falls back to computing the edit distance to every spelling word with the same first
  letter: 216 ms for a one-typo query on the 40,514-article corpus (BENCHMARKS.md). Each
  segment's reader walks its words with a Levenshtein automaton instead.
* it ranks suggestions by the field's frequency of the suggested word alone (its "distance"
  term is the maximum distance, the same for every word), and the body field holds stems, so
  a word that happens to be its own stem won: `romaniiei` was corrected to `romancier` rather
  than `romaniei`.

Here the fewest edits win, then the word whose stem the most articles have. A short word gets
fewer edits than a long one (Elasticsearch's `fuzziness: AUTO`): two edits to a four-letter word
reach words that have little of it left (`cere` -> `choe`; bench/spelling.py measures it).

A word the index has is corrected too when a far more frequent word is as close (`Iohanis`, in
9 articles, -> `Iohannis`, in 1,562), as web search engines do: a misspelling that occurs in the
corpus is still a misspelling (Elasticsearch's suggest_mode `popular`, with a ratio).
"""

from __future__ import annotations

from collections.abc import Callable

from whoosh.searching import Searcher
from whoosh.support.levenshtein import damerau_levenshtein

from ... import romanian
from ...config import setting
from . import analysis

SAME_FIRST_LETTERS = 1  # most misspellings keep the first letter, and it narrows the search


def is_known(reader, word: str) -> bool:
    """Whether the index has `word` (its terms, in the body or a title): nothing to correct.
    A word with no terms (a stop word) counts as known."""
    terms = analysis.match_terms(word)
    return not terms or any(("body", t) in reader or ("title", t) in reader for t in terms)


def max_edits(word: str) -> int:
    """Edits a correction of `word` may make: none up to 2 letters, 1 up to 5, then 2."""
    return 0 if len(word) <= 2 else 1 if len(word) <= 5 else 2


def articles_with(searcher: Searcher, word: str) -> int:
    """Articles whose body or title has the word's stem (the most of the two)."""
    return max((searcher.doc_frequency(field, term) for term in analysis.match_terms(word)
                for field in ("body", "title")), default=0)


def correction(searcher: Searcher, word: str, edits: Callable[[str], int] = max_edits) -> str | None:
    """The folded word to suggest for `word` (as typed), or None: the closest known word when
    the index does not have it; else a word as close that `correction_ratio` times as many
    articles have, when few have this one (`correct_below_docs`)."""
    folded = romanian.fold(word)
    if len(folded) < 2:  # nothing to correct; Whoosh's automaton fails on "" (IndexError)
        return None
    own = articles_with(searcher, word) if is_known(searcher.reader(), word) else 0
    if own > setting("correct_below_docs"):
        return None
    return closest_word(searcher, folded, edits=edits, min_articles=own * setting("correction_ratio"))


def closest_word(searcher: Searcher, word: str, fieldname: str = "body",
                 edits: Callable[[str], int] = max_edits, min_articles: float = 0) -> str | None:
    """The spelling word of `fieldname` (folded, unstemmed) closest to the folded `word` that
    more than `min_articles` articles have, or None."""
    allowed = edits(word)
    if not allowed:
        return None
    found: set[str] = set()
    for subsearcher, _offset in searcher.leaf_searchers():
        # Whoosh's automaton counts two swapped letters as two edits, Damerau-Levenshtein (below)
        # as one: a one-edit allowance still searches two edits, then keeps those within one.
        found.update(subsearcher.reader().terms_within(fieldname, word, max(allowed, 2), prefix=SAME_FIRST_LETTERS))
    distances = {candidate: damerau_levenshtein(word, candidate) for candidate in found - {word}}
    candidates = [candidate for candidate, distance in distances.items() if distance <= allowed]
    if not candidates:
        return None

    articles = {candidate: searcher.doc_frequency(fieldname, romanian.stem(candidate)) for candidate in candidates}
    candidates = [candidate for candidate in candidates if articles[candidate] > min_articles]
    if not candidates:
        return None
    return min(candidates, key=lambda candidate: (distances[candidate], -articles[candidate], candidate))
