"""An index with several sources for the archive-experience tests (issue 20): the seeds (source
"seeds", their folder's name), the invented archive ("arhiva de test", 2022-2026), the hostile
articles and fixtures/sources.jsonl (three more sources, bridges, 2023-2025, one undated)."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchapp.engines.whoosh import index
from searchapp.web import create_app

from .conftest import ENGINES, solr_engine

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SOURCES = [ROOT / "seeds", FIXTURES / "archive.jsonl", FIXTURES / "hostile.jsonl", FIXTURES / "sources.jsonl"]


@pytest.fixture(scope="module")
def sources_index(tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("sources-index")
    index.rebuild(index_dir, SOURCES)
    return index_dir


@pytest.fixture(scope="module", params=ENGINES)
def engine_config(request) -> dict:
    """The app's configuration naming these articles on each engine: the Whoosh folder, or a
    Solr collection of the same sources."""
    if request.param == "whoosh":
        return {"INDEX_DIR": str(request.getfixturevalue("sources_index"))}
    urls, alias = request.getfixturevalue("solr_urls"), request.getfixturevalue("solr_aliases")("sources")
    solr_engine(urls, alias).rebuild(SOURCES)
    return {"ENGINE": "solr", "SOLR_URL": urls, "INDEX_DIR": alias}


@pytest.fixture(scope="module")
def app(engine_config):
    return create_app({**engine_config, "TESTING": True})


@pytest.fixture
def on_engine(engine_config) -> list[str]:
    """The CLI's options naming the same articles."""
    engine = ["--engine", "solr", "--solr-url", engine_config["SOLR_URL"]] if "ENGINE" in engine_config else []
    return [*engine, "--index", engine_config["INDEX_DIR"]]


@pytest.fixture
def client(app):
    return app.test_client()
