"""The Poisson bootstrap: replicate counts that merge like counts.

Each row gets, for each replicate ``b``, an independent Poisson(1) multiplicity from the
core's counter-based generator (``poisson_multiplicities``), keyed by the seed, the row id
and ``b``: the replicates are the same however the rows are split into partitions, in
whatever order the partitions run, and equal to those of the in-memory sliced bootstrap.
A cluster bootstrap keys the draws by the cluster id instead of the row id: every row of a
cluster then gets the cluster's multiplicity.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._internal import (
    PER_LABEL_FORMULAS,
    MultilabelCounts,
    binary_predictions,
    encode_triples,
    merge_histograms,
    poisson_multiplicities,
    summarize_checked,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_CELLS_PER_CHUNK = 1 << 22


@dataclass
class Replicates:
    """Counts of every bootstrap replicate: arrays with the replicate on the first axis."""

    tp: FloatArray
    fp: FloatArray
    fn: FloatArray
    tn: FloatArray
    keys: IntArray
    key_weight: FloatArray
    key_count: IntArray

    def arrays(self) -> dict[str, NDArray[Any]]:
        return dict(vars(self))

    @classmethod
    def from_arrays(cls, arrays: dict[str, NDArray[Any]]) -> Replicates:
        return cls(**arrays)

    def merge(self, other: Replicates) -> Replicates:
        keys = np.union1d(self.keys, other.keys)
        weight = np.zeros((self.tp.shape[0], keys.size))
        count = np.zeros((self.tp.shape[0], keys.size), np.int64)
        for part in (self, other):
            at = np.searchsorted(keys, part.keys)
            weight[:, at] += part.key_weight
            count[:, at] += part.key_count
        return Replicates(
            self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn,
            keys, weight, count,
        )  # fmt: skip

    def state(self, b: int, n_labels: int) -> MultilabelCounts:
        """Replicate ``b`` as a count state."""
        counts = MultilabelCounts._empty(n_labels)
        counts.tp, counts.fp, counts.fn, counts.tn = (
            self.tp[b], self.fp[b], self.fn[b], self.tn[b]
        )
        present = self.key_count[b] > 0
        counts.sample_keys, counts.sample_weight, counts.sample_count = merge_histograms(
            (self.keys[present],), (self.key_weight[b, present],), (self.key_count[b, present],)
        )
        counts.n_samples = int(self.key_count[b].sum())
        return counts


def replicate_block(
    block: Any, row_id: IntArray, threshold: Any, from_logits: bool, n_resamples: int, seed: int
) -> Replicates:
    """Replicate counts of one validated block (rows weighted by their Poisson draws)."""
    truth, pred, weight = binary_predictions(
        block.truth, block.scores, threshold, from_logits, block.weight
    )
    n_rows, n_labels = truth.shape
    hit = truth & pred
    n_hit = hit.sum(axis=1)
    keys = encode_triples(n_hit, pred.sum(axis=1) - n_hit, truth.sum(axis=1) - n_hit, n_labels)
    unique, inverse = np.unique(keys, return_inverse=True)
    # Each cell kind summed on its own: differences of sums would leave rounding residue
    # (a count of -1e-17 where no row counts) that depends on the partitioning.
    cells = (hit, pred & ~truth, truth & ~pred, ~(truth | pred))
    sums = np.zeros((4, n_resamples, n_labels))
    key_weight = np.zeros((n_resamples, unique.size))
    key_count = np.zeros((n_resamples, unique.size), np.int64)
    step = max(1, _CELLS_PER_CHUNK // n_resamples)
    for start in range(0, n_rows, step):
        rows = slice(start, min(start + step, n_rows))
        draws = poisson_multiplicities(seed, row_id[rows], n_resamples)
        w = draws.astype(np.float64)
        if weight is not None:
            w *= weight[rows]
        for total, cell in zip(sums, cells):
            total += w @ cell[rows]
        order = np.argsort(inverse[rows], kind="stable")
        present, starts = np.unique(inverse[rows][order], return_index=True)
        key_weight[:, present] += np.add.reduceat(w[:, order], starts, axis=1)
        key_count[:, present] += np.add.reduceat(
            (draws[:, order] > 0).astype(np.int64), starts, axis=1
        )
    tp, fp, fn, tn = sums
    return Replicates(tp, fp, fn, tn, unique, key_weight, key_count)


def replicate_intervals(
    replicates: Replicates, label_names: tuple[str, ...], confidence_level: float
) -> dict[str, tuple[float, float]]:
    """Percentile intervals of the summary and per-label metrics over the replicates.

    Undefined values count as 0 (``zero_division=0``), as in
    [`bootstrap_report`][multilabel_attr.bootstrap_report].
    """
    n_resamples, n_labels = replicates.tp.shape
    summaries: dict[str, list[float]] = {}
    per_label: dict[str, list[FloatArray]] = {}
    for b in range(n_resamples):
        counts = replicates.state(b, n_labels)
        if counts.n_samples == 0 or counts.total_weight == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for key, value in summarize_checked(counts, 0.0).items():
                summaries.setdefault(key, []).append(value)
        total = counts.total_weight
        per_label.setdefault("support", []).append(counts.support)
        per_label.setdefault("prevalence", []).append(counts.support / total)
        for column, formula in PER_LABEL_FORMULAS.items():
            per_label.setdefault(column, []).append(counts._score(formula, None, 0.0))
    tail = (1 - confidence_level) / 2 * 100
    intervals: dict[str, tuple[float, float]] = {}
    for key, values in summaries.items():
        low, high = np.nanpercentile(values, [tail, 100 - tail])
        intervals[key] = (float(low), float(high))
    for column, rows in per_label.items():
        lows, highs = np.nanpercentile(np.array(rows), [tail, 100 - tail], axis=0)
        for name, low, high in zip(label_names, lows, highs):
            intervals[f"{column}:{name}"] = (float(low), float(high))
    return intervals
