"""An index with several sources for the archive-experience tests (issue 20): the seeds (source
"seeds", their folder's name), the invented archive ("arhiva de test", 2022-2026), the hostile
articles and fixtures/sources.jsonl (three more sources, bridges, 2023-2025, one undated)."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchapp.engines.whoosh import index
from searchapp.web import create_app

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SOURCES = [ROOT / "seeds", FIXTURES / "archive.jsonl", FIXTURES / "hostile.jsonl", FIXTURES / "sources.jsonl"]


@pytest.fixture(scope="module")
def sources_index(tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("sources-index")
    index.rebuild(index_dir, SOURCES)
    return index_dir


@pytest.fixture(scope="module")
def app(sources_index):
    return create_app({"INDEX_DIR": str(sources_index), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()
