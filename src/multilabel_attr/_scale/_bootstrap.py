"""The Poisson bootstrap: replicate counts that merge like counts.

Each row gets, for each replicate ``b``, an independent Poisson(1) multiplicity
drawn from a counter-based generator keyed by the seed, the row id and ``b``
(two rounds of the SplitMix64 mixer, then the Poisson inverse CDF).  A row's
draws depend on nothing else, so the replicates are the same however the rows
are split into partitions, in whatever order the partitions run, and a retried
task draws the same values again.  For large samples the Poisson bootstrap is
equivalent to resampling with replacement, without needing the sample size
up front.  A cluster bootstrap keys the draws by the cluster id instead of the
row id: every row of a cluster then gets the cluster's multiplicity.
"""

from __future__ import annotations

import math
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
    summarize_counts,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_CELLS_PER_CHUNK = 1 << 22
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _poisson_cdf() -> FloatArray:
    terms = [math.exp(-1.0) / math.factorial(k) for k in range(24)]
    return np.cumsum(terms)[:-1]


_CDF = _poisson_cdf()


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The SplitMix64 finaliser (a bijection of 64-bit integers with full avalanche)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def poisson_multiplicities(seed: int, row_id: IntArray, n_resamples: int) -> NDArray[np.int8]:
    """Poisson(1) draws of shape (n_resamples, rows), a pure function of seed, row id and b."""
    with np.errstate(over="ignore"):
        key = _mix(np.asarray([seed], np.uint64) * _GOLDEN + np.uint64(1))
        row = _mix(row_id.astype(np.uint64) ^ key)
        counter = np.arange(1, n_resamples + 1, dtype=np.uint64)[:, None] * _GOLDEN
        bits = _mix(row[None, :] + counter)
    uniform = (bits >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
    return np.searchsorted(_CDF, uniform, side="right").astype(np.int8)


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
        counts = MultilabelCounts(n_labels)
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
            for key, value in summarize_counts(counts, 0).items():
                summaries.setdefault(key, []).append(value)
        total = counts.total_weight
        per_label.setdefault("support", []).append(counts.support)
        per_label.setdefault("prevalence", []).append(counts.support / total)
        for column, formula in PER_LABEL_FORMULAS.items():
            per_label.setdefault(column, []).append(counts.score(formula, None, 0))
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
