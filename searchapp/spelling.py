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

Here the fewest edits win, then the word whose stem the most articles have.
"""

from __future__ import annotations

from whoosh.searching import Searcher
from whoosh.support.levenshtein import damerau_levenshtein

from . import analysis

MAX_EDITS = 2
SAME_FIRST_LETTERS = 1  # most misspellings keep the first letter, and it narrows the search


def closest_word(searcher: Searcher, word: str, fieldname: str = "body") -> str | None:
    """The spelling word of `fieldname` (folded, unstemmed) closest to the folded `word`, or None."""
    candidates: set[str] = set()
    for subsearcher, _offset in searcher.leaf_searchers():
        candidates.update(subsearcher.reader().terms_within(fieldname, word, MAX_EDITS, prefix=SAME_FIRST_LETTERS))
    candidates.discard(word)
    if not candidates:
        return None

    def rank(candidate: str) -> tuple[int, int, str]:
        articles = searcher.doc_frequency(fieldname, analysis.stem(candidate))
        return damerau_levenshtein(word, candidate), -articles, candidate

    return min(candidates, key=rank)
