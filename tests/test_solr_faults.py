"""Faults on a real 3-node SolrCloud, a collection of 2 shards x 2 replicas: a node killed while
searches run, brought back, a reindex under load, a reindex killed mid-way, every node stopped.

The cluster is the one SEARCHAPP_SOLR_URL names, started by `scripts/solrcloud start` with the
same SOLRCLOUD_DIR / SOLRCLOUD_PORT in this environment (the tests stop and start its nodes).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from searchapp.cli import main
from searchapp.engines.solr import admin
from searchapp.params import parse_params
from searchapp.web import create_app

from .conftest import ROOT, solr_engine

pytestmark = [pytest.mark.solr, pytest.mark.slow]

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SOURCES = [ROOT / "seeds", FIXTURES / "archive.jsonl", FIXTURES / "hostile.jsonl"]
QUERIES = ["soldati", "rachete", "Kim OR Putin", '"coreea de nord"', "rachet*", "pisici", "țări", ""]
SCRIPT = Path(os.environ.get("SEARCHAPP_SOLRCLOUD_SCRIPT") or ROOT / "scripts" / "solrcloud")


def solrcloud(*args: str) -> None:
    subprocess.run([sys.executable, str(SCRIPT), *args], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE, timeout=300)


@pytest.fixture(scope="module")
def alias(solr_urls, solr_aliases) -> str:
    if not SCRIPT.exists():
        pytest.skip(f"{SCRIPT} not found (the local SolrCloud launcher)")
    # Nodes are killed here: only those of the cluster this launcher runs, never another one.
    status = subprocess.run([sys.executable, str(SCRIPT), "status"], capture_output=True, text=True, timeout=60)
    if status.stdout.strip() != f"SEARCHAPP_SOLR_URL={solr_urls}":
        pytest.skip("SEARCHAPP_SOLR_URL is not the cluster that scripts/solrcloud runs here (same SOLRCLOUD_DIR?)")
    engine = solr_engine(solr_urls, solr_aliases("faults"))
    if len(admin.live_nodes(engine.client)) != 3:
        pytest.skip("the fault tests need the 3-node cluster, every node live")
    engine.rebuild(SOURCES, shards=2, replicas=2)
    return engine.alias


@pytest.fixture(scope="module")
def expected(solr_urls, alias) -> dict[str, int]:
    engine = solr_engine(solr_urls, alias)
    return {q: engine.search(parse_params({"q": q})).total for q in QUERIES}


def complete_totals(engine, timeout: float = 60) -> dict[str, int]:
    """Every query's total from a complete answer: the first searches of a restarted node (cold
    caches, code not yet compiled) may pass the time limit and say `partial`, so those are asked
    again (a run saw `rachete` partial with a total of 0 right after start-node)."""
    totals, deadline = {}, time.monotonic() + timeout
    for q in QUERIES:
        while (result := engine.search(parse_params({"q": q}))).partial and time.monotonic() < deadline:
            time.sleep(1)
        assert not result.partial, f"{q!r} still partial after {timeout} s"
        totals[q] = result.total
    return totals


class Load:
    """Threads searching without pause; every failure and every incomplete answer is kept."""

    def __init__(self, engine, expected: dict[str, int], threads: int = 2):
        self.engine, self.expected = engine, expected
        self.failures: list[str] = []
        self.partial: list[str] = []
        self.count = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        while not self._stop.is_set():
            for q, total in self.expected.items():
                try:
                    result = self.engine.search(parse_params({"q": q}))
                except Exception as exc:  # noqa: BLE001 - every failure is the finding
                    self.failures.append(f"{q!r}: {type(exc).__name__}: {exc}")
                    continue
                self.count += 1
                if result.partial:
                    # The time limit (timeAllowed) cut it short, and the answer says so.
                    self.partial.append(q)
                elif result.total != total:
                    self.failures.append(f"{q!r}: total {result.total} (expected {total})")

    def __enter__(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


def test_a_killed_node_fails_no_search_and_rejoins(solr_urls, alias, expected):
    engine = solr_engine(solr_urls, alias)
    try:
        with Load(engine, expected) as load:
            time.sleep(1)
            solrcloud("stop-node", "1")  # SIGKILL: the first URL the client knows
            # Searches go on through ZooKeeper noticing (its session timeout) and the leaders moving.
            deadline = time.monotonic() + 60
            while len(admin.live_nodes(engine.client)) != 2 and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(3)
        assert load.failures == [] and load.partial == [], (load.failures[:5], load.partial[:5])
        assert load.count > 20
        assert len(admin.live_nodes(engine.client)) == 2
    finally:
        solrcloud("start-node", "1")
    shape = admin.cluster_shape(engine.client, admin.alias_target(engine.client, alias))
    assert shape["live_nodes"] == 3 and shape["active_replicas"] == shape["replicas"] == 4
    assert complete_totals(engine) == expected


def test_reindex_under_load_moves_the_alias_without_a_failed_search(solr_urls, alias, expected):
    engine = solr_engine(solr_urls, alias)
    before = admin.alias_target(engine.client, alias)
    with Load(engine, expected) as load:
        summary = solr_engine(solr_urls, alias).rebuild(SOURCES)
        time.sleep(1)
    assert summary.indexed == 39
    # On this shared 2-core machine, creating the new collection's four cores can stall a search
    # past the time limit: such an answer is `partial` (seen twice in one run), never a failure.
    assert load.failures == [], load.failures[:5]
    assert len(load.partial) <= load.count // 10, load.partial
    after = admin.alias_target(engine.client, alias)
    assert after != before and before not in admin.collections(engine.client)


def test_a_killed_reindex_leaves_the_alias_on_the_old_collection(solr_urls, alias, expected):
    engine = solr_engine(solr_urls, alias)
    before = admin.alias_target(engine.client, alias)
    searchapp = Path(sys.executable).with_name("searchapp")
    sources = [arg for path in SOURCES for arg in ("--source", str(path))]
    writer = subprocess.Popen([str(searchapp), "reindex", "-q", "--engine", "solr", "--solr-url", solr_urls,
                               "--index", alias, *sources],
                              env={**os.environ, "SEARCHAPP_FAULT_POINT": "rebuild:added"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_stopped(writer.pid)  # it stops itself after sending its first batch
        half_built = [c for c in admin.collections(engine.client) if c.startswith(alias + "_") and c != before]
        assert half_built, "the reindex had created its new collection"
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
    assert admin.alias_target(engine.client, alias) == before
    assert complete_totals(engine) == expected
    # The next reindex succeeds and removes the killed one's collection.
    engine.rebuild(SOURCES)
    left = [c for c in admin.collections(engine.client) if c.startswith(alias + "_")]
    assert left == [admin.alias_target(engine.client, alias)]


def _wait_until_stopped(pid: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "T":
                return
        time.sleep(0.1)
    pytest.fail("the reindex never reached its fault point")


def test_every_node_stopped_gives_clean_503s_then_serves_again(solr_urls, alias, expected, runner):
    client = create_app({"ENGINE": "solr", "SOLR_URL": solr_urls, "INDEX_DIR": alias}).test_client()
    try:
        for node in ("1", "2", "3"):
            solrcloud("stop-node", node)
        for url in ("/healthz", "/api/search?q=soldati", "/api/articles/001_1cc27a957bb943bb"):
            response = client.get(url)
            assert response.status_code == 503, url
            assert response.get_json()["error"]["code"] == "engine_unavailable"
        response = client.get("/?q=soldati")
        assert response.status_code == 503 and "Căutarea nu este disponibilă" in response.get_data(as_text=True)
        result = runner.invoke(main, ["search", "soldati", "--engine", "solr", "--solr-url", solr_urls, "--index", alias])
        assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
        assert "Solr cannot be reached" in result.stderr and "Traceback" not in result.stderr
    finally:
        # Together: a shard's first replica back waits for the others before it leads.
        starts = [subprocess.Popen([sys.executable, str(SCRIPT), "start-node", k], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL) for k in ("1", "2", "3")]
        for start in starts:
            start.wait(timeout=300)
    assert client.get("/healthz").status_code == 200
    assert complete_totals(solr_engine(solr_urls, alias)) == expected
