"""Rules of the source tree that keep it readable: docs render as written, modules stay small,
and subpackages reach the core's internals only through its declared internal modules."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "multilabel_attr"

SPHINX_ROLE = re.compile(r":(?:py:)?(?:class|func|mod|attr|data|meth|obj|exc|const|ref):`")


def _python_files() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_no_sphinx_roles_in_docstrings_or_docs() -> None:
    # mkdocstrings shows Sphinx roles as raw text; cross-references are [`name`][full.path].
    files = [*_python_files(), *sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]
    files += sorted((ROOT / "examples").glob("*.py")) + sorted((ROOT / "benchmarks").glob("*.py"))
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if SPHINX_ROLE.search(line)
    ]
    assert found == []
