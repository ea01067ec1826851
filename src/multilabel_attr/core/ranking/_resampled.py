"""Exact AUROC and average precision of many weighted resamples at once.

A bootstrap resample only changes how often each sample counts, so each label's
scores are sorted once and a resample is a column of multiplicities in that
order.  With the negatives and the positives each in ascending order, the
cumulative weight of the negatives below every positive gives the
Mann-Whitney numerator, and the cumulative weights of both classes at or above
every positive give its precision: every replicate's AUROC and AP follow from
cumulative sums down a (samples, replicates) matrix, a block of replicates at a
time.  Ties are counted as [`roc_auc_score`][multilabel_attr.roc_auc_score] and
[`average_precision_score`][multilabel_attr.average_precision_score] count them:
a tied negative counts one half, and a positive's precision counts every sample
tied with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._exact import _first_of_run, map_blocks, sorted_order

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]

_CACHED_CELLS = 400_000
"""(replicate, sample) cells per block of the running sums: about a core's L2 cache."""


@dataclass(frozen=True)
class RankedLabel:
    """One label's samples in score order, as the resampled sums need them.

    ``neg`` and ``pos`` index the negatives and positives in ascending score order;
    ``below[i]`` counts the negatives scoring below positive ``i``.  Ties touch few
    positives, so only those are listed: ``tied`` are the positives tied with some
    negative and ``through`` the negatives at or below each of them; ``runs`` are the
    positives tied with an earlier positive and ``first`` the first positive of each one's run.
    For the negatives, ``neg_through[k]`` counts the positives at or below negative ``k``;
    ``neg_tied`` are the negatives tied with some positive and ``neg_from`` the positives
    below each of them (a replicate's jackknife of the AUROC reads them).
    """

    neg: IndexArray
    pos: IndexArray
    below: IndexArray
    tied: IndexArray
    through: IndexArray
    runs: IndexArray
    first: IndexArray
    neg_through: IndexArray
    neg_tied: IndexArray
    neg_from: IndexArray

    @classmethod
    def of(
        cls, truth: NDArray[np.bool_], scores: NDArray[np.floating], negatives: bool = False
    ) -> RankedLabel:
        """The label's samples in score order; the negatives' placements (``neg_through``,
        ``neg_tied``, ``neg_from``) only with ``negatives`` (else empty)."""
        # One sort of the label; within a run of tied scores the order does not matter.
        order, keys = sorted_order(scores)
        positive = truth[order]
        neg, pos = order[~positive], order[positive]
        neg_scores, pos_scores = keys[~positive], keys[positive]
        below = np.searchsorted(neg_scores, pos_scores, "left")
        through = np.searchsorted(neg_scores, pos_scores, "right")
        first = _first_of_run(pos_scores)
        tied = np.flatnonzero(through != below)
        runs = np.flatnonzero(first != np.arange(pos.size))
        if negatives:
            neg_from = np.searchsorted(pos_scores, neg_scores, "left")
            neg_through = np.searchsorted(pos_scores, neg_scores, "right")
            neg_tied = np.flatnonzero(neg_through != neg_from)
        else:
            neg_from = neg_through = neg_tied = np.zeros(0, np.intp)
        return cls(
            neg, pos, below, tied, through[tied], runs, first[runs],
            neg_through, neg_tied, neg_from[neg_tied],
        )  # fmt: skip


def ranked_labels(
    truth: NDArray[np.bool_], scores: NDArray[np.floating], negatives: bool = False
) -> list[RankedLabel]:
    """Every label's sort, done once for all replicates, the labels on a thread pool (the
    sorts release the GIL); ``negatives`` for the replicates' own AUROC errors
    ([`resampled_auroc_ap_se`][multilabel_attr.core.ranking._resampled.resampled_auroc_ap_se])."""
    ranked: list[RankedLabel | None] = [None] * truth.shape[1]

    def work(j: int) -> None:
        ranked[j] = RankedLabel.of(truth[:, j], scores[:, j], negatives)

    map_blocks(work, range(truth.shape[1]))
    return [label for label in ranked if label is not None]


def _exclusive_cumsum(values: NDArray[Any], dtype: type) -> NDArray[Any]:
    """Cumulative sums along the samples (axis 1), with a leading column of zeros."""
    out = np.empty((values.shape[0], values.shape[1] + 1), dtype)
    out[:, 0] = 0
    # On a block of a few replicates (in cache) the sum that also casts is the fastest.
    np.cumsum(values, axis=1, dtype=dtype, out=out[:, 1:])
    return out


def _one_label(
    label: RankedLabel, weight: NDArray[Any], spread: bool = False
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """AUROC and AP, shape (B,), of one label for the replicate rows of ``weight`` (B, n);
    with ``spread``, also each replicate's jackknife standard error of the AUROC."""
    # Whole-number weights sum exactly in integers (and an integer running sum is many
    # times faster than a floating-point one); the rest sum in float64.
    exact = np.issubdtype(weight.dtype, np.integer)
    running = np.int32 if exact else np.float64
    neg_small = np.take(weight, label.neg, axis=1)
    neg_cum = _exclusive_cumsum(neg_small, running)
    pos_small = np.take(weight, label.pos, axis=1)
    pos_cum = _exclusive_cumsum(pos_small, running)
    # Products and sums in float64 from here: exact for integer counts (below 2**53), and
    # one type throughout, since a product that also casts is several times slower.
    pos_weight = pos_small.astype(np.float64)
    total_neg, total_pos = neg_cum[:, -1:], pos_cum[:, -1:]
    neg_below = np.take(neg_cum, label.below, axis=1)
    placed = neg_below.astype(np.float64)
    if label.tied.size:
        # A negative tied with a positive counts one half: (below + through) / 2, that is
        # below plus half the tied negatives.
        tied = np.take(neg_cum, label.through, axis=1) - neg_below[:, label.tied]
        placed[:, label.tied] += 0.5 * tied
    pairs = np.einsum("bi,bi->b", pos_weight, placed)
    pos_at_or_above = total_pos - pos_cum[:, :-1]
    # A positive's precision counts every positive tied with it, from its run's first.
    pos_at_or_above[:, label.runs] = total_pos - np.take(pos_cum, label.first, axis=1)
    # A positive drawn zero times may have nothing at or above it; it adds 0 either way.
    at_or_above = pos_at_or_above + total_neg
    at_or_above -= neg_below
    if exact:
        np.maximum(at_or_above, 1, out=at_or_above)
    else:
        at_or_above[at_or_above <= 0] = 1.0
    # Integer counts divide straight into float64, without a converted copy first.
    precision = np.divide(pos_at_or_above, at_or_above, dtype=np.float64)
    total_pos = total_pos[:, 0].astype(np.float64)
    total_neg = total_neg[:, 0].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ap = np.einsum("bi,bi->b", pos_weight, precision) / total_pos
        auc = pairs / (total_pos * total_neg)
    auc[(total_pos == 0) | (total_neg == 0)] = np.nan
    ap[total_pos == 0] = np.nan
    if not spread:
        return auc, ap, None
    return auc, ap, _jackknife_se(label, neg_small, pos_cum, pos_weight, placed, auc)


def _jackknife_se(
    label: RankedLabel,
    neg_small: NDArray[Any],
    pos_cum: NDArray[Any],
    pos_weight: FloatArray,
    placed: FloatArray,
    auc: FloatArray,
) -> FloatArray:
    """Each replicate's jackknife standard error of the AUROC over its drawn rows.

    The replicate's weights are whole-number multiplicities: a row drawn ``m`` times is
    ``m`` units.  Leaving out one drawn positive ``i`` removes its placement ``P_i``
    (weighted negatives below it, ties one half) from the Mann-Whitney sum; its
    left-out AUROC lies ``(A - P_i / n_neg) / (n_pos - 1)`` from the replicate's own
    AUROC ``A``, and a negative's likewise.  Those deviations average to 0 over the
    drawn units, so the jackknife's sum of squares needs only the multiplicity-weighted
    sums of the squared placements, read from the same running sums as the AUROC.
    """
    if label.neg_through.size != label.neg.size:
        raise ValueError("the label was ranked without its negatives' placements")
    total_pos = pos_cum[:, -1].astype(np.float64)
    total_neg = np.sum(neg_small, axis=1, dtype=np.float64)
    # A negative's placement: the positives above it, plus half those tied with it.
    above = total_pos[:, None] - np.take(pos_cum, label.neg_through, axis=1)
    if label.neg_tied.size:
        tied = pos_cum[:, label.neg_through[label.neg_tied]] - pos_cum[:, label.neg_from]
        above[:, label.neg_tied] += 0.5 * tied
    pos_square = np.einsum("bi,bi->b", pos_weight, placed * placed)
    neg_square = np.einsum("bi,bi->b", neg_small.astype(np.float64), above * above)
    units = total_pos + total_neg
    with np.errstate(divide="ignore", invalid="ignore"):
        pos_part = pos_square / total_neg**2 - total_pos * auc**2
        neg_part = neg_square / total_pos**2 - total_neg * auc**2
        squares = pos_part / (total_pos - 1) ** 2 + neg_part / (total_neg - 1) ** 2
        se = np.sqrt(np.maximum(squares, 0.0) * (units - 1) / units)
    se[(total_pos < 2) | (total_neg < 2)] = np.nan
    return se


def resampled_auroc_ap(
    labels: list[RankedLabel], weight: NDArray[Any]
) -> tuple[FloatArray, FloatArray]:
    """Exact AUROC and AP, each of shape (B, n_labels), of the replicates whose sample
    weights are the rows of ``weight`` (B, n_samples).

    Replicate ``b`` equals [`roc_auc_score`][multilabel_attr.roc_auc_score] and
    [`average_precision_score`][multilabel_attr.average_precision_score] with
    ``sample_weight=weight[b]`` (nan where a class has no weight).
    """
    auc, ap, _ = _resampled(labels, weight, False)
    return auc, ap


def resampled_auroc_ap_se(
    labels: list[RankedLabel], weight: NDArray[Any]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """[`resampled_auroc_ap`][multilabel_attr.core.ranking._resampled.resampled_auroc_ap],
    and each replicate's jackknife standard error of the AUROC (B, n_labels), leaving out
    one drawn row at a time: ``weight`` must hold whole-number multiplicities."""
    auc, ap, se = _resampled(labels, weight, True)
    assert se is not None
    return auc, ap, se


def _resampled(
    labels: list[RankedLabel], weight: NDArray[Any], spread: bool
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    n_replicates = weight.shape[0]
    small = weight.size and weight.min() >= 0 and weight.max() <= 127
    integral = np.issubdtype(weight.dtype, np.integer) or np.all(weight == np.rint(weight))
    if small and integral and weight.sum(axis=1, dtype=np.int64).max() < 2**31:
        weight = weight.astype(np.int8, copy=False)
    auc = np.empty((n_replicates, len(labels)))
    ap = np.empty((n_replicates, len(labels)))
    se = np.empty((n_replicates, len(labels))) if spread else None

    # A few replicates at a time: their running sums and products stay in the core's own
    # cache, which makes every pass over them about twice as fast as on a larger block.
    block = max(1, _CACHED_CELLS // max(1, weight.shape[1]))

    def work(j: int) -> None:
        for start in range(0, n_replicates, block):
            rows = slice(start, start + block)
            auc[rows, j], ap[rows, j], spread_of = _one_label(labels[j], weight[rows], spread)
            if se is not None and spread_of is not None:
                se[rows, j] = spread_of

    map_blocks(work, range(len(labels)))
    return auc, ap, se
