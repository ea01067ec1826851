"""Coordinate ascent over per-label thresholds for joint (micro / samples) objectives.

Each step re-optimises one label's cut exactly while the others stay fixed:

* micro average: the objective is a function of the counts summed over labels,
  so the label's own cut curve (the core's ``curve``) is shifted by the other
  labels' totals and evaluated on every cut at once;
* samples average: only the samples' own counts change.  For every sample the
  value with this label predicted negative (``g0``) and positive (``g1``) is
  computed from its counts without this label; the objective at cut ``i`` is
  ``sum(w g0) + sum over the predicted positives of w (g1 - g0)``, a suffix sum
  in the label's sorted order.  Per-sample counts are updated incrementally.

A step is taken only when it gains more than a relative ``1e-12`` (so rounding
cannot make the search cycle); the search stops after a full pass without a
step, or after ``max_iter`` passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._internal import candidate_mask, curve, sample_triples, samples_mean
from ._objectives import Objective
from ._sweep import best_cut

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

_RELATIVE_TOLERANCE = 1e-12


@dataclass
class AscentResult:
    cuts: IntArray
    changed: BoolArray
    objective: float
    start_objective: float
    iterations: int
    converged: bool


def _gain_threshold(current: float) -> float:
    return _RELATIVE_TOLERANCE * max(1.0, abs(current))


class _MicroState:
    """Label totals for the micro objective."""

    def __init__(
        self, truth: BoolArray, weights: FloatArray | None, orders: IntArray, cuts: IntArray
    ) -> None:
        self.truth = truth
        self.weights = weights
        self.orders = orders
        n_labels = truth.shape[1]
        self.tp = np.empty(n_labels)
        self.fp = np.empty(n_labels)
        self.positives = np.empty(n_labels)
        self.negatives = np.empty(n_labels)
        for label in range(n_labels):
            counts = self.label_curve(label)
            self.tp[label] = counts.tp[cuts[label]]
            self.fp[label] = counts.fp[cuts[label]]
            self.positives[label] = counts.positives
            self.negatives[label] = counts.negatives

    def label_curve(self, label: int) -> Any:
        order = self.orders[label]
        weight = None if self.weights is None else self.weights[order]
        return curve(self.truth[order, label], weight)


def _micro_ascent(
    truth: BoolArray,
    weights: FloatArray | None,
    orders: IntArray,
    sorted_scores: FloatArray,
    cuts: IntArray,
    frozen: BoolArray,
    objective: Objective,
    clip: tuple[float, float] | None,
    max_iter: int,
) -> AscentResult:
    state = _MicroState(truth, weights, orders, cuts)
    total_pos = state.positives.sum()
    total_neg = state.negatives.sum()

    def current_value() -> float:
        tp, fp = state.tp.sum(), state.fp.sum()
        totals = np.array([[tp], [fp], [total_pos - tp], [total_neg - fp]])
        return float(objective(*totals)[0])

    def propose(label: int) -> tuple[FloatArray, Callable[[int], None]]:
        counts = state.label_curve(label)
        tp = state.tp.sum() - state.tp[label] + counts.tp
        fp = state.fp.sum() - state.fp[label] + counts.fp

        def accept(best: int) -> None:
            state.tp[label] = counts.tp[best]
            state.fp[label] = counts.fp[best]

        return objective(tp, fp, total_pos - tp, total_neg - fp), accept

    start = current_value()
    cuts, changed, iterations, converged = _ascend(
        propose, sorted_scores, cuts, frozen, clip, max_iter
    )
    return AscentResult(cuts, changed, current_value(), start, iterations, converged)


def _ascend(
    propose: Callable[[int], tuple[FloatArray, Callable[[int], None]]],
    sorted_scores: FloatArray,
    cuts: IntArray,
    frozen: BoolArray,
    clip: tuple[float, float] | None,
    max_iter: int,
) -> tuple[IntArray, BoolArray, int, bool]:
    """Passes over the free labels: each moves to its best cut given the others, until a
    whole pass gains nothing.  ``propose(label)`` returns the objective at every cut of
    that label and a function that records the move to a chosen cut."""
    cuts = cuts.copy()
    changed = np.zeros(cuts.shape[0], dtype=bool)
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        improved = False
        for label in np.flatnonzero(~frozen).tolist():
            metric, accept = propose(label)
            best = best_cut(metric, candidate_mask(sorted_scores[label], clip))
            here = float(metric[cuts[label]])
            if metric[best] - here > _gain_threshold(here):
                cuts[label] = best
                changed[label] = True
                accept(best)
                improved = True
        if not improved:
            return cuts, changed, iterations, True
    return cuts, changed, iterations, False


def _samples_ascent(
    truth: BoolArray,
    weights: FloatArray | None,
    orders: IntArray,
    sorted_scores: FloatArray,
    cuts: IntArray,
    frozen: BoolArray,
    objective: Objective,
    clip: tuple[float, float] | None,
    max_iter: int,
) -> AscentResult:
    n_samples, n_labels = truth.shape
    truth_t = np.ascontiguousarray(truth.T)
    pred_t = np.zeros((n_labels, n_samples), dtype=bool)
    for label in range(n_labels):
        pred_t[label, orders[label, cuts[label] :]] = True
    # The counting pass: each sample's own counts at the starting cuts, as the core counts.
    tp_i, fp_i, fn_i = sample_triples(truth, pred_t.T)
    n_true = (tp_i + fn_i).astype(np.float64)
    tp, fp = tp_i.astype(np.float64), fp_i.astype(np.float64)
    w = np.ones(n_samples) if weights is None else weights
    total_weight = float(w.sum())

    def sample_values(tp_: FloatArray, fp_: FloatArray) -> FloatArray:
        fn_ = n_true - tp_
        return objective(tp_, fp_, fn_, n_labels - tp_ - fp_ - fn_)

    def mean(values: FloatArray) -> float:
        return float(samples_mean(values, w, np.ones(n_samples)))

    def propose(label: int) -> tuple[FloatArray, Callable[[int], None]]:
        y = truth_t[label]
        p = pred_t[label]
        tp_base = tp - (p & y)
        fp_base = fp - (p & ~y)
        g0 = sample_values(tp_base, fp_base)
        g1 = sample_values(tp_base + y, fp_base + ~y)
        order = orders[label]
        # Moving the cut down by one sample switches that sample's label on.
        gain = (w * (g1 - g0))[order]
        metric = np.empty(n_samples + 1)
        metric[n_samples] = 0.0
        np.cumsum(gain[::-1], out=metric[-2::-1])
        metric += np.dot(w, g0)
        metric /= total_weight

        def accept(best: int) -> None:
            nonlocal tp, fp
            new_p = np.zeros(n_samples, dtype=bool)
            new_p[order[best:]] = True
            pred_t[label] = new_p
            tp = tp_base + (new_p & y)
            fp = fp_base + (new_p & ~y)

        return metric, accept

    start = mean(sample_values(tp, fp))
    cuts, changed, iterations, converged = _ascend(
        propose, sorted_scores, cuts, frozen, clip, max_iter
    )
    return AscentResult(cuts, changed, mean(sample_values(tp, fp)), start, iterations, converged)


def coordinate_ascent(
    average: str,
    truth: BoolArray,
    weights: FloatArray | None,
    orders: IntArray,
    sorted_scores: FloatArray,
    cuts: IntArray,
    frozen: BoolArray,
    objective: Objective,
    clip: tuple[float, float] | None,
    max_iter: int,
) -> AscentResult:
    """Improve ``cuts`` (one per label; ``frozen`` labels stay) for the joint objective."""
    run = _micro_ascent if average == "micro" else _samples_ascent
    return run(truth, weights, orders, sorted_scores, cuts, frozen, objective, clip, max_iter)
