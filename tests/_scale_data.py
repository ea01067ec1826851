"""Data and comparisons shared by the Parquet, Dask and Spark engine tests."""

from __future__ import annotations

import math
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

import multilabel_attr as ml

TOL = 1e-12


def local_spark(
    app: str, *, shuffle_partitions: int | None = None, batch_rows: int | None = None
) -> Iterator[Any]:
    """A local[2] Spark session for one test module (its fixture yields from this), stopped
    after it; skips the module's Spark tests without pyspark or a Java runtime.
    ``shuffle_partitions`` and ``batch_rows`` (Arrow batch size) set Spark's own when given."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs a Java runtime")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[2]").appName(app)
    builder = builder.config("spark.ui.enabled", "false")
    if shuffle_partitions is not None:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    if batch_rows is not None:
        builder = builder.config("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch_rows))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@dataclass(frozen=True)
class Data:
    truth: np.ndarray
    scores: np.ndarray
    weight: np.ndarray
    thresholds: np.ndarray

    @property
    def n_labels(self) -> int:
        return int(self.truth.shape[1])

    @property
    def label_columns(self) -> list[str]:
        return [f"y{j}" for j in range(self.n_labels)]

    @property
    def score_columns(self) -> list[str]:
        return [f"s{j}" for j in range(self.n_labels)]

    def frame(self) -> pd.DataFrame:
        """One scalar column per label and score, the same as array columns, a weight and an id."""
        columns: dict[str, Any] = {}
        for j in range(self.n_labels):
            columns[f"y{j}"] = self.truth[:, j].astype(np.int64)
            columns[f"s{j}"] = self.scores[:, j]
        frame = pd.DataFrame(columns)
        frame["labels"] = list(self.truth.astype(np.float64))
        frame["scores"] = list(self.scores)
        frame["w"] = self.weight
        frame["row"] = np.arange(len(frame), dtype=np.int64)
        return frame


def make_data(n: int = 1500, n_labels: int = 7, seed: int = 0) -> Data:
    """Scores with ties, a label with no positive and one always positive."""
    rng = np.random.default_rng(seed)
    prevalence = rng.uniform(0.05, 0.6, n_labels)
    truth = rng.random((n, n_labels)) < prevalence
    truth[:, 0] = False
    truth[:, 1] = True
    scores = np.clip(0.35 * truth + 0.65 * rng.random((n, n_labels)), 0, 1)
    scores[: n // 5] = np.round(scores[: n // 5], 1)
    weight = rng.uniform(0, 3, n)
    weight[rng.random(n) < 0.05] = 0.0
    thresholds = rng.uniform(0.3, 0.7, n_labels)
    return Data(truth, scores, weight, thresholds)


def assert_reports_equal(actual: ml.Report, expected: ml.Report, tol: float = TOL) -> None:
    assert actual.label_names == expected.label_names
    assert actual.n_samples == expected.n_samples
    assert math.isclose(actual.total_weight, expected.total_weight, rel_tol=tol)
    for key, value in expected.summary.items():
        _close(actual.summary[key], value, tol, key)
    for column, values in expected.per_label.items():
        for index, value in enumerate(values):
            _close(actual.per_label[column][index], value, tol, f"{column}[{index}]")


def _close(actual: float, expected: float, tol: float, what: str) -> None:
    if math.isnan(expected):
        assert math.isnan(actual), what
    else:
        assert abs(actual - expected) <= tol * max(1.0, abs(expected)), (what, actual, expected)


def assert_intervals_equal(actual: ml.Report, expected: ml.Report) -> None:
    assert actual.intervals.keys() == expected.intervals.keys()
    for key, (low, high) in expected.intervals.items():
        _close(actual.intervals[key][0], low, TOL, key)
        _close(actual.intervals[key][1], high, TOL, key)
