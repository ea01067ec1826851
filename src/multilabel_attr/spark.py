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
from typing import Any, overload

from ._scale import _calibration, _driver, _operating_points, _tuning
from ._scale._columns import ColumnError, ColumnSpec, Place
from ._scale._exact import CELL_SCHEMA, ExplodePass, ReducePass
from ._scale._fingerprint import check_partition_rows
from ._scale._partition import Merge, PartitionTask, merge_payloads
from ._scale._tuning import DEFAULT_TUNING_BINS
from .calibration import Calibrator
from .core import CalibrationState, MultilabelCounts, OperatingPoints, Report, SlicedReport
from .core._internal import DEFAULT_MAX_SLICES, check_constraints, validated
from .thresholds import Thresholds

__all__ = ["SparkSource", "bootstrap_report",
    "calibration_state", "counts", "evaluate",
    "fit_calibrator", "operating_points", "optimize_thresholds"]

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

    def _row_offsets(self, frame: Any) -> dict[int, tuple[int, int]]:
        """Each partition's first row number and number of rows."""
        from pyspark.sql.functions import spark_partition_id

        sizes = frame.groupBy(spark_partition_id().alias("p")).count().collect()
        offsets, running = {}, 0
        for row in sorted(sizes, key=lambda r: r["p"]):
            offsets[int(row["p"])] = (running, int(row["count"]))
            running += int(row["count"])
        return offsets

    def run(
        self, task: PartitionTask, *, row_offsets: bool = False, merge: Merge = merge_payloads
    ) -> bytes:
        wanted = getattr(getattr(task, "spec", None), "columns", None)
        names = list(wanted) if wanted else list(self.frame.columns)
        frame = self._select(names)
        offsets = self._row_offsets(frame) if row_offsets else {}

        def per_partition(batches: Iterator[Any]) -> Iterator[Any]:
            import pyarrow as pa
            from pyspark import TaskContext

            context = TaskContext.get()
            partition = context.partitionId() if context is not None else 0
            where = Place(f"partition {partition}", partition=partition)
            if not row_offsets:
                payload = task(_renamed(batches, names), where, 0)
            else:
                # Rows are numbered by a pass of their own: a partition that holds other
                # rows now would draw other rows' multiplicities.
                first, counted = offsets.get(partition, (0, None))
                seen = _Counted(_renamed(batches, names))
                payload = task(seen, where, first)
                check_partition_rows(str(where), seen.rows, counted, "the DataFrame")
            yield pa.RecordBatch.from_arrays([pa.array([payload], pa.binary())], ["state"])

        rows = self._collect(frame.mapInArrow(per_partition, "state binary"))
        return merge(*(bytes(row["state"]) for row in rows))

    def shuffle(self, explode: ExplodePass, reduce: ReducePass) -> list[bytes]:
        """Cells exploded in every partition, repartitioned by bucket, each partition's
        buckets sorted and reduced in Python: a distributed sort."""
        names = explode.spec.columns
        frame = self._select(names)

        def emit(batches: Iterator[Any]) -> Iterator[Any]:
            from pyspark import TaskContext

            context = TaskContext.get()
            where = f"partition {context.partitionId() if context is not None else 0}"
            for table in explode.tables(_renamed(batches, names), where):
                yield from table.to_batches()

        def reduced(batches: Iterator[Any]) -> Iterator[Any]:
            import pyarrow as pa

            payload = reduce(pa.Table.from_batches([b]) for b in batches)
            yield pa.RecordBatch.from_arrays([pa.array([payload], pa.binary())], ["state"])

        cells = frame.mapInArrow(emit, CELL_SCHEMA).repartition(explode.n_buckets, "bucket")
        rows = self._collect(cells.mapInArrow(reduced, "state binary"))
        return [bytes(row["state"]) for row in rows]

    def _select(self, names: list[str]) -> Any:
        """The columns ``names`` under the plain names ``c0``, ``c1``, ...: Spark reads a dot
        in a column name as a struct field, and ``mapInArrow`` does so even when the name
        is quoted; the tasks get the batches back under the real names (``_renamed``)."""
        from pyspark.sql.functions import col

        quoted = (f"`{name.replace('`', '``')}`" for name in names)
        return self.frame.select(*(col(q).alias(f"c{i}") for i, q in enumerate(quoted)))

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


class _Counted:
    """Arrow batches passed through, their rows counted."""

    def __init__(self, batches: Iterator[Any]) -> None:
        self._batches = batches
        self.rows = 0

    def __iter__(self) -> Iterator[Any]:
        for batch in self._batches:
            self.rows += batch.num_rows
            yield batch


def _renamed(batches: Iterator[Any], names: list[str]) -> Iterator[Any]:
    """Arrow batches of ``SparkSource._select`` under the columns' real names."""
    for batch in batches:
        yield batch.rename_columns(names)


def _spec(
    labels: Any,
    scores: Any,
    weight: Any,
    row_id: Any = None,
    groups: Any = None,
    cluster: Any = None,
) -> ColumnSpec:
    return ColumnSpec.build(labels, scores, weight, row_id, groups=groups, cluster=cluster)


@validated("from_logits", threshold="named_threshold")
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


@overload
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
    groups: None = None,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Report: ...


@overload
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
    groups: str | Sequence[str],
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> SlicedReport: ...


@validated(
    "from_logits", "zero_division", "ranking", "min_slice_size", "max_slices",
    threshold="named_threshold",
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
    groups: str | Sequence[str] | None = None,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Report | SlicedReport:
    """[`evaluate`][multilabel_attr.evaluate] over a Spark DataFrame, in one pass.

    Every count-based number (all summary metrics, including the ``samples``
    averages, and the per-label columns) equals the in-memory
    [`evaluate`][multilabel_attr.evaluate] on the same rows; the ranking
    columns come from a [`ScoreSketch`][multilabel_attr.ScoreSketch] (``ranking="sketch"``,
    or a number of bins), with their guaranteed error bounds in the extra
    per-label columns ``auroc_bound`` and ``average_precision_bound``;
    ``ranking=False`` leaves them ``nan``.  Arguments as in
    [`counts`][multilabel_attr.spark.counts].
    With ``groups`` (one column name or several, crossed) the result is a
    [`SlicedReport`][multilabel_attr.SlicedReport] counted in the same pass: every
    count-based number of every slice equals [`evaluate`][multilabel_attr.evaluate] with
    ``groups`` on the same rows in memory, and each slice's ranking columns come from its
    own sketch.  A group column that is one of the label columns slices by that label and
    is left out of the counted labels.  ``min_slice_size`` hides smaller slices (and
    lists them); more than ``max_slices`` slices are refused.
    """
    return _driver.evaluate(
        SparkSource(frame), _spec(labels, scores, weight, groups=groups), threshold=threshold,
        from_logits=from_logits, label_names=label_names, zero_division=zero_division,
        ranking=ranking, min_slice_size=min_slice_size, max_slices=max_slices,
    )  # fmt: skip


@overload
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
    groups: None = None,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Report: ...


@overload
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
    groups: str | Sequence[str],
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> SlicedReport: ...


@validated(
    "n_resamples", "confidence_level", "from_logits", "min_slice_size", "max_slices",
    threshold="named_threshold", seed="engine_seed",
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
    groups: str | Sequence[str] | None = None,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Report | SlicedReport:
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

    With ``groups`` (column names, crossed; a label column slices by that label) every
    slice and every gap between slices gets intervals, equal to the in-memory
    [`bootstrap_report`][multilabel_attr.bootstrap_report] with ``groups`` on the same rows
    (see [`bootstrap_report`][multilabel_attr.parquet.bootstrap_report]).
    """
    return _driver.bootstrap_report(
        SparkSource(frame), _spec(labels, scores, weight, row_id, groups=groups, cluster=cluster),
        threshold=threshold, from_logits=from_logits, label_names=label_names,
        n_resamples=n_resamples, confidence_level=confidence_level, seed=seed,
        min_slice_size=min_slice_size, max_slices=max_slices,
    )  # fmt: skip


@validated("n_bins")
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
    settings = _tuning.check_tuning(
        metric=metric, strategy=strategy, average=average, beta=beta, from_logits=from_logits,
        min_positives=min_positives, fallback=fallback, zero_division=zero_division,
    )  # fmt: skip
    spec = _spec(labels, scores, weight)
    return _tuning.optimize_thresholds(SparkSource(frame), spec, settings, label_names, n_bins)


@validated("from_logits", "sketch_bins", n_bins="calibration_bins")
def calibration_state(
    frame: Any,
    labels: str | Sequence[str],
    scores: str | Sequence[str],
    *,
    weight: Any = None,
    n_bins: int = 15,
    from_logits: bool = False,
    sketch_bins: int | None = 1024,
    label_names: Sequence[str] | None = None,
) -> CalibrationState:
    """The [`CalibrationState`][multilabel_attr.CalibrationState] of every row, in one pass.

    Each partition fills a state and the states merge, so every calibration metric
    (ECE, MCE, Brier score, log loss, reliability curves) equals the in-memory
    state's on the same rows.  ``n_bins``, ``from_logits`` and ``sketch_bins`` as in
    [`CalibrationState`][multilabel_attr.CalibrationState]; the other arguments as in
    [`counts`][multilabel_attr.spark.counts].
    """
    source, spec = SparkSource(frame), _spec(labels, scores, weight)
    return _calibration.calibration_state(
        source, spec, n_bins=n_bins, from_logits=from_logits, sketch_bins=sketch_bins,
        label_names=label_names,
    )  # fmt: skip


@validated("shared", "from_logits", "max_iter", method="scale_calibrator_method")
def fit_calibrator(
    frame: Any,
    labels: str | Sequence[str],
    scores: str | Sequence[str],
    *,
    weight: Any = None,
    method: str = "platt",
    shared: bool = False,
    from_logits: bool = False,
    label_names: Sequence[str] | None = None,
    max_iter: int = 100,
) -> Calibrator:
    """Platt or temperature scaling per label, one job per Newton pass.

    Every pass sums, over the partitions, the log loss, gradient and Hessian of
    [`fit_calibrator`][multilabel_attr.calibration.fit_calibrator] at the current
    parameters, so the result is the in-memory fit on the same rows (to rounding).
    ``method`` is ``"platt"`` or ``"temperature"`` (isotonic regression needs all the
    scores sorted together); the other arguments as in
    [`fit_calibrator`][multilabel_attr.calibration.fit_calibrator] and
    [`counts`][multilabel_attr.spark.counts].
    """
    source, spec = SparkSource(frame), _spec(labels, scores, weight)
    return _calibration.fit_calibrator(
        source, spec, method=method, shared=shared, from_logits=from_logits,
        label_names=label_names, max_iter=max_iter,
    )  # fmt: skip


@validated("from_logits", "n_bins")
def operating_points(
    frame: Any,
    labels: str | Sequence[str],
    scores: str | Sequence[str],
    *,
    constraints: Any,
    weight: str | None = None,
    from_logits: bool = False,
    label_names: Sequence[str] | None = None,
    n_bins: int = DEFAULT_TUNING_BINS,
) -> dict[str, OperatingPoints]:
    """[`operating_points`][multilabel_attr.core.operating_points] over a Spark DataFrame.

    The same points (values, thresholds, status and warnings) as the in-memory function on
    the same rows, from two passes: a [`ScoreSketch`][multilabel_attr.ScoreSketch] of
    ``n_bins`` bins per label, then only the scores inside the bins that may hold a better
    cut than the best bin edge.  Other arguments as in
    [`operating_points`][multilabel_attr.core.operating_points] and
    [`counts`][multilabel_attr.spark.counts].
    """
    constraints = check_constraints(constraints)  # before any source is opened
    return _operating_points.operating_points(
        SparkSource(frame), _spec(labels, scores, weight), constraints,
        label_names=label_names, from_logits=from_logits, n_bins=n_bins,
    )  # fmt: skip

