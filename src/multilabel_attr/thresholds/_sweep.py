"""The exact threshold sweep: one sort per label, every distinct cut evaluated.

Sorting a label's scores in ascending order turns every threshold into a *cut*
``i`` in ``0..n``: the samples at sorted positions ``>= i`` are predicted
positive.  Only cuts at tie-group boundaries (``i = 0``, ``i = n`` and every
``i`` with ``s[i-1] != s[i]``) can be produced by a threshold, so those are the
candidates.  Suffix sums of the positive and negative weights give the counts
of every cut at once, and the objective is evaluated on those arrays in one
vectorised call.

A cut is turned back into a threshold by the midpoint between the two distinct
scores it separates, so that ``score >= t`` and ``score > t`` give the same
predictions and new scores close to either side fall on the side of their
neighbour.  The cut above every score sits half the score range above the
highest score (below every score: half the range below the lowest).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._objectives import Objective

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

_LABEL_BLOCK = 4
MAX_WORKERS: int | None = None
"""Upper bound on sorting threads (``None``: one per CPU)."""


@dataclass(frozen=True)
class Curve:
    """Counts of every cut of one sorted label (arrays of length ``n + 1``)."""

    tp: FloatArray
    fp: FloatArray
    positives: float
    negatives: float

    @property
    def fn(self) -> FloatArray:
        return self.positives - self.tp

    @property
    def tn(self) -> FloatArray:
        return self.negatives - self.fp


def curve(sorted_truth: BoolArray, sorted_weight: FloatArray | None) -> Curve:
    """Predicted-positive counts ``tp[i]``, ``fp[i]`` of every cut ``i``."""
    n = sorted_truth.shape[0]
    tp = np.zeros(n + 1)
    if sorted_weight is None:
        # Integer counts are exact: tp[i] = positives at or after position i.
        np.cumsum(sorted_truth[::-1], out=tp[-2::-1])
        fp = np.arange(n, -1, -1, dtype=np.float64) - tp
        positives = float(tp[0])
        return Curve(tp, fp, positives, float(n) - positives)
    fp = np.zeros(n + 1)
    pos_w = np.where(sorted_truth, sorted_weight, 0.0)
    np.cumsum(pos_w[::-1], out=tp[-2::-1])
    np.cumsum((sorted_weight - pos_w)[::-1], out=fp[-2::-1])
    return Curve(tp, fp, float(tp[0]), float(fp[0]))


def candidate_mask(sorted_scores: NDArray[Any], clip: tuple[float, float] | None) -> BoolArray:
    """Cuts a threshold can produce: tie-group boundaries, within ``clip`` when given."""
    n = sorted_scores.shape[0]
    valid = np.ones(n + 1, dtype=bool)
    np.not_equal(sorted_scores[1:], sorted_scores[:-1], out=valid[1:n])
    if clip is not None:
        low, high = clip
        # Cut i is produced by every t in (s[i-1], s[i]]; keep it if that meets [low, high].
        below = np.empty(n + 1)
        below[0] = -np.inf
        below[1:] = sorted_scores
        above = np.empty(n + 1)
        above[:n] = sorted_scores
        above[n] = np.inf
        valid &= (below < high) & (above >= low)
    return valid


def best_cut(values: FloatArray, valid: BoolArray) -> int:
    """The best candidate cut; among equal values the highest threshold (largest cut)."""
    masked = np.where(valid, values, -np.inf)
    return int(masked.shape[0] - 1 - np.argmax(masked[::-1]))


def cut_threshold(sorted_scores: NDArray[Any], cut: int, clip: tuple[float, float] | None) -> float:
    """A threshold that produces ``cut``: the midpoint between the scores it separates."""
    n = sorted_scores.shape[0]
    low_score, high_score = float(sorted_scores[0]), float(sorted_scores[-1])
    spread = high_score - low_score
    margin = spread / 2 if spread > 0 else max(0.5, abs(high_score) / 2)
    if cut == 0:
        value = min(low_score - margin, float(np.nextafter(low_score, -np.inf)))
    elif cut == n:
        value = max(high_score + margin, float(np.nextafter(high_score, np.inf)))
    else:
        below, above = float(sorted_scores[cut - 1]), float(sorted_scores[cut])
        value = below / 2 + above / 2
        if not below < value:
            # Adjacent floats: no midpoint exists; the upper score keeps ``>=`` exact.
            value = above
    if clip is not None:
        value = min(max(value, clip[0]), clip[1])
    return value


@dataclass
class LabelSweep:
    """Result of the independent per-label sweep."""

    thresholds: FloatArray
    values: FloatArray
    cuts: IntArray
    orders: IntArray | None
    sorted_scores: FloatArray | None


def run_blocks(n_labels: int, work: Callable[[int, int], None]) -> None:
    """Run ``work(start, stop)`` over blocks of labels on a thread pool (sorts drop the GIL)."""
    starts = list(range(0, n_labels, _LABEL_BLOCK))
    workers = min(MAX_WORKERS or os.cpu_count() or 1, len(starts))

    def call(start: int) -> None:
        work(start, min(start + _LABEL_BLOCK, n_labels))

    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(call, starts))
    else:
        for start in starts:
            call(start)


def sweep_labels(
    truth: BoolArray,
    scores: NDArray[Any],
    weights: FloatArray | None,
    objective: Objective,
    clip: tuple[float, float] | None,
    *,
    keep_orders: bool = False,
) -> LabelSweep:
    """Exact best threshold of every label for ``objective`` (validated inputs)."""
    n_samples, n_labels = truth.shape
    thresholds = np.empty(n_labels)
    values = np.empty(n_labels)
    cuts = np.empty(n_labels, dtype=np.intp)
    orders = np.empty((n_labels, n_samples), dtype=np.intp) if keep_orders else None
    sorted_all = np.empty((n_labels, n_samples)) if keep_orders else None

    def work(start: int, stop: int) -> None:
        block_scores = np.ascontiguousarray(scores[:, start:stop].T)
        block_truth = np.ascontiguousarray(truth[:, start:stop].T)
        for offset in range(stop - start):
            label = start + offset
            column = block_scores[offset]
            order = np.argsort(column)
            sorted_scores = column[order]
            counts = curve(block_truth[offset][order], None if weights is None else weights[order])
            metric = objective(counts.tp, counts.fp, counts.fn, counts.tn)
            cut = best_cut(metric, candidate_mask(sorted_scores, clip))
            cuts[label] = cut
            values[label] = metric[cut]
            thresholds[label] = cut_threshold(sorted_scores, cut, clip)
            if orders is not None and sorted_all is not None:
                orders[label] = order
                sorted_all[label] = sorted_scores

    run_blocks(n_labels, work)
    return LabelSweep(thresholds, values, cuts, orders, sorted_all)


def sweep_pooled(
    truth: BoolArray,
    scores: NDArray[Any],
    weights: FloatArray | None,
    objective: Objective,
    clip: tuple[float, float] | None,
) -> tuple[float, float]:
    """Exact best single threshold for the micro-averaged objective: one pooled sort."""
    flat_scores = scores.reshape(-1)
    order = np.argsort(flat_scores)
    sorted_scores = flat_scores[order]
    flat_weights = None if weights is None else np.repeat(weights, truth.shape[1])[order]
    counts = curve(truth.reshape(-1)[order], flat_weights)
    metric = objective(counts.tp, counts.fp, counts.fn, counts.tn)
    cut = best_cut(metric, candidate_mask(sorted_scores, clip))
    return cut_threshold(sorted_scores, cut, clip), float(metric[cut])
