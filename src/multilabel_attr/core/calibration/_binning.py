"""Bins of the calibration metrics: equal-width, and equal-mass (exact or from fine bins).

Equal-width bins split ``[0, 1]`` into ``n_bins`` intervals closed on the left,
``edge[k] <= p < edge[k + 1]``, the last one closed on both sides (torchmetrics'
rule, except that torchmetrics gives a score of exactly 1 a bin of its own).

Equal-mass bins have as edges the quantiles of the scores, and are closed on the
right, ``edge[k] < p <= edge[k + 1]`` (scikit-learn's rule: a quantile is often a
score itself and belongs to the bin below).  Without sample weights the quantiles
are numpy's linear ones (scikit-learn's ``calibration_curve(strategy="quantile")``);
with weights, the sorted scores get the positions ``(weight before them) / (W -
last weight)`` and are linearly interpolated, which gives the same quantiles when
every weight is 1.  Samples of weight zero take no part.

Without the scores themselves, equal-mass bins are unions of the state's fine bins
(the [`ScoreSketch`][multilabel_attr.ScoreSketch] layout): each edge is the fine edge
whose cumulative weight is nearest to its target ``k W / n_bins``.  The exact edge
lies within the fine bins whose cumulative weight reaches within one sample weight
of that target, so at most their weight ``M_k`` is binned differently; moving a
sample changes ``|score_sum - label_sum|`` of the two bins it leaves and joins by at
most its weight each, so the ECE is within ``2 sum_k M_k / W`` of the exact
equal-mass ECE, and each bin's ``|mean score - observed rate|`` within
``2 (M_k + M_{k+1}) / w_b`` (the MCE bound is their maximum).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def uniform_edges(n_bins: int) -> FloatArray:
    """The ``n_bins + 1`` edges of the equal-width bins on ``[0, 1]``."""
    return np.linspace(0.0, 1.0, n_bins + 1)


_MARGIN = 2.0**-40
"""Relative margin of the two bin guesses: far above float64 rounding, far below a bin's width."""


def uniform_index(probs: FloatArray, n_bins: int) -> IntArray:
    """Equal-width bin of every probability, exactly against the edges (see the module).

    Two guesses, ``p n (1 - m)`` and ``p n (1 + m)`` floored, agree only where ``p n``
    is further than about ``m`` (relatively) from every integer; the edges are within
    a rounding of ``k / n``, so there the guess is the bin.  The rare scores where
    the guesses differ (on or next to an edge, and a score of exactly 1) are placed by
    a search of the edges.
    """
    low = (probs * (n_bins * (1.0 - _MARGIN))).astype(np.intp)
    # The second guess is only compared: a narrower integer converts faster.
    narrow = np.int32 if n_bins < 2**31 - 1 else np.intp
    unsure = low != (probs * (n_bins * (1.0 + _MARGIN))).astype(narrow)
    if unsure.any():  # an any() costs far less than locating the cells
        where = np.nonzero(unsure)
        found = np.searchsorted(uniform_edges(n_bins), probs[where], side="right")
        low[where] = np.minimum(found - 1, n_bins - 1)
    return low


def quantile_edges(scores: FloatArray, weights: FloatArray | None, n_bins: int) -> FloatArray:
    """Equal-mass edges of one label's scores (see the module for the weighted rule)."""
    quantiles = np.linspace(0.0, 1.0, n_bins + 1)
    if weights is None:
        edges: FloatArray = np.percentile(scores, quantiles * 100)
        return edges
    keep = weights > 0
    order = np.argsort(scores[keep], kind="stable")
    ordered, kept = scores[keep][order], weights[keep][order]
    before = np.cumsum(kept) - kept
    span = before[-1]
    if span <= 0:
        return np.full(n_bins + 1, ordered[0])
    return np.asarray(np.interp(quantiles, before / span, ordered), np.float64)


def bin_sums(
    index: IntArray, n_bins: int, probs: FloatArray, truth: NDArray[np.bool_], weights: Any
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-bin ``(weight, score_sum, label_sum)`` of one label given each sample's bin."""
    w = weights
    parts = (
        np.bincount(index, w, n_bins),
        np.bincount(index, probs if w is None else probs * w, n_bins),
        np.bincount(index[truth], None if w is None else w[truth], n_bins),
    )
    return (
        parts[0].astype(np.float64),
        parts[1].astype(np.float64),
        parts[2].astype(np.float64),
    )


def exact_quantile_sums(
    probs: FloatArray, truth: NDArray[np.bool_], weights: FloatArray | None, n_bins: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Equal-mass ``(edges, weight, score_sum, label_sum)`` of one label from its scores."""
    edges = quantile_edges(probs, weights, n_bins)
    index = np.searchsorted(edges[1:-1], probs, side="left")
    return (edges, *bin_sums(index, n_bins, probs, truth, weights))


class UnresolvedBinningError(ValueError):
    """The fine bins are too coarse for the equal-mass bins asked for."""


def _snap(cumulative: FloatArray, targets: FloatArray) -> IntArray:
    """The fine edge whose cumulative weight is nearest to each target."""
    above = np.minimum(np.searchsorted(cumulative, targets, side="left"), cumulative.size - 1)
    below = np.maximum(above - 1, 0)
    nearer_below = (targets - cumulative[below]) <= (cumulative[above] - targets)
    return np.where(nearer_below, below, above)


def _moved_weight(cumulative: FloatArray, targets: FloatArray, max_weight: float) -> FloatArray:
    """Weight of the fine bins whose cumulative range comes within ``max_weight`` of a target."""
    n_fine = cumulative.size - 1
    first = np.searchsorted(cumulative[1:], targets - max_weight, side="left")
    last = np.searchsorted(cumulative[:-1], targets + max_weight, side="right") - 1
    first, last = np.clip(first, 0, n_fine - 1), np.clip(last, 0, n_fine - 1)
    moved: FloatArray = np.maximum(cumulative[last + 1] - cumulative[first], 0.0)
    return moved


def sketch_quantile_sums(
    fine: tuple[FloatArray, FloatArray, FloatArray],
    fine_edges: FloatArray,
    n_bins: int,
    max_weight: float,
) -> tuple[FloatArray, tuple[FloatArray, FloatArray, FloatArray], FloatArray]:
    """Equal-mass bins of one label from its fine-bin sums.

    Returns the edges, the per-bin ``(weight, score_sum, label_sum)`` and the
    weight ``M_k`` that may lie on the other side of each inner edge (see the
    module), with ``0`` for the two outer edges.

    Raises
    ------
    UnresolvedBinningError
        If two edges fall on the same fine edge or a bin would hold no weight.
    """
    weight = fine[0]
    cumulative = np.concatenate([[0.0], np.cumsum(weight)])
    targets = np.linspace(0.0, 1.0, n_bins + 1)[1:-1] * cumulative[-1]
    inner = _snap(cumulative, targets)
    starts = np.concatenate([[0], inner]).astype(np.intp)
    ends = np.concatenate([inner, [weight.size]]).astype(np.intp)
    if np.any(np.diff(cumulative[np.concatenate([starts, [weight.size]])]) <= 0):
        raise UnresolvedBinningError("an equal-mass bin would hold no weight")
    sums = tuple(np.add.reduceat(s, starts) for s in fine)
    moved = np.concatenate([[0.0], _moved_weight(cumulative, targets, max_weight), [0.0]])
    edges = np.concatenate([fine_edges[starts], [fine_edges[ends[-1]]]])
    edges[0], edges[-1] = 0.0, 1.0
    return edges, (sums[0], sums[1], sums[2]), moved


def equal_mass_bounds(moved: FloatArray, weight: FloatArray, total: float) -> tuple[float, float]:
    """Bounds on the distance to the exact equal-mass ECE and MCE (see the module)."""
    ece = 2.0 * float(moved.sum()) / total
    per_bin = 2.0 * (moved[:-1] + moved[1:]) / np.where(weight > 0, weight, 1.0)
    return ece, float(per_bin.max())
