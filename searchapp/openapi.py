"""The OpenAPI 3 document served at /api/openapi.json.

Written by hand next to the routes it describes, with the limits read from the same settings
that `parse_params` enforces, so the document and the behaviour cannot drift apart on those;
tests/test_web.py checks the rest (every route listed, every response shape).
"""

from __future__ import annotations

from .config import setting
from .params import DEFAULT_PER_PAGE, IN_FIELDS, SORTS
from .suggest import DEFAULT_LIMIT, MAX_LIMIT

NULLABLE_STRING = {"type": "string", "nullable": True}


def _error_response(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _parameter(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


# parse_params() strips spaces and control characters around a value, and an empty value is
# the same as an absent one; the schemas say so, so that a blank `page=` is documented as valid.
_PAD = r"[\s\x00-\x1f\x7f]*"
BLANK = {"type": "string", "pattern": f"^{_PAD}$"}


def _padded(pattern: str) -> dict:
    return {"type": "string", "pattern": f"^{_PAD}({pattern})?{_PAD}$"}


def _integer(low: int, high: int, default: int) -> dict:
    return {"anyOf": [{"type": "integer", "minimum": low, "maximum": high}, BLANK], "default": default}


def _date() -> dict:
    return {"anyOf": [{"type": "string", "format": "date"}, BLANK]}


def search_parameters() -> list[dict]:
    """Their limits are the active settings' (config.py)."""
    return [
        _parameter("q", "The query: words (all required), \"exact phrase\", OR, NOT / -word, "
                   "parentheses, prefix*. Empty or absent: every article, newest first.",
                   {"type": "string", "maxLength": setting("max_query_chars")}),
        _parameter("page", "1-based page number (default 1).", _integer(1, setting("max_page"), 1)),
        _parameter("per_page", f"Hits per page (default {DEFAULT_PER_PAGE}).",
                   _integer(1, setting("max_per_page"), DEFAULT_PER_PAGE)),
        _parameter("year", "YYYY, or `none` for undated articles.", _padded(r"\d{4}|none")),
        _parameter("month", "YYYY-MM.", _padded(r"\d{4}-(0[1-9]|1[0-2])")),
        _parameter("from", "First date, YYYY-MM-DD, inclusive; must exist in the calendar and not be after `to`.",
                   _date()),
        _parameter("to", "Last date, YYYY-MM-DD, inclusive; must exist in the calendar.", _date()),
        _parameter("sort", "Order of the hits: `relevance` (default), `newest` or `oldest`.",
                   _padded("|".join(SORTS))),
        _parameter("literal", "`1`: search the words as typed, never the correction at once (`0`, the default, "
                   "shows the correction's results when the query as typed finds nothing or little next to it).",
                   _padded("0|1|true|false")),
        _parameter("synonyms", "`false` (or `0`): search the words only, without the abbreviations and name "
                   "variants of the curated list (`true`, the default, searches them too; `expanded` lists them).",
                   _padded("0|1|true|false")),
        {**_parameter("source", "A source, as `facets.source` names it; repeat the parameter for several "
                      "(an article from any of them matches). Blank values are ignored.",
                      {"type": "array", "maxItems": setting("max_sources"),
                       "items": {"type": "string", "maxLength": setting("max_source_chars")}}),
         "style": "form", "explode": True},
        _parameter("in", "`title`: the query's words must be in the title (each word, phrase and "
                   "exclusion applies to the title only).", _padded("|".join(IN_FIELDS))),
    ]


def export_parameters() -> list[dict]:
    """Their limits are the active settings' (config.py)."""
    return [
        {**_parameter("format", "`csv` or `jsonl`.", {"type": "string", "enum": ["csv", "jsonl"]}), "required": True},
        *search_parameters(),
    ]


def suggest_parameters() -> list[dict]:
    """Their limits are the active settings' (config.py)."""
    return [
        _parameter("q", "What has been typed so far: its last word is completed (a trailing space asks for "
                   "names that continue the last word).", {"type": "string", "maxLength": setting("max_query_chars")}),
        _parameter("limit", f"Most suggestions (default {DEFAULT_LIMIT}).", _integer(1, MAX_LIMIT, DEFAULT_LIMIT)),
    ]


SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "example": "bad_parameter"},
                    "message": {"type": "string", "example": "page: 0 is out of range; use a number from 1 to 1000"},
                },
            }
        },
    },
    "Hit": {
        "type": "object",
        "required": ["id", "title", "date", "score", "snippet", "url", "source"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "date": {**NULLABLE_STRING, "format": "date"},
            "score": {"type": "number", "nullable": True, "description": "null when sorted by date"},
            "snippet": {"type": "string", "description": "HTML: the text escaped, <mark> around matches"},
            "url": {"type": "string", "description": "the article page, /articol/{id}"},
            "source": {**NULLABLE_STRING, "description": "the publication; seed files: their folder's name"},
            "title_html": {"type": "string", "description": "HTML: the title escaped, <mark> around the "
                           "query's words (as in snippet)"},
        },
    },
    "FacetValue": {
        "type": "object",
        "required": ["value", "count"],
        "properties": {"value": {"type": "string"}, "count": {"type": "integer", "minimum": 0}},
    },
    "Facets": {
        "type": "object",
        "required": ["year", "month", "undated"],
        "properties": {
            "year": {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"},
                     "description": "every year's count for the query, even when a year is selected"},
            "month": {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"},
                      "description": "month counts, narrowed to the selected year"},
            "undated": {"type": "integer", "minimum": 0},
            "source": {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"},
                       "description": "articles per source, most first, narrowed by every filter but "
                                      "`source` itself (each source keeps its count while one is chosen)"},
        },
    },
    "SearchResult": {
        "type": "object",
        "required": ["query", "total", "page", "per_page", "took_ms", "hits", "facets", "suggestion"],
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "took_ms": {"type": "number", "minimum": 0},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "facets": {"$ref": "#/components/schemas/Facets"},
            "suggestion": {**NULLABLE_STRING, "description": "a corrected query, e.g. for a misspelled name"},
            "relaxed": {"type": "boolean",
                        "description": "no article had every word; ranked by how many words match"},
            "partial": {"type": "boolean", "description": "the time limit cut the search short"},
            "notices": {"type": "array", "items": {"type": "string"},
                        "description": "what was changed in the query to keep it bounded (in Romanian)"},
            "notice_codes": {
                "type": "array",
                "description": "the same notices as codes with their values, for programs: deep_parentheses, "
                               "words_cut [words searched], only_stop_words [the words], partial",
                "items": {"type": "object", "required": ["code", "values"], "properties": {
                    "code": {"type": "string", "enum": ["deep_parentheses", "words_cut", "only_stop_words", "partial"]},
                    "values": {"type": "array"},
                }},
            },
            "other_readings": {
                "type": "array",
                "description": "query words that the articles also write as another word once diacritics are "
                               "folded (Putin / puțin): the articles that write them as typed rank first",
                "items": {"type": "object", "required": ["word", "other", "query"], "properties": {
                    "word": {"type": "string", "description": "as typed"},
                    "other": {"type": "string", "description": "the other word, as the articles write it"},
                    "query": {"type": "string", "description": "the query with the other word instead"}}},
            },
            "autocorrected": {"type": "boolean",
                              "description": "the hits are those of `suggestion`: the query as typed found nothing, "
                                             "or little next to it; search it with literal=1"},
            "total_as_typed": {"type": "integer", "nullable": True, "minimum": 0,
                               "description": "when autocorrected: what the query as typed found"},
            "expanded": {"type": "array", "description": "synonyms and name variants searched too: for each "
                         "form found in the query, the other forms (articles with the form as typed rank first)",
                         "items": {"type": "object", "required": ["typed", "added"],
                                   "properties": {"typed": {"type": "string"},
                                                  "added": {"type": "array", "items": {"type": "string"}}}}},
        },
    },
    "Article": {
        "type": "object",
        "required": ["id", "title", "date", "text", "url", "source"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "date": {**NULLABLE_STRING, "format": "date"},
            "text": {"type": "string", "description": "plain text (not HTML)"},
            "url": {"type": "string", "description": "the original article's address when known, else its page here"},
            "source": NULLABLE_STRING,
        },
    },
    "Suggestions": {
        "type": "object",
        "required": ["query", "suggestions"],
        "properties": {
            "query": {"type": "string"},
            "suggestions": {
                "type": "array",
                "description": "the query with its last word completed as the articles write it "
                               "(diacritics, capitals), or a name of several words; most articles first",
                "items": {
                    "type": "object",
                    "required": ["text", "count"],
                    "properties": {"text": {"type": "string"},
                                   "count": {"type": "integer", "minimum": 1,
                                             "description": "articles with the completed word or name"}},
                },
            },
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "articles"],
        "properties": {"status": {"type": "string", "enum": ["ok"]}, "articles": {"type": "integer", "minimum": 0}},
    },
}

UNAVAILABLE = _error_response("The index is missing or cannot be read (run `searchapp reindex`).")


def _json(schema_name: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}}


def document() -> dict:
    """The OpenAPI 3.0 document of the JSON API."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "searchapp",
            "version": "1",
            "description": "Full-text search over an archive of Romanian news articles. "
                           "Every error is JSON {\"error\": {\"code\", \"message\"}}.",
        },
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search the articles",
                    "parameters": search_parameters(),
                    "responses": {
                        "200": _json("SearchResult", "One page of hits, the facet counts and a suggestion."),
                        "400": _error_response("A bad parameter (page, per_page, date, year, month, sort) "
                                               "or a query over the length limit."),
                        "414": {"description": "The request line is longer than the server accepts "
                                               "(gunicorn's limit_request_line, 8190 bytes): an HTML page "
                                               "from the server, before the application sees the request.",
                                "content": {"text/html": {"schema": {"type": "string"}}}},
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/api/export": {
                "get": {
                    "operationId": "export",
                    "summary": "Every match, as CSV or JSON Lines, streamed",
                    "description": "The search's parameters (`page` and `per_page` are ignored): every match "
                                   "in the search's order, up to the server's export cap (default "
                                   f"{setting('export_cap')}), one row each: id, title, date, source, url "
                                   "(absolute), score (null or empty when sorted by date). Headers: "
                                   "X-Export-Total (matches), X-Export-Cap, X-Export-Truncated (true when the "
                                   "cap cut the export), X-Export-Partial (true when the time limit cut the "
                                   "search short); such a JSON Lines export ends with one more line, "
                                   "{\"truncated\", \"partial\", \"total\", \"exported\", \"cap\"}.",
                    "parameters": export_parameters(),
                    "responses": {
                        "200": {"description": "The rows, a header row first in CSV.",
                                "content": {"text/csv": {"schema": {"type": "string"}},
                                            "application/x-ndjson": {"schema": {"type": "string"}}}},
                        "400": _error_response("A missing or unknown format, or a bad search parameter."),
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/feed.atom": {
                "get": {
                    "operationId": "feed",
                    "summary": "An Atom 1.0 feed of the search's newest matches",
                    "description": "The search's parameters; `sort`, `page` and `per_page` are ignored: the "
                                   f"feed holds the newest {setting('feed_entries')} dated matches, newest "
                                   "first. Undated articles are left out (an Atom entry needs a date, and "
                                   "none is invented). Errors are the API's JSON.",
                    "parameters": search_parameters(),
                    "responses": {
                        "200": {"description": "The feed.",
                                "content": {"application/atom+xml": {"schema": {"type": "string"}}}},
                        "400": _error_response("A bad search parameter."),
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/api/suggest": {
                "get": {
                    "operationId": "suggest",
                    "summary": "Suggestions as you type",
                    "parameters": suggest_parameters(),
                    "responses": {
                        "200": _json("Suggestions", "Completions of the last word, most articles first."),
                        "400": _error_response("A bad limit or a query over the length limit."),
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/api/articles/{id}": {
                "get": {
                    "operationId": "article",
                    "summary": "One article",
                    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": _json("Article", "The article."),
                        "404": _error_response("No article with this id."),
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Whether the index can be searched",
                    "responses": {"200": _json("Health", "The index answers."), "503": UNAVAILABLE},
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {"200": {"description": "The OpenAPI document.",
                                          "content": {"application/json": {"schema": {"type": "object"}}}}},
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
