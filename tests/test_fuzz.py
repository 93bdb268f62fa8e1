"""Hostile and malformed input through Flask's test client, property-based (Hypothesis).

Properties: no request, however malformed, gets a 5xx; the API answers a 200 in the contract's
shape or a 4xx with the contract's JSON error; a page answers 200 or a 4xx HTML page; no markup
that came from input (a query, an article's title, text, id or URL) ever reaches a page as
markup; an article id is looked up in the index, never read as a path; expensive queries are
bounded and a search cut by the time limit says so (`partial`).

Example counts are modest so the suite stays fast (SEARCHAPP_FUZZ_EXAMPLES raises them); the
Hypothesis database (.hypothesis/, not committed) replays any failure found locally first.
"""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, quote_from_bytes, urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from searchapp import config
from searchapp.engines.whoosh import index
from searchapp.web import create_app

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# SEARCHAPP_FUZZ_EXAMPLES=3000 for a deeper run by hand (RELIABILITY.md).
FUZZ = settings(max_examples=int(os.environ.get("SEARCHAPP_FUZZ_EXAMPLES", "60")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

# --- an archive with hostile articles -----------------------------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "<svg/onload=alert(1)>",
    "'><a href=javascript:alert(1)>x</a>",
    "</textarea></title><script>alert(1)</script>",
    "<iframe srcdoc='<script>alert(1)</script>'>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",  # an entity-encoded one: decoded at indexing, shown as text
    "<zz9 onmouseover=alert(1)>",
]

HOSTILE = [
    {
        "id": f"xss-{n}",
        "title": f"Pisici {payload} titlu",
        "text": f"Despre pisici și câini {payload} în textul articolului.\nAl doilea paragraf {payload} cu pisici.",
        "date": f"2020-0{1 + n % 9}-1{n % 10}",
        "url": "javascript:alert('url')" if n % 2 else f"https://exemplu.ro/{quote(payload)}",
        "source": payload,
    }
    for n, payload in enumerate(PAYLOADS)
] + [
    # An id that is itself a payload, and ids that look like paths.
    {"id": '"><svg onload=alert(7)>', "text": "Pisici cu un identificator ostil.", "date": "2020-10-10"},
    {"id": "../../setup.cfg", "text": "Pisici cu un identificator ca o cale.", "date": "2020-10-11"},
]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    hostile = folder / "hostile.jsonl"
    hostile.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in HOSTILE), encoding="utf-8")
    index.rebuild(folder / "ix", [ROOT / "seeds", FIXTURES / "archive.jsonl", FIXTURES / "hostile.jsonl", hostile])
    return create_app({"INDEX_DIR": str(folder / "ix"), "TESTING": True}).test_client()


# --- what a page may contain ---------------------------------------------------------------------


OWN_SCRIPT = '<script src="/static/suggest.js" defer></script>'  # the templates' one script


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction", "srcdoc") and value is not None:
                if re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(("javascript:", "data:", "vbscript:")):
                    self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and dict(attrs).get("src") == "/static/suggest.js":
            return  # the one script the templates load: same-origin suggestions as you type
        if tag in ("script", "iframe", "object", "embed", "base"):  # the templates use none of these
            self.problems.append(f"<{tag}>")


def markup(html: str) -> _Markup:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def page_tags(client) -> set[str]:
    """The tags the templates use, gathered from pages in every state (plus <mark>)."""
    tags = {"mark"}
    for url in ["/", "/?q=soldati", "/?q=soldati&year=2025", "/?q=nimicnimic", "/?q=pheniam", "/?q=pisici&page=2&per_page=2",
                "/articol/001_1cc27a957bb943bb?q=soldati", "/articol/nu-exista", "/?page=0"]:
        tags |= markup(client.get(url).get_data(as_text=True)).tags
    return tags


def check_page(response, page_tags: set[str]) -> str:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "Traceback" not in html
    found = markup(html)
    assert found.problems == []
    assert found.tags <= page_tags, f"tags that came from input: {found.tags - page_tags}"
    return html


CONTRACT_KEYS = ["query", "total", "page", "per_page", "took_ms", "hits", "facets", "suggestion"]


def check_api(response) -> dict:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    if response.status_code == 200:
        assert list(body)[:8] == CONTRACT_KEYS
        assert isinstance(body["total"], int) and body["total"] >= 0
        assert len(body["hits"]) <= body["per_page"] <= config.setting("max_per_page")
        for hit in body["hits"]:
            # The snippet is HTML: escaped text, and no tag but <mark>.
            assert "<" not in hit["snippet"].replace("<mark>", "").replace("</mark>", "")
            assert hit["url"] == "/articol/" + quote(hit["id"], safe="")
    else:
        assert 400 <= response.status_code < 500
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
        assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    return body


# --- strategies ----------------------------------------------------------------------------------

# Any Unicode a URL can carry (lone surrogates cannot be encoded as UTF-8 at all).
unicode_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
control_text = st.text(
    st.characters(max_codepoint=0x1F) | st.sampled_from("\x7f\u0085\u00ad\u2028\u2029\u200b\u202e\ufeff\ufffd\U0001f600 "),
    max_size=12,
)
TOKENS = ["OR", "AND", "NOT", "or", "-", '"', "(", ")", "*", "?", "^2", "~", "title:", "body:x", "[", "]", "{", "}",
          "TO", "\\", "+", "!", "&&", "||", "'", "rachete", "soldați", "soldati", "pisici", "a", "é*", "ş", "x*", "*x",
          "Phen*", "%", "&", "<", ">", "<script>", "\x00", "\u00ad", "2025", "2025-08-15"]
operator_soup = st.builds(
    lambda tokens, sep: sep.join(tokens),
    st.lists(st.sampled_from(TOKENS), max_size=30),
    st.sampled_from([" ", "", "  ", "\t"]),
)
long_query = st.builds(lambda word, n: " ".join([word] * n), st.sampled_from(["pisici", "ab", "x*", "(", "OR", "ș"]),
                       st.integers(1, 400))
query = st.one_of(unicode_text, control_text, operator_soup, long_query)
number = st.one_of(
    st.integers(-(10**40), 10**40).map(str),
    st.sampled_from(["", " ", "1e9", "1.5", "0x10", "+5", "--1", "٣", "१०", "5\x00", "NaN", "inf", "0" * 60 + "1",
                     "99999999999999999999", "-0", "1 ", "\t2"]),
    unicode_text,
)
date_like = st.one_of(st.dates().map(str), st.sampled_from(["2025-02-30", "0000-00-00", "9999-12-31", "2025-1-1",
                                                              "2025-01-01T00:00", "2025-13-01", "-2025-01-01"]),
                      unicode_text)
year_like = st.one_of(st.integers(-99999, 99999).map(str), st.sampled_from(["none", "None", "NONE", "2025", "0000"]),
                      unicode_text)
month_like = st.one_of(st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(0, 9999), st.integers(0, 13)),
                       unicode_text)
sort_like = st.one_of(st.sampled_from(["relevance", "newest", "oldest", "NEWEST", "random", ""]), unicode_text)
VALUES = {"q": query, "page": number, "per_page": number, "year": year_like, "month": month_like, "from": date_like,
          "to": date_like, "sort": sort_like}
parameter = st.one_of(
    *[st.tuples(st.just(name), values) for name, values in VALUES.items()],
    st.tuples(st.sampled_from(["x", "q[]", "", "Q", "page ", "__proto__"]), unicode_text),
)
# Lists of (name, value) pairs: repeated parameters included.
parameters = st.lists(parameter, max_size=8)
# Raw bytes percent-encoded as a query: invalid UTF-8, stray % and & included.
raw_query = st.one_of(
    st.binary(max_size=60).map(lambda b: "q=" + quote_from_bytes(b)),
    st.text(st.sampled_from("%&=+;?#q0a/\\"), max_size=30),
)


# --- /api/search and / --------------------------------------------------------------------------


@FUZZ
@given(pairs=parameters)
@example(pairs=[("q", "\x00")])
@example(pairs=[("page", "-1"), ("page", "1")])
@example(pairs=[("per_page", str(10**30))])
@example(pairs=[("q", '"unbalanced ((soldati')])
@example(pairs=[("q", "*"), ("sort", "oldest"), ("year", "none")])
def test_api_search_answers_200_or_a_contract_4xx(client, pairs):
    body = check_api(client.get("/api/search?" + urlencode(pairs)))
    if "total" in body:
        first = {}
        for name, value in pairs:
            first.setdefault(name, value)
        assert body["query"] == re.sub(r"[\x00-\x1f\x7f]", " ", first.get("q", "")).strip()


@FUZZ
@given(pairs=parameters)
@example(pairs=[("q", "<script>alert(1)</script>")])
@example(pairs=[("q", '"><img src=x onerror=alert(1)>'), ("year", '"><b>')])
def test_search_page_answers_200_or_a_4xx_page_and_injects_nothing(client, page_tags, pairs):
    check_page(client.get("/?" + urlencode(pairs)), page_tags)


@FUZZ
@given(raw=raw_query)
def test_raw_and_invalid_utf8_query_strings(client, page_tags, raw):
    check_api(client.get("/api/search?" + raw))
    check_page(client.get("/?" + raw), page_tags)


@FUZZ
@given(q=query, payload=st.sampled_from(PAYLOADS))
def test_queries_carrying_markup_are_echoed_as_text(client, page_tags, q, payload):
    """The query is echoed in the search box, the title, chips, links and the suggestion."""
    for params in ({"q": f"{q} {payload}"}, {"q": f"{payload} pisici"}, {"q": f"pisicii {payload}"}):
        html = check_page(client.get("/", query_string=params), page_tags)
        assert "<zz9" not in html and "<script" not in html.replace(OWN_SCRIPT, "")
        body = check_api(client.get("/api/search", query_string=params))
        if "suggestion" in body and body["suggestion"]:
            assert isinstance(body["suggestion"], str)


# --- articles: odd ids, path traversal ------------------------------------------------------------

TRAVERSALS = [
    "../../setup.cfg", "..%2f..%2fsetup.cfg", "%2e%2e/%2e%2e/setup.cfg", "/etc/passwd", "../../../../etc/passwd",
    "....//....//etc/passwd", "..\\..\\setup.cfg", "file:///etc/passwd", "seeds/000_bba8654fe1fb9b3b.txt",
    "../seeds/000_bba8654fe1fb9b3b", "000_bba8654fe1fb9b3b/../000_bba8654fe1fb9b3b", "000_bba8654fe1fb9b3b.txt",
    "index/current", "%00", "\x00", "current/_MAIN_1.toc", ".", "..", "~root/.bashrc", "C:\\Windows\\win.ini",
    "static/style.css", "../templates/base.html", "%252e%252e%252fsetup.cfg",
]
FILE_CONTENTS = ["root:x:0:0", "[metadata]", "install_requires", "{% block", "date 2026-01-09"]


@pytest.mark.parametrize("article_id", TRAVERSALS)
def test_article_ids_that_look_like_paths_are_404_never_a_file(client, page_tags, article_id):
    for encoded in (quote(article_id, safe=""), quote(article_id, safe="/%"), article_id.replace("\x00", "%00")):
        # A doubled slash is merged by a redirect (308) to the same route: follow it.
        api = client.get("/api/articles/" + encoded, follow_redirects=True)
        page = client.get("/articol/" + encoded, follow_redirects=True)
        assert all(r.request.path.startswith(("/api/articles/", "/articol/")) for r in (api, page))
        if api.status_code == 200:
            # `../../setup.cfg` is the id of an invented article here: its own text, from the index.
            assert api.get_json()["id"] == "../../setup.cfg"
            assert api.get_json()["text"] == "Pisici cu un identificator ca o cale."
            assert page.status_code == 200
            continue
        assert api.status_code == 404, (encoded, api.get_data(as_text=True)[:300])
        assert api.get_json()["error"]["code"] == "not_found"
        assert page.status_code == 404
        check_page(page, page_tags)
        for response in (api, page):
            text = response.get_data(as_text=True)
            assert not any(marker in text for marker in FILE_CONTENTS)


@FUZZ
@given(article_id=unicode_text.filter(bool))
def test_any_article_id_is_a_404_or_that_article(client, page_tags, article_id):
    known = {a["id"] for a in HOSTILE}
    # An id with slashes may be redirected once (308, doubled slashes merged): follow it.
    api = client.get("/api/articles/" + quote(article_id, safe=""), follow_redirects=True)
    page = client.get("/articol/" + quote(article_id, safe=""), query_string={"q": article_id}, follow_redirects=True)
    if article_id in known:
        assert api.status_code == 200 and api.get_json()["id"] == article_id
    else:
        assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"
        assert page.status_code == 404
    check_page(page, page_tags)


# --- hostile articles: shown as text everywhere ----------------------------------------------------


@pytest.mark.parametrize("article", HOSTILE, ids=lambda a: a["id"])
def test_hostile_articles_are_text_in_results_snippets_and_article_pages(client, page_tags, article):
    quoted = quote(article["id"], safe="")
    for url in ("/?q=pisici&per_page=50", "/?q=pisici&per_page=50&year=2020", "/?q=pisici&sort=newest&per_page=50",
                "/?q=pisicii&per_page=50", f"/articol/{quoted}", f"/articol/{quoted}?q=pisici"):
        html = check_page(client.get(url), page_tags)
        assert "<zz9" not in html and "<script" not in html.replace(OWN_SCRIPT, "")
    page = client.get(f"/articol/{quoted}?q=pisici").get_data(as_text=True)
    assert 'href="javascript:' not in page.replace(" ", "")
    api = client.get(f"/api/articles/{quoted}").get_json()
    assert api["id"] == article["id"] and api["text"].startswith(article["text"].split("\n")[0][:10])
    results = check_api(client.get("/api/search", query_string={"q": "pisici", "per_page": "100"}))
    assert article["id"] in {h["id"] for h in results["hits"]}


def test_entity_encoded_markup_is_decoded_to_text_and_then_escaped(client):
    """`&lt;script&gt;` in a source is decoded once at indexing (the contract's rule for web
    text) and escaped again on every page: never live markup, never double-escaped."""
    page = client.get("/articol/xss-7").get_data(as_text=True)
    text = page[page.index('<div class="article-text">'):]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&amp;lt;script" not in text


@pytest.mark.parametrize("url", ["/", "/?q=<script>", "/articol/xss-0", "/articol/nu", "/api/search?q=x",
                                 "/api/search?page=0", "/api/articles/nu", "/healthz", "/api/openapi.json"])
def test_security_headers(client, url):
    headers = client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "object-src 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")


# --- expensive queries ---------------------------------------------------------------------------


@pytest.mark.parametrize("q", [
    "*", "a*", "p*", "*a", "?*", " ".join(f"{c}*" for c in "abcdefghijklmnoprstuvz"),
    " OR ".join(["pisici"] * 500)[:1000], "(" * 400 + "pisici" + ")" * 400, '"' + "pisici " * 140 + '"',
    "NOT " * 250, "-" * 1000, "pisici~" * 100, "a* OR b* OR c* OR d* OR e* OR f* OR g* OR h*",
])
def test_expensive_queries_are_bounded_and_answered(client, q):
    body = check_api(client.get("/api/search", query_string={"q": q}))
    assert "total" in body, body


def test_query_length_is_capped_with_the_contracts_error(client):
    limit = config.setting("max_query_chars")
    assert client.get("/api/search", query_string={"q": "a" * limit}).status_code == 200
    body = check_api(client.get("/api/search", query_string={"q": "a" * (limit + 1)}))
    assert body["error"]["code"] == "query_too_long"


def test_term_count_is_capped_with_a_notice(client):
    words = [f"cuvant{n}" for n in range(config.setting("max_query_terms") + 20)]
    body = check_api(client.get("/api/search", query_string={"q": " ".join(words + ["pisici"])}))
    assert body["notices"] and str(config.setting("max_query_terms")) in " ".join(body["notices"])


def with_settings(client, **settings):
    """A client of the same index on an app with other settings (nothing global changes)."""
    return create_app({"INDEX_DIR": client.application.config["INDEX_DIR"], "TESTING": True,
                       "SETTINGS": config.Settings.defaults().replace(**settings)}).test_client()


def test_prefix_expansion_is_capped(client):
    """With the cap at 2 terms, `pr*` (many index terms) finds fewer articles than uncapped."""
    everything = check_api(client.get("/api/search", query_string={"q": "pr*", "per_page": "100"}))["total"]
    capped_client = with_settings(client, max_prefix_terms=2)
    capped = check_api(capped_client.get("/api/search", query_string={"q": "pr*", "per_page": "100"}))["total"]
    assert 0 < capped < everything


def test_a_search_cut_by_the_time_limit_is_answered_and_flagged_partial(client):
    full = check_api(client.get("/api/search", query_string={"q": "pisici OR soldati"}))
    assert full["partial"] is False
    hurried = with_settings(client, search_time_limit=-1.0)
    cut = check_api(hurried.get("/api/search", query_string={"q": "pisici OR soldati"}))
    assert cut["partial"] is True and len(cut["hits"]) < len(full["hits"])
    assert any("parțial" in notice for notice in cut["notices"])
    page = hurried.get("/", query_string={"q": "pisici OR soldati"})
    assert page.status_code == 200 and "rezultatele pot fi incomplete" in page.get_data(as_text=True)
