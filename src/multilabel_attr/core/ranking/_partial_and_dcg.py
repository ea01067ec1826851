"""scikit-learn's remaining ranking options: partial ROC AUC and (n)DCG on full score matrices.

* ``roc_auc_score(max_fpr=...)``: the area under the ROC curve up to a false
  positive rate ``max_fpr`` (the curve linearly interpolated there), with
  McClish's correction ``(1 + (A - m) / (M - m)) / 2`` so that chance scores
  0.5 and a perfect ranking 1 (``m = max_fpr^2 / 2``, ``M = max_fpr``).
* ``dcg_score`` / ``ndcg_score``: discounted cumulative gain of graded
  relevance ranked by score, cut at ``k``.  Tied scores share the average gain
  of their group over the group's positions unless ``ignore_ties=True``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._options import validated
from .._validation import (
    check_2d,
    check_finite_scores,
    check_same_shape,
    check_sample_weight,
)

FloatArray = NDArray[np.float64]


def partial_auc(truth: NDArray[np.bool_], scores: NDArray[Any], weights: FloatArray | None,
                max_fpr: float) -> float:  # fmt: skip
    """McClish-corrected partial AUC of one binary problem; nan with a single class."""
    order = np.argsort(-scores, kind="mergesort")
    ranked = scores[order]
    w = np.ones(scores.shape[0]) if weights is None else weights[order]
    positive = truth[order]
    ends = np.r_[np.flatnonzero(np.diff(ranked)), ranked.shape[0] - 1]
    tps = np.cumsum(np.where(positive, w, 0.0))[ends]
    fps = np.cumsum(np.where(positive, 0.0, w))[ends]
    if tps[-1] <= 0 or fps[-1] <= 0:
        return math.nan
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    stop = int(np.searchsorted(fpr, max_fpr, "right"))
    cut_tpr = np.interp(max_fpr, fpr[stop - 1 : stop + 1], tpr[stop - 1 : stop + 1])
    tpr = np.r_[tpr[:stop], cut_tpr]
    fpr = np.r_[fpr[:stop], max_fpr]
    area = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    low, high = 0.5 * max_fpr**2, max_fpr
    return 0.5 * (1 + (area - low) / (high - low))


def partial_roc_auc(
    truth: NDArray[np.bool_],
    scores: NDArray[Any],
    weights: FloatArray | None,
    average: str | None,
    max_fpr: float,
) -> tuple[FloatArray, str]:
    """Per-label (or pooled ``micro``, or per-row ``samples``) partial AUCs and the unit.

    The caller averages the values and reports undefined entries.
    """
    if average == "micro":
        pooled = None if weights is None else np.repeat(weights, truth.shape[1])
        return np.array([partial_auc(truth.ravel(), scores.ravel(), pooled, max_fpr)]), "micro"
    if average == "samples":
        rows = [partial_auc(truth[i], scores[i], None, max_fpr) for i in range(truth.shape[0])]
        return np.array(rows), "samples"
    columns = [
        partial_auc(truth[:, j], scores[:, j], weights, max_fpr) for j in range(truth.shape[1])
    ]
    return np.array(columns), "labels"


def _check_relevance(
    y_true: Any, y_score: Any, *, nonnegative: bool
) -> tuple[FloatArray, FloatArray]:
    relevance = check_2d(y_true, "y_true").astype(np.float64, copy=False)
    scores = check_2d(y_score, "y_score").astype(np.float64, copy=False)
    check_same_shape(relevance, scores, "y_score")
    check_finite_scores(relevance, "y_true")
    check_finite_scores(scores, "y_score")
    if relevance.shape[1] < 2:
        raise ValueError(
            f"y_true must have at least 2 labels (columns) to rank; got shape {relevance.shape}"
        )
    if nonnegative and relevance.min() < 0:
        raise ValueError(
            f"y_true must hold non-negative relevance for ndcg_score; found {relevance.min():g}"
        )
    return relevance, scores


def _discount(n_labels: int, k: int | None, log_base: float) -> FloatArray:
    discount = 1 / (np.log(np.arange(n_labels) + 2) / np.log(log_base))
    if k is not None:
        discount[k:] = 0
    return discount


def _dcg_rows(relevance: FloatArray, scores: FloatArray, k: int | None, log_base: float,
              ignore_ties: bool) -> FloatArray:  # fmt: skip
    """DCG of every row; ties averaged over their positions unless ``ignore_ties``."""
    n_samples, n_labels = scores.shape
    discount = _discount(n_labels, k, log_base)
    if ignore_ties:
        # Reversed ascending argsort: the order scikit-learn uses for tied scores.
        ranking = np.argsort(scores, axis=1)[:, ::-1]
        gains = np.take_along_axis(relevance, ranking, axis=1)
        ranked_gain: FloatArray = gains @ discount
        return ranked_gain
    order = np.argsort(-scores, axis=1, kind="stable")
    ranked = np.take_along_axis(scores, order, axis=1)
    gains = np.take_along_axis(relevance, order, axis=1)
    starts = np.ones((n_samples, n_labels), np.bool_)
    starts[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
    group = np.cumsum(starts.ravel()) - 1
    n_groups = int(group[-1]) + 1
    gain_sum = np.bincount(group, gains.ravel(), n_groups)
    size = np.bincount(group, minlength=n_groups)
    position = np.tile(np.arange(n_labels), n_samples)
    first = position[starts.ravel()]
    last = first + size - 1
    cumulative = np.r_[0.0, np.cumsum(discount)]
    contribution = gain_sum / size * (cumulative[last + 1] - cumulative[first])
    row_of_group = np.repeat(np.arange(n_samples), starts.sum(axis=1))
    result = np.bincount(row_of_group, contribution, n_samples).astype(np.float64)
    return result


def _average(values: FloatArray, weights: FloatArray | None) -> float:
    if weights is not None and weights.sum() == 0:
        raise ValueError("sample_weight sums to zero; the weighted mean is undefined")
    return float(np.average(values, weights=weights))


@validated("log_base", "ignore_ties", k="optional_k")
def dcg_score(
    y_true: Any,
    y_score: Any,
    *,
    k: int | None = None,
    log_base: float = 2,
    sample_weight: Any = None,
    ignore_ties: bool = False,
) -> float:
    """Discounted cumulative gain: ``sum_r rel_(r) / log_base(r + 1)`` over the top ``k`` ranks.

    As [`sklearn.metrics.dcg_score`](https://scikit-learn.org/stable/modules/generated/sklearn.metrics.dcg_score.html),
    averaged over samples.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        Relevance of each label (0/1 or graded).
    y_score : array-like of shape (n_samples, n_labels)
        Scores ranking the labels of each sample.
    k : int, optional
        Only the ``k`` best-ranked labels count.
    log_base : float, default=2
    sample_weight : array-like of shape (n_samples,), optional
    ignore_ties : bool, default=False
        ``False`` gives tied scores the average gain of their group.

    Examples
    --------
    >>> from multilabel_attr import dcg_score
    >>> round(dcg_score([[1, 0, 1]], [[0.9, 0.8, 0.1]]), 4)
    1.5
    """
    relevance, scores = _check_relevance(y_true, y_score, nonnegative=False)
    weights = check_sample_weight(sample_weight, relevance.shape[0])
    values = _dcg_rows(relevance, scores, k, log_base, ignore_ties)
    return _average(values, weights)


@validated("ignore_ties", k="optional_k")
def ndcg_score(
    y_true: Any,
    y_score: Any,
    *,
    k: int | None = None,
    sample_weight: Any = None,
    ignore_ties: bool = False,
) -> float:
    """Normalised DCG: each sample's DCG divided by the DCG of its ideal ranking.

    As [`sklearn.metrics.ndcg_score`](https://scikit-learn.org/stable/modules/generated/sklearn.metrics.ndcg_score.html):
    a sample without relevant labels scores 0.  For top-k index predictions
    see [`ndcg_at_k`][multilabel_attr.ndcg_at_k].

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        Non-negative relevance of each label (0/1 or graded).
    y_score, k, sample_weight, ignore_ties
        As for [`dcg_score`][multilabel_attr.dcg_score].

    Examples
    --------
    >>> from multilabel_attr import ndcg_score
    >>> round(ndcg_score([[1, 0, 1]], [[0.9, 0.8, 0.1]]), 4)
    0.9197
    """
    relevance, scores = _check_relevance(y_true, y_score, nonnegative=True)
    weights = check_sample_weight(sample_weight, relevance.shape[0])
    gain = _dcg_rows(relevance, scores, k, 2.0, ignore_ties)
    ideal = _dcg_rows(relevance, relevance, k, 2.0, True)
    values = np.divide(gain, ideal, out=np.zeros_like(gain), where=ideal > 0)
    return _average(values, weights)
