"""Romanian text analysis as Whoosh analyzers, from the rules of `romanian.py`.

Two analyzers share one tokenizer:

* `folded_analyzer()`: lower case, ş/ţ -> ș/ț, Romanian stop words dropped (as written),
  diacritics folded (unidecode), Snowball Romanian stem. Used for matching: `soldați`,
  `soldaţi` and `soldati` all become `soldat`.
* `exact_analyzer()`: each word as written (case kept, ş/ţ -> ș/ț, not stemmed), keyed by its
  folded lower-case form: `Putin` -> `putin|Putin`, `puțin` -> `putin|puțin`. It serves the
  ranking of written forms (readings.py): a word typed with diacritics prefers the
  articles that carry it so (`fată` above `față`), and a word typed without them prefers its
  own articles where the corpus shows it is a word of its own (`Putin` above `puțin`). The key
  puts every written form of a folded word side by side in the field's sorted term list.

A word is a stop word only as written (`data/stopwords-ro.txt`): `pește` (fish) is searched,
`peste` (over) is not. So the stop filter runs before folding.

Fold first, then stem, because the Snowball stemmer reads diacritics: it stems `soldați` to
`sold` but `soldati` to `soldat`, `muniții` to `mun` but `munitii` to `munit`. Stemming the
folded word gives the same term whatever the spelling, so diacritics can never decide a match
(see `tests/test_analysis.py` and QUALITY.md for the measurement).

Everything the analyzers hold is a module-level function or a plain class, so Whoosh can
pickle them into the index and another process can load them; the PyStemmer object itself is
created lazily per process and never pickled.
"""

from __future__ import annotations

from itertools import accumulate, compress, repeat
from operator import is_not

from whoosh.analysis import CompositeAnalyzer, Filter, LowercaseFilter, StemFilter, Token, Tokenizer

from ...romanian import (
    _WORDS_AND_GAPS, THOUSANDS, WORD_PATTERN, _fold_word, _normal_word, form_term, normalize, normalize_case_kept,
    stem, stop_words, words,
)


class RomanianTokenizer(Tokenizer):
    """Unicode words with Romanian separators; numbers with thousands dots joined."""

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            matches = [(value, 0, len(value))]
        else:
            matches = ((m.group(0), m.start(), m.end()) for m in WORD_PATTERN.finditer(value))
        for pos, (text, start, end) in enumerate(matches):
            token.text = _join_number(text) if text[0].isdigit() else text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def _join_number(text: str) -> str:
    return text.replace(".", "") if THOUSANDS.fullmatch(text) else text


class NormalizeFilter(Filter):
    """Comma-below ș/ț and no soft hyphens (after LowercaseFilter)."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = normalize(t.text)
            yield t


class FoldFilter(Filter):
    """Diacritics folded to ASCII with unidecode: `țări` -> `tari`."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = _fold_word(t.text)
            yield t


class NormalizeCaseKeptFilter(Filter):
    """Comma-below ș/ț and no soft hyphens, the case as written (the exact analyzer's forms)."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = normalize_case_kept(t.text)
            yield t


class FormFilter(Filter):
    """A written form as the `exact` field's term: its folded key, `|`, the form (`form_term`)."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = form_term(t.text)
            yield t


class WrittenStopFilter(Filter):
    """Drops Romanian stop words as written (`peste`, `și`, `si`; not `pește`).

    Whoosh's StopFilter compares the token text as it is; here the comparison is on the
    normalised lower-case form, so it works for the case-keeping exact analyzer too. Positions
    of the words left are renumbered (as StopFilter(renumber=True) does), so a phrase skips
    stop words.
    """

    def __call__(self, tokens):
        stops = stop_words()
        pos = None
        for t in tokens:
            if _normal_word(t.text) in stops:
                if not t.removestops:
                    t.stopped = True
                    yield t
                continue
            if t.positions:
                pos = t.pos if pos is None else pos + 1
                t.pos = pos
            t.stopped = False
            yield t



def romanian_stem_filter() -> StemFilter:
    return StemFilter(stemfn=stem, cachesize=200_000)


class CachedAnalyzer(CompositeAnalyzer):
    """A composed analyzer that, when indexing, runs its filters once per distinct word.

    Indexing runs the filters (lower case, ș/ț, fold, stop words, stem) on every token of
    every article, through one generator per filter: profiling `searchapp reindex` showed
    this chain as the largest cost of the build (BENCHMARKS.md). Every filter here maps one
    token to one token or drops it, so the chain's result for a word never changes: in
    `mode="index"` this analyzer tokenizes as usual and looks each word's term up in a memo
    that it fills by running the real chain on that word alone. The result is the same
    tokens, texts, positions (stop words skipped, as FoldedStopFilter renumbers them) and
    characters as the chain's. Queries, highlighting (`removestops=False`) and any other
    call take the chain itself. The memo lives in the process and is never pickled.
    """

    MEMO_LIMIT = 1_000_000  # words per memo; past this it starts again (bounded memory)

    def __getstate__(self):
        return {"items": self.items}

    def __setstate__(self, state):
        self.items = state["items"]

    def __call__(self, value, no_morph=False, **kwargs):
        if kwargs.get("mode") != "index" or not kwargs.get("removestops", True) or not kwargs.get("tokenize", True) \
                or kwargs.get("start_pos") or kwargs.get("start_char") or not isinstance(value, str):
            return super().__call__(value, no_morph=no_morph, **kwargs)
        return self._indexed(value, no_morph, kwargs)

    def _memo(self, no_morph: bool) -> dict:
        memos = self.__dict__.setdefault("_memos", {})
        memo = memos.get(no_morph)
        if memo is None or len(memo) > self.MEMO_LIMIT:
            memo = memos[no_morph] = {}
        return memo

    def _indexed(self, value: str, no_morph: bool, kwargs: dict):
        memo = self._memo(no_morph)
        positions, chars = kwargs.get("positions", False), kwargs.get("chars", False)
        out = Token(positions, chars, removestops=True, mode="index")
        pos = None
        for token in self._tokens(value, positions, chars):
            term = self._term(token.text, memo, no_morph)
            if term is None:
                continue
            for text in (term,) if isinstance(term, str) else term:
                out.text = text
                out.boost = 1.0
                out.stopped = False
                if positions:
                    pos = token.pos if pos is None else pos + 1
                    out.pos = pos
                if chars:
                    out.startchar, out.endchar = token.startchar, token.endchar
                yield out

    def distinct_terms(self, value: str, no_morph: bool = False) -> set[str]:
        """The set of terms that indexing `value` gives, from its distinct words (one memo
        lookup per word rather than per token): what a spelling field needs."""
        if type(self.items[0]) is not RomanianTokenizer:
            return {t.text for t in self(value, no_morph=no_morph, mode="index")}
        return self.terms_of_words(set(words(value)), no_morph)

    def terms_of_words(self, raw_words: set[str], no_morph: bool = False) -> set[str]:
        """The set of terms that indexing these words (as the tokenizer gives them) gives."""
        memo = self._memo(no_morph)
        terms: set[str] = set()
        for raw in raw_words:
            term = self._term(raw, memo, no_morph)
            if term is not None:
                terms.update((term,) if isinstance(term, str) else term)
        return terms

    def occurrences(self, value: str, chars: bool) -> dict[str, list[int]] | None:
        """Each term of `value` as indexing gives it, with its occurrences flattened: positions
        (and, with `chars`, each position's start and end character, as consecutive numbers).
        The same terms, positions and characters as `self(value, mode="index", ...)`, without
        a Token per word: a posting format encodes them straight (formats.py). None when the
        memo's shortcut does not apply (a tokenizer other than RomanianTokenizer, or a filter
        whose word function is not known here)."""
        if type(self.items[0]) is not RomanianTokenizer or self._word_steps(False) is None:
            return None
        pieces = _WORDS_AND_GAPS.split(value)
        terms = self._memoized_terms(pieces[1::2], value)
        # The words' and their characters' lists are made at C speed (split, map, accumulate,
        # compress); only the loop over the kept words is Python's (a loop over regex matches
        # was 20 % slower). The first kept word keeps its own position, the rest follow it
        # (stop words skipped).
        first = next((i for i, term in enumerate(terms) if term is not None), 0)
        is_kept = list(map(is_not, terms, repeat(None)))
        found: dict[str, list[int]] = {}
        if chars:
            bounds = list(accumulate(map(len, pieces)))  # a word's start, its end, the next's start, ...
            kept = compress(zip(terms, bounds[0::2], bounds[1::2]), is_kept)
            for pos, (term, start, end) in enumerate(kept, first):
                spots = found.get(term)
                if spots is None:
                    found[term] = [pos, start, end]
                else:
                    spots += (pos, start, end)
        else:
            for pos, term in enumerate(compress(terms, is_kept), first):
                spots = found.get(term)
                if spots is None:
                    found[term] = [pos]
                else:
                    spots.append(pos)
        return found

    def _memoized_terms(self, raw_words: list[str], value: str) -> list[str | None]:
        """Each word's term (None for a stop word), the memo filled for the words it has not
        met, whose unstemmed terms are kept for `unstemmed_new_words`."""
        memo = self._memo(False)
        unmet = []
        for raw in set(raw_words).difference(memo):
            memo[raw], unstemmed = self._word_both_ways(raw)
            unmet.append(unstemmed)
        self.__dict__["_last_unmet"] = (value, unmet)
        return list(map(memo.__getitem__, raw_words))

    def unstemmed_new_words(self, value: str) -> list | None:
        """When `value` is the text `occurrences` analysed last: the unstemmed (`no_morph`)
        terms of its words that this analyzer's memo had not met before (None for a stop
        word), which are the words a spelling field has not been given yet. Else None."""
        last = self.__dict__.get("_last_unmet")
        return last[1] if last is not None and last[0] is value else None

    def _term(self, raw: str, memo: dict, no_morph: bool) -> str | tuple[str, ...] | None:
        term = memo.get(raw, self)
        if term is self:
            term = memo[raw] = self._word(raw, no_morph)
        return term

    def _tokens(self, value: str, positions: bool, chars: bool):
        tokenizer = self.items[0]
        if type(tokenizer) is not RomanianTokenizer:
            return tokenizer(value, positions=positions, chars=chars, mode="index")
        return _match_tokens(value)

    def _word(self, raw: str, no_morph: bool) -> str | tuple[str, ...] | None:
        steps = self._word_steps(no_morph)
        if steps is None:
            texts = tuple(t.text for t in super().__call__(raw, no_morph=no_morph, tokenize=False, mode="index"))
            return None if not texts else texts[0] if len(texts) == 1 else texts
        text = _join_number(raw) if raw[0].isdigit() else raw
        for step in steps:
            text = step(text)
            if text is None:
                return None
        return text

    def _word_both_ways(self, raw: str) -> tuple:
        """`(self._word(raw, False), self._word(raw, True))`, running the shared steps once
        when the only morphological step is the last one (the stemmer)."""
        steps, unstemmed_steps = self._word_steps(False), self._word_steps(True)
        if steps is None or unstemmed_steps != steps[:-1]:
            return self._word(raw, False), self._word(raw, True)
        text = _join_number(raw) if raw[0].isdigit() else raw
        for step in unstemmed_steps:
            text = step(text)
            if text is None:
                return None, None
        return steps[-1](text), text

    def _word_steps(self, no_morph: bool) -> list | None:
        """The chain as one plain function per filter, for one word: a memo miss ran the whole
        generator chain on one token, and the corpus has a new word every twenty tokens
        (BENCHMARKS.md). None when a filter is not one whose word function is known here."""
        cache = self.__dict__.setdefault("_steps", {})
        if no_morph not in cache:
            cache[no_morph] = _word_steps(self.items, no_morph)
        return cache[no_morph]


def _word_steps(items, no_morph: bool) -> list | None:
    if type(items[0]) is not RomanianTokenizer:
        return None
    steps = []
    for item in items[1:]:
        if no_morph and getattr(item, "is_morph", False):
            continue
        step = _WORD_STEPS.get(type(item))
        if step is None:
            return None
        steps.append(step(item))
    return steps


def _unless_stop_word(text: str) -> str | None:
    return None if _normal_word(text) in stop_words() else text


def _stem_step(stem_filter: StemFilter):
    # The memo is the cache: the filter's own LFU cache wrapper cost as much as the stemmer.
    stem_word = stem_filter._stem if stem_filter.lang else stem_filter.stemfn
    ignore = stem_filter.ignore
    return lambda text: text if text in ignore else stem_word(text)


class _Match:
    """The token fields CachedAnalyzer reads, straight from a WORD_PATTERN match (the raw
    word: the chain itself joins numbers when the word is analysed alone)."""

    __slots__ = ("text", "pos", "startchar", "endchar")


def _match_tokens(value: str):
    token = _Match()
    for pos, match in enumerate(WORD_PATTERN.finditer(value)):
        token.text = match.group(0)
        token.pos = pos
        token.startchar, token.endchar = match.span()
        yield token


# Each filter's effect on one indexed word (mode "index": stop words removed).
_WORD_STEPS = {
    LowercaseFilter: lambda _: str.lower,
    NormalizeFilter: lambda _: normalize,
    FoldFilter: lambda _: _fold_word,
    WrittenStopFilter: lambda _: _unless_stop_word,
    NormalizeCaseKeptFilter: lambda _: normalize_case_kept,
    FormFilter: lambda _: form_term,
    StemFilter: _stem_step,
}


def folded_analyzer():
    """Matching analyzer: tokens -> lower -> ș/ț -> stop words out -> fold -> stem."""
    return CachedAnalyzer(
        RomanianTokenizer() | LowercaseFilter() | NormalizeFilter() | WrittenStopFilter() | FoldFilter() | romanian_stem_filter()
    )


def exact_analyzer():
    """Written-form analyzer: tokens -> ș/ț, case kept -> stop words out -> `key|form`."""
    return CachedAnalyzer(RomanianTokenizer() | NormalizeCaseKeptFilter() | WrittenStopFilter() | FormFilter())


def match_terms(text: str) -> list[str]:
    """The index terms a piece of text produces for matching (handy in tests and tools)."""
    return [t.text for t in folded_analyzer()(text)]


