"""A search's parameters: `parse_params()` checks raw values (strings from a URL or the command
line) as the contract names them and returns a `SearchParams`; every engine takes that."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .config import setting
from .errors import BadParameter, QueryTooLong
from .sources import valid_date

SORTS = ("relevance", "newest", "oldest")
UNDATED = "none"  # the year (and facet value) of the articles without a date
DEFAULT_PER_PAGE = 10


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    year: str | None = None  # "YYYY" or "none"
    month: str | None = None  # "YYYY-MM"
    date_from: str | None = None  # "YYYY-MM-DD", inclusive
    date_to: str | None = None
    sort: str = "relevance"
    literal: bool = False  # no automatic correction: search the words as typed
    sources: tuple[str, ...] = ()  # `source=`, repeatable: an article from any of them matches
    in_field: str | None = None  # "title": the query's words must be in the title (`in=title`)
    synonyms: bool = True  # `synonyms=false`: the words as typed, without their abbreviations and variants


IN_FIELDS = ("title",)


def parse_params(args: Mapping[str, object]) -> SearchParams:
    """Validate raw parameters as the contract names them (`q`, `page`, `from`, ...)."""
    q = clean_text(args.get("q"))
    if len(q) > setting("max_query_chars"):
        raise QueryTooLong("q", f"the query has {len(q)} characters; the limit is {setting('max_query_chars')}")
    year = _optional(args.get("year"))
    if year is not None and year != UNDATED and not re.fullmatch(r"[0-9]{4}", year):
        raise BadParameter("year", f"{year!r} is not a year; use YYYY, or 'none' for undated articles")
    month = _optional(args.get("month"))
    if month is not None and not _valid_month(month):
        raise BadParameter("month", f"{month!r} is not a month; use YYYY-MM, e.g. 2025-08")
    date_from, date_to = _date(args, "from"), _date(args, "to")
    if date_from and date_to and date_from > date_to:
        raise BadParameter("from", f"{date_from} is after to={date_to}")
    sort = _optional(args.get("sort")) or "relevance"
    if sort not in SORTS:
        raise BadParameter("sort", f"{sort!r} is not a sort order; use one of {', '.join(SORTS)}")
    in_field = _optional(args.get("in"))
    if in_field is not None and in_field not in IN_FIELDS:
        raise BadParameter("in", f"{in_field!r} is not a field to search in; use one of {', '.join(IN_FIELDS)}")
    return SearchParams(
        q=q,
        page=_int(args, "page", 1, 1, setting("max_page")),
        per_page=_int(args, "per_page", DEFAULT_PER_PAGE, 1, setting("max_per_page")),
        year=year,
        month=month,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        literal=_flag(args, "literal"),
        sources=_sources(args),
        in_field=in_field,
        synonyms=_flag(args, "synonyms", default=True),
    )


def _flag(args: Mapping[str, object], name: str, default: bool = False) -> bool:
    raw = _optional(args.get(name))
    if raw is None:
        return default
    if raw.lower() not in ("0", "1", "true", "false"):
        raise BadParameter(name, f"{raw!r} is not a flag; use 1 or 0")
    return raw.lower() in ("1", "true")


def _sources(args: Mapping[str, object]) -> tuple[str, ...]:
    """The `source=` values, each once: a URL's repeated parameter (`getlist`) or a list."""
    getlist = getattr(args, "getlist", None)
    raw = getlist("source") if getlist else args.get("source")
    sources: list[str] = []
    for value in raw if isinstance(raw, (list, tuple)) else [raw]:
        name = _optional(value)
        if name is None or name in sources:
            continue
        if len(name) > setting("max_source_chars"):
            raise BadParameter("source", f"a source name has at most {setting('max_source_chars')} characters")
        sources.append(name)
    if len(sources) > setting("max_sources"):
        raise BadParameter("source", f"{len(sources)} sources given; the limit is {setting('max_sources')}")
    return tuple(sources)


def clean_text(value: object) -> str:
    text = "" if value is None else str(value)
    # Control characters (NUL included) are never part of a word; they separate.
    return re.sub(r"[\x00-\x1f\x7f]", " ", text).strip()


def _optional(value: object) -> str | None:
    text = clean_text(value)
    return text or None


def _int(args: Mapping[str, object], name: str, default: int, low: int, high: int) -> int:
    raw = _optional(args.get(name))
    if raw is None:
        return default
    if not re.fullmatch(r"[+]?[0-9]{1,9}", raw):
        raise BadParameter(name, f"{raw!r} is not a whole number from {low} to {high}")
    value = int(raw)
    if not low <= value <= high:
        raise BadParameter(name, f"{value} is out of range; use a number from {low} to {high}")
    return value


def _valid_month(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", value))


def _date(args: Mapping[str, object], name: str) -> str | None:
    raw = _optional(args.get(name))
    if raw is not None and not valid_date(raw):
        raise BadParameter(name, f"{raw!r} is not a date that exists; use YYYY-MM-DD")
    return raw


# --- results ----------------------------------------------------------------------------------
