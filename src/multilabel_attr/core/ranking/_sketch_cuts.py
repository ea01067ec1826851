"""Threshold questions to a [`ScoreSketch`][multilabel_attr.ScoreSketch].

The sketch knows the exact confusion counts of a cut at every bin edge.  A
cut strictly inside a bin keeps the positives and negatives of the bins above
and some of the bin's own, so for a per-label count metric that never
decreases with ``tp`` and never increases with ``fp`` (with the label's
totals fixed), no cut inside bin ``b`` beats the value at ``tp`` = all the
positives from ``b`` up and ``fp`` = only the negatives above ``b``.  Bins
whose bound does not exceed the best edge value can be skipped; the others
are the only places an exact search needs to look at individual scores,
between the bin's smallest and largest score
([`bin_range`][multilabel_attr.ScoreSketch.bin_range]).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .._validation import per_label
from ..counts._averaging import average_counts
from ..counts._formulas import Formula, formula_by_name
from ._sketch_bins import bin_index

if TYPE_CHECKING:
    from ._sketch import ScoreSketch

FloatArray = NDArray[np.float64]

MONOTONE_METRICS = frozenset(
    {
        "precision",
        "recall",
        "jaccard",
        "specificity",
        "negative predictive value",
        "accuracy",
        "label accuracy",
        "balanced accuracy",
        "youden j",
    }
)
"""Formula names that never decrease with ``tp`` nor increase with ``fp`` at fixed totals
(every F-beta is too); Matthews and Cohen's kappa are not."""


def is_monotone(formula: Formula) -> bool:
    """Whether ``formula`` is known to be non-decreasing in tp and non-increasing in fp."""
    return (
        formula.name in MONOTONE_METRICS
        or formula.name == "f1"
        or (formula.name.startswith("f-beta"))
    )


def _values(formula: Formula, tp: Any, fp: Any, pos: Any, neg: Any, fill: float) -> FloatArray:
    value, _ = average_counts(formula, tp, fp, pos - tp, neg - fp, None, fill)
    return np.asarray(value, np.float64)


def candidate_bins(
    sketch: ScoreSketch, metric: Any, *, monotone: bool | None = None, zero_division: float = 0.0
) -> tuple[NDArray[np.bool_], FloatArray]:
    """Bins where a cut could beat the best edge cut, and the best edge values.

    Parameters
    ----------
    sketch : ScoreSketch
    metric : str or Formula
        A per-label count metric (a name known to
        [`formula_by_name`][multilabel_attr.formula_by_name] or a
        [`Formula`][multilabel_attr.Formula]).
    monotone : bool, optional
        Whether the metric never decreases with ``tp`` nor increases with
        ``fp``; by default known for the registry's metrics (F-beta, precision,
        recall, Jaccard, specificity, NPV, accuracy, balanced accuracy,
        Youden's J) and assumed false otherwise.
    zero_division : float, default=0.0
        The value of an undefined metric.

    Returns
    -------
    candidates : ndarray of bool, shape (n_labels, n_bins)
        For a monotone metric, the bins holding two distinct scores whose upper
        bound (all of the bin's positives, none of its negatives) exceeds the
        best edge value; otherwise every bin holding two distinct scores.
    best_edge : ndarray of shape (n_labels,)
        The best metric value over the cuts at the edges
        ([`counts_at_edges`][multilabel_attr.ScoreSketch.counts_at_edges]).
    """
    formula = formula_by_name(metric) if isinstance(metric, str) else metric
    if not isinstance(formula, Formula):
        raise TypeError(f"metric must be a metric name or a Formula; got {type(metric).__name__}")
    counts = sketch.counts_at_edges()
    pos = counts.tp[:, :1]
    neg = counts.fp[:, :1]
    edge_values = _values(formula, counts.tp, counts.fp, pos, neg, zero_division)
    best_edge = np.nanmax(np.where(np.isnan(edge_values), -np.inf, edge_values), axis=1)
    # A bin with a single distinct score has no cut that differs from its two edges.
    splittable = sketch.lo < sketch.hi
    if not (is_monotone(formula) if monotone is None else monotone):
        return splittable, best_edge
    upper = _values(formula, counts.tp[:, :-1], counts.fp[:, 1:], pos, neg, zero_division)
    return splittable & (upper > best_edge[:, None]), best_edge


def counts_at(sketch: ScoreSketch, threshold: Any) -> tuple[FloatArray, ...]:
    """Weighted ``(tp, fp, fn, tn)`` per label of the cut ``score >= threshold``.

    Exact in exact mode.  Otherwise exact whenever each label's threshold does
    not fall strictly inside the range of scores seen in its bin (``lo < t <=
    hi``): then the whole bin lies on one side of the cut.  A threshold inside
    a bin's range raises, naming the labels, since only the scores could tell.
    """

    thresholds = per_label(threshold, sketch.n_labels)
    if sketch.exact and sketch.n_samples:
        truth, scores, weights = sketch._exact_arrays()
        predicted = scores >= thresholds
        w = np.ones(truth.shape[0]) if weights is None else weights
        tp, fp = w @ (predicted & truth), w @ (predicted & ~truth)
        return tp, fp, w @ truth - tp, w @ ~truth - fp
    layout = (sketch.n_bins, sketch.from_logits, sketch.edges_version)
    index = bin_index(thresholds[None, :], *layout)[0]
    labels = np.arange(sketch.n_labels)
    lo, hi = sketch.lo[labels, index], sketch.hi[labels, index]
    inside = (lo < thresholds) & (thresholds <= hi)
    if np.any(inside):
        shown = ", ".join(str(i) for i in np.flatnonzero(inside)[:10].tolist())
        raise ValueError(
            f"threshold falls strictly inside the range of scores of its bin for label(s) "
            f"{shown}: the sketch cannot split that bin; use exact=True, or a threshold at or "
            "below the bin's smallest score or above its largest (see bin_range())"
        )
    # The whole bin is at or above the cut when t <= lo (or the bin is empty), else below.
    boundary = np.where(thresholds <= lo, index, index + 1)
    counts = sketch.counts_at_edges()
    pick = (labels, boundary)
    return counts.tp[pick], counts.fp[pick], counts.fn[pick], counts.tn[pick]
