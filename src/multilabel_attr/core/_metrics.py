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

from ._sklearn_extras import samplewise_confusion, subset_accuracy_from_counts
from ._state import MultilabelCounts

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
    return MultilabelCounts.from_batch(
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

    Parameters are described in `multilabel_attr` (shared parameters).

    Returns
    -------
    float, or ndarray of shape (n_labels,) when ``average=None``.

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
    return counts.precision_score(average, zero_division)


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

    Examples
    --------
    >>> from multilabel_attr import recall_score
    >>> recall_score([[1, 0, 1], [0, 1, 1]], [[1, 1, 1], [0, 1, 0]], average="samples")
    0.75
    """
    counts = _counts(y_true, y_pred, threshold, from_logits, sample_weight, labels)
    return counts.recall_score(average, zero_division)


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

    Examples
    --------
    >>> from multilabel_attr import fbeta_score
    >>> round(fbeta_score([[1, 0], [1, 1]], [[1, 1], [0, 1]], beta=2, average="micro"), 4)
    0.6667
    """
    counts = _counts(y_true, y_pred, threshold, from_logits, sample_weight, labels)
    return counts.fbeta_score(beta, average, zero_division)


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

    Examples
    --------
    >>> from multilabel_attr import f1_score
    >>> y_true = [[1, 0, 1], [0, 1, 1]]
    >>> y_score = [[0.9, 0.6, 0.7], [0.2, 0.8, 0.3]]
    >>> round(f1_score(y_true, y_score, threshold=0.5, average="samples"), 4)
    0.7333
    """
    counts = _counts(y_true, y_pred, threshold, from_logits, sample_weight, labels)
    return counts.f1_score(average, zero_division)


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

    Examples
    --------
    >>> from multilabel_attr import jaccard_score
    >>> jaccard_score([[1, 0, 1], [0, 1, 1]], [[1, 1, 1], [0, 1, 0]], average="micro")
    0.6
    """
    counts = _counts(y_true, y_pred, threshold, from_logits, sample_weight, labels)
    return counts.jaccard_score(average, zero_division)


def _label_metric_doc(name: str, formula: str, example: str) -> str:
    return f"""{name} per label: {formula}.

    scikit-learn defines this metric for binary or multiclass targets only;
    here it is computed for each label's binary problem and averaged with
    ``average`` in {{"micro", "macro", "weighted", None}} (``weighted`` uses the
    label supports ``tp + fn``; ``micro`` applies the formula to the counts
    summed over labels).  See `multilabel_attr` for shared parameters.

    Examples
    --------
{example}
    """


LabelAverageName = Literal["micro", "macro", "weighted"]


def _label_metric(method: str, name: str, formula: str, example: str) -> Any:
    def metric(
        y_true: Any,
        y_pred: Any,
        *,
        average: LabelAverageName | None = "macro",
        threshold: Any = None,
        from_logits: bool = False,
        zero_division: Any = "warn",
        sample_weight: Any = None,
        labels: Any = None,
    ) -> float | FloatArray:
        counts = _counts(y_true, y_pred, threshold, from_logits, sample_weight, labels)
        return getattr(counts, method)(average, zero_division)

    metric.__name__ = metric.__qualname__ = method
    metric.__doc__ = _label_metric_doc(name, formula, example)
    metric.__module__ = __name__
    return metric


specificity_score = _label_metric(
    "specificity_score",
    "Specificity (true negative rate)",
    "``tn / (tn + fp)``",
    "    >>> from multilabel_attr import specificity_score\n"
    "    >>> specificity_score([[1, 0], [0, 0]], [[1, 1], [0, 0]], average=None).tolist()\n"
    "    [1.0, 0.5]",
)
npv_score = _label_metric(
    "npv_score",
    "Negative predictive value",
    "``tn / (tn + fn)``",
    "    >>> from multilabel_attr import npv_score\n"
    "    >>> npv_score([[1, 0], [1, 0]], [[0, 0], [1, 0]], average=None).tolist()\n"
    "    [0.0, 1.0]",
)
balanced_accuracy_score = _label_metric(
    "balanced_accuracy_score",
    "Balanced accuracy",
    "``(recall + specificity) / 2``, or the one class recall that is defined "
    "when a label has a single class in ``y_true``",
    "    >>> from multilabel_attr import balanced_accuracy_score\n"
    "    >>> y_true, y_pred = [[1, 0], [0, 0], [0, 0]], [[1, 1], [1, 0], [0, 0]]\n"
    "    >>> balanced_accuracy_score(y_true, y_pred, average=None).round(4).tolist()\n"
    "    [0.75, 0.6667]",
)
matthews_corrcoef = _label_metric(
    "matthews_corrcoef",
    "Matthews correlation coefficient",
    "``(tp tn - fp fn) / sqrt((tp+fp)(tp+fn)(tn+fp)(tn+fn))``, undefined (the "
    "``zero_division`` value; scikit-learn uses 0) when truth or prediction is constant",
    "    >>> from multilabel_attr import matthews_corrcoef\n"
    "    >>> matthews_corrcoef([[1], [0], [1], [0]], [[1], [0], [0], [0]], average=None).round(4)"
    ".tolist()\n"
    "    [0.5774]",
)
cohen_kappa_score = _label_metric(
    "cohen_kappa_score",
    "Cohen's kappa",
    "``2 (tp tn - fp fn) / ((tp+fp)(fp+tn) + (tp+fn)(fn+tn))``, the agreement "
    "between truth and prediction beyond chance",
    "    >>> from multilabel_attr import cohen_kappa_score\n"
    "    >>> cohen_kappa_score([[1], [0], [1], [0]], [[1], [0], [0], [0]], average=None).tolist()\n"
    "    [0.5]",
)


def hamming_loss(
    y_true: Any,
    y_pred: Any,
    *,
    threshold: Any = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    labels: Any = None,
) -> float:
    """Fraction of label cells predicted wrongly, ``(fp + fn) / (n_samples n_labels)``.

    Examples
    --------
    >>> from multilabel_attr import hamming_loss
    >>> hamming_loss([[1, 0, 1], [0, 1, 1]], [[1, 1, 1], [0, 1, 0]])
    0.3333333333333333
    """
    return _counts(y_true, y_pred, threshold, from_logits, sample_weight, labels).hamming_loss()


def label_accuracy(
    y_true: Any,
    y_pred: Any,
    *,
    threshold: Any = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    labels: Any = None,
) -> float:
    """Fraction of label cells predicted correctly, ``1 - hamming_loss``.

    The paper's "CustomAccuracy".

    Examples
    --------
    >>> from multilabel_attr import label_accuracy
    >>> label_accuracy([[1, 0, 1], [0, 1, 1]], [[1, 1, 1], [0, 1, 0]])
    0.6666666666666666
    """
    return _counts(y_true, y_pred, threshold, from_logits, sample_weight, labels).label_accuracy()


def hamming_score(
    y_true: Any,
    y_pred: Any,
    *,
    threshold: Any = None,
    from_logits: bool = False,
    zero_division: Any = "warn",
    sample_weight: Any = None,
    labels: Any = None,
) -> float:
    """Mean over samples of ``|true AND pred| / |true OR pred|`` (per-sample Jaccard).

    The paper's "MultiLabelAccuracy" / "Hamming score"; equal to
    ``jaccard_score(..., average="samples")``.  A sample with no true and no
    predicted label is undefined and takes the ``zero_division`` value.

    Examples
    --------
    >>> from multilabel_attr import hamming_score
    >>> hamming_score([[1, 0, 1], [0, 1, 1]], [[1, 1, 1], [0, 1, 0]])
    0.5833333333333333
    """
    counts = _counts(y_true, y_pred, threshold, from_logits, sample_weight, labels)
    return counts.hamming_score(zero_division)


def subset_accuracy(
    y_true: Any,
    y_pred: Any,
    *,
    threshold: Any = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    labels: Any = None,
    normalize: bool = True,
) -> float:
    """Fraction of samples whose whole label set is predicted exactly (exact match).

    Examples
    --------
    >>> from multilabel_attr import subset_accuracy
    >>> subset_accuracy([[1, 0, 1], [0, 1, 1]], [[1, 0, 1], [0, 1, 0]])
    0.5

    ``normalize=False`` returns the (weighted) number of exact matches instead,
    as scikit-learn's ``accuracy_score(normalize=False)``.
    """
    counts = _counts(y_true, y_pred, threshold, from_logits, sample_weight, labels)
    return subset_accuracy_from_counts(counts, normalize)


def multilabel_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    *,
    threshold: Any = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    labels: Any = None,
    samplewise: bool = False,
) -> FloatArray:
    """Per-label 2x2 confusion matrices ``[[tn, fp], [fn, tp]]``, shape (n_labels, 2, 2).

    The layout of `sklearn.metrics.multilabel_confusion_matrix`; float
    because counts are weighted.  With ``samplewise=True`` one matrix per
    sample over its labels, shape (n_samples, 2, 2), each count multiplied by
    the sample's weight (scikit-learn's ``samplewise``).

    Examples
    --------
    >>> from multilabel_attr import multilabel_confusion_matrix
    >>> multilabel_confusion_matrix([[1, 0], [1, 1]], [[1, 1], [0, 1]])[0].tolist()
    [[0.0, 0.0], [1.0, 1.0]]
    """
    if samplewise:
        return samplewise_confusion(
            y_true, y_pred, threshold=threshold, from_logits=from_logits,
            sample_weight=sample_weight, labels=labels,
        )  # fmt: skip
    return _counts(y_true, y_pred, threshold, from_logits, sample_weight, labels).confusion_matrix()


def signed_to_binary(labels: Any) -> NDArray[np.uint8]:
    """Convert -1/1 labels (CelebA's annotation convention) to 0/1.

    Raises
    ------
    ValueError
        If ``labels`` holds a value other than -1 and 1.

    Examples
    --------
    >>> from multilabel_attr import signed_to_binary
    >>> signed_to_binary([[-1, 1], [1, -1]]).tolist()
    [[0, 1], [1, 0]]
    """
    array = np.asarray(labels)
    positive: NDArray[np.bool_] = np.asarray(array == 1)
    if not np.all(positive | (array == -1)):
        bad = np.unique(array[~(positive | (array == -1))])[:5].tolist()
        raise ValueError(f"labels must contain only -1 and 1; found {bad}")
    return positive.astype(np.uint8)
