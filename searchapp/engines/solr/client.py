"""An HTTP client for a SolrCloud cluster that fails over between its node URLs.

Any node can answer any request (SolrCloud routes it to the shards' replicas), so a request
goes to one node and, on a connection error, a timeout or a 5xx, to the next. A node that failed
is skipped for `dead_seconds`, then tried again; when every node is marked dead they are all
tried anyway, so that a cluster that came back is found at once. When no node answers, the
error is `EngineUnavailable` (a 503 on the web, one line from the CLI), never a traceback.
"""

from __future__ import annotations

import itertools
import threading
import time
from urllib.parse import urlsplit

import requests

from ...errors import EngineUnavailable, SearchappError


class SolrError(SearchappError):
    """Solr refused a request (4xx): a bug on our side or a missing collection."""

    code = "engine_error"
    status = 500

    def __init__(self, message: str, http_status: int, body: dict | None = None):
        super().__init__(message)
        self.http_status = http_status
        self.body = body or {}


def node_base(url: str) -> str:
    """`http://host:8983` or `http://host:8983/solr/` -> `http://host:8983/solr`."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    return url if urlsplit(url).path.endswith("/solr") else url + "/solr"


class SolrClient:
    def __init__(self, urls: list[str], connect_timeout: float = 2.0, read_timeout: float = 30.0,
                 dead_seconds: float = 5.0):
        self.nodes = [node_base(u) for u in urls]
        self.timeout = (connect_timeout, read_timeout)
        self.dead_seconds = dead_seconds
        self._dead_until: dict[str, float] = {}
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self._local = threading.local()  # a requests.Session per thread (sessions are not thread-safe)

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _order(self) -> list[str]:
        """Live nodes first, in turn (spreads the load), then the ones marked dead."""
        now = time.monotonic()
        start = next(self._turn) % max(1, len(self.nodes))
        ring = self.nodes[start:] + self.nodes[:start]
        with self._lock:
            alive = [n for n in ring if self._dead_until.get(n, 0) <= now]
        return alive + [n for n in ring if n not in alive]

    def _mark(self, node: str, dead: bool) -> None:
        with self._lock:
            if dead:
                self._dead_until[node] = time.monotonic() + self.dead_seconds
            else:
                self._dead_until.pop(node, None)

    def request(self, method: str, path: str, params=None, json=None, data=None, headers=None,
                timeout: float | None = None, retry_server_errors: bool = True) -> dict:
        """JSON from the first node that answers; `path` is below /solr (e.g. `/articles/select`)."""
        if not self.nodes:  # said at the first request, so that an app without nodes still starts and answers 503
            raise EngineUnavailable("no Solr node given; set SEARCHAPP_SOLR_URL (or --solr-url) to the nodes' URLs")
        failures = []
        params = dict(params or {})
        params.setdefault("wt", "json")
        read_timeout = timeout or self.timeout[1]
        for node in self._order():
            try:
                response = self._session().request(method, node + path, params=params, json=json, data=data,
                                                   headers=headers, timeout=(self.timeout[0], read_timeout))
            except requests.RequestException as exc:
                self._mark(node, dead=True)
                failures.append(f"{node}: {type(exc).__name__}")
                continue
            if response.status_code >= 500 and retry_server_errors:
                self._mark(node, dead=True)
                failures.append(f"{node}: HTTP {response.status_code} {_message(response)}")
                continue
            self._mark(node, dead=False)
            if response.status_code >= 400:
                raise SolrError(_message(response), response.status_code, _json(response))
            return _json(response) or {}
        raise EngineUnavailable(
            "Solr cannot be reached (" + "; ".join(failures[:3]) + "); start the cluster or check SEARCHAPP_SOLR_URL")

    def on_node(self, node: str, path: str, params=None) -> dict:
        """A GET to one given node, no failover (e.g. to ask each node what it sees)."""
        try:
            response = self._session().get(node + path, params={"wt": "json", **(params or {})}, timeout=self.timeout)
        except requests.RequestException as exc:
            raise EngineUnavailable(f"{node} does not answer ({type(exc).__name__})") from None
        if response.status_code >= 400:
            raise SolrError(_message(response), response.status_code, _json(response))
        return _json(response) or {}

    def get(self, path: str, params=None, **kwargs) -> dict:
        return self.request("GET", path, params=params, **kwargs)

    def post(self, path: str, params=None, **kwargs) -> dict:
        return self.request("POST", path, params=params, **kwargs)


def _json(response: requests.Response) -> dict | None:
    try:
        return response.json()
    except ValueError:
        return None


def _message(response: requests.Response) -> str:
    body = _json(response) or {}
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("msg"):
        return str(error["msg"])
    return response.text[:200].strip() or response.reason
