"""What a search returns, whatever the engine: plain data for the pages, the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from .messages import notice_text
from .params import SearchParams
from .romanian import replace_word


@dataclass(frozen=True)
class OtherReading:
    """A query word that the corpus also writes as another word: the link the page offers."""

    word: str  # as typed
    other: str  # the other reading, as the articles most often write it


@dataclass(frozen=True)
class Expansion:
    typed: str  # the words as the query has them
    added: tuple[str, ...]  # the other forms searched too

    def to_json(self) -> dict:
        return {"typed": self.typed, "added": list(self.added)}


@dataclass(frozen=True)
class Notice:
    """Something the reader should know about how the query was searched: a code (messages.py
    says it in Romanian) and its values."""

    code: str  # "deep_parentheses", "words_cut", "only_stop_words", "partial"
    values: tuple = ()

    def to_json(self) -> dict:
        return {"code": self.code, "values": list(self.values)}


@dataclass
class Hit:
    id: str
    title: str
    date: str | None
    score: float | None
    snippet: str
    url: str
    source: str | None = None
    title_html: str = ""  # the title escaped, with <mark> around the query's words (as snippet)


@dataclass
class FacetValue:
    value: str
    count: int


@dataclass
class Facets:
    year: list[FacetValue] = field(default_factory=list)
    month: list[FacetValue] = field(default_factory=list)
    undated: int = 0
    source: list[FacetValue] = field(default_factory=list)  # most articles first


@dataclass
class SearchResult:
    query: str
    total: int
    page: int
    per_page: int
    took_ms: float
    hits: list[Hit]
    facets: Facets
    suggestion: str | None = None
    # Additions to the contract's shape:
    relaxed: bool = False  # no article had every word; ranked by how many words match
    partial: bool = False  # the time limit cut the search short
    notices: list[Notice] = field(default_factory=list)
    # Query words that the articles also write as another word (`Putin` / `puțin`): the
    # articles that write them as typed rank first; the page links to the other reading.
    other_readings: list[OtherReading] = field(default_factory=list)
    # The hits are those of `suggestion`, searched at once because the query as typed found
    # nothing, or little next to it; `total_as_typed` is what the query as typed found.
    autocorrected: bool = False
    total_as_typed: int | None = None
    params: SearchParams | None = None
    expanded: list[Expansion] = field(default_factory=list)  # synonyms searched too

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def to_json(self) -> dict:
        # By hand, not dataclasses.asdict(): that deep-copies every value, `params` included,
        # and was 5 % of a request's profile (BENCHMARKS.md).
        data = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "params"}
        data["hits"] = [dict(vars(hit)) for hit in self.hits]
        data["facets"] = {"year": [dict(vars(v)) for v in self.facets.year],
                          "month": [dict(vars(v)) for v in self.facets.month], "undated": self.facets.undated,
                          "source": [dict(vars(v)) for v in self.facets.source]}
        data["notices"] = [notice_text(notice) for notice in self.notices]
        data["notice_codes"] = [notice.to_json() for notice in self.notices]
        data["other_readings"] = [
            {"word": r.word, "other": r.other, "query": replace_word(self.query, r.word, r.other)}
            for r in self.other_readings]
        data["expanded"] = [e.to_json() for e in self.expanded]
        return data


@dataclass
class Article:
    id: str
    title: str
    date: str | None
    text: str
    url: str
    source: str | None
    link: str | None = None  # the original article on the web, when known
    marked_text: str | None = None  # the text as HTML with the query's matches marked
    similar: list[Hit] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "date": self.date, "text": self.text,
                "url": self.link or self.url, "source": self.source}


def article_url(article_id: str) -> str:
    return "/articol/" + quote(article_id, safe="")

