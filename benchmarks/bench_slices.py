"""Sliced evaluation in memory: what slicing costs, and fairlearn on the same numbers.

Data: ``--rows`` x 40 labels and scores (float32), two binary group keys crossed (4 slices).

* ``evaluate``: the sliced ``evaluate`` (every metric of every slice and of all rows) against
  the unsliced ``evaluate`` of the same rows, with the exact ranking columns and without
  (``ranking=False``), sliced three ways: by one label column (CelebA's ``Male``, left out
  of the counted labels), by two label columns crossed (``Male`` x ``Young``) and by two key
  arrays crossed (an int and a string key, 4 slices).  Runs alternate plain and sliced;
  best of ``--repeats`` wall-clock time, and the process CPU time (all threads) beside it,
  which a busy machine disturbs less.  The ratio sliced / unsliced is printed per case.
* ``fairlearn``: six metrics by group (precision, recall, F1, balanced accuracy, selection
  rate, false positive rate) with fairlearn's ``MetricFrame`` and scikit-learn metrics, one
  frame per label (the only way it takes multi-label data), against one sliced ``evaluate``
  plus two disparities from its counts, at ``--fairlearn-rows``.  fairlearn runs on the first
  ``--fairlearn-labels`` labels and its time is scaled to 40 labels (said in the output);
  every by-group value it gives is checked against ours to 1e-12.
* ``bootstrap``: ``bootstrap_report(..., groups=..., n_resamples=200, ranking=False)`` (every
  slice's metrics and every gap) against the unsliced ``bootstrap_report`` at
  ``--bootstrap-rows``.
* ``spark``: Spark local[2], ``--spark-rows`` x 40 cached (the frame of ``bench_scale.py``)
  with two group columns crossed (4 slices): ``multilabel_attr.spark.evaluate(...,
  groups=["sex", "age"], ranking=False)`` against the unsliced Spark pass.  Best of
  ``--repeats`` alternating runs; the overall slice is checked equal to the unsliced report.

Run:  python benchmarks/bench_slices.py            (the sizes of the closing note)
      python benchmarks/bench_slices.py --quick    (small sizes, seconds)
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import multilabel_attr as ml

N_LABELS = 40


def best_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def make_data(n_rows: int, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    y_true = rng.random((n_rows, N_LABELS), dtype=np.float32) < 0.3
    noise = rng.random((n_rows, N_LABELS), dtype=np.float32)
    y_score = np.clip(0.35 * y_true + 0.65 * noise, 0, 1).astype(np.float32)
    groups = {"sex": rng.integers(0, 2, n_rows), "age": rng.choice(["young", "old"], n_rows)}
    return {"y_true": y_true, "y_score": y_score, "groups": groups}


def _alternating(
    calls: dict[str, Callable[[], Any]], repeats: int
) -> dict[str, tuple[float, float]]:
    """Best wall-clock and CPU seconds of each call, the calls taking turns."""
    best = {name: (float("inf"), float("inf")) for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            wall, cpu = time.perf_counter(), time.process_time()
            call()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def bench_evaluate(n_rows: int, repeats: int) -> dict[str, float]:
    data = make_data(n_rows)
    args = (data["y_true"], data["y_score"])
    names = [f"attr_{j}" for j in range(N_LABELS)]
    cases = {
        "by Male (a label column, 2 slices)": {"groups": names[:1], "label_names": names},
        "by Male x Young (label columns, 4 slices)": {"groups": names[:2], "label_names": names},
        "by two key arrays crossed (4 slices)": {"groups": data["groups"]},
    }
    ratios = {}
    for ranking in (True, False):
        calls: dict[str, Callable[[], Any]] = {
            "unsliced": lambda r=ranking: ml.evaluate(*args, ranking=r, zero_division=0)
        }
        for case, options in cases.items():
            calls[case] = lambda r=ranking, o=options: ml.evaluate(
                *args, ranking=r, zero_division=0, **o
            )
        best = _alternating(calls, repeats)
        wall, cpu = best["unsliced"]
        title = "with exact ranking columns" if ranking else "counts only (ranking=False)"
        print(f"evaluate, {n_rows:,} x {N_LABELS}, {title}: unsliced {wall * 1e3:.1f} ms "
              f"(CPU {cpu * 1e3:.1f} ms)")  # fmt: skip
        for case in cases:
            case_wall, case_cpu = best[case]
            print(f"  {case:<44} {case_wall * 1e3:8.1f} ms   sliced/unsliced "
                  f"{case_wall / wall:.2f}x   (CPU {case_cpu / cpu:.2f}x)")  # fmt: skip
            ratios[f"{case}, {'ranking' if ranking else 'counts'}"] = case_wall / wall
    return ratios


def _fairlearn_frames(data: dict[str, Any], pred: Any, labels: int) -> list[Any]:
    from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate
    from sklearn.metrics import balanced_accuracy_score, f1_score, precision_score, recall_score

    metrics = {
        "precision": lambda t, p: precision_score(t, p, zero_division=0),
        "recall": lambda t, p: recall_score(t, p, zero_division=0),
        "f1": lambda t, p: f1_score(t, p, zero_division=0),
        "balanced_accuracy": balanced_accuracy_score,
        "selection_rate": selection_rate,
        "fpr": false_positive_rate,
    }
    features = {"sex": data["groups"]["sex"], "age": data["groups"]["age"]}
    return [
        MetricFrame(
            metrics=metrics,
            y_true=data["y_true"][:, j],
            y_pred=pred[:, j],
            sensitive_features=features,
        )
        for j in range(labels)
    ]


def _ours_by_group(data: dict[str, Any]) -> dict[str, dict[str, list[float]]]:
    report = ml.evaluate(data["y_true"], data["y_score"], groups=data["groups"], ranking=False,
                         zero_division=0)  # fmt: skip
    by_metric = {
        column: {name: report.slice(name).per_label[column] for name in report.groups}
        for column in ("precision", "recall", "f1", "balanced_accuracy")
    }
    for metric in ("selection_rate", "fpr"):
        by_metric[metric] = report.disparity(metric, zero_division=0).by_group
    return by_metric


def bench_fairlearn(n_rows: int, labels: int) -> float:
    data = make_data(n_rows, seed=1)
    pred = data["y_score"] >= 0.5
    ours_time, ours = best_time(lambda: _ours_by_group(data), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        frames = _fairlearn_frames(data, pred, labels)
        theirs_time = (time.perf_counter() - start) * N_LABELS / labels
    worst = 0.0
    for j, frame in enumerate(frames):
        for (sex, age), row in frame.by_group.iterrows():
            for metric, value in row.items():
                mine = ours[str(metric)][f"sex={sex}, age={age}"][j]
                worst = max(worst, abs(mine - float(value)))
    if worst > 1e-12:
        raise AssertionError(f"fairlearn and ours differ by {worst:g}")
    ratio = theirs_time / ours_time
    print(f"by group vs fairlearn MetricFrame, {n_rows:,} x {N_LABELS}, 6 metrics, 4 groups")
    print(f"  fairlearn {theirs_time:.2f} s (run on {labels} labels, scaled x{N_LABELS / labels:g})"
          f"   ours {ours_time:.4f} s   ours {ratio:,.0f}x faster   largest difference "
          f"{worst:.1e}")  # fmt: skip
    return ratio


def bench_bootstrap(n_rows: int, n_resamples: int) -> float:
    data = make_data(n_rows, seed=2)
    args = (data["y_true"], data["y_score"])
    common = {"n_resamples": n_resamples, "seed": 0, "ranking": False}
    plain, _ = best_time(lambda: ml.bootstrap_report(*args, **common), 1)
    sliced, report = best_time(
        lambda: ml.bootstrap_report(*args, groups=data["groups"], **common), 1
    )
    print(f"bootstrap, {n_rows:,} x {N_LABELS}, {n_resamples} replicates, "
          f"{len(report.groups)} slices and their gaps")  # fmt: skip
    print(f"  unsliced {plain:.2f} s   sliced {sliced:.2f} s   ratio {sliced / plain:.2f}x")
    return sliced / plain


def bench_spark(n_rows: int, repeats: int) -> float:
    import os
    import sys

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from bench_scale import spark_frame
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as f

    from multilabel_attr import spark as ml_spark

    spark = (
        SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100000").getOrCreate()
    )  # fmt: skip
    spark.sparkContext.setLogLevel("ERROR")
    base = spark_frame(spark, n_rows)
    frame = base.select(
        "*", (f.rand(seed=77) < 0.5).cast("int").alias("sex"),
        f.when(f.rand(seed=78) < 0.4, "young").otherwise("old").alias("age"),
    ).cache()  # fmt: skip
    frame.count()
    base.unpersist()
    labels = [f"y{j}" for j in range(N_LABELS)]
    scores = [f"s{j}" for j in range(N_LABELS)]
    options = {"zero_division": 0, "ranking": False}
    ml_spark.evaluate(frame, labels, scores, groups=["sex", "age"], **options)  # warm the workers
    plain_times, sliced_times = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        plain = ml_spark.evaluate(frame, labels, scores, **options)
        plain_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        sliced = ml_spark.evaluate(frame, labels, scores, groups=["sex", "age"], **options)
        sliced_times.append(time.perf_counter() - start)
    spark.stop()
    worst = max(abs(sliced.overall.summary[k] - v) for k, v in plain.summary.items())
    if worst > 1e-12:
        raise AssertionError(f"the sliced overall differs from the unsliced pass by {worst:g}")
    ratio = min(sliced_times) / min(plain_times)
    print(f"Spark local[2], {n_rows:,} x {N_LABELS} cached, {len(sliced.groups)} slices")
    print(f"  unsliced {min(plain_times):.2f} s   sliced {min(sliced_times):.2f} s   "
          f"ratio {ratio:.2f}x")  # fmt: skip
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--fairlearn-rows", type=int, default=100_000)
    parser.add_argument("--fairlearn-labels", type=int, default=4)
    parser.add_argument("--bootstrap-rows", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--spark-rows", type=int, default=1_000_000)
    parser.add_argument("--sections", default="evaluate,fairlearn,bootstrap,spark")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.fairlearn_rows, args.bootstrap_rows = 20_000, 5_000, 5_000
        args.fairlearn_labels, args.resamples, args.spark_rows = 2, 50, 20_000
    sections = args.sections.split(",")
    ratios = {}
    if "evaluate" in sections:
        for case, ratio in bench_evaluate(args.rows, args.repeats).items():
            ratios[f"sliced evaluate {case} / unsliced"] = ratio
    if "fairlearn" in sections:
        ratios["fairlearn / ours"] = bench_fairlearn(args.fairlearn_rows, args.fairlearn_labels)
    if "bootstrap" in sections:
        ratios["sliced bootstrap / unsliced"] = bench_bootstrap(args.bootstrap_rows, args.resamples)
    if "spark" in sections:
        ratios["sliced Spark pass / unsliced"] = bench_spark(args.spark_rows, args.repeats)
    print("ratios:")
    for name, value in ratios.items():
        print(f"  {name}: {value:,.2f}")


if __name__ == "__main__":
    main()
