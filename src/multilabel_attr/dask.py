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

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._scale import _driver, _tuning
from ._scale._columns import ColumnError, ColumnSpec, block_from_arrays
from ._scale._exact import ExplodePass, ReducePass
from ._scale._partition import Merge, PartitionTask, merge_payloads
from ._scale._tuning import DEFAULT_TUNING_BINS
from .core import MultilabelCounts, Report
from .thresholds import Thresholds

__all__ = [
    "DaskArraySource",
    "DaskFrameSource",
    "bootstrap_report",
    "counts",
    "evaluate",
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


def _frame_partition(frame: Any, task: PartitionTask, where: str, first_row: int) -> bytes:
    import pyarrow as pa

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
        if row_offsets:
            sizes = np.asarray(frame.map_partitions(len).compute(), np.int64)
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).tolist()
        parts = frame.to_delayed()
        return _tree_reduce(
            [
                delayed(_frame_partition)(part, task, f"partition {index}", starts[index])
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


class DaskArraySource:
    """Dask arrays of labels, scores and optional weights: one task per row block."""

    def __init__(self, truth: Any, scores: Any, weight: Any = None) -> None:
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
    data: Any, labels: Any, scores: Any, weight: Any, cluster: Any = None
) -> tuple[Any, ColumnSpec]:
    import dask.array as da

    if isinstance(data, da.Array):
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
    return DaskFrameSource(data), ColumnSpec.build(labels, scores, weight, cluster=cluster)


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
) -> Report:
    """[`evaluate`][multilabel_attr.evaluate] over Dask data, in one pass.

    The count-based numbers equal the in-memory
    [`evaluate`][multilabel_attr.evaluate]; the ranking columns come from a
    [`ScoreSketch`][multilabel_attr.ScoreSketch] with their bounds (see
    [`evaluate`][multilabel_attr.spark.evaluate]).
    Arguments as in [`counts`][multilabel_attr.dask.counts].
    """
    source, spec = _source(data, labels, scores, weight)
    return _driver.evaluate(
        source, spec, threshold=threshold, from_logits=from_logits, label_names=label_names,
        zero_division=zero_division, ranking=ranking,
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
) -> Report:
    """[`evaluate`][multilabel_attr.dask.evaluate] with Poisson-bootstrap intervals.

    Rows are identified by their position, so the intervals do not depend on
    the chunking and equal those of the Parquet and Spark engines on the same
    rows (see [`bootstrap_report`][multilabel_attr.spark.bootstrap_report]).
    ``cluster`` names a DataFrame column of group ids: whole clusters are
    resampled, their draws keyed by the cluster id.
    """
    source, spec = _source(data, labels, scores, weight, cluster)
    return _driver.bootstrap_report(
        source, spec, threshold=threshold, from_logits=from_logits, label_names=label_names,
        n_resamples=n_resamples, confidence_level=confidence_level, seed=seed,
    )  # fmt: skip


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
    source, spec = _source(data, labels, scores, weight)
    return _tuning.tune(source, spec, locals())
