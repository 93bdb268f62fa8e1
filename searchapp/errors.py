"""Domain errors. Each message says what is wrong and what to do next.

The CLI turns them into one line on stderr, the web layer into the contract's JSON error or an
HTML error page; neither layer invents its own wording.
"""

from __future__ import annotations


class SearchappError(Exception):
    """Base class: `code` is the contract's error code, `status` the HTTP status."""

    code = "error"
    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadParameter(SearchappError):
    code = "bad_parameter"
    status = 400

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name


class QueryTooLong(BadParameter):
    code = "query_too_long"


class NotFound(SearchappError):
    code = "not_found"
    status = 404


class IndexMissing(SearchappError):
    code = "index_missing"
    status = 503


class IndexUnreadable(SearchappError):
    code = "index_unreadable"
    status = 503


class IndexOutdated(IndexUnreadable):
    """The index was written by another version of searchapp, in a layout this one cannot read."""

    code = "index_outdated"


class IndexLocked(SearchappError):
    code = "index_locked"
    status = 503


class SourceError(SearchappError):
    code = "source_error"
    status = 500


class SourceTooSmall(SearchappError):
    """The sources gave no articles, or far fewer than the live index holds: the write was refused."""

    code = "source_too_small"
    status = 500


class EngineUnavailable(SearchappError):
    """The search engine (a Solr cluster) cannot be reached: no node answered."""

    code = "engine_unavailable"
    status = 503
