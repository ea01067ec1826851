"""Ranking estimates and their guaranteed bounds from binned class counts.

Pure functions of the per-bin arrays of a [`ScoreSketch`][multilabel_attr.ScoreSketch]:
``pos`` and ``neg`` (weighted class counts) and ``tied`` (the bin holds a single
distinct score; ``None`` when unknown, as in the Keras metrics), each of shape
``(..., n_bins)`` with bins in increasing score order.  They use only
``+ - * /``, ``cumsum``, ``sum``, ``where``, ``clip``, ``maximum``, ``log1p``,
``concatenate`` and slicing, so the same code runs on numpy
arrays (the core) and on backend tensors through ``keras.ops`` (the Keras
metrics), like the count formulas of ``_formulas``.

Pairs and positives in *different* bins are ordered exactly by the bins; only
what happens inside a bin is unknown.  The estimates model each class density
inside a bin as linear, with the slope read off the neighbouring bins; the
bounds hold whatever the order inside the bins is.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(8)
_NODES = (_GL_NODES + 1.0) / 2.0  # on [0, 1], weights summing to 1
_WEIGHTS = _GL_WEIGHTS / 2.0


def _safe(den: Any, xp: Any) -> Any:
    return xp.where(den > 0, den, 1.0)


def _constant(values: Any, like: Any, xp: Any) -> Any:
    """``values`` as an array of ``like``'s dtype in namespace ``xp``."""
    if xp is np:
        return values
    return xp.convert_to_tensor(values, dtype=xp.dtype(like))


def _if_tied(tied: Any, exact: Any, otherwise: Any, xp: Any) -> Any:
    """``exact`` in tied bins; ``tied=None`` means nothing is known about ties."""
    return otherwise if tied is None else xp.where(tied, exact, otherwise)


def _reverse_cumsum_above(counts: Any, xp: Any) -> Any:
    """Weight in the bins strictly above each bin (last axis)."""
    return xp.sum(counts, axis=-1, keepdims=True) - xp.cumsum(counts, axis=-1)


def density_slopes(counts: Any, xp: Any = np) -> Any:
    """Relative slope of a class density inside each bin, in units of the bin width.

    Central difference of the neighbouring counts over twice the bin's own
    count, clipped to ``[-2, 2]`` so the modelled density stays non-negative.
    The two open-ended outer bins and their inner neighbours (whose neighbour
    count is not a density) get slope 0, as does every bin of a sketch with
    fewer than five bins.
    """
    n_bins = counts.shape[-1]
    if n_bins < 5:
        return counts * 0.0
    prev = counts[..., 1:-3]
    own = counts[..., 2:-2]
    nxt = counts[..., 3:-1]
    slope = xp.where(own > 0, (nxt - prev) / (2.0 * _safe(own, xp)), 0.0)
    slope = xp.clip(slope, -2.0, 2.0)
    pad = counts[..., :2] * 0.0
    return xp.concatenate([pad, slope, pad], axis=-1)


def auroc_from_bins(pos: Any, neg: Any, tied: Any, xp: Any = np) -> tuple[Any, Any]:
    """AUROC estimate and its guaranteed bound over the last axis.

    A positive and a negative in the same bin are ordered correctly with the
    probability ``c = 1/2 + (a - b) / 12`` of two linear densities of relative
    slopes ``a`` (positives) and ``b`` (negatives); in a tied bin every such
    pair is a tie and counts exactly ``1/2``.  With ``W = sum_b pos_b neg_b``
    over untied bins, the true AUROC lies within
    ``max(sum pos_b neg_b c_b, sum pos_b neg_b (1 - c_b)) / (P N)`` of the
    estimate.  Undefined (``nan``) without positives or negatives.
    """
    a = density_slopes(pos, xp)
    b = density_slopes(neg, xp)
    concordance = _if_tied(tied, 0.5, xp.clip(0.5 + (a - b) / 12.0, 0.0, 1.0), xp)
    below = xp.cumsum(neg, axis=-1) - neg
    total_pos = xp.sum(pos, axis=-1)
    total_neg = xp.sum(neg, axis=-1)
    pairs = total_pos * total_neg
    inside = _if_tied(tied, 0.0, pos * neg, xp)
    estimate = xp.sum(pos * (below + concordance * neg), axis=-1)
    slack = xp.maximum(
        xp.sum(inside * concordance, axis=-1), xp.sum(inside * (1.0 - concordance), axis=-1)
    )
    defined = pairs > 0
    value = xp.where(defined, estimate / _safe(pairs, xp), np.nan)
    bound = xp.where(defined, slack / _safe(pairs, xp), np.nan)
    return value, bound


def _ap_bin_estimate(pos: Any, neg: Any, above_pos: Any, above_neg: Any, xp: Any) -> Any:
    """Sum over a bin's positives of their precision, under linear class densities.

    At relative position ``x`` in the bin (0 bottom, 1 top) the weight above is
    ``A + p G_a(x)`` positive and ``B + n G_b(x)`` negative with
    ``G_s(x) = (1 - x) + s x (1 - x) / 2``; the positives' density is
    ``p (1 + a (x - 1/2))``.  Integrated by 8-point Gauss-Legendre.
    """
    a = density_slopes(pos, xp)[..., None]
    b = density_slopes(neg, xp)[..., None]
    x = _constant(_NODES, pos, xp)
    weights = _constant(_WEIGHTS, pos, xp)
    g_a = (1.0 - x) + a * x * (1.0 - x) / 2.0
    g_b = (1.0 - x) + b * x * (1.0 - x) / 2.0
    p = pos[..., None]
    tp = above_pos[..., None] + p * g_a
    predicted = tp + above_neg[..., None] + neg[..., None] * g_b
    precision = xp.where(predicted > 0, tp / _safe(predicted, xp), 1.0)
    return xp.sum(weights * p * (1.0 + a * (x - 0.5)) * precision, axis=-1)


def ap_from_bins(pos: Any, neg: Any, tied: Any, xp: Any = np) -> tuple[Any, Any]:
    """Average precision estimate and its guaranteed bound over the last axis.

    For a bin with ``p`` positive and ``n`` negative weight below ``A`` positive
    and ``B`` negative weight, each positive's precision uses at least ``A``
    plus the positives above it in the bin and at most ``B + n`` negatives, so
    the bin's sum of precisions lies between
    ``L = p - (B + n) log(1 + p / (A + B + n))`` (the integral of the increasing
    ``t / (t + B + n)`` over ``[A, A + p]``) and ``U = p (A + p) / (A + p + B)``.
    A tied bin is exact: ``p (A + p) / (A + p + B + n)``.  The bound is
    ``max(sum U - S, S - sum L) / P`` for the estimate ``S / P``.  Undefined
    without positives.
    """
    above_pos = _reverse_cumsum_above(pos, xp)
    above_neg = _reverse_cumsum_above(neg, xp)
    all_in = above_pos + pos
    tied_value = pos * all_in / _safe(all_in + above_neg + neg, xp)
    neg_max = above_neg + neg
    start = above_pos + neg_max
    lower = xp.where(start > 0, pos - neg_max * xp.log1p(pos / _safe(start, xp)), pos)
    upper = xp.where(pos > 0, pos * all_in / _safe(all_in + above_neg, xp), 0.0)
    estimate = xp.clip(_ap_bin_estimate(pos, neg, above_pos, above_neg, xp), lower, upper)
    estimate = _if_tied(tied, tied_value, estimate, xp)
    lower = _if_tied(tied, tied_value, lower, xp)
    upper = _if_tied(tied, tied_value, upper, xp)
    total_pos = xp.sum(pos, axis=-1)
    value = xp.sum(estimate, axis=-1)
    slack = xp.maximum(xp.sum(upper, axis=-1) - value, value - xp.sum(lower, axis=-1))
    defined = total_pos > 0
    return (
        xp.where(defined, value / _safe(total_pos, xp), np.nan),
        xp.where(defined, xp.maximum(slack, 0.0) / _safe(total_pos, xp), np.nan),
    )
