"""Calibration metrics as Keras metrics: expected (or maximum) calibration error and Brier score.

The state of [`ExpectedCalibrationError`][multilabel_attr.keras.ExpectedCalibrationError]
is that of [`CalibrationState`][multilabel_attr.CalibrationState]'s equal-width bins:
per label and bin, the weight, the weighted sum of scores and the weighted sum of
labels.  ``update_state`` bins the scores with ``keras.ops.searchsorted`` against the
float32 ceilings of the edges (a float32 score lands in the same bin as in the core)
and adds the sums with ``segment_sum``; ``result`` evaluates the core's
[`calibration_error_from_sums`][multilabel_attr.calibration_error_from_sums] with
``xp=keras.ops``.  Sums add up, so the metrics are exact over any batch split and
across replicas.
"""

from __future__ import annotations

from typing import Any, ClassVar

import keras
import numpy as np
from keras import ops

from ..core._internal import (
    calibration_error_from_sums,
    check_options,
    float32_ceiling,
    mean_loss_from_sums,
    nan_mean,
    pool_labels,
)
from ..core._validation import check_probabilities
from ._base import MultilabelMetric, _concrete_values, _snake_case, check_batch

_register = keras.saving.register_keras_serializable(package="multilabel_attr")


class _CalibrationMetric(keras.metrics.Metric):  # type: ignore[misc]
    """Validation, probabilities and weights shared by the calibration metrics."""

    _OPTIONS: ClassVar[dict[str, str]] = {
        "num_labels": "n_labels", "average": "label_average", "from_logits": "from_logits",
    }  # fmt: skip
    """Each constructor option and its rule, all checked together before anything is built."""

    def __init__(
        self,
        num_labels: int,
        *,
        average: str | None = "macro",
        from_logits: bool = False,
        name: str | None = None,
        dtype: Any = None,
        **options: Any,
    ) -> None:
        given = {"num_labels": num_labels, "average": average, "from_logits": from_logits}
        self._checked = check_options(
            {argument: (rule, {**given, **options}[argument])
             for argument, rule in self._OPTIONS.items()}
        )  # fmt: skip
        self._num_labels: int = self._checked["num_labels"]
        self._average: str | None = self._checked["average"]
        self._from_logits: bool = self._checked["from_logits"]
        if name is None:
            name = self._name_stem()
            name += "_per_label" if average is None else f"_{average}"
        super().__init__(name=name, dtype=dtype)

    def _name_stem(self) -> str:
        return _snake_case(type(self).__name__)

    def _inputs(self, y_true: Any, y_pred: Any, sample_weight: Any) -> tuple[Any, Any, Any]:
        """Labels, probabilities (float32, or float64 if given) and per-cell weights."""
        y_true = ops.convert_to_tensor(y_true)
        y_pred = ops.convert_to_tensor(y_pred)
        check_batch(y_true, y_pred, self._num_labels, self.name)
        if not self._from_logits:
            values = _concrete_values(y_pred)
            if values is not None:
                check_probabilities(values, "y_pred", purpose="unless from_logits=True")
        wide = keras.backend.standardize_dtype(y_pred.dtype) == "float64"
        probs = ops.cast(y_pred, "float64" if wide else "float32")
        if self._from_logits:
            probs = ops.sigmoid(probs)
        truth = ops.cast(y_true, self.dtype)
        if sample_weight is None:
            weights = ops.ones_like(truth)
        else:
            weights = MultilabelMetric._weights(sample_weight, self.dtype)[:, None] + 0 * truth
        return truth, probs, weights

    def _average_labels(self, per_label: Any, support: Any, pooled: Any) -> Any:
        if self._average is None:
            return per_label
        if self._average == "micro":
            return pooled()
        return nan_mean(per_label, support if self._average == "weighted" else None, ops)

    @property
    def num_labels(self) -> int:
        """Number of labels."""
        return self._num_labels

    @property
    def average(self) -> str | None:
        """The averaging mode."""
        return self._average

    @property
    def from_logits(self) -> bool:
        """Whether ``y_pred`` holds logits."""
        return self._from_logits

    def get_config(self) -> dict[str, Any]:
        """JSON-serialisable constructor arguments."""
        config: dict[str, Any] = super().get_config()
        config.update(
            num_labels=self._num_labels, average=self._average, from_logits=self._from_logits
        )
        return config


@_register
class ExpectedCalibrationError(_CalibrationMetric):
    """Expected (or maximum) calibration error per label, streamed in fixed memory.

    Same bins and values as [`CalibrationState`][multilabel_attr.CalibrationState] and
    [`expected_calibration_error`][multilabel_attr.expected_calibration_error]
    (equal-width bins): ``sum_b |score_sum_b - label_sum_b| / W`` per label, or with
    ``norm="max"`` the largest gap of a non-empty bin.

    Parameters
    ----------
    num_labels : int
    n_bins : int, default=15
        Equal-width bins on ``[0, 1]``; the state holds ``3 * n_bins`` floats per label.
    norm : {"l1", "max"}, default="l1"
    average : {"macro", "weighted", "micro"} or None, default="macro"
    from_logits : bool, default=False
        ``y_pred`` holds logits; their sigmoid is binned.
    name : str, optional
    dtype : str, optional
        Dtype of the sums and the result (default: Keras's float type).
    """

    _OPTIONS: ClassVar[dict[str, str]] = {
        **_CalibrationMetric._OPTIONS, "n_bins": "calibration_bins", "norm": "norm",
    }  # fmt: skip

    def __init__(
        self,
        num_labels: int,
        *,
        n_bins: int = 15,
        norm: str = "l1",
        average: str | None = "macro",
        from_logits: bool = False,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(num_labels, average=average, from_logits=from_logits, name=name,
                         dtype=dtype, n_bins=n_bins, norm=norm)  # fmt: skip
        self._n_bins: int = self._checked["n_bins"]
        self._norm: str = self._checked["norm"]
        inner = np.linspace(0.0, 1.0, self._n_bins + 1)[1:-1]
        self._edges = (inner, float32_ceiling(inner))
        self.bins = self.add_variable(
            shape=(3, self._num_labels, self._n_bins), initializer="zeros", dtype=self.dtype,
            name="bins",
        )  # fmt: skip

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch (``keras.ops`` only: graph-, XLA- and jit-safe)."""
        truth, probs, weights = self._inputs(y_true, y_pred, sample_weight)
        wide = keras.backend.standardize_dtype(probs.dtype) == "float64"
        edges = ops.convert_to_tensor(self._edges[0 if wide else 1], dtype=probs.dtype)
        index = ops.cast(ops.searchsorted(edges, ops.reshape(probs, (-1,)), side="right"),
                         "int32")  # fmt: skip
        labels = ops.reshape(ops.arange(self._num_labels, dtype="int32") * self._n_bins, (1, -1))
        keys = ops.reshape(ops.reshape(index, ops.shape(probs)) + labels, (-1,))
        scores = ops.cast(probs, self.dtype)
        cells = ops.stack(
            [ops.reshape(weights, (-1,)), ops.reshape(weights * scores, (-1,)),
             ops.reshape(weights * truth, (-1,))], axis=0,
        )  # fmt: skip
        sums = ops.segment_sum(ops.transpose(cells), keys,
                               num_segments=self._num_labels * self._n_bins)  # fmt: skip
        self.bins.assign_add(ops.reshape(ops.transpose(sums), (3, self._num_labels, self._n_bins)))

    def result(self) -> Any:
        """The calibration error: a scalar, or one value per label with ``average=None``."""
        weight, score, label = self.bins[0], self.bins[1], self.bins[2]
        per_label = calibration_error_from_sums(weight, score, label, self._norm, ops)

        def pooled() -> Any:
            pooled_weight, pooled_score, pooled_label = pool_labels(weight, score, label, xp=ops)
            return calibration_error_from_sums(
                pooled_weight, pooled_score, pooled_label, self._norm, ops
            )

        value = self._average_labels(per_label, ops.sum(label, axis=1), pooled)
        return ops.cast(value, self.dtype)

    def _name_stem(self) -> str:
        return "max_calibration_error" if self._checked["norm"] == "max" else super()._name_stem()

    @property
    def n_bins(self) -> int:
        """Equal-width bins per label."""
        return self._n_bins

    @property
    def norm(self) -> str:
        """``"l1"`` (expected) or ``"max"`` (maximum) calibration error."""
        return self._norm

    def get_config(self) -> dict[str, Any]:
        """JSON-serialisable constructor arguments."""
        config = super().get_config()
        config.update(n_bins=self._n_bins, norm=self._norm)
        return config


@_register
class BrierScore(_CalibrationMetric):
    """Brier score per label (the weighted mean of ``(score - label)^2``), streamed.

    Same values as [`brier_score`][multilabel_attr.brier_score]; parameters as in
    [`ExpectedCalibrationError`][multilabel_attr.keras.ExpectedCalibrationError].
    """

    def __init__(
        self,
        num_labels: int,
        *,
        average: str | None = "macro",
        from_logits: bool = False,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(num_labels, average=average, from_logits=from_logits, name=name,
                         dtype=dtype)  # fmt: skip
        self.sums = self.add_variable(
            shape=(3, self._num_labels), initializer="zeros", dtype=self.dtype, name="sums"
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch (``keras.ops`` only)."""
        truth, probs, weights = self._inputs(y_true, y_pred, sample_weight)
        gap = ops.cast(probs, self.dtype) - truth
        self.sums.assign_add(ops.stack([ops.sum(weights * gap * gap, axis=0),
                                        ops.sum(weights, axis=0),
                                        ops.sum(weights * truth, axis=0)]))  # fmt: skip

    def result(self) -> Any:
        """The Brier score: a scalar, or one value per label with ``average=None``."""
        loss, total, support = self.sums[0], self.sums[1], self.sums[2]
        per_label = mean_loss_from_sums(loss, total, ops)
        value = self._average_labels(
            per_label, support, lambda: mean_loss_from_sums(ops.sum(loss), ops.sum(total), ops)
        )
        return ops.cast(value, self.dtype)
