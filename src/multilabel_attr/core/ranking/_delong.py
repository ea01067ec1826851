"""DeLong's variance of the AUROC, in O(n log n) per label (Sun and Xu's fast algorithm).

The AUROC is the mean, over positives, of each positive's *placement*: the
share of negatives scoring below it (ties count one half).  DeLong's structural
components are these placements (``V10``, one per positive) and the matching
ones of the negatives (``V01``: the share of positives scoring above each
negative).  Their sample variances give the variance of the AUROC,
``var = S10 / m + S01 / n`` for ``m`` positives and ``n`` negatives, and their
covariances across two models scored on the same samples give the variance of
the difference.  Sorting yields all placements, so the cost is that of sorting
(Sun and Xu 2014) instead of the ``m * n`` pairs of the definition.  The interval
of one model needs the placements' values only, so it sorts just the smaller
class of each label and locates the other among it
([`class_placements`][multilabel_attr.core.ranking._placements.class_placements]);
the paired test pairs each row's placements under both models, so it sorts
every row, one sort per label and model.

DeLong's estimator is defined for unweighted samples; these functions take no
``sample_weight`` (resample with [`bootstrap_report`][multilabel_attr.bootstrap_report]
for weighted data).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._options import validated
from .._validation import check_label_names, check_same_shape
from ._exact import _validate, map_blocks, sorted_order, warn_undefined_labels
from ._placements import class_placements

FloatArray = NDArray[np.float64]


def placements(
    truth: NDArray[np.bool_],
    scores: NDArray[Any],
    weights: FloatArray | None = None,
    group: NDArray[np.intp] | None = None,
) -> FloatArray:
    """Each row's weighted placement against the other class of its group.

    For a positive: the weight of the negatives scoring below it plus half the
    weight of those tied with it; for a negative: the same for the positives
    scoring above it.  Rows are compared only within their ``group`` (all rows
    when None).  Summed over the positives (times their weights) this is the
    Mann-Whitney numerator of each group.  One sort serves both classes.
    """
    n = truth.shape[0]
    if weights is None and group is None:
        return _counted_placements(truth, scores)
    # Ties are handled by runs of equal scores, so the sort need not be stable.
    order = np.argsort(scores) if group is None else np.lexsort((scores, group))
    s, t = scores[order], truth[order]
    w = np.ones(n) if weights is None else weights[order]
    pos_w = np.where(t, w, 0.0)
    new_run = np.ones(n, dtype=bool)
    new_run[1:] = s[1:] != s[:-1]
    if group is not None:
        g = group[order]
        new_group = np.ones(n, dtype=bool)
        new_group[1:] = g[1:] != g[:-1]
        new_run |= new_group
    run = np.cumsum(new_run) - 1
    # Per run of equal scores: each class's weight in it and strictly below it (in its group).
    run_pos = np.bincount(run, weights=pos_w)
    run_neg = np.bincount(run, weights=w) - run_pos
    pos_below = np.cumsum(run_pos) - run_pos
    neg_below = np.cumsum(run_neg) - run_neg
    pos_total: float | FloatArray = float(run_pos.sum())
    if group is not None:
        run_group = g[new_run]
        first_run = np.flatnonzero(np.r_[True, run_group[1:] != run_group[:-1]])
        pos_below -= np.repeat(pos_below[first_run], np.diff(np.r_[first_run, run_pos.size]))
        neg_below -= np.repeat(neg_below[first_run], np.diff(np.r_[first_run, run_pos.size]))
        pos_total = np.bincount(run_group, weights=run_pos)[run_group].astype(np.float64)
    pos_above = pos_total - pos_below - run_pos
    placed = np.where(t, (neg_below + 0.5 * run_neg)[run], (pos_above + 0.5 * run_pos)[run])
    out = np.empty(n)
    out[order] = placed
    return out


def _counted_placements(truth: NDArray[np.bool_], scores: NDArray[Any]) -> FloatArray:
    """[`placements`][multilabel_attr.core.ranking._delong.placements] of unweighted rows,
    counted in integers from one sort: per run of equal scores, how many samples of each
    class lie in it and below it."""
    n = truth.shape[0]
    order, ordered = sorted_order(scores)
    in_order = truth[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], n]
    pos_through = np.empty(n + 1, np.int64)
    pos_through[0] = 0
    np.cumsum(in_order, out=pos_through[1:])
    pos_below = pos_through[starts]
    run_pos = pos_through[ends] - pos_below
    run_neg = ends - starts - run_pos
    # A positive outranks the negatives below its run and half of those in it; a negative
    # is outranked by the positives above its run and half of those in it.
    pos_place = (starts - pos_below) + 0.5 * run_neg
    neg_place = (pos_through[-1] - pos_below - run_pos) + 0.5 * run_pos
    if starts.size < n:  # ties: each row takes its run's values
        run_of = np.repeat(np.arange(starts.size), ends - starts)
        pos_place, neg_place = pos_place[run_of], neg_place[run_of]
    out = np.empty(n)
    out[order] = np.where(in_order, pos_place, neg_place)
    return out


def _label_variance(truth: NDArray[np.bool_], scores: NDArray[Any]) -> tuple[float, float]:
    """One label's AUROC and DeLong's variance of it (``nan`` where undefined)."""
    n_pos = int(np.count_nonzero(truth))
    n_neg = truth.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan, math.nan
    pos_place, neg_place = class_placements(truth, scores)
    v10, v01 = pos_place / n_neg, neg_place / n_pos
    auroc = float(v10.mean())
    if n_pos < 2 or n_neg < 2:
        return auroc, math.nan
    variance = float(v10.var(ddof=1)) / n_pos + float(v01.var(ddof=1)) / n_neg
    return auroc, variance


_LABELS_PER_TASK = 4


def _all_variances(truth: NDArray[np.bool_], scores: NDArray[Any]) -> tuple[FloatArray, FloatArray]:
    """Every label's AUROC and DeLong variance, a few labels per task on a thread pool.

    A task copies its labels' columns out together: reading a few neighbouring columns of
    each row is one cache line where a single strided column is one per row.
    """
    n_labels = truth.shape[1]
    auroc, variance = np.empty(n_labels), np.empty(n_labels)

    def work(first: int) -> None:
        last = min(first + _LABELS_PER_TASK, n_labels)
        t = np.ascontiguousarray(truth[:, first:last].T)
        s = np.ascontiguousarray(scores[:, first:last].T)
        for j in range(last - first):
            auroc[first + j], variance[first + j] = _label_variance(t[j], s[j])

    map_blocks(work, range(0, n_labels, _LABELS_PER_TASK))
    return auroc, variance


@dataclass(frozen=True)
class _Components:
    """Per label: the AUROC and the structural components of its positives and negatives."""

    auroc: float
    v10: FloatArray
    v01: FloatArray


def _components(truth: NDArray[np.bool_], scores: NDArray[Any]) -> _Components:
    n_pos = int(truth.sum())
    n_neg = truth.shape[0] - n_pos
    if n_pos == 0 or n_neg == 0:
        return _Components(math.nan, np.empty(0), np.empty(0))
    place = placements(truth, scores)
    v10 = place[truth] / n_neg
    return _Components(float(v10.mean()), v10, place[~truth] / n_pos)


def _all_components(truth: NDArray[np.bool_], scores: NDArray[Any]) -> list[_Components]:
    """Every label's components, the labels on a thread pool (the sorts release the GIL)."""
    parts: list[_Components | None] = [None] * truth.shape[1]

    def work(j: int) -> None:
        parts[j] = _components(truth[:, j], scores[:, j])

    map_blocks(work, range(truth.shape[1]))
    return [part for part in parts if part is not None]


def _covariance(a: _Components, b: _Components) -> float:
    """DeLong's covariance of two AUROCs on the same samples (the variance when a is b)."""
    m, n = a.v10.size, a.v01.size
    if m < 2 or n < 2:
        return math.nan
    s10 = float(np.sum((a.v10 - a.v10.mean()) * (b.v10 - b.v10.mean()))) / (m - 1)
    s01 = float(np.sum((a.v01 - a.v01.mean()) * (b.v01 - b.v01.mean()))) / (n - 1)
    return s10 / m + s01 / n


@dataclass(frozen=True)
class DeLongInterval:
    """Per-label AUROC with DeLong's standard error and normal interval.

    Attributes
    ----------
    label_names : tuple of str
    auroc, std_error, low, high : ndarray of shape (n_labels,)
        ``low, high = auroc -/+ z * std_error`` (not clipped to [0, 1]); ``nan`` where
        a label has fewer than two samples of a class.
    confidence_level : float
    """

    label_names: tuple[str, ...]
    auroc: FloatArray
    std_error: FloatArray
    low: FloatArray
    high: FloatArray
    confidence_level: float


@dataclass(frozen=True)
class DeLongComparison:
    """Per-label paired comparison ``a - b`` of two models' AUROCs on the same samples.

    Attributes
    ----------
    label_names : tuple of str
    auroc_a, auroc_b, difference, std_error : ndarray of shape (n_labels,)
    z : ndarray of shape (n_labels,)
        ``difference / std_error`` (``nan`` where the variance is 0 or undefined).
    p_value : ndarray of shape (n_labels,)
        Two-sided p-value of "equal AUROCs" from the normal distribution.
    low, high : ndarray of shape (n_labels,)
        Normal interval of the difference.
    confidence_level : float
    """

    label_names: tuple[str, ...]
    auroc_a: FloatArray
    auroc_b: FloatArray
    difference: FloatArray
    std_error: FloatArray
    z: FloatArray
    p_value: FloatArray
    low: FloatArray
    high: FloatArray
    confidence_level: float


def _setup(
    y_true: Any, scores: Sequence[Any], confidence_level: float, label_names: Any
) -> tuple[NDArray[np.bool_], list[NDArray[Any]], float, tuple[str, ...]]:
    level = confidence_level
    truth, first, _ = _validate(y_true, scores[0], None)
    checked = [first]
    for other in scores[1:]:
        checked.append(_validate(y_true, other, None)[1])
        check_same_shape(truth, checked[-1], "y_score_b")
    n_labels = truth.shape[1]
    names = check_label_names(label_names, n_labels) or tuple(f"label_{i}" for i in range(n_labels))
    return truth, checked, level, names


@validated("confidence_level")
def delong_interval(
    y_true: Any,
    y_score: Any,
    *,
    confidence_level: float = 0.95,
    label_names: Sequence[str] | None = None,
) -> DeLongInterval:
    """AUROC per label with DeLong's standard error and a normal confidence interval.

    Fast DeLong: O(n log n) per label, sorting only the smaller class; the AUROC equals
    [`roc_auc_score`][multilabel_attr.roc_auc_score] with ``average=None``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
    y_score : array-like of shape (n_samples, n_labels)
        Scores of any monotone scale (probabilities or logits give the same result).
    confidence_level : float, default=0.95
    label_names : sequence of str, optional

    Returns
    -------
    DeLongInterval

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import delong_interval
    >>> rng = np.random.default_rng(0)
    >>> y = rng.random((400, 2)) < 0.4
    >>> s = 0.3 * y + rng.random((400, 2))
    >>> result = delong_interval(y, s)
    >>> bool(np.all((result.low < result.auroc) & (result.auroc < result.high)))
    True
    """
    truth, (scores,), level, names = _setup(y_true, [y_score], confidence_level, label_names)
    auroc, variance = _all_variances(truth, scores)
    warn_undefined_labels("ROC AUC", np.isnan(auroc), "only one class in y_true", names)
    se = np.sqrt(variance)
    from statistics import NormalDist  # loaded on first use: importing stays cheap

    z = NormalDist().inv_cdf(0.5 + level / 2)
    return DeLongInterval(names, auroc, se, auroc - z * se, auroc + z * se, level)


@validated("confidence_level")
def delong_test(
    y_true: Any,
    y_score_a: Any,
    y_score_b: Any,
    *,
    confidence_level: float = 0.95,
    label_names: Sequence[str] | None = None,
) -> DeLongComparison:
    """DeLong's paired test of two models' AUROCs, per label, on the same samples.

    The variance of the difference accounts for the correlation of the two
    models' placements; each label costs two sorts, O(n log n).

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
    y_score_a, y_score_b : array-like of shape (n_samples, n_labels)
    confidence_level : float, default=0.95
    label_names : sequence of str, optional

    Returns
    -------
    DeLongComparison

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import delong_test
    >>> rng = np.random.default_rng(0)
    >>> y = rng.random((600, 2)) < 0.4
    >>> good, bad = y + rng.normal(size=(600, 2)), y + 3 * rng.normal(size=(600, 2))
    >>> result = delong_test(y, good, bad)
    >>> bool(np.all(result.difference > 0)), bool(np.all(result.p_value < 0.01))
    (True, True)
    """
    truth, (a, b), level, names = _setup(
        y_true, [y_score_a, y_score_b], confidence_level, label_names
    )
    auc_a, auc_b, variance = (np.empty(truth.shape[1]) for _ in range(3))
    for j, (part_a, part_b) in enumerate(zip(_all_components(truth, a), _all_components(truth, b))):
        auc_a[j], auc_b[j] = part_a.auroc, part_b.auroc
        variance[j] = (
            _covariance(part_a, part_a) + _covariance(part_b, part_b)
            - 2 * _covariance(part_a, part_b)
        )  # fmt: skip
    warn_undefined_labels("ROC AUC", np.isnan(auc_a), "only one class in y_true", names)
    difference = auc_a - auc_b
    # Rounding can leave a tiny negative variance for two identical models.
    se = np.sqrt(np.maximum(variance, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        # Equal placements (the same model twice) are no evidence of a difference.
        z = np.where(se > 0, difference / se, np.where(difference == 0, 0.0, np.nan))
    p_value = np.array([math.erfc(abs(v) / math.sqrt(2)) for v in z])
    from statistics import NormalDist  # loaded on first use: importing stays cheap

    half = NormalDist().inv_cdf(0.5 + level / 2) * se
    return DeLongComparison(
        names, auc_a, auc_b, difference, se, z, p_value, difference - half, difference + half,
        level,
    )  # fmt: skip


def leave_one_out_auroc(
    truth: NDArray[np.bool_],
    scores: NDArray[Any],
    weights: FloatArray | None,
    units: NDArray[np.int64],
    n_units: int,
) -> FloatArray:
    """Each label's AUROC with one unit (a row, or a cluster of rows) left out, shape (U, L).

    Leaving a unit out removes the pairs of its positives with every negative and of
    its negatives with every positive; the pairs inside the unit are removed twice
    and added back once.  All from the placements: O(n log n) per label.
    """
    w = np.ones(truth.shape[0]) if weights is None else weights
    clustered = n_units < truth.shape[0]
    out = np.empty((n_units, truth.shape[1]))
    for j in range(truth.shape[1]):
        t, s = truth[:, j], scores[:, j]
        place = w * placements(t, s, weights)
        removed = np.bincount(units, weights=place, minlength=n_units)
        if clustered:
            inside = np.where(t, w * placements(t, s, weights, units.astype(np.intp)), 0.0)
            removed -= np.bincount(units, weights=inside, minlength=n_units)
        pos = np.bincount(units, weights=np.where(t, w, 0.0), minlength=n_units)
        neg = np.bincount(units, weights=np.where(t, 0.0, w), minlength=n_units)
        with np.errstate(divide="ignore", invalid="ignore"):
            left = (pos.sum() - pos) * (neg.sum() - neg)
            out[:, j] = np.where(left > 0, (place[t].sum() - removed) / left, np.nan)
    return out
