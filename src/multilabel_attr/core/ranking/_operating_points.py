"""Operating points: the best value of one rate while another meets a minimum, exactly.

An operating point is a threshold chosen by a constraint rather than by a score
such as F1: the highest recall at precision >= p, the highest precision at
recall >= r, the highest specificity at sensitivity >= s, the highest
sensitivity at specificity >= s, or the equal error rate (where the false
positive and false negative rates meet).  Each label's scores are sorted once;
the confusion counts of every cut follow from the core's exact sweep
(``counts/_cuts.py``), every constraint is evaluated on those arrays by the
core's formulas, and the best cut is turned into the threshold ``t`` such that
``score >= t`` reproduces it: the lowest score predicted positive.  No grid is
involved, so the values are those of the best threshold on the data.

Conventions (those of torchmetrics' unbinned metrics, so that both agree):

* rules on precision consider the cuts with at least one predicted positive; rules on
  specificity and sensitivity, and the equal error rate, also the cut that predicts
  nothing (threshold ``inf``);
* ties: the best value first, then (rules on precision) the best constrained rate, then the
  highest threshold; the equal error rate takes the cut where ``|fpr - (1 - tpr)|`` is
  smallest, the highest threshold among equals, and reports ``(fpr + 1 - tpr) / 2``.

A constraint that no threshold meets is *infeasible* for that label, and a rule needing a class
the label lacks (recall without positives, specificity without negatives) is *undefined*: the
value and threshold are ``nan``, ``status`` says which, and a warning names the labels.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._options import validated
from .._validation import (
    check_label_names,
    check_score_values,
    external_stacklevel,
)
from ..counts._averaging import UndefinedMetricWarning
from ..counts._cuts import candidate_mask, curve, sort_with_truth
from ._constraints import _RATES, Constraint, check_constraints, check_minimum, select_cuts
from ._exact import _validate, map_blocks, warn_undefined_labels

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.intp]

_BLOCK_CELLS = 1 << 15


@dataclass(frozen=True)
class OperatingPoints:
    """One operating-point rule evaluated per label.

    Attributes
    ----------
    constraint : str
        The rule, for example ``"recall@precision>=0.95"`` or ``"eer"``.
    values : ndarray of shape (n_labels,)
        The best value of the rule's target rate (for ``"eer"``: the equal error
        rate); ``nan`` where the rule is infeasible or undefined.
    thresholds : ndarray of shape (n_labels,)
        The threshold ``t`` reaching it with ``score >= t``, on the scale of the
        scores (logits with ``from_logits=True``): the lowest score predicted
        positive, ``inf`` when nothing is, ``nan`` where infeasible or undefined.
    achieved : ndarray of shape (n_labels,)
        The constrained rate at that threshold (for ``"eer"``: the false
        positive rate).
    status : tuple of str
        Per label: ``"ok"``, ``"infeasible"`` (no threshold meets the
        constraint) or ``"undefined"`` (the label lacks a class the rule needs).
    label_names : tuple of str
    from_logits : bool
    """

    constraint: str
    values: FloatArray
    thresholds: FloatArray
    achieved: FloatArray
    status: tuple[str, ...]
    label_names: tuple[str, ...]
    from_logits: bool = False

    @property
    def feasible(self) -> BoolArray:
        """Per label, whether the rule was met (``status == "ok"``)."""
        return np.array([s == "ok" for s in self.status], dtype=bool)

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (``nan`` as ``None``, ``inf`` as ``"inf"``), for JSON."""

        def plain(value: float) -> float | str | None:
            return None if math.isnan(value) else ("inf" if math.isinf(value) else value)

        return {
            "constraint": self.constraint,
            "from_logits": self.from_logits,
            "labels": {
                name: {
                    "value": plain(float(v)),
                    "threshold": plain(float(t)),
                    "achieved": plain(float(a)),
                    "status": s,
                }
                for name, v, t, a, s in zip(
                    self.label_names, self.values, self.thresholds, self.achieved, self.status
                )
            },
        }


def _sorted_block(
    truth: BoolArray, scores: NDArray[Any], weights: FloatArray | None
) -> tuple[NDArray[Any], BoolArray, FloatArray | None]:
    """Rows of labels sorted by score, with their truth (and weights) carried along."""
    if weights is None and scores.dtype == np.float32:
        sorted_scores, sorted_truth = sort_with_truth(scores, truth)
        return sorted_scores, sorted_truth, None
    order = np.argsort(scores, axis=1)
    sorted_weights = None if weights is None else weights[order]
    return (
        np.take_along_axis(scores, order, axis=1),
        np.take_along_axis(truth, order, axis=1),
        sorted_weights,
    )


def sweep_constraints(
    truth: BoolArray,
    scores: NDArray[Any],
    weights: FloatArray | None,
    constraints: Sequence[Constraint],
) -> list[tuple[FloatArray, FloatArray, FloatArray, BoolArray]]:
    """Per rule: values, thresholds, constrained rates and feasibility of every label, from one
    sort per label (validated inputs)."""
    n_samples, n_labels = truth.shape
    results = [
        (np.empty(n_labels), np.empty(n_labels), np.empty(n_labels), np.empty(n_labels, bool))
        for _ in constraints
    ]
    block = max(1, min(16, _BLOCK_CELLS // n_samples))

    def work(start: int) -> None:
        stop = min(start + block, n_labels)
        sorted_scores, sorted_truth, sorted_weights = _sorted_block(
            np.ascontiguousarray(truth[:, start:stop].T),
            np.ascontiguousarray(scores[:, start:stop].T),
            weights,
        )
        counts = curve(sorted_truth, sorted_weights)
        valid = candidate_mask(sorted_scores, None)
        positives = np.broadcast_to(counts.positives, (stop - start,))
        negatives = np.broadcast_to(counts.negatives, (stop - start,))
        for offset in range(stop - start):
            # Only cuts at distinct scores are reachable: rules run on those alone (scores
            # rounded to a few digits leave thousands of cuts out of millions).
            cuts = np.flatnonzero(valid[offset])
            tp, fp = counts.tp[offset, cuts], counts.fp[offset, cuts]
            edges = np.append(sorted_scores[offset, cuts[:-1]].astype(np.float64), np.inf)
            for rule, out in zip(constraints, results):
                chosen = select_cuts(
                    rule, tp, fp, positives[offset] - tp, negatives[offset] - fp, valid=None
                )
                label = start + offset
                out[0][label], out[2][label] = chosen.values, chosen.achieved
                out[1][label] = edges[int(chosen.cuts)] if chosen.feasible else np.nan
                out[3][label] = chosen.feasible

    map_blocks(work, range(0, n_labels, block))
    return results


def _statuses(
    rule: Constraint, feasible: BoolArray, classes: tuple[BoolArray, BoolArray]
) -> tuple[str, ...]:
    """``classes``: per label, whether it has positive and negative samples of non-zero weight."""
    need_pos, need_neg = rule.needs()
    undefined = np.asarray((need_pos & ~classes[0]) | (need_neg & ~classes[1]), dtype=bool)
    return tuple(
        "undefined" if u else ("ok" if f else "infeasible")
        for u, f in zip(undefined.tolist(), feasible.tolist())
    )


def _warn(rule: Constraint, status: tuple[str, ...], names: tuple[str, ...]) -> None:
    flags = np.array(status)
    reason = {
        (True, False): "no positive samples",
        (False, True): "no negative samples",
    }.get(rule.needs(), "a single class in y_true")
    warn_undefined_labels(rule.key, flags == "undefined", reason, names)
    infeasible = np.flatnonzero(flags == "infeasible").tolist()
    if infeasible:
        shown = ", ".join(names[i] for i in infeasible[:10]) + (
            " ..." if len(infeasible) > 10 else ""
        )
        warnings.warn(
            f"{rule.key} is infeasible for label{'s' if len(infeasible) > 1 else ''} {shown}: no "
            f"threshold reaches {rule.bound} >= {rule.minimum:g}; nan per label.",
            UndefinedMetricWarning,
            stacklevel=external_stacklevel(),
        )


@validated("from_logits")
def operating_points(
    y_true: Any,
    y_score: Any,
    constraints: Any,
    *,
    sample_weight: Any = None,
    from_logits: bool = False,
    label_names: Sequence[str] | None = None,
) -> dict[str, OperatingPoints]:
    """Exact operating points of every label for one or several rules, from one sort per label.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        Ground truth in {0, 1}.
    y_score : array-like of shape (n_samples, n_labels)
        Probabilities in [0, 1], or logits with ``from_logits=True``.
    constraints : str, Constraint or sequence of them
        Rules such as ``"recall@precision>=0.95"``, ``"precision@recall>=0.8"``,
        ``"specificity@sensitivity>=0.9"``, ``"sensitivity@specificity>=0.9"`` or ``"eer"``;
        the minimum lies in (0, 1].
    sample_weight : array-like of shape (n_samples,), optional
    from_logits : bool, default=False
        Scores are logits; thresholds are then reported as logits.
    label_names : sequence of str, optional
        Default ``label_0``, ``label_1``, ...

    Returns
    -------
    dict of str to OperatingPoints
        Keyed by [`Constraint.key`][multilabel_attr.core.Constraint.key].

    Raises
    ------
    ValueError
        A malformed rule, a minimum outside (0, 1], scores outside [0, 1] without
        ``from_logits``, or the usual shape and value errors.

    Warns
    -----
    UndefinedMetricWarning
        Naming the labels where a rule is infeasible or undefined (``nan`` there).

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import operating_points
    >>> y_true = np.array([[1], [1], [0], [1], [0]])
    >>> y_score = np.array([[0.9], [0.8], [0.7], [0.6], [0.2]])
    >>> points = operating_points(y_true, y_score, ["recall@precision>=0.75", "eer"])
    >>> rp = points["recall@precision>=0.75"]
    >>> rp.values.tolist(), rp.thresholds.tolist()
    ([1.0], [0.6])
    """
    return _points(
        y_true, y_score, check_constraints(constraints), sample_weight, from_logits, label_names
    )


def _points(
    y_true: Any, y_score: Any, rules: list[Constraint], sample_weight: Any, from_logits: bool,
    label_names: Sequence[str] | None,
) -> dict[str, OperatingPoints]:  # fmt: skip
    """The body of [`operating_points`][multilabel_attr.core.operating_points], its options
    checked."""
    truth, scores, weights = _validate(y_true, y_score, sample_weight)
    check_score_values(scores, "y_score", from_logits=from_logits)
    n_labels = truth.shape[1]
    names = check_label_names(label_names, n_labels) or tuple(f"label_{i}" for i in range(n_labels))
    # A label has a class when a sample of it carries weight.
    kept = (np.ones(truth.shape[0], bool) if weights is None else weights > 0)[:, None]
    classes = (np.any(truth & kept, axis=0), np.any(~truth & kept, axis=0))
    return finish_points(
        rules, sweep_constraints(truth, scores, weights, rules), classes, names, from_logits
    )


def finish_points(
    rules: Sequence[Constraint],
    swept: Sequence[tuple[FloatArray, FloatArray, FloatArray, BoolArray]],
    classes: tuple[Any, Any],
    names: tuple[str, ...],
    from_logits: bool,
) -> dict[str, OperatingPoints]:
    """Results of every rule from the sweep's arrays, with the labels' status and warnings.

    ``classes``: per label, whether it has positives and negatives of non-zero weight.
    """
    results: dict[str, OperatingPoints] = {}
    for rule, (values, thresholds, achieved, feasible) in zip(rules, swept):
        status = _statuses(rule, feasible, classes)
        ok = np.array([s == "ok" for s in status], dtype=bool)
        _warn(rule, status, names)
        results[rule.key] = OperatingPoints(
            rule.key,
            np.where(ok, values, np.nan),
            np.where(ok, thresholds, np.nan),
            np.where(ok, achieved, np.nan),
            status,
            names,
            from_logits,
        )
    return results


def _one(
    names: tuple[str, str], minimum: Any, y_true: Any, y_score: Any, **options: Any
) -> OperatingPoints:
    target, bound = (_RATES[name] for name in names)
    rule = Constraint(target, bound, check_minimum(minimum, f"min_{names[1]}"), names)
    return _points(y_true, y_score, [rule], **options)[rule.key]


@validated("from_logits")
def recall_at_precision(
    y_true: Any,
    y_score: Any,
    min_precision: float,
    *,
    sample_weight: Any = None,
    from_logits: bool = False,
    label_names: Sequence[str] | None = None,
) -> OperatingPoints:
    """The highest recall of each label at precision >= ``min_precision``, with its threshold.

    Ties go to the higher precision, then to the higher threshold; see
    [`operating_points`][multilabel_attr.core.operating_points] for the parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import recall_at_precision
    >>> y_true = np.array([[1, 0], [1, 1], [0, 1], [1, 0]])
    >>> y_score = np.array([[0.9, 0.2], [0.8, 0.7], [0.7, 0.4], [0.3, 0.9]])
    >>> result = recall_at_precision(y_true, y_score, 0.9)
    >>> result.values.tolist(), result.thresholds.tolist()
    ([0.6666666666666666, nan], [0.8, nan])
    >>> result.status
    ('ok', 'infeasible')
    """
    options = {
        "sample_weight": sample_weight,
        "from_logits": from_logits,
        "label_names": label_names,
    }
    return _one(("recall", "precision"), min_precision, y_true, y_score, **options)


@validated("from_logits")
def precision_at_recall(
    y_true: Any,
    y_score: Any,
    min_recall: float,
    *,
    sample_weight: Any = None,
    from_logits: bool = False,
    label_names: Sequence[str] | None = None,
) -> OperatingPoints:
    """The highest precision of each label at recall >= ``min_recall``, with its threshold.

    Ties go to the higher recall, then to the higher threshold; see
    [`operating_points`][multilabel_attr.core.operating_points] for the parameters.
    """
    options = {
        "sample_weight": sample_weight,
        "from_logits": from_logits,
        "label_names": label_names,
    }
    return _one(("precision", "recall"), min_recall, y_true, y_score, **options)


@validated("from_logits")
def specificity_at_sensitivity(
    y_true: Any,
    y_score: Any,
    min_sensitivity: float,
    *,
    sample_weight: Any = None,
    from_logits: bool = False,
    label_names: Sequence[str] | None = None,
) -> OperatingPoints:
    """The highest specificity of each label at sensitivity >= ``min_sensitivity``.

    Ties go to the higher threshold; see
    [`operating_points`][multilabel_attr.core.operating_points] for the parameters.
    """
    options = {
        "sample_weight": sample_weight,
        "from_logits": from_logits,
        "label_names": label_names,
    }
    return _one(("specificity", "sensitivity"), min_sensitivity, y_true, y_score, **options)


@validated("from_logits")
def sensitivity_at_specificity(
    y_true: Any,
    y_score: Any,
    min_specificity: float,
    *,
    sample_weight: Any = None,
    from_logits: bool = False,
    label_names: Sequence[str] | None = None,
) -> OperatingPoints:
    """The highest sensitivity (recall) of each label at specificity >= ``min_specificity``.

    Ties go to the higher threshold; the threshold ``inf`` (nothing predicted positive)
    is a candidate. See [`operating_points`][multilabel_attr.core.operating_points] for the
    parameters.
    """
    options = {
        "sample_weight": sample_weight,
        "from_logits": from_logits,
        "label_names": label_names,
    }
    return _one(("sensitivity", "specificity"), min_specificity, y_true, y_score, **options)


@validated("from_logits")
def equal_error_rate(
    y_true: Any,
    y_score: Any,
    *,
    sample_weight: Any = None,
    from_logits: bool = False,
    label_names: Sequence[str] | None = None,
) -> OperatingPoints:
    """The equal error rate of each label: ``(fpr + fnr) / 2`` where ``|fpr - fnr|`` is smallest.

    ``achieved`` holds the false positive rate there. See
    [`operating_points`][multilabel_attr.core.operating_points] for the parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import equal_error_rate
    >>> y_true = np.array([[1], [1], [0], [1], [0]])
    >>> y_score = np.array([[0.9], [0.8], [0.7], [0.6], [0.2]])
    >>> eer = equal_error_rate(y_true, y_score)
    >>> eer.values.tolist(), eer.thresholds.tolist()
    ([0.4166666666666667], [0.7])
    """
    options = {
        "sample_weight": sample_weight,
        "from_logits": from_logits,
        "label_names": label_names,
    }
    return _points(y_true, y_score, [Constraint("eer")], **options)["eer"]
