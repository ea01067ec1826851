"""``multilabel-attr evaluate`` and ``tune`` on Parquet input, with each engine."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import multilabel_attr as ml  # noqa: E402
from multilabel_attr.cli import main  # noqa: E402
from multilabel_attr.thresholds import Thresholds, optimize_thresholds  # noqa: E402


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    truth = rng.random((2000, 4)) < 0.3
    scores = np.clip(0.5 * truth + 0.6 * rng.random((2000, 4)), 0, 1)
    columns = {f"y{j}": truth[:, j] for j in range(4)} | {f"s{j}": scores[:, j] for j in range(4)}
    path = tmp_path_factory.mktemp("cli") / "scores.parquet"
    pq.write_table(
        pa.table({"y": list(truth.astype(np.int8)), "s": list(scores), **columns}), path,
        row_group_size=300,
    )  # fmt: skip
    return path, truth, scores


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_evaluate_parquet(table: tuple[Path, np.ndarray, np.ndarray], tmp_path: Path,
                          engine: str) -> None:  # fmt: skip
    path, truth, scores = table
    out = tmp_path / "report.json"
    code = main(["evaluate", "--parquet", str(path), "--labels", "y", "--scores", "s",
                 "--engine", engine, "--format", "json", "-o", str(out)])  # fmt: skip
    assert code == 0
    report = ml.Report.from_json(out)
    expected = ml.evaluate(truth, scores, zero_division=0)
    assert report.summary == pytest.approx(expected.summary, abs=1e-12)


def test_tune_parquet_scalar_columns(table: tuple[Path, np.ndarray, np.ndarray],
                                     tmp_path: Path) -> None:  # fmt: skip
    path, truth, scores = table
    out = tmp_path / "t.json"
    code = main(["tune", "--parquet", str(path), "--labels", "y0,y1,y2,y3", "--scores",
                 "s0,s1,s2,s3", "-o", str(out)])  # fmt: skip
    assert code == 0
    expected = optimize_thresholds(truth, scores, label_names=["y0", "y1", "y2", "y3"])
    assert Thresholds.from_json(out) == expected
    assert json.loads(out.read_text())["strategy"] == "per_label"


def test_parquet_errors_are_one_line(table: tuple[Path, np.ndarray, np.ndarray],
                                     capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    path, _, _ = table
    code = main(["evaluate", "--parquet", str(path), "--labels", "y", "--scores", "nope"])
    assert code == 1
    assert "column(s) 'nope' not found" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_parquet_on_spark(table: tuple[Path, np.ndarray, np.ndarray],
                                   tmp_path: Path) -> None:  # fmt: skip
    import shutil

    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime")
    path, truth, scores = table
    out = tmp_path / "t.json"
    code = main(["tune", "--parquet", str(path), "--labels", "y", "--scores", "s",
                 "--engine", "spark", "--strategy", "shared", "-o", str(out)])  # fmt: skip
    assert code == 0
    assert Thresholds.from_json(out) == optimize_thresholds(truth, scores, strategy="shared")


def test_spark_errors_are_reduced_to_the_line_that_says_what_failed() -> None:
    from multilabel_attr.cli._parquet import spark_error_line

    jvm = (
        "An error occurred while calling o28.parquet.\n: org.apache.spark.SparkException: "
        "[FAILED_READ_FILE.CANNOT_READ_FILE_FOOTER] Encountered error while reading file "
        "file:/d/bad.parquet. Could not read footer.\nIf not, please convert it.\n"
        "\tat org.apache.spark.sql.errors.QueryExecutionErrors$.cannotReadFooterForFileError"
        "(QueryExecutionErrors.scala:1109)\n\tat scala.concurrent.Future$.$anonfun$apply$1"
    )
    assert spark_error_line(Exception(jvm)) == (
        "[FAILED_READ_FILE.CANNOT_READ_FILE_FOOTER] Encountered error while reading file "
        "file:/d/bad.parquet. Could not read footer."
    )
    worker = (
        "An exception was thrown from the Python worker:\nTraceback (most recent call last):\n"
        '  File "/x/worker.py", line 14, in boom\n    raise RuntimeError("boom")\n'
        "ZeroDivisionError: first\n\nDuring handling of the above exception, another exception "
        "occurred:\n\nTraceback (most recent call last):\n  File \"/x/y.py\", line 3, in f\n"
        "RuntimeError: boom here\nsecond line"
    )
    assert spark_error_line(Exception(worker)) == "RuntimeError: boom here"
    assert spark_error_line(ValueError("column 'nope' not found")) is None


def test_the_quiet_spark_log_configuration_ships_with_the_package() -> None:
    from multilabel_attr.cli._parquet import QUIET_LOG4J2

    settings = QUIET_LOG4J2.read_text()
    assert "appender.console.filter.threshold.level = off" in settings


@pytest.mark.slow
def test_spark_failure_is_one_line_without_java_or_python_traces(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime")
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"y": [[1, 0]] * 20, "s": [[0.9, 0.2]] * 20}), good)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(good.read_bytes()[:300])  # a truncated file: Spark cannot read its footer
    src = str(Path(__file__).resolve().parents[1] / "src")
    result = subprocess.run(
        [sys.executable, "-m", "multilabel_attr", "evaluate", "--parquet", str(bad),
         "--labels", "y", "--scores", "s", "--engine", "spark", "-q"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": src}, timeout=600,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("multilabel-attr evaluate: error: [FAILED_READ_FILE")
    assert str(bad) in lines[-1]
    for marker in ("\tat ", "Traceback", "ERROR", "Exception in task", "log4j"):
        assert marker not in result.stderr
    # What may remain: the JVM's note on incubator modules and PySpark's warnings, one line each.
    assert len(lines) <= 4, result.stderr
