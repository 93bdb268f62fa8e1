"""The local SolrCloud (scripts/solrcloud) and the package's configset, on a real cluster.

scripts/test starts the cluster and exports SEARCHAPP_SOLR_URL; the tests marked `solr` use it
(and skip without it). The tests that kill and restart a node run only when that cluster is the
one scripts/solrcloud runs here (same SOLRCLOUD_DIR / SOLRCLOUD_PORT), never against another.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
import zipfile
from pathlib import Path

import pytest

from searchapp import romanian
from searchapp.engines.whoosh import analysis
from searchapp.engines.solr import configset

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "solrcloud"

ARTICLES = [
    {"id": "soldati", "title": "Soldații ruși la Kursk", "date": "2025-03-01", "year": "2025", "month": "2025-03",
     "body": "Soldaților li s-a cerut să plece. Armata are 15.000 de soldați în regiune.", "source": "a"},
    {"id": "tari-comma", "title": "Țări vecine", "date": "2024-01-02", "year": "2024", "month": "2024-01",
     "body": "Țările din regiune își închid granițele.", "source": "b"},
    {"id": "tari-cedilla", "title": "Ţări nordice", "date": "2024-05-06", "year": "2024", "month": "2024-05",
     "body": "Ţările nordice şi vecinii lor.", "source": "b"},
    {"id": "tari-plain", "title": "Tari si mari", "year": "none", "month": "none",
     "body": "Tari si mari, scris fara diacritice.", "source": "c"},
    {"id": "fata", "title": "Fata și mama", "date": "2023-07-08", "year": "2023", "month": "2023-07",
     "body": "O fată a ieșit din casă cu fața spre mare.", "source": "a"},
] + [{"id": f"filler-{i}", "title": f"Știre {i}", "body": f"Rachete și obuze, numărul {i}.", "year": "2022",
      "month": "2022-01", "date": "2022-01-01", "source": "d"} for i in range(20)]

# Texts whose terms the Solr analysis must give exactly as the Whoosh engine's analysis does.
SAMPLES = [
    "Soldaţii şi soldații, într-o ŢARĂ de 15.000 de locuitori: s-a întâmplat!",
    "Ministerul Afacerilor Externe a transmis, joi, că 1.234.567 de lei (3,5%) au fost alocați.",
    "Copiii merg la școală; fetele își fac temele. Imunodeficienței, imunodeficiență.",
    "Președintele Klaus Iohannis a declarat că România nu va trimite trupe în Ucraina.",
]


def solr_urls() -> list[str]:
    return [u.strip().rstrip("/") for u in os.environ.get("SEARCHAPP_SOLR_URL", "").split(",") if u.strip()]


def get(base: str, path: str, timeout: float = 30, **params) -> dict:
    query = urllib.parse.urlencode({"wt": "json", **params})
    with urllib.request.urlopen(f"{base}{path}?{query}", timeout=timeout) as response:
        return json.load(response)


def post(base: str, path: str, body: bytes, content_type: str, **params) -> dict:
    request = urllib.request.Request(f"{base}{path}?{urllib.parse.urlencode({'wt': 'json', **params})}", data=body,
                                     headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)


def script(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)


def cluster_state(base: str) -> dict:
    return get(base, "/admin/collections", action="CLUSTERSTATUS")["cluster"]


def search(base: str, collection: str, q: str, **params) -> list[str]:
    found = get(base, f"/{collection}/select", q=q, defType="edismax", qf="title body", fl="id", rows=100, **params)
    assert not found["responseHeader"].get("partialResults")
    return sorted(doc["id"] for doc in found["response"]["docs"])


# --- the configset, without a cluster -----------------------------------------------------------


def test_stop_list_holds_every_romanian_spelling_of_each_stop_word():
    words = set(configset.stopwords_text().splitlines()[2:])
    assert {"si", "și", "atat", "atât", "atît", "într", "intr"} <= words
    assert all(romanian.is_stop_word(word) for word in words)
    assert "fata" not in words and "față" not in words  # analysis.KEPT_WORDS stay searchable
    assert romanian.stop_words() <= words


def test_configset_files_are_the_folder_and_the_generated_stop_list():
    files = configset.configset_files()
    assert set(files) == {"schema.xml", "solrconfig.xml", "mapping-romanian.txt", "stopwords.txt"}
    assert b'words="stopwords.txt"' in files["schema.xml"]
    assert not (configset.FOLDER / "stopwords.txt").exists()  # generated, never committed


# --- the cluster ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def urls() -> list[str]:
    found = solr_urls()
    if not found:
        pytest.skip("SEARCHAPP_SOLR_URL is not set")
    return found


@pytest.fixture(scope="module")
def local_cluster(urls) -> list[str]:
    """The URLs, when scripts/solrcloud here runs that cluster (it may kill and restart nodes)."""
    status = script("status", timeout=60)
    line = f"SEARCHAPP_SOLR_URL={','.join(urls)}"
    if status.returncode != 0 or status.stdout.strip() != line:
        pytest.skip("SEARCHAPP_SOLR_URL is not the cluster that scripts/solrcloud runs here")
    if len(urls) < 3:
        pytest.skip("the fault tests need 3 nodes")
    return urls


@pytest.fixture(scope="module")
def collection(urls):
    """A 2-shard x 2-replica collection on the package's configset, with ARTICLES indexed."""
    base = urls[0]
    name = f"test_solrcloud_{uuid.uuid4().hex[:8]}"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for path, content in configset.configset_files().items():
            zipped.writestr(path, content)
    post(base, "/admin/configs", archive.getvalue(), "application/octet-stream", action="UPLOAD", name=name)
    get(base, "/admin/collections", timeout=180, action="CREATE", name=name, numShards=2, replicationFactor=2,
        **{"collection.configName": name, "waitForFinalState": "true"})
    post(base, f"/{name}/update", json.dumps(ARTICLES).encode(), "application/json", commit="true")
    yield name
    get(base, "/admin/collections", timeout=180, action="DELETE", name=name)
    get(base, "/admin/configs", action="DELETE", name=name)


@pytest.mark.solr
def test_start_again_prints_the_same_url_line(local_cluster):
    started = script("start", "--nodes", str(len(local_cluster)))
    assert started.returncode == 0, started.stderr
    assert started.stdout == f"SEARCHAPP_SOLR_URL={','.join(local_cluster)}\n"


@pytest.mark.solr
def test_every_node_is_live(urls):
    live = set(cluster_state(urls[0])["live_nodes"])
    assert {urllib.parse.urlsplit(u).netloc + "_solr" for u in urls} <= live


@pytest.mark.solr
def test_collection_has_two_shards_of_two_active_replicas_on_different_nodes(urls, collection):
    shards = cluster_state(urls[0])["collections"][collection]["shards"]
    assert len(shards) == 2
    for shard in shards.values():
        replicas = list(shard["replicas"].values())
        assert [r["state"] for r in replicas] == ["active", "active"]
        assert len({r["node_name"] for r in replicas}) == 2


@pytest.mark.solr
def test_romanian_matching(urls, collection):
    base = urls[0]
    assert search(base, collection, "soldati") == ["soldati"]
    assert search(base, collection, "soldaților") == ["soldati"]
    tari = search(base, collection, "tari")
    assert tari == ["tari-cedilla", "tari-comma", "tari-plain"]
    assert search(base, collection, "țări") == tari
    assert search(base, collection, "ţări") == tari
    assert search(base, collection, "15000") == ["soldati"]
    assert search(base, collection, "si") == []  # a stop word, with or without diacritics
    assert search(base, collection, "fata") == ["fata"]  # kept: a word readers search for


@pytest.mark.solr
def test_exact_field_keeps_diacritics(urls, collection):
    base = urls[0]
    assert search(base, collection, "exact:țări") == ["tari-cedilla", "tari-comma"]
    assert search(base, collection, "exact:ţări") == ["tari-cedilla", "tari-comma"]
    assert search(base, collection, "exact:soldaților") == ["soldati"]  # the written form, any case
    assert search(base, collection, "exact:fată") == search(base, collection, "exact:fața") == ["fata"]
    assert search(base, collection, "exact:față") == []  # written forms: the article has fată and fața


@pytest.mark.parametrize("text", SAMPLES)
@pytest.mark.solr
def test_solr_analysis_gives_the_whoosh_engine_terms(urls, collection, text):
    analysed = get(urls[0], f"/{collection}/analysis/field", **{"analysis.fieldname": "body,exact",
                                                                 "analysis.fieldvalue": text})
    fields = analysed["analysis"]["field_names"]
    assert [t["text"] for t in fields["body"]["index"][-1]] == analysis.match_terms(text)
    # The Whoosh engine's exact terms are `key|Form`; Solr's are the forms in lower case.
    exact = [t.text.split(romanian.FORM_SEPARATOR, 1)[1].lower() for t in analysis.exact_analyzer()(text)]
    assert [t["text"] for t in fields["exact"]["index"][-1]] == exact


@pytest.mark.solr
def test_facets_highlighting_spelling_and_similar_articles(urls, collection):
    base = urls[0]
    facets = get(base, f"/{collection}/select", q="*:*", rows=0,
                 **{"json.facet": json.dumps({"years": {"type": "terms", "field": "year"}})})["facets"]
    assert {b["val"]: b["count"] for b in facets["years"]["buckets"]} == {"2022": 20, "2023": 1, "2024": 2,
                                                                          "2025": 1, "none": 1}
    found = get(base, f"/{collection}/select", q="soldati", defType="edismax", qf="title body", hl="true",
                **{"hl.fl": "body"})
    assert found["highlighting"]["soldati"]["body"] == [
        "<mark>Soldaților</mark> li s-a cerut să plece. Armata are 15.000 de <mark>soldați</mark> în regiune."]
    spelled = get(base, f"/{collection}/select", q="x", rows=0, spellcheck="true",
                  **{"spellcheck.q": "regune", "spellcheck.count": 5})["spellcheck"]
    assert spelled["suggestions"][1]["suggestion"][0] == "regiune"
    similar = search(base, collection, "{!mlt qf=title,body mintf=1 mindf=1}tari-comma")
    assert "tari-cedilla" in similar


@pytest.mark.solr
def test_a_killed_node_is_dead_the_others_serve_and_it_rejoins(local_cluster, collection):
    nodes = {urllib.parse.urlsplit(u).netloc + "_solr": k for k, u in enumerate(local_cluster, 1)}
    state = cluster_state(local_cluster[0])["collections"][collection]["shards"]
    leaders = [r["node_name"] for shard in state.values() for r in shard["replicas"].values() if r.get("leader")]
    victim = nodes[leaders[0]]  # a shard leader's node: its shard must elect the other replica
    others = [u for k, u in enumerate(local_cluster, 1) if k != victim]
    everything = search(others[0], collection, "*:*")
    assert len(everything) == len(ARTICLES)

    killed = script("stop-node", str(victim))
    assert killed.returncode == 0, killed.stderr
    with pytest.raises(OSError):  # refused, or reset while the kernel closes its sockets
        get(local_cluster[victim - 1], "/admin/info/system", timeout=5)
    # Right after the crash, and until ZooKeeper drops the node (its session timeout), every
    # search through the other nodes finds every article.
    deadline = time.monotonic() + 60
    while leaders[0] in cluster_state(others[0])["live_nodes"]:
        assert time.monotonic() < deadline, "the killed node stayed live in ZooKeeper"
        for base in others:
            assert search(base, collection, "*:*") == everything
        time.sleep(1)
    wait_until(lambda: _every_shard_has_a_live_leader(cluster_state(others[0]), collection))
    for base in others:
        assert search(base, collection, "*:*") == everything
        assert search(base, collection, "țări") == ["tari-cedilla", "tari-comma", "tari-plain"]

    restarted = script("start-node", str(victim))
    assert restarted.returncode == 0, restarted.stderr
    state = cluster_state(local_cluster[0])
    assert leaders[0] in state["live_nodes"]
    replicas = [r for shard in state["collections"][collection]["shards"].values() for r in shard["replicas"].values()]
    assert [r["state"] for r in replicas] == ["active"] * 4
    assert search(local_cluster[victim - 1], collection, "*:*", distrib="true") == everything


def _every_shard_has_a_live_leader(state: dict, collection: str) -> bool:
    live = set(state["live_nodes"])
    return all(any(r.get("leader") and r["state"] == "active" and r["node_name"] in live
                   for r in shard["replicas"].values())
               for shard in state["collections"][collection]["shards"].values())


def wait_until(condition, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)
