"""A plain install works: the wheel carries the templates, the static files and the data files,
so a searchapp installed without the source tree serves its pages (issue 19)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT, SEEDS

pytestmark = pytest.mark.slow


def run(*command, **kwargs) -> str:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_wheel_installs_into_a_fresh_venv_and_serves_a_search_page(tmp_path):
    # Built from a copy of the sources: a `build/` folder left in the tree by an earlier build
    # would hand the wheel files the package data no longer declares.
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "index", ".solrcloud", "target", "__pycache__", ".hypothesis"))
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", source)
    wheel = next((tmp_path / "dist").glob("searchapp-*.whl"))
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel)
    index_dir = tmp_path / "ix"
    # Run away from the source tree, so that nothing can come from it.
    run(venv / "bin" / "searchapp", "reindex", "--source", SEEDS, "--index", index_dir, "-q", cwd=tmp_path)
    page = run(python, "-c", f"""
import searchapp, sys
from searchapp.web import create_app
assert "site-packages" in searchapp.__file__, searchapp.__file__
from importlib.resources import files
from searchapp.engines.whoosh import synonyms
assert synonyms.CURATED.is_file() and len(synonyms.current().groups) >= 40, synonyms.CURATED
assert files("searchapp.engines.solr").joinpath("configset/schema.xml").is_file()
client = create_app({{"INDEX_DIR": {str(index_dir)!r}}}).test_client()
for url in ("/?q=soldati", "/static/style.css", "/static/suggest.js", "/cautare-avansata", "/nicaieri"):
    response = client.get(url)
    print(url, response.status_code)
    sys.stdout.write(response.get_data(as_text=True)[:20000] if url.startswith("/?") else "")
""", cwd=tmp_path)
    assert "/?q=soldati 200" in page and "/static/style.css 200" in page and "/static/suggest.js 200" in page
    assert "/cautare-avansata 200" in page and "/nicaieri 404" in page
    assert "<mark>soldaților</mark>" in page or "<mark>soldați</mark>" in page
