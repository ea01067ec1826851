"""Exact ROC and precision-recall curves of every label, from the core's threshold sweep.

Each label's scores are sorted once and the confusion counts of every cut come from
the same sweep as [`operating_points`][multilabel_attr.operating_points]
(``counts/_cuts.py``); a curve has one point per distinct score (the threshold ``t``
predicting ``score >= t``), so an operating point's threshold is always one of its
thresholds.  The points and their order are scikit-learn's: ``roc_curve`` with
``drop_intermediate=False`` (decreasing thresholds, starting at ``inf`` and ``(0, 0)``) and
``precision_recall_curve`` (increasing thresholds, ending at recall 0 and precision 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validation import check_label_names
from ..counts._averaging import divide
from ..counts._cuts import candidate_mask, curve
from ..counts._formulas import FALL_OUT, PRECISION, RECALL, Formula
from ._exact import _validate

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class RankingCurves:
    """One curve per label: ``x`` against ``y`` at each threshold.

    Attributes
    ----------
    kind : str
        ``"roc"`` (``x`` the false positive rate, ``y`` the true positive rate) or ``"pr"``
        (``x`` the recall, ``y`` the precision).
    label_names : tuple of str
    x, y, thresholds : tuple of ndarray, one per label
        The points, in scikit-learn's order (see the module documentation); ``nan`` rates
        where a label lacks the class they divide by.
    """

    kind: str
    label_names: tuple[str, ...]
    x: tuple[FloatArray, ...]
    y: tuple[FloatArray, ...]
    thresholds: tuple[FloatArray, ...]

    def point_at(self, label: int, cut: float) -> tuple[float, float]:
        """The curve's point at ``cut``, one of its thresholds; ``nan`` for a ``nan`` cut.

        Raises
        ------
        ValueError
            If ``cut`` is not one of the label's thresholds (it was not found on these
            scores, e.g. on another data set or scale).
        """
        if math.isnan(cut):
            return math.nan, math.nan
        where = np.flatnonzero(self.thresholds[label] == cut)
        if where.size == 0:
            raise ValueError(
                f"threshold {cut!r} of label {self.label_names[label]!r} is not one of "
                "its scores: the operating points were computed on other scores"
            )
        i = int(where[0])
        return float(self.x[label][i]), float(self.y[label][i])


def _rates(
    formulas: tuple[Formula, Formula], tp: FloatArray, fp: FloatArray, positives: Any,
    negatives: Any,
) -> tuple[FloatArray, FloatArray]:  # fmt: skip
    """Two rates of every cut by the core's formulas, ``nan`` where undefined."""
    fn, tn = positives - tp, negatives - fp
    x, y = (divide(*f.parts(tp, fp, fn, tn, np), math.nan)[0] for f in formulas)
    return x, y


def _label_curve(
    truth: NDArray[np.bool_], scores: NDArray[Any], weights: FloatArray | None, kind: str
) -> tuple[FloatArray, FloatArray, FloatArray]:
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    counts = curve(truth[order], None if weights is None else weights[order])
    n = sorted_scores.shape[0]
    starts = np.flatnonzero(candidate_mask(sorted_scores, None)[:n])
    tp, fp = counts.tp[starts], counts.fp[starts]
    cuts = sorted_scores[starts].astype(np.float64)
    if kind == "roc":
        # The cut that predicts nothing (threshold inf) opens the curve at (0, 0).
        fpr, tpr = _rates((FALL_OUT, RECALL), np.append(0.0, tp[::-1]),
                          np.append(0.0, fp[::-1]), counts.positives, counts.negatives)  # fmt: skip
        return fpr, tpr, np.append(math.inf, cuts[::-1])
    recall, precision = _rates((RECALL, PRECISION), tp, fp, counts.positives, counts.negatives)
    return np.append(recall, 0.0), np.append(precision, 1.0), cuts


def _curves(
    kind: str, y_true: Any, y_score: Any, sample_weight: Any, label_names: Any
) -> RankingCurves:
    truth, scores, weights = _validate(y_true, y_score, sample_weight)
    if weights is not None:
        # A sample of weight 0 adds no point (scikit-learn drops it too).
        kept = weights > 0
        truth, scores, weights = truth[kept], scores[kept], weights[kept]
    n_labels = truth.shape[1]
    names = check_label_names(label_names, n_labels) or tuple(f"label_{i}" for i in range(n_labels))
    per_label = [_label_curve(truth[:, j], scores[:, j], weights, kind) for j in range(n_labels)]
    x, y, thresholds = (tuple(part) for part in zip(*per_label, strict=True))
    return RankingCurves(kind, names, x, y, thresholds)


def roc_curves(
    y_true: Any,
    y_score: Any,
    *,
    sample_weight: Any = None,
    label_names: Sequence[str] | None = None,
) -> RankingCurves:
    """The exact ROC curve of every label: false against true positive rate per threshold.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        Ground truth in {0, 1}.
    y_score : array-like of shape (n_samples, n_labels)
        Scores of any scale; the thresholds are on that scale.
    sample_weight : array-like of shape (n_samples,), optional
    label_names : sequence of str, optional
        Default ``label_0``, ``label_1``, ...

    Returns
    -------
    RankingCurves
        ``kind="roc"``; per label the points of scikit-learn's
        ``roc_curve(..., drop_intermediate=False)``.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import roc_curves
    >>> curves = roc_curves(np.array([[1], [0], [1], [0]]), np.array([[0.9], [0.6], [0.6], [0.1]]))
    >>> curves.x[0].tolist(), curves.y[0].tolist()
    ([0.0, 0.0, 0.5, 1.0], [0.0, 0.5, 1.0, 1.0])
    """
    return _curves("roc", y_true, y_score, sample_weight, label_names)


def precision_recall_curves(
    y_true: Any,
    y_score: Any,
    *,
    sample_weight: Any = None,
    label_names: Sequence[str] | None = None,
) -> RankingCurves:
    """The exact precision-recall curve of every label: recall against precision per threshold.

    The arguments are those of [`roc_curves`][multilabel_attr.roc_curves].

    Returns
    -------
    RankingCurves
        ``kind="pr"``; per label the points of scikit-learn's ``precision_recall_curve``
        (``x`` the recall, ``y`` the precision, ending at ``(0, 1)`` with no threshold, so
        ``thresholds`` is one shorter); recall is ``nan`` for a label without positives.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import precision_recall_curves
    >>> curves = precision_recall_curves(
    ...     np.array([[1], [0], [1], [0]]), np.array([[0.9], [0.6], [0.6], [0.1]]))
    >>> curves.x[0].tolist(), curves.y[0].tolist(), curves.thresholds[0].tolist()
    ([1.0, 1.0, 0.5, 0.0], [0.5, 0.6666666666666666, 1.0, 1.0], [0.1, 0.6, 0.9])
    """
    return _curves("pr", y_true, y_score, sample_weight, label_names)
