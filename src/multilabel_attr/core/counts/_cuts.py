"""Counts of every cut of sorted scores: the exact threshold sweep's counting.

Sorting a label's scores in ascending order turns every threshold into a *cut*
``i`` in ``0..n``: the samples at sorted positions ``>= i`` are predicted
positive.  Suffix sums of the positive and negative weights give the confusion
counts of every cut at once; only cuts at tie-group boundaries can be produced
by a threshold.  The threshold search and the threshold plots both count here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class Curve:
    """Counts of every cut of sorted labels: arrays of length ``n + 1`` on the last axis.

    ``positives`` and ``negatives`` are the totals, one per label (floats for a
    single label).
    """

    tp: FloatArray
    fp: FloatArray
    positives: Any
    negatives: Any

    @property
    def fn(self) -> FloatArray:
        return np.expand_dims(self.positives, -1) - self.tp

    @property
    def tn(self) -> FloatArray:
        return np.expand_dims(self.negatives, -1) - self.fp


def curve(sorted_truth: BoolArray, sorted_weight: FloatArray | None) -> Curve:
    """Predicted-positive counts ``tp[..., i]``, ``fp[..., i]`` of every cut ``i``.

    Works on one label (1-D) or on rows of labels (2-D, one label per row).
    """
    n = sorted_truth.shape[-1]
    shape = (*sorted_truth.shape[:-1], n + 1)
    tp = np.zeros(shape)
    if sorted_weight is None:
        # Integer counts are exact: tp[..., i] = positives at or after position i.  An
        # integer cumulative sum converted once is faster than accumulating into floats.
        tp[..., :-1] = np.cumsum(sorted_truth[..., ::-1], axis=-1, dtype=np.int64)[..., ::-1]
        fp = np.arange(n, -1, -1, dtype=np.float64) - tp
        positives = tp[..., 0]
        return Curve(tp, fp, _scalar(positives), _scalar(n - positives))
    fp = np.zeros(shape)
    pos_w = np.where(sorted_truth, sorted_weight, 0.0)
    np.cumsum(pos_w[..., ::-1], axis=-1, out=tp[..., -2::-1])
    np.cumsum((sorted_weight - pos_w)[..., ::-1], axis=-1, out=fp[..., -2::-1])
    return Curve(tp, fp, _scalar(tp[..., 0]), _scalar(fp[..., 0]))


def _scalar(value: Any) -> Any:
    """A float for one label, the array for several."""
    return float(value) if np.ndim(value) == 0 else value


def candidate_mask(sorted_scores: NDArray[Any], clip: tuple[float, float] | None) -> BoolArray:
    """Cuts a threshold can produce: tie-group boundaries, within ``clip`` when given.

    Works along the last axis (one label, or rows of labels).
    """
    n = sorted_scores.shape[-1]
    valid = np.ones((*sorted_scores.shape[:-1], n + 1), dtype=bool)
    np.not_equal(sorted_scores[..., 1:], sorted_scores[..., :-1], out=valid[..., 1:n])
    if clip is not None:
        low, high = clip
        # Cut i is produced by every t in (s[i-1], s[i]]; keep it if that meets [low, high].
        edge = np.full((*sorted_scores.shape[:-1], 1), np.inf)
        below = np.concatenate([-edge, sorted_scores], axis=-1)
        above = np.concatenate([sorted_scores, edge], axis=-1)
        valid &= (below < high) & (above >= low)
    return valid


def sort_with_truth(
    scores: NDArray[np.float32], truth: BoolArray
) -> tuple[NDArray[np.float32], BoolArray]:
    """Sort float32 scores row by row, carrying each sample's truth along, without argsort.

    A float32 widened to float64 leaves the 29 lowest mantissa bits zero, so the truth
    bit can ride in the lowest one: the keys sort like the scores (a set bit only
    orders equal scores among themselves, and finite scores never become nan), and
    sorting plain floats is faster than an argsort followed by two gathers.
    """
    keys = scores.astype(np.float64).view(np.uint64) | truth.astype(np.uint64)
    keys.view(np.float64).sort(axis=1)
    sorted_truth = (keys & np.uint64(1)).astype(bool)
    sorted_scores = (keys & ~np.uint64(1)).view(np.float64).astype(np.float32)
    return sorted_scores, sorted_truth
