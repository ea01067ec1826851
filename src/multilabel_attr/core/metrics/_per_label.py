"""Per-label binary metrics, the Hamming family, subset accuracy and confusion matrices.

Each is ``MultilabelCounts.from_batch(...)`` followed by the matching state method,
like the set-based metrics of `_metrics`, whose shared parameters they take.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from .._errors import InputError, InputTypeError
from .._options import validated
from ..counts import _formulas as F
from ._set_based import FloatArray, _counts
from ._subset_and_report import samplewise_confusion, subset_accuracy_from_counts


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
    computed = {
        "specificity_score": F.SPECIFICITY,
        "npv_score": F.NPV,
        "balanced_accuracy_score": F.BALANCED_ACCURACY,
        "matthews_corrcoef": F.MATTHEWS,
        "cohen_kappa_score": F.COHEN_KAPPA,
    }[method]

    @validated("zero_division", "from_logits", "threshold", "labels", average="label_average")
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
        return counts._score(computed, average, zero_division)

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


@validated("from_logits", "threshold", "labels")
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


@validated("from_logits", "threshold", "labels")
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


@validated("zero_division", "from_logits", "threshold", "labels")
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
    return counts._score(F.JACCARD, "samples", zero_division)


@validated("normalize", "from_logits", "threshold", "labels")
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


@validated("samplewise", "from_logits", "threshold", "labels")
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
    TypeError
        If ``labels`` is not numeric.

    Examples
    --------
    >>> from multilabel_attr import signed_to_binary
    >>> signed_to_binary([[-1, 1], [1, -1]]).tolist()
    [[0, 1], [1, 0]]
    """
    array = np.asarray(labels)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_) or np.issubdtype(
        array.dtype, np.complexfloating
    ):
        raise InputTypeError(
            f"labels must be a numeric array of -1 and 1; got dtype {array.dtype}",
            argument="labels",
        )
    positive: NDArray[np.bool_] = np.asarray(array == 1)
    if not np.all(positive | (array == -1)):
        bad = np.unique(array[~(positive | (array == -1))])[:5].tolist()
        raise InputError(f"labels must contain only -1 and 1; found {bad}", argument="labels")
    return positive.astype(np.uint8)
