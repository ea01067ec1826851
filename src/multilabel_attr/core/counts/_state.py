"""Exact, mergeable streaming state for every count-based multi-label metric."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray
from typing_extensions import Self

from .._options import LABEL_AVERAGES, validated, zero_division_fill
from .._validation import check_average, check_batch, check_label_names
from . import _formulas as F
from ._averaging import (
    average_counts,
    describe_labels,
    present_counts,
    samples_average,
    samples_mean,
    warn_undefined,
)
from ._counting import BatchCounts, count_batch, merge_histograms
from ._serialization import SCHEMA_VERSION, state_arrays
from ._set_counting import count_sets
from ._set_input import check_labels, is_set_input, validate_sets

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def prepare_batch(
    y_true: Any,
    y_pred: Any,
    *,
    threshold: Any,
    from_logits: bool,
    sample_weight: Any,
    labels: Any = None,
) -> BatchCounts:
    """Validate one batch's data and count it (its options were checked at the door).

    Sparse matrices and [`TopK`][multilabel_attr.TopK] predictions are counted
    by ``_sparse`` without densifying; ``labels`` selects and orders columns.
    """
    if is_set_input(y_true) or is_set_input(y_pred):
        sets = validate_sets(
            y_true, y_pred, threshold=threshold, from_logits=from_logits,
            sample_weight=sample_weight, labels=labels,
        )  # fmt: skip
        return count_sets(*sets)
    batch = check_batch(
        y_true, y_pred, threshold=threshold, from_logits=from_logits, sample_weight=sample_weight
    )
    truth, pred, thresholds = batch.truth, batch.pred, batch.thresholds
    if labels is not None:
        columns = check_labels(labels, truth.shape[1])
        truth, pred = truth[:, columns], pred[:, columns]
        thresholds = None if thresholds is None else thresholds[columns]
    return count_batch(
        truth, pred, threshold=thresholds, from_logits=batch.from_logits,
        sample_weight=batch.weights,
    )  # fmt: skip


class MultilabelCounts:
    """Sufficient statistics of a multi-label evaluation, exact and mergeable.

    Holds the weighted per-label confusion counts (``tp``, ``fp``, ``fn``,
    ``tn``) and a histogram of the per-sample confusion triples, from which
    every count-based metric, including the ``"samples"`` averages, follows
    exactly.  Memory depends on the number of labels only: streaming any
    number of batches, in any split, and merging partial states gives the
    one-shot result.

    Parameters
    ----------
    n_labels : int
        Number of labels (columns).
    label_names : sequence of str, optional
        Names used in warnings and reports.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import MultilabelCounts, f1_score
    >>> y_true = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1]])
    >>> y_score = np.array([[.9, .2, .6], [.3, .8, .4], [.7, .6, .1], [.2, .1, .9]])
    >>> state = MultilabelCounts(3)
    >>> for rows in (slice(0, 1), slice(1, 4)):
    ...     _ = state.update(y_true[rows], y_score[rows], threshold=0.5)
    >>> round(state.f1_score(average="samples"), 6)
    0.916667
    >>> round(f1_score(y_true, y_score, threshold=0.5, average="samples"), 6)
    0.916667
    """

    __slots__ = (
        "fn",
        "fp",
        "label_names",
        "n_labels",
        "n_samples",
        "sample_count",
        "sample_keys",
        "sample_weight",
        "tn",
        "tp",
    )

    @validated("n_labels")
    def __init__(self, n_labels: int, *, label_names: Sequence[str] | None = None) -> None:
        self._setup(n_labels, label_names)

    @classmethod
    def _empty(cls, n_labels: int, label_names: Sequence[str] | None = None) -> Self:
        """An empty state for a number of labels already checked (the library's own path)."""
        state = cls.__new__(cls)
        state._setup(n_labels, label_names)
        return state

    def _setup(self, n_labels: int, label_names: Sequence[str] | None) -> None:
        self.n_labels = n_labels
        self.label_names = check_label_names(label_names, self.n_labels)
        self.tp = np.zeros(self.n_labels)
        self.fp = np.zeros(self.n_labels)
        self.fn = np.zeros(self.n_labels)
        self.tn = np.zeros(self.n_labels)
        self.sample_keys: IntArray = np.zeros(0, np.int64)
        self.sample_weight: FloatArray = np.zeros(0)
        self.sample_count: IntArray = np.zeros(0, np.int64)
        self.n_samples = 0

    # -- state -------------------------------------------------------------------------------

    @validated("from_logits", "threshold", "labels")
    def update(
        self,
        y_true: Any,
        y_pred: Any,
        *,
        threshold: Any = None,
        from_logits: bool = False,
        sample_weight: Any = None,
        labels: Any = None,
    ) -> Self:
        """Add one batch; returns ``self`` so calls can be chained.

        ``y_pred`` is 0/1 predictions when ``threshold`` is None, otherwise scores, positive where
        ``score >= threshold`` (see [`f1_score`][multilabel_attr.core.f1_score]).  ``y_true``
        and ``y_pred`` may be scipy.sparse CSR/CSC matrices, and ``y_pred`` a
        [`TopK`][multilabel_attr.TopK]; ``labels`` selects columns.  The state is unchanged if
        the batch is invalid.
        """
        batch = prepare_batch(
            y_true, y_pred, threshold=threshold, from_logits=from_logits,
            sample_weight=sample_weight, labels=labels,
        )  # fmt: skip
        if batch.tp.shape[0] != self.n_labels:
            raise ValueError(
                f"batch has {batch.tp.shape[0]} labels; this state counts {self.n_labels}"
            )
        self._add(batch)
        return self

    def _add(self, batch: BatchCounts) -> None:
        self.tp = self.tp + batch.tp
        self.fp = self.fp + batch.fp
        self.fn = self.fn + batch.fn
        self.tn = self.tn + batch.tn
        self.sample_keys, self.sample_weight, self.sample_count = merge_histograms(
            (self.sample_keys, batch.keys),
            (self.sample_weight, batch.key_weight),
            (self.sample_count, batch.key_count),
        )
        self.n_samples += batch.n_samples

    @classmethod
    @validated("from_logits", "threshold", "labels")
    def from_batch(
        cls,
        y_true: Any,
        y_pred: Any,
        *,
        threshold: Any = None,
        from_logits: bool = False,
        sample_weight: Any = None,
        label_names: Sequence[str] | None = None,
        labels: Any = None,
    ) -> Self:
        """Count one batch into a new state (the one-shot path of every metric)."""
        return cls._from_checked(
            y_true, y_pred, threshold=threshold, from_logits=from_logits,
            sample_weight=sample_weight, label_names=label_names, labels=labels,
        )  # fmt: skip

    @classmethod
    def _from_checked(
        cls,
        y_true: Any,
        y_pred: Any,
        *,
        threshold: Any,
        from_logits: bool,
        sample_weight: Any,
        label_names: Sequence[str] | None = None,
        labels: Any = None,
    ) -> Self:
        """[`from_batch`][multilabel_attr.MultilabelCounts.from_batch] for options already
        checked at the door (by the public function that calls it)."""
        batch = prepare_batch(
            y_true, y_pred, threshold=threshold, from_logits=from_logits,
            sample_weight=sample_weight, labels=labels,
        )  # fmt: skip
        state = cls.__new__(cls)
        state._set(batch, check_label_names(label_names, batch.tp.shape[0]))
        return state

    def _set(self, batch: BatchCounts, label_names: tuple[str, ...] | None) -> None:
        self.n_labels = int(batch.tp.shape[0])
        self.label_names = label_names
        self.tp, self.fp, self.fn, self.tn = batch.tp, batch.fp, batch.fn, batch.tn
        self.sample_keys = batch.keys
        self.sample_weight = batch.key_weight
        self.sample_count = batch.key_count
        self.n_samples = batch.n_samples

    def merge(self, other: MultilabelCounts) -> MultilabelCounts:
        """Return a new state holding the counts of ``self`` and ``other``."""
        if not isinstance(other, MultilabelCounts):
            raise TypeError(f"can only merge MultilabelCounts; got {type(other).__name__}")
        if other.n_labels != self.n_labels:
            raise ValueError(
                f"cannot merge states with different label counts: {self.n_labels} and "
                f"{other.n_labels}"
            )
        if (
            self.label_names is not None
            and other.label_names is not None
            and self.label_names != other.label_names
        ):
            raise ValueError("cannot merge states with different label_names")
        merged = MultilabelCounts._empty(self.n_labels, self.label_names or other.label_names)
        merged.tp = self.tp + other.tp
        merged.fp = self.fp + other.fp
        merged.fn = self.fn + other.fn
        merged.tn = self.tn + other.tn
        merged.sample_keys, merged.sample_weight, merged.sample_count = merge_histograms(
            (self.sample_keys, other.sample_keys),
            (self.sample_weight, other.sample_weight),
            (self.sample_count, other.sample_count),
        )
        merged.n_samples = self.n_samples + other.n_samples
        return merged

    def __add__(self, other: MultilabelCounts) -> MultilabelCounts:
        return self.merge(other)

    def reset(self) -> None:
        """Forget every counted sample."""
        self._setup(self.n_labels, self.label_names)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot.

        [`from_dict`][multilabel_attr.MultilabelCounts.from_dict] restores it exactly.
        """
        return {
            "schema_version": SCHEMA_VERSION,
            "n_labels": self.n_labels,
            "label_names": list(self.label_names) if self.label_names else None,
            "n_samples": self.n_samples,
            "tp": self.tp.tolist(),
            "fp": self.fp.tolist(),
            "fn": self.fn.tolist(),
            "tn": self.tn.tolist(),
            "sample_keys": self.sample_keys.tolist(),
            "sample_weight": self.sample_weight.tolist(),
            "sample_count": self.sample_count.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rebuild a state saved by [`to_dict`][multilabel_attr.MultilabelCounts.to_dict].

        Every field is checked (types, shapes, finite non-negative counts, keys that
        decode to possible triples, totals that agree), and an error names the field.
        """
        arrays = state_arrays(data)
        state = cls._empty(arrays.n_labels, arrays.label_names)
        state.tp, state.fp, state.fn, state.tn = arrays.tp, arrays.fp, arrays.fn, arrays.tn
        state.sample_keys = arrays.sample_keys
        state.sample_weight = arrays.sample_weight
        state.sample_count = arrays.sample_count
        state.n_samples = arrays.n_samples
        return state

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MultilabelCounts):
            return NotImplemented
        return bool(
            self.n_labels == other.n_labels
            and self.n_samples == other.n_samples
            and all(
                np.array_equal(getattr(self, name), getattr(other, name))
                for name in ("tp", "fp", "fn", "tn", "sample_keys", "sample_weight", "sample_count")
            )
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"MultilabelCounts(n_labels={self.n_labels}, n_samples={self.n_samples}, "
            f"distinct_sample_patterns={self.sample_keys.size})"
        )

    # -- metrics -----------------------------------------------------------------------------

    def _named(self) -> MultilabelCounts:
        """This state with label names: itself when it has them, else a shallow copy named
        ``label_0`` ... (a report names the labels of a state without renaming the state,
        which is saved and merged under the names it was given)."""
        if self.label_names:
            return self
        named = copy.copy(self)
        named.label_names = tuple(f"label_{i}" for i in range(self.n_labels))
        return named

    def _require_samples(self) -> None:
        if self.n_samples == 0:
            raise ValueError("no samples have been counted yet; call update() first")
        if not np.any(self.sample_weight > 0):
            raise ValueError(
                f"all {self.n_samples} counted samples have sample_weight 0, so every metric "
                "is undefined; give at least one sample a positive weight"
            )

    @overload
    def score(self, formula: F.Formula, average: None, zero_division: Any = ...) -> FloatArray: ...
    @overload
    def score(self, formula: F.Formula, average: str, zero_division: Any = ...) -> float: ...
    @validated("average", "zero_division")
    def score(
        self, formula: F.Formula, average: str | None, zero_division: Any = "warn"
    ) -> float | FloatArray:
        """Evaluate any [`Formula`][multilabel_attr.core.Formula] on these counts."""
        if not formula.samplewise:
            check_average(average, LABEL_AVERAGES)
        return self._score(formula, average, zero_division)

    def _score(self, formula: F.Formula, average: str | None, zero_division: Any) -> Any:
        """[`score`][multilabel_attr.MultilabelCounts.score] with its options checked."""
        fill = zero_division_fill(zero_division)
        self._require_samples()
        if average == "samples":
            return self._samples_score(formula, zero_division, fill)
        value, undefined = average_counts(
            formula, self.tp, self.fp, self.fn, self.tn, average, fill
        )
        self._warn_labels(formula, average, undefined, zero_division)
        if average is None:
            return np.asarray(value, np.float64)
        return float(value)

    def _warn_labels(
        self, formula: F.Formula, average: str | None, undefined: Any, zero_division: Any
    ) -> None:
        """Warn, naming the labels, where a label-based ``formula`` was undefined."""
        if zero_division == "warn" and np.any(undefined):
            if average == "micro":
                subject = "the micro average"
            else:
                subject = describe_labels(np.flatnonzero(undefined), self.label_names)
            warn_undefined(formula, subject, zero_division_fill(zero_division), zero_division)

    def _samples_score(
        self,
        formula: F.Formula,
        zero_division: Any,
        fill: float,
        scored: tuple[NDArray[np.float64], NDArray[np.bool_]] | None = None,
    ) -> float:
        """The ``samples`` average of ``formula``; ``scored`` gives its values (and where
        they are undefined) at this state's keys when they are already known."""
        present = present_counts(self.sample_weight, self.sample_count)
        if scored is None:
            value, undefined = samples_average(
                formula, self.sample_keys, self.sample_weight, present, self.n_labels, fill
            )
        else:
            value, undefined = samples_mean(scored[0], self.sample_weight, present, np), scored[1]
        self._warn_samples(formula, undefined, fill, zero_division)
        return float(value)

    def _warn_samples(
        self, formula: F.Formula, undefined: NDArray[np.bool_], fill: float, zero_division: Any
    ) -> None:
        """Warn, counting the samples, where a samplewise ``formula`` was undefined
        (``undefined``: one flag per key of this state)."""
        if zero_division != "warn":
            return
        # A zero-weight sample takes no part in a samples average, so it is not reported.
        undefined = undefined & (self.sample_weight > 0)
        if np.any(undefined):
            n_bad = int(self.sample_count[undefined].sum())
            subject = f"{n_bad} of {self.n_samples} sample{'s' if self.n_samples > 1 else ''}"
            warn_undefined(formula, subject, fill, zero_division)

    @validated("average", "zero_division")
    def precision_score(self, average: str | None = "macro", zero_division: Any = "warn") -> Any:
        """Precision; see [`precision_score`][multilabel_attr.precision_score]."""
        return self._score(F.PRECISION, average, zero_division)

    @validated("average", "zero_division")
    def recall_score(self, average: str | None = "macro", zero_division: Any = "warn") -> Any:
        """Recall; see [`recall_score`][multilabel_attr.recall_score]."""
        return self._score(F.RECALL, average, zero_division)

    @validated("beta", "average", "zero_division")
    def fbeta_score(
        self, beta: float, average: str | None = "macro", zero_division: Any = "warn"
    ) -> Any:
        """F-beta; see [`fbeta_score`][multilabel_attr.fbeta_score]."""
        return self._score(F.fbeta_formula(beta), average, zero_division)

    @validated("average", "zero_division")
    def f1_score(self, average: str | None = "macro", zero_division: Any = "warn") -> Any:
        """F1; see [`f1_score`][multilabel_attr.f1_score]."""
        return self._score(F.fbeta_formula(1.0), average, zero_division)

    @validated("average", "zero_division")
    def jaccard_score(self, average: str | None = "macro", zero_division: Any = "warn") -> Any:
        """Jaccard index; see [`jaccard_score`][multilabel_attr.jaccard_score]."""
        return self._score(F.JACCARD, average, zero_division)

    @validated("zero_division", average="label_average")
    def specificity_score(self, average: str | None = "macro", zero_division: Any = "warn") -> Any:
        """Specificity; see [`specificity_score`][multilabel_attr.specificity_score]."""
        return self._score(F.SPECIFICITY, average, zero_division)

    @validated("zero_division", average="label_average")
    def npv_score(self, average: str | None = "macro", zero_division: Any = "warn") -> Any:
        """Negative predictive value; see [`npv_score`][multilabel_attr.npv_score]."""
        return self._score(F.NPV, average, zero_division)

    @validated("zero_division", average="label_average")
    def balanced_accuracy_score(
        self, average: str | None = "macro", zero_division: Any = "warn"
    ) -> Any:
        """Balanced accuracy.

        See [`balanced_accuracy_score`][multilabel_attr.balanced_accuracy_score].
        """
        return self._score(F.BALANCED_ACCURACY, average, zero_division)

    @validated("zero_division", average="label_average")
    def matthews_corrcoef(self, average: str | None = "macro", zero_division: Any = "warn") -> Any:
        """Matthews correlation; see [`matthews_corrcoef`][multilabel_attr.matthews_corrcoef]."""
        return self._score(F.MATTHEWS, average, zero_division)

    @validated("zero_division", average="label_average")
    def cohen_kappa_score(self, average: str | None = "macro", zero_division: Any = "warn") -> Any:
        """Cohen's kappa; see [`cohen_kappa_score`][multilabel_attr.cohen_kappa_score]."""
        return self._score(F.COHEN_KAPPA, average, zero_division)

    def hamming_loss(self) -> float:
        """Weighted fraction of wrong label cells.

        See [`hamming_loss`][multilabel_attr.hamming_loss].
        """
        self._require_samples()
        return self._micro_ratio(F.ERROR_RATE)

    def label_accuracy(self) -> float:
        """Weighted fraction of correct label cells (``1 - hamming_loss``)."""
        self._require_samples()
        return self._micro_ratio(F.LABEL_ACCURACY)

    def _micro_ratio(self, formula: F.Formula) -> float:
        value, undefined = average_counts(
            formula, self.tp, self.fp, self.fn, self.tn, "micro", math.nan
        )
        if undefined:
            warn_undefined(formula, "all samples", math.nan, "warn")
        return float(value)

    @validated("zero_division")
    def hamming_score(self, zero_division: Any = "warn") -> float:
        """Mean per-sample Jaccard index; see [`hamming_score`][multilabel_attr.hamming_score]."""
        return self._score(F.JACCARD, "samples", zero_division)

    def subset_accuracy(self) -> float:
        """Weighted fraction of samples predicted exactly.

        See [`subset_accuracy`][multilabel_attr.subset_accuracy].
        """
        self._require_samples()
        return self._samples_score(F.EXACT_MATCH, "warn", math.nan)

    def confusion_matrix(self) -> FloatArray:
        """Per-label ``[[tn, fp], [fn, tp]]`` as an array of shape (n_labels, 2, 2)."""
        return np.stack([self.tn, self.fp, self.fn, self.tp], axis=1).reshape(-1, 2, 2)

    @property
    def support(self) -> FloatArray:
        """Weighted number of true positives per label (``tp + fn``)."""
        return self.tp + self.fn

    @property
    def total_weight(self) -> float:
        """Sum of the sample weights counted (the number of samples when unweighted)."""
        return float(self.sample_weight.sum())
