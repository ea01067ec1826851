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

import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._internal import Curve, candidate_mask, curve, select_cuts, sort_with_truth
from ._objectives import Objective

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

_BLOCK_CELLS = 1 << 15
"""Labels are swept in blocks of about this many scores, so that the block's count
arrays stay cache-resident: many labels per block for small tuning sets, one for
large ones."""
MAX_WORKERS: int | None = None
"""Upper bound on sorting threads (``None``: one per CPU)."""


def best_cut(values: FloatArray, valid: BoolArray) -> int:
    """The best candidate cut; among equal values the highest threshold (largest cut)."""
    masked = np.where(valid, values, -np.inf)
    return int(masked.shape[0] - 1 - np.argmax(masked[::-1]))


def choose_cuts(objective: Objective, counts: Curve, valid: BoolArray) -> tuple[Any, Any]:
    """The best cut of each row of ``counts`` and its value (``nan`` where an operating-point
    rule is infeasible: its cut then predicts nothing)."""
    if objective.constraint is not None:
        chosen = select_cuts(
            objective.constraint, counts.tp, counts.fp, counts.fn, counts.tn, valid
        )
        return chosen.cuts, chosen.values
    metric = objective(counts.tp, counts.fp, counts.fn, counts.tn)
    if metric.ndim == 1:
        cut = best_cut(metric, valid)
        return cut, metric[cut]
    cuts = np.array([best_cut(row, mask) for row, mask in zip(metric, valid)], dtype=np.intp)
    return cuts, np.take_along_axis(metric, cuts[:, None], axis=1)[:, 0]


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


@functools.cache
def _pool(workers: int, pid: int) -> ThreadPoolExecutor:
    """One long-lived pool per size and process: starting threads on every call costs
    more than a small search, and a forked child must not reuse its parent's threads."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="multilabel_attr-sweep")


def run_blocks(n_labels: int, work: Callable[[int, int], None], n_samples: int = 1) -> None:
    """Run ``work(start, stop)`` over blocks of labels on a thread pool (sorts drop the GIL)."""
    block = max(1, min(16, _BLOCK_CELLS // max(n_samples, 1)))
    starts = list(range(0, n_labels, block))
    workers = min(MAX_WORKERS or os.cpu_count() or 1, len(starts))

    def call(start: int) -> None:
        work(start, min(start + block, n_labels))

    if workers > 1:
        list(_pool(workers, os.getpid()).map(call, starts))
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
        # Vectorised counts for a block of labels (one label per row).
        block_scores = np.ascontiguousarray(scores[:, start:stop].T)
        block_truth = np.ascontiguousarray(truth[:, start:stop].T)
        order: IntArray | None = None
        if weights is None and orders is None and block_scores.dtype == np.float32:
            sorted_scores, sorted_truth = sort_with_truth(block_scores, block_truth)
        else:
            order = np.stack([np.argsort(row) for row in block_scores])
            sorted_scores = np.take_along_axis(block_scores, order, axis=1)
            sorted_truth = np.take_along_axis(block_truth, order, axis=1)
        counts = curve(sorted_truth, None if weights is None else weights[order])
        valid = candidate_mask(sorted_scores, clip)
        best, metric = choose_cuts(objective, counts, valid)
        for offset in range(stop - start):
            label = start + offset
            cut = int(best[offset])
            cuts[label] = cut
            values[label] = metric[offset]
            thresholds[label] = cut_threshold(sorted_scores[offset], cut, clip)
            if orders is not None and sorted_all is not None and order is not None:
                orders[label] = order[offset]
                sorted_all[label] = sorted_scores[offset]

    run_blocks(n_labels, work, n_samples)
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
    best, metric = choose_cuts(objective, counts, candidate_mask(sorted_scores, clip))
    return cut_threshold(sorted_scores, int(best), clip), float(metric)
