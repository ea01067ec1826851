"""What every engine shares: validate the arguments, run a task on every partition,
merge the states and build the result, the same way for Parquet, Dask and Spark.

An engine only knows how to run a task on each of its partitions and hand back
the merged state (``Engine``); everything else is written here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from ..core._internal import (
    DEFAULT_BINS,
    MultilabelCounts,
    Report,
    check_label_names,
    check_resampling,
    check_threshold,
    name_labels,
    report_from_counts,
    warn_undefined_labels,
)
from . import _exact
from ._bootstrap import replicate_intervals
from ._columns import ColumnError, ColumnSpec
from ._partition import CountTask, Merge, Partial, PartitionTask, merge_payloads


class Engine(Protocol):
    """Runs a task on every partition of one data source and merges the results."""

    def describe(self) -> str:
        """How error messages name the source as a whole."""
        ...

    def columns(self) -> Sequence[str]:
        """The columns the source offers (checked before any task runs)."""
        ...

    def run(
        self, task: PartitionTask, *, row_offsets: bool = False, merge: Merge = merge_payloads
    ) -> bytes:
        """Run ``task`` on every partition and ``merge`` the serialised states.

        With ``row_offsets`` each partition's task gets the global index of its
        first row (the position of the row in the source's order).
        """
        ...

    def shuffle(self, explode: _exact.ExplodePass, reduce: _exact.ReducePass) -> list[bytes]:
        """Explode every partition into cells, bring each bucket's cells together, and
        ``reduce`` every bucket."""
        ...


def check_threshold_argument(threshold: Any, n_labels: int | None) -> Any:
    """Thresholds validated before the data is read (their length checked when known)."""
    if threshold is None:
        return None
    values = check_threshold(threshold, 1) if np.ndim(threshold) == 0 else None
    if values is not None:
        return float(values[0])
    length = n_labels if n_labels is not None else int(np.shape(np.asarray(threshold))[0])
    return check_threshold(threshold, length)


def _count_task(
    engine: Engine, spec: ColumnSpec, threshold: Any, from_logits: bool, **extra: Any
) -> CountTask:
    spec.check_present(list(engine.columns()), engine.describe())
    checked = check_threshold_argument(threshold, spec.n_labels)
    n_labels = spec.n_labels
    if n_labels is None and checked is not None and np.ndim(checked) == 1:
        n_labels = int(np.shape(checked)[0])
    return CountTask(spec, n_labels, checked, bool(from_logits), **extra)


def _finish(engine: Engine, merged: Partial, label_names: Any, spec: ColumnSpec) -> Partial:
    if merged.counts is None:
        raise ColumnError(f"{engine.describe()} has no rows; nothing to evaluate")
    names = check_label_names(
        label_names if label_names is not None else spec.label_names, merged.counts.n_labels
    )
    merged.counts.label_names = names
    return merged


def counts(
    engine: Engine,
    spec: ColumnSpec,
    *,
    threshold: Any,
    from_logits: bool,
    label_names: Sequence[str] | None,
) -> MultilabelCounts:
    task = _count_task(engine, spec, threshold, from_logits)
    merged = _finish(engine, Partial.from_bytes(engine.run(task)), label_names, spec)
    assert merged.counts is not None
    return merged.counts


def evaluate(
    engine: Engine,
    spec: ColumnSpec,
    *,
    threshold: Any,
    from_logits: bool,
    label_names: Sequence[str] | None,
    zero_division: Any,
    ranking: Any,
) -> Report:
    n_bins, exact = check_ranking(ranking)
    task = _count_task(engine, spec, threshold, from_logits, n_bins=n_bins)
    merged = _finish(engine, Partial.from_bytes(engine.run(task)), label_names, spec)
    assert merged.counts is not None
    if not exact:
        return _report(merged, task.threshold, zero_division)
    sketch = merged.sketch
    assert sketch is not None
    explode = _exact.explode_task(spec, sketch, task.n_labels)
    payloads = engine.shuffle(explode, _exact.ReducePass(_exact.Offsets.from_sketch(sketch)))
    auroc, ap = _exact.finish(payloads, sketch)
    names = name_labels(merged.counts)
    warn_undefined_labels("ROC AUC", np.isnan(auroc), "only one class in y_true", names)
    warn_undefined_labels("Average precision", np.isnan(ap), "no positive sample", names)
    columns = {"auroc": auroc.tolist(), "average_precision": ap.tolist()}
    return report_from_counts(merged.counts, task.threshold, zero_division, columns)


def check_ranking(ranking: Any) -> tuple[int, bool]:
    """Sketch bins for ``ranking`` (``"sketch"``, ``"exact"``, a number of bins, or False),
    and whether the exact values are wanted."""
    if ranking is None or ranking is False:
        return 0, False
    if ranking is True or ranking == "sketch":
        return DEFAULT_BINS, False
    if ranking == "exact":
        return DEFAULT_BINS, True
    if isinstance(ranking, int) and not isinstance(ranking, bool) and ranking >= 2:
        return ranking, False
    raise ValueError(
        "ranking must be 'sketch', 'exact', a number of sketch bins (>= 2), or False; "
        f"got {ranking!r}"
    )


def _report(merged: Partial, threshold: Any, zero_division: Any) -> Report:
    """The report of merged counts; ranking columns, with their bounds, from the sketch."""
    assert merged.counts is not None
    if merged.sketch is None:
        return report_from_counts(merged.counts, threshold, zero_division, None)
    sketch = merged.sketch
    sketch.label_names = name_labels(merged.counts)
    auroc, ap = sketch.roc_auc(average=None), sketch.average_precision(average=None)
    columns = {
        "auroc": auroc.value, "average_precision": ap.value, "auroc_bound": auroc.bound,
        "average_precision_bound": ap.bound,
    }  # fmt: skip
    return report_from_counts(
        merged.counts, threshold, zero_division,
        {name: np.asarray(values, np.float64).tolist() for name, values in columns.items()},
    )  # fmt: skip


def bootstrap_report(
    engine: Engine,
    spec: ColumnSpec,
    *,
    threshold: Any,
    from_logits: bool,
    label_names: Sequence[str] | None,
    n_resamples: Any,
    confidence_level: Any,
    seed: Any,
    ranking: Any = False,
) -> Report:
    n_bins = check_ranking(ranking)[0]
    n_resamples, level = check_resampling(n_resamples, confidence_level)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int; got {seed!r}")
    task = _count_task(
        engine, spec, threshold, from_logits, n_resamples=n_resamples, seed=int(seed),
        n_bins=n_bins,
    )  # fmt: skip
    by_position = spec.row_id is None and spec.cluster is None
    merged = Partial.from_bytes(engine.run(task, row_offsets=by_position))
    merged = _finish(engine, merged, label_names, spec)
    assert merged.counts is not None and merged.replicates is not None
    report = _report(merged, task.threshold, 0)
    intervals = replicate_intervals(merged.replicates, report.label_names, level)
    return report.with_intervals(intervals, level)
