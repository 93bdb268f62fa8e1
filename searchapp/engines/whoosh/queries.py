"""A query as Whoosh runs it: the parser, the scoring model, and the rewrites of the parsed
query (written-form tiers, bounded prefixes, the title-only field, the request's filters)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from whoosh import qparser
from whoosh import query as wq
from whoosh.qparser import plugins
from whoosh.scoring import BM25F
from whoosh.sorting import FieldFacet, MultiFacet

from ...config import setting
from ...params import SearchParams
from .store import term_text

SEARCH_FIELDS = ("title", "body", "exact")
# The title's weight is a setting (title_boost, relaxed_title_boost); these are the others'.
FIELD_BOOSTS = {"body": 1.0, "exact": 1.0}


class ProbabilisticIdfBM25F(BM25F):
    """BM25F with the idf of the BM25 literature (Lucene and tantivy use it), log(1 + (N - n +
    0.5) / (n + 0.5)), instead of Whoosh's log(N / (n + 1)) + 1: Whoosh's never falls below 1, so
    a word found in every article still weighs a fifth of a rare one (setting `bm25_idf`)."""

    def idf(self, searcher, fieldname, text):
        parent = searcher.get_parent()
        n = parent.doc_frequency(fieldname, text)
        count = parent.doc_count_all()
        return math.log(1 + (count - n + 0.5) / (n + 0.5))


def weighting() -> BM25F:
    """The scoring model, from the ranking settings (tuned in QUALITY.md)."""
    model = ProbabilisticIdfBM25F if setting("bm25_idf") == "bm25" else BM25F
    return model(B=float(setting("bm25_b")), K1=float(setting("bm25_k1")))


def field_boosts(relaxed: bool = False) -> dict[str, float]:
    """The fields' weights, the title's from the settings (tuned in QUALITY.md)."""
    return {**FIELD_BOOSTS, "title": float(setting("relaxed_title_boost" if relaxed else "title_boost"))}


def make_parser(schema, group=qparser.AndGroup, relaxed: bool = False) -> qparser.QueryParser:
    parser = qparser.MultifieldParser(list(SEARCH_FIELDS), schema, fieldboosts=field_boosts(relaxed), group=group)
    # Users type words, not field names, ranges or boosts: `foo:bar` and `x^2` are words.
    for plugin in (plugins.FieldsPlugin, plugins.RangePlugin, plugins.BoostPlugin, plugins.SingleQuotePlugin):
        parser.remove_plugin_class(plugin)
    return parser



def exact_words_as_tiers(node: wq.Query, score: float) -> wq.Query:
    """A word's `exact` clause (its written form, `putin|Putin`) as a constant score, to be
    resolved against the index's readings (`Search._reading_tier`); phrases and prefixes
    have no written-form ranking (the field has no positions)."""
    if getattr(node, "fieldname", None) != "exact":
        return node
    if isinstance(node, wq.Term) and score > 0:
        return wq.ConstantScoreQuery(node, score=score)
    return wq.NullQuery


def exact_only_ranks(node: wq.Query) -> wq.Query:
    """A word's `exact` clause may raise an article that matches the word anyway, never add
    one: Or(title, body, exact) becomes AndMaybe(Or(title, body), exact). Otherwise `începând`
    would also find articles that only have `începe` (both `încep` unfolded) while `incepand`
    would not (found by the diacritic-invariance check, tests/test_quality.py)."""
    if not isinstance(node, wq.Or):
        return node
    exact = [q for q in node.subqueries if is_exact_clause(q)]
    if not exact or len(exact) == len(node.subqueries):
        return node
    rest = [q for q in node.subqueries if not is_exact_clause(q)]
    required = rest[0] if len(rest) == 1 else node.__class__(rest, boost=node.boost)
    return wq.AndMaybe(required, exact[0] if len(exact) == 1 else wq.Or(exact))


def negated_leaves(query: wq.Query) -> Iterator[wq.Query]:
    """The leaves under a NOT: their words are not what the reader looks for."""
    if isinstance(query, wq.Not):
        yield from query.query.leaves()
        yield query.query
        return
    if isinstance(query, wq.AndNot):
        yield from negated_leaves(query.a)
        yield from query.b.leaves()
        yield query.b
        return
    for child in query.children():
        yield from negated_leaves(child)


def is_exact_clause(node: wq.Query) -> bool:
    child = node.child if isinstance(node, wq.ConstantScoreQuery) else node
    return getattr(child, "fieldname", None) == "exact"


def bounded_prefixes(node: wq.Query, reader, cap: int | None = None) -> wq.Query:
    """Expand `word*` to at most `cap` (default `max_prefix_terms`) index terms, most frequent first."""
    if not isinstance(node, (wq.Prefix, wq.Wildcard)):
        return node
    cap = cap or setting("max_prefix_terms")
    prefix = re.split(r"[*?]", node.text, maxsplit=1)[0]
    if len(prefix) < setting("min_prefix_chars"):
        return wq.Term(node.fieldname, prefix) if prefix else wq.NullQuery
    terms = list(reader.expand_prefix(node.fieldname, prefix))
    for term in terms:  # raw bytes, which the snippets decode later: damage is said here
        term_text(term, node.fieldname)
    if len(terms) > cap:
        terms.sort(key=lambda t: -reader.doc_frequency(node.fieldname, t))
        terms = terms[:cap]
    return wq.Or([wq.Term(node.fieldname, t) for t in terms], boost=node.boost) if terms else wq.NullQuery


def only_in_field(query: wq.Query, fieldname: str) -> wq.Query:
    """The query with only its clauses on `fieldname` (`in=title`): each word or phrase is
    parsed for every search field at once, so the others' clauses go and the structure stays."""
    def keep(node: wq.Query) -> wq.Query:
        field = getattr(node, "fieldname", None)
        return wq.NullQuery if field is not None and field != fieldname else node
    return query.accept(keep).normalize()


def date_filter(params: SearchParams, with_facet_selection: bool, with_sources: bool = True) -> wq.Query | None:
    """The request's filters: the date range always, the sources unless their facet is being
    counted, the chosen year or month unless the year facet is."""
    clauses = []
    if with_sources and params.sources:
        terms = [wq.Term("source", name) for name in params.sources]
        clauses.append(terms[0] if len(terms) == 1 else wq.Or(terms))
    if params.date_from or params.date_to:
        clauses.append(wq.TermRange("date", params.date_from or "0000-00-00", params.date_to or "9999-99-99"))
    if with_facet_selection:
        if params.year:
            clauses.append(wq.Term("year", params.year))
        if params.month:
            clauses.append(wq.Term("month", params.month))
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else wq.And(clauses)



def sort_facet(sort: str):
    if sort == "relevance":
        return None
    # Undated articles go last in both date orders.
    return MultiFacet([FieldFacet("dated", reverse=True), FieldFacet("date", reverse=(sort == "newest"))])


# --- the archive ------------------------------------------------------------------------------
