"""`SlicedStreamingEvaluation`: the whole [`SlicedReport`][multilabel_attr.SlicedReport],
batch by batch.

The sliced counterpart of [`StreamingEvaluation`][multilabel_attr.StreamingEvaluation]:
exact [`SlicedCounts`][multilabel_attr.SlicedCounts] of the thresholded scores and one
[`ScoreSketch`][multilabel_attr.ScoreSketch] per slice, so every slice's ranking columns
stream and merge too (with their guaranteed bounds; exact with ``exact=True``).  The overall
slice's sketch is the merge of the slices' sketches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from typing_extensions import Self

from .._options import validated
from .._validation import check_probability_threshold, per_label
from ..counts._groups import DEFAULT_MAX_SLICES, OVERALL, SliceKey, check_key
from ..counts._sliced import SlicedBatch, SlicedCounts, prepare_sliced_batch
from ..ranking._sketch import ScoreSketch
from ..ranking._sketch_bins import DEFAULT_BINS
from ._sliced import SlicedReport, report_from_sliced_counts, shown_slices

SLICED_STREAMING_SCHEMA_VERSION = 1


class SlicedStreamingEvaluation:
    """Streaming, mergeable state behind a full [`SlicedReport`][multilabel_attr.SlicedReport].

    Parameters
    ----------
    n_labels : int
        Label columns of the input.
    threshold : float or array-like of shape (n_labels,), default=0.5
        Positive where ``score >= threshold`` (probability scale).
    label_names : sequence of str, optional
    slice_labels : sequence of str, optional
        Label columns to slice by (left out of the metrics), as in
        [`SlicedCounts`][multilabel_attr.SlicedCounts].
    from_logits : bool, default=False
    n_bins : int, default=1024
    exact : bool, default=False
        Keep every score so each slice's ranking columns are exact.
    max_slices : int, default=1000

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import SlicedStreamingEvaluation
    >>> rng = np.random.default_rng(0)
    >>> y = rng.random((300, 2)) < 0.4
    >>> s = np.clip(0.5 * y + 0.6 * rng.random((300, 2)), 0, 1)
    >>> site = rng.choice(["a", "b"], 300)
    >>> state = SlicedStreamingEvaluation(2, exact=True)
    >>> for rows in (slice(0, 100), slice(100, 300)):
    ...     _ = state.update(y[rows], s[rows], groups={"site": site[rows]})
    >>> report = state.report(zero_division=0)
    >>> report.groups
    ['site=a', 'site=b']
    """

    __slots__ = ("counts", "exact", "from_logits", "n_bins", "sketches", "threshold")

    @validated("n_labels", "threshold", "from_logits", "n_bins", "exact", "max_slices")
    def __init__(
        self,
        n_labels: int,
        *,
        threshold: Any = 0.5,
        label_names: Sequence[str] | None = None,
        slice_labels: Sequence[str] | None = None,
        from_logits: bool = False,
        n_bins: int = DEFAULT_BINS,
        exact: bool = False,
        max_slices: int = DEFAULT_MAX_SLICES,
    ) -> None:
        self.counts = SlicedCounts._empty(n_labels, label_names, slice_labels, max_slices)
        per_label(threshold, n_labels)
        self.threshold: float | list[float] = threshold.tolist()
        self.from_logits = from_logits
        self.n_bins = n_bins
        self.exact = exact
        self.sketches: dict[SliceKey, ScoreSketch] = {}

    def _new_sketch(self) -> ScoreSketch:
        return ScoreSketch._empty(
            self.counts.n_counted, self.n_bins, self.from_logits, self.exact,
            self.counts.counted_labels,
        )  # fmt: skip

    def update(
        self, y_true: Any, y_score: Any, *, groups: Any = None, sample_weight: Any = None
    ) -> Self:
        """Add one batch of labels, scores and group keys; returns ``self``.

        Everything is validated and counted before the state changes.
        """
        batch = prepare_sliced_batch(
            y_true, y_score, groups=groups, slice_labels=self.counts.slice_labels,
            label_names=self.counts.label_names, threshold=self.threshold,
            from_logits=self.from_logits, sample_weight=sample_weight,
            max_slices=self.counts.max_slices,
        )  # fmt: skip
        counts = self.counts._empty(
            self.counts.n_labels, self.counts.label_names, self.counts.slice_labels,
            self.counts.max_slices,
        )  # fmt: skip
        counts.add_batch(batch)
        merged = self.counts.merge(counts)
        sketches = slice_sketches(batch, self._new_sketch)
        self.counts = merged
        for key, sketch in sketches.items():
            old = self.sketches.get(key)
            self.sketches[key] = sketch if old is None else old.merge(sketch)
        self.sketches = dict(sorted(self.sketches.items()))
        return self

    def merge(self, other: SlicedStreamingEvaluation) -> SlicedStreamingEvaluation:
        """A new state holding both (same threshold, scale and sketch settings)."""
        if not isinstance(other, SlicedStreamingEvaluation):
            raise TypeError(
                f"other must be a SlicedStreamingEvaluation; got {type(other).__name__}"
            )
        if other.threshold != self.threshold:
            raise ValueError(
                f"cannot merge states with different thresholds: {self.threshold!r} and "
                f"{other.threshold!r}"
            )
        merged = SlicedStreamingEvaluation.__new__(SlicedStreamingEvaluation)
        merged.counts = self.counts.merge(other.counts)
        merged.threshold, merged.from_logits = self.threshold, self.from_logits
        merged.n_bins, merged.exact = self.n_bins, self.exact
        merged.sketches = dict(self.sketches)
        for key, sketch in other.sketches.items():
            old = merged.sketches.get(key)
            merged.sketches[key] = sketch if old is None else old.merge(sketch)
        merged.sketches = dict(sorted(merged.sketches.items()))
        return merged

    def __add__(self, other: SlicedStreamingEvaluation) -> SlicedStreamingEvaluation:
        return self.merge(other)

    @validated("zero_division", "min_slice_size")
    def report(self, zero_division: Any = "warn", min_slice_size: int = 1) -> SlicedReport:
        """The sliced report: count metrics exactly, ranking columns from each slice's sketch
        with their bounds."""
        if not self.sketches:
            raise ValueError("no samples have been counted yet; call update() first")
        shown, _ = shown_slices(self.counts, min_slice_size)
        overall = self._new_sketch()
        for sketch in self.sketches.values():
            overall = overall.merge(sketch)
        columns = {OVERALL: _ranking_columns(overall)}
        keys = self.counts.keys
        for i in shown:
            columns[self.counts.names[i]] = _ranking_columns(self.sketches[keys[i]])
        return report_from_sliced_counts(
            self.counts, self.threshold, zero_division, min_slice_size, columns
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot; ``from_dict`` restores it."""
        return {
            "schema_version": SLICED_STREAMING_SCHEMA_VERSION,
            "threshold": self.threshold,
            "from_logits": self.from_logits,
            "n_bins": self.n_bins,
            "exact": self.exact,
            "counts": self.counts.to_dict(),
            "sketches": [
                {"key": list(key), "sketch": sketch.to_dict()}
                for key, sketch in self.sketches.items()
            ],
        }

    @classmethod
    def from_dict(cls, data: Any) -> SlicedStreamingEvaluation:
        """Rebuild a state saved by ``to_dict`` (each part validated by its own loader)."""
        if (
            not isinstance(data, dict)
            or data.get("schema_version") != SLICED_STREAMING_SCHEMA_VERSION
        ):
            got = data.get("schema_version") if isinstance(data, dict) else type(data).__name__
            raise ValueError(
                f"data must come from SlicedStreamingEvaluation.to_dict() with schema_version "
                f"{SLICED_STREAMING_SCHEMA_VERSION}; got {got!r}"
            )
        state = cls.__new__(cls)
        state.counts = SlicedCounts.from_dict(data["counts"])
        state.threshold = data["threshold"]
        check_probability_threshold(state.threshold, state.counts.n_labels)
        kinds = state.counts.kinds or ()
        state.sketches = {}
        for i, entry in enumerate(data["sketches"]):
            where = f"data['sketches'][{i}]['key']"
            key = tuple(check_key(v, kind, where) for v, kind in zip(entry["key"], kinds))
            state.sketches[key] = ScoreSketch.from_dict(entry["sketch"])
        if list(state.sketches) != state.counts.keys:
            raise ValueError("data's 'sketches' and 'counts' hold different slices")
        settings = (data.get("from_logits"), data.get("n_bins"), data.get("exact"))
        if not isinstance(settings[0], bool) or not isinstance(settings[2], bool):
            raise ValueError("data['from_logits'] and data['exact'] must be bools")
        state.from_logits, state.exact = settings[0], settings[2]
        state.n_bins = int(settings[1]) if isinstance(settings[1], int) else DEFAULT_BINS
        for sketch in state.sketches.values():
            if (sketch.from_logits, sketch.n_bins, sketch.exact) != settings:
                raise ValueError("data's sketches do not match its from_logits, n_bins, exact")
        return state


def _ranking_columns(sketch: ScoreSketch) -> dict[str, list[float]]:
    auc = sketch.roc_auc(None)
    ap = sketch.average_precision(None)
    return {
        "auroc": np.asarray(auc.value, np.float64).tolist(),
        "average_precision": np.asarray(ap.value, np.float64).tolist(),
        "auroc_bound": np.asarray(auc.bound, np.float64).tolist(),
        "average_precision_bound": np.asarray(ap.bound, np.float64).tolist(),
    }


def slice_sketches(
    batch: SlicedBatch, new_sketch: Callable[[], ScoreSketch]
) -> dict[SliceKey, ScoreSketch]:
    """A sketch of each slice's rows of a batch, once its counting has checked them (by the
    sketch's rules: the rows are added without a second check)."""
    sketches = {}
    for i, key in enumerate(batch.index.keys):
        sketch = new_sketch()
        sketch._add_checked(*batch.segment(i))
        sketches[key] = sketch
    return sketches
