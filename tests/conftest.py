"""Shared fixtures: a small Romanian index built once per session in a temp folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchapp.engines.whoosh import index
from searchapp.engines.whoosh.archive import Archive

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """An index of the five seed articles (read-only: do not write to it in tests)."""
    index_dir = tmp_path_factory.mktemp("seed-index")
    index.rebuild(index_dir, [SEEDS])
    return index_dir


@pytest.fixture(scope="session")
def archive(seed_index) -> Archive:
    return Archive(seed_index)


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    """A writable copy of the seeds, for tests that add, change or break articles."""
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def corpus_path(*parts: str) -> Path:
    """A path inside ../shared/corpus, or skip the test cleanly when it is not there."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"corpus file {path} not present")
    return path


# The modules of the `bench` extra (setup.cfg) that bench/ imports; py-spy is a program, not one.
BENCH_MODULES = ["ir_measures", "tantivy", "matplotlib", "lightgbm"]


def pytest_collection_modifyitems(config, items):
    """Tests marked `solr` need a SolrCloud (scripts/test starts one): skipped without one.
    Tests marked `bench` run bench/'s scripts: skipped without the `bench` extra."""
    import importlib.util
    import os

    skips = {}
    if not os.environ.get("SEARCHAPP_SOLR_URL"):
        skips["solr"] = "SEARCHAPP_SOLR_URL is not set (start one: export \"$(scripts/solrcloud start)\")"
    missing = [name for name in BENCH_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        skips["bench"] = f"the bench extra is not installed (no {', '.join(missing)}): pip install -e '.[test,bench]'"
    for item in items:
        for marker, reason in skips.items():
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))
                break


# --- both engines (the Solr engine needs a running SolrCloud: SEARCHAPP_SOLR_URL) ----------------

ENGINES = ["whoosh", pytest.param("solr", marks=pytest.mark.solr)]


@pytest.fixture(scope="session")
def solr_urls() -> str:
    """The test cluster's node URLs, or skip cleanly (start one: `eval "$(scripts/solrcloud start)"`)."""
    import os

    urls = os.environ.get("SEARCHAPP_SOLR_URL", "").strip()
    if not urls:
        pytest.skip("SEARCHAPP_SOLR_URL is not set: no SolrCloud to test against")
    return urls


@pytest.fixture(scope="session")
def solr_aliases(solr_urls):
    """Makes unique alias names for a test session and drops them (and their collections) at the end."""
    import os

    from searchapp.engines.solr import SolrEngine
    from searchapp.engines.solr.admin import drop

    made = []

    def new(name: str) -> str:
        alias = f"t_{name}_{os.getpid()}_{len(made)}"
        made.append(alias)
        return alias

    yield new
    engine = SolrEngine(solr_urls.split(","))
    for alias in made:
        drop(engine.client, alias)


def solr_engine(solr_urls: str, alias: str):
    from searchapp.engines import open_engine

    return open_engine("solr", alias, solr_urls)


@pytest.fixture(scope="session")
def solr_seed_alias(solr_urls, solr_aliases) -> str:
    """A Solr collection of the five seed articles (read-only), 2 shards x 2 replicas."""
    alias = solr_aliases("seeds")
    solr_engine(solr_urls, alias).rebuild([SEEDS])
    return alias
