"""Evaluate Dask DataFrames and arrays on any Dask scheduler, ``distributed`` included.

Needs the ``dask`` extra (``dask[distributed,dataframe]``, pyarrow).  Each
partition (or row block of an array) is counted on a worker by the library's
own counting code into a [`MultilabelCounts`][multilabel_attr.MultilabelCounts];
the small states are merged by a tree reduction on the workers, and only the
final state reaches the client.  The results equal those of
[`evaluate`][multilabel_attr.evaluate] on the same rows in memory.

The data is either a Dask DataFrame with ``labels`` and ``scores`` naming one
array column or one scalar column per label (and ``weight`` an optional weight
column), or a Dask array of labels with ``scores`` the Dask array of scores of
the same shape (and ``weight`` an optional Dask array of weights).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, overload

import numpy as np

from ._scale import _calibration, _driver, _operating_points, _tuning
from ._scale._columns import ColumnError, ColumnSpec, Place, block_from_arrays
from ._scale._exact import ExplodePass, ReducePass
from ._scale._fingerprint import check_partition_rows
from ._scale._partition import Merge, PartitionTask, merge_payloads
from ._scale._tuning import DEFAULT_TUNING_BINS
from .calibration import Calibrator
from .core import CalibrationState, MultilabelCounts, OperatingPoints, Report, SlicedReport
from .core._internal import DEFAULT_MAX_SLICES, check_constraints, validated
from .thresholds import Thresholds

__all__ = [
    "DaskArraySource",
    "DaskFrameSource",
    "bootstrap_report",
    "calibration_state",
    "counts",
    "evaluate",
    "fit_calibrator",
    "operating_points",
    "optimize_thresholds",
]

_FAN_IN = 8


def _tree_reduce(payloads: list[Any], merge: Merge) -> bytes:
    """Merge delayed partition states in a tree on the workers; fetch only the root."""
    from dask.delayed import delayed

    while len(payloads) > 1:
        payloads = [
            delayed(merge)(*payloads[start : start + _FAN_IN])
            for start in range(0, len(payloads), _FAN_IN)
        ]
    (root,) = payloads
    result: bytes = root.compute()
    return result


def _frame_partition(
    frame: Any, task: PartitionTask, where: str, first_row: int, counted: int | None = None
) -> bytes:
    import pyarrow as pa

    if counted is not None:
        # Rows numbered by a pass of their own (a bootstrap keyed by position).
        check_partition_rows(str(where), len(frame), counted, "the DataFrame")
    batch = pa.RecordBatch.from_pandas(frame, preserve_index=False) if len(frame) else None
    return task([] if batch is None else [batch], where, first_row)


def _array_block(
    truth: Any, scores: Any, weight: Any, task: PartitionTask, where: str, first_row: int
) -> bytes:
    return task([block_from_arrays(truth, scores, weight, None, where)], where, first_row)


def _explode_frame(frame: Any, explode: ExplodePass, where: str) -> Any:
    import pyarrow as pa

    batches = [pa.RecordBatch.from_pandas(frame, preserve_index=False)] if len(frame) else []
    return _cells_frame(explode.tables(batches, where))


def _explode_block(truth: Any, scores: Any, weight: Any, explode: ExplodePass, where: str) -> Any:
    return _cells_frame(explode.tables([block_from_arrays(truth, scores, weight, None, where)],
                                       where))  # fmt: skip


def _cells_frame(tables: Any) -> Any:
    import pandas as pd

    frames = [table.to_pandas() for table in tables]
    return pd.concat(frames, ignore_index=True) if frames else _cells_meta()


def _cells_meta() -> Any:
    import pandas as pd

    return pd.DataFrame({
        "bucket": np.zeros(0, np.int32), "g": np.zeros(0, np.int64), "s": np.zeros(0),
        "t": np.zeros(0, bool), "w": np.zeros(0),
    })  # fmt: skip


def _reduce_frame(frame: Any, reduce: ReducePass) -> bytes:
    import pyarrow as pa

    return reduce([pa.Table.from_pandas(frame, preserve_index=False)])


def _shuffle(parts: list[Any], explode: ExplodePass, reduce: ReducePass) -> list[bytes]:
    """Cells from every partition shuffled by bucket, then each new partition reduced."""
    import dask.dataframe as dd
    from dask.base import compute
    from dask.delayed import delayed

    cells = dd.from_delayed(parts, meta=_cells_meta(), verify_meta=False)
    shuffled = cells.shuffle("bucket", npartitions=explode.n_buckets)
    payloads = [delayed(_reduce_frame)(part, reduce) for part in shuffled.to_delayed()]
    return list(compute(*payloads))  # type: ignore[no-untyped-call]


class DaskFrameSource:
    """A Dask DataFrame: one task per partition."""

    def __init__(self, frame: Any) -> None:
        self.frame = frame

    def describe(self) -> str:
        return "the DataFrame"

    def columns(self) -> Sequence[str]:
        return [str(c) for c in self.frame.columns]

    def run(
        self, task: PartitionTask, *, row_offsets: bool = False, merge: Merge = merge_payloads
    ) -> bytes:
        from dask.delayed import delayed

        wanted = getattr(getattr(task, "spec", None), "columns", None)
        frame = self.frame[wanted] if wanted else self.frame
        starts = [0] * frame.npartitions
        sizes: list[int | None] = [None] * frame.npartitions
        if row_offsets:
            counted = np.asarray(frame.map_partitions(len).compute(), np.int64)
            starts = np.concatenate([[0], np.cumsum(counted)[:-1]]).astype(np.int64).tolist()
            sizes = list(counted.tolist())
        parts = frame.to_delayed()
        return _tree_reduce(
            [
                delayed(_frame_partition)(
                    part, task, Place(f"partition {index}", partition=index),
                    starts[index], sizes[index],
                )
                for index, part in enumerate(parts)
            ],
            merge,
        )

    def shuffle(self, explode: ExplodePass, reduce: ReducePass) -> list[bytes]:
        from dask.delayed import delayed

        parts = self.frame[explode.spec.columns].to_delayed()
        return _shuffle(
            [delayed(_explode_frame)(p, explode, f"partition {i}") for i, p in enumerate(parts)],
            explode, reduce,
        )  # fmt: skip


def _check_known_chunks(array: Any, name: str) -> None:
    """Row offsets and block shapes need every chunk's size; Dask leaves them unknown (nan)
    after a DataFrame's ``to_dask_array()`` or a boolean mask."""
    chunks = getattr(array, "chunks", None)
    if chunks and any(math.isnan(size) for sizes in chunks for size in sizes):
        raise ColumnError(
            f"{name} has chunks of unknown size (shape {array.shape}); compute them first with "
            f"{name}.compute_chunk_sizes(), or build it with to_dask_array(lengths=True)"
        )


def _check_column_names(frame: Any, **groups: Any) -> None:
    """Columns are named by strings; a DataFrame with other names (such as the integers of a
    frame built from a plain array) gets a message saying how to rename them."""
    odd = [c for c in frame.columns if not isinstance(c, str)]
    if not odd:
        return
    named = {str(c) for c in odd}
    for argument, group in groups.items():
        names = [group] if isinstance(group, (str, int)) else list(group or ())
        wanted = [n for n in names if n in odd or (isinstance(n, str) and n in named)]
        if wanted:
            raise ColumnError(
                f"{argument} names the column(s) {wanted}, but Dask DataFrame columns must be "
                f"named by strings here; the DataFrame has the non-string names {odd[:10]}. "
                "Rename them first, e.g. frame.rename(columns=str)"
            )


class DaskArraySource:
    """Dask arrays of labels, scores and optional weights: one task per row block."""

    def __init__(self, truth: Any, scores: Any, weight: Any = None) -> None:
        for name, array in (("labels", truth), ("scores", scores), ("weight", weight)):
            _check_known_chunks(array, name)
        if scores is None or getattr(scores, "shape", None) != getattr(truth, "shape", None):
            raise ColumnError(
                "scores must be a Dask array of the labels' shape "
                f"{getattr(truth, 'shape', None)}; got {getattr(scores, 'shape', scores)!r}"
            )
        if len(truth.shape) != 2:
            raise ColumnError(f"labels must be 2-D (rows, labels); got shape {truth.shape}")
        self.truth = truth.rechunk({1: -1})
        self.scores = scores.rechunk(self.truth.chunks)
        self.weight = None
        if weight is not None:
            if getattr(weight, "shape", None) != (truth.shape[0],):
                raise ColumnError(
                    f"weight must be a 1-D Dask array of {truth.shape[0]} weights; got shape "
                    f"{getattr(weight, 'shape', None)}"
                )
            self.weight = weight.rechunk((self.truth.chunks[0],))

    def describe(self) -> str:
        return "the arrays"

    def columns(self) -> Sequence[str]:
        return ["y_true", "y_score", "sample_weight"]

    def run(
        self, task: PartitionTask, *, row_offsets: bool = False, merge: Merge = merge_payloads
    ) -> bytes:
        from dask.delayed import delayed

        truth = self.truth.to_delayed()[:, 0]
        scores = self.scores.to_delayed()[:, 0]
        weights = [None] * len(truth) if self.weight is None else self.weight.to_delayed()
        starts = np.concatenate([[0], np.cumsum(self.truth.chunks[0])[:-1]]).tolist()
        return _tree_reduce(
            [
                delayed(_array_block)(t, s, w, task, f"row block {i}", starts[i])
                for i, (t, s, w) in enumerate(zip(truth, scores, weights))
            ],
            merge,
        )

    def shuffle(self, explode: ExplodePass, reduce: ReducePass) -> list[bytes]:
        from dask.delayed import delayed

        truth = self.truth.to_delayed()[:, 0]
        scores = self.scores.to_delayed()[:, 0]
        weights = [None] * len(truth) if self.weight is None else self.weight.to_delayed()
        return _shuffle(
            [
                delayed(_explode_block)(t, s, w, explode, f"row block {i}")
                for i, (t, s, w) in enumerate(zip(truth, scores, weights))
            ],
            explode, reduce,
        )  # fmt: skip


def _source(
    data: Any, labels: Any, scores: Any, weight: Any, groups: Any = None, cluster: Any = None
) -> tuple[Any, ColumnSpec]:
    import dask.array as da

    if isinstance(data, da.Array):
        if groups is not None:
            raise ColumnError("groups names columns of a DataFrame; Dask arrays have none")
        if labels is not None or cluster is not None:
            raise ColumnError(
                "with Dask arrays pass the scores as scores=...; labels and cluster name "
                "columns of a DataFrame"
            )
        spec = ColumnSpec("y_true", "y_score", None if weight is None else "sample_weight")
        return DaskArraySource(data, scores, weight), spec
    if not hasattr(data, "to_delayed") or not hasattr(data, "columns"):
        raise TypeError(
            f"data must be a Dask DataFrame or a Dask array; got {type(data).__name__}"
        )
    _check_column_names(data, labels=labels, scores=scores, weight=weight, cluster=cluster)
    spec = ColumnSpec.build(labels, scores, weight, groups=groups, cluster=cluster)
    return DaskFrameSource(data), spec


@validated("from_logits", threshold="named_threshold")
def counts(
    data: Any,
    labels: str | Sequence[str] | None = None,
    scores: Any = None,
    *,
    weight: Any = None,
    threshold: Any = 0.5,
    from_logits: bool = False,
    label_names: Sequence[str] | None = None,
) -> MultilabelCounts:
    """Count Dask data into a [`MultilabelCounts`][multilabel_attr.MultilabelCounts].

    Parameters
    ----------
    data : dask DataFrame or dask Array
        A DataFrame, or the labels as a 2-D Dask array.
    labels : str or sequence of str, optional
        With a DataFrame: one array column, or one scalar column per label.
    scores : str, sequence of str or dask Array
        With a DataFrame, the score column(s); with arrays, the scores array.
    weight : str or dask Array, optional
        The weight column, or a 1-D Dask array of non-negative weights.
    threshold, from_logits
        As in [`evaluate`][multilabel_attr.evaluate].
    label_names : sequence of str, optional
        Defaults to the label column names when one column per label is given.

    Raises
    ------
    ValueError
        Bad values, missing columns, arrays of the wrong length or no rows: the
        message names the column and the partition.
    """
    source, spec = _source(data, labels, scores, weight)
    return _driver.counts(
        source, spec, threshold=threshold, from_logits=from_logits, label_names=label_names
    )


@overload
def evaluate(
    data: Any,
    labels: str | Sequence[str] | None = None,
    scores: Any = None,
    *,
    weight: Any = None,
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
    data: Any,
    labels: str | Sequence[str] | None = None,
    scores: Any = None,
    *,
    weight: Any = None,
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
    data: Any,
    labels: str | Sequence[str] | None = None,
    scores: Any = None,
    *,
    weight: Any = None,
    threshold: Any = 0.5,
    label_names: Sequence[str] | None = None,
    from_logits: bool = False,
    zero_division: Any = "warn",
    ranking: Any = "sketch",
    groups: str | Sequence[str] | None = None,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Report | SlicedReport:
    """[`evaluate`][multilabel_attr.evaluate] over Dask data, in one pass.

    The count-based numbers equal the in-memory
    [`evaluate`][multilabel_attr.evaluate]; the ranking columns come from a
    [`ScoreSketch`][multilabel_attr.ScoreSketch] with their bounds (see
    [`evaluate`][multilabel_attr.spark.evaluate]).
    Arguments as in [`counts`][multilabel_attr.dask.counts].
    With ``groups`` (one column name or several, crossed) the result is a
    [`SlicedReport`][multilabel_attr.SlicedReport] counted in the same pass: every
    count-based number of every slice equals [`evaluate`][multilabel_attr.evaluate] with
    ``groups`` on the same rows in memory, and each slice's ranking columns come from its
    own sketch.  A group column that is one of the label columns slices by that label and
    is left out of the counted labels.  ``min_slice_size`` hides smaller slices (and
    lists them); more than ``max_slices`` slices are refused.
    """
    source, spec = _source(data, labels, scores, weight, groups)
    return _driver.evaluate(
        source, spec, threshold=threshold, from_logits=from_logits, label_names=label_names,
        zero_division=zero_division, ranking=ranking, min_slice_size=min_slice_size,
        max_slices=max_slices,
    )  # fmt: skip


@overload
def bootstrap_report(
    data: Any, labels: str | Sequence[str] | None = None, scores: Any = None, *,
    weight: Any = None, threshold: Any = 0.5, n_resamples: int = 1000,
    confidence_level: float = 0.95, seed: int = 0, cluster: str | None = None,
    label_names: Sequence[str] | None = None, from_logits: bool = False, groups: None = None,
    min_slice_size: int = 1, max_slices: int = DEFAULT_MAX_SLICES,
) -> Report: ...  # fmt: skip
@overload
def bootstrap_report(
    data: Any, labels: str | Sequence[str] | None = None, scores: Any = None, *,
    weight: Any = None, threshold: Any = 0.5, n_resamples: int = 1000,
    confidence_level: float = 0.95, seed: int = 0, cluster: str | None = None,
    label_names: Sequence[str] | None = None, from_logits: bool = False,
    groups: str | Sequence[str], min_slice_size: int = 1, max_slices: int = DEFAULT_MAX_SLICES,
) -> SlicedReport: ...  # fmt: skip
@validated(
    "n_resamples", "confidence_level", "from_logits", "min_slice_size", "max_slices",
    threshold="named_threshold", seed="engine_seed",
)  # fmt: skip
def bootstrap_report(
    data: Any,
    labels: str | Sequence[str] | None = None,
    scores: Any = None,
    *,
    weight: Any = None,
    threshold: Any = 0.5,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    seed: int = 0,
    cluster: str | None = None,
    label_names: Sequence[str] | None = None,
    from_logits: bool = False,
    groups: str | Sequence[str] | None = None,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Report | SlicedReport:
    """[`evaluate`][multilabel_attr.dask.evaluate] with Poisson-bootstrap intervals.

    Rows are identified by their position, so the intervals do not depend on
    the chunking and equal those of the Parquet and Spark engines on the same
    rows (see [`bootstrap_report`][multilabel_attr.spark.bootstrap_report]).
    ``cluster`` names a DataFrame column of group ids: whole clusters are
    resampled, their draws keyed by the cluster id.  ``groups``, ``min_slice_size``
    and ``max_slices`` give intervals on every slice and gap, equal to the in-memory
    [`bootstrap_report`][multilabel_attr.bootstrap_report] with ``groups`` (see
    [`bootstrap_report`][multilabel_attr.parquet.bootstrap_report]).
    """
    source, spec = _source(data, labels, scores, weight, groups, cluster=cluster)
    return _driver.bootstrap_report(
        source, spec, threshold=threshold, from_logits=from_logits, label_names=label_names,
        n_resamples=n_resamples, confidence_level=confidence_level, seed=seed,
        min_slice_size=min_slice_size, max_slices=max_slices,
    )  # fmt: skip


@validated("n_bins")
def optimize_thresholds(
    data: Any,
    labels: str | Sequence[str] | None = None,
    scores: Any = None,
    *,
    weight: Any = None,
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
    """[`optimize_thresholds`][multilabel_attr.thresholds.optimize_thresholds] over Dask data.

    The same [`Thresholds`][multilabel_attr.thresholds.Thresholds] as the
    in-memory search, in three passes (see
    [`optimize_thresholds`][multilabel_attr.parquet.optimize_thresholds]).
    """
    settings = _tuning.check_tuning(
        metric=metric, strategy=strategy, average=average, beta=beta, from_logits=from_logits,
        min_positives=min_positives, fallback=fallback, zero_division=zero_division,
    )  # fmt: skip
    source, spec = _source(data, labels, scores, weight)
    return _tuning.optimize_thresholds(source, spec, settings, label_names, n_bins)


@validated("from_logits", "sketch_bins", n_bins="calibration_bins")
def calibration_state(
    data: Any,
    labels: str | Sequence[str] | None = None,
    scores: Any = None,
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
    [`counts`][multilabel_attr.dask.counts].
    """
    source, spec = _source(data, labels, scores, weight)
    return _calibration.calibration_state(
        source, spec, n_bins=n_bins, from_logits=from_logits, sketch_bins=sketch_bins,
        label_names=label_names,
    )  # fmt: skip


@validated("shared", "from_logits", "max_iter", method="scale_calibrator_method")
def fit_calibrator(
    data: Any,
    labels: str | Sequence[str] | None = None,
    scores: Any = None,
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
    [`counts`][multilabel_attr.dask.counts].
    """
    source, spec = _source(data, labels, scores, weight)
    return _calibration.fit_calibrator(
        source, spec, method=method, shared=shared, from_logits=from_logits,
        label_names=label_names, max_iter=max_iter,
    )  # fmt: skip


@validated("from_logits", "n_bins")
def operating_points(
    data: Any,
    labels: str | Sequence[str] | None = None,
    scores: Any = None,
    *,
    constraints: Any,
    weight: Any = None,
    from_logits: bool = False,
    label_names: Sequence[str] | None = None,
    n_bins: int = DEFAULT_TUNING_BINS,
) -> dict[str, OperatingPoints]:
    """[`operating_points`][multilabel_attr.core.operating_points] over Dask data.

    The same points (values, thresholds, status and warnings) as the in-memory function on
    the same rows, from two passes: a [`ScoreSketch`][multilabel_attr.ScoreSketch] of
    ``n_bins`` bins per label, then only the scores inside the bins that may hold a better
    cut than the best bin edge.  Other arguments as in
    [`operating_points`][multilabel_attr.core.operating_points] and
    [`counts`][multilabel_attr.dask.counts].
    """
    constraints = check_constraints(constraints)  # before any source is opened
    source, spec = _source(data, labels, scores, weight)
    return _operating_points.operating_points(
        source, spec, constraints, label_names=label_names, from_logits=from_logits,
        n_bins=n_bins,
    )  # fmt: skip

