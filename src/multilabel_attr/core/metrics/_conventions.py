"""The field's reporting conventions, named: pedestrian-attribute and COCO-style metrics.

Attribute-recognition and multi-label image-classification papers report numbers under
conventions of their own.  Each is a function of the counts that
[`MultilabelCounts`][multilabel_attr.MultilabelCounts] already keeps (the per-label counts and
the histogram of per-sample triples), so no second counting pass is needed and a streamed or
merged state gives the same numbers as one batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .._options import validated
from ..counts import _formulas as F
from ..counts._averaging import divide
from ..counts._state import MultilabelCounts

CONVENTIONS: dict[str, tuple[str, ...]] = {
    "pedestrian": (
        "mA",
        "instance_accuracy",
        "instance_precision",
        "instance_recall",
        "instance_f1",
    ),
    "coco": ("CP", "CR", "CF1", "OP", "OR", "OF1"),
}
"""The named conventions and the keys of the values each gives, in display order."""


def _harmonic(first: float, second: float) -> float:
    """``2 a b / (a + b)``, 0 when both are 0 (the references' epsilon gives 0 too)."""
    value, _ = divide(2.0 * first * second, first + second, 0.0)
    return float(value)


def _pedestrian(counts: MultilabelCounts) -> dict[str, float]:
    # An empty set gives 0 in every ratio: the reference implementations add a tiny epsilon
    # to each denominator, and that is zero_division=0 of the same formulas.
    precision = counts.score(F.PRECISION, "samples", 0.0)
    recall = counts.score(F.RECALL, "samples", 0.0)
    return {
        "mA": counts.score(F.MEAN_CLASS_RECALL, "macro", 0.0),
        "instance_accuracy": counts.score(F.JACCARD, "samples", 0.0),
        "instance_precision": precision,
        "instance_recall": recall,
        # The harmonic mean of the mean precision and the mean recall, not the mean of the
        # per-sample F1.
        "instance_f1": _harmonic(precision, recall),
    }


def _coco(counts: MultilabelCounts) -> dict[str, float]:
    per_class_precision = counts.score(F.PRECISION, "macro", 0.0)
    per_class_recall = counts.score(F.RECALL, "macro", 0.0)
    overall_precision = counts.score(F.PRECISION, "micro", 0.0)
    overall_recall = counts.score(F.RECALL, "micro", 0.0)
    return {
        "CP": per_class_precision,
        "CR": per_class_recall,
        "CF1": _harmonic(per_class_precision, per_class_recall),
        "OP": overall_precision,
        "OR": overall_recall,
        # The harmonic mean of OP and OR is the micro F1 exactly (both are 2tp / (2tp+fp+fn)).
        "OF1": counts.score(F.fbeta_formula(1.0), "micro", 0.0),
    }


_COMPUTE: dict[str, Callable[[MultilabelCounts], dict[str, float]]] = {
    "pedestrian": _pedestrian,
    "coco": _coco,
}


@validated("convention")
def convention_scores(
    counts: MultilabelCounts, convention: str | Sequence[str] = "pedestrian"
) -> dict[str, float]:
    """The metrics of one or several named conventions, from a count state.

    The streaming form of [`convention_metrics`][multilabel_attr.convention_metrics]: give it a
    [`MultilabelCounts`][multilabel_attr.MultilabelCounts] filled batch by batch (or merged from
    partial states) and it returns the same numbers as one pass over all the data.

    Parameters
    ----------
    counts : MultilabelCounts
    convention : str or sequence of str, default="pedestrian"
        ``"pedestrian"``, ``"coco"``, or several of them.

    Returns
    -------
    dict of str to float
        Keyed as in [`convention_metrics`][multilabel_attr.convention_metrics].

    Raises
    ------
    ValueError
        For an unknown convention, or a state without samples of positive weight.
    TypeError
        If ``counts`` is not a `MultilabelCounts`.
    """
    if not isinstance(counts, MultilabelCounts):
        raise TypeError(f"counts must be a MultilabelCounts; got {type(counts).__name__}")
    counts._require_samples()
    result: dict[str, float] = {}
    for name in convention:
        result.update(_COMPUTE[name](counts))
    return result


@validated("convention", "threshold", "from_logits")
def convention_metrics(
    y_true: Any,
    y_score: Any,
    *,
    convention: str | Sequence[str] = "pedestrian",
    threshold: Any = 0.5,
    from_logits: bool = False,
    sample_weight: Any = None,
) -> dict[str, float]:
    """Multi-label metrics as the attribute-recognition and image-tagging literature reports them.

    ``"pedestrian"`` (the PETA, RAP and PA-100K protocols)
        ``mA``: the mean over attributes of ``(TPR + TNR) / 2``, where a class an attribute
        lacks in the data counts with recall 0. ``instance_accuracy``,
        ``instance_precision``, ``instance_recall``: per sample ``|Y∩P| / |Y∪P|``,
        ``|Y∩P| / |P|`` and ``|Y∩P| / |Y|``, averaged over samples, an empty denominator
        giving 0. ``instance_f1``: the harmonic mean of the *mean* precision and the *mean*
        recall (not the mean of per-sample F1).
    ``"coco"`` (multi-label image classification on MS-COCO and NUS-WIDE)
        ``CP``, ``CR``: per-class precision and recall averaged over classes (a class without
        predicted, or without true, positives gives 0); ``CF1``: the harmonic mean of ``CP``
        and ``CR``. ``OP``, ``OR``, ``OF1``: overall (micro) precision, recall and F1.

    Each value is a formula of the counts of one
    [`MultilabelCounts`][multilabel_attr.MultilabelCounts] (see
    [`convention_scores`][multilabel_attr.convention_scores] for a streamed state). The guide
    "The field's conventions" cites the definitions and shows where each differs from the
    ``samples`` and ``macro`` averages of scikit-learn.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        Ground truth in {0, 1}.
    y_score : array-like of shape (n_samples, n_labels)
        Probabilities (or logits with ``from_logits=True``), or 0/1 predictions with
        ``threshold=None``.
    convention : str or sequence of str, default="pedestrian"
        ``"pedestrian"``, ``"coco"``, or several of them (their keys are merged).
    threshold : float, array-like of shape (n_labels,) or Thresholds, default=0.5
        Positive where ``score >= threshold``.
    from_logits : bool, default=False
    sample_weight : array-like of shape (n_samples,), optional
        Weights every count (and every sample in the instance-based means).

    Returns
    -------
    dict of str to float

    Raises
    ------
    ValueError
        An unknown convention, shapes that differ, ``y_true`` not 0/1, or all-zero weights.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import convention_metrics
    >>> y_true = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    >>> y_pred = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 0]])
    >>> scores = convention_metrics(y_true, y_pred, threshold=None)
    >>> {key: round(value, 4) for key, value in scores.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'mA': 0.5833, 'instance_accuracy': 0.6111, 'instance_precision': 0.8333,
     'instance_recall': 0.6667, 'instance_f1': 0.7407}
    """
    counts = MultilabelCounts._from_checked(
        y_true, y_score, threshold=threshold, from_logits=from_logits,
        sample_weight=sample_weight,
    )  # fmt: skip
    return convention_scores(counts, convention)
