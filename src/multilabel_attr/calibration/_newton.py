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
_BLOCK_CELLS = 1 << 17
"""Cells of one block: the pass's temporaries stay near a core (fastest measured at 1M x 40;
smaller blocks pay more per-block overhead than they save in cache)."""
_EXP_LIMIT = 700.0
"""The largest exponent taken (``exp(700)`` is finite); beyond it ``log(1 + exp(m)) - m`` is
zero to rounding."""
_FINAL_STEP = 1e-7
"""A relative Newton step below this is the last one (its square is below float64 rounding)."""


def _row_blocks(n_rows: int, n_labels: int) -> tuple[int, list[int]]:
    rows = max(1, _BLOCK_CELLS // max(1, n_labels))
    return rows, list(range(0, n_rows, rows))


def logit_feature(probs: FloatArray) -> FloatArray:
    """The logit of clipped probabilities of shape (n_samples, n_labels) (see the module), over
    row blocks on a thread pool."""
    z: FloatArray = np.empty(probs.shape)
    rows, starts = _row_blocks(*probs.shape)

    def work(start: int) -> None:
        block = slice(start, start + rows)
        clipped = np.clip(probs[block], EPS, 1.0 - EPS)
        # One logarithm of the odds: the same value as log(p) - log1p(-p) to rounding.
        np.log(clipped / (1.0 - clipped), out=z[block])

    map_blocks(work, starts)
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


@dataclass(frozen=True)
class LabelSums:
    """The per-label sums that no pass changes: ``sum w y``, ``sum w y z`` and ``max |z|``.

    With them the log loss ``sum w (log(1 + exp(u)) - y u)`` and its gradient in
    ``u = a z + b`` need, pass after pass, only sums of functions of ``u``: the labels
    are read once.
    """

    positives: FloatArray
    positive_feature: FloatArray
    largest: FloatArray


def _block_parts(
    block_sums: Callable[[slice], FloatArray], n_rows: int, n_labels: int
) -> list[FloatArray]:
    """``block_sums`` of every row block, in order, computed on a thread pool."""
    rows, starts = _row_blocks(n_rows, n_labels)
    parts: list[Any] = [None] * len(starts)

    def work(start: int) -> None:
        parts[start // rows] = block_sums(slice(start, start + rows))

    map_blocks(work, starts)
    return parts


def label_sums(truth: NDArray[np.bool_], z: FloatArray, weights: FloatArray | None) -> LabelSums:
    """The [`LabelSums`][multilabel_attr.calibration._newton.LabelSums] of in-memory rows."""

    def block_sums(block: slice) -> FloatArray:
        labels = truth[block].astype(np.float64)
        if weights is not None:
            labels *= weights[block, None]
        largest = np.max(np.abs(z[block]), axis=0)
        positives = np.ones(labels.shape[0]) @ labels
        return np.stack([positives, np.einsum("ij,ij->j", labels, z[block]), largest])

    parts = np.stack(_block_parts(block_sums, *z.shape))
    return LabelSums(parts[:, 0].sum(axis=0), parts[:, 1].sum(axis=0), parts[:, 2].max(axis=0))


def _curve_block(z: FloatArray, w: FloatArray | None, params: FloatArray, clamp: bool) -> Any:
    """Per label: the sums of ``log(1 + exp(u))``, ``s``, ``s z``, ``c``, ``c z`` and ``c z^2``
    over a block, with ``s = sigmoid(u)`` and ``c = s (1 - s)``."""
    m = z * -params[:, 0]  # m = -u: one exponential gives the sigmoid and the softplus
    if params.shape[1] == 2:
        m -= params[:, 1]
    if clamp:
        np.minimum(m, _EXP_LIMIT, out=m)
    e = np.exp(m)
    d = e + 1.0
    softplus = np.log(d)
    softplus -= m  # log(1 + exp(u)) = log(1 + exp(-u)) + u
    s = np.divide(1.0, d, out=d)
    e *= s
    e *= s  # the curvature s (1 - s) = exp(-u) s^2, accurate at both ends
    curvature_z = e * z
    # A matrix-vector product sums the columns several times faster than ndarray.sum(axis=0).
    row_weights = np.ones(z.shape[0]) if w is None else w
    if w is None:
        s_z, curvature_zz = np.einsum("ij,ij->j", s, z), np.einsum("ij,ij->j", curvature_z, z)
    else:
        s_z, curvature_zz = w @ (s * z), w @ (curvature_z * z)
    sums = (softplus, s, e, curvature_z)
    column = [row_weights @ x for x in sums]
    return np.stack([column[0], column[1], s_z, column[2], column[3], curvature_zz])


def _combine(fixed: LabelSums, curve: FloatArray, params: FloatArray) -> NewtonSums:
    """The log loss, gradient and Hessian from the label sums and a pass's curve sums."""
    softplus, sigmoid, sigmoid_z, curvature, curvature_z, curvature_zz = curve
    slope = params[:, 0]
    loss = softplus - slope * fixed.positive_feature
    g_slope = sigmoid_z - fixed.positive_feature
    if params.shape[1] == 1:
        return NewtonSums(loss, g_slope[:, None], curvature_zz[:, None, None])
    loss -= params[:, 1] * fixed.positives
    gradient = np.stack([g_slope, sigmoid - fixed.positives], axis=1)
    hessian = np.stack(
        [np.stack([curvature_zz, curvature_z], 1), np.stack([curvature_z, curvature], 1)], 1
    )
    return NewtonSums(loss, gradient, hessian)


def newton_pass(
    truth: NDArray[np.bool_], z: FloatArray, weights: FloatArray | None
) -> Callable[[FloatArray], NewtonSums]:
    """The Newton pass over in-memory rows: the labels are summed once, here; each call then
    reads the feature once, over row blocks on a thread pool."""
    fixed = label_sums(truth, z, weights)

    def sums_at(params: FloatArray) -> NewtonSums:
        intercept = np.abs(params[:, 1]) if params.shape[1] == 2 else 0.0
        clamp = bool(np.any(np.abs(params[:, 0]) * fixed.largest + intercept > _EXP_LIMIT))

        def block_sums(block: slice) -> Any:
            w = None if weights is None else weights[block]
            return _curve_block(z[block], w, params, clamp)

        parts = _block_parts(block_sums, *z.shape)
        return _combine(fixed, np.sum(parts, axis=0), params)

    return sums_at


def newton_sums(
    truth: NDArray[np.bool_], z: FloatArray, weights: FloatArray | None, params: FloatArray
) -> NewtonSums:
    """One pass: the sums at ``params`` (shape (n_labels, 2) for Platt ``(a, b)``, (n_labels, 1)
    for the inverse temperature), over row blocks on a thread pool."""
    return newton_pass(truth, z, weights)(params)


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
