"""The installable package: light import, public API, version, typing marker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import multilabel_attr

SRC = str(Path(__file__).resolve().parents[1] / "src")
HEAVY = (
    "tensorflow", "keras", "sklearn", "matplotlib", "PIL", "torch", "jax", "scipy", "pandas",
    "pyarrow", "pyspark", "dask",
)


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


def test_import_leaves_what_only_some_calls_need_unloaded() -> None:
    """Thread pools, normal quantiles and temporary files load with the first call that
    needs them, not with the package."""
    code = (
        "import sys, multilabel_attr\n"
        "late = ('concurrent.futures', 'statistics', 'tempfile', 'shutil')\n"
        "print(sorted(m for m in late if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env={"PYTHONPATH": SRC})  # fmt: skip
    assert result.stdout.strip() == "[]"


def test_lazy_subpackages_stay_light_until_used() -> None:
    result = _fresh_import(
        "import multilabel_attr.thresholds, multilabel_attr.paper, multilabel_attr.datasets, "
        "multilabel_attr.cli"
    )
    assert result["heavy"] == []


def test_engines_are_lazy_attributes_that_import_no_engine_library() -> None:
    code = (
        "import sys, multilabel_attr\n"
        "assert not {'multilabel_attr.parquet', 'multilabel_attr.dask', 'multilabel_attr.spark'}"
        " & set(sys.modules)\n"
        "assert callable(multilabel_attr.parquet.evaluate)\n"
        "assert callable(multilabel_attr.dask.optimize_thresholds)\n"
        "assert callable(multilabel_attr.spark.counts)\n"
        "assert {'parquet', 'dask', 'spark'} <= set(dir(multilabel_attr))\n"
        "import multilabel_attr.cli\n"
        "multilabel_attr.cli.build_parser()\n"
    )
    assert _fresh_import(code)["heavy"] == []


def test_public_api_is_exported() -> None:
    for name in multilabel_attr.__all__:
        assert hasattr(multilabel_attr, name), name
    for name in ("evaluate", "Report", "MultilabelCounts", "f1_score", "roc_auc_score",
                 "bootstrap_report", "paired_bootstrap", "signed_to_binary"):  # fmt: skip
        assert name in multilabel_attr.__all__


def test_typed_package() -> None:
    assert (Path(multilabel_attr.__file__).parent / "py.typed").exists()
    assert multilabel_attr.__version__.count(".") == 2


def test_subpackages_load_on_first_attribute_access() -> None:
    code = (
        "import sys, multilabel_attr\n"
        "assert 'multilabel_attr.thresholds' not in sys.modules\n"
        "t = multilabel_attr.thresholds.optimize_thresholds([[1], [0]], [[0.9], [0.2]], "
        "min_positives=0)\n"
        "assert 'multilabel_attr.thresholds' in sys.modules\n"
        "assert multilabel_attr.paper.TABLE_ROWS[0] == 'Recall'\n"
        "assert 'thresholds' in dir(multilabel_attr)\n"
        "try:\n"
        "    multilabel_attr.no_such_thing\n"
        "except AttributeError as exc:\n"
        "    assert 'no_such_thing' in str(exc)\n"
        "else:\n"
        "    raise SystemExit('expected AttributeError')\n"
    )
    assert _fresh_import(code)["heavy"] == []


def test_numpy_only_test_helpers_import_without_scikit_learn() -> None:
    tests = str(Path(__file__).resolve().parent)
    code = (
        "import sys\n"
        "sys.modules['sklearn'] = None  # any import of scikit-learn now fails\n"
        f"sys.path.insert(0, {tests!r})\n"
        "import _core_helpers\n"
        "assert _core_helpers.REGISTRY\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": SRC})


@pytest.mark.tf
def test_loading_the_keras_adapters_prints_nothing() -> None:
    pytest.importorskip("tensorflow")
    result = subprocess.run(
        [sys.executable, "-c", "import multilabel_attr.keras, multilabel_attr.models"],
        capture_output=True, text=True, check=True, env={"PYTHONPATH": SRC},
    )  # fmt: skip
    # TensorFlow's C++ start-up lines (CUDA probes, CPU features) stay out of the user's way.
    assert result.stderr == "" and result.stdout == ""


def test_ci_docs_build_fails_on_any_warning() -> None:
    # mkdocs's --quiet drops the very warnings that --strict counts: a broken link would pass.
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    builds = [line.split() for line in ci.splitlines() if "mkdocs build" in line]
    assert builds
    for words in builds:
        assert "--strict" in words and "--quiet" not in words and "-q" not in words
