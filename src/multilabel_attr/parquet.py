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
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ._scale import _driver, _tuning
from ._scale._columns import ColumnError, ColumnSpec
from ._scale._exact import ExplodePass, ReducePass
from ._scale._partition import Merge, PartitionTask, merge_payloads
from ._scale._tuning import DEFAULT_TUNING_BINS
from .core import MultilabelCounts, Report
from .thresholds import Thresholds

__all__ = ["ParquetSource", "bootstrap_report", "counts", "evaluate", "optimize_thresholds"]


class ParquetSource:
    """A Parquet file, or a folder of them (sorted by name), read row group by row group.

    Parameters
    ----------
    path : str or path-like
        A ``.parquet`` file or a folder holding ``.parquet`` files (searched recursively).
    batch_rows : int, default=262144
        At most this many rows are held in memory at once.
    """

    def __init__(self, path: str | os.PathLike[str], *, batch_rows: int = 1 << 18) -> None:
        import pyarrow.parquet as pq

        root = Path(path)
        if root.is_dir():
            self.files = sorted(p for p in root.rglob("*.parquet") if p.is_file())
            if not self.files:
                raise ColumnError(f"no .parquet files found in folder {root}")
        elif root.is_file():
            self.files = [root]
        else:
            raise FileNotFoundError(f"Parquet path not found: {root}")
        self.path = root
        self.batch_rows = int(batch_rows)
        self._schema_names = list(pq.read_schema(self.files[0]).names)

    def describe(self) -> str:
        return str(self.path)

    def columns(self) -> Sequence[str]:
        return self._schema_names

    def row_groups(self) -> Iterator[tuple[Any, int, str, int]]:
        """Every ``(file, row group index, description, first row)`` in order."""
        import pyarrow.parquet as pq

        first_row = 0
        for file in self.files:
            metadata = pq.ParquetFile(file).metadata
            for group in range(metadata.num_row_groups):
                yield file, group, f"{file}, row group {group}", first_row
                first_row += metadata.row_group(group).num_rows

    def run(
        self, task: PartitionTask, *, row_offsets: bool = False, merge: Merge = merge_payloads
    ) -> bytes:
        import pyarrow.parquet as pq

        wanted = getattr(getattr(task, "spec", None), "columns", None)
        merged: bytes | None = None
        current: Any = None
        handle: Any = None
        for file, group, where, first_row in self.row_groups():
            if file != current:
                handle, current = pq.ParquetFile(file), file
                missing = [c for c in wanted or () if c not in handle.schema_arrow.names]
                if missing:
                    raise ColumnError(
                        f"column(s) {', '.join(map(repr, missing))} not found in {file}; its "
                        f"columns are {handle.schema_arrow.names}"
                    )
            batches = handle.iter_batches(
                batch_size=self.batch_rows, row_groups=[group], columns=wanted,
                use_threads=True,
            )  # fmt: skip
            payload = task(batches, where, first_row)
            merged = payload if merged is None else merge(merged, payload)
        assert merged is not None
        return merged


    def shuffle(self, explode: ExplodePass, reduce: ReducePass) -> list[bytes]:
        """Cells spilled to one Arrow file per bucket, then each bucket reduced on its own:
        an external sort in bounded memory."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        with tempfile.TemporaryDirectory(prefix="multilabel_attr-") as folder:
            writers: dict[int, Any] = {}
            try:
                for file, group, where, _ in self.row_groups():
                    batches = pq.ParquetFile(file).iter_batches(
                        batch_size=self.batch_rows, row_groups=[group],
                        columns=explode.spec.columns,
                    )  # fmt: skip
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
    labels: Any, scores: Any, weight: Any, row_id: Any = None, cluster: Any = None
) -> ColumnSpec:
    return ColumnSpec.build(labels, scores, weight, row_id, cluster)


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
) -> Report:
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
    """
    return _driver.evaluate(
        ParquetSource(path, batch_rows=batch_rows), _spec(labels, scores, weight),
        threshold=threshold, from_logits=from_logits, label_names=label_names,
        zero_division=zero_division, ranking=ranking,
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
) -> Report:
    """[`evaluate`][multilabel_attr.parquet.evaluate] with Poisson-bootstrap intervals.

    Each row gets an independent Poisson(1) multiplicity per replicate, drawn
    from its row id (the integer column ``row_id``, or the row's position in
    the files) and ``seed``: the intervals are the same on every engine and for
    every partitioning of the same rows.  Undefined values count as 0, as in
    [`bootstrap_report`][multilabel_attr.bootstrap_report].  With ``cluster`` (a
    column of integer or string group ids) the draws are keyed by the cluster
    instead, so whole clusters are resampled, as in
    [`bootstrap_report`][multilabel_attr.spark.bootstrap_report].
    """
    return _driver.bootstrap_report(
        ParquetSource(path, batch_rows=batch_rows), _spec(labels, scores, weight, row_id, cluster),
        threshold=threshold, from_logits=from_logits, label_names=label_names,
        n_resamples=n_resamples, confidence_level=confidence_level, seed=seed,
    )  # fmt: skip


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
    source = ParquetSource(path, batch_rows=batch_rows)
    return _tuning.tune(source, _spec(labels, scores, weight), locals())
