"""[`CalibrationState`][multilabel_attr.CalibrationState]: mergeable, fixed-memory calibration sums.

Per label it keeps, for ``n_bins`` equal-width bins on ``[0, 1]``, the weight, the
weighted sum of scores and the weighted sum of labels; the weighted sums of the
Brier and log losses; and, unless ``sketch_bins=None``, the same three sums over
the fine bins of the [`ScoreSketch`][multilabel_attr.ScoreSketch] layout, from
which equal-mass bins are built with a stated bound.  With ``exact=True`` it also
keeps every score, so equal-mass bins are exact.  Every metric is a pure function
of these sums ([`calibration_error_from_sums`][multilabel_attr.calibration_error_from_sums]).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._options import validated
from .._validation import check_label_names
from ..counts._averaging import nan_average
from ..ranking._sketch_bins import DEFAULT_BINS
from ._batch import BatchSums, batch_sums, check_calibration_batch
from ._binning import uniform_edges
from ._json import state_from_dict, state_to_dict
from ._quantile import QuantileBins, exact_quantile_bins, sketch_quantile_bins
from ._sums import calibration_error_from_sums, curve_from_sums, mean_loss_from_sums

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ReliabilityCurve:
    """A reliability curve per label: the mean score and observed rate of each bin.

    Attributes
    ----------
    edges : ndarray of shape (n_labels, n_bins + 1)
        Bin edges on the probability scale (the equal-mass ones differ per label).
    mean_score : ndarray of shape (n_labels, n_bins)
        Weighted mean score of each bin; ``nan`` for an empty bin.
    observed_rate : ndarray of shape (n_labels, n_bins)
        Weighted fraction of positives of each bin; ``nan`` for an empty bin.
    weight : ndarray of shape (n_labels, n_bins)
        Total sample weight of each bin (the count without weights).
    """

    edges: FloatArray
    mean_score: FloatArray
    observed_rate: FloatArray
    weight: FloatArray


class CalibrationState:
    """Mergeable, fixed-memory state of the calibration metrics of every label.

    See the module documentation for what it keeps.  Memory is
    ``3 * (n_bins + sketch_bins) + 2`` floats per label, whatever the number of
    samples (plus every score with ``exact=True``).

    Parameters
    ----------
    n_labels : int
    n_bins : int, default=15
        Bins of the calibration error and the reliability curve (at least 1).
    label_names : sequence of str, optional
    from_logits : bool, default=False
        The scores are logits; they are turned into probabilities with the sigmoid.
    exact : bool, default=False
        Also keep every score, so equal-mass bins are exact.
    sketch_bins : int or None, default=1024
        Fine bins (the [`ScoreSketch`][multilabel_attr.ScoreSketch] layout) from which
        equal-mass bins are built without ``exact``; ``None`` keeps none (equal-mass
        bins then need ``exact=True``).

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import CalibrationState
    >>> y = np.array([[1, 0], [0, 0], [1, 1], [0, 1]])
    >>> p = np.array([[0.9, 0.2], [0.3, 0.1], [0.6, 0.7], [0.2, 0.4]])
    >>> state = CalibrationState(2, n_bins=2).update(y[:2], p[:2]) + CalibrationState(
    ...     2, n_bins=2).update(y[2:], p[2:])
    >>> state.calibration_error(average=None).round(4).tolist()
    [0.25, 0.15]
    >>> round(state.brier_score(average="macro"), 4)
    0.1
    """

    __slots__ = (
        "_chunks", "brier_sum", "exact", "fine", "from_logits", "label_names", "label_sum",
        "log_loss_sum", "max_weight", "n_bins", "n_labels", "n_samples", "score_sum",
        "sketch_bins", "weight",
    )  # fmt: skip

    @validated("n_labels", "from_logits", "exact", "sketch_bins", n_bins="calibration_bins")
    def __init__(
        self,
        n_labels: int,
        *,
        n_bins: int = 15,
        label_names: Sequence[str] | None = None,
        from_logits: bool = False,
        exact: bool = False,
        sketch_bins: int | None = DEFAULT_BINS,
    ) -> None:
        self.n_labels = n_labels
        self.n_bins = n_bins
        self.label_names = check_label_names(label_names, self.n_labels)
        self.from_logits = from_logits
        self.exact = exact
        self.sketch_bins = 0 if exact or sketch_bins is None else sketch_bins
        shape = (self.n_labels, self.n_bins)
        self.weight: FloatArray = np.zeros(shape)
        self.score_sum: FloatArray = np.zeros(shape)
        self.label_sum: FloatArray = np.zeros(shape)
        self.brier_sum: FloatArray = np.zeros(self.n_labels)
        self.log_loss_sum: FloatArray = np.zeros(self.n_labels)
        fine_shape = (self.n_labels, self.sketch_bins)
        self.fine: tuple[FloatArray, FloatArray, FloatArray] | None = (
            (np.zeros(fine_shape), np.zeros(fine_shape), np.zeros(fine_shape))
            if self.sketch_bins
            else None
        )
        self.max_weight = 0.0
        self.n_samples = 0
        self._chunks: list[tuple[NDArray[np.bool_], FloatArray, FloatArray | None]] = []

    @classmethod
    def _checked(cls, n_labels: int, **options: Any) -> CalibrationState:
        """An empty state, as the constructor builds it, for options already checked (at the
        door, by the public function or the engine that calls it, or when the state they come
        from was built): each partition and each merge does not check them again."""
        state = cls.__new__(cls)
        cls.__init__.__wrapped__(state, n_labels, **options)  # type: ignore[attr-defined]
        return state

    # -- state -------------------------------------------------------------------------------

    def update(self, y_true: Any, y_score: Any, *, sample_weight: Any = None) -> CalibrationState:
        """Add one batch of shape (n_samples, n_labels); returns ``self``.

        ``y_score`` holds probabilities in ``[0, 1]`` (finite logits with
        ``from_logits=True``).  The state is unchanged if the batch is invalid.
        """
        batch = check_calibration_batch(
            y_true, y_score, sample_weight, from_logits=self.from_logits, n_labels=self.n_labels
        )
        self._add(batch_sums(batch, self.n_bins, self.sketch_bins))
        if batch.weights is not None:
            self.max_weight = max(self.max_weight, float(batch.weights.max()))
        elif batch.truth.shape[0]:
            self.max_weight = max(self.max_weight, 1.0)
        self.n_samples += batch.truth.shape[0]
        if self.exact:
            probs = batch.probs.copy() if batch.probs is y_score else batch.probs
            self._chunks.append((batch.truth.copy(), probs, batch.weights))
        return self

    def _add(self, sums: BatchSums) -> None:
        self.weight = self.weight + sums.weight
        self.score_sum = self.score_sum + sums.score_sum
        self.label_sum = self.label_sum + sums.label_sum
        self.brier_sum = self.brier_sum + sums.brier
        self.log_loss_sum = self.log_loss_sum + sums.log_loss
        if self.fine is not None and sums.fine is not None:
            self.fine = (
                self.fine[0] + sums.fine[0],
                self.fine[1] + sums.fine[1],
                self.fine[2] + sums.fine[2],
            )

    def _sums(self) -> BatchSums:
        return BatchSums(
            self.weight, self.score_sum, self.label_sum, self.brier_sum, self.log_loss_sum,
            self.fine,
        )  # fmt: skip

    def _check_compatible(self, other: Any) -> None:
        if not isinstance(other, CalibrationState):
            raise TypeError(f"other must be a CalibrationState; got {type(other).__name__}")
        for name in ("n_labels", "n_bins", "from_logits", "exact", "sketch_bins"):
            if getattr(self, name) != getattr(other, name):
                raise ValueError(
                    f"cannot merge calibration states with different {name}: "
                    f"{getattr(self, name)!r} and {getattr(other, name)!r}"
                )
        if self.label_names and other.label_names and self.label_names != other.label_names:
            raise ValueError("cannot merge calibration states with different label_names")

    def merge(self, other: CalibrationState) -> CalibrationState:
        """A new state holding the data of ``self`` and ``other`` (same settings required)."""
        self._check_compatible(other)
        merged = self.empty_like(label_names=self.label_names or other.label_names)
        merged._add(self._sums() + other._sums())
        merged.max_weight = max(self.max_weight, other.max_weight)
        merged.n_samples = self.n_samples + other.n_samples
        merged._chunks = [*self._chunks, *other._chunks]
        return merged

    def __add__(self, other: CalibrationState) -> CalibrationState:
        return self.merge(other)

    def empty_like(self, *, label_names: Sequence[str] | None = None) -> CalibrationState:
        """An empty state with the same settings."""
        return CalibrationState._checked(
            self.n_labels, n_bins=self.n_bins, from_logits=self.from_logits, exact=self.exact,
            sketch_bins=self.sketch_bins or None,
            label_names=label_names if label_names is not None else self.label_names,
        )  # fmt: skip

    def reset(self) -> None:
        """Forget every sample."""
        fresh = self.empty_like()
        for name in self.__slots__:
            setattr(self, name, getattr(fresh, name))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot (versioned);
        [`from_dict`][multilabel_attr.core.CalibrationState.from_dict] restores it exactly."""
        return state_to_dict(self)

    @classmethod
    def from_dict(cls, data: Any) -> CalibrationState:
        """Rebuild a state from [`to_dict`][multilabel_attr.core.CalibrationState.to_dict] output,
        validating every field."""
        return state_from_dict(cls, data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CalibrationState):
            return NotImplemented
        return state_to_dict(self) == state_to_dict(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"CalibrationState(n_labels={self.n_labels}, n_bins={self.n_bins}, "
            f"n_samples={self.n_samples}, from_logits={self.from_logits}, exact={self.exact})"
        )

    # -- metrics -----------------------------------------------------------------------------

    @property
    def total_weight(self) -> float:
        """Total sample weight seen (the count without weights)."""
        return float(self.weight[0].sum())

    @property
    def support(self) -> FloatArray:
        """Weighted count of positives per label (the weights of ``average="weighted"``)."""
        support: FloatArray = self.label_sum.sum(axis=1)
        return support

    def _require_samples(self) -> None:
        if self.n_samples == 0:
            raise ValueError("no samples have been added yet; call update() first")
        if not self.total_weight > 0:
            raise ValueError(
                f"all {self.n_samples} samples have sample_weight 0, so every calibration "
                "metric is undefined; give at least one sample a positive weight"
            )

    def _average(self, per_label: FloatArray, pooled: Any, average: str | None) -> Any:
        if average is None:
            return per_label
        if average == "micro":
            return float(pooled())
        return nan_average(per_label, self.support if average == "weighted" else None)

    def exact_arrays(self) -> tuple[NDArray[np.bool_], FloatArray, FloatArray | None]:
        """Every label, probability and weight kept in exact mode, in arrival order."""
        truths, probs, weights = zip(*self._chunks, strict=True)
        if all(w is None for w in weights):
            return np.concatenate(truths), np.concatenate(probs), None
        filled = [
            np.ones(t.shape[0]) if w is None else w for t, w in zip(truths, weights, strict=True)
        ]
        return np.concatenate(truths), np.concatenate(probs), np.concatenate(filled)

    @validated(strategy="calibration_strategy")
    def binned_sums(self, strategy: str = "uniform", *, micro: bool = False) -> QuantileBins:
        """Per-bin sums of every label (pooled over labels with ``micro``).

        Equal-width sums are the state's own; equal-mass ones are built from the
        scores in exact mode and from the fine bins otherwise (with ``moved``,
        the weight that may lie across each edge; see the guide's bound).
        """
        self._require_samples()
        if strategy == "uniform":
            sums = [self.weight, self.score_sum, self.label_sum]
            if micro:
                sums = [s.sum(axis=0, keepdims=True) for s in sums]
            edges = np.broadcast_to(uniform_edges(self.n_bins), (sums[0].shape[0], self.n_bins + 1))
            return QuantileBins(np.asarray(edges), sums[0], sums[1], sums[2], None)
        if self.exact:
            return exact_quantile_bins(*self.exact_arrays(), self.n_bins, micro=micro)
        if self.fine is None:
            raise ValueError(
                "strategy='quantile' needs the scores (exact=True) or fine bins (sketch_bins); "
                "this state was built with sketch_bins=None and exact=False"
            )
        return sketch_quantile_bins(
            self.fine, self.n_bins, self.max_weight, micro=micro, label_names=self.label_names
        )

    @validated("norm", strategy="calibration_strategy", average="label_average")
    def calibration_error(
        self, norm: str = "l1", *, average: str | None = "macro", strategy: str = "uniform"
    ) -> Any:
        """Expected (``norm="l1"``) or maximum (``norm="max"``) calibration error.

        Parameters
        ----------
        norm : {"l1", "max"}, default="l1"
        average : {"macro", "weighted", "micro"} or None, default="macro"
            ``None`` gives one value per label; ``"weighted"`` weighs labels by
            support; ``"micro"`` pools every (sample, label) cell into the same bins.
        strategy : {"uniform", "quantile"}, default="uniform"
            Equal-width or equal-mass bins (exact with ``exact=True``; otherwise
            from the fine bins, within
            [`calibration_error_bound`][multilabel_attr.core.CalibrationState.calibration_error_bound]).
        """
        bins = self.binned_sums(strategy)
        per_label = calibration_error_from_sums(bins.weight, bins.score_sum, bins.label_sum, norm)

        def pooled() -> Any:
            b = self.binned_sums(strategy, micro=True)
            return calibration_error_from_sums(b.weight, b.score_sum, b.label_sum, norm)[0]

        return self._average(np.asarray(per_label), pooled, average)

    @validated("norm", strategy="calibration_strategy", average="label_average")
    def calibration_error_bound(
        self, norm: str = "l1", *, average: str | None = "macro", strategy: str = "quantile"
    ) -> Any:
        """Bound on ``|calibration_error - exact|`` for the same arguments.

        The exact value is the one with bins built from all the scores; ``0`` for
        equal-width bins and in exact mode.  See the guide for the derivation.
        """
        bins = self.binned_sums(strategy)
        per_label = bins.bounds(norm)

        def pooled() -> Any:
            return self.binned_sums(strategy, micro=True).bounds(norm)[0]

        return self._average(per_label, pooled, average)

    @validated(average="label_average")
    def brier_score(self, average: str | None = "macro") -> Any:
        """Brier score: the weighted mean of ``(score - label)^2`` (see ``average`` above)."""
        return self._mean_loss(self.brier_sum, average)

    @validated(average="label_average")
    def log_loss(self, average: str | None = "macro") -> Any:
        """Log loss: the weighted mean of ``-log`` of the probability given to the true label,
        probabilities clipped to ``[eps, 1 - eps]`` (scikit-learn's rule)."""
        return self._mean_loss(self.log_loss_sum, average)

    def _mean_loss(self, loss_sum: FloatArray, average: str | None) -> Any:
        self._require_samples()
        total = self.weight.sum(axis=1)
        per_label = np.asarray(mean_loss_from_sums(loss_sum, total))
        return self._average(
            per_label, lambda: mean_loss_from_sums(loss_sum.sum(), total.sum()), average
        )

    @validated(strategy="calibration_strategy")
    def calibration_curve(self, *, strategy: str = "uniform") -> ReliabilityCurve:
        """The reliability curve of every label (empty bins are ``nan``, not dropped)."""
        bins = self.binned_sums(strategy)
        mean_score, observed = curve_from_sums(bins.weight, bins.score_sum, bins.label_sum)
        return ReliabilityCurve(bins.edges, mean_score, observed, bins.weight)
