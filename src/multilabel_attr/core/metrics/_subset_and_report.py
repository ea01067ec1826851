"""scikit-learn's remaining count-based options, from the same counts.

``zero_one_loss``, the unnormalised exact-match count, per-sample confusion
matrices (``samplewise=True``) and a ``classification_report`` laid out like
scikit-learn's.  Each validates its inputs once and reads the counts of
[`MultilabelCounts`][multilabel_attr.MultilabelCounts] (or, for per-sample
matrices, the per-row hits of the row-set pass).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._options import validated
from ..counts import _formulas as F
from ..counts._counting import decode_triples
from ..counts._set_counting import row_hits
from ..counts._set_input import validate_sets
from ..counts._state import MultilabelCounts

FloatArray = NDArray[np.float64]


def exact_match_weight(counts: MultilabelCounts) -> float:
    """Summed weight of the samples predicted exactly (no false positive or negative)."""
    _, fp, fn = decode_triples(counts.sample_keys, counts.n_labels)
    return float(counts.sample_weight[(fp == 0) & (fn == 0)].sum())


def subset_accuracy_from_counts(counts: MultilabelCounts, normalize: bool) -> float:
    """Subset accuracy, or with ``normalize=False`` the (weighted) number of exact matches."""
    if normalize:
        return counts.subset_accuracy()
    return exact_match_weight(counts)


@validated("normalize", "from_logits", "threshold", "labels")
def zero_one_loss(
    y_true: Any,
    y_pred: Any,
    *,
    normalize: bool = True,
    threshold: Any = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    labels: Any = None,
) -> float:
    """Fraction of samples whose label set is not predicted exactly, ``1 - subset_accuracy``.

    As [`sklearn.metrics.zero_one_loss`](https://scikit-learn.org/stable/modules/generated/sklearn.metrics.zero_one_loss.html)
    on multi-label input.

    Parameters
    ----------
    y_true, y_pred, threshold, from_logits, sample_weight, labels
        As for [`f1_score`][multilabel_attr.f1_score]; sparse matrices and
        [`TopK`][multilabel_attr.TopK] predictions are accepted.
    normalize : bool, default=True
        ``False`` returns the (weighted) number of samples not predicted exactly.

    Returns
    -------
    float

    Examples
    --------
    >>> from multilabel_attr import zero_one_loss
    >>> zero_one_loss([[1, 0], [1, 1]], [[1, 0], [0, 1]])
    0.5
    >>> zero_one_loss([[1, 0], [1, 1]], [[1, 0], [0, 1]], normalize=False)
    1.0
    """
    counts = MultilabelCounts._from_checked(
        y_true, y_pred, threshold=threshold, from_logits=from_logits,
        sample_weight=sample_weight, labels=labels,
    )  # fmt: skip
    if normalize:
        return 1.0 - counts.subset_accuracy()
    return counts.total_weight - exact_match_weight(counts)


def samplewise_confusion(
    y_true: Any,
    y_pred: Any,
    *,
    threshold: Any,
    from_logits: bool,
    sample_weight: Any,
    labels: Any,
) -> FloatArray:
    """Per-sample ``[[tn, fp], [fn, tp]]`` over the labels, shape (n_samples, 2, 2).

    With ``sample_weight`` every count of a sample is multiplied by its weight,
    as scikit-learn does.
    """
    truth, pred, weights = validate_sets(
        y_true, y_pred, threshold=threshold, from_logits=from_logits,
        sample_weight=sample_weight, labels=labels,
    )  # fmt: skip
    n_hit, _ = row_hits(truth, pred, None)
    tp = n_hit.astype(np.float64)
    fp = pred.row_sizes() - tp
    fn = truth.row_sizes() - tp
    tn = truth.n_labels - tp - fp - fn
    matrix = np.stack([tn, fp, fn, tp], axis=1)
    if weights is not None:
        matrix *= weights[:, None]
    return matrix.reshape(-1, 2, 2)


_HEADERS = ("precision", "recall", "f1-score", "support")


@validated("digits", "output_dict", "zero_division", "from_logits", "threshold", "labels")
def classification_report(
    y_true: Any,
    y_pred: Any,
    *,
    labels: Any = None,
    target_names: Sequence[str] | None = None,
    sample_weight: Any = None,
    digits: int = 2,
    output_dict: bool = False,
    zero_division: Any = "warn",
    threshold: Any = None,
    from_logits: bool = False,
) -> str | dict[str, dict[str, float]]:
    """Per-label precision, recall, F1 and support, then the four averages, laid out like
    [`sklearn.metrics.classification_report`](https://scikit-learn.org/stable/modules/generated/sklearn.metrics.classification_report.html).

    Every number comes from one count of the batch.  For the richer report of
    this library (specificity, MCC, AUROC, intervals) see
    [`evaluate`][multilabel_attr.evaluate].

    Parameters
    ----------
    y_true, y_pred, labels, sample_weight, zero_division, threshold, from_logits
        As for [`f1_score`][multilabel_attr.f1_score]; sparse matrices and
        [`TopK`][multilabel_attr.TopK] predictions are accepted.
    target_names : sequence of str, optional
        Row names, one per label (per entry of ``labels`` when given); the
        column indices by default.
    digits : int, default=2
        Decimals of the printed values.
    output_dict : bool, default=False
        Return ``{row: {"precision": ..., "recall": ..., "f1-score": ..., "support": ...}}``.

    Returns
    -------
    str or dict

    Examples
    --------
    >>> from multilabel_attr import classification_report
    >>> print(classification_report([[1, 0], [1, 1]], [[1, 1], [0, 1]], target_names=["a", "b"]))
                  precision    recall  f1-score   support
    <BLANKLINE>
               a       1.00      0.50      0.67         2
               b       0.50      1.00      0.67         1
    <BLANKLINE>
       micro avg       0.67      0.67      0.67         3
       macro avg       0.75      0.75      0.67         3
    weighted avg       0.83      0.67      0.67         3
     samples avg       0.75      0.75      0.67         3
    <BLANKLINE>
    """
    counts = MultilabelCounts._from_checked(
        y_true, y_pred, threshold=threshold, from_logits=from_logits,
        sample_weight=sample_weight, labels=labels,
    )  # fmt: skip
    if target_names is None:
        columns = range(counts.n_labels) if labels is None else np.asarray(labels).tolist()
        names = [str(column) for column in columns]
    else:
        names = [str(name) for name in target_names]
        if len(names) != counts.n_labels:
            raise ValueError(
                f"target_names must have one name per label ({counts.n_labels}); got {len(names)}"
            )
    f1 = F.fbeta_formula(1.0)
    support = counts.support
    # scikit-learn prints integer supports, or weighted (float) ones with sample_weight.
    integral = sample_weight is None
    rows: list[tuple[Any, ...]] = []
    per_label = [counts._score(formula, None, zero_division) for formula in (F.PRECISION, F.RECALL)]
    per_label.append(counts._score(f1, None, zero_division))
    for index, name in enumerate(names):
        value = int(support[index]) if integral else float(support[index])
        rows.append((name, *(float(v[index]) for v in per_label), value))
    total = int(support.sum()) if integral else float(support.sum())
    averages: list[tuple[Any, ...]] = []
    for average in ("micro", "macro", "weighted", "samples"):
        values = [
            counts._score(formula, average, zero_division) for formula in (F.PRECISION, F.RECALL)
        ]
        values.append(counts._score(f1, average, zero_division))
        averages.append((f"{average} avg", *values, total))
    if output_dict:
        return {
            str(row[0]): dict(zip(_HEADERS, (float(v) for v in row[1:])))
            for row in [*rows, *averages]
        }
    width = max(max(len(name) for name in names), len("weighted avg"), digits)
    head = "{:>{width}s} " + " {:>9}" * len(_HEADERS)
    line = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    report = head.format("", *_HEADERS, width=width) + "\n\n"
    report += "".join(line.format(*row, width=width, digits=digits) for row in rows)
    report += "\n"
    report += "".join(line.format(*row, width=width, digits=digits) for row in averages)
    return report
