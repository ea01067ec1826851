"""Streaming AUROC and average precision as Keras metrics, with a stated error bound.

The state is the class-count half of a [`ScoreSketch`][multilabel_attr.ScoreSketch]:
weighted positive and negative counts per label and score bin, on the same
bin edges.  ``update_state`` bins the scores (``keras.ops.searchsorted``
against the float32 ceilings of the edges, so a float32 score lands in the
same bin as in the core) and adds the counts with ``segment_sum``; ``result``
evaluates the core's estimators with ``xp=keras.ops``.  Counts add up, so the
metrics are exact over any batch split, reset between epochs by Keras, and
sum correctly across replicas under ``tf.distribute``.

The Keras state keeps no per-bin score range (a minimum does not survive the
sum that combines replicas), so the metrics do not know which bins hold a
single repeated score; their estimate then equals the sketch's wherever no
bin is made of one repeated score, and the bound is never smaller.

The bins follow the sketch's current layout (``ScoreSketch.edges_version``).  The
config records that version, and a config of another layout (or one without it,
saved before the layout had a version, with layout 1) is refused on load: counts
binned under one layout read under another give wrong values, not an error.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from ..core._internal import (
    DEFAULT_BINS,
    EDGES_VERSION,
    ap_from_bins,
    auroc_from_bins,
    check_options,
    float32_ceiling,
    nan_mean,
    sketch_edges,
)
from ._base import MultilabelMetric, _snake_case, check_batch

_register = keras.saving.register_keras_serializable(package="multilabel_attr")

_AVERAGES: tuple[str | None, ...] = ("macro", "weighted", "micro", None)


class _RankingMetric(keras.metrics.Metric):  # type: ignore[misc]
    """Shared state and update of [`AUROC`][multilabel_attr.keras.AUROC] and
    [`AveragePrecision`][multilabel_attr.keras.AveragePrecision]."""

    _estimator: Any

    def __init__(
        self,
        num_labels: int,
        *,
        average: str | None = "macro",
        n_bins: int = DEFAULT_BINS,
        from_logits: bool = False,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        checked = check_options(
            {
                "num_labels": ("n_labels", num_labels),
                "n_bins": ("n_bins", n_bins),
                "from_logits": ("from_logits", from_logits),
            }
        )
        num_labels, n_bins = checked["num_labels"], checked["n_bins"]
        if average not in _AVERAGES:
            allowed = ", ".join(repr(a) for a in _AVERAGES)
            raise ValueError(
                f"average must be one of {allowed} for {type(self).__name__}; got {average!r}"
            )
        self._num_labels = num_labels
        self._n_bins = n_bins
        self._average = average
        self._from_logits = checked["from_logits"]
        self._edges32 = float32_ceiling(sketch_edges(n_bins, self._from_logits)[1:-1])
        if name is None:
            name = _snake_case(type(self).__name__)
            name += "_per_label" if average is None else f"_{average}"
        super().__init__(name=name, dtype=dtype)
        self.bins = self.add_variable(
            shape=(num_labels, n_bins, 2), initializer="zeros", dtype=self.dtype, name="bins"
        )

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add one batch (``keras.ops`` only: graph-, XLA- and jit-safe)."""
        y_true = ops.convert_to_tensor(y_true)
        y_pred = ops.convert_to_tensor(y_pred)
        check_batch(y_true, y_pred, self._num_labels, self.name)
        scores = ops.reshape(ops.cast(y_pred, "float32"), (-1,))
        edges = ops.convert_to_tensor(self._edges32, dtype="float32")
        index = ops.cast(ops.searchsorted(edges, scores, side="right"), "int32")
        labels = ops.reshape(ops.arange(self._num_labels, dtype="int32") * self._n_bins, (1, -1))
        keys = ops.reshape(ops.reshape(index, ops.shape(y_pred)) + labels, (-1,))
        truth = ops.cast(y_true, self.dtype)
        if sample_weight is None:
            weights = ops.ones_like(truth)
        else:
            weights = MultilabelMetric._weights(sample_weight, self.dtype)[:, None] + 0 * truth
        pos = ops.reshape(truth * weights, (-1,))
        neg = ops.reshape((1 - truth) * weights, (-1,))
        counts = ops.segment_sum(
            ops.stack([neg, pos], axis=1), keys, num_segments=self._num_labels * self._n_bins
        )
        self.bins.assign_add(ops.reshape(counts, (self._num_labels, self._n_bins, 2)))

    def _estimate(self) -> tuple[Any, Any]:
        neg, pos = self.bins[..., 0], self.bins[..., 1]
        if self._average == "micro":
            return type(self)._estimator(ops.sum(pos, axis=0), ops.sum(neg, axis=0), None, ops)
        values, bounds = type(self)._estimator(pos, neg, None, ops)
        if self._average is None:
            return values, bounds
        weights = ops.sum(pos, axis=1) if self._average == "weighted" else None
        return nan_mean(values, weights, ops), nan_mean(bounds, weights, ops)

    def result(self) -> Any:
        """The estimate: a scalar, or one value per label with ``average=None``."""
        return ops.cast(self._estimate()[0], self.dtype)

    def bound(self) -> Any:
        """The guaranteed bound on ``|result() - exact|``, shaped like ``result()``."""
        return ops.cast(self._estimate()[1], self.dtype)

    @property
    def num_labels(self) -> int:
        """Number of labels."""
        return self._num_labels

    @property
    def n_bins(self) -> int:
        """Score bins per label."""
        return self._n_bins

    @property
    def average(self) -> str | None:
        """The averaging mode."""
        return self._average

    @property
    def from_logits(self) -> bool:
        """Whether ``y_pred`` holds logits."""
        return self._from_logits

    @property
    def edges_version(self) -> int:
        """Version of the sketch's bin layout the counts are kept in."""
        return EDGES_VERSION

    def get_config(self) -> dict[str, Any]:
        """JSON-serialisable constructor arguments and the bin layout's version."""
        config: dict[str, Any] = super().get_config()
        config.update(
            num_labels=self._num_labels,
            average=self._average,
            n_bins=self._n_bins,
            from_logits=self._from_logits,
            edges_version=EDGES_VERSION,
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        """The metric of a ``get_config`` result, refused if its bin layout is not the current one.

        Raises
        ------
        ValueError
            If the config was saved with another bin layout than the current one; a
            config without ``edges_version`` predates the versions and has layout 1.
        TypeError
            If ``edges_version`` is not an int.
        """
        config = dict(config)
        # Configs written before the layout had a version were binned with layout 1.
        version = config.pop("edges_version", 1)
        if isinstance(version, bool) or not isinstance(version, int):
            raise TypeError(
                f"edges_version in the config of {cls.__name__} must be an int; "
                f"got {version!r} ({type(version).__name__})"
            )
        if version != EDGES_VERSION:
            raise ValueError(
                f"{cls.__name__} {config.get('name', '')!r} was saved with score-bin layout "
                f"version {version}; this version of multilabel_attr bins scores with layout "
                f"{EDGES_VERSION} (ScoreSketch.edges_version), and counts of one layout read "
                f"under another give wrong values. Create a new {cls.__name__} (for a saved "
                "model: keras.models.load_model(path, compile=False), then compile it again) "
                "and evaluate the data again."
            )
        return cls(**config)


@_register
class AUROC(_RankingMetric):
    """Area under the ROC curve, streamed through a fixed-memory score histogram.

    Same bins, estimate and bound as
    [`ScoreSketch.roc_auc`][multilabel_attr.ScoreSketch.roc_auc]; undefined labels
    (a single class seen) are ``nan`` and left out of ``macro``/``weighted``.

    Parameters
    ----------
    num_labels : int
    average : {"macro", "weighted", "micro"} or None, default="macro"
    n_bins : int, default=1024
        Score bins per label; the state holds ``2 * n_bins`` floats per label.
    from_logits : bool, default=False
        ``y_pred`` holds logits; the bins are then on the logit scale.
    name : str, optional
    dtype : str, optional
        Dtype of the counts and the result (default: Keras's float type).
    """

    _estimator = staticmethod(auroc_from_bins)


@_register
class AveragePrecision(_RankingMetric):
    """Average precision, streamed through a fixed-memory score histogram.

    Same bins, estimate and bound as
    [`ScoreSketch.average_precision`][multilabel_attr.ScoreSketch.average_precision];
    parameters as in [`AUROC`][multilabel_attr.keras.AUROC].  A label without
    positives is ``nan`` and left out of ``macro``/``weighted``.
    """

    _estimator = staticmethod(ap_from_bins)
