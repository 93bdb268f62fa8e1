"""An Atom 1.0 feed (RFC 4287) of a search's newest matches, for alerts.

The feed is the search with its own order and size: the newest `feed_entries` (50) matches,
whatever `sort`, `page` or `per_page` say. An entry needs an `updated` instant, and no date is
ever invented for an article, so undated articles are left out of the feed (they sort after the
dated ones, so they are simply cut). An article's date is a day: entries carry it as that day at
00:00 UTC. The feed's own `updated` is its newest entry's, or, for a feed with no entry, the
time the index was last committed.

Each entry's source (the publication) is its `author` (RFC 4287 3.2: a Person construct may
name a corporation) and a `category`; `atom:source` is not used, since it describes a feed an
entry was copied from, and no article here comes from a feed.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace

from markupsafe import Markup

from .config import setting
from .params import SearchParams
from .results import Hit

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
# Characters XML 1.0 cannot carry at all, even escaped; an article's text could hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def feed_params(params: SearchParams) -> SearchParams:
    """The search a feed runs: the same query and filters, newest first, one page."""
    return replace(params, sort="newest", page=1, per_page=setting("feed_entries"))


def build_feed(archive, params: SearchParams, self_url: str, page_url: str,
               article_url: Callable[[Hit, bool], str]) -> bytes:
    """The feed as UTF-8 XML. `self_url` is the feed's absolute URL (also its id), `page_url`
    the results page it mirrors, `article_url(hit, with_query)` an article page's absolute URL."""
    result = archive.search(feed_params(params))
    hits = [hit for hit in result.hits if hit.date]
    ET.register_namespace("", ATOM)
    feed = ET.Element(_tag("feed"), {"{http://www.w3.org/XML/1998/namespace}lang": "ro"})
    _text(feed, "id", self_url)
    _text(feed, "title", f"„{params.q}” – Arhiva de știri" if params.q else "Arhiva de știri")
    _text(feed, "subtitle", f"Cele mai noi articole cu dată care corespund căutării (cel mult "
                            f"{setting('feed_entries')}); articolele fără dată nu apar în flux.")
    newest = _instant(hits[0].date) if hits else _committed(archive.committed())
    _text(feed, "updated", newest)
    ET.SubElement(feed, _tag("link"), {"rel": "self", "type": MEDIA_TYPE, "href": self_url})
    ET.SubElement(feed, _tag("link"), {"rel": "alternate", "type": "text/html", "href": page_url})
    author = ET.SubElement(feed, _tag("author"))
    _text(author, "name", "Arhiva de știri")
    _text(feed, "generator", "searchapp")
    for hit in hits:
        _entry(feed, hit, article_url(hit, False), article_url(hit, True))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _entry(feed: ET.Element, hit: Hit, article_id: str, link: str) -> None:
    entry = ET.SubElement(feed, _tag("entry"))
    _text(entry, "id", article_id)
    _text(entry, "title", hit.title)
    ET.SubElement(entry, _tag("link"), {"rel": "alternate", "type": "text/html", "href": link})
    _text(entry, "published", _instant(hit.date))
    _text(entry, "updated", _instant(hit.date))
    if hit.source:
        author = ET.SubElement(entry, _tag("author"))
        _text(author, "name", hit.source)
        ET.SubElement(entry, _tag("category"), {"term": _clean(hit.source), "label": _clean(hit.source)})
    # The snippet is HTML (escaped text, <mark> around matches); the summary is its plain text.
    _text(entry, "summary", Markup(hit.snippet).striptags()).set("type", "text")


def _tag(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def _text(parent: ET.Element, name: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, _tag(name))
    element.text = _clean(value)
    return element


def _clean(value: str) -> str:
    return _NOT_XML.sub("", value)


def _instant(day: str) -> str:
    return f"{day}T00:00:00Z"


def _committed(when: float | None) -> str:
    """The time the index was last written (now when the engine cannot say)."""
    when = dt.datetime.now(dt.timezone.utc).timestamp() if when is None else when
    return dt.datetime.fromtimestamp(when, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
