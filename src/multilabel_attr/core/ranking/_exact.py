"""Ranking metrics on scores: exact (no binning) ROC AUC, average precision and
the label-ranking family.

ROC AUC and average precision are computed per label from the sorted scores of
the positive and of the negative samples:

* AUROC is the Mann-Whitney statistic: the probability that a positive scores
  above a negative, ties counting one half;
* average precision is the mean, over positives (weighted), of the precision
  at that positive's score, where precision at ``t`` counts every sample with
  ``score >= t``.  This equals scikit-learn's step-wise sum
  ``sum_k (R_k - R_{k-1}) P_k`` over distinct thresholds.

A label with a single class in ``y_true`` has no AUROC, and one without positives has no average
precision: they are ``nan`` per label, left out of ``macro``/``weighted`` averages and reported with
an [`UndefinedMetricWarning`][multilabel_attr.core.UndefinedMetricWarning] (scikit-learn 1.9 warns
and returns nan for such an AUROC, and warns and returns 0 for such an average precision).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from .._options import validated
from .._threads import map_threads
from .._validation import (
    binary_mask,
    check_2d,
    check_finite_scores,
    check_same_shape,
    check_sample_weight,
    external_stacklevel,
)
from ..counts._averaging import UndefinedMetricWarning, nan_average, rescale, samples_mean
from ..counts._set_input import is_set_input
from ._placements import order_keys

FloatArray = NDArray[np.float64]
RankingAverage = Literal["micro", "macro", "weighted", "samples"]

_LABEL_BLOCK = 4
_RANK_BLOCK_CELLS = 1 << 22


def _validate(
    y_true: Any, y_score: Any, sample_weight: Any, *, positive_sum: bool = True
) -> tuple[NDArray[np.bool_], NDArray[Any], FloatArray | None]:
    for name, value in (("y_true", y_true), ("y_score", y_score)):
        if is_set_input(value):
            raise TypeError(
                f"{name} must be a dense array here; got {type(value).__name__}. Sparse and "
                "top-k inputs are accepted by the count-based metrics, evaluate and the "
                "metrics at k"
            )
    truth = check_2d(y_true, "y_true")
    scores = check_2d(y_score, "y_score")
    check_same_shape(truth, scores, "y_score")
    mask = binary_mask(truth, "y_true")
    check_finite_scores(scores, "y_score")
    if not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(np.float64)
    weights = check_sample_weight(sample_weight, truth.shape[0], positive_sum=positive_sum)
    return mask, scores, weights


def sorted_order(scores: NDArray[Any]) -> tuple[NDArray[np.intp], NDArray[Any]]:
    """The order that sorts ``scores``, and keys in that order that sort and tie as the
    scores do.  Tied scores may come in any order.

    float32 scores sort as one 64-bit integer per row, an order-preserving form of the
    score's bits above the row's index: a plain integer sort, faster than an argsort.
    """
    n = scores.shape[0]
    if scores.dtype != np.float32 or n >= 2**32:
        order = np.argsort(scores)
        return order, scores[order]
    key = order_keys(scores)
    packed = (key.astype(np.uint64) << np.uint64(32)) | np.arange(n, dtype=np.uint64)
    packed.sort()
    order = (packed & np.uint64(0xFFFFFFFF)).view(np.intp)
    return order, packed >> np.uint64(32)


def _first_of_run(sorted_values: NDArray[Any]) -> NDArray[np.intp]:
    """For a sorted array, the index of the first element equal to each element."""
    n = sorted_values.shape[0]
    starts = np.ones(n, dtype=bool)
    starts[1:] = sorted_values[1:] != sorted_values[:-1]
    return np.maximum.accumulate(np.where(starts, np.arange(n), 0))


def _binary_unweighted(truth: NDArray[np.bool_], scores: NDArray[Any]) -> tuple[float, float]:
    """Exact (AUROC, AP) of one label without weights, from two sorts."""
    return _sorted_unweighted(np.sort(scores[truth]), np.sort(scores[~truth]))


def _sorted_unweighted(pos: NDArray[Any], neg: NDArray[Any]) -> tuple[float, float]:
    """Exact (AUROC, AP) of one label without weights from the sorted scores of its positive
    and of its negative samples."""
    n_pos, n_neg = pos.shape[0], neg.shape[0]
    if n_pos == 0:
        return np.nan, np.nan
    below = np.searchsorted(neg, pos, "left")
    neg_at_or_above = n_neg - below
    pos_at_or_above = n_pos - _first_of_run(pos)
    ap = float(np.mean(pos_at_or_above / (pos_at_or_above + neg_at_or_above)))
    if n_neg == 0:
        return np.nan, ap
    # Only positives whose score also occurs among the negatives need the second
    # search that counts ties; with continuous scores they are few.
    tied = np.flatnonzero(neg[np.minimum(below, n_neg - 1)] == pos)
    ties = np.searchsorted(neg, pos[tied], "right") - below[tied]
    auc = (float(below.sum()) + 0.5 * float(ties.sum())) / (float(n_pos) * float(n_neg))
    return auc, ap


def _binary_weighted(
    truth: NDArray[np.bool_], scores: NDArray[Any], weights: FloatArray
) -> tuple[float, float]:
    """Exact (AUROC, AP) of one label with sample weights, via one sort."""
    order = np.argsort(scores, kind="stable")
    s = scores[order]
    pos_w = np.where(truth[order], weights[order], 0.0)
    neg_w = np.where(truth[order], 0.0, weights[order])
    starts = np.ones(s.shape[0], dtype=bool)
    starts[1:] = s[1:] != s[:-1]
    group = np.cumsum(starts) - 1
    group_pos = np.bincount(group, weights=pos_w)
    group_neg = np.bincount(group, weights=neg_w)
    total_pos, total_neg = group_pos.sum(), group_neg.sum()
    if total_pos == 0:
        return np.nan, np.nan
    # Weight of each class at or above each group's score, and strictly below it.
    pos_at_or_above = total_pos - (np.cumsum(group_pos) - group_pos)
    neg_below = np.cumsum(group_neg) - group_neg
    neg_at_or_above = total_neg - neg_below
    # Only groups holding positive weight contribute; a weightless group would be 0/0.
    has_pos = group_pos > 0
    precision = pos_at_or_above[has_pos] / (pos_at_or_above[has_pos] + neg_at_or_above[has_pos])
    ap = float(np.dot(group_pos[has_pos], precision)) / total_pos
    if total_neg == 0:
        return np.nan, ap
    auc = float(np.sum(group_pos * (neg_below + 0.5 * group_neg))) / (total_pos * total_neg)
    return auc, ap


def per_label_auroc_ap(
    truth: NDArray[np.bool_], scores: NDArray[Any], weights: FloatArray | None
) -> tuple[FloatArray, FloatArray]:
    """Exact AUROC and average precision for every label (validated inputs).

    Labels are processed in blocks of contiguous columns on a thread pool: the
    sorts release the GIL.
    """
    n_labels = truth.shape[1]
    auc = np.empty(n_labels)
    ap = np.empty(n_labels)
    if weights is not None:
        # Products of summed weights would overflow for huge weights; a power of two cancels.
        (weights,) = rescale(weights)

    def work(start: int) -> None:
        stop = min(start + _LABEL_BLOCK, n_labels)
        block_truth = np.ascontiguousarray(truth[:, start:stop].T)
        block_scores = np.ascontiguousarray(scores[:, start:stop].T)
        for offset in range(stop - start):
            if weights is None:
                result = _binary_unweighted(block_truth[offset], block_scores[offset])
            else:
                result = _binary_weighted(block_truth[offset], block_scores[offset], weights)
            auc[start + offset], ap[start + offset] = result

    map_blocks(work, range(0, n_labels, _LABEL_BLOCK))
    return auc, ap


def sliced_auroc_ap(
    truth: NDArray[np.bool_],
    scores: NDArray[Any],
    order: NDArray[Any],
    bounds: NDArray[Any],
    columns: Sequence[int],
) -> tuple[FloatArray, FloatArray]:
    """Exact AUROC and average precision of the labels in ``columns``, on all rows and on
    each slice of the rows, without weights (validated inputs).

    Slice ``s`` holds the rows ``order[bounds[s]:bounds[s + 1]]``.  Row 0 of each result is
    all rows and row ``s + 1`` slice ``s``.  Each slice's classes are sorted on their own;
    the sorted runs of all slices are then merged into those of all rows (a stable sort of
    sorted runs is a merge), so all rows cost one merge, not one more sort.  The sorted
    scores, and so every value, are those of evaluating each set of rows alone.
    """
    n_labels = len(columns)
    n_slices = bounds.size - 1
    # Whole columns are read as slices of the input; others (slicing labels left out) by index.
    whole = list(columns) == list(range(truth.shape[1]))
    auc = np.empty((n_slices + 1, n_labels))
    ap = np.empty((n_slices + 1, n_labels))
    spans = [(int(bounds[s]), int(bounds[s + 1])) for s in range(n_slices)]

    def work(start: int) -> None:
        stop = min(start + _LABEL_BLOCK, n_labels)
        block = slice(start, stop) if whole else list(columns[start:stop])
        # Transposed first: gathering the rows of a few contiguous columns is much faster.
        block_truth = np.take(np.ascontiguousarray(truth[:, block].T), order, axis=1)
        block_scores = np.take(np.ascontiguousarray(scores[:, block].T), order, axis=1)
        for offset in range(stop - start):
            label_truth, label_scores = block_truth[offset], block_scores[offset]
            runs: tuple[list[NDArray[Any]], list[NDArray[Any]]] = ([], [])
            for s, (low, high) in enumerate(spans):
                is_pos, values = label_truth[low:high], label_scores[low:high]
                runs[0].append(np.sort(values[is_pos]))
                runs[1].append(np.sort(values[~is_pos]))
                auc[s + 1, start + offset], ap[s + 1, start + offset] = _sorted_unweighted(
                    runs[0][-1], runs[1][-1]
                )
            pos, neg = (np.sort(np.concatenate(run), kind="stable") for run in runs)
            auc[0, start + offset], ap[0, start + offset] = _sorted_unweighted(pos, neg)

    map_blocks(work, range(0, n_labels, _LABEL_BLOCK))
    return auc, ap


def map_blocks(work: Callable[[int], None], starts: Sequence[int]) -> None:
    """Run ``work(start)`` for every block start, on a thread pool when there are several."""
    map_threads(work, starts)


def warn_undefined_labels(
    metric: str,
    undefined: NDArray[np.bool_],
    reason: str,
    label_names: Sequence[str] | None = None,
) -> None:
    """Warn that ``metric`` is undefined for the labels flagged in ``undefined``."""
    if np.any(undefined):
        labels = [
            label_names[i] if label_names else str(i) for i in np.flatnonzero(undefined).tolist()
        ]
        shown = ", ".join(labels[:10]) + (" ..." if len(labels) > 10 else "")
        warnings.warn(
            f"{metric} is undefined for label{'s' if len(labels) > 1 else ''} {shown} "
            f"({reason}); left out of the average (nan per label).",
            UndefinedMetricWarning,
            stacklevel=external_stacklevel(),
        )


def _average_labels(
    values: FloatArray,
    average: str | None,
    truth: NDArray[np.bool_],
    weights: FloatArray | None,
) -> float | FloatArray:
    if average is None:
        return values
    if average == "weighted":
        support = truth.sum(axis=0).astype(np.float64) if weights is None else weights @ truth
        return nan_average(values, support)
    return nan_average(values, None)


def _samplewise_binary(truth: NDArray[np.bool_], scores: NDArray[Any], which: int) -> FloatArray:
    """Per-sample AUROC (which=0) or AP (which=1) from the sorted row scores."""
    values = np.empty(truth.shape[0])
    for row in range(truth.shape[0]):
        values[row] = _binary_unweighted(truth[row], scores[row])[which]
    return values


@validated("average", "max_fpr")
def roc_auc_score(
    y_true: Any,
    y_score: Any,
    *,
    average: RankingAverage | None = "macro",
    sample_weight: Any = None,
    max_fpr: float | None = None,
) -> float | FloatArray:
    """Area under the ROC curve, computed exactly (Mann-Whitney, ties count 1/2).

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        Ground truth in {0, 1}.
    y_score : array-like of shape (n_samples, n_labels)
        Scores of any scale (probabilities, logits, margins); higher means
        more likely positive.
    average : {"micro", "macro", "weighted", "samples"} or None, default="macro"
        ``micro`` pools every label cell into one binary problem; ``samples``
        ranks the labels within each sample; ``weighted`` weights labels by
        support.
    sample_weight : array-like of shape (n_samples,), optional
    max_fpr : float in (0, 1], optional
        Standardised partial AUC up to this false positive rate, with McClish's
        correction (scikit-learn's ``max_fpr``); ``1`` is the full AUC.

    Returns
    -------
    float or ndarray of shape (n_labels,)
        The array when ``average=None``.  A label (or, for ``samples``, a sample) with a single
        class is ``nan`` and is left out of averages, with an
        [`UndefinedMetricWarning`][multilabel_attr.core.UndefinedMetricWarning].

    Examples
    --------
    >>> from multilabel_attr import roc_auc_score
    >>> y_true = [[1, 0], [0, 1], [1, 1], [0, 0]]
    >>> y_score = [[0.9, 0.1], [0.4, 0.8], [0.6, 0.7], [0.4, 0.3]]
    >>> roc_auc_score(y_true, y_score, average=None).tolist()
    [1.0, 1.0]
    """
    truth, scores, weights = _validate(y_true, y_score, sample_weight)
    if max_fpr is not None and max_fpr < 1:
        from ._partial_and_dcg import partial_roc_auc

        values, unit = partial_roc_auc(truth, scores, weights, average, max_fpr)
        return _finish_partial(values, unit, average, truth, weights)
    return _ranking_binary(truth, scores, weights, average, which=0)


def _finish_partial(
    values: FloatArray,
    unit: str,
    average: str | None,
    truth: NDArray[np.bool_],
    weights: FloatArray | None,
) -> float | FloatArray:
    """Average partial AUCs like the full ones, warning about undefined entries."""
    reason = "only one class in y_true"
    if unit == "micro":
        warn_undefined_labels("Partial ROC AUC (micro)", np.isnan(values), reason)
        return float(values[0])
    if unit == "samples":
        row_weights = np.ones(truth.shape[0]) if weights is None else weights
        if np.any(np.isnan(values) & (row_weights > 0)):
            warnings.warn(
                "Partial ROC AUC is undefined for some samples (only one class in the row); "
                "left out of the samples average.",
                UndefinedMetricWarning,
                stacklevel=external_stacklevel(),
            )
        return float(samples_mean(values, row_weights, (row_weights > 0).astype(np.float64)))
    warn_undefined_labels("Partial ROC AUC", np.isnan(values), reason)
    return _average_labels(values, average, truth, weights)


@validated("average")
def average_precision_score(
    y_true: Any,
    y_score: Any,
    *,
    average: RankingAverage | None = "macro",
    sample_weight: Any = None,
) -> float | FloatArray:
    """Average precision: the area under the precision-recall step curve, exactly.

    ``AP = sum_k (R_k - R_{k-1}) P_k`` over the distinct score thresholds, the definition of
    `sklearn.metrics.average_precision_score` (no interpolation). Parameters and averaging as in
    [`roc_auc_score`][multilabel_attr.core.roc_auc_score]; a label without positives is ``nan`` and
    is left out of averages.

    Examples
    --------
    >>> from multilabel_attr import average_precision_score
    >>> y_true = [[1], [0], [1], [0]]
    >>> y_score = [[0.9], [0.8], [0.7], [0.1]]
    >>> round(average_precision_score(y_true, y_score, average="macro"), 4)
    0.8333
    """
    truth, scores, weights = _validate(y_true, y_score, sample_weight)
    return _ranking_binary(truth, scores, weights, average, which=1)


def _ranking_binary(
    truth: NDArray[np.bool_],
    scores: NDArray[Any],
    weights: FloatArray | None,
    average: str | None,
    which: int,
) -> float | FloatArray:
    metric = ("ROC AUC", "Average precision")[which]
    reason = ("only one class in y_true", "no positive sample")[which]
    if average == "micro":
        values = per_label_auroc_ap(
            truth.reshape(-1, 1),
            scores.reshape(-1, 1),
            None if weights is None else np.repeat(weights, truth.shape[1]),
        )[which]
        warn_undefined_labels(metric + " (micro)", np.isnan(values), reason)
        return float(values[0])
    if average == "samples":
        values = _samplewise_binary(truth, scores, which)
        row_weights = np.ones(truth.shape[0]) if weights is None else weights
        undefined = np.isnan(values) & (row_weights > 0)
        if np.any(undefined):
            warnings.warn(
                f"{metric} is undefined for {int(undefined.sum())} samples ({reason} in the "
                "row); left out of the samples average.",
                UndefinedMetricWarning,
                stacklevel=external_stacklevel(),
            )
        return float(samples_mean(values, row_weights, (row_weights > 0).astype(np.float64)))
    values = per_label_auroc_ap(truth, scores, weights)[which]
    warn_undefined_labels(metric, np.isnan(values), reason)
    return _average_labels(values, average, truth, weights)


def _rank_statistics(
    truth: NDArray[np.bool_], scores: NDArray[Any]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-sample coverage, ranking loss and LRAP, in row blocks.

    For each cell ``(i, j)``: ``at_or_above[i, j]`` counts the labels of sample
    ``i`` scoring ``>= s_ij`` and ``relevant_at_or_above`` the true ones among
    them; the three metrics are sums over the true labels of a row.
    """
    n_samples, n_labels = truth.shape
    coverage = np.empty(n_samples)
    loss = np.empty(n_samples)
    lrap = np.empty(n_samples)
    block = max(1, _RANK_BLOCK_CELLS // (n_labels * n_labels))
    for start in range(0, n_samples, block):
        stop = min(start + block, n_samples)
        s = scores[start:stop]
        t = truth[start:stop]
        ge = s[:, None, :] >= s[:, :, None]
        at_or_above = ge.sum(axis=2)
        relevant_at_or_above = (ge & t[:, None, :]).sum(axis=2)
        n_rel = t.sum(axis=1)
        coverage[start:stop] = np.where(t, at_or_above, 0).max(axis=1)
        wrong_pairs = np.where(t, at_or_above - relevant_at_or_above, 0).sum(axis=1)
        ranked = n_rel * (n_labels - n_rel)
        with np.errstate(divide="ignore", invalid="ignore"):
            loss[start:stop] = np.where(ranked > 0, wrong_pairs / np.maximum(ranked, 1), 0.0)
            precision = np.where(t, relevant_at_or_above / np.maximum(at_or_above, 1), 0.0)
            lrap[start:stop] = np.where(
                (n_rel > 0) & (n_rel < n_labels),
                precision.sum(axis=1) / np.maximum(n_rel, 1),
                1.0,
            )
    return coverage, loss, lrap


def _weighted_mean(values: FloatArray, weights: FloatArray | None) -> float:
    if weights is None:
        return float(values.mean())
    total = weights.sum()
    if total == 0:
        raise ValueError("sample_weight sums to zero; the weighted mean is undefined")
    return float(np.dot(values, weights) / total)


def coverage_error(y_true: Any, y_score: Any, *, sample_weight: Any = None) -> float:
    """How far down the ranked labels one must go to cover every true label.

    For each sample, the number of labels scoring at least as high as its
    lowest-scored true label (ties count against the ranking); 0 for a sample
    without true labels.  Best value: the mean number of true labels.

    Examples
    --------
    >>> from multilabel_attr import coverage_error
    >>> coverage_error([[1, 0, 0], [0, 0, 1]], [[0.75, 0.5, 1.0], [1.0, 0.2, 0.1]])
    2.5
    """
    truth, scores, weights = _validate(y_true, y_score, sample_weight)
    return _weighted_mean(_rank_statistics(truth, scores)[0], weights)


def label_ranking_loss(y_true: Any, y_score: Any, *, sample_weight: Any = None) -> float:
    """Fraction of (true, false) label pairs ordered wrongly (false scored ``>=`` true).

    A sample whose labels are all true or all false contributes 0.

    Examples
    --------
    >>> from multilabel_attr import label_ranking_loss
    >>> label_ranking_loss([[1, 0, 0], [0, 0, 1]], [[0.75, 0.5, 1.0], [1.0, 0.2, 0.1]])
    0.75
    """
    truth, scores, weights = _validate(y_true, y_score, sample_weight)
    return _weighted_mean(_rank_statistics(truth, scores)[1], weights)


def label_ranking_average_precision_score(
    y_true: Any, y_score: Any, *, sample_weight: Any = None
) -> float:
    """Label ranking average precision (LRAP).

    For each true label of a sample, the fraction of labels ranked at or above
    it that are true, averaged over the sample's true labels, then over
    samples.  A sample whose labels are all true or all false scores 1.

    Examples
    --------
    >>> from multilabel_attr import label_ranking_average_precision_score
    >>> round(label_ranking_average_precision_score(
    ...     [[1, 0, 0], [0, 0, 1]], [[0.75, 0.5, 1.0], [1.0, 0.2, 0.1]]), 4)
    0.4167
    """
    truth, scores, weights = _validate(y_true, y_score, sample_weight)
    return _weighted_mean(_rank_statistics(truth, scores)[2], weights)
