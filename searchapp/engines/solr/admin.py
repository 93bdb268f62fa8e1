"""SolrCloud administration through the Collections and Configsets APIs: the configset, the
collections behind an alias, the alias itself, and the cluster's shape."""

from __future__ import annotations

import hashlib
import io
import os
import time
import zipfile
from pathlib import Path

from ...errors import SearchappError
from .client import SolrClient, SolrError

ADMIN_TIMEOUT = 300.0  # creating a collection of 2 x 2 cores on a busy 2-core machine takes a while


CONFIGSET_ENV = "SEARCHAPP_SOLR_CONFIGSET"


def configset_files() -> dict[str, bytes]:
    """The packaged configset (configset.py), every file by its path inside the configset; a
    folder named by SEARCHAPP_SOLR_CONFIGSET instead, for trying a changed configset."""
    folder = os.environ.get(CONFIGSET_ENV)
    if folder:
        root = Path(folder)
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    from . import configset

    return configset.configset_files()


def configset_name(files: dict[str, bytes], prefix: str = "searchapp") -> str:
    """A name that changes whenever any file does: `searchapp-<hash>`."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return f"{prefix}-{digest.hexdigest()[:12]}"


def ensure_configset(client: SolrClient, files: dict[str, bytes]) -> str:
    """Upload the configset unless the cluster has it already (same name, same content)."""
    name = configset_name(files)
    if name in client.get("/admin/configs", {"action": "LIST"}).get("configSets", []):
        return name
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            archive.writestr(path, files[path])
    client.post("/admin/configs", {"action": "UPLOAD", "name": name}, data=buffer.getvalue(),
                headers={"Content-Type": "application/octet-stream"}, timeout=ADMIN_TIMEOUT)
    return name


def aliases(client: SolrClient) -> dict[str, str]:
    return client.get("/admin/collections", {"action": "LISTALIASES"}).get("aliases", {})


def collections(client: SolrClient) -> list[str]:
    return client.get("/admin/collections", {"action": "LIST"}).get("collections", [])


def alias_target(client: SolrClient, alias: str) -> str | None:
    """The collection the alias points to (one), or None when there is no such alias."""
    target = aliases(client).get(alias)
    return target.split(",")[0] if target else None


def create_collection(client: SolrClient, name: str, config: str, shards: int, replicas: int) -> None:
    client.post("/admin/collections", {
        "action": "CREATE", "name": name, "collection.configName": config, "numShards": shards,
        "replicationFactor": replicas, "waitForFinalState": "true",
    }, timeout=ADMIN_TIMEOUT, retry_server_errors=False)


def delete_collection(client: SolrClient, name: str) -> None:
    try:
        client.post("/admin/collections", {"action": "DELETE", "name": name}, timeout=ADMIN_TIMEOUT,
                    retry_server_errors=False)
    except SolrError as exc:
        if exc.http_status != 400 or "not" not in exc.message.lower():  # already gone is fine
            raise


def point_alias(client: SolrClient, alias: str, collection: str) -> None:
    """CREATEALIAS replaces an existing alias atomically: searches see the old or the new one."""
    client.post("/admin/collections", {"action": "CREATEALIAS", "name": alias, "collections": collection},
                timeout=ADMIN_TIMEOUT)


def cluster_shape(client: SolrClient, collection: str) -> dict:
    """Shards, replicas (active / all) and live nodes of the collection's cluster."""
    status = client.get("/admin/collections", {"action": "CLUSTERSTATUS", "collection": collection})
    cluster = status.get("cluster", {})
    state = cluster.get("collections", {}).get(collection, {})
    shards = state.get("shards", {})
    replicas = [r for shard in shards.values() for r in shard.get("replicas", {}).values()]
    return {
        "shards": len(shards),
        "replicas": len(replicas),
        "active_replicas": sum(1 for r in replicas if r.get("state") == "active"),
        "live_nodes": len(cluster.get("live_nodes", [])),
    }


def delete_alias(client: SolrClient, alias: str) -> None:
    client.post("/admin/collections", {"action": "DELETEALIAS", "name": alias}, timeout=ADMIN_TIMEOUT,
                retry_server_errors=False)


def drop(client: SolrClient, alias: str) -> None:
    """The alias and its collection gone (tests clean up with it)."""
    target = alias_target(client, alias)
    if target is not None:
        delete_alias(client, alias)
        delete_collection(client, target)


def wait_for_alias(client: SolrClient, alias: str, collection: str, timeout: float = 30.0) -> None:
    """Until every live node answers that `alias` names `collection` (or `timeout` passes)."""
    deadline = time.monotonic() + timeout
    for node in client.nodes:
        while time.monotonic() < deadline:
            try:
                seen = client.on_node(node, "/admin/collections", {"action": "LISTALIASES"}).get("aliases", {})
            except SearchappError:
                break  # a node that does not answer gets no searches either
            if seen.get(alias, "").split(",")[0] == collection:
                break
            time.sleep(0.1)


def live_nodes(client: SolrClient) -> list[str]:
    return client.get("/admin/collections", {"action": "CLUSTERSTATUS"}).get("cluster", {}).get("live_nodes", [])
