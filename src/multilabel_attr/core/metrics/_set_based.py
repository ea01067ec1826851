"""Count-based multi-label metrics: validate, count once, compute from counts.

Every function here is ``MultilabelCounts.from_batch(...)`` followed by the
matching state method, so the one-shot and the streaming results come from the
same code.  Shared parameters:

y_true : array-like of shape (n_samples, n_labels)
    Ground truth in {0, 1} (bool, int or float).
y_pred : array-like of shape (n_samples, n_labels)
    Hard 0/1 predictions, or scores when ``threshold`` is given.
threshold : float, array-like of shape (n_labels,) or Thresholds, optional
    Positive where ``score >= threshold``.  Scores must be probabilities in
    [0, 1] unless ``from_logits=True``, in which case they are logits and the
    threshold still applies to ``sigmoid(score)``.
average : {"micro", "macro", "weighted", "samples"} or None
    ``None`` returns one value per label.
zero_division : {"warn", 0, 1, nan}
    Value for undefined results; ``"warn"`` uses 0 and warns.  ``nan`` is left
    out of averages.
sample_weight : array-like of shape (n_samples,), optional
    Non-negative weight per sample.
labels : array-like of int, optional
    Column indices of the labels to evaluate, in the order wanted (scikit-learn's
    ``labels``): the other columns are left out of every count, including the
    per-sample counts of ``samples`` averages.

``y_true`` and ``y_pred`` may also be scipy.sparse CSR/CSC matrices (counted
without densifying), and ``y_pred`` a [`TopK`][multilabel_attr.TopK] of
predicted label indices.
"""

from __future__ import annotations

from typing import Any, Literal, overload

import numpy as np
from numpy.typing import NDArray

from .._options import validated
from ..counts import _formulas as F
from ..counts._state import MultilabelCounts

FloatArray = NDArray[np.float64]
AverageName = Literal["micro", "macro", "weighted", "samples"]


def _counts(
    y_true: Any,
    y_pred: Any,
    threshold: Any,
    from_logits: bool,
    sample_weight: Any,
    labels: Any = None,
) -> MultilabelCounts:
    return MultilabelCounts._from_checked(
        y_true, y_pred, threshold=threshold, from_logits=from_logits,
        sample_weight=sample_weight, labels=labels,
    )  # fmt: skip


@overload
def precision_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: None,
    threshold: Any = ...,
    from_logits: bool = ...,
    zero_division: Any = ...,
    sample_weight: Any = ...,
    labels: Any = ...,
) -> FloatArray: ...
@overload
def precision_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: AverageName = ...,
    threshold: Any = ...,
    from_logits: bool = ...,
    zero_division: Any = ...,
    sample_weight: Any = ...,
    labels: Any = ...,
) -> float: ...
@validated("average", "zero_division", "from_logits", "threshold", "labels")
def precision_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: AverageName | None = "macro",
    threshold: Any = None,
    from_logits: bool = False,
    zero_division: Any = "warn",
    sample_weight: Any = None,
    labels: Any = None,
) -> float | FloatArray:
    """Precision ``tp / (tp + fp)``: the fraction of predicted positives that are true.

    Parameters
    ----------
    y_true : array-like or sparse matrix of shape (n_samples, n_labels)
        Ground truth in {0, 1} (bool, int or float; scipy.sparse CSR/CSC is counted
        without densifying).
    y_pred : array-like, sparse matrix or TopK of shape (n_samples, n_labels)
        Hard 0/1 predictions, or scores when ``threshold`` is given.
    average : {"micro", "macro", "weighted", "samples"} or None, default="macro"
        ``micro``: one ratio of the counts summed over labels; ``macro``: the mean over
        labels; ``weighted``: the mean weighted by support (``tp + fn``); ``samples``:
        the mean over samples of each sample's own value; ``None``: one value per label.
    threshold : float, array-like of shape (n_labels,) or Thresholds, optional
        Turns scores into predictions, positive where ``score >= threshold``; on the
        probability scale, in [0, 1].
    from_logits : bool, default=False
        ``y_pred`` holds logits; the threshold then applies to ``sigmoid(y_pred)``.
    zero_division : {"warn", 0, 1, nan}, default="warn"
        Value of an undefined result (zero denominator); ``"warn"`` uses 0 and warns,
        ``nan`` is left out of averages.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weight per sample.
    labels : array-like of int, optional
        Column indices of the labels to evaluate, in the order wanted; the other
        columns are left out of every count.

    Returns
    -------
    float or ndarray of shape (n_labels,)
        The array when ``average=None``.

    Raises
    ------
    ValueError
        For shapes that differ, labels or predictions other than 0/1, scores outside
        [0, 1] without ``from_logits``, a threshold outside [0, 1], an unknown average
        or ``zero_division``, or bad weights.
    TypeError
        For non-numeric (or complex) inputs.

    Examples
    --------
    >>> from multilabel_attr import precision_score
    >>> y_true = [[1, 0, 1], [0, 1, 1]]
    >>> y_pred = [[1, 1, 1], [0, 1, 0]]
    >>> precision_score(y_true, y_pred, average="micro")
    0.75
    >>> precision_score(y_true, y_pred, average=None).tolist()
    [1.0, 0.5, 1.0]
    """
    counts = _counts(y_true, y_pred, threshold, from_logits, sample_weight, labels)
    return counts._score(F.PRECISION, average, zero_division)


@overload
def recall_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: None,
    threshold: Any = ...,
    from_logits: bool = ...,
    zero_division: Any = ...,
    sample_weight: Any = ...,
    labels: Any = ...,
) -> FloatArray: ...
@overload
def recall_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: AverageName = ...,
    threshold: Any = ...,
    from_logits: bool = ...,
    zero_division: Any = ...,
    sample_weight: Any = ...,
    labels: Any = ...,
) -> float: ...
@validated("average", "zero_division", "from_logits", "threshold", "labels")
def recall_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: AverageName | None = "macro",
    threshold: Any = None,
    from_logits: bool = False,
    zero_division: Any = "warn",
    sample_weight: Any = None,
    labels: Any = None,
) -> float | FloatArray:
    """Recall ``tp / (tp + fn)``: the fraction of true positives that are predicted.

    Parameters
    ----------
    y_true : array-like or sparse matrix of shape (n_samples, n_labels)
        Ground truth in {0, 1} (bool, int or float; scipy.sparse CSR/CSC is counted
        without densifying).
    y_pred : array-like, sparse matrix or TopK of shape (n_samples, n_labels)
        Hard 0/1 predictions, or scores when ``threshold`` is given.
    average : {"micro", "macro", "weighted", "samples"} or None, default="macro"
        ``micro``: one ratio of the counts summed over labels; ``macro``: the mean over
        labels; ``weighted``: the mean weighted by support (``tp + fn``); ``samples``:
        the mean over samples of each sample's own value; ``None``: one value per label.
    threshold : float, array-like of shape (n_labels,) or Thresholds, optional
        Turns scores into predictions, positive where ``score >= threshold``; on the
        probability scale, in [0, 1].
    from_logits : bool, default=False
        ``y_pred`` holds logits; the threshold then applies to ``sigmoid(y_pred)``.
    zero_division : {"warn", 0, 1, nan}, default="warn"
        Value of an undefined result (zero denominator); ``"warn"`` uses 0 and warns,
        ``nan`` is left out of averages.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weight per sample.
    labels : array-like of int, optional
        Column indices of the labels to evaluate, in the order wanted; the other
        columns are left out of every count.

    Returns
    -------
    float or ndarray of shape (n_labels,)
        The array when ``average=None``.

    Raises
    ------
    ValueError
        For shapes that differ, labels or predictions other than 0/1, scores outside
        [0, 1] without ``from_logits``, a threshold outside [0, 1], an unknown average
        or ``zero_division``, or bad weights.
    TypeError
        For non-numeric (or complex) inputs.

    Examples
    --------
    >>> from multilabel_attr import recall_score
    >>> recall_score([[1, 0, 1], [0, 1, 1]], [[1, 1, 1], [0, 1, 0]], average="samples")
    0.75
    """
    counts = _counts(y_true, y_pred, threshold, from_logits, sample_weight, labels)
    return counts._score(F.RECALL, average, zero_division)


@overload
def fbeta_score(
    y_true: Any,
    y_pred: Any,
    *,
    beta: float,
    average: None,
    threshold: Any = ...,
    from_logits: bool = ...,
    zero_division: Any = ...,
    sample_weight: Any = ...,
    labels: Any = ...,
) -> FloatArray: ...
@overload
def fbeta_score(
    y_true: Any,
    y_pred: Any,
    *,
    beta: float,
    average: AverageName = ...,
    threshold: Any = ...,
    from_logits: bool = ...,
    zero_division: Any = ...,
    sample_weight: Any = ...,
    labels: Any = ...,
) -> float: ...
@validated("beta", "average", "zero_division", "from_logits", "threshold", "labels")
def fbeta_score(
    y_true: Any,
    y_pred: Any,
    *,
    beta: float,
    average: AverageName | None = "macro",
    threshold: Any = None,
    from_logits: bool = False,
    zero_division: Any = "warn",
    sample_weight: Any = None,
    labels: Any = None,
) -> float | FloatArray:
    """F-beta ``(1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp)``.

    ``beta < 1`` favours precision, ``beta > 1`` recall; ``beta=0`` is
    precision and ``beta=inf`` recall.

    Parameters
    ----------
    y_true : array-like or sparse matrix of shape (n_samples, n_labels)
        Ground truth in {0, 1} (bool, int or float; scipy.sparse CSR/CSC is counted
        without densifying).
    y_pred : array-like, sparse matrix or TopK of shape (n_samples, n_labels)
        Hard 0/1 predictions, or scores when ``threshold`` is given.
    beta : float
        Weight of recall against precision, non-negative (``inf`` allowed).
    average : {"micro", "macro", "weighted", "samples"} or None, default="macro"
        ``micro``: one ratio of the counts summed over labels; ``macro``: the mean over
        labels; ``weighted``: the mean weighted by support (``tp + fn``); ``samples``:
        the mean over samples of each sample's own value; ``None``: one value per label.
    threshold : float, array-like of shape (n_labels,) or Thresholds, optional
        Turns scores into predictions, positive where ``score >= threshold``; on the
        probability scale, in [0, 1].
    from_logits : bool, default=False
        ``y_pred`` holds logits; the threshold then applies to ``sigmoid(y_pred)``.
    zero_division : {"warn", 0, 1, nan}, default="warn"
        Value of an undefined result (zero denominator); ``"warn"`` uses 0 and warns,
        ``nan`` is left out of averages.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weight per sample.
    labels : array-like of int, optional
        Column indices of the labels to evaluate, in the order wanted; the other
        columns are left out of every count.

    Returns
    -------
    float or ndarray of shape (n_labels,)
        The array when ``average=None``.

    Raises
    ------
    ValueError
        For shapes that differ, labels or predictions other than 0/1, scores outside
        [0, 1] without ``from_logits``, a threshold outside [0, 1], an unknown average
        or ``zero_division``, or bad weights.
    TypeError
        For non-numeric (or complex) inputs.

    Examples
    --------
    >>> from multilabel_attr import fbeta_score
    >>> round(fbeta_score([[1, 0], [1, 1]], [[1, 1], [0, 1]], beta=2, average="micro"), 4)
    0.6667
    """
    counts = _counts(y_true, y_pred, threshold, from_logits, sample_weight, labels)
    return counts._score(F.fbeta_formula(beta), average, zero_division)


@overload
def f1_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: None,
    threshold: Any = ...,
    from_logits: bool = ...,
    zero_division: Any = ...,
    sample_weight: Any = ...,
    labels: Any = ...,
) -> FloatArray: ...
@overload
def f1_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: AverageName = ...,
    threshold: Any = ...,
    from_logits: bool = ...,
    zero_division: Any = ...,
    sample_weight: Any = ...,
    labels: Any = ...,
) -> float: ...
@validated("average", "zero_division", "from_logits", "threshold", "labels")
def f1_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: AverageName | None = "macro",
    threshold: Any = None,
    from_logits: bool = False,
    zero_division: Any = "warn",
    sample_weight: Any = None,
    labels: Any = None,
) -> float | FloatArray:
    """F1 ``2 tp / (2 tp + fn + fp)``, the harmonic mean of precision and recall.

    Parameters
    ----------
    y_true : array-like or sparse matrix of shape (n_samples, n_labels)
        Ground truth in {0, 1} (bool, int or float; scipy.sparse CSR/CSC is counted
        without densifying).
    y_pred : array-like, sparse matrix or TopK of shape (n_samples, n_labels)
        Hard 0/1 predictions, or scores when ``threshold`` is given.
    average : {"micro", "macro", "weighted", "samples"} or None, default="macro"
        ``micro``: one ratio of the counts summed over labels; ``macro``: the mean over
        labels; ``weighted``: the mean weighted by support (``tp + fn``); ``samples``:
        the mean over samples of each sample's own value; ``None``: one value per label.
    threshold : float, array-like of shape (n_labels,) or Thresholds, optional
        Turns scores into predictions, positive where ``score >= threshold``; on the
        probability scale, in [0, 1].
    from_logits : bool, default=False
        ``y_pred`` holds logits; the threshold then applies to ``sigmoid(y_pred)``.
    zero_division : {"warn", 0, 1, nan}, default="warn"
        Value of an undefined result (zero denominator); ``"warn"`` uses 0 and warns,
        ``nan`` is left out of averages.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weight per sample.
    labels : array-like of int, optional
        Column indices of the labels to evaluate, in the order wanted; the other
        columns are left out of every count.

    Returns
    -------
    float or ndarray of shape (n_labels,)
        The array when ``average=None``.

    Raises
    ------
    ValueError
        For shapes that differ, labels or predictions other than 0/1, scores outside
        [0, 1] without ``from_logits``, a threshold outside [0, 1], an unknown average
        or ``zero_division``, or bad weights.
    TypeError
        For non-numeric (or complex) inputs.

    Examples
    --------
    >>> from multilabel_attr import f1_score
    >>> y_true = [[1, 0, 1], [0, 1, 1]]
    >>> y_score = [[0.9, 0.6, 0.7], [0.2, 0.8, 0.3]]
    >>> round(f1_score(y_true, y_score, threshold=0.5, average="samples"), 4)
    0.7333
    """
    counts = _counts(y_true, y_pred, threshold, from_logits, sample_weight, labels)
    return counts._score(F.fbeta_formula(1.0), average, zero_division)


@overload
def jaccard_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: None,
    threshold: Any = ...,
    from_logits: bool = ...,
    zero_division: Any = ...,
    sample_weight: Any = ...,
    labels: Any = ...,
) -> FloatArray: ...
@overload
def jaccard_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: AverageName = ...,
    threshold: Any = ...,
    from_logits: bool = ...,
    zero_division: Any = ...,
    sample_weight: Any = ...,
    labels: Any = ...,
) -> float: ...
@validated("average", "zero_division", "from_logits", "threshold", "labels")
def jaccard_score(
    y_true: Any,
    y_pred: Any,
    *,
    average: AverageName | None = "macro",
    threshold: Any = None,
    from_logits: bool = False,
    zero_division: Any = "warn",
    sample_weight: Any = None,
    labels: Any = None,
) -> float | FloatArray:
    """Jaccard index (intersection over union) ``tp / (tp + fp + fn)``.

    Parameters
    ----------
    y_true : array-like or sparse matrix of shape (n_samples, n_labels)
        Ground truth in {0, 1} (bool, int or float; scipy.sparse CSR/CSC is counted
        without densifying).
    y_pred : array-like, sparse matrix or TopK of shape (n_samples, n_labels)
        Hard 0/1 predictions, or scores when ``threshold`` is given.
    average : {"micro", "macro", "weighted", "samples"} or None, default="macro"
        ``micro``: one ratio of the counts summed over labels; ``macro``: the mean over
        labels; ``weighted``: the mean weighted by support (``tp + fn``); ``samples``:
        the mean over samples of each sample's own value; ``None``: one value per label.
    threshold : float, array-like of shape (n_labels,) or Thresholds, optional
        Turns scores into predictions, positive where ``score >= threshold``; on the
        probability scale, in [0, 1].
    from_logits : bool, default=False
        ``y_pred`` holds logits; the threshold then applies to ``sigmoid(y_pred)``.
    zero_division : {"warn", 0, 1, nan}, default="warn"
        Value of an undefined result (zero denominator); ``"warn"`` uses 0 and warns,
        ``nan`` is left out of averages.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weight per sample.
    labels : array-like of int, optional
        Column indices of the labels to evaluate, in the order wanted; the other
        columns are left out of every count.

    Returns
    -------
    float or ndarray of shape (n_labels,)
        The array when ``average=None``.

    Raises
    ------
    ValueError
        For shapes that differ, labels or predictions other than 0/1, scores outside
        [0, 1] without ``from_logits``, a threshold outside [0, 1], an unknown average
        or ``zero_division``, or bad weights.
    TypeError
        For non-numeric (or complex) inputs.

    Examples
    --------
    >>> from multilabel_attr import jaccard_score
    >>> jaccard_score([[1, 0, 1], [0, 1, 1]], [[1, 1, 1], [0, 1, 0]], average="micro")
    0.6
    """
    counts = _counts(y_true, y_pred, threshold, from_logits, sample_weight, labels)
    return counts._score(F.JACCARD, average, zero_division)
