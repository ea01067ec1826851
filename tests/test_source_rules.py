"""Rules of the source tree that keep it readable: docs render as written, modules stay small,
and subpackages reach the core's internals only through its declared internal modules."""

from __future__ import annotations

import ast
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


MAX_FILE_LINES = 600
MAX_FUNCTION_CODE_LINES = 80
SHARED_CORE_MODULES = ("multilabel_attr.core._validation", "multilabel_attr.core._internal")
# The threshold search declares what the scale-out engines reuse of it, as the core does; the
# models and CelebA packages declare the option checks the reproduction reuses.
DECLARED_INTERNAL_MODULES = (
    *SHARED_CORE_MODULES,
    "multilabel_attr.thresholds._internal",
    "multilabel_attr.calibration._internal",
    "multilabel_attr.models._internal",
    "multilabel_attr.datasets.celeba._internal",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module (or submodule imported by name) that ``path`` imports, made absolute."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            # ``from package import _module`` imports a private submodule too.
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names if a.name[0] == "_"]
    return [(line, target) for line, target in found if target.startswith("multilabel_attr")]


CORE = "multilabel_attr.core"
# The core's rooms, lowest first: a module may import its own room and the rooms below it.
CORE_ROOMS = ("counts", "metrics|ranking", "calibration", "report")


def _private_owner(target: str) -> str | None:
    """The package a private module belongs to (the parent of its first private part).

    The core's rooms are one package: they share its internals and declare them together.
    """
    parts = target.split(".")
    for index, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            owner = ".".join(parts[:index])
            return CORE if owner.startswith(CORE + ".") else owner
    return None


def test_packages_reach_other_packages_internals_only_through_the_declared_modules() -> None:
    offenders = []
    for path in _python_files():
        importer = _module_name(path)
        for line, target in _imported_modules(path):
            owner = _private_owner(target)
            if owner is None or target.startswith(DECLARED_INTERNAL_MODULES):
                continue
            if importer != owner and not importer.startswith(owner + "."):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert offenders == []


def _code_lines(node: ast.AST, lines: list[str]) -> int:
    """Lines of a function that hold code: no docstring, blank or comment-only lines."""
    body = node.body  # type: ignore[attr-defined]
    start = body[0].lineno
    if isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        start = body[0].end_lineno + 1 if len(body) > 1 else body[0].end_lineno
    end = node.end_lineno or start
    text = lines[start - 1 : end]
    return sum(1 for line in text if line.strip() and not line.strip().startswith("#"))


def test_modules_and_functions_stay_small() -> None:
    too_long = []
    for path in _python_files():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        if len(lines) > MAX_FILE_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {len(lines)} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                count = _code_lines(node, lines)
                if count > MAX_FUNCTION_CODE_LINES:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {count}")
    assert too_long == []


def _room_level(module: str) -> int | None:
    rest = module.removeprefix(CORE + ".").split(".")[0]
    for level, rooms in enumerate(CORE_ROOMS):
        if rest in rooms.split("|"):
            return level
    return None


def test_core_rooms_import_only_their_own_room_and_the_rooms_below() -> None:
    offenders = []
    for path in sorted((SRC / "core").rglob("*.py")):
        importer = _module_name(path)
        level = _room_level(importer) if importer.startswith(CORE + ".") else None
        if level is None:
            continue
        for line, target in _imported_modules(path):
            target_level = _room_level(target) if target.startswith(CORE + ".") else None
            same_room = target.split(".")[:3] == importer.split(".")[:3]
            if target_level is not None and target_level >= level and not same_room:
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert offenders == []
