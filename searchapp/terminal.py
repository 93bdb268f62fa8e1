"""Rendering search results, statistics and write summaries as terminal text."""

from __future__ import annotations

import html
import re

import click

from .messages import RELAXED_SHORT, count_phrase, format_date, format_decimal, format_int, format_seconds, notice_text
from .results import SearchResult
from .writes import WriteSummary

_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def snippet_text(snippet: str, color: bool) -> str:
    """A snippet's HTML as terminal text: matches bold (or *starred* without a terminal)."""
    marked = _MARK.sub(lambda m: click.style(m.group(1), bold=True, fg="yellow") if color else f"*{m.group(1)}*", snippet)
    return html.unescape(marked)


def render_result(result: SearchResult, color: bool = False) -> str:
    lines = [_headline(result)]
    if result.autocorrected:
        lines.append(f"Se afișează rezultatele pentru „{result.suggestion}”; "
                     f"căutați exact „{result.query}” cu --literal ({result.total_as_typed} rezultate).")
    elif result.suggestion:
        lines.append(f"Ați vrut să scrieți: {result.suggestion}")
    for reading in result.other_readings:
        lines.append(f"Primele sunt articolele care scriu „{reading.word}”; căutați și „{reading.other}”.")
    lines.extend(notice_text(notice) for notice in result.notices)
    first = (result.page - 1) * result.per_page
    for number, hit in enumerate(result.hits, start=first + 1):
        date = hit.date or format_date(None)
        title = click.style(hit.title, bold=True) if color else hit.title
        lines.append(f"\n{number}. {title}  [{date}]  {hit.id}")
        lines.append("   " + snippet_text(hit.snippet, color).replace("\n", " "))
    if result.pages > 1:
        lines.append(f"\npagina {result.page} din {result.pages}")
    return "\n".join(lines)


def _headline(result: SearchResult) -> str:
    text = f"{count_phrase(result.total)}, {format_seconds(result.took_ms)}"
    if result.relaxed:
        text += f" ({RELAXED_SHORT})"
    return text


def render_stats(stats) -> str:
    span = f"{stats.first_date} … {stats.last_date}" if stats.first_date else "-"
    lines = [
        f"articole:    {format_int(stats.articles)}",
        f"cu dată:     {format_int(stats.dated)}",
        f"{format_date(None) + ':':<13}{format_int(stats.undated)}",
        f"interval:    {span}",
    ]
    if hasattr(stats, "size_bytes"):
        lines.append(f"dimensiune:  {format_decimal(stats.size_bytes / 1024 / 1024)} MiB ({stats.path})")
    else:  # a Solr collection (engines/solr/indexing.SolrStats)
        lines.append(f"colecție:    {stats.collection}, {stats.shards} shard-uri, {stats.replicas} replici "
                     f"({stats.active_replicas} active), {stats.live_nodes} noduri active")
    return "\n".join(lines)


def render_summary(action: str, summary: WriteSummary) -> str:
    parts = [f"{action}: {summary.indexed} indexed"]
    if summary.updated or summary.deleted or summary.unchanged:
        parts.append(f"{summary.updated} updated, {summary.deleted} deleted, {summary.unchanged} unchanged")
    parts.append(f"{len(summary.skipped)} skipped")
    lines = [", ".join(parts) + f" in {summary.seconds:.1f} s"]
    lines.extend(f"  {problem}" for problem in summary.problems)
    return "\n".join(lines)
