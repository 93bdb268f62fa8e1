"""The engine seam as the code is laid out (issue 19): only the Whoosh engine's package imports
whoosh, and nothing outside an engine's package reaches into it (but the seam that opens one)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "searchapp"
WHOOSH_ENGINE = PACKAGE / "engines" / "whoosh"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, relative imports resolved to absolute names."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_only_the_whoosh_engine_imports_whoosh():
    outside = [str(p.relative_to(PACKAGE)) for p in modules()
               if WHOOSH_ENGINE not in p.parents
               and any(m == "whoosh" or m.startswith("whoosh.") for m in imported_modules(p))]
    assert outside == []


def test_no_module_reaches_into_an_engine_but_the_seam():
    seam = PACKAGE / "engines" / "__init__.py"
    reaching = []
    for path in modules():
        for engine in ("whoosh", "solr"):
            home = PACKAGE / "engines" / engine
            if path == seam or home in path.parents:
                continue
            if any(m.startswith(f"searchapp.engines.{engine}") for m in imported_modules(path)):
                reaching.append(f"{path.relative_to(PACKAGE)} -> {engine}")
    assert reaching == []


def test_the_checker_sees_imports(tmp_path):
    """The checks above would pass on a checker that finds nothing: it finds these."""
    found = imported_modules(WHOOSH_ENGINE / "archive.py")
    assert "whoosh.searching" in found and "searchapp.engines.whoosh.searching" in found
    assert "searchapp.config" in found
