"""Isotonic regression of labels on scores, per label, by pool adjacent violators.

Samples with equal scores are first merged into one point (weighted mean of
their labels, summed weight), samples of weight zero are left out, and the
non-decreasing fit of the merged points is found by pooling adjacent violators.
A calibrated score is the linear interpolation of the fit at the score, clipped
to the fitted range outside it: scikit-learn's
``IsotonicRegression(out_of_bounds="clip")``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def _pool_adjacent_violators(values: FloatArray, weights: FloatArray) -> FloatArray:
    """The weighted least-squares non-decreasing fit of ``values``."""
    means: list[float] = []
    totals: list[float] = []
    sizes: list[int] = []
    # Each new point joins the previous blocks for as long as it would lie below them.
    for value, weight in zip(values.tolist(), weights.tolist(), strict=True):
        mean, total, size = value, weight, 1
        while means and means[-1] >= mean:
            previous_total = totals.pop()
            mean = (means.pop() * previous_total + mean * total) / (previous_total + total)
            total += previous_total
            size += sizes.pop()
        means.append(mean)
        totals.append(total)
        sizes.append(size)
    return np.repeat(np.asarray(means), sizes)


def isotonic_fit(
    scores: FloatArray, truth: NDArray[np.bool_], weights: FloatArray | None
) -> tuple[FloatArray, FloatArray]:
    """The fitted points ``(x, y)`` of one label (distinct scores, fitted rates).

    Interior points of constant runs are dropped: they lie on the interpolation.
    """
    labels = truth.astype(np.float64)
    w = np.ones(scores.shape[0]) if weights is None else weights
    keep = w > 0
    order = np.argsort(scores[keep], kind="stable")
    x, y, w = scores[keep][order], labels[keep][order], w[keep][order]
    starts = np.flatnonzero(np.concatenate([[True], x[1:] != x[:-1]]))
    total = np.add.reduceat(w, starts)
    fitted = _pool_adjacent_violators(np.add.reduceat(w * y, starts) / total, total)
    unique = x[starts]
    if fitted.size < 3:
        return unique, fitted
    same = np.concatenate([[False], fitted[1:-1] == fitted[:-2], [False]]) & np.concatenate(
        [[False], fitted[1:-1] == fitted[2:], [False]]
    )
    return unique[~same], fitted[~same]


def isotonic_apply(scores: FloatArray, x: FloatArray, y: FloatArray) -> FloatArray:
    """Calibrated scores: the fit interpolated linearly, constant outside its range."""
    return np.asarray(np.interp(scores, x, y), np.float64)
