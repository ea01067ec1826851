"""Bootstrap confidence intervals and paired model comparison.

Resampling samples with replacement only changes how often each sample is
counted, so a resample is a vector of per-sample multiplicities.  The counts of
every resample (per-label confusion counts, and the histogram of per-sample
triples that the ``samples`` averages need) follow from matrix products of those
multiplicities with the per-sample indicators: no metric is recomputed from raw
data per resample.  Inputs are validated and thresholded by the core's counting
(``binary_predictions``), and every metric is evaluated by the same formulas and
averaging functions as the one-shot metrics, on all resamples at once.  The
ranking columns (AUROC, average precision) of every resample follow from
cumulative sums of the multiplicities in each label's score order, sorted once.
A cluster bootstrap draws whole clusters: a row's multiplicity is its cluster's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

import numpy as np
from numpy.typing import NDArray

from .._options import validated
from .._validation import to_numpy
from ..counts._averaging import average_counts, samples_average
from ..counts._counting import binary_predictions, sample_keys
from ..counts._groups import DEFAULT_MAX_SLICES
from ..counts._set_input import is_set_input
from ..ranking._resampled import RankedLabel, ranked_labels, resampled_auroc_ap
from ._evaluate import (
    _PER_LABEL_FORMULAS,
    SUMMARY_FORMULAS,
    SUMMARY_METRICS,
    GroupsArgument,
    Report,
    evaluate_checked,
)
from ._intervals import (
    bca_bounds,
    check_cluster,
    multiplicities,
    percentile_bounds,
    simultaneous_bounds,
)

if TYPE_CHECKING:
    from ._sliced import SlicedReport

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Resamples are drawn in chunks of about this many (resample, sample) cells.
_MAX_CELLS_PER_CHUNK = 4_000_000


Metrics = tuple[dict[str, FloatArray], dict[str, FloatArray]]


Counts = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]
"""``tp, fp, fn, tn`` (..., L), and the weight and presence of each sample key (..., K)."""


def replicate_metrics(
    counts: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    keys: IntArray,
    key_weight: FloatArray,
    present: FloatArray,
) -> Metrics:
    """Summary metrics, shape (B,), and per-label metrics, shape (B, L), of replicate counts.

    ``counts`` holds ``tp, fp, fn, tn`` of shape (B, L); ``key_weight`` and ``present`` the
    weight and presence of each per-sample triple in ``keys``, shape (B, K).  They go through
    the core's averaging: undefined values count as 0 (``zero_division=0``).
    """
    tp, fp, fn, tn = counts
    n_labels = tp.shape[-1]
    summary: dict[str, FloatArray] = {}
    for key, (formula, average) in SUMMARY_FORMULAS.items():
        if average == "samples":
            value, _ = samples_average(formula, keys, key_weight, present, n_labels, 0)
        else:
            value, _ = average_counts(formula, tp, fp, fn, tn, average, 0.0)
        summary[key] = np.asarray(value, np.float64)
    support = tp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        per_label = {"support": support, "prevalence": support / (tp + fp + fn + tn)}
    for column, formula in _PER_LABEL_FORMULAS.items():
        per_label[column] = np.asarray(average_counts(formula, tp, fp, fn, tn, None, 0.0)[0])
    return summary, per_label


@dataclass(frozen=True)
class Rows:
    """The rows a bootstrap resamples: 0/1 indicators and each sample's triple key."""

    truth: FloatArray
    pred: FloatArray
    hit: FloatArray
    keys: IntArray
    key_of_row: IntArray
    key_order: NDArray[np.intp]
    key_starts: NDArray[np.intp]

    @classmethod
    def of(cls, truth: NDArray[np.bool_], pred: NDArray[np.bool_]) -> Rows:
        keys, inverse = np.unique(sample_keys(truth, pred), return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(inverse[order]) != 0])
        hit = truth & pred
        return cls(
            truth.astype(np.float64), pred.astype(np.float64), hit.astype(np.float64),
            keys.astype(np.int64), inverse.astype(np.int64).reshape(-1), order, starts,
        )  # fmt: skip

    def counts(self, weight: FloatArray, weighted: bool) -> Counts:
        """The counts of the weightings in the rows of ``weight`` (B, n)."""

        def total(indicator: FloatArray) -> FloatArray:
            # The same product, transposed: BLAS runs a long inner dimension many times
            # faster with the replicates as the columns of the result.
            return (indicator.T @ weight.T).T

        tp = total(self.hit)
        # Differences of weighted sums can leave a rounding residue below 0 where no row
        # counts (an MCC would take the root of a negative number); such a cell is 0.
        fp = np.maximum(total(self.pred) - tp, 0.0)
        fn = np.maximum(total(self.truth) - tp, 0.0)
        tn = np.maximum(weight.sum(axis=1)[:, None] - tp - fp - fn, 0.0)
        key_weight = np.add.reduceat(weight[:, self.key_order], self.key_starts, axis=1)
        # Sample counts matter only to average a resample whose weights sum to zero (then
        # undefined anyway), so presence stands in for them and saves a second pass.
        present = (key_weight > 0).astype(np.float64) if weighted else key_weight
        return tp, fp, fn, tn, key_weight, present

    def scores(self, counts: Counts) -> Metrics:
        """Summary metrics, shape (...,), and per-label metrics, shape (..., L), of counts."""
        tp, fp, fn, tn, key_weight, present = counts
        return replicate_metrics((tp, fp, fn, tn), self.keys, key_weight, present)

    def metrics(
        self, multiplicity: FloatArray, weights: FloatArray | None
    ) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
        """Summary metrics, shape (B,), and per-label metrics, shape (B, L), of the resamples
        whose multiplicities are the rows of ``multiplicity`` (B, n)."""
        weight = multiplicity if weights is None else multiplicity * weights
        return self.scores(self.counts(weight, weights is not None))




@dataclass(frozen=True)
class Design:
    """What one resample draws: rows, or clusters of rows (``units``), and the row weights."""

    weights: FloatArray | None
    units: IntArray | None = None
    n_units: int = 0

    @classmethod
    def of(cls, weights: FloatArray | None, cluster: Any, n_samples: int) -> Design:
        checked = check_cluster(cluster, n_samples)
        if checked is None:
            return cls(weights, None, n_samples)
        return cls(weights, checked[0], checked[1])

    def draw(self, rng: np.random.Generator, n_resamples: int) -> FloatArray:
        """The sample weights of ``n_resamples`` resamples, shape (B, n)."""
        drawn = multiplicities(rng, n_resamples, self.n_units)
        if self.units is not None:
            drawn = drawn[:, self.units]
        return drawn if self.weights is None else drawn * self.weights


def _resample_all(
    truth: NDArray[np.bool_],
    preds: Sequence[NDArray[np.bool_]],
    design: Design,
    n_resamples: int,
    seed: int | np.random.Generator | None,
    ranked: list[RankedLabel] | None = None,
) -> list[Metrics]:
    """Metrics of every resample for each prediction set, on the same resamples; with
    ``ranked``, the first set's per-label metrics include AUROC and AP."""
    rng = np.random.default_rng(seed)
    n_samples = truth.shape[0]
    rows = [Rows.of(truth, pred) for pred in preds]
    chunk = max(1, _MAX_CELLS_PER_CHUNK // n_samples)
    parts: list[list[Metrics]] = [[] for _ in preds]
    for start in range(0, n_resamples, chunk):
        weight = design.draw(rng, min(chunk, n_resamples - start))
        for slot, data in zip(parts, rows):
            slot.append(data.scores(data.counts(weight, design.weights is not None)))
        if ranked is not None:
            auroc, ap = resampled_auroc_ap(ranked, weight)
            parts[0][-1][1].update(auroc=auroc, average_precision=ap)
    merged = []
    for slot in parts:
        summary = {k: np.concatenate([s[k] for s, _ in slot]) for k in slot[0][0]}
        per_label = {k: np.concatenate([p[k] for _, p in slot]) for k in slot[0][1]}
        merged.append((summary, per_label))
    return merged


def _ranked(y_true: Any, y_score: Any, truth: NDArray[np.bool_]) -> list[RankedLabel] | None:
    """Each label's sorted scores for resampling the ranking columns (dense scores only)."""
    if is_set_input(y_true) or is_set_input(y_score):
        return None
    scores = to_numpy(y_score, "y_score")
    if not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(np.float64)
    return ranked_labels(truth, scores)


def _bounds(
    replicates: FloatArray,
    point: FloatArray,
    level: float,
    method: str,
    jackknife: FloatArray | None,
    simultaneous: bool,
) -> tuple[FloatArray, FloatArray]:
    """The interval of every column of ``replicates`` (B, k) by the chosen method."""
    if simultaneous:
        return simultaneous_bounds(replicates, point, level)
    if method == "bca" and jackknife is not None:
        return bca_bounds(replicates, point, jackknife, level)
    return percentile_bounds(replicates, level)


def _intervals(
    report: Report,
    replicates: Metrics,
    level: float,
    method: str,
    jackknife: Metrics | None,
    simultaneous: bool,
) -> dict[str, tuple[float, float]]:
    summary, per_label = replicates
    keys = [key for key, _ in SUMMARY_METRICS]
    point = np.array([report.summary[key] for key in keys])
    jack = None if jackknife is None else np.stack([jackknife[0][k] for k in keys], axis=1)
    lows, highs = _bounds(
        np.stack([summary[k] for k in keys], axis=1), point, level, method, jack, False
    )
    intervals = {key: (float(lo), float(hi)) for key, lo, hi in zip(keys, lows, highs)}
    for column, values in per_label.items():
        point = np.asarray(report.per_label[column], np.float64)
        jack = None if jackknife is None else jackknife[1].get(column)
        lows, highs = _bounds(values, point, level, method, jack, simultaneous)
        for name, low, high in zip(report.label_names, lows, highs):
            intervals[f"{column}:{name}"] = (float(low), float(high))
    return intervals


@overload
def bootstrap_report(
    y_true: Any,
    y_score: Any,
    *,
    threshold: Any = 0.5,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    seed: int | np.random.Generator | None = None,
    label_names: Sequence[str] | None = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    ranking: bool = True,
    method: str = "percentile",
    simultaneous: bool = False,
    cluster: Any = None,
    groups: None = None,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Report: ...
@overload
def bootstrap_report(
    y_true: Any,
    y_score: Any,
    *,
    threshold: Any = 0.5,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    seed: int | np.random.Generator | None = None,
    label_names: Sequence[str] | None = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    ranking: bool = True,
    method: str = "percentile",
    simultaneous: bool = False,
    cluster: Any = None,
    groups: GroupsArgument,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> SlicedReport: ...
@validated(
    "threshold", "n_resamples", "confidence_level", "seed", "from_logits", "min_slice_size",
    "max_slices", "simultaneous", ranking="ranking_columns", method="interval_method",
    groups="slice_groups",
)  # fmt: skip
def bootstrap_report(
    y_true: Any,
    y_score: Any,
    *,
    threshold: Any = 0.5,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    seed: int | np.random.Generator | None = None,
    label_names: Sequence[str] | None = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    ranking: bool = True,
    method: str = "percentile",
    simultaneous: bool = False,
    cluster: Any = None,
    groups: Any = None,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Report | SlicedReport:
    """[`evaluate`][multilabel_attr.core.evaluate] with bootstrap confidence intervals.

    Samples (or, with ``cluster``, whole clusters of samples) are resampled with
    replacement ``n_resamples`` times.  Each summary metric gets an interval in
    `Report.intervals`, and each per-label column one in
    ``Report.intervals["<column>:<label>"]``, the ranking columns ``auroc`` and
    ``average_precision`` included: every resample's AUROC and AP are exact, equal to
    [`roc_auc_score`][multilabel_attr.roc_auc_score] and
    [`average_precision_score`][multilabel_attr.average_precision_score] with the
    resample's multiplicities as sample weights.  Undefined count-based values count
    as 0 in resamples (the ``zero_division=0`` rule); a resample in which a label's
    AUROC or AP is undefined is left out of that label's interval.

    Parameters
    ----------
    y_true, y_score, threshold, label_names, from_logits, sample_weight
        As in [`evaluate`][multilabel_attr.core.evaluate].
    n_resamples : int, default=1000
    confidence_level : float, default=0.95
    seed : int or numpy Generator, optional
        Makes the resamples reproducible.
    ranking : bool, default=True
        Compute and resample the AUROC and AP columns.
    method : {"percentile", "bca"}, default="percentile"
        ``"bca"``: bias-corrected and accelerated intervals, the acceleration from the
        leave-one-out (or leave-one-cluster-out) values, computed from the counts (and,
        for AUROC, from each row's placement among the other class), never by
        recomputing the metrics per left-out row.  Average precision has no such
        shortcut and keeps its percentile interval.
    simultaneous : bool, default=False
        Per-label intervals that hold for all labels at once (a studentised
        max-statistic band over labels), for claims such as "these attributes differ";
        summary metrics keep their ``method`` intervals.
    cluster : array-like of shape (n_samples,), optional
        A group id per sample (for CelebA, the identity): whole groups are resampled,
        so that samples which are not independent (several images of one person) do
        not make the intervals too narrow.
    groups, min_slice_size, max_slices
        As in [`evaluate`][multilabel_attr.core.evaluate]: with ``groups`` every slice gets
        intervals, and so does every gap between slices (``SlicedReport.gap_intervals``),
        from the same replicates of a counter-based Poisson bootstrap keyed by ``seed`` and
        each row's position, or with ``cluster`` by each row's cluster (the draws the engines
        make), see [`SlicedReport`][multilabel_attr.SlicedReport].  Sliced intervals are
        percentile intervals of the count-based metrics (``method="bca"`` and
        ``simultaneous=True`` are refused with ``groups``).

    Returns
    -------
    Report or SlicedReport
        With ``intervals`` and ``confidence_level`` set.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import bootstrap_report
    >>> rng = np.random.default_rng(0)
    >>> y_true = rng.random((500, 4)) < 0.3
    >>> y_score = np.clip(0.4 * y_true + 0.6 * rng.random((500, 4)), 0, 1)
    >>> report = bootstrap_report(y_true, y_score, n_resamples=200, seed=0)
    >>> low, high = report.intervals["f1_samples"]
    >>> bool(low <= report.summary["f1_samples"] <= high)
    True
    >>> low, high = report.intervals["auroc:label_0"]
    >>> bool(low <= report.per_label["auroc"][0] <= high)
    True
    """
    if groups is not None:
        if method != "percentile" or simultaneous:
            raise ValueError(
                "with groups, intervals are percentile intervals: method must be 'percentile' "
                f"and simultaneous False; got method={method!r}, simultaneous={simultaneous!r}"
            )
        from ._sliced_bootstrap import sliced_bootstrap_report  # builds on this module

        options = {
            "threshold": threshold, "n_resamples": n_resamples, "seed": seed, "ranking": ranking,
            "confidence_level": confidence_level, "label_names": label_names,
            "from_logits": from_logits, "sample_weight": sample_weight, "cluster": cluster,
            "min_slice_size": min_slice_size, "max_slices": max_slices,
        }  # fmt: skip
        return sliced_bootstrap_report(y_true, y_score, groups, options)
    level = confidence_level
    report = evaluate_checked(
        y_true, y_score, threshold=threshold, label_names=label_names, from_logits=from_logits,
        sample_weight=sample_weight, zero_division=0, ranking=ranking,
    )  # fmt: skip
    truth, pred, weights = binary_predictions(
        y_true, y_score, threshold, from_logits, sample_weight
    )
    design = Design.of(weights, cluster, truth.shape[0])
    ranked = _ranked(y_true, y_score, truth) if ranking else None
    (replicates,) = _resample_all(truth, [pred], design, n_resamples, seed, ranked)
    jackknife = None
    if method == "bca":
        from ._jackknife import jackknife_metrics  # it builds on Rows and Design, above

        scores = None if ranked is None else to_numpy(y_score, "y_score").astype(np.float64)
        jackknife = jackknife_metrics(Rows.of(truth, pred), design, truth, scores)
    intervals = _intervals(report, replicates, level, method, jackknife, simultaneous)
    return report.with_intervals(intervals, level)


@dataclass(frozen=True)
class PairedComparison:
    """Difference ``a - b`` of one metric between two models on the same samples.

    Attributes
    ----------
    metric : str
    value_a, value_b : float
        Point estimates on the full data.
    difference : float
        ``value_a - value_b``.
    interval : (float, float)
        Percentile bootstrap interval of the difference.
    p_value : float
        Two-sided bootstrap p-value for "no difference": twice the smaller
        share of resampled differences on either side of zero, counted as
        ``(k + 1) / (B + 1)`` so that it is never 0 (at most 1).
    confidence_level : float
    """

    metric: str
    value_a: float
    value_b: float
    difference: float
    interval: tuple[float, float]
    p_value: float
    confidence_level: float


@validated(
    "n_resamples", "confidence_level", "seed", "from_logits",
    threshold_a="threshold", threshold_b="threshold",
)  # fmt: skip
def paired_bootstrap(
    y_true: Any,
    y_score_a: Any,
    y_score_b: Any,
    *,
    threshold_a: Any = 0.5,
    threshold_b: Any = 0.5,
    metrics: Sequence[str] | None = None,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    seed: int | np.random.Generator | None = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    cluster: Any = None,
) -> dict[str, PairedComparison]:
    """Compare two models' summary metrics on the same samples with a paired bootstrap.

    Both models are evaluated on the same resamples, so the interval of the
    difference accounts for the correlation between them.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
    y_score_a, y_score_b : array-like of shape (n_samples, n_labels)
        Scores (or 0/1 predictions with the matching threshold None).
    threshold_a, threshold_b : float, per-label array-like or Thresholds
    metrics : sequence of str, optional
        Keys of `SUMMARY_METRICS`; all of them by default.
    n_resamples, confidence_level, seed, from_logits, sample_weight, cluster
        As in [`bootstrap_report`][multilabel_attr.core.bootstrap_report].

    Returns
    -------
    dict of str to PairedComparison

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import paired_bootstrap
    >>> rng = np.random.default_rng(0)
    >>> y = rng.random((400, 5)) < 0.3
    >>> good = np.clip(0.5 * y + 0.5 * rng.random((400, 5)), 0, 1)
    >>> bad = rng.random((400, 5))
    >>> result = paired_bootstrap(y, good, bad, metrics=["f1_samples"], seed=0)
    >>> result["f1_samples"].difference > 0, result["f1_samples"].p_value < 0.01
    (True, True)
    """
    level = confidence_level
    known = [key for key, _ in SUMMARY_METRICS]
    chosen = list(known if metrics is None else metrics)
    for name in chosen:
        if name not in known:
            raise ValueError(f"metrics must be keys of SUMMARY_METRICS {known}; got {name!r}")
    truth, pred_a, weights = binary_predictions(
        y_true, y_score_a, threshold_a, from_logits, sample_weight
    )
    _, pred_b, _ = binary_predictions(y_true, y_score_b, threshold_b, from_logits, sample_weight)
    once = np.ones((1, truth.shape[0]))
    point_a = Rows.of(truth, pred_a).metrics(once, weights)[0]
    point_b = Rows.of(truth, pred_b).metrics(once, weights)[0]
    design = Design.of(weights, cluster, truth.shape[0])
    (res_a, _), (res_b, _) = _resample_all(truth, [pred_a, pred_b], design, n_resamples, seed)
    tail = (1 - level) / 2 * 100
    results = {}
    for name in chosen:
        diffs = res_a[name] - res_b[name]
        diffs = diffs[~np.isnan(diffs)]
        low, high = np.percentile(diffs, [tail, 100 - tail]) if diffs.size else (math.nan,) * 2
        # The +1 terms count the observed data as one resample, so p is never exactly 0.
        side = min(np.count_nonzero(diffs <= 0), np.count_nonzero(diffs >= 0))
        p_value = min(1.0, 2 * (side + 1) / (diffs.size + 1))
        value_a, value_b = float(point_a[name][0]), float(point_b[name][0])
        results[name] = PairedComparison(
            metric=name,
            value_a=value_a,
            value_b=value_b,
            difference=value_a - value_b,
            interval=(float(low), float(high)),
            p_value=float(p_value),
            confidence_level=level,
        )
    return results
