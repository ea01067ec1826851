"""Evaluate and tune straight from Parquet: the local engine, Dask and (optionally) Spark.

Generates a folder of Parquet files of model scores, then computes the same report and the
same tuned thresholds with every engine and checks them against the in-memory functions.

    python examples/at_scale.py                 # local engine and Dask
    python examples/at_scale.py --spark         # also Spark (needs pyspark and Java)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import multilabel_attr as ml
from multilabel_attr import parquet
from multilabel_attr.thresholds import optimize_thresholds

LABELS = [f"attr_{j}" for j in range(8)]


def write_scores(folder: Path, n_rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Sigmoid scores of a model that sees each label, as four Parquet files."""
    rng = np.random.default_rng(seed)
    truth = rng.random((n_rows, len(LABELS))) < np.linspace(0.05, 0.5, len(LABELS))
    scores = (1 / (1 + np.exp(-(rng.normal(size=truth.shape) + 2.5 * truth - 1)))).astype(
        np.float32
    )
    folder.mkdir(parents=True, exist_ok=True)
    for part, rows in enumerate(np.array_split(np.arange(n_rows), 4)):
        table = pa.table(
            {"labels": list(truth[rows].astype(np.int8)), "scores": list(scores[rows])}
        )
        pq.write_table(table, folder / f"part-{part}.parquet", row_group_size=20_000)
    return truth, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--spark", action="store_true", help="also run on a local Spark session")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp()) / "scores"
    truth, scores = write_scores(folder, args.rows)
    expected = ml.evaluate(truth, scores, label_names=LABELS, zero_division=0, ranking=False)
    expected_thresholds = optimize_thresholds(truth, scores, label_names=LABELS)

    # 1. No cluster: row group by row group, bounded memory.
    report = parquet.evaluate(folder, "labels", "scores", label_names=LABELS, zero_division=0)
    print(report.to_text())
    assert abs(report.summary["f1_samples"] - expected.summary["f1_samples"]) < 1e-12
    print("AUROC (sketch) of", LABELS[0], round(report.per_label["auroc"][0], 5),
          "+/-", f"{report.per_label['auroc_bound'][0]:.1e}")  # fmt: skip
    tuned = parquet.optimize_thresholds(folder, "labels", "scores", label_names=LABELS)
    assert tuned == expected_thresholds
    print("tuned thresholds equal the in-memory search:", tuned)
    with_ci = parquet.bootstrap_report(
        folder, "labels", "scores", n_resamples=200, seed=0, label_names=LABELS
    )
    print("F1 (samples) 95% interval:", with_ci.intervals["f1_samples"])

    # 2. Dask: the same numbers from a Dask DataFrame (any scheduler; distributed too).
    import dask.dataframe as dd

    from multilabel_attr import dask as ml_dask

    frame = dd.read_parquet(str(folder))
    report_dask = ml_dask.evaluate(frame, "labels", "scores", label_names=LABELS, zero_division=0,
                                   ranking=False)  # fmt: skip
    assert report_dask.summary == report.summary or all(
        abs(report_dask.summary[k] - v) < 1e-12 for k, v in report.summary.items()
    )
    assert ml_dask.optimize_thresholds(frame, "labels", "scores", label_names=LABELS) == tuned
    print("Dask: same report and thresholds")

    # 3. Spark: a local session (needs Java).
    if args.spark:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        from pyspark.sql import SparkSession

        from multilabel_attr import spark as ml_spark

        session = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
        spark = session.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        frame_spark = spark.read.parquet(str(folder))
        report_spark = ml_spark.evaluate(frame_spark, "labels", "scores", label_names=LABELS,
                                         zero_division=0, ranking=False)  # fmt: skip
        assert all(abs(report_spark.summary[k] - v) < 1e-12 for k, v in report.summary.items())
        thresholds_spark = ml_spark.optimize_thresholds(
            frame_spark, "labels", "scores", label_names=LABELS
        )
        assert thresholds_spark == tuned
        print("Spark: same report and thresholds")
        spark.stop()


if __name__ == "__main__":
    main()
