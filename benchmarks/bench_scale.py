"""Evaluation at scale: Spark, Dask and Parquet against their peers, on the same data.

Every section checks that the results agree before it reports times.

* ``spark``: a local[2] session, one cached DataFrame of 0/1 label and score columns
  (``--spark-rows`` x 40).  Ours: ``multilabel_attr.spark.evaluate`` (the count-based report).
  Peers: ``MultilabelMetrics`` written the way its documentation shows (``df.rdd.map``),
  ``MultilabelClassificationEvaluator`` (seven calls on prepared index-array columns), a SQL
  aggregation of the per-label counts and the per-sample histogram (the fastest Spark-native way
  to the same numbers), and a bare Arrow pass that computes nothing (the engine's floor).
  Session start-up and the overhead of a trivial job are reported on their own.
* ``dask``: a two-process ``LocalCluster``, ``--dask-rows`` x 40 chunked by ``--dask-chunk``
  rows, against single-process numpy on the same data.
* ``parquet``: ``--parquet-rows`` x 40 in Parquet files; peak memory (RSS) and time of the local
  engine against reading the same columns with pyarrow alone, each in a fresh process.
* ``thresholds``: exact per-label and shared F1 thresholds from the Parquet files (three passes),
  equal to the single-machine search on the same data.

Run:  python benchmarks/bench_scale.py                      (the sizes of the closing note)
      python benchmarks/bench_scale.py --quick              (small sizes, about a minute)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import multilabel_attr as ml

N_LABELS = 40
KEYS = ("precision_samples", "recall_samples", "f1_samples", "hamming_loss", "subset_accuracy",
        "precision_micro", "recall_micro", "f1_micro")  # fmt: skip


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def check_equal(ours: dict[str, float], theirs: dict[str, float], who: str) -> None:
    for key, value in theirs.items():
        if not abs(ours[key] - value) <= 1e-9:
            raise AssertionError(f"{who}: {key} differs: ours {ours[key]!r}, theirs {value!r}")


# -- Spark -----------------------------------------------------------------------------------


def spark_frame(spark: Any, rows: int) -> Any:
    """0/1 labels (every row has one) and sigmoid scores correlated with them, cached."""
    from pyspark.sql import functions as f

    labels = [(f.rand(seed=j) < 0.05 + 0.5 * j / N_LABELS).cast("int").alias(f"y{j}")
              for j in range(N_LABELS)]  # fmt: skip
    noise = [f.randn(seed=1000 + j).alias(f"z{j}") for j in range(N_LABELS)]
    base = spark.range(rows).select(*labels, *noise)
    others = sum(f.col(f"y{j}") for j in range(1, N_LABELS))
    fixed = base.withColumn("y0", f.when(others == 0, 1).otherwise(f.col("y0")))
    scores = [(1 / (1 + f.exp(-(f.col(f"z{j}") + 2 * f.col(f"y{j}") - 1)))).alias(f"s{j}")
              for j in range(N_LABELS)]  # fmt: skip
    frame = fixed.select(*[f"y{j}" for j in range(N_LABELS)], *scores).cache()
    frame.count()
    return frame


def mllib_as_documented(frame: Any) -> dict[str, float]:
    from pyspark.mllib.evaluation import MultilabelMetrics

    def indices(row: Any) -> tuple[list[float], list[float]]:
        pred = [float(j) for j in range(N_LABELS) if row[f"s{j}"] >= 0.5]
        true = [float(j) for j in range(N_LABELS) if row[f"y{j}"] == 1]
        return pred, true

    metrics = MultilabelMetrics(frame.rdd.map(indices))
    return {
        "precision_samples": metrics.precision(), "recall_samples": metrics.recall(),
        "f1_samples": metrics.f1Measure(), "hamming_loss": metrics.hammingLoss,
        "subset_accuracy": metrics.subsetAccuracy, "precision_micro": metrics.microPrecision,
        "recall_micro": metrics.microRecall, "f1_micro": metrics.microF1Measure,
    }  # fmt: skip


def index_columns(frame: Any) -> Any:
    from pyspark.sql import functions as f

    def listed(cells: list[Any]) -> Any:
        return f.array_compact(f.array(*cells))

    pred = listed([f.when(f.col(f"s{j}") >= 0.5, f.lit(float(j))) for j in range(N_LABELS)])
    true = listed([f.when(f.col(f"y{j}") == 1, f.lit(float(j))) for j in range(N_LABELS)])
    prepared = frame.select(pred.alias("prediction"), true.alias("label")).cache()
    prepared.count()
    return prepared


EVALUATOR_METRICS = {
    "precision_samples": "precision", "recall_samples": "recall", "f1_samples": "f1Measure",
    "hamming_loss": "hammingLoss", "subset_accuracy": "subsetAccuracy",
    "precision_micro": "microPrecision", "f1_micro": "microF1Measure",
}  # fmt: skip


def evaluator_calls(prepared: Any) -> dict[str, float]:
    from pyspark.ml.evaluation import MultilabelClassificationEvaluator

    return {
        key: MultilabelClassificationEvaluator(metricName=name).evaluate(prepared)
        for key, name in EVALUATOR_METRICS.items()
    }


def sql_aggregation(frame: Any) -> dict[str, float]:
    """Per-label counts and the per-sample histogram in two SQL jobs, then the same formulas."""
    from pyspark.sql import functions as f

    pred = [(f.col(f"s{j}") >= 0.5).cast("int") for j in range(N_LABELS)]
    true = [f.col(f"y{j}") for j in range(N_LABELS)]
    hit = [t * p for t, p in zip(true, pred)]
    sums = frame.agg(*[f.sum(c) for c in hit + pred + true], f.count(f.lit(1))).first()
    tp = np.array(sums[:N_LABELS], float)
    fp = np.array(sums[N_LABELS : 2 * N_LABELS], float) - tp
    fn = np.array(sums[2 * N_LABELS : 3 * N_LABELS], float) - tp
    n = float(sums[-1])
    triples = frame.groupBy(
        sum(hit).alias("tp"), (sum(pred) - sum(hit)).alias("fp"), (sum(true) - sum(hit)).alias("fn")
    ).count().collect()
    state = ml.MultilabelCounts(N_LABELS)
    state.tp, state.fp, state.fn, state.tn = tp, fp, fn, n - tp - fp - fn
    from multilabel_attr.core._internal import encode_triples, merge_histograms

    keys = encode_triples([r["tp"] for r in triples], [r["fp"] for r in triples],
                          [r["fn"] for r in triples], N_LABELS)  # fmt: skip
    counts = np.array([r["count"] for r in triples], np.int64)
    state.sample_keys, state.sample_weight, state.sample_count = merge_histograms(
        (keys,), (counts.astype(float),), (counts,)
    )
    state.n_samples = int(n)
    return ml.summarize_counts(state, 0)


def bare_arrow_pass(frame: Any, columns: list[str]) -> int:
    """Every batch to numpy, nothing computed: the floor of any mapInArrow engine."""

    def convert(batches: Any) -> Any:
        import pyarrow as pa

        rows = 0
        for batch in batches:
            arrays = [np.asarray(batch.column(name).to_numpy(zero_copy_only=False))
                      for name in columns]  # fmt: skip
            rows += arrays[0].shape[0]
        yield pa.RecordBatch.from_arrays([pa.array([rows], pa.int64())], ["rows"])

    return sum(r["rows"] for r in frame.select(*columns).mapInArrow(convert, "rows long").collect())


def bench_spark(rows: int) -> None:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    from multilabel_attr import spark as ml_spark

    start_up, spark = timed(
        lambda: SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100000").getOrCreate()
    )  # fmt: skip
    spark.sparkContext.setLogLevel("ERROR")
    spark.range(1).count()
    job = min(timed(lambda: spark.range(1).count())[0] for _ in range(3))
    build, frame = timed(lambda: spark_frame(spark, rows))
    labels = [f"y{j}" for j in range(N_LABELS)]
    scores = [f"s{j}" for j in range(N_LABELS)]

    def ours() -> Any:
        return ml_spark.evaluate(frame, labels, scores, zero_division=0, ranking=False)

    ours()  # the first call starts the Python workers
    # Ours and the floor alternate three times (best of each): the load of a shared machine
    # drifts, and the ratio between the two is what the engine controls.
    runs = []
    for _ in range(3):
        runs.append((timed(ours), timed(lambda: bare_arrow_pass(frame, labels + scores))))
    t_ours, report = min((run[0] for run in runs), key=lambda pair: pair[0])
    t_bare, counted = min((run[1] for run in runs), key=lambda pair: pair[0])
    assert counted == rows
    t_mllib, mllib = timed(lambda: mllib_as_documented(frame))
    check_equal(report.summary, mllib, "MultilabelMetrics")
    t_index, prepared = timed(lambda: index_columns(frame))
    t_eval, evaluator = timed(lambda: evaluator_calls(prepared))
    check_equal(report.summary, evaluator, "MultilabelClassificationEvaluator")
    t_one = timed(lambda: evaluator_calls_one(prepared))[0]
    t_sql, sql = timed(lambda: sql_aggregation(frame))
    check_equal(report.summary, {k: sql[k] for k in KEYS}, "SQL aggregation")
    print(f"\n== Spark local[2], {rows:,} x {N_LABELS} cached (built in {build:.1f} s); "
          f"results equal")  # fmt: skip
    print(f"session start-up {start_up:.1f} s; a trivial job {job * 1000:.0f} ms")
    print(f"ours: evaluate (every count-based number)      {t_ours:7.2f} s (best of 3)")
    for name, seconds in (
        ("MultilabelMetrics as documented (df.rdd.map)", t_mllib),
        ("seven evaluator calls (index columns ready)", t_eval),
        ("index columns + one evaluator call (JVM side)", t_index + t_one),
        ("SQL aggregation (counts + histogram)", t_sql),
    ):
        print(f"{name:47s} {seconds:7.2f} s   ours is {seconds / t_ours:5.1f}x faster")
    print(f"{'bare Arrow pass (computes nothing, best of 3)':47s} {t_bare:7.2f} s   ours takes "
          f"{t_ours / t_bare:4.2f}x the floor; building the index columns took {t_index:.1f} s")
    spark.stop()


def evaluator_calls_one(prepared: Any) -> float:
    from pyspark.ml.evaluation import MultilabelClassificationEvaluator

    return float(MultilabelClassificationEvaluator(metricName="f1Measure").evaluate(prepared))


# -- Dask ------------------------------------------------------------------------------------


def bench_dask(rows: int, chunk: int) -> None:
    import dask.array as da
    from distributed import Client, LocalCluster

    from multilabel_attr import dask as ml_dask

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):  # fmt: skip
        state = da.random.RandomState(0)
        prevalence = np.linspace(0.05, 0.55, N_LABELS)
        truth = (state.random_sample((rows, N_LABELS), chunks=(chunk, N_LABELS)) < prevalence)
        noise = state.standard_normal((rows, N_LABELS), chunks=(chunk, N_LABELS))
        scores = (1 / (1 + np.exp(-(noise + 2 * truth - 1)))).astype(np.float32)
        truth, scores = truth.persist(), scores.persist()
        ml_dask.evaluate(truth[:chunk], scores=scores[:chunk], ranking=False)  # warm the workers
        t_dask, report = timed(
            lambda: ml_dask.evaluate(truth, scores=scores, zero_division=0, ranking=False)
        )
        y, s = truth.compute(), scores.compute()
    t_numpy, expected = timed(lambda: ml.evaluate(y, s, zero_division=0, ranking=False))
    check_equal(report.summary, expected.summary, "numpy")
    print(f"\n== Dask LocalCluster (2 worker processes), {rows:,} x {N_LABELS} in chunks of "
          f"{chunk:,} rows; results equal")  # fmt: skip
    print(f"ours on Dask {t_dask:.2f} s; single-process numpy {t_numpy:.2f} s; "
          f"ratio {t_dask / t_numpy:.2f}x")


# -- Parquet ---------------------------------------------------------------------------------


def write_parquet(folder: Path, rows: int, group_rows: int = 250_000) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    prevalence = np.linspace(0.05, 0.55, N_LABELS)
    folder.mkdir(parents=True, exist_ok=True)
    per_file = 2_000_000
    for index, start in enumerate(range(0, rows, per_file)):
        path = folder / f"part-{index:03d}.parquet"
        with pq.ParquetWriter(path, schema=_schema()) as writer:
            for first in range(start, min(start + per_file, rows), group_rows):
                n = min(group_rows, rows - first, start + per_file - first)
                truth = rng.random((n, N_LABELS), dtype=np.float32) < prevalence
                noise = rng.standard_normal((n, N_LABELS), dtype=np.float32)
                scores = 1 / (1 + np.exp(-(noise + 2 * truth - 1)))
                columns = {f"y{j}": pa.array(truth[:, j]) for j in range(N_LABELS)}
                columns |= {f"s{j}": pa.array(scores[:, j]) for j in range(N_LABELS)}
                writer.write_table(pa.table(columns, schema=_schema()))


def _schema() -> Any:
    import pyarrow as pa

    return pa.schema([(f"y{j}", pa.bool_()) for j in range(N_LABELS)]
                     + [(f"s{j}", pa.float32()) for j in range(N_LABELS)])  # fmt: skip


_CHILD = """
import json, sys, time
import numpy as np
folder, mode = sys.argv[1], sys.argv[2]
labels = [f"y{j}" for j in range(40)]
scores = [f"s{j}" for j in range(40)]
start = time.perf_counter()
if mode == "pyarrow":
    import pathlib
    import pyarrow.parquet as pq
    for path in sorted(pathlib.Path(folder).glob("*.parquet")):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=262144, columns=labels + scores):
            arrays = [batch.column(n).to_numpy(zero_copy_only=False) for n in labels + scores]
    summary = None
else:
    from multilabel_attr import parquet
    summary = parquet.evaluate(folder, labels, scores, zero_division=0, ranking=False).summary
seconds = time.perf_counter() - start
# VmHWM: this process's own peak (ru_maxrss would carry over the parent's peak across exec).
status = open("/proc/self/status").read().split("VmHWM:")[1]
rss = int(status.split()[0]) * 1024
print(json.dumps({"seconds": seconds, "rss": rss, "summary": summary}))
"""


def _child(folder: Path, mode: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(folder), mode], env=env,
                         capture_output=True, text=True, check=True)  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def bench_parquet(folder: Path, rows: int) -> None:
    _child(folder, "pyarrow")  # a warm page cache for both
    arrow = _child(folder, "pyarrow")
    ours = _child(folder, "ours")
    y, s = read_matrix(folder)
    expected = ml.evaluate(y, s, zero_division=0, ranking=False).summary
    check_equal(ours["summary"], expected, "in-memory evaluate")
    del y, s
    size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
    print(f"\n== Parquet, {rows:,} x {N_LABELS} ({size / 2**30:.2f} GiB in "
          f"{len(list(folder.glob('*.parquet')))} files); results equal")  # fmt: skip
    print(f"ours: {ours['seconds']:.2f} s ({rows / ours['seconds'] / 1e6:.2f} M rows/s), "
          f"peak RSS {ours['rss'] / 2**20:.0f} MiB")
    print(f"pyarrow read alone: {arrow['seconds']:.2f} s, peak RSS {arrow['rss'] / 2**20:.0f} MiB;"
          f" ours takes {ours['seconds'] / arrow['seconds']:.2f}x")


def read_matrix(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    import pyarrow.parquet as pq

    table = pq.read_table(folder)
    y = np.stack([table[f"y{j}"].to_numpy() for j in range(N_LABELS)], axis=1)
    s = np.stack([table[f"s{j}"].to_numpy() for j in range(N_LABELS)], axis=1)
    return y, s


def bench_thresholds(folder: Path) -> None:
    from multilabel_attr import parquet
    from multilabel_attr.thresholds import optimize_thresholds

    labels = [f"y{j}" for j in range(N_LABELS)]
    scores = [f"s{j}" for j in range(N_LABELS)]
    y, s = read_matrix(folder)
    print(f"\n== Exact F1 thresholds from Parquet, {y.shape[0]:,} x {N_LABELS}, three passes")
    for strategy in ("per_label", "shared"):
        options: dict[str, Any] = {"strategy": strategy, "label_names": labels}
        t_ours, ours = timed(lambda: parquet.optimize_thresholds(folder, labels, scores, **options))  # noqa: B023
        t_one, single = timed(lambda: optimize_thresholds(y, s, **options))  # noqa: B023
        assert ours == single, strategy
        print(f"{strategy:9s}: equal to the single-machine search; ours {t_ours:.2f} s "
              f"(bounded memory), single machine in memory {t_one:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sections", default="spark,dask,parquet,thresholds")
    parser.add_argument("--spark-rows", type=int, default=1_000_000)
    parser.add_argument("--dask-rows", type=int, default=10_000_000)
    parser.add_argument("--dask-chunk", type=int, default=500_000)
    parser.add_argument("--parquet-rows", type=int, default=10_000_000)
    parser.add_argument("--threshold-rows", type=int, default=10_000_000)
    args = parser.parse_args()
    if args.quick:
        args.spark_rows, args.dask_rows, args.dask_chunk, args.parquet_rows = (
            50_000, 400_000, 100_000, 400_000)  # fmt: skip
        args.threshold_rows = 200_000
    sections = args.sections.split(",")
    warnings.simplefilter("ignore")
    if "spark" in sections:
        bench_spark(args.spark_rows)
    if "dask" in sections:
        bench_dask(args.dask_rows, args.dask_chunk)
    for section, rows in (("parquet", args.parquet_rows), ("thresholds", args.threshold_rows)):
        if section not in sections:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "scores"
            t_write = timed(lambda: write_parquet(folder, rows))[0]  # noqa: B023
            print(f"\n(wrote {rows:,} rows of Parquet in {t_write:.1f} s)")
            (bench_parquet(folder, rows) if section == "parquet" else bench_thresholds(folder))


if __name__ == "__main__":
    main()
