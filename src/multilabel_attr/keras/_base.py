"""The streaming Keras metric shared by every multi-label adapter.

State mirrors [`MultilabelCounts`][multilabel_attr.MultilabelCounts]: weighted per-label
confusion counts and, when needed, a dense histogram of per-sample
``(tp_i, fp_i, fn_i)`` triples (same key encoding as the core).  The metric
value is computed by the core's own formulas and averaging functions,
evaluated with ``xp=keras.ops``, so there is exactly one definition of each.
"""

from __future__ import annotations

import math
import re
from typing import Any

import keras
import numpy as np
from keras import ops
from numpy.typing import NDArray

from ..core._internal import (
    Formula,
    average_counts,
    check_options,
    decode_triples,
    mean_from_sums,
    mean_sums,
    sample_values,
    samples_mean,
    score_cut,
)
from ..core._validation import (
    binary_mask,
    check_probability_threshold,
    check_zero_division,
)

MAX_HISTOGRAM_LABELS = 63
"""Largest ``num_labels`` for which the per-sample histogram is kept.

The histogram has ``(num_labels + 1) ** 3`` bins (262,144 at 63 labels, 2 MiB
in float32 with its count column); beyond that, sample-averaged metrics keep
four running sums instead (exact, but not convertible to core counts).
"""

_LABEL_AVERAGES: tuple[str | None, ...] = ("micro", "macro", "weighted", None)
_ALL_AVERAGES: tuple[str | None, ...] = ("micro", "macro", "weighted", "samples", None)


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _concrete_values(tensor: Any) -> NDArray[Any] | None:
    """The values of an eager tensor, or None while tracing a graph."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        # np.asarray, unlike np.array, reads an eager tensor without a copy-keyword warning.
        return np.asarray(tensor) if tf.executing_eagerly() else None
    try:
        return np.asarray(ops.convert_to_numpy(tensor))
    except Exception:  # symbolic tensors (JAX tracers and the like) have no values
        return None


def check_batch(y_true: Any, y_pred: Any, num_labels: int, metric_name: str) -> None:
    """Check the shapes of a batch (and its labels, in eager execution) for a metric."""
    for arg, tensor in (("y_true", y_true), ("y_pred", y_pred)):
        shape = tuple(tensor.shape)
        if len(shape) != 2:
            raise ValueError(
                f"{arg} must have shape (batch, num_labels={num_labels}); got shape {shape}"
            )
        if shape[1] is not None and shape[1] != num_labels:
            raise ValueError(
                f"{arg} has {shape[1]} labels (shape {shape}); {metric_name} was built with "
                f"num_labels={num_labels}"
            )
    true_rows, pred_rows = y_true.shape[0], y_pred.shape[0]
    if true_rows is not None and pred_rows is not None and true_rows != pred_rows:
        raise ValueError(
            f"y_true and y_pred must have the same number of rows; got {tuple(y_true.shape)} "
            f"and {tuple(y_pred.shape)}"
        )
    values = _concrete_values(y_true)
    if values is not None:
        binary_mask(values, "y_true")


class MultilabelMetric(keras.metrics.Metric):  # type: ignore[misc]
    """Base class of the multi-label metrics: exact streaming counts, core formulas.

    ``y_true`` holds 0/1 labels and ``y_pred`` scores, both of shape ``(batch, num_labels)``; a
    label is predicted positive when ``y_pred >= threshold`` (or ``sigmoid(y_pred) >= threshold``
    with ``from_logits=True``). Batches accumulate exactly: after any split of the data,
    [`result`][multilabel_attr.keras.MultilabelMetric.result] equals the one-shot value of the
    matching `multilabel_attr` function.

    Parameters
    ----------
    num_labels : int
        Number of labels (the last dimension of ``y_true`` and ``y_pred``).
    average : {"micro", "macro", "weighted", "samples"} or None
        For metrics that take it: how per-label values are combined, as in
        the core (``None`` returns one value per label).
    threshold : float, sequence of float or array-like, default 0.5
        Decision threshold on the probability scale, in [0, 1]: one value, or
        one per label (a list, a numpy array, or an object with
        ``__array__`` such as ``multilabel_attr.thresholds.Thresholds``).
    from_logits : bool, default False
        ``y_pred`` holds logits; the threshold applies to their sigmoid.  The
        comparison is made in logit space, exactly as in the core.
    zero_division : {0, 1, nan}, default 0
        Value of an undefined result (zero denominator).  ``nan`` leaves the
        label or sample out of averages.  (The core's ``"warn"`` is not
        available: a compiled graph cannot warn.)
    name : str, optional
        Metric name in logs; defaults to the class name in snake case with
        the average appended.
    dtype : str, optional
        Dtype of the state and the result (default: Keras's float type).
        Counts are exact integers up to 2**24 in float32; pass ``"float64"``
        for larger weighted totals.
    sample_histogram : bool, optional
        Keep the per-sample histogram.  ``None`` (default) keeps it when the
        metric needs per-sample statistics and ``num_labels <=
        MAX_HISTOGRAM_LABELS``; otherwise sample averages use running sums.
        ``True`` keeps it for any metric, so that [`to_counts`][multilabel_attr.keras.to_counts] can
        export the full core state; ``False`` never keeps it.

    Raises
    ------
    ValueError
        For an unknown average, a threshold outside [0, 1] or of the wrong
        length, an unsupported ``zero_division``; in ``update_state``, for
        shapes that do not match ``(batch, num_labels)`` and (in eager
        execution) labels other than 0 and 1.
    TypeError
        For a non-integer ``num_labels`` or a non-numeric threshold.
    """

    _formula: Formula
    _averages: tuple[str | None, ...] = (None,)

    def __init__(
        self,
        num_labels: int,
        *,
        average: str | None = None,
        threshold: Any = 0.5,
        from_logits: bool = False,
        zero_division: float | str = 0.0,
        name: str | None = None,
        dtype: Any = None,
        sample_histogram: bool | None = None,
    ) -> None:
        checked = check_options(
            {"num_labels": ("n_labels", num_labels), "from_logits": ("from_logits", from_logits)}
        )
        num_labels, from_logits = checked["num_labels"], checked["from_logits"]
        if average not in self._averages:
            allowed = ", ".join(repr(a) for a in self._averages)
            raise ValueError(
                f"average must be one of {allowed} for {type(self).__name__}; got {average!r}"
            )
        if sample_histogram is not None and not isinstance(sample_histogram, bool):
            raise TypeError(
                f"sample_histogram must be None, True or False; got {sample_histogram!r}"
            )
        self._num_labels = int(num_labels)
        self._average = average
        self._from_logits = from_logits
        self._zero_division = self._check_zero_division(zero_division)
        thresholds = self._check_threshold(threshold, self._num_labels)
        self._threshold: float | list[float] = (
            float(thresholds[0]) if np.ndim(np.asarray(threshold, dtype=np.float64)) == 0
            else thresholds.tolist()
        )  # fmt: skip
        # Scores are compared in float32 unless they arrive as float64, with the core's cuts.
        self._cut64 = score_cut(thresholds, self._from_logits, np.float64)
        self._cut32 = score_cut(thresholds, self._from_logits, np.float32)

        per_sample = average == "samples"
        fits = self._num_labels <= MAX_HISTOGRAM_LABELS
        if sample_histogram is True and not fits:
            raise ValueError(
                f"sample_histogram=True supports at most {MAX_HISTOGRAM_LABELS} labels "
                f"((num_labels + 1) ** 3 bins); got num_labels={self._num_labels}"
            )
        self._sample_histogram = sample_histogram
        self._keeps_histogram = bool(sample_histogram) or (
            per_sample and sample_histogram is None and fits
        )
        self._keeps_sums = per_sample and not self._keeps_histogram

        if name is None:
            name = _snake_case(type(self).__name__)
            if len(self._averages) > 1:
                name += "_per_label" if average is None else f"_{average}"
        super().__init__(name=name, dtype=dtype)

        self.confusion = self.add_variable(
            shape=(4, self._num_labels), initializer="zeros", dtype=self.dtype, name="confusion"
        )
        if self._keeps_histogram:
            bins = (self._num_labels + 1) ** 3
            self.histogram = self.add_variable(
                shape=(bins, 2), initializer="zeros", dtype=self.dtype, name="sample_histogram"
            )
            key_tp, key_fp, key_fn = decode_triples(np.arange(bins, dtype=np.int64), num_labels)
            self._key_counts = (key_tp, key_fp, key_fn)
        if self._keeps_sums:
            self.sample_sums = self.add_variable(
                shape=(4,), initializer="zeros", dtype=self.dtype, name="sample_sums"
            )

    # -- validation ---------------------------------------------------------------------------

    @staticmethod
    def _check_zero_division(zero_division: Any) -> float:
        # A saved configuration writes nan as the string "nan".
        if isinstance(zero_division, str) and zero_division.lower() == "nan":
            return math.nan
        return check_zero_division(
            zero_division, (0.0, 1.0, math.nan),
            context=" for Keras metrics (a compiled graph cannot warn)",
        )  # fmt: skip

    @staticmethod
    def _check_threshold(threshold: Any, num_labels: int) -> NDArray[np.float64]:
        if threshold is None:
            raise TypeError("threshold must be a number in [0, 1], one per label; got None")
        return check_probability_threshold(threshold, num_labels)

    def _check_inputs(self, y_true: Any, y_pred: Any) -> None:
        check_batch(y_true, y_pred, self._num_labels, self.name)

    # -- state ----------------------------------------------------------------------------------

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch of labels and scores (``keras.ops`` only: graph- and XLA-safe)."""
        y_true = ops.convert_to_tensor(y_true)
        y_pred = ops.convert_to_tensor(y_pred)
        self._check_inputs(y_true, y_pred)
        dtype = self.dtype
        if keras.backend.standardize_dtype(y_pred.dtype) == "float64":
            positive = y_pred >= ops.convert_to_tensor(self._cut64, dtype="float64")
        else:
            scores = ops.cast(y_pred, "float32")
            positive = scores >= ops.convert_to_tensor(self._cut32, dtype="float32")
        pred = ops.cast(positive, dtype)
        truth = ops.cast(y_true, dtype)
        hit = truth * pred
        ones = ops.ones_like(truth[:, 0])
        if sample_weight is None:
            weights = ones
            # Unweighted counts are integers, exact in float32 up to 2**24 per batch.
            tp, pred_sum, true_sum = ops.sum(hit, 0), ops.sum(pred, 0), ops.sum(truth, 0)
            fp = pred_sum - tp
            fn = true_sum - tp
            tn = ops.sum(weights) - true_sum - fp
        else:
            weights = self._weights(sample_weight, dtype)
            column = weights[:, None]
            # Weighted counts are each summed directly: differences of float sums leave
            # residues where a count is zero, which would hide a label's missing class.
            miss = truth - hit
            false_alarm = pred - hit
            tp = ops.sum(hit * column, 0)
            fp = ops.sum(false_alarm * column, 0)
            fn = ops.sum(miss * column, 0)
            tn = ops.sum((1 - truth - false_alarm) * column, 0)
        self.confusion.assign_add(ops.stack([tp, fp, fn, tn]))
        if not (self._keeps_histogram or self._keeps_sums):
            return
        sample_tp = ops.sum(hit, 1)
        sample_fp = ops.sum(pred, 1) - sample_tp
        sample_fn = ops.sum(truth, 1) - sample_tp
        if self._keeps_histogram:
            base = self._num_labels + 1
            keys = ops.cast((sample_tp * base + sample_fp) * base + sample_fn, "int32")
            self.histogram.assign_add(
                ops.segment_sum(ops.stack([weights, ones], axis=1), keys, num_segments=base**3)
            )
        if self._keeps_sums:
            values, _ = sample_values(
                self._formula, sample_tp, sample_fp, sample_fn, self._num_labels,
                self._zero_division, ops,
            )  # fmt: skip
            self.sample_sums.assign_add(ops.stack(mean_sums(values, weights, ones, ops)))

    @staticmethod
    def _weights(sample_weight: Any, dtype: str) -> Any:
        weights = ops.convert_to_tensor(sample_weight, dtype=dtype)
        shape = tuple(weights.shape)
        if len(shape) == 2 and shape[1] == 1:
            weights = ops.squeeze(weights, axis=1)
        elif len(shape) != 1:
            raise ValueError(
                f"sample_weight must have shape (batch,) or (batch, 1); got shape {shape}"
            )
        return weights

    def result(self) -> Any:
        """The metric value: a scalar, or one value per label with ``average=None``."""
        if self._average == "samples":
            if self._keeps_histogram:
                key_tp, key_fp, key_fn = (
                    ops.convert_to_tensor(k, dtype=self.dtype) for k in self._key_counts
                )
                values, _ = sample_values(
                    self._formula, key_tp, key_fp, key_fn, self._num_labels,
                    self._zero_division, ops,
                )  # fmt: skip
                value = samples_mean(values, self.histogram[:, 0], self.histogram[:, 1], ops)
            else:
                sums = self.sample_sums
                value = mean_from_sums((sums[0], sums[1], sums[2], sums[3]), ops)
        else:
            conf = self.confusion
            value, _ = average_counts(
                self._formula, conf[0], conf[1], conf[2], conf[3], self._average,
                self._zero_division, ops,
            )  # fmt: skip
        return ops.cast(value, self.dtype)

    # -- configuration --------------------------------------------------------------------------

    @property
    def num_labels(self) -> int:
        """Number of labels."""
        return self._num_labels

    @property
    def average(self) -> str | None:
        """The averaging mode."""
        return self._average

    @property
    def threshold(self) -> float | list[float]:
        """Threshold(s) on the probability scale."""
        return self._threshold

    @property
    def from_logits(self) -> bool:
        """Whether ``y_pred`` holds logits."""
        return self._from_logits

    @property
    def zero_division(self) -> float:
        """Value of undefined results."""
        return self._zero_division

    @property
    def keeps_sample_histogram(self) -> bool:
        """Whether the per-sample histogram is kept.

        [`to_counts`][multilabel_attr.keras.to_counts] needs it.
        """
        return self._keeps_histogram

    def get_config(self) -> dict[str, Any]:
        """JSON-serialisable constructor arguments (nan as the string ``"nan"``)."""
        config: dict[str, Any] = super().get_config()
        config.update(
            num_labels=self._num_labels,
            threshold=self._threshold,
            from_logits=self._from_logits,
            zero_division="nan" if math.isnan(self._zero_division) else self._zero_division,
            sample_histogram=self._sample_histogram,
        )
        if len(self._averages) > 1:
            config["average"] = self._average
        return config
