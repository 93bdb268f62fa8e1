"""The Whoosh index's schema: its fields, their analyzers and formats, and the document an
article becomes."""

from __future__ import annotations

from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.formats import Characters, Frequency
from whoosh.system import pack_uint

from ... import romanian
from ...params import UNDATED
from ...sources import Article
from . import analysis
from .formats import PackedCharacters, PackedPositions, term_occurrences

# Index-time weight of the title field (Whoosh multiplies it into every title posting's score);
# the query-time title weight is the `title_boost` setting (queries.py).
TITLE_FIELD_BOOST = 2.0


class SpelledText(TEXT):
    """TEXT whose words go to the spelling field once per writer, not once per article.

    Whoosh adds a spelling posting for every distinct word of every article, all with document
    number 0, and drops the duplicates only when it writes the segment: on the news corpus that
    was a third of the postings the writer had to sort (BENCHMARKS.md). The words already given
    are remembered on the field object, which every writer gets fresh (`rebuild` builds a new
    schema; `update` and Whoosh's sub-writers unpickle one), and are never pickled.
    """

    def spellable_words(self, value):
        given = self.__dict__.setdefault("_spelled", set())
        # Indexing the text just now met its new words (analysis.CachedAnalyzer.occurrences):
        # their spellings are the candidates, without reading the text a second time (a
        # tokenizing pass and a set of every article's words were a tenth of the build).
        unmet = getattr(self.analyzer, "unstemmed_new_words", lambda _: None)(value)
        if unmet is not None:
            terms = set(unmet) - given
            terms.discard(None)
        else:  # only the words this writer has not met yet are analysed
            met = self.__dict__.setdefault("_spelled_words", set())
            new_words = set(romanian.words(value)) - met
            met |= new_words
            terms = _unstemmed_terms(self.analyzer, new_words) - given
        given.update(terms)
        return iter(sorted(terms))

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_spelled", None)
        state.pop("_spelled_words", None)
        return state


def _unstemmed_terms(analyzer, words: set[str]) -> set[str]:
    if hasattr(analyzer, "terms_of_words"):  # analysis.CachedAnalyzer: one memo lookup per word
        return analyzer.terms_of_words(words, no_morph=True)
    # Another analyzer (a schema pickled before CachedAnalyzer, or an experiment's): its chain.
    return {t.text for word in words for t in analyzer(word, no_morph=True, mode="index")}


class WrittenFormText(TEXT):
    """TEXT of written forms (analysis.exact_analyzer: `putin|Putin`) with their frequencies.

    The `exact` field serves one thing: ranking the articles that write a query word as the
    reader means it (search.readings). Its terms come from the analyzer's occurrences without a
    Token per word (formats.PackedPositions.word_values does the same for the other fields).
    """

    def index(self, value, **kwargs):
        found = None
        if type(self.format) is Frequency:
            found = term_occurrences(value, self.analyzer, {"mode": "index", **kwargs}, chars=False)
        if found is None:
            return super().index(value, **kwargs)
        # What Whoosh's Frequency.word_values gives.
        boost = self.format.field_boost
        return ((term.encode("utf-8"), len(spots), len(spots) * boost, pack_uint(len(spots)))
                for term, spots in found.items())


def exact_words(text: str) -> str:
    """The words of `text` for the `exact` field: none when the text is written without
    diacritics (there `fata` may mean fată or fața, `putin` Putin or puțin: its forms would
    blur the statistics of which spelling is a word of its own), and no numbers. The field has
    no positions and its lengths are never read, so the rest can go before analysis."""
    if not romanian.writes_diacritics(text):
        return ""
    return " ".join(word for word in romanian.words(text) if not word[0].isdigit())


def with_packed_positions(field: TEXT) -> TEXT:
    """The field, its positions (and characters) stored as packed integers (`formats.py`)."""
    packed = PackedCharacters if isinstance(field.format, Characters) else PackedPositions
    field.format = packed(field_boost=field.format.field_boost)
    return field


def build_schema() -> Schema:
    # The title has an analyzer of its own: the body's tells its spelling field which words
    # are new by its memo (SpelledText), which must not have met them in a title.
    return Schema(
        id=ID(stored=True, unique=True),
        title=with_packed_positions(TEXT(analyzer=analysis.folded_analyzer(), stored=True, field_boost=TITLE_FIELD_BOOST)),
        body=with_packed_positions(SpelledText(analyzer=analysis.folded_analyzer(), stored=True, chars=True, spelling=True)),
        exact=WrittenFormText(analyzer=analysis.exact_analyzer(), phrase=False),
        date=ID(stored=True, sortable=True),
        year=ID(stored=True, sortable=True),
        month=ID(stored=True, sortable=True),
        dated=NUMERIC(sortable=True, bits=8, signed=False),
        url=STORED(),
        # An ID (one term, the name as written) with a column: filtered by `source=` and
        # counted for the source facet as the month is (search._SearcherData).
        source=ID(stored=True, sortable=True),
        content_hash=STORED(),
    )


def field_layout(schema: Schema) -> dict[str, tuple]:
    """Each field as class names and flags: the same for every index this version writes.
    Whoosh's fields compare their analyzers and column types by identity, so two schemas are
    never equal once one was unpickled; a damaged table of contents can still unpickle into a
    schema that is not ours (a flipped memo reference gave the title another field's format)."""
    return {
        name: (
            type(field).__name__,
            type(field.format).__name__ if field.format else None,
            field.format.field_boost if field.format else None,
            type(field.column_type).__name__ if field.column_type else None,
            tuple(type(part).__name__ for part in getattr(field.analyzer, "items", [field.analyzer])),
            field.stored, field.unique, field.scorable, bool(field.vector),
        )
        for name, field in schema.items()
    }


def article_document(article: Article) -> dict:
    """The fields Whoosh stores and indexes for one article."""
    date = article.date
    return {
        "id": article.id,
        "title": article.title,
        "body": article.text,
        "exact": exact_words(f"{article.title}\n{article.text}"),
        "date": date or "",
        "year": date[:4] if date else UNDATED,
        "month": date[:7] if date else UNDATED,
        "dated": 1 if date else 0,
        "url": article.url,
        "source": article.source,
        "content_hash": article.content_hash,
    }
