"""The one place that reads labels and predictions and turns them into counts.

Two sufficient statistics come out of a single pass over the rows:

* per-label confusion counts ``tp, fp, fn, tn`` (weighted sums), which every
  ``micro``, ``macro``, ``weighted`` and per-label metric needs;
* a histogram of per-sample confusion triples ``(tp_i, fp_i, fn_i)`` (each an
  integer in ``0..n_labels``), with the summed sample weight and the number of
  samples for each triple.  Every ``samples`` average is a function of one
  sample's triple, so this histogram makes sample-averaged metrics exact,
  mergeable and independent of the number of samples in memory: at most
  ``(n_labels + 1) ** 3`` distinct triples exist, and far fewer occur.

Rows are processed in blocks so that temporaries stay small and cache-resident.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._validation import binary_mask, check_finite_scores, check_probabilities

_BLOCK_ROWS = 32_768
_DENSE_KEY_LIMIT = 1 << 22

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class BatchCounts:
    """Counts from one batch of rows (see the module docstring)."""

    true_sum: FloatArray
    pred_sum: FloatArray
    tp_sum: FloatArray
    keys: IntArray
    key_weight: FloatArray
    key_count: IntArray
    n_samples: int


def encode_triples(tp: Any, fp: Any, fn: Any, n_labels: int) -> IntArray:
    """Pack per-sample ``(tp, fp, fn)`` into one integer key."""
    base = n_labels + 1
    return (np.asarray(tp, np.int64) * base + np.asarray(fp, np.int64)) * base + np.asarray(
        fn, np.int64
    )


def decode_triples(keys: IntArray, n_labels: int) -> tuple[IntArray, IntArray, IntArray]:
    """Unpack keys made by :func:`encode_triples` into ``(tp, fp, fn)``."""
    base = n_labels + 1
    fn = keys % base
    fp = (keys // base) % base
    tp = keys // (base * base)
    return tp, fp, fn


def merge_histograms(
    keys: tuple[IntArray, ...], weights: tuple[FloatArray, ...], counts: tuple[IntArray, ...]
) -> tuple[IntArray, FloatArray, IntArray]:
    """Sum several sparse histograms into one with sorted unique keys."""
    all_keys = np.concatenate(keys)
    unique, inverse = np.unique(all_keys, return_inverse=True)
    merged_weight = np.bincount(
        inverse, weights=np.concatenate(weights), minlength=unique.size
    ).astype(np.float64)
    merged_count = np.bincount(inverse, weights=np.concatenate(counts), minlength=unique.size)
    return unique.astype(np.int64), merged_weight, np.rint(merged_count).astype(np.int64)


def _histogram(
    keys: IntArray, weights: FloatArray | None, n_labels: int
) -> tuple[IntArray, FloatArray, IntArray]:
    if (n_labels + 1) ** 3 <= _DENSE_KEY_LIMIT:
        size = (n_labels + 1) ** 3
        count = np.bincount(keys, minlength=size)
        present = np.flatnonzero(count)
        weight: FloatArray = (
            count[present].astype(np.float64)
            if weights is None
            else np.bincount(keys, weights=weights, minlength=size)[present].astype(np.float64)
        )
        return present.astype(np.int64), weight, count[present].astype(np.int64)
    unique, inverse = np.unique(keys, return_inverse=True)
    count = np.bincount(inverse, minlength=unique.size).astype(np.int64)
    weight = (
        count.astype(np.float64)
        if weights is None
        else np.bincount(inverse, weights=weights, minlength=unique.size).astype(np.float64)
    )
    return unique.astype(np.int64), weight, count


def _float32_ceiling(cut: FloatArray) -> NDArray[np.float32]:
    """The smallest float32 at or above each cut.

    For float32 scores ``s >= t`` holds exactly when ``s >= ceil32(t)``, so the
    comparison stays in float32 (no per-element upcast) yet means the same as
    comparing against the float64 threshold.
    """
    rounded = cut.astype(np.float32)
    below = rounded.astype(np.float64) < cut
    return np.where(below, np.nextafter(rounded, np.float32(np.inf)), rounded)


def count_batch(
    y_true: NDArray[Any],
    y_pred: NDArray[Any],
    *,
    threshold: FloatArray | None,
    from_logits: bool,
    sample_weight: FloatArray | None,
) -> BatchCounts:
    """Count one validated batch.

    ``y_true`` and ``y_pred`` are 2-D arrays of equal shape (checked by the
    caller).  With ``threshold=None`` ``y_pred`` must be 0/1; otherwise it holds
    scores and a prediction is positive when ``score >= threshold`` (thresholds
    on the probability scale; with ``from_logits`` the comparison is made in
    logit space, which is equivalent and avoids computing a sigmoid).  Value
    checks run block by block inside the same pass that counts.
    """
    n_samples, n_labels = y_true.shape
    cut: NDArray[Any] | None = None
    if threshold is not None:
        if from_logits:
            with np.errstate(divide="ignore"):
                cut = np.log(threshold) - np.log1p(-threshold)
        else:
            cut = threshold
        if y_pred.dtype == np.float32:
            cut = _float32_ceiling(cut)
    true_sum = np.zeros(n_labels, np.float64)
    pred_sum = np.zeros(n_labels, np.float64)
    tp_sum = np.zeros(n_labels, np.float64)
    keys = np.empty(n_samples, np.int64)
    for start in range(0, n_samples, _BLOCK_ROWS):
        stop = min(start + _BLOCK_ROWS, n_samples)
        truth = binary_mask(y_true[start:stop], "y_true")
        if cut is None:
            pred = binary_mask(y_pred[start:stop], "y_pred")
        else:
            scores = y_pred[start:stop]
            check_finite_scores(scores, "y_score")
            if not from_logits:
                check_probabilities(scores, "y_score")
            pred = scores >= cut
        hit = truth & pred
        n_true = np.count_nonzero(truth, axis=1)
        n_pred = np.count_nonzero(pred, axis=1)
        n_hit = np.count_nonzero(hit, axis=1)
        keys[start:stop] = encode_triples(n_hit, n_pred - n_hit, n_true - n_hit, n_labels)
        if sample_weight is None:
            true_sum += np.count_nonzero(truth, axis=0)
            pred_sum += np.count_nonzero(pred, axis=0)
            tp_sum += np.count_nonzero(hit, axis=0)
        else:
            w = sample_weight[start:stop]
            true_sum += w @ truth
            pred_sum += w @ pred
            tp_sum += w @ hit
    key_set, key_weight, key_count = _histogram(keys, sample_weight, n_labels)
    return BatchCounts(true_sum, pred_sum, tp_sum, key_set, key_weight, key_count, n_samples)
