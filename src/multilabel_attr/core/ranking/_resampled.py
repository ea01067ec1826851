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

import numpy as np
from numpy.typing import NDArray

from ._exact import _first_of_run, map_blocks

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]


@dataclass(frozen=True)
class RankedLabel:
    """One label's samples in score order, as the resampled sums need them.

    ``neg`` and ``pos`` index the negatives and positives in ascending score order;
    ``below[i]`` and ``through[i]`` count the negatives scoring below positive ``i`` and
    at or below it; ``first[i]`` is the first positive tied with positive ``i``.
    ``through`` and ``first`` are None when no score is tied across (or within) the classes.
    """

    neg: IndexArray
    pos: IndexArray
    below: IndexArray
    through: IndexArray | None
    first: IndexArray | None

    @classmethod
    def of(cls, truth: NDArray[np.bool_], scores: NDArray[np.floating]) -> RankedLabel:
        neg = np.flatnonzero(~truth)
        pos = np.flatnonzero(truth)
        neg = neg[np.argsort(scores[neg], kind="stable")]
        pos = pos[np.argsort(scores[pos], kind="stable")]
        neg_scores, pos_scores = scores[neg], scores[pos]
        below = np.searchsorted(neg_scores, pos_scores, "left")
        through = np.searchsorted(neg_scores, pos_scores, "right")
        first = _first_of_run(pos_scores)
        return cls(
            neg, pos, below,
            None if np.array_equal(below, through) else through,
            None if np.array_equal(first, np.arange(pos.size)) else first,
        )  # fmt: skip


def ranked_labels(truth: NDArray[np.bool_], scores: NDArray[np.floating]) -> list[RankedLabel]:
    """Every label's sort, done once for all replicates."""
    return [RankedLabel.of(truth[:, j], scores[:, j]) for j in range(truth.shape[1])]


def _exclusive_cumsum(values: NDArray[np.floating]) -> NDArray[np.floating]:
    """Cumulative sums along the samples (axis 1), with a leading column of zeros."""
    out = np.zeros((values.shape[0], values.shape[1] + 1), values.dtype)
    np.cumsum(values, axis=1, out=out[:, 1:])
    return out


def _one_label(
    label: RankedLabel, weight: NDArray[np.floating]
) -> tuple[FloatArray, FloatArray]:
    """AUROC and AP, shape (B,), of one label for the replicate rows of ``weight`` (B, n)."""
    neg_cum = _exclusive_cumsum(np.take(weight, label.neg, axis=1))
    pos_weight = np.take(weight, label.pos, axis=1)
    total_neg = neg_cum[:, -1].astype(np.float64)
    total_pos = pos_weight.sum(axis=1, dtype=np.float64)
    neg_below = np.take(neg_cum, label.below, axis=1)
    if label.through is not None:
        # Negatives tied with a positive count one half: (below + through) / 2.
        neg_below_or_tied = np.take(neg_cum, label.through, axis=1)
        pairs = 0.5 * np.einsum("bi,bi->b", pos_weight, neg_below + neg_below_or_tied, dtype=float)
    else:
        pairs = np.einsum("bi,bi->b", pos_weight, neg_below, dtype=np.float64)
    pos_below = _exclusive_cumsum(pos_weight)
    pos_below = pos_below[:, :-1] if label.first is None else pos_below[:, label.first]
    pos_at_or_above = total_pos[:, None] - pos_below
    at_or_above = pos_at_or_above + (total_neg[:, None] - neg_below)
    # A positive drawn zero times may have nothing at or above it; it adds nothing.
    precision = np.divide(
        pos_at_or_above, at_or_above, out=np.zeros_like(at_or_above), where=pos_weight > 0
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ap = np.einsum("bi,bi->b", pos_weight, precision, dtype=np.float64) / total_pos
        auc = pairs / (total_pos * total_neg)
    auc[(total_pos == 0) | (total_neg == 0)] = np.nan
    ap[total_pos == 0] = np.nan
    return auc, ap


def resampled_auroc_ap(
    labels: list[RankedLabel], weight: NDArray[np.floating]
) -> tuple[FloatArray, FloatArray]:
    """Exact AUROC and AP, each of shape (B, n_labels), of the replicates whose sample
    weights are the rows of ``weight`` (B, n_samples).

    Replicate ``b`` equals [`roc_auc_score`][multilabel_attr.roc_auc_score] and
    [`average_precision_score`][multilabel_attr.average_precision_score] with
    ``sample_weight=weight[b]`` (nan where a class has no weight).  Whole-number weights
    whose sums stay below 2**24 (multiplicities) are summed in float32, exactly.
    """
    n_replicates = weight.shape[0]
    if np.all(weight == np.rint(weight)) and weight.sum(axis=1).max() < 2**24:
        weight = weight.astype(np.float32)
    auc = np.empty((n_replicates, len(labels)))
    ap = np.empty((n_replicates, len(labels)))

    def work(j: int) -> None:
        auc[:, j], ap[:, j] = _one_label(labels[j], weight)

    map_blocks(work, range(len(labels)))
    return auc, ap
