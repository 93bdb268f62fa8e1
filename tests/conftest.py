"""Shared fixtures: a small Romanian index built once per session in a temp folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchapp import index
from searchapp.search import Archive

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


def pytest_collection_modifyitems(config, items):
    """Tests marked `solr` need a SolrCloud (scripts/test starts one): skipped without one."""
    import os

    if os.environ.get("SEARCHAPP_SOLR_URL"):
        return
    skip = pytest.mark.skip(reason="SEARCHAPP_SOLR_URL is not set (start one: export \"$(scripts/solrcloud start)\")")
    for item in items:
        if "solr" in item.keywords:
            item.add_marker(skip)
