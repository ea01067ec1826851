"""Every count-based metric, written once as a pure function of confusion counts.

Each formula maps the four confusion counts ``(tp, fp, fn, tn)`` to a
``(numerator, denominator)`` pair; the metric is ``numerator / denominator`` and
is *undefined* where the denominator is zero.  Keeping the division out of the
formula lets a single zero-division rule (`_averaging`) serve every
metric, and keeps the formulas evaluable by any array namespace: only ``+``,
``-``, ``*`` and, where needed, ``xp.sqrt`` are used, so the same definitions
run on numpy arrays (the core and the streaming state) and on backend tensors
through ``keras.ops`` (the Keras adapters).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

Array = Any
"""Anything that supports arithmetic: a numpy array, a float, a backend tensor."""

Parts = tuple[Array, Array]
CountFormula = Callable[..., Parts]


def precision_parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np) -> Parts:
    """Precision ``tp / (tp + fp)``: undefined without predicted positives."""
    return tp, tp + fp


def recall_parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np) -> Parts:
    """Recall (sensitivity) ``tp / (tp + fn)``: undefined without true positives."""
    return tp, tp + fn


def specificity_parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np) -> Parts:
    """Specificity ``tn / (tn + fp)``: undefined without true negatives."""
    return tn, tn + fp


def npv_parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np) -> Parts:
    """Negative predictive value ``tn / (tn + fn)``: undefined without predicted negatives."""
    return tn, tn + fn


def jaccard_parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np) -> Parts:
    """Jaccard index ``tp / (tp + fp + fn)``: undefined when truth and prediction are empty."""
    return tp, tp + fp + fn


def accuracy_parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np) -> Parts:
    """Accuracy ``(tp + tn) / (tp + fp + fn + tn)``: undefined on zero total weight."""
    return tp + tn, tp + fp + fn + tn


def error_rate_parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np) -> Parts:
    """Error rate ``(fp + fn) / (tp + fp + fn + tn)``, the Hamming loss of one label."""
    return fp + fn, tp + fp + fn + tn


def matthews_parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np) -> Parts:
    """Matthews correlation ``(tp tn - fp fn) / sqrt((tp+fp)(tp+fn)(tn+fp)(tn+fn))``."""
    return tp * tn - fp * fn, xp.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))


def cohen_kappa_parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np) -> Parts:
    """Cohen's kappa ``2 (tp tn - fp fn) / ((tp+fp)(fp+tn) + (tp+fn)(fn+tn))``."""
    return 2 * (tp * tn - fp * fn), (tp + fp) * (fp + tn) + (tp + fn) * (fn + tn)


def fbeta_parts(
    tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np, *, beta: float = 1.0
) -> Parts:
    """F-beta ``(1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp)``.

    ``beta = 0`` is precision.  ``beta = inf`` is recall (the limit), handled by
    the caller because ``inf * 0`` is undefined.
    """
    beta2 = beta * beta
    return (1 + beta2) * tp, (1 + beta2) * tp + beta2 * fn + fp


def exact_match_parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np) -> Parts:
    """Exact match of one sample's label set: ``1`` when ``fp + fn == 0``, else ``0``.

    Meaningful on one sample's counts (subset accuracy averages it over
    samples); never undefined.
    """
    return xp.where(fp + fn == 0, 1.0, 0.0), 1.0


def balanced_accuracy_parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np) -> Parts:
    """Balanced accuracy: the mean of the class recalls that are defined.

    ``(recall + specificity) / 2`` when the label has both classes; only the
    defined one when it has one class (the scikit-learn rule for a binary
    problem with a single class present); undefined on zero total weight.
    Written as one fraction: each defined class recall ``r_c = a_c / b_c``
    contributes ``a_c / b_c / k`` where ``k`` counts the defined classes.
    """
    has_pos = xp.where(tp + fn > 0, 1.0, 0.0)
    has_neg = xp.where(tn + fp > 0, 1.0, 0.0)
    pos_den = xp.where(tp + fn > 0, tp + fn, 1.0)
    neg_den = xp.where(tn + fp > 0, tn + fp, 1.0)
    classes = has_pos + has_neg
    numerator = has_pos * tp / pos_den + has_neg * tn / neg_den
    return numerator, classes


def mean_class_recall_parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np) -> Parts:
    """The mean of the two class recalls, ``(recall + specificity) / 2``, over both classes.

    Unlike `balanced_accuracy_parts`, a class without samples is not left out: its recall
    counts as 0 (the label mA of the pedestrian-attribute protocols, whose reference code adds
    a tiny epsilon to each denominator).  Never undefined.
    """
    numerator, _ = balanced_accuracy_parts(tp, fp, fn, tn, xp)
    return numerator, 2.0


@dataclass(frozen=True)
class Formula:
    """A metric defined by its count formula.

    Attributes
    ----------
    name:
        Human-readable name used in warnings and reports.
    parts:
        Function of ``(tp, fp, fn, tn, xp)`` returning ``(numerator, denominator)``.
    undefined_when:
        Plain-language condition under which the denominator is zero.
    samplewise:
        Whether a ``"samples"`` average is defined (it is for the set-based
        metrics precision, recall, F-beta and Jaccard).
    """

    name: str
    parts: CountFormula
    undefined_when: str
    samplewise: bool = False


PRECISION = Formula("precision", precision_parts, "no predicted positives", samplewise=True)
RECALL = Formula("recall", recall_parts, "no true positives", samplewise=True)
JACCARD = Formula("jaccard", jaccard_parts, "no true and no predicted positives", samplewise=True)
SPECIFICITY = Formula("specificity", specificity_parts, "no true negatives")
NPV = Formula("negative predictive value", npv_parts, "no predicted negatives")
ACCURACY = Formula("accuracy", accuracy_parts, "zero total weight")
MATTHEWS = Formula("matthews correlation", matthews_parts, "a constant truth or prediction")
COHEN_KAPPA = Formula("cohen kappa", cohen_kappa_parts, "perfect agreement on a single class")
BALANCED_ACCURACY = Formula("balanced accuracy", balanced_accuracy_parts, "zero total weight")
MEAN_CLASS_RECALL = Formula("mean class recall", mean_class_recall_parts, "never")
EXACT_MATCH = Formula("exact match", exact_match_parts, "never", samplewise=True)
ERROR_RATE = Formula("hamming loss", error_rate_parts, "zero total weight")
LABEL_ACCURACY = Formula("label accuracy", accuracy_parts, "zero total weight")


def fbeta_formula(beta: float) -> Formula:
    """The F-beta formula for a given ``beta`` (``beta=0`` and ``inf`` reduce exactly)."""
    if beta == 0:
        return PRECISION
    if np.isinf(beta):
        return RECALL

    def parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: ModuleType | Any = np) -> Parts:
        return fbeta_parts(tp, fp, fn, tn, xp, beta=beta)

    name = "f1" if beta == 1 else f"f-beta (beta={beta:g})"
    return Formula(name, parts, "no true and no predicted positives", samplewise=True)


def youden_parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np) -> Parts:
    """Youden's J ``recall + specificity - 1`` as one fraction of the two parts.

    ``a/b + c/d - 1 = (a d + c b - b d) / (b d)``: undefined when the label has
    a single class (either class recall undefined).
    """
    r_num, r_den = recall_parts(tp, fp, fn, tn, xp)
    s_num, s_den = specificity_parts(tp, fp, fn, tn, xp)
    return r_num * s_den + s_num * r_den - r_den * s_den, r_den * s_den


YOUDEN = Formula("youden j", youden_parts, "a single class in y_true")
"""Youden's J statistic (informedness): ``recall + specificity - 1``."""


def selection_rate_parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np) -> Parts:
    """Selection rate ``(tp + fp) / (tp + fp + fn + tn)``: the share predicted positive."""
    return tp + fp, tp + fp + fn + tn


def false_positive_rate_parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np) -> Parts:
    """False positive rate ``fp / (fp + tn)``: undefined without true negatives."""
    return fp, fp + tn


def false_negative_rate_parts(tp: Array, fp: Array, fn: Array, tn: Array, xp: Any = np) -> Parts:
    """False negative rate ``fn / (tp + fn)``: undefined without true positives."""
    return fn, tp + fn


SELECTION_RATE = Formula("selection rate", selection_rate_parts, "zero total weight")
FALSE_POSITIVE_RATE = Formula("false positive rate", false_positive_rate_parts, "no true negatives")
FALSE_NEGATIVE_RATE = Formula("false negative rate", false_negative_rate_parts, "no true positives")

NAMED_FORMULAS: dict[str, Formula] = {
    "f1": fbeta_formula(1.0),
    "precision": PRECISION,
    "recall": RECALL,
    "jaccard": JACCARD,
    "specificity": SPECIFICITY,
    "npv": NPV,
    "accuracy": ACCURACY,
    "balanced_accuracy": BALANCED_ACCURACY,
    "matthews": MATTHEWS,
    "mcc": MATTHEWS,
    "cohen_kappa": COHEN_KAPPA,
    "kappa": COHEN_KAPPA,
    "youden": YOUDEN,
    "informedness": YOUDEN,
}
"""Count-based metrics by name (aliases included); ``"f<beta>"`` names such as
``"f2"`` or ``"f0.5"`` are resolved by [`formula_by_name`][multilabel_attr.core.formula_by_name]."""


def formula_by_name(name: str) -> Formula:
    """The [`Formula`][multilabel_attr.core.Formula] called ``name``: a key of `NAMED_FORMULAS` or
    ``"f<beta>"``.

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.
    """
    key = name.lower()
    if key in NAMED_FORMULAS:
        return NAMED_FORMULAS[key]
    if key.startswith("f") and len(key) > 1:
        try:
            beta = float(key[1:])
        except ValueError:
            pass
        else:
            if beta >= 0 and not np.isnan(beta):
                return fbeta_formula(beta)
    raise ValueError(
        f"metric must be one of {', '.join(repr(n) for n in NAMED_FORMULAS)} or 'f<beta>' "
        f"such as 'f2' or 'f0.5'; got {name!r}"
    )
