"""Evaluate Parquet files on one machine, row group by row group, in bounded memory.

Needs ``pyarrow`` (the ``spark`` or ``dask`` extra, or ``pip install pyarrow``).
A file or a folder of ``.parquet`` files is read one row group at a time (in
batches of at most ``batch_rows`` rows), each batch is counted into a
[`MultilabelCounts`][multilabel_attr.MultilabelCounts] and the counts are
merged: memory depends on the batch size and the number of labels, not on the
number of rows.  The results equal those of [`evaluate`][multilabel_attr.evaluate]
on the same rows held in memory.

Labels and scores are given as one array column (a list of numbers per row)
or as a list of scalar columns, one per label.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from ._scale import _calibration, _driver, _operating_points, _tuning
from ._scale._columns import ColumnError, ColumnSpec, Place
from ._scale._exact import ExplodePass, ReducePass
from ._scale._files import data_files, named_batches, open_parquet, spill_folder
from ._scale._partition import Merge, PartitionTask, merge_payloads
from ._scale._tuning import DEFAULT_TUNING_BINS
from .calibration import Calibrator
from .core import CalibrationState, MultilabelCounts, OperatingPoints, Report, SlicedReport
from .core._internal import DEFAULT_MAX_SLICES, check_constraints, validated
from .thresholds import Thresholds

__all__ = ["ParquetSource", "bootstrap_report",
    "calibration_state", "counts", "evaluate",
    "fit_calibrator", "operating_points", "optimize_thresholds"]


class ParquetSource:
    """A Parquet file, or a folder of them (sorted by name), read row group by row group.

    Parameters
    ----------
    path : str or path-like
        A ``.parquet`` file or a folder holding ``.parquet`` files (searched recursively).
        As Spark and ``pyarrow.dataset`` do, files and folders whose names start with
        ``_`` or ``.`` (``_SUCCESS``, ``_temporary/``, hidden files) are not data.
    batch_rows : int, default=262144
        At most this many rows are held in memory at once.
    """

    def __init__(self, path: str | os.PathLike[str], *, batch_rows: int = 1 << 18) -> None:
        root = Path(path)
        self.files = data_files(root)
        self.path = root
        self.batch_rows = int(batch_rows)
        self._schema_names = list(open_parquet(self.files[0]).schema_arrow.names)

    def describe(self) -> str:
        return str(self.path)

    def columns(self) -> Sequence[str]:
        return self._schema_names

    def row_groups(self) -> Iterator[tuple[Any, int, str, int]]:
        """Every ``(file, row group index, description, first row)`` in order."""
        first_row = 0
        for file in self.files:
            metadata = open_parquet(file).metadata
            for group in range(metadata.num_row_groups):
                yield file, group, Place(f"{file}, row group {group}", file=str(file),
                                         row_group=group), first_row  # fmt: skip
                first_row += metadata.row_group(group).num_rows

    def run(
        self, task: PartitionTask, *, row_offsets: bool = False, merge: Merge = merge_payloads
    ) -> bytes:
        wanted = getattr(getattr(task, "spec", None), "columns", None)
        merged: bytes | None = None
        current: Any = None
        handle: Any = None
        for file, group, where, first_row in self.row_groups():
            if file != current:
                handle, current = open_parquet(file), file
                offered = handle.schema_arrow.names  # a new list on every access
                present = set(offered)
                missing = [c for c in wanted or () if c not in present]
                if missing:
                    raise ColumnError(
                        f"column(s) {', '.join(map(repr, missing))} not found in {file}; its "
                        f"columns are {offered}"
                    )
            batches = named_batches(handle.iter_batches(
                batch_size=self.batch_rows, row_groups=[group], columns=wanted,
                use_threads=True,
            ), where)  # fmt: skip
            payload = task(batches, where, first_row)
            merged = payload if merged is None else merge(merged, payload)
        assert merged is not None
        return merged

    def shuffle(self, explode: ExplodePass, reduce: ReducePass) -> list[bytes]:
        """Cells spilled to one Arrow file per bucket, then each bucket reduced on its own:
        an external sort in bounded memory."""
        import pyarrow as pa

        with spill_folder() as folder:
            writers: dict[int, Any] = {}
            try:
                for file, group, where, _ in self.row_groups():
                    batches = named_batches(open_parquet(file).iter_batches(
                        batch_size=self.batch_rows, row_groups=[group],
                        columns=explode.spec.columns,
                    ), where)  # fmt: skip
                    for table in explode.tables(batches, where):
                        _spill(table, writers, folder)
            finally:
                for writer in writers.values():
                    writer.close()
            return [
                reduce([pa.ipc.open_file(Path(folder) / f"{bucket}.arrow").read_all()])
                for bucket in sorted(writers)
            ]


def _spill(table: Any, writers: dict[int, Any], folder: str) -> None:
    """Append each bucket's rows of ``table`` to that bucket's file."""
    import numpy as np
    import pyarrow as pa

    bucket = table.column("bucket").to_numpy()
    order = np.argsort(bucket, kind="stable")
    ordered = table.take(pa.array(order))
    values, starts = np.unique(bucket[order], return_index=True)
    stops = [*starts[1:].tolist(), len(order)]
    for value, start, stop in zip(values.tolist(), starts.tolist(), stops):
        if value not in writers:
            path = Path(folder) / f"{value}.arrow"
            writers[value] = pa.ipc.new_file(str(path), ordered.schema)
        writers[value].write_table(ordered.slice(start, stop - start))


def _spec(
    labels: Any,
    scores: Any,
    weight: Any,
    row_id: Any = None,
    groups: Any = None,
    cluster: Any = None,
) -> ColumnSpec:
    return ColumnSpec.build(labels, scores, weight, row_id, groups=groups, cluster=cluster)


@validated("from_logits", "batch_rows", threshold="named_threshold")
def counts(
    path: str | os.PathLike[str],
    labels: str | Sequence[str],
    scores: str | Sequence[str],
    *,
    weight: str | None = None,
    threshold: Any = 0.5,
    from_logits: bool = False,
    label_names: Sequence[str] | None = None,
    batch_rows: int = 1 << 18,
) -> MultilabelCounts:
    """Count Parquet rows into a [`MultilabelCounts`][multilabel_attr.MultilabelCounts].

    Parameters
    ----------
    path : str or path-like
        A ``.parquet`` file or a folder of them.
    labels, scores : str or sequence of str
        One array column, or one scalar column per label (in label order).
    weight : str, optional
        A column of non-negative sample weights.
    threshold, from_logits
        As in [`evaluate`][multilabel_attr.evaluate]; ``threshold=None`` reads
        ``scores`` as 0/1 predictions.
    label_names : sequence of str, optional
        Defaults to the label column names when one column per label is given.
    batch_rows : int, default=262144
        Rows held in memory at once.
    """
    return _driver.counts(
        ParquetSource(path, batch_rows=batch_rows), _spec(labels, scores, weight),
        threshold=threshold, from_logits=from_logits, label_names=label_names,
    )  # fmt: skip


@overload
def evaluate(
    path: str | os.PathLike[str],
    labels: str | Sequence[str],
    scores: str | Sequence[str],
    *,
    weight: str | None = None,
    threshold: Any = 0.5,
    label_names: Sequence[str] | None = None,
    from_logits: bool = False,
    zero_division: Any = "warn",
    ranking: Any = "sketch",
    batch_rows: int = 1 << 18,
    groups: None = None,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Report: ...


@overload
def evaluate(
    path: str | os.PathLike[str],
    labels: str | Sequence[str],
    scores: str | Sequence[str],
    *,
    weight: str | None = None,
    threshold: Any = 0.5,
    label_names: Sequence[str] | None = None,
    from_logits: bool = False,
    zero_division: Any = "warn",
    ranking: Any = "sketch",
    batch_rows: int = 1 << 18,
    groups: str | Sequence[str],
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> SlicedReport: ...


@validated(
    "from_logits", "zero_division", "ranking", "min_slice_size", "max_slices",
    "batch_rows", threshold="named_threshold",
)  # fmt: skip
def evaluate(
    path: str | os.PathLike[str],
    labels: str | Sequence[str],
    scores: str | Sequence[str],
    *,
    weight: str | None = None,
    threshold: Any = 0.5,
    label_names: Sequence[str] | None = None,
    from_logits: bool = False,
    zero_division: Any = "warn",
    ranking: Any = "sketch",
    batch_rows: int = 1 << 18,
    groups: str | Sequence[str] | None = None,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Report | SlicedReport:
    """[`evaluate`][multilabel_attr.evaluate] over Parquet rows, in bounded memory.

    The count-based summary and per-label columns equal the in-memory
    [`evaluate`][multilabel_attr.evaluate] on the same rows; the ranking
    columns come from a [`ScoreSketch`][multilabel_attr.ScoreSketch] (``ranking="sketch"``,
    or a number of bins), with their guaranteed error bounds in the extra
    per-label columns ``auroc_bound`` and ``average_precision_bound``;
    ``ranking=False`` leaves them ``nan``.  Arguments as in
    [`counts`][multilabel_attr.parquet.counts].

    Examples
    --------
    >>> import numpy as np, pyarrow as pa, pyarrow.parquet as pq, tempfile, os
    >>> rng = np.random.default_rng(0)
    >>> y = rng.random((1000, 3)) < 0.3
    >>> s = np.clip(0.5 * y + 0.6 * rng.random((1000, 3)), 0, 1)
    >>> path = os.path.join(tempfile.mkdtemp(), "scores.parquet")
    >>> columns = {f"y{j}": y[:, j] for j in range(3)} | {f"s{j}": s[:, j] for j in range(3)}
    >>> table = pa.table(columns)
    >>> pq.write_table(table, path, row_group_size=300)
    >>> report = evaluate(path, ["y0", "y1", "y2"], ["s0", "s1", "s2"], zero_division=0)
    >>> from multilabel_attr import evaluate as evaluate_in_memory
    >>> expected = evaluate_in_memory(y, s, ranking=False, zero_division=0)
    >>> abs(report.summary["f1_samples"] - expected.summary["f1_samples"]) < 1e-12
    True

    With ``groups`` (one column name or several, crossed) the result is a
    [`SlicedReport`][multilabel_attr.SlicedReport] counted in the same pass: every
    count-based number of every slice equals [`evaluate`][multilabel_attr.evaluate] with
    ``groups`` on the same rows in memory, and each slice's ranking columns come from its
    own sketch.  A group column that is one of the label columns slices by that label and
    is left out of the counted labels.  ``min_slice_size`` hides smaller slices (and
    lists them); more than ``max_slices`` slices are refused.
    """
    return _driver.evaluate(
        ParquetSource(path, batch_rows=batch_rows), _spec(labels, scores, weight, groups=groups),
        threshold=threshold, from_logits=from_logits, label_names=label_names,
        zero_division=zero_division, ranking=ranking, min_slice_size=min_slice_size,
        max_slices=max_slices,
    )  # fmt: skip


@overload
def bootstrap_report(
    path: str | os.PathLike[str],
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
    batch_rows: int = 1 << 18,
    groups: None = None,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Report: ...


@overload
def bootstrap_report(
    path: str | os.PathLike[str],
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
    batch_rows: int = 1 << 18,
    groups: str | Sequence[str],
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> SlicedReport: ...


@validated(
    "n_resamples", "confidence_level", "from_logits", "batch_rows", "min_slice_size",
    "max_slices", threshold="named_threshold", seed="engine_seed",
)  # fmt: skip
def bootstrap_report(
    path: str | os.PathLike[str],
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
    batch_rows: int = 1 << 18,
    groups: str | Sequence[str] | None = None,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Report | SlicedReport:
    """[`evaluate`][multilabel_attr.parquet.evaluate] with Poisson-bootstrap intervals.

    Each row gets an independent Poisson(1) multiplicity per replicate, drawn
    from its row id (the integer column ``row_id``, or the row's position in
    the files) and ``seed``: the intervals are the same on every engine and for
    every partitioning of the same rows.  Undefined values count as 0, as in
    [`bootstrap_report`][multilabel_attr.bootstrap_report].  With ``cluster`` (a
    column of integer or string group ids) the draws are keyed by the cluster
    instead, so whole clusters are resampled, as in
    [`bootstrap_report`][multilabel_attr.spark.bootstrap_report].

    With ``groups`` (one column name or several, crossed; a label column slices by that
    label and is left out of the counted labels) the result is a
    [`SlicedReport`][multilabel_attr.SlicedReport]: every slice, all rows and every gap
    between slices get intervals, each equal to those of
    [`bootstrap_report`][multilabel_attr.bootstrap_report] with ``groups`` on the same rows
    in memory (the same draws, keyed by position, ``row_id`` or ``cluster``).
    ``min_slice_size`` hides smaller slices; more than ``max_slices`` slices are refused.
    """
    return _driver.bootstrap_report(
        ParquetSource(path, batch_rows=batch_rows),
        _spec(labels, scores, weight, row_id, groups=groups, cluster=cluster),
        threshold=threshold, from_logits=from_logits, label_names=label_names,
        n_resamples=n_resamples, confidence_level=confidence_level, seed=seed,
        min_slice_size=min_slice_size, max_slices=max_slices,
    )  # fmt: skip


@validated("n_bins", "batch_rows")
def optimize_thresholds(
    path: str | os.PathLike[str],
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
    batch_rows: int = 1 << 18,
) -> Thresholds:
    """[`optimize_thresholds`][multilabel_attr.thresholds.optimize_thresholds] over Parquet rows.

    The same thresholds as the in-memory search on the same rows, in three
    passes and bounded memory: a [`ScoreSketch`][multilabel_attr.ScoreSketch]
    of ``n_bins`` bins per label, then only the scores inside the bins that can
    hold the optimum, then the counts at the chosen thresholds.  Strategies
    ``"per_label"`` and ``"shared"``; scores are probabilities in ``[0, 1]``,
    or logits with ``from_logits=True``.  Other arguments as in
    [`optimize_thresholds`][multilabel_attr.thresholds.optimize_thresholds]
    and [`counts`][multilabel_attr.parquet.counts].
    """
    settings = _tuning.check_tuning(
        metric=metric, strategy=strategy, average=average, beta=beta, from_logits=from_logits,
        min_positives=min_positives, fallback=fallback, zero_division=zero_division,
    )  # fmt: skip
    spec = _spec(labels, scores, weight)
    source = ParquetSource(path, batch_rows=batch_rows)
    return _tuning.optimize_thresholds(source, spec, settings, label_names, n_bins)


@validated("from_logits", "sketch_bins", "batch_rows", n_bins="calibration_bins")
def calibration_state(
    path: str | os.PathLike[str],
    labels: str | Sequence[str],
    scores: str | Sequence[str],
    *,
    weight: Any = None,
    n_bins: int = 15,
    from_logits: bool = False,
    sketch_bins: int | None = 1024,
    label_names: Sequence[str] | None = None,
    batch_rows: int = 1 << 18,
) -> CalibrationState:
    """The [`CalibrationState`][multilabel_attr.CalibrationState] of every row, in one pass.

    Each partition fills a state and the states merge, so every calibration metric
    (ECE, MCE, Brier score, log loss, reliability curves) equals the in-memory
    state's on the same rows.  ``n_bins``, ``from_logits`` and ``sketch_bins`` as in
    [`CalibrationState`][multilabel_attr.CalibrationState]; the other arguments as in
    [`counts`][multilabel_attr.parquet.counts].
    """
    source, spec = ParquetSource(path, batch_rows=batch_rows), _spec(labels, scores, weight)
    return _calibration.calibration_state(
        source, spec, n_bins=n_bins, from_logits=from_logits, sketch_bins=sketch_bins,
        label_names=label_names,
    )  # fmt: skip


@validated(
    "shared", "from_logits", "max_iter", "batch_rows", method="scale_calibrator_method"
)
def fit_calibrator(
    path: str | os.PathLike[str],
    labels: str | Sequence[str],
    scores: str | Sequence[str],
    *,
    weight: Any = None,
    method: str = "platt",
    shared: bool = False,
    from_logits: bool = False,
    label_names: Sequence[str] | None = None,
    max_iter: int = 100,
    batch_rows: int = 1 << 18,
) -> Calibrator:
    """Platt or temperature scaling per label, one job per Newton pass.

    Every pass sums, over the partitions, the log loss, gradient and Hessian of
    [`fit_calibrator`][multilabel_attr.calibration.fit_calibrator] at the current
    parameters, so the result is the in-memory fit on the same rows (to rounding).
    ``method`` is ``"platt"`` or ``"temperature"`` (isotonic regression needs all the
    scores sorted together); the other arguments as in
    [`fit_calibrator`][multilabel_attr.calibration.fit_calibrator] and
    [`counts`][multilabel_attr.parquet.counts].
    """
    source, spec = ParquetSource(path, batch_rows=batch_rows), _spec(labels, scores, weight)
    return _calibration.fit_calibrator(
        source, spec, method=method, shared=shared, from_logits=from_logits,
        label_names=label_names, max_iter=max_iter,
    )  # fmt: skip


@validated("from_logits", "n_bins", "batch_rows")
def operating_points(
    path: str | os.PathLike[str],
    labels: str | Sequence[str],
    scores: str | Sequence[str],
    *,
    constraints: Any,
    weight: str | None = None,
    from_logits: bool = False,
    label_names: Sequence[str] | None = None,
    n_bins: int = DEFAULT_TUNING_BINS,
    batch_rows: int = 1 << 18,
) -> dict[str, OperatingPoints]:
    """[`operating_points`][multilabel_attr.core.operating_points] over Parquet rows.

    The same points (values, thresholds, status and warnings) as the in-memory function on
    the same rows, from two passes: a [`ScoreSketch`][multilabel_attr.ScoreSketch] of
    ``n_bins`` bins per label, then only the scores inside the bins that may hold a better
    cut than the best bin edge.  Other arguments as in
    [`operating_points`][multilabel_attr.core.operating_points] and
    [`counts`][multilabel_attr.parquet.counts].
    """
    constraints = check_constraints(constraints)  # before any source is opened
    return _operating_points.operating_points(
        ParquetSource(path, batch_rows=batch_rows), _spec(labels, scores, weight), constraints,
        label_names=label_names, from_logits=from_logits, n_bins=n_bins,
    )  # fmt: skip

