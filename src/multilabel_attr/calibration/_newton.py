"""Platt and temperature scaling fitted by Newton's method on sufficient sums.

Each Newton pass reads the data once and returns, per label, the weighted
log loss, its gradient and its Hessian at the current parameters
([`NewtonSums`][multilabel_attr.calibration._newton.NewtonSums]).  The sums are
additive, so a pass over partitions is the sum of the partitions' sums, and the
same driver ([`newton_fit`][multilabel_attr.calibration._newton.newton_fit]) fits
in memory or with one job per pass.

The feature is the logit ``z`` of the score: the logit itself with
``from_logits=True``, otherwise ``log(p) - log(1 - p)`` with ``p`` clipped to
``[eps, 1 - eps]`` (``eps`` the float64 machine epsilon) so that scores of 0 and 1
stay finite.  Platt scaling fits ``sigmoid(a z + b)`` per label (unpenalised
logistic regression on ``z``); temperature scaling fits ``sigmoid(z / T)``, per
label or one ``T`` shared by all labels, through the inverse temperature
``beta = 1 / T``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._internal import map_blocks

FloatArray = NDArray[np.float64]

EPS = float(np.finfo(np.float64).eps)
_BLOCK_CELLS = 1 << 18
_FINAL_STEP = 1e-7
"""A relative Newton step below this is the last one (its square is below float64 rounding)."""


def logit_feature(probs: FloatArray) -> FloatArray:
    """The logit of clipped probabilities (see the module)."""
    clipped = np.clip(probs, EPS, 1.0 - EPS)
    # One logarithm of the odds: the same value as log(p) - log1p(-p) to rounding.
    z: FloatArray = np.log(clipped / (1.0 - clipped))
    return z


@dataclass(frozen=True)
class NewtonSums:
    """Per-label log loss, gradient and Hessian of one pass (additive over partitions).

    Attributes
    ----------
    loss : ndarray of shape (n_labels,)
    gradient : ndarray of shape (n_labels, k)
    hessian : ndarray of shape (n_labels, k, k)
    """

    loss: FloatArray
    gradient: FloatArray
    hessian: FloatArray

    def __add__(self, other: NewtonSums) -> NewtonSums:
        return NewtonSums(
            self.loss + other.loss, self.gradient + other.gradient, self.hessian + other.hessian
        )


def _column_dot(a: FloatArray, b: FloatArray, w: FloatArray | None) -> FloatArray:
    """Per-label ``sum_i w_i a_ij b_ij`` without a temporary product when unweighted."""
    if w is None:
        return np.asarray(np.einsum("ij,ij->j", a, b), np.float64)
    return np.asarray(w @ (a * b), np.float64)


def _column_sum(a: FloatArray, w: FloatArray | None) -> FloatArray:
    # A matrix-vector product sums the columns several times faster than ndarray.sum(axis=0).
    return np.asarray((np.ones(a.shape[0]) if w is None else w) @ a, np.float64)


def _block_sums(
    truth: NDArray[np.bool_], z: FloatArray, w: FloatArray | None, params: FloatArray
) -> NewtonSums:
    u = z * params[:, 0]
    if params.shape[1] == 2:
        u += params[:, 1]
    # log(1 + exp(u)) - y u and sigmoid(u) from one exponential, stable for any u.
    e = np.abs(u)
    np.negative(e, out=e)
    np.exp(e, out=e)
    d = e + 1.0
    loss = np.log(d)
    loss += np.maximum(u, 0.0)
    loss -= np.where(truth, u, 0.0)
    s = np.where(u >= 0, 1.0, e)
    s /= d
    curvature = 1.0 - s
    curvature *= s
    s -= truth  # the residual sigmoid(u) - y
    weighted_z = curvature * z
    loss_sum = _column_sum(loss, w)
    g_slope, h_slope = _column_dot(s, z, w), _column_dot(weighted_z, z, w)
    if params.shape[1] == 1:
        return NewtonSums(loss_sum, g_slope[:, None], h_slope[:, None, None])
    g_intercept, h_cross, h_intercept = (
        _column_sum(s, w),
        _column_sum(weighted_z, w),
        _column_sum(curvature, w),
    )
    gradient = np.stack([g_slope, g_intercept], axis=1)
    hessian = np.stack([np.stack([h_slope, h_cross], 1), np.stack([h_cross, h_intercept], 1)], 1)
    return NewtonSums(loss_sum, gradient, hessian)


def newton_sums(
    truth: NDArray[np.bool_], z: FloatArray, weights: FloatArray | None, params: FloatArray
) -> NewtonSums:
    """One pass: the sums at ``params`` (shape (n_labels, 2) for Platt ``(a, b)``, (n_labels, 1)
    for the inverse temperature), over row blocks on a thread pool."""
    rows = max(1, _BLOCK_CELLS // z.shape[1])
    starts = list(range(0, z.shape[0], rows))
    parts: list[Any] = [None] * len(starts)

    def work(start: int) -> None:
        block = slice(start, start + rows)
        w = None if weights is None else weights[block]
        parts[start // rows] = _block_sums(truth[block], z[block], w, params)

    map_blocks(work, starts)
    total: NewtonSums = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _pooled(sums: NewtonSums) -> NewtonSums:
    """The sums of one parameter shared by every label."""
    return NewtonSums(
        sums.loss.sum(keepdims=True),
        sums.gradient.sum(axis=0, keepdims=True),
        sums.hessian.sum(axis=0, keepdims=True),
    )


def newton_fit(
    sums_at: Callable[[FloatArray], NewtonSums],
    start: FloatArray,
    *,
    n_labels: int,
    shared: bool = False,
    max_iter: int = 100,
) -> tuple[FloatArray, int]:
    """Minimise the log loss by damped Newton steps; ``sums_at`` runs one pass.

    ``start`` has one row per label (one row in all when ``shared``; ``sums_at``
    always gets one row per label).  A step that raises a label's loss by more
    than rounding is halved for that label and the pass repeated.  Returns the
    parameters and the number of passes.
    """

    def evaluate(params: FloatArray) -> NewtonSums:
        sums = sums_at(np.repeat(params, n_labels, axis=0) if shared else params)
        return _pooled(sums) if shared else sums

    params = start.copy()
    sums = evaluate(params)
    passes = 1
    for _ in range(max_iter):
        step = np.einsum("lij,lj->li", np.linalg.pinv(sums.hessian), sums.gradient)
        if np.all(np.abs(step) <= _FINAL_STEP * (1.0 + np.abs(params))):
            # Newton converges quadratically: after a step this small the next one would be
            # below rounding, so the step is taken without another pass to confirm it.
            params = params - step
            break
        scale = np.ones(params.shape[0])
        while True:
            candidate = params - scale[:, None] * step
            trial = evaluate(candidate)
            passes += 1
            worse = trial.loss > sums.loss + 1e-12 * np.abs(sums.loss)
            if not np.any(worse) or np.all(scale[worse] < 1e-12):
                break
            scale = np.where(worse, scale / 2, scale)
        params, sums = candidate, trial
    return params, passes
