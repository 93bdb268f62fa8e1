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
"""

from __future__ import annotations

from collections.abc import Callable

from whoosh.searching import Searcher
from whoosh.support.levenshtein import damerau_levenshtein

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


def closest_word(searcher: Searcher, word: str, fieldname: str = "body",
                 edits: Callable[[str], int] = max_edits) -> str | None:
    """The spelling word of `fieldname` (folded, unstemmed) closest to the folded `word`, or None."""
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

    def rank(candidate: str) -> tuple[int, int, str]:
        articles = searcher.doc_frequency(fieldname, analysis.stem(candidate))
        return distances[candidate], -articles, candidate

    return min(candidates, key=rank)
