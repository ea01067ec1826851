"""Where Spark MLlib's multi-label numbers differ: small cases, MLlib vs ours vs scikit-learn.

Run: ``python benchmarks/mllib_differences.py`` (needs pyspark, a Java runtime and
scikit-learn).  Prints one Markdown table per case; the comparison page shows them.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import numpy as np

import multilabel_attr as ml

# Each case: (title, rows of (predicted label indices, true label indices), number of labels).
CASES: list[tuple[str, list[tuple[list[float], list[float]]], int]] = [
    ("A row with no true label", [([0.0], [0.0]), ([1.0], [])], 2),
    ("A label that occurs only in the predictions", [([0.0, 2.0], [0.0]), ([1.0], [1.0])], 3),
    ("A label with no true positive", [([0.0], [0.0, 1.0]), ([0.0], [0.0])], 2),
    ("The same sets listed in another order", [([1.0, 0.0], [0.0, 1.0])], 2),
]


def _mllib(sc: Any, rows: list[tuple[list[float], list[float]]]) -> dict[str, Any]:
    from pyspark.mllib.evaluation import MultilabelMetrics

    metrics = MultilabelMetrics(sc.parallelize(rows, 1))
    values: dict[str, Any] = {}
    for name, get in (
        ("precision (samples)", lambda: metrics.precision()),
        ("recall (samples)", lambda: metrics.recall()),
        ("F1 (samples)", lambda: metrics.f1Measure()),
        ("Hamming loss", lambda: metrics.hammingLoss),
        ("subset accuracy", lambda: metrics.subsetAccuracy),
        ("precision of label 1", lambda: metrics.precision(1.0)),
        ("recall of label 1", lambda: metrics.recall(1.0)),
    ):
        try:
            values[name] = float(get())
        except Exception as exc:  # MLlib throws for some labels
            values[name] = f"error ({type(exc).__name__})"
    return values


def _dense(rows: list[tuple[list[float], list[float]]], n_labels: int) -> tuple[Any, Any]:
    pred = np.zeros((len(rows), n_labels), np.int8)
    true = np.zeros((len(rows), n_labels), np.int8)
    for i, (p, t) in enumerate(rows):
        pred[i, [int(x) for x in p]] = 1
        true[i, [int(x) for x in t]] = 1
    return true, pred


def _ours(true: Any, pred: Any) -> dict[str, Any]:
    kw: dict[str, Any] = {"threshold": None, "zero_division": 0}
    per_label_p = ml.precision_score(true, pred, average=None, **kw)
    per_label_r = ml.recall_score(true, pred, average=None, **kw)
    return {
        "precision (samples)": ml.precision_score(true, pred, average="samples", **kw),
        "recall (samples)": ml.recall_score(true, pred, average="samples", **kw),
        "F1 (samples)": ml.f1_score(true, pred, average="samples", **kw),
        "Hamming loss": ml.hamming_loss(true, pred, threshold=None),
        "subset accuracy": ml.subset_accuracy(true, pred, threshold=None),
        "precision of label 1": float(per_label_p[1]),
        "recall of label 1": float(per_label_r[1]),
    }


def _sklearn(true: Any, pred: Any) -> dict[str, Any]:
    from sklearn import metrics as skm

    kw: dict[str, Any] = {"zero_division": 0}
    return {
        "precision (samples)": skm.precision_score(true, pred, average="samples", **kw),
        "recall (samples)": skm.recall_score(true, pred, average="samples", **kw),
        "F1 (samples)": skm.f1_score(true, pred, average="samples", **kw),
        "Hamming loss": skm.hamming_loss(true, pred),
        "subset accuracy": skm.accuracy_score(true, pred),
        "precision of label 1": float(skm.precision_score(true, pred, average=None, **kw)[1]),
        "recall of label 1": float(skm.recall_score(true, pred, average=None, **kw)[1]),
    }


def _cell(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def main() -> None:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    for title, rows, n_labels in CASES:
        true, pred = _dense(rows, n_labels)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            columns = [_mllib(spark.sparkContext, rows), _ours(true, pred), _sklearn(true, pred)]
        print(f"\n**{title}**: (predicted, true) = {[(p, t) for p, t in rows]}\n")
        print("| | MLlib | multilabel_attr | scikit-learn |\n|---|---|---|---|")
        for name in columns[0]:
            print(f"| {name} | " + " | ".join(_cell(c[name]) for c in columns) + " |")
    spark.stop()


if __name__ == "__main__":
    main()
