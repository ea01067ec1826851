"""Evaluate Spark DataFrames: numpy over Arrow batches in every partition, small states merged.

Needs the ``spark`` extra (pyspark, pyarrow) and a Java runtime.  Each
partition's rows arrive as Arrow record batches (``mapInArrow``: no per-row
Python), are counted by the library's own counting code into a
[`MultilabelCounts`][multilabel_attr.MultilabelCounts], and the partitions'
states (a few kilobytes each) are merged on the driver.  The results equal
those of [`evaluate`][multilabel_attr.evaluate] on the same rows in memory.

Labels and scores are given as one array column (``array<double>``,
``array<int>``, ``array<boolean>`` ...) or as a list of scalar columns, one per
label; ``weight`` names an optional column of non-negative sample weights.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from ._scale import _driver, _tuning
from ._scale._columns import ColumnError, ColumnSpec
from ._scale._exact import CELL_SCHEMA, ExplodePass, ReducePass
from ._scale._partition import Merge, PartitionTask, merge_payloads
from ._scale._tuning import DEFAULT_TUNING_BINS
from .core import MultilabelCounts, Report
from .thresholds import Thresholds

__all__ = ["SparkSource", "bootstrap_report", "counts", "evaluate", "optimize_thresholds"]

_REMOTE_ERROR = re.compile(r"ColumnError: (.*)")


class SparkSource:
    """A Spark DataFrame as a source of partitions (one task per partition)."""

    def __init__(self, frame: Any) -> None:
        columns = getattr(frame, "columns", None)
        if columns is None or not hasattr(frame, "mapInArrow"):
            raise TypeError(f"expected a pyspark.sql.DataFrame; got {type(frame).__name__}")
        self.frame = frame

    def describe(self) -> str:
        return "the DataFrame"

    def columns(self) -> Sequence[str]:
        return list(self.frame.columns)

    def _row_offsets(self, frame: Any) -> dict[int, int]:
        from pyspark.sql.functions import spark_partition_id

        sizes = frame.groupBy(spark_partition_id().alias("p")).count().collect()
        offsets, running = {}, 0
        for row in sorted(sizes, key=lambda r: r["p"]):
            offsets[int(row["p"])] = running
            running += int(row["count"])
        return offsets

    def run(
        self, task: PartitionTask, *, row_offsets: bool = False, merge: Merge = merge_payloads
    ) -> bytes:
        wanted = getattr(getattr(task, "spec", None), "columns", None)
        frame = self.frame.select(*wanted) if wanted else self.frame
        offsets = self._row_offsets(frame) if row_offsets else {}

        def per_partition(batches: Iterator[Any]) -> Iterator[Any]:
            import pyarrow as pa
            from pyspark import TaskContext

            context = TaskContext.get()
            partition = context.partitionId() if context is not None else 0
            payload = task(batches, f"partition {partition}", offsets.get(partition, 0))
            yield pa.RecordBatch.from_arrays([pa.array([payload], pa.binary())], ["state"])

        rows = self._collect(frame.mapInArrow(per_partition, "state binary"))
        return merge(*(bytes(row["state"]) for row in rows))


    def shuffle(self, explode: ExplodePass, reduce: ReducePass) -> list[bytes]:
        """Cells exploded in every partition, repartitioned by bucket, each partition's
        buckets sorted and reduced in Python: a distributed sort."""
        frame = self.frame.select(*explode.spec.columns)

        def emit(batches: Iterator[Any]) -> Iterator[Any]:
            from pyspark import TaskContext

            context = TaskContext.get()
            where = f"partition {context.partitionId() if context is not None else 0}"
            for table in explode.tables(batches, where):
                yield from table.to_batches()

        def reduced(batches: Iterator[Any]) -> Iterator[Any]:
            import pyarrow as pa

            payload = reduce(pa.Table.from_batches([b]) for b in batches)
            yield pa.RecordBatch.from_arrays([pa.array([payload], pa.binary())], ["state"])

        cells = frame.mapInArrow(emit, CELL_SCHEMA).repartition(explode.n_buckets, "bucket")
        rows = self._collect(cells.mapInArrow(reduced, "state binary"))
        return [bytes(row["state"]) for row in rows]

    @staticmethod
    def _collect(frame: Any) -> list[Any]:
        try:
            rows: list[Any] = frame.collect()
        except Exception as exc:
            # A bad value found by a task comes back wrapped in the JVM's error; say it plainly.
            found = _REMOTE_ERROR.findall(str(exc))
            if found:
                raise ColumnError(found[-1].strip()) from exc
            raise
        return rows


def _spec(
    labels: Any, scores: Any, weight: Any, row_id: Any = None, cluster: Any = None
) -> ColumnSpec:
    return ColumnSpec.build(labels, scores, weight, row_id, cluster)


def counts(
    frame: Any,
    labels: str | Sequence[str],
    scores: str | Sequence[str],
    *,
    weight: str | None = None,
    threshold: Any = 0.5,
    from_logits: bool = False,
    label_names: Sequence[str] | None = None,
) -> MultilabelCounts:
    """Count a DataFrame's rows into a [`MultilabelCounts`][multilabel_attr.MultilabelCounts].

    Parameters
    ----------
    frame : pyspark.sql.DataFrame
    labels, scores : str or sequence of str
        One array column, or one scalar column per label (in label order).
    weight : str, optional
        A column of non-negative sample weights.
    threshold, from_logits
        As in [`evaluate`][multilabel_attr.evaluate]; ``threshold=None`` reads
        ``scores`` as 0/1 predictions.
    label_names : sequence of str, optional
        Defaults to the label column names when one column per label is given.

    Raises
    ------
    ValueError
        A missing column, a missing value, an array of the wrong length, labels
        outside {0, 1}, scores that are not finite (or outside [0, 1] when
        thresholded as probabilities), negative weights or an empty DataFrame:
        the message names the column and the partition.
    """
    return _driver.counts(
        SparkSource(frame), _spec(labels, scores, weight), threshold=threshold,
        from_logits=from_logits, label_names=label_names,
    )  # fmt: skip


def evaluate(
    frame: Any,
    labels: str | Sequence[str],
    scores: str | Sequence[str],
    *,
    weight: str | None = None,
    threshold: Any = 0.5,
    label_names: Sequence[str] | None = None,
    from_logits: bool = False,
    zero_division: Any = "warn",
    ranking: Any = "sketch",
) -> Report:
    """[`evaluate`][multilabel_attr.evaluate] over a Spark DataFrame, in one pass.

    Every count-based number (all summary metrics, including the ``samples``
    averages, and the per-label columns) equals the in-memory
    [`evaluate`][multilabel_attr.evaluate] on the same rows; the ranking
    columns come from a [`ScoreSketch`][multilabel_attr.ScoreSketch] (``ranking="sketch"``,
    or a number of bins), with their guaranteed error bounds in the extra
    per-label columns ``auroc_bound`` and ``average_precision_bound``;
    ``ranking=False`` leaves them ``nan``.  Arguments as in
    [`counts`][multilabel_attr.spark.counts].
    """
    return _driver.evaluate(
        SparkSource(frame), _spec(labels, scores, weight), threshold=threshold,
        from_logits=from_logits, label_names=label_names, zero_division=zero_division,
        ranking=ranking,
    )  # fmt: skip


def bootstrap_report(
    frame: Any,
    labels: str | Sequence[str],
    scores: str | Sequence[str],
    *,
    weight: str | None = None,
    threshold: Any = 0.5,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    seed: int = 0,
    row_id: str | None = None,
    cluster: str | None = None,
    label_names: Sequence[str] | None = None,
    from_logits: bool = False,
) -> Report:
    """[`evaluate`][multilabel_attr.spark.evaluate] with Poisson-bootstrap intervals.

    Each row gets an independent Poisson(1) multiplicity per replicate, drawn
    from its row id and ``seed``: the integer column ``row_id`` when given,
    otherwise the row's position in the DataFrame (which costs one more pass,
    and needs an order that does not change between jobs, e.g. a cached or
    freshly read DataFrame).  Replicate counts merge like counts, so the
    intervals do not depend on the partitioning, and equal those of the Parquet
    and Dask engines on the same rows.

    With ``cluster`` (a column of integer or string group ids, such as a person's
    identity) the draws are keyed by the cluster id instead: every row of a
    cluster gets its cluster's multiplicity, whichever partition holds it, so
    whole clusters are resampled (``row_id`` is then not used).
    """
    return _driver.bootstrap_report(
        SparkSource(frame), _spec(labels, scores, weight, row_id, cluster), threshold=threshold,
        from_logits=from_logits, label_names=label_names, n_resamples=n_resamples,
        confidence_level=confidence_level, seed=seed,
    )  # fmt: skip


def optimize_thresholds(
    frame: Any,
    labels: str | Sequence[str],
    scores: str | Sequence[str],
    *,
    weight: str | None = None,
    metric: Any = "f1",
    strategy: str = "per_label",
    average: str | None = None,
    beta: float | None = None,
    from_logits: bool = False,
    min_positives: int = 10,
    fallback: Any = "shared",
    zero_division: float = 0.0,
    label_names: Sequence[str] | None = None,
    n_bins: int = DEFAULT_TUNING_BINS,
) -> Thresholds:
    """[`optimize_thresholds`][multilabel_attr.thresholds.optimize_thresholds] over a DataFrame.

    Returns the same [`Thresholds`][multilabel_attr.thresholds.Thresholds] as
    the in-memory search on the same rows, in three passes (see
    [`optimize_thresholds`][multilabel_attr.parquet.optimize_thresholds]):
    only the scores inside the few sketch bins that can hold each optimum
    reach the driver.  Strategies ``"per_label"`` and ``"shared"``.
    """
    return _tuning.tune(SparkSource(frame), _spec(labels, scores, weight), locals())
