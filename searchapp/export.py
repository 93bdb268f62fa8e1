"""Export of a whole result set as CSV or JSON Lines, streamed.

`start_export()` runs the search once (`Archive.ranked`: the order of every match, up to the
cap, collected in one pass) and returns an `Export` whose `lines()` yields the file a line at a
time, reading each article's stored fields only when its line is written: the web layer streams
them (`/api/export`), the CLI writes them (`searchapp export`), and neither holds the rows.

When the cap cuts the export, or the time limit (`export_time_limit`) cut the search short, the
caller learns it before the first line (`truncated`, `partial`, for HTTP headers), and a JSON
Lines export ends with one more line, `{"truncated": bool, "partial": bool, "total": N,
"exported": M, "cap": C}`, that is not an article. A CSV file has no place for such a line: its
readers learn it from the headers or the CLI's message.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .errors import BadParameter
from .params import SearchParams
from .results import Hit, SearchResult

FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
COLUMNS = ("id", "title", "date", "source", "url", "score")


def check_format(value: object) -> str:
    """The export format named by `format=`, or a BadParameter naming the choices."""
    name = "" if value is None else str(value).strip()
    if name not in FORMATS:
        shown = f"{name!r} is not an export format" if name else "missing"
        raise BadParameter("format", f"{shown}; use one of {', '.join(FORMATS)}")
    return name


@dataclass
class Export:
    format: str
    result: SearchResult  # the search's total, and whether the time limit cut it
    hits: Iterator[Hit]
    cap: int
    url: Callable[[Hit], str]  # an article's URL in the export
    exported: int = 0

    @property
    def truncated(self) -> bool:
        return self.result.total > self.cap

    @property
    def partial(self) -> bool:
        return self.result.partial

    def lines(self) -> Iterator[str]:
        rows = (self._row(hit) for hit in self.hits)
        yield from (_csv_lines(rows) if self.format == "csv" else _jsonl_lines(rows))
        if self.format == "jsonl" and (self.truncated or self.partial):
            yield json.dumps({"truncated": self.truncated, "partial": self.partial, "total": self.result.total,
                              "exported": self.exported, "cap": self.cap}) + "\n"

    def _row(self, hit: Hit) -> dict:
        self.exported += 1
        return {"id": hit.id, "title": hit.title, "date": hit.date, "source": hit.source,
                "url": self.url(hit), "score": hit.score}


def start_export(archive, params: SearchParams, format: str, cap: int,
                 url: Callable[[Hit], str] = lambda hit: hit.url) -> Export:
    """Run the search; the rows come when `lines()` is read."""
    result, hits = archive.ranked(params, cap)
    return Export(format, result, hits, cap, url)


def _csv_lines(rows: Iterator[dict]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: quoted where needed, CRLF line ends

    def line(values) -> str:
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(COLUMNS)
    for row in rows:
        yield line(["" if row[column] is None else row[column] for column in COLUMNS])


def _jsonl_lines(rows: Iterator[dict]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"
