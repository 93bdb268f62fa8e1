"""The `searchapp` command line: a thin click layer over the index and search modules."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .config import default_sources, setting
from .engines import ENGINES, open_engine
from .errors import SearchappError
from .export import FORMATS, start_export
from .params import DEFAULT_PER_PAGE, parse_params
from .results import SearchResult
from .terminal import render_result, render_stats, render_summary

_index_option = click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SEARCHAPP_INDEX",
    default=None,
    show_default="index/, or the alias `articles` with solr (env SEARCHAPP_INDEX)",
    help="Index folder; with --engine solr, the collection alias.",
)
_engine_option = click.option(
    "--engine", "engine_name", type=click.Choice(ENGINES), envvar="SEARCHAPP_ENGINE", default=None,
    show_default="whoosh (env SEARCHAPP_ENGINE)", help="Search engine.")
_solr_url_option = click.option(
    "--solr-url", envvar="SEARCHAPP_SOLR_URL", default=None,
    help="SolrCloud node URLs, comma-separated (env SEARCHAPP_SOLR_URL); the engine fails over between them.")


def index_option(command):
    """--index, --engine and --solr-url: which index, on which engine."""
    return _index_option(_engine_option(_solr_url_option(command)))


def _engine(options: dict):
    """The engine that the command's --engine/--solr-url/--index options name (popped)."""
    return open_engine(options.pop("engine_name"), options.pop("index_dir"), options.pop("solr_url"))
source_option = click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Article folder or .jsonl/.jsonl.gz file; repeat for several (default seeds/, env SEARCHAPP_SOURCE).",
)
allow_shrink_option = click.option(
    "--allow-shrink",
    is_flag=True,
    help="Accept sources with fewer than half the index's articles (never with none); "
    "without it such a write is refused and the index kept.",
)
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
# A search's filter, named as the API names it: the publication an article comes from (not an
# article source to index, as reindex's --source).
filter_source_option = click.option(
    "--source", "filter_sources", multiple=True,
    help="Only articles from this source (as facets.source names it); repeat for several (any of them).")


class Group(click.Group):
    """Turns domain errors into one clear line on stderr, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SearchappError as exc:
            raise click.ClickException(exc.message) from None
        except OSError as exc:
            raise click.ClickException(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="searchapp")
def main() -> None:
    """Full-text search over an archive of Romanian news articles."""


def _progress(quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None

    def report(count: int) -> None:
        if count % 100 == 0:
            click.echo(f"\r{count} articles indexed…", nl=False, err=True)

    return report


@main.command()
@source_option
@index_option
@click.option("--procs", type=click.IntRange(1, 64), default=None, help="Indexing processes (default: up to 2 cores).")
@allow_shrink_option
@click.option("--shards", type=click.IntRange(1, 64), default=2, show_default=True, help="Solr: shards of the new collection.")
@click.option("--replicas", type=click.IntRange(1, 16), default=2, show_default=True, help="Solr: replicas of each shard.")
@quiet_option
def reindex(sources: tuple[Path, ...], procs: int | None, shards: int, replicas: int, allow_shrink: bool, quiet: bool,
            **options) -> None:
    """Rebuild the whole index from the sources; searches use the old one until it is done.
    Sources with no articles, or fewer than half the index's, are refused (see --allow-shrink)."""
    summary = _engine(options).rebuild(list(sources) or default_sources(), _progress(quiet), procs=procs,
                                       shards=shards, replicas=replicas, allow_shrink=allow_shrink)
    _clear_progress(quiet)
    click.echo(render_summary("reindex", summary))


@main.command()
@source_option
@index_option
@allow_shrink_option
@quiet_option
def update(sources: tuple[Path, ...], allow_shrink: bool, quiet: bool, **options) -> None:
    """Bring the index up to date: new and changed articles in, vanished ones out.
    Sources with no articles, or fewer than half the index's, are refused (see --allow-shrink)."""
    summary = _engine(options).update(list(sources) or default_sources(), _progress(quiet), allow_shrink=allow_shrink)
    _clear_progress(quiet)
    click.echo(render_summary("update", summary))


def _clear_progress(quiet: bool) -> None:
    if _progress(quiet):
        click.echo("\r\033[K", nl=False, err=True)


@main.command()
@click.argument("query", required=False, default="")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@click.option("--limit", "per_page", default=str(DEFAULT_PER_PAGE), show_default=True, help="Hits per page (1-100).")
@click.option("--page", default="1", show_default=True, help="Page number.")
@click.option("--year", help="YYYY, or 'none' for undated articles.")
@click.option("--month", help="YYYY-MM.")
@click.option("--from", "date_from", help="From date, YYYY-MM-DD (inclusive).")
@click.option("--to", "date_to", help="To date, YYYY-MM-DD (inclusive).")
@click.option("--sort", default="relevance", show_default=True, help="relevance, newest or oldest.")
@click.option("--literal", is_flag=True, help="Search the words as typed, without correcting them at once.")
@click.option("--no-synonyms", is_flag=True, help="Search the words only, without their abbreviations and variants.")
@filter_source_option
@click.option("--in", "in_field", help="title: the words must be in the title.")
@index_option
def search(query: str, as_json: bool, literal: bool, no_synonyms: bool, **options) -> None:
    """Search the index, as the API does, and print the results."""
    engine = _engine(options)
    raw = {"q": query, "from": options.pop("date_from"), "to": options.pop("date_to"), "literal": "1" if literal else None,
           "synonyms": "false" if no_synonyms else None,
           "source": list(options.pop("filter_sources")), "in": options.pop("in_field"), **options}
    try:
        params = parse_params(raw)
    except SearchappError as exc:
        raise click.UsageError(exc.message) from None
    result: SearchResult = engine.search(params)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_result(result, color=sys.stdout.isatty()))


@main.command()
@click.argument("query", required=False, default="")
@click.option("--format", "export_format", type=click.Choice(list(FORMATS)), required=True, help="csv or jsonl.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: stdout).")
@click.option("--year", help="YYYY, or 'none' for undated articles.")
@click.option("--month", help="YYYY-MM.")
@click.option("--from", "date_from", help="From date, YYYY-MM-DD (inclusive).")
@click.option("--to", "date_to", help="To date, YYYY-MM-DD (inclusive).")
@click.option("--sort", default="relevance", show_default=True, help="relevance, newest or oldest.")
@filter_source_option
@click.option("--cap", type=click.IntRange(1, 10_000_000), default=setting("export_cap"), show_default=True,
              help="Most rows written.")
@index_option
def export(query: str, export_format: str, output: Path | None, cap: int, **options) -> None:
    """Write every match of a search (id, title, date, source, url, score) as CSV or JSON Lines."""
    engine = _engine(options)
    raw = {"q": query, "from": options.pop("date_from"), "to": options.pop("date_to"),
           "source": list(options.pop("filter_sources")), **options}
    try:
        params = parse_params(raw)
    except SearchappError as exc:
        raise click.UsageError(exc.message) from None
    exported = start_export(engine.exporter(), params, export_format, cap)
    if output is None:
        _write_lines(exported.lines(), sys.stdout)
    else:
        with open(output, "w", encoding="utf-8", newline="") as stream:  # the CSV's own CRLF, untouched
            _write_lines(exported.lines(), stream)
    if exported.truncated:
        click.echo(f"export: primele {exported.exported} din {exported.result.total} rezultate "
                   f"(limita --cap {cap})", err=True)
    if exported.partial:
        click.echo(f"export: parțial, {exported.exported} rânduri: căutarea a depășit timpul permis", err=True)


def _write_lines(lines, stream) -> None:
    for line in lines:
        stream.write(line)
    stream.flush()


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@index_option
def stats(as_json: bool, **options) -> None:
    """Articles, dated and undated counts, date range and size of the index (Solr: its shape)."""
    figures = _engine(options).stats()
    if as_json:
        click.echo(json.dumps(figures.as_dict(), indent=2))
    else:
        click.echo(render_stats(figures))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@source_option
@index_option
def serve(host: str, port: int, workers: int, sources: tuple[Path, ...], **options) -> None:
    """Serve the web pages and the API with gunicorn; builds the index first if there is none."""
    from .serve import run_server  # gunicorn is only needed here

    chosen = dict(options)
    engine = _engine(options)
    if not engine.exists():
        click.echo(f"No index in {engine.location} yet; building it first…", err=True)
        summary = engine.rebuild(list(sources) or default_sources())
        click.echo(render_summary("reindex", summary), err=True)
    click.echo(f"Serving on http://{host}:{port}/ with {workers} worker(s); Ctrl-C stops.", err=True)
    run_server(chosen["index_dir"], host=host, port=port, workers=workers, engine=chosen["engine_name"],
               solr_url=chosen["solr_url"])
