"""`StreamingEvaluation`: the whole [`Report`][multilabel_attr.Report], batch by batch.

Composes the exact confusion counts ([`MultilabelCounts`][multilabel_attr.MultilabelCounts])
of the thresholded scores with a [`ScoreSketch`][multilabel_attr.ScoreSketch] of
the scores themselves, so the ranking columns stream and merge too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._options import validated
from .._validation import check_probability_threshold, per_label
from ..counts._state import MultilabelCounts
from ..ranking._sketch import ScoreSketch
from ..ranking._sketch_bins import DEFAULT_BINS
from ._evaluate import Report, report_from_counts

STREAMING_SCHEMA_VERSION = 1


class StreamingEvaluation:
    """Streaming, mergeable state behind a full [`Report`][multilabel_attr.Report].

    Each batch is counted at ``threshold`` (exactly, as in
    [`evaluate`][multilabel_attr.evaluate]) and added to a score sketch; the
    report's AUROC and average-precision columns come from the sketch, with
    their guaranteed bounds in the ``auroc_bound`` and
    ``average_precision_bound`` columns (0 with ``exact=True``, where the
    columns equal [`evaluate`][multilabel_attr.evaluate]'s).

    Parameters
    ----------
    n_labels : int
    threshold : float or array-like of shape (n_labels,), default=0.5
        Positive where ``score >= threshold`` (probability scale).
    label_names : sequence of str, optional
    from_logits : bool, default=False
        Scores are logits (threshold still on the probability scale).
    n_bins : int, default=1024
    exact : bool, default=False
        Keep every score so the ranking columns are exact.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import StreamingEvaluation
    >>> rng = np.random.default_rng(0)
    >>> y = rng.random((200, 2)) < 0.4
    >>> s = np.clip(0.5 * y + 0.6 * rng.random((200, 2)), 0, 1)
    >>> state = StreamingEvaluation(2, label_names=["a", "b"])
    >>> for rows in (slice(0, 50), slice(50, 200)):
    ...     _ = state.update(y[rows], s[rows])
    >>> report = state.report(zero_division=0)
    >>> sorted(c for c in report.per_label if c.endswith("_bound"))
    ['auroc_bound', 'average_precision_bound']
    """

    __slots__ = ("counts", "from_logits", "sketch", "threshold")

    @validated("n_labels", "threshold", "from_logits", "n_bins", "exact")
    def __init__(
        self,
        n_labels: int,
        *,
        threshold: Any = 0.5,
        label_names: Sequence[str] | None = None,
        from_logits: bool = False,
        n_bins: int = DEFAULT_BINS,
        exact: bool = False,
    ) -> None:
        self.counts = MultilabelCounts._empty(n_labels, label_names)
        self.sketch = ScoreSketch._empty(n_labels, n_bins, from_logits, exact, label_names)
        per_label(threshold, n_labels)
        self.threshold: float | list[float] = threshold.tolist()
        self.from_logits = from_logits

    def update(
        self, y_true: Any, y_score: Any, *, sample_weight: Any = None
    ) -> StreamingEvaluation:
        """Add one batch of labels and scores; returns ``self``.

        Both parts are validated before either changes.
        """
        batch = MultilabelCounts._from_checked(
            y_true, y_score, threshold=np.asarray(self.threshold), from_logits=self.from_logits,
            sample_weight=sample_weight,
        )  # fmt: skip
        if batch.n_labels != self.counts.n_labels:
            raise ValueError(
                f"batch has {batch.n_labels} labels; this state holds {self.counts.n_labels}"
            )
        self.sketch.update(y_true, y_score, sample_weight=sample_weight)
        self.counts = self.counts.merge(batch)
        return self

    def merge(self, other: StreamingEvaluation) -> StreamingEvaluation:
        """A new state holding both (same threshold, scale and sketch settings)."""
        if not isinstance(other, StreamingEvaluation):
            raise TypeError(f"other must be a StreamingEvaluation; got {type(other).__name__}")
        if other.threshold != self.threshold:
            raise ValueError(
                f"cannot merge states with different thresholds: {self.threshold!r} and "
                f"{other.threshold!r}"
            )
        merged = StreamingEvaluation.__new__(StreamingEvaluation)
        merged.sketch = self.sketch.merge(other.sketch)
        merged.counts = self.counts.merge(other.counts)
        merged.threshold = self.threshold
        merged.from_logits = self.from_logits
        return merged

    def __add__(self, other: StreamingEvaluation) -> StreamingEvaluation:
        return self.merge(other)

    def reset(self) -> None:
        """Forget every sample."""
        self.counts.reset()
        self.sketch.reset()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot;
        [`from_dict`][multilabel_attr.StreamingEvaluation.from_dict] restores it.
        """
        return {
            "schema_version": STREAMING_SCHEMA_VERSION,
            "threshold": self.threshold,
            "counts": self.counts.to_dict(),
            "sketch": self.sketch.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> StreamingEvaluation:
        """Rebuild a state saved by [`to_dict`][multilabel_attr.StreamingEvaluation.to_dict]
        (each part validated by its own loader).
        """
        if not isinstance(data, dict) or data.get("schema_version") != STREAMING_SCHEMA_VERSION:
            got = data.get("schema_version") if isinstance(data, dict) else type(data).__name__
            raise ValueError(
                f"data must come from StreamingEvaluation.to_dict() with schema_version "
                f"{STREAMING_SCHEMA_VERSION}; got {got!r}"
            )
        state = cls.__new__(cls)
        state.counts = MultilabelCounts.from_dict(data["counts"])
        state.sketch = ScoreSketch.from_dict(data["sketch"])
        if state.counts.n_labels != state.sketch.n_labels:
            raise ValueError("data's 'counts' and 'sketch' hold different numbers of labels")
        state.threshold = data["threshold"]
        check_probability_threshold(state.threshold, state.counts.n_labels)
        state.from_logits = state.sketch.from_logits
        return state

    @validated("zero_division")
    def report(self, zero_division: Any = "warn") -> Report:
        """The full report: count metrics exactly, ranking columns from the sketch with bounds."""
        self.counts._require_samples()
        auc = self.sketch._ranking(None, which=0)
        ap = self.sketch._ranking(None, which=1)
        columns = {
            "auroc": auc.value.tolist(),
            "average_precision": ap.value.tolist(),
            "auroc_bound": np.asarray(auc.bound, np.float64).tolist(),
            "average_precision_bound": np.asarray(ap.bound, np.float64).tolist(),
        }
        return report_from_counts(self.counts, self.threshold, zero_division, columns)

    def __repr__(self) -> str:
        return (
            f"StreamingEvaluation(n_labels={self.counts.n_labels}, "
            f"n_samples={self.counts.n_samples}, threshold={self.threshold!r}, "
            f"exact={self.sketch.exact})"
        )
