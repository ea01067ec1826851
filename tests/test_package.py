"""The installable package: light import, public API, version, typing marker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import multilabel_attr

SRC = str(Path(__file__).resolve().parents[1] / "src")
HEAVY = ("tensorflow", "keras", "sklearn", "matplotlib", "PIL", "torch", "jax", "scipy")


def _fresh_import(code: str) -> dict[str, list[str]]:
    script = (
        "import json, sys\n"
        f"{code}\n"
        f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules]}}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True,
        env={"PYTHONPATH": SRC},
    )  # fmt: skip
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_import_is_numpy_only() -> None:
    assert _fresh_import("import multilabel_attr")["heavy"] == []


def test_lazy_subpackages_stay_light_until_used() -> None:
    result = _fresh_import(
        "import multilabel_attr.thresholds, multilabel_attr.paper, multilabel_attr.datasets, "
        "multilabel_attr.cli"
    )
    assert result["heavy"] == []


def test_public_api_is_exported() -> None:
    for name in multilabel_attr.__all__:
        assert hasattr(multilabel_attr, name), name
    for name in ("evaluate", "Report", "MultilabelCounts", "f1_score", "roc_auc_score",
                 "bootstrap_report", "paired_bootstrap", "signed_to_binary"):  # fmt: skip
        assert name in multilabel_attr.__all__


def test_typed_package() -> None:
    assert (Path(multilabel_attr.__file__).parent / "py.typed").exists()
    assert multilabel_attr.__version__.count(".") == 2
