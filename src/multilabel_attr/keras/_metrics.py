"""The multi-label Keras metrics: one small class per core formula.

Parameters are described once, in [`MultilabelMetric`][multilabel_attr.keras.MultilabelMetric].
"""

from __future__ import annotations

import math
from typing import Any

import keras

from ..core._internal import check_options
from ..core._internal import formulas as F
from ._base import _ALL_AVERAGES, _LABEL_AVERAGES, MultilabelMetric

_register = keras.saving.register_keras_serializable(package="multilabel_attr")


class _AveragedMetric(MultilabelMetric):
    """A metric that takes ``average``; the constructor shared by those classes."""

    def __init__(
        self,
        num_labels: int,
        *,
        average: str | None = "macro",
        threshold: Any = 0.5,
        from_logits: bool = False,
        zero_division: float | str = 0.0,
        name: str | None = None,
        dtype: Any = None,
        sample_histogram: bool | None = None,
    ) -> None:
        super().__init__(
            num_labels, average=average, threshold=threshold, from_logits=from_logits,
            zero_division=zero_division, name=name, dtype=dtype,
            sample_histogram=sample_histogram,
        )  # fmt: skip


class _FixedMetric(MultilabelMetric):
    """A metric with a single, built-in way of averaging (no ``average`` argument)."""

    def __init__(
        self,
        num_labels: int,
        *,
        threshold: Any = 0.5,
        from_logits: bool = False,
        zero_division: float | str = 0.0,
        name: str | None = None,
        dtype: Any = None,
        sample_histogram: bool | None = None,
    ) -> None:
        super().__init__(
            num_labels, average=self._averages[0], threshold=threshold, from_logits=from_logits,
            zero_division=zero_division, name=name, dtype=dtype,
            sample_histogram=sample_histogram,
        )  # fmt: skip


@_register
class Precision(_AveragedMetric):
    """Precision ``tp / (tp + fp)``; see [`precision_score`][multilabel_attr.precision_score].

    ``average`` in {"micro", "macro", "weighted", "samples", None}; other
    parameters as in [`MultilabelMetric`][multilabel_attr.keras.MultilabelMetric].

    Examples
    --------
    >>> from multilabel_attr.keras import Precision
    >>> metric = Precision(3, average="micro")
    >>> metric.update_state([[1, 0, 1], [0, 1, 1]], [[0.9, 0.8, 0.7], [0.1, 0.6, 0.2]])
    >>> round(float(metric.result()), 6)
    0.75
    """

    _formula = F.PRECISION
    _averages = _ALL_AVERAGES


@_register
class Recall(_AveragedMetric):
    """Recall ``tp / (tp + fn)``; see [`recall_score`][multilabel_attr.recall_score].

    ``average`` in {"micro", "macro", "weighted", "samples", None}; other
    parameters as in [`MultilabelMetric`][multilabel_attr.keras.MultilabelMetric].

    Examples
    --------
    >>> from multilabel_attr.keras import Recall
    >>> metric = Recall(3, average="samples")
    >>> metric.update_state([[1, 0, 1], [0, 1, 1]], [[0.9, 0.8, 0.7], [0.1, 0.6, 0.2]])
    >>> round(float(metric.result()), 6)
    0.75
    """

    _formula = F.RECALL
    _averages = _ALL_AVERAGES


@_register
class F1Score(_AveragedMetric):
    """F1 ``2 tp / (2 tp + fp + fn)``; see [`f1_score`][multilabel_attr.f1_score].

    ``average`` in {"micro", "macro", "weighted", "samples", None}; other parameters as in
    [`MultilabelMetric`][multilabel_attr.keras.MultilabelMetric]. Unlike ``keras.metrics.F1Score``
    it takes one threshold per label, has a ``"samples"`` average and has no epsilon in its ratios.

    Examples
    --------
    >>> from multilabel_attr.keras import F1Score
    >>> metric = F1Score(3, average="micro", threshold=[0.5, 0.7, 0.5])
    >>> metric.update_state([[1, 0, 1], [0, 1, 1]], [[0.9, 0.6, 0.7], [0.1, 0.6, 0.2]])
    >>> round(float(metric.result()), 6)
    0.666667
    """

    _formula = F.fbeta_formula(1.0)
    _averages = _ALL_AVERAGES


@_register
class FBetaScore(MultilabelMetric):
    """F-beta ``(1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp)``; see
    [`fbeta_score`][multilabel_attr.fbeta_score].

    Parameters
    ----------
    num_labels : int
        Number of labels.
    beta : float, default 1
        Weight of recall relative to precision (``0`` is precision, ``inf``
        recall).
    average, threshold, from_logits, zero_division, name, dtype, sample_histogram
        As in [`MultilabelMetric`][multilabel_attr.keras.MultilabelMetric] (``average`` default
        ``"macro"``).

    Examples
    --------
    >>> from multilabel_attr.keras import FBetaScore
    >>> metric = FBetaScore(2, beta=2.0, average="micro")
    >>> metric.update_state([[1, 0], [1, 1]], [[0.9, 0.8], [0.1, 0.6]])
    >>> round(float(metric.result()), 6)
    0.666667
    """

    _averages = _ALL_AVERAGES

    def __init__(
        self,
        num_labels: int,
        *,
        beta: float | str = 1.0,
        average: str | None = "macro",
        threshold: Any = 0.5,
        from_logits: bool = False,
        zero_division: float | str = 0.0,
        name: str | None = None,
        dtype: Any = None,
        sample_histogram: bool | None = None,
    ) -> None:
        if beta == "inf":
            beta = math.inf
        self._beta = check_options({"beta": ("beta", beta)})["beta"]
        self._formula = F.fbeta_formula(self._beta)
        super().__init__(
            num_labels, average=average, threshold=threshold, from_logits=from_logits,
            zero_division=zero_division, name=name, dtype=dtype,
            sample_histogram=sample_histogram,
        )  # fmt: skip

    @property
    def beta(self) -> float:
        """The F-beta ``beta``."""
        return self._beta

    def get_config(self) -> dict[str, Any]:
        """JSON-serialisable constructor arguments (infinite beta as ``"inf"``)."""
        config = super().get_config()
        config["beta"] = "inf" if math.isinf(self._beta) else self._beta
        return config


@_register
class JaccardScore(_AveragedMetric):
    """Jaccard index ``tp / (tp + fp + fn)``; see [`jaccard_score`][multilabel_attr.jaccard_score].

    ``average`` in {"micro", "macro", "weighted", "samples", None}; other
    parameters as in [`MultilabelMetric`][multilabel_attr.keras.MultilabelMetric].

    Examples
    --------
    >>> from multilabel_attr.keras import JaccardScore
    >>> metric = JaccardScore(3, average="samples")
    >>> metric.update_state([[1, 0, 1], [0, 1, 1]], [[0.9, 0.8, 0.7], [0.1, 0.6, 0.2]])
    >>> round(float(metric.result()), 6)
    0.583333
    """

    _formula = F.JACCARD
    _averages = _ALL_AVERAGES


@_register
class Specificity(_AveragedMetric):
    """Specificity ``tn / (tn + fp)``; see [`specificity_score`][multilabel_attr.specificity_score].

    ``average`` in {"micro", "macro", "weighted", None} (``"weighted"`` uses
    the positive support, as in the core); other parameters as in
    [`MultilabelMetric`][multilabel_attr.keras.MultilabelMetric].

    Examples
    --------
    >>> from multilabel_attr.keras import Specificity
    >>> metric = Specificity(2, average="micro")
    >>> metric.update_state([[1, 0], [0, 0]], [[0.9, 0.8], [0.1, 0.2]])
    >>> round(float(metric.result()), 6)
    0.666667
    """

    _formula = F.SPECIFICITY
    _averages = _LABEL_AVERAGES


@_register
class BalancedAccuracy(_AveragedMetric):
    """Balanced accuracy per label; see
    [`balanced_accuracy_score`][multilabel_attr.balanced_accuracy_score].

    ``(recall + specificity) / 2`` per label (only the defined one when a
    label has a single class).  ``average`` in {"micro", "macro", "weighted",
    None}; other parameters as in [`MultilabelMetric`][multilabel_attr.keras.MultilabelMetric].

    Examples
    --------
    >>> from multilabel_attr.keras import BalancedAccuracy
    >>> metric = BalancedAccuracy(2, average=None)
    >>> metric.update_state([[1, 0], [0, 1]], [[0.9, 0.8], [0.1, 0.2]])
    >>> [round(v, 6) for v in metric.result().numpy().tolist()]
    [1.0, 0.0]
    """

    _formula = F.BALANCED_ACCURACY
    _averages = _LABEL_AVERAGES


@_register
class HammingLoss(_FixedMetric):
    """Fraction of label cells predicted wrongly; see
    [`hamming_loss`][multilabel_attr.hamming_loss].

    Parameters as in [`MultilabelMetric`][multilabel_attr.keras.MultilabelMetric] (no ``average``).
    Undefined only on zero total weight, where it takes ``zero_division``.

    Examples
    --------
    >>> from multilabel_attr.keras import HammingLoss
    >>> metric = HammingLoss(3)
    >>> metric.update_state([[1, 0, 1], [0, 1, 1]], [[0.9, 0.8, 0.7], [0.1, 0.6, 0.2]])
    >>> round(float(metric.result()), 6)
    0.333333
    """

    _formula = F.ERROR_RATE
    _averages = ("micro",)


@_register
class LabelAccuracy(_FixedMetric):
    """Fraction of label cells predicted correctly (``1 - HammingLoss``).

    See [`label_accuracy`][multilabel_attr.label_accuracy]; parameters as in
    [`MultilabelMetric`][multilabel_attr.keras.MultilabelMetric] (no ``average``).
    ``CustomAccuracy`` is an alias.

    Examples
    --------
    >>> from multilabel_attr.keras import LabelAccuracy
    >>> metric = LabelAccuracy(3)
    >>> metric.update_state([[1, 0, 1], [0, 1, 1]], [[0.9, 0.8, 0.7], [0.1, 0.6, 0.2]])
    >>> round(float(metric.result()), 6)
    0.666667
    """

    _formula = F.LABEL_ACCURACY
    _averages = ("micro",)


@_register
class HammingScore(_FixedMetric):
    """Mean per-sample Jaccard index; see [`hamming_score`][multilabel_attr.hamming_score].

    Parameters as in [`MultilabelMetric`][multilabel_attr.keras.MultilabelMetric] (no ``average``).
    ``MultiLabelAccuracy`` is an alias.

    Examples
    --------
    >>> from multilabel_attr.keras import HammingScore
    >>> metric = HammingScore(3)
    >>> metric.update_state([[1, 0, 1], [0, 1, 1]], [[0.9, 0.8, 0.7], [0.1, 0.6, 0.2]])
    >>> round(float(metric.result()), 6)
    0.583333
    """

    _formula = F.JACCARD
    _averages = ("samples",)


@_register
class SubsetAccuracy(_FixedMetric):
    """Fraction of samples whose whole label set is predicted exactly.

    See [`subset_accuracy`][multilabel_attr.subset_accuracy]; parameters as in
    [`MultilabelMetric`][multilabel_attr.keras.MultilabelMetric] (no ``average``).

    Examples
    --------
    >>> from multilabel_attr.keras import SubsetAccuracy
    >>> metric = SubsetAccuracy(2)
    >>> metric.update_state([[1, 0], [0, 1]], [[0.9, 0.2], [0.1, 0.2]])
    >>> round(float(metric.result()), 6)
    0.5
    """

    _formula = F.EXACT_MATCH
    _averages = ("samples",)


CustomAccuracy = LabelAccuracy
MultiLabelAccuracy = HammingScore
