"""What every engine shares: run a task on every partition, merge the states and
build the result, the same way for Parquet, Dask and Spark.

The public wrappers (``parquet``, ``dask``, ``spark``) check their options at the
door, on the driver, before any job starts; the functions here receive the
checked values (``ranking`` as its sketch bins and whether exact values are wanted).

An engine only knows how to run a task on each of its partitions and hand back
the merged state (``Engine``); everything else is written here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from ..core._internal import (
    DEFAULT_MAX_SLICES,
    OVERALL,
    MultilabelCounts,
    Report,
    ScoreSketch,
    SlicedCounts,
    SlicedReport,
    check_label_names,
    replicate_intervals,
    report_from_counts,
    report_from_sliced_counts,
    report_label_names,
    shown_slices,
    sketch_ranking_columns,
    warn_undefined_labels,
    with_slice_intervals,
)
from ..core._validation import per_label
from ..thresholds._internal import Thresholds
from . import _crowded, _exact
from ._columns import ColumnError, ColumnSpec
from ._fingerprint import Fingerprint, check_unchanged
from ._partition import CountTask, Merge, Partial, PartitionTask, Slicing, merge_payloads
from ._row_ids import check_unique_ids


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


def _by_name(threshold: Any, names: Sequence[str] | None) -> Any:
    """A [`Thresholds`][multilabel_attr.thresholds.Thresholds]' values in the order of
    ``names``; refused when it holds other labels.  Other thresholds are returned as given."""
    if not isinstance(threshold, Thresholds):
        return threshold
    own = threshold.label_names
    values = np.asarray(threshold, np.float64)
    if own is None or names is None or tuple(own) == tuple(names):
        return values
    missing = [name for name in names if name not in own]
    unknown = [name for name in own if name not in names]
    if missing or unknown or len(own) != len(names):
        raise ColumnError(
            f"threshold holds thresholds for the labels {list(own)}, which are not the labels "
            f"of the data {list(names)}"
            + (f"; no threshold for {missing}" if missing else "")
            + (f"; no data for {unknown}" if unknown else "")
        )
    return values[[own.index(name) for name in names]]


def _count_task(
    engine: Engine,
    spec: ColumnSpec,
    threshold: Any,
    from_logits: bool,
    label_names: Sequence[str] | None,
    **extra: Any,
) -> CountTask:
    """The count task of checked options (``threshold`` a 0-d or 1-d array in [0, 1], or None)."""
    spec.check_present(list(engine.columns()), engine.describe())
    names = label_names if label_names is not None else spec.label_names
    threshold = _by_name(threshold, names)
    n_labels = spec.n_labels
    if threshold is not None and np.ndim(threshold) == 1:
        if n_labels is not None and np.shape(threshold)[0] != n_labels:
            per_label(threshold, n_labels)  # raises, naming the threshold's length
        n_labels = int(np.shape(threshold)[0])
    if threshold is not None and np.ndim(threshold) == 0:
        threshold = float(threshold)
    return CountTask(spec, n_labels, threshold, from_logits, **extra)


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
    task = _count_task(engine, spec, threshold, from_logits, label_names)
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
    ranking: tuple[int, bool],
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Report | SlicedReport:
    if spec.groups:
        return evaluate_sliced(
            engine, spec, threshold=threshold, from_logits=from_logits, label_names=label_names,
            zero_division=zero_division, ranking=ranking, min_slice_size=min_slice_size,
            max_slices=max_slices,
        )  # fmt: skip
    n_bins, exact = ranking
    task = _count_task(
        engine, spec, threshold, from_logits, label_names, n_bins=n_bins, fingerprint=exact
    )
    merged = _finish(engine, Partial.from_bytes(engine.run(task)), label_names, spec)
    assert merged.counts is not None
    if not exact:
        return _report(merged, task.threshold, zero_division)
    sketch = merged.sketch
    assert sketch is not None
    layout = _crowded.layout(engine, spec, sketch, task.n_labels, merged.fingerprint)
    explode = _exact.explode_task(spec, sketch, task.n_labels, layout)
    payloads = engine.shuffle(explode, _exact.ReducePass(layout.offsets))
    check_unchanged(merged.fingerprint, Fingerprint.of_payloads(payloads), engine.describe(),
                    "exact ranking")  # fmt: skip
    auroc, ap = _exact.finish(payloads, sketch, layout)
    names = report_label_names(merged.counts)
    warn_undefined_labels("ROC AUC", np.isnan(auroc), "only one class in y_true", names)
    warn_undefined_labels("Average precision", np.isnan(ap), "no positive sample", names)
    columns = {"auroc": auroc.tolist(), "average_precision": ap.tolist()}
    return report_from_counts(merged.counts, task.threshold, zero_division, columns)


def _report(merged: Partial, threshold: Any, zero_division: Any) -> Report:
    """The report of merged counts; ranking columns, with their bounds, from the sketch."""
    assert merged.counts is not None
    columns = None
    if merged.sketch is not None:
        merged.sketch.label_names = report_label_names(merged.counts)
        columns = sketch_ranking_columns(merged.sketch)
    return report_from_counts(merged.counts, threshold, zero_division, columns)


def _slicing(spec: ColumnSpec, label_names: Any, max_slices: int) -> Slicing:
    """The slicing of a task, before any data is read."""
    names = label_names if label_names is not None else spec.label_names
    if names is not None and spec.n_labels is not None:
        names = check_label_names(names, spec.n_labels)
    columns = spec.labels if isinstance(spec.labels, tuple) else ()
    assert names is not None or not spec.slice_labels
    slice_labels = tuple(names[columns.index(c)] for c in spec.slice_labels) if names else ()
    return Slicing(None if names is None else tuple(names), slice_labels, max_slices)


def _counted_threshold(threshold: Any, counts: SlicedCounts) -> Any:
    """The thresholds of the counted labels (a label sliced by is not counted)."""
    if threshold is None or np.ndim(threshold) == 0 or not counts.slice_labels:
        return threshold
    names = counts.label_names or ()
    kept = [j for j, name in enumerate(names) if name not in counts.slice_labels]
    return np.asarray(threshold)[kept]


def evaluate_sliced(
    engine: Engine,
    spec: ColumnSpec,
    *,
    threshold: Any,
    from_logits: bool,
    label_names: Sequence[str] | None,
    zero_division: Any,
    ranking: tuple[int, bool],
    min_slice_size: int,
    max_slices: int,
) -> SlicedReport:
    """[`evaluate`][multilabel_attr.evaluate] with groups over an engine (options checked at
    the door): every slice counted in the one pass (the slice key is one more key of each
    partition's counting)."""
    n_bins, exact = ranking
    if exact:
        raise ValueError(
            "ranking='exact' is not available with groups on an engine; use 'sketch' (each "
            "slice's ranking columns with their bounds) or False"
        )
    min_size = min_slice_size
    slicing = _slicing(spec, label_names, max_slices)
    task = _count_task(
        engine, spec, threshold, from_logits, label_names, n_bins=n_bins, slicing=slicing
    )
    merged = Partial.from_bytes(engine.run(task))
    if merged.sliced is None:
        raise ColumnError(f"{engine.describe()} has no rows; nothing to evaluate")
    counts, sketches = merged.sliced, merged.slice_sketches
    columns: dict[str, dict[str, list[float]]] = {}
    if sketches is not None:
        overall = ScoreSketch(counts.n_counted, n_bins=n_bins, from_logits=task.from_logits)
        for sketch in sketches.values():
            overall = overall.merge(sketch)
        columns[OVERALL] = sketch_ranking_columns(overall)
        shown, _ = shown_slices(counts, min_size)
        for i in shown:
            columns[counts.names[i]] = sketch_ranking_columns(sketches[counts.keys[i]])
    threshold = _counted_threshold(task.threshold, counts)
    return report_from_sliced_counts(counts, threshold, zero_division, min_size, columns)


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
    ranking: tuple[int, bool] = (0, False),
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Report | SlicedReport:
    if spec.groups:
        return bootstrap_sliced(
            engine, spec, threshold=threshold, from_logits=from_logits, label_names=label_names,
            n_resamples=n_resamples, confidence_level=confidence_level, seed=seed,
            min_slice_size=min_slice_size, max_slices=max_slices,
        )  # fmt: skip
    n_bins = ranking[0]
    level = confidence_level
    # Row ids are read again, by the pass that looks for repeats: both passes take the
    # input's fingerprint, so replicates counted from other data than the ids checked fail.
    task = _count_task(
        engine, spec, threshold, from_logits, label_names, n_resamples=n_resamples, seed=seed,
        n_bins=n_bins, fingerprint=spec.row_id is not None,
    )  # fmt: skip
    by_position = spec.row_id is None and spec.cluster is None
    merged = Partial.from_bytes(engine.run(task, row_offsets=by_position))
    merged = _finish(engine, merged, label_names, spec)
    assert merged.counts is not None and merged.replicates is not None
    seen = check_unique_ids(engine, spec, task.n_labels, merged.counts.n_samples)
    if seen is not None:
        check_unchanged(merged.fingerprint, seen, engine.describe(), "the bootstrap")
    report = _report(merged, task.threshold, 0)
    intervals = replicate_intervals(merged.replicates, report.label_names, level)
    return report.with_intervals(intervals, level)


def bootstrap_sliced(
    engine: Engine,
    spec: ColumnSpec,
    *,
    threshold: Any,
    from_logits: bool,
    label_names: Sequence[str] | None,
    n_resamples: int,
    confidence_level: float,
    seed: int,
    min_slice_size: int,
    max_slices: int,
) -> SlicedReport:
    """[`bootstrap_report`][multilabel_attr.bootstrap_report] with groups over an engine
    (options checked at the door): each partition counts its slices and their replicate
    counts (the core's, the draws keyed by position, row id or cluster as in memory), the
    partitions' states add up, and the intervals come from the core's sliced bootstrap."""
    task = _count_task(
        engine, spec, threshold, from_logits, label_names, n_resamples=n_resamples, seed=seed,
        slicing=_slicing(spec, label_names, max_slices),
    )  # fmt: skip
    by_position = spec.row_id is None and spec.cluster is None
    merged = Partial.from_bytes(engine.run(task, row_offsets=by_position))
    if merged.sliced is None or merged.slice_replicates is None:
        raise ColumnError(f"{engine.describe()} has no rows; nothing to evaluate")
    counts = merged.sliced
    check_unique_ids(engine, spec, task.n_labels, counts.overall.n_samples)
    threshold = _counted_threshold(task.threshold, counts)
    report = report_from_sliced_counts(counts, threshold, 0, min_slice_size)
    return with_slice_intervals(report, merged.slice_replicates, confidence_level)
