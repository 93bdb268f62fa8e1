"""The web front end and the JSON API: a thin Flask layer over the engine seam (engines/).

Every view validates its parameters with `parse_params`, asks the app's one engine, and
renders the plain data it gets back: as HTML through the view models of `pages.py`, or as JSON
through `to_json()`. No search logic lives here. One error handler turns every exception into
the contract's JSON error (under /api/ and /healthz) or an HTML error page (elsewhere).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from werkzeug.exceptions import HTTPException

from . import advanced, messages, openapi, suggest
from .config import Settings, pop, push, setting
from .engines import open_engine
from .errors import SearchappError
from .export import FORMATS, check_format, start_export
from .feed import MEDIA_TYPE, build_feed
from .pages import article_link, build_article_page, build_search_page, feed_url, search_url
from .params import parse_params

HERE = Path(__file__).resolve().parent  # templates/ and static/ are package data
ARCHIVE_KEY = "searchapp.archive"

# No inline script or style anywhere, so the policy needs no 'unsafe-inline'. The pages work
# without script (plain GET forms and links); static/suggest.js only adds suggestions as you type.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Romanian headings and hints for the HTML error page; the message itself comes from the error.
ERROR_PAGES = {
    400: ("Cerere greșită", "Unul dintre parametrii căutării nu este valid."),
    404: ("Pagina nu există", "Articolul sau pagina căutată nu există în arhivă."),
    405: ("Metodă nepermisă", "Această adresă nu acceptă metoda folosită."),
    503: ("Arhiva nu este disponibilă", "Indexul de căutare lipsește sau nu poate fi citit. "
          "Administratorul trebuie să ruleze comanda searchapp reindex."),
    500: ("Eroare internă", "A apărut o eroare neașteptată; a fost înregistrată."),
}
# Errors whose page needs another hint than their status's.
ERROR_PAGES_BY_CODE = {
    "engine_unavailable": ("Căutarea nu este disponibilă", "Serverul de căutare nu răspunde acum. "
                           "Încercați din nou peste câteva momente."),
}

log = logging.getLogger(__name__)
web = Blueprint("web", __name__)


def create_app(config: Mapping | None = None) -> Flask:
    """Build the app; `INDEX_DIR` (default: SEARCHAPP_INDEX, else index/ or the alias `articles`)
    names the index folder or Solr alias, `ENGINE` (SEARCHAPP_ENGINE) and `SOLR_URL`
    (SEARCHAPP_SOLR_URL) the engine."""
    app = Flask(
        __name__,
        template_folder=str(HERE / "templates"),
        static_folder=str(HERE / "static"),
        static_url_path="/static",
    )
    # SETTINGS: a config.Settings for this app (default: the defaults), active in each request.
    app.config.from_mapping(INDEX_DIR=None, ENGINE=None, SOLR_URL=None, SETTINGS=None)
    if config:
        app.config.from_mapping(config)
    settings = app.config["SETTINGS"] = app.config["SETTINGS"] or Settings.defaults()
    app.json.ensure_ascii = False
    app.json.sort_keys = False  # keep the contract's key order
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # One engine per app: Whoosh's keeps one searcher and swaps it when a new index is committed.
    app.extensions[ARCHIVE_KEY] = open_engine(app.config["ENGINE"], app.config["INDEX_DIR"], app.config["SOLR_URL"],
                                              settings)
    app.before_request(_activate_settings)
    app.teardown_request(_deactivate_settings)
    app.register_blueprint(web)
    app.register_error_handler(Exception, handle_error)
    app.after_request(add_security_headers)
    return app


def _activate_settings() -> None:
    g.settings_token = push(current_app.config["SETTINGS"])


def _deactivate_settings(_exc=None) -> None:
    token = g.pop("settings_token", None)
    if token is not None:
        pop(token)


def archive():
    """The app's engine (engines/__init__.py: search, article, check, ...)."""
    return current_app.extensions[ARCHIVE_KEY]


# --- pages ------------------------------------------------------------------------------------


@web.get("/")
def search_page():
    params = parse_params(request.args)
    result = archive().search(params)
    page = build_search_page(params, result, url_for("web.search_page"), feed_base=url_for("web.feed"),
                             export_base=url_for("web.api_export"))
    return render_template("search.html", page=page, q=params.q, autofocus=True)


@web.get("/articol/<path:article_id>")
def article_page(article_id: str):
    params = parse_params(request.args)  # the search it was opened from, for the back link
    article = archive().article(article_id, params.q)
    page = build_article_page(article, params.q, url_for("web.search_page"), params)
    return render_template("article.html", page=page, q=params.q)


@web.get("/cautare-avansata")
def advanced_search():
    """The form; once filled in, a redirect to the ordinary results URL it means."""
    form = advanced.read_form(request.args)
    if form.submitted:
        args = advanced.compose(form)
        if not form.errors:
            try:
                parse_params(args)  # the same checks as any search (dates, length)
            except SearchappError as exc:
                form.errors.append(messages.error_message(exc, exc.code))
        if not form.errors:
            return redirect(url_for("web.search_page", **args), 302)
    html = render_template("advanced.html", form=form, q="", distance=advanced.DEFAULT_DISTANCE,
                           max_distance=advanced.MAX_DISTANCE)
    return html, 400 if form.errors else 200


@web.get("/feed.atom")
def feed():
    """An Atom feed of the search's newest dated matches (feed.py says which and why)."""
    params = parse_params(request.args)
    root = request.url_root.rstrip("/")
    xml = build_feed(
        archive(), params,
        self_url=feed_url(root + url_for("web.feed"), params),
        page_url=search_url(root + url_for("web.search_page"), params, sort="newest"),
        article_url=lambda hit, with_query: root + article_link(hit.url, params.q if with_query else ""),
    )
    return current_app.response_class(xml, content_type=f"{MEDIA_TYPE}; charset=utf-8")


# --- the JSON API -----------------------------------------------------------------------------


@web.get("/api/search")
def api_search():
    return jsonify(archive().search(parse_params(request.args)).to_json())


@web.get("/api/export")
def api_export():
    """Every match, up to the `export_cap` setting, streamed as CSV or JSON Lines (export.py)."""
    export_format = check_format(request.args.get("format"))
    params = parse_params(request.args)
    root = request.url_root.rstrip("/")
    cap = int(setting("export_cap"))
    export = start_export(archive().exporter(), params, export_format, cap, url=lambda hit: root + hit.url)
    headers = {
        "Content-Disposition": f'attachment; filename="cautare.{export_format}"',
        "X-Export-Total": str(export.result.total),
        "X-Export-Cap": str(cap),
        "X-Export-Truncated": "true" if export.truncated else "false",
        "X-Export-Partial": "true" if export.partial else "false",
    }
    return current_app.response_class(stream_with_context(export.lines()), content_type=FORMATS[export_format],
                                      headers=headers)


@web.get("/api/suggest")
def api_suggest():
    q, limit = suggest.parse_suggest_params(request.args)
    return jsonify(suggest.suggest(archive().written_forms(), q, limit).to_json())


@web.get("/api/articles/<path:article_id>")
def api_article(article_id: str):
    return jsonify(archive().article(article_id, similar=False).to_json())


@web.get("/api/openapi.json")
def api_openapi():
    return jsonify(openapi.document())


@web.get("/healthz")
def healthz():
    return jsonify({"status": "ok", "articles": archive().check()})


# --- errors and headers -----------------------------------------------------------------------


def wants_json() -> bool:
    # A feed reader gets the API's JSON error too, not a page.
    return request.path.startswith("/api/") or request.path in ("/healthz", "/feed.atom")


def handle_error(exc: Exception):
    """The one error handler: domain errors, HTTP errors (404, 405) and anything unexpected."""
    headers = {}
    if isinstance(exc, SearchappError):
        status, code, message = exc.status, exc.code, exc.message
    elif isinstance(exc, HTTPException):
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name
        headers = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}
    else:
        log.exception("unexpected error on %s %s", request.method, request.full_path)
        status, code, message = 500, "internal_error", "unexpected error; it has been logged"
    if wants_json():
        response = jsonify({"error": {"code": code, "message": message}})
    else:
        title, hint = ERROR_PAGES_BY_CODE.get(code) or ERROR_PAGES.get(
            status, ERROR_PAGES[500] if status >= 500 else ERROR_PAGES[400])
        q = request.args.get("q", "")[: setting("max_query_chars")] if status < 500 else ""
        # A page for people says it in Romanian; the API's message (English, for programs) stays there.
        message = messages.error_message(exc, code)
        response = current_app.make_response(
            render_template("error.html", status=status, title=title, hint=hint, message=message, code=code, q=q)
        )
    response.status_code = status
    response.headers.update(headers)
    return response


def add_security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
