"""`ScoreSketch`: mergeable, fixed-memory state for ranking metrics (AUROC, AP).

The ranking counterpart of [`MultilabelCounts`][multilabel_attr.MultilabelCounts].
For every label it keeps, per score bin, the weighted positive and negative
counts and the smallest and largest score seen in the bin.

Bins
----
``n_bins`` bins over the logit of the score: the middle half of the
``n_bins - 1`` inner edges is uniform in logit over ``[-5, 5]`` (spacing
``20 / (n_bins - 2)``, 0.1 at 200 bins); in the outer quarters the bin widths grow
geometrically out to ``|logit| = 72``; the two outer bins are open-ended.  Logit
spacing keeps the resolution fine near 0 and 1, where the scores of trained models
pile up, and the geometric tails keep ordering the scores of very confident models.
Bin ``k`` holds the scores ``s`` with ``edge[k] <= s < edge[k + 1]``
(``edge[0] = -inf``, ``edge[n_bins] = +inf``), on the scale of the scores the sketch
receives: probabilities by default (the sigmoids of the logit edges; those beyond
logit 36.7 round to 1 in float64 and leave their bins empty), logits with
``from_logits=True``.  The edges are a pure function of
``(n_bins, from_logits, edges_version)``, so any two sketches with the same settings
merge, on any machine.  New sketches use layout version 2; a saved sketch of
version 1 (inner edges uniform in logit over ``[-10, 10]``) loads and keeps its
layout, and sketches of different versions refuse to merge.

Capabilities
------------
* [`update`][multilabel_attr.ScoreSketch.update], [`merge`][multilabel_attr.ScoreSketch.merge]
  and ``+``, [`reset`][multilabel_attr.ScoreSketch.reset],
  [`to_dict`][multilabel_attr.ScoreSketch.to_dict] /
  [`from_dict`][multilabel_attr.ScoreSketch.from_dict] (versioned, validated on load).
* [`roc_auc`][multilabel_attr.ScoreSketch.roc_auc] and
  [`average_precision`][multilabel_attr.ScoreSketch.average_precision] per label
  (``average=None``) or averaged (``"macro"``, ``"weighted"``, ``"micro"``), each a
  [`RankingEstimate`][multilabel_attr.RankingEstimate]: the value and a
  guaranteed bound on its distance to the exact one-shot value.  Undefined labels
  are ``nan`` and left out of averages with an
  [`UndefinedMetricWarning`][multilabel_attr.UndefinedMetricWarning], as in
  [`roc_auc_score`][multilabel_attr.roc_auc_score].
* ``exact=True`` also keeps every score (memory grows with the data); the
  ranking metrics are then the one-shot values (bound 0), over any batch split
  and merge order.
* Threshold questions: [`edges`][multilabel_attr.ScoreSketch.edges],
  [`counts_at_edges`][multilabel_attr.ScoreSketch.counts_at_edges] (weighted
  ``tp, fp, fn, tn`` of the cut ``score >= edge`` at every edge),
  [`counts_at`][multilabel_attr.ScoreSketch.counts_at] (the counts of any cut the
  sketch can decide),
  [`bin_range`][multilabel_attr.ScoreSketch.bin_range] (per-bin smallest and
  largest score) and [`candidate_bins`][multilabel_attr.ScoreSketch.candidate_bins]
  (the bins in which a cut could beat the best edge cut of a count metric).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._errors import InputError
from .._options import validated
from .._validation import check_label_names, check_probabilities
from ._exact import _ranking_binary, warn_undefined_labels
from ._exact import _validate as validate_ranking_inputs
from ._sketch_bins import DEFAULT_BINS, EDGES_VERSION, bin_index, sketch_edges
from ._sketch_bounds import ap_from_bins, auroc_from_bins
from ._sketch_cuts import candidate_bins, counts_at
from ._sketch_json import sketch_from_dict, sketch_to_dict

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class RankingEstimate:
    """A ranking metric from a sketch, with a guaranteed error bound.

    Attributes
    ----------
    value : float or ndarray of shape (n_labels,)
        The estimate (per label for ``average=None``); ``nan`` where undefined.
    bound : float or ndarray of shape (n_labels,)
        ``|value - exact| <= bound`` for the exact one-shot value; ``0`` in exact mode.
    """

    value: Any
    bound: Any

    @property
    def interval(self) -> tuple[Any, Any]:
        """``(value - bound, value + bound)`` clipped to ``[0, 1]``."""
        return np.clip(self.value - self.bound, 0.0, 1.0), np.clip(self.value + self.bound, 0, 1)


@dataclass(frozen=True)
class EdgeCounts:
    """Weighted confusion counts of the cuts ``score >= edges[k]``, per label.

    Attributes
    ----------
    edges : ndarray of shape (n_bins + 1,)
        The bin boundaries, ``-inf`` (everything positive) to ``+inf`` (nothing).
    tp, fp, fn, tn : ndarray of shape (n_labels, n_bins + 1)
    """

    edges: FloatArray
    tp: FloatArray
    fp: FloatArray
    fn: FloatArray
    tn: FloatArray


class ScoreSketch:
    """Mergeable fixed-memory sketch of per-label scores for AUROC and average precision.

    See the module documentation for the bin layout and the capabilities, and
    the guide "Streaming ranking metrics" for the bounds.

    Parameters
    ----------
    n_labels : int
    n_bins : int, default=1024
        Bins per label (at least 2); memory is ``4 * n_bins`` floats per label.
    label_names : sequence of str, optional
    from_logits : bool, default=False
        The scores are logits (any real value) instead of probabilities in
        ``[0, 1]``; edges, bin ranges and thresholds are then on the logit scale.
    exact : bool, default=False
        Also keep every score, so the ranking metrics are exact (bound 0).

    Attributes
    ----------
    edges_version : int
        The bin layout (2 for new sketches; 1 for a loaded sketch saved with the
        earlier layout); see [`edges`][multilabel_attr.ScoreSketch.edges].

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import ScoreSketch, roc_auc_score
    >>> rng = np.random.default_rng(0)
    >>> y = rng.random((1000, 2)) < 0.3
    >>> s = 1 / (1 + np.exp(-(rng.normal(size=(1000, 2)) + 2 * y)))
    >>> sketch = ScoreSketch(2).update(y[:500], s[:500]) + ScoreSketch(2).update(y[500:], s[500:])
    >>> auc = sketch.roc_auc(average=None)
    >>> bool(np.all(np.abs(auc.value - roc_auc_score(y, s, average=None)) <= auc.bound))
    True
    """

    __slots__ = (
        "_exact_chunks",
        "edges_version",
        "exact",
        "from_logits",
        "hi",
        "label_names",
        "lo",
        "n_bins",
        "n_labels",
        "n_samples",
        "neg",
        "pos",
    )

    @validated("n_labels", "n_bins", "from_logits", "exact")
    def __init__(
        self,
        n_labels: int,
        *,
        n_bins: int = DEFAULT_BINS,
        label_names: Sequence[str] | None = None,
        from_logits: bool = False,
        exact: bool = False,
    ) -> None:
        self._setup(n_labels, n_bins, label_names, from_logits, exact)

    @classmethod
    def _empty(
        cls,
        n_labels: int,
        n_bins: int,
        from_logits: bool,
        exact: bool = False,
        label_names: Sequence[str] | None = None,
        edges_version: int = EDGES_VERSION,
    ) -> ScoreSketch:
        """An empty sketch for settings already checked (the library's own path)."""
        sketch = cls.__new__(cls)
        sketch._setup(n_labels, n_bins, label_names, from_logits, exact, edges_version)
        return sketch

    def _setup(
        self,
        n_labels: int,
        n_bins: int,
        label_names: Sequence[str] | None,
        from_logits: bool,
        exact: bool,
        edges_version: int = EDGES_VERSION,
    ) -> None:
        self.n_labels = n_labels
        self.n_bins = n_bins
        self.edges_version = edges_version
        self.label_names = check_label_names(label_names, self.n_labels)
        self.from_logits = from_logits
        self.exact = exact
        shape = (self.n_labels, self.n_bins)
        self.pos: FloatArray = np.zeros(shape)
        self.neg: FloatArray = np.zeros(shape)
        self.lo: FloatArray = np.full(shape, np.inf)
        self.hi: FloatArray = np.full(shape, -np.inf)
        self.n_samples = 0
        self._exact_chunks: list[tuple[NDArray[np.bool_], NDArray[Any], FloatArray | None]] = []

    # -- state -------------------------------------------------------------------------------

    @property
    def edges(self) -> FloatArray:
        """The ``n_bins + 1`` bin boundaries on the sketch's score scale (``±inf`` outside)."""
        return sketch_edges(self.n_bins, self.from_logits, self.edges_version)

    def update(self, y_true: Any, y_score: Any, *, sample_weight: Any = None) -> ScoreSketch:
        """Add one batch of shape (n_samples, n_labels); returns ``self``.

        ``y_score`` holds probabilities in ``[0, 1]`` (logits of any finite value
        with ``from_logits=True``).  The sketch is unchanged if the batch is invalid.
        """
        # A block whose weights are all zero is valid, as in counting: what it leaves
        # undefined is decided when a metric is computed.
        mask, scores, weights = validate_ranking_inputs(
            y_true, y_score, sample_weight, positive_sum=False
        )
        if not self.from_logits:
            check_probabilities(scores, "y_score")
        if mask.shape[1] != self.n_labels:
            raise InputError(
                f"y_true has {mask.shape[1]} labels; this sketch holds {self.n_labels}",
                argument="y_true",
            )
        self._add(mask, scores, weights)
        return self

    def _add_checked(
        self, truth: NDArray[Any], scores: NDArray[Any], weights: FloatArray | None
    ) -> None:
        """Add rows already checked by the sketch's rules (labels 0/1, finite scores, in
        [0, 1] on the probability scale), as the counting that took them checks them."""
        if not np.issubdtype(scores.dtype, np.floating):
            scores = scores.astype(np.float64)
        self._add(truth.astype(bool, copy=False), scores, weights)

    def _add(
        self, mask: NDArray[np.bool_], scores: NDArray[Any], weights: FloatArray | None
    ) -> None:
        """Add a block already validated (the one update path of every caller)."""
        if self.exact:
            # Copies: the caller may reuse or change its arrays after the update.
            kept = None if weights is None else np.array(weights, np.float64)
            self._exact_chunks.append((mask.copy(), scores.copy(), kept))
        index = bin_index(scores, self.n_bins, self.from_logits, self.edges_version)
        flat = index + (np.arange(self.n_labels) * self.n_bins)[None, :]
        size = self.n_labels * self.n_bins
        keyed = (flat * 2 + mask).ravel()
        cell_weights = None if weights is None else np.repeat(weights, self.n_labels)
        both = np.bincount(keyed, weights=cell_weights, minlength=2 * size).reshape(
            self.n_labels, self.n_bins, 2
        )
        self.neg = self.neg + both[..., 0]
        self.pos = self.pos + both[..., 1]
        lo = self.lo.ravel().copy()
        hi = self.hi.ravel().copy()
        # ufunc.at is fast only without casting: give it float64 values.
        values = scores.astype(np.float64, copy=False).ravel()
        np.minimum.at(lo, flat.ravel(), values)
        np.maximum.at(hi, flat.ravel(), values)
        self.lo, self.hi = lo.reshape(self.lo.shape), hi.reshape(self.hi.shape)
        self.n_samples += mask.shape[0]

    def _check_compatible(self, other: Any) -> None:
        if not isinstance(other, ScoreSketch):
            raise TypeError(f"other must be a ScoreSketch; got {type(other).__name__}")
        for name in ("n_labels", "n_bins", "from_logits", "exact", "edges_version"):
            if getattr(self, name) != getattr(other, name):
                raise ValueError(
                    f"cannot merge sketches with different {name}: {getattr(self, name)!r} and "
                    f"{getattr(other, name)!r}"
                )
        if self.label_names and other.label_names and self.label_names != other.label_names:
            raise ValueError("cannot merge sketches with different label_names")

    def merge(self, other: ScoreSketch) -> ScoreSketch:
        """A new sketch holding the data of ``self`` and ``other`` (same settings required)."""
        self._check_compatible(other)
        merged = self.empty_like(label_names=self.label_names or other.label_names)
        merged.pos = self.pos + other.pos
        merged.neg = self.neg + other.neg
        merged.lo = np.minimum(self.lo, other.lo)
        merged.hi = np.maximum(self.hi, other.hi)
        merged.n_samples = self.n_samples + other.n_samples
        merged._exact_chunks = [*self._exact_chunks, *other._exact_chunks]
        return merged

    def __add__(self, other: ScoreSketch) -> ScoreSketch:
        return self.merge(other)

    def empty_like(self, *, label_names: Sequence[str] | None = None) -> ScoreSketch:
        """An empty sketch with the same settings."""
        return ScoreSketch._empty(
            self.n_labels, self.n_bins, self.from_logits, self.exact,
            label_names if label_names is not None else self.label_names, self.edges_version,
        )  # fmt: skip

    def reset(self) -> None:
        """Forget every sample."""
        fresh = self.empty_like()
        for name in ("pos", "neg", "lo", "hi", "n_samples", "_exact_chunks"):
            setattr(self, name, getattr(fresh, name))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot (versioned);
        [`from_dict`][multilabel_attr.ScoreSketch.from_dict] restores it exactly.
        """
        return sketch_to_dict(self)

    @classmethod
    def from_dict(cls, data: Any) -> ScoreSketch:
        """Rebuild a sketch from [`to_dict`][multilabel_attr.ScoreSketch.to_dict] output,
        validating every field.
        """
        return sketch_from_dict(cls, data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScoreSketch):
            return NotImplemented
        same = all(
            getattr(self, name) == getattr(other, name)
            for name in ("n_labels", "n_bins", "from_logits", "exact", "n_samples", "edges_version")
        )
        return same and all(
            np.array_equal(getattr(self, name), getattr(other, name))
            for name in ("pos", "neg", "lo", "hi")
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"ScoreSketch(n_labels={self.n_labels}, n_bins={self.n_bins}, "
            f"n_samples={self.n_samples}, from_logits={self.from_logits}, exact={self.exact})"
        )

    # -- ranking metrics ---------------------------------------------------------------------

    @property
    def tied(self) -> NDArray[np.bool_]:
        """Bins holding a single distinct score (their pairs are exact ties)."""
        return np.asarray(self.lo == self.hi)

    def _require_samples(self) -> None:
        if self.n_samples == 0:
            raise ValueError("no samples have been added yet; call update() first")
        if not (np.any(self.pos > 0) or np.any(self.neg > 0)):
            # As the counts and the one-shot functions decide it: nothing is defined.
            raise InputError(
                f"all {self.n_samples} counted samples have sample_weight 0, so every metric "
                "is undefined; give at least one sample a positive weight",
                argument="sample_weight",
            )

    @validated(average="label_average")
    def roc_auc(self, average: str | None = "macro") -> RankingEstimate:
        """AUROC with its bound; see [`roc_auc_score`][multilabel_attr.roc_auc_score]."""
        return self._ranking(average, which=0)

    @validated(average="label_average")
    def average_precision(self, average: str | None = "macro") -> RankingEstimate:
        """Average precision with its bound; see
        [`average_precision_score`][multilabel_attr.average_precision_score]."""
        return self._ranking(average, which=1)

    def _ranking(self, average: str | None, which: int) -> RankingEstimate:
        self._require_samples()
        if self.exact:
            truth, scores, weights = self._exact_arrays()
            value = _ranking_binary(truth, scores, weights, average, which)
            return RankingEstimate(value, 0.0 if average is not None else np.zeros(self.n_labels))
        estimator = (auroc_from_bins, ap_from_bins)[which]
        metric = ("ROC AUC", "Average precision")[which]
        reason = ("only one class in y_true", "no positive sample")[which]
        pos, neg = _rescaled(self.pos, self.neg)
        if average == "micro":
            tied = self.lo.min(axis=0) == self.hi.max(axis=0)
            value, bound = estimator(pos.sum(axis=0), neg.sum(axis=0), tied)
            warn_undefined_labels(metric + " (micro)", np.isnan(np.atleast_1d(value)), reason)
            return RankingEstimate(float(value), float(bound))
        values, bounds = estimator(pos, neg, self.tied)
        warn_undefined_labels(metric, np.isnan(values), reason, self.label_names)
        if average is None:
            return RankingEstimate(values, bounds)
        weights = self.pos.sum(axis=1) if average == "weighted" else None
        return RankingEstimate(_mean(values, weights), _mean(bounds, weights))

    def _exact_arrays(self) -> tuple[NDArray[np.bool_], NDArray[Any], FloatArray | None]:
        truths, scores, weights = zip(*self._exact_chunks, strict=True)
        if all(w is None for w in weights):
            return np.concatenate(truths), np.concatenate(scores), None
        filled = [
            np.ones(t.shape[0]) if w is None else w for t, w in zip(truths, weights, strict=True)
        ]
        return np.concatenate(truths), np.concatenate(scores), np.concatenate(filled)

    # -- threshold support -------------------------------------------------------------------

    def counts_at_edges(self) -> EdgeCounts:
        """Weighted ``tp, fp, fn, tn`` per label of every cut ``score >= edges[k]``."""
        above_pos = _at_or_above(self.pos)
        above_neg = _at_or_above(self.neg)
        total_pos = above_pos[:, :1]
        total_neg = above_neg[:, :1]
        return EdgeCounts(
            self.edges, above_pos, above_neg, total_pos - above_pos, total_neg - above_neg
        )

    def bin_range(self) -> tuple[FloatArray, FloatArray]:
        """Smallest and largest score seen per label and bin (``nan`` for an empty bin)."""
        empty = self.lo > self.hi
        return np.where(empty, np.nan, self.lo), np.where(empty, np.nan, self.hi)

    @validated(threshold="score_threshold")
    def counts_at(self, threshold: Any) -> tuple[FloatArray, ...]:
        """Weighted ``(tp, fp, fn, tn)`` per label of the cut ``score >= threshold``.

        ``threshold`` is one value or one per label, on the sketch's score scale.
        Exact in exact mode; otherwise exact whenever no label's threshold falls
        strictly inside the range of scores seen in its bin (``lo < t <= hi``,
        see [`bin_range`][multilabel_attr.ScoreSketch.bin_range]), and a
        `ValueError` naming the labels otherwise.
        """
        return counts_at(self, threshold)

    def candidate_bins(
        self, metric: Any, *, monotone: bool | None = None, zero_division: float = 0.0
    ) -> tuple[NDArray[np.bool_], FloatArray]:
        """Bins where a cut could beat the best edge cut of a per-label count metric.

        Returns ``(candidates, best_edge)``: a bool array of shape
        (n_labels, n_bins) and the best value per label over the edge cuts.
        For a metric that never decreases with ``tp`` nor increases with
        ``fp`` (``monotone``; known for the registry's F-beta, precision,
        recall, Jaccard, specificity, NPV, accuracy, balanced accuracy and
        Youden's J), a bin is a candidate when the metric at all of its
        positives and none of its negatives exceeds ``best_edge``; for any
        other metric every bin holding two distinct scores is.  ``metric`` is
        a name known to [`formula_by_name`][multilabel_attr.formula_by_name] or
        a [`Formula`][multilabel_attr.Formula].
        """
        return candidate_bins(self, metric, monotone=monotone, zero_division=zero_division)


_LARGE_COUNT = 2.0**100


def _rescaled(pos: FloatArray, neg: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The counts, divided by a power of two when they are large enough for the estimators'
    products of counts to overflow.

    AUROC and AP are ratios of sums of products of counts, unchanged when every count
    is scaled alike, and dividing by a power of two is exact, so huge weights give the
    values that small ones do.
    """
    largest = max(float(pos.max(initial=0.0)), float(neg.max(initial=0.0)))
    if largest <= _LARGE_COUNT:
        return pos, neg
    # Room for summing the labels (micro) and for the products of two counts.
    exponent = int(np.frexp(largest)[1]) + int(np.ceil(np.log2(pos.shape[0] + 1)))
    return np.ldexp(pos, -exponent), np.ldexp(neg, -exponent)


def _at_or_above(counts: FloatArray) -> FloatArray:
    """Weight at or above each of the ``n_bins + 1`` boundaries (last axis)."""
    above = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]
    return np.concatenate([above, np.zeros((counts.shape[0], 1))], axis=1)


def _mean(values: FloatArray, weights: FloatArray | None) -> float:
    from ..counts._averaging import nan_average

    return float(nan_average(values, weights))
