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

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, overload

import numpy as np
from numpy.typing import NDArray

from .._options import validated
from .._validation import to_numpy
from ..counts._averaging import average_counts, samples_average
from ..counts._counting import binary_predictions, sample_keys
from ..counts._groups import DEFAULT_MAX_SLICES
from ..counts._set_input import is_set_input
from ..ranking._constraints import check_constraints
from ..ranking._resampled import (
    RankedLabel,
    ranked_labels,
    resampled_auroc_ap,
    resampled_auroc_ap_se,
)
from ._calibration_bootstrap import CalibrationRows, calibration_columns
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
    drawn_counts,
    percentile_bounds,
    simultaneous_bounds,
)
from ._operating_bootstrap import OperatingRows, operating_columns

if TYPE_CHECKING:
    from ._sliced import SlicedReport

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Resamples are drawn in chunks of about this many (resample, sample) cells.
_MAX_CELLS_PER_CHUNK = 4_000_000


Metrics = tuple[dict[str, FloatArray], dict[str, FloatArray]]


class ExtraColumns(Protocol):
    """Per-label columns resampled beside the counts: their values for replicate weights."""

    def replicates(self, weight: NDArray[Any]) -> dict[str, FloatArray]: ...


Counts = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]
"""``tp, fp, fn, tn`` (..., L), and the weight and presence of each sample key (..., K)."""


class Spread(Protocol):
    """What each replicate's own standard errors are made from: its drawn units (B, U), its
    counts and, where ``ranking``, its AUROC's standard errors (B, L)."""

    ranking: bool

    def add(self, drawn: NDArray[Any], counts: Counts, auroc_se: FloatArray | None) -> None: ...


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
    return summary, per_label_metrics(counts)


def per_label_metrics(
    counts: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
) -> dict[str, FloatArray]:
    """Every per-label count metric of ``tp, fp, fn, tn`` (any shape, labels last), with
    undefined values as 0 (``zero_division=0``)."""
    tp, fp, fn, tn = counts
    support = tp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        per_label = {"support": support, "prevalence": support / (tp + fp + fn + tn)}
    for column, formula in _PER_LABEL_FORMULAS.items():
        per_label[column] = np.asarray(average_counts(formula, tp, fp, fn, tn, None, 0.0)[0])
    return per_label


# Integer weights sum exactly in float32 (as BLAS accumulates them) below this total.
_FLOAT32_EXACT = 2**24


@dataclass(frozen=True)
class Rows:
    """The rows a bootstrap resamples: 0/1 indicators and each sample's triple key.

    ``stacked`` holds ``hit``, ``pred`` and ``truth`` one above the other (3L, n) in float32,
    so that one matrix product gives every count of a block of whole-number resamples.
    """

    truth: FloatArray
    pred: FloatArray
    hit: FloatArray
    keys: IntArray
    key_of_row: IntArray
    key_order: NDArray[np.intp]
    key_starts: NDArray[np.intp]
    stacked: NDArray[np.float32]

    @classmethod
    def of(cls, truth: NDArray[np.bool_], pred: NDArray[np.bool_]) -> Rows:
        keys, inverse = np.unique(sample_keys(truth, pred), return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(inverse[order]) != 0])
        hit = truth & pred
        stacked = np.concatenate([hit.T, pred.T, truth.T], axis=0).astype(np.float32)
        return cls(
            truth.astype(np.float64), pred.astype(np.float64), hit.astype(np.float64),
            keys.astype(np.int64), inverse.astype(np.int64).reshape(-1), order, starts, stacked,
        )  # fmt: skip

    def _totals(self, weight: NDArray[Any]) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Each replicate's weight in every indicator (B, 3L), in its keys (B, K), and in all."""
        if np.issubdtype(weight.dtype, np.integer):
            # Whole-number resamples: float32 products and sums are exact (every partial
            # sum is an integer below 2**24) and BLAS runs them several times faster.
            small = weight.astype(np.float32)
            total = small.sum(axis=1, dtype=np.float64)
            if total.max(initial=0.0) < _FLOAT32_EXACT:
                # With the replicates as the columns of the result, as below.
                sums = (self.stacked @ small.T).T.astype(np.float64)
                # Gathered in the multiplicities' own small type (a quarter of the bytes).
                drawn = np.take(weight, self.key_order, axis=1)
                by_key = np.add.reduceat(drawn, self.key_starts, axis=1, dtype=np.int64)
                return sums, by_key.astype(np.float64), total
            weight = weight.astype(np.float64)
        sums = np.concatenate(
            # The same product, transposed: BLAS runs a long inner dimension many times
            # faster with the replicates as the columns of the result.
            [(indicator.T @ weight.T).T for indicator in (self.hit, self.pred, self.truth)],
            axis=1,
        )
        by_key = np.add.reduceat(weight[:, self.key_order], self.key_starts, axis=1)
        return sums, by_key, weight.sum(axis=1)

    def counts(self, weight: NDArray[Any], weighted: bool) -> Counts:
        """The counts of the weightings in the rows of ``weight`` (B, n)."""
        sums, key_weight, total = self._totals(weight)
        tp, pred, true = np.split(sums, 3, axis=1)
        # Differences of weighted sums can leave a rounding residue below 0 where no row
        # counts (an MCC would take the root of a negative number); such a cell is 0.
        fp = np.maximum(pred - tp, 0.0)
        fn = np.maximum(true - tp, 0.0)
        tn = np.maximum(total[:, None] - tp - fp - fn, 0.0)
        # Sample counts matter only to average a resample whose weights sum to zero (then
        # undefined anyway), so presence stands in for them and saves a second pass.
        present = (key_weight > 0).astype(np.float64) if weighted else key_weight
        return tp, fp, fn, tn, key_weight, present

    def scores(self, counts: Counts) -> Metrics:
        """Summary metrics, shape (...,), and per-label metrics, shape (..., L), of counts."""
        tp, fp, fn, tn, key_weight, present = counts
        return replicate_metrics((tp, fp, fn, tn), self.keys, key_weight, present)

    def metrics(
        self, multiplicity: NDArray[Any], weights: FloatArray | None
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

    def draw(self, rng: np.random.Generator, n_resamples: int) -> NDArray[Any]:
        """The sample weights of ``n_resamples`` resamples, shape (B, n): the small-integer
        multiplicities themselves when rows carry no weights."""
        return self.row_weights(drawn_counts(rng, n_resamples, self.n_units))

    def row_weights(self, drawn: NDArray[Any]) -> NDArray[Any]:
        """The sample weights (B, n) of resamples that draw each unit ``drawn`` (B, U) times."""
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
    extra: Sequence[ExtraColumns] = (),
    spread: Spread | None = None,
) -> list[Metrics]:
    """Metrics of every resample for each prediction set, on the same resamples; with
    ``ranked``, the first set's per-label metrics include AUROC and AP, and each of
    ``extra`` adds its columns (calibration errors, operating points) to them.  ``spread``
    is handed every block's draws and the first set's counts."""
    rng = np.random.default_rng(seed)
    n_samples = truth.shape[0]
    rows = [Rows.of(truth, pred) for pred in preds]
    chunk = max(1, _MAX_CELLS_PER_CHUNK // n_samples)
    parts: list[list[Metrics]] = [[] for _ in preds]
    for start in range(0, n_resamples, chunk):
        drawn = drawn_counts(rng, min(chunk, n_resamples - start), design.n_units)
        weight = design.row_weights(drawn)
        counted = [data.counts(weight, design.weights is not None) for data in rows]
        for slot, data, counts in zip(parts, rows, counted):
            slot.append(data.scores(counts))
        auroc_se = None
        if ranked is not None:
            if spread is not None and spread.ranking:
                auroc, ap, auroc_se = resampled_auroc_ap_se(ranked, weight)
            else:
                auroc, ap = resampled_auroc_ap(ranked, weight)
            parts[0][-1][1].update(auroc=auroc, average_precision=ap)
        if spread is not None:
            spread.add(drawn, counted[0], auroc_se)
        for columns in extra:
            parts[0][-1][1].update(columns.replicates(weight))
    merged = []
    for slot in parts:
        summary = {k: np.concatenate([s[k] for s, _ in slot]) for k in slot[0][0]}
        per_label = {k: np.concatenate([p[k] for _, p in slot]) for k in slot[0][1]}
        merged.append((summary, per_label))
    return merged


def _dense_scores(y_score: Any) -> NDArray[np.floating]:
    """The scores as a float array (checked already by the point estimates)."""
    scores = to_numpy(y_score, "y_score")
    return scores if np.issubdtype(scores.dtype, np.floating) else scores.astype(np.float64)


def _ranked(
    y_true: Any, y_score: Any, truth: NDArray[np.bool_], negatives: bool = False
) -> list[RankedLabel] | None:
    """Each label's sorted scores for resampling the ranking columns (dense scores only);
    ``negatives`` for the replicates' own AUROC errors."""
    if is_set_input(y_true) or is_set_input(y_score):
        return None
    return ranked_labels(truth, _dense_scores(y_score), negatives)


def _bounds(
    replicates: FloatArray,
    point: FloatArray,
    level: float,
    method: str,
    jackknife: FloatArray | None,
    simultaneous: bool,
    spread: tuple[FloatArray | None, FloatArray | None] = (None, None),
) -> tuple[FloatArray, FloatArray]:
    """The interval of every column of ``replicates`` (B, k) by the chosen method; the
    band's replicate and sample standard errors in ``spread`` where known."""
    if simultaneous:
        return simultaneous_bounds(replicates, point, level, jackknife, *spread)
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
    spread: tuple[dict[str, FloatArray], dict[str, FloatArray]],
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
        known = (spread[0].get(column), spread[1].get(column))
        lows, highs = _bounds(values, point, level, method, jack, simultaneous, known)
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
    calibration: bool = False,
    constraints: Any = None,
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
    calibration: bool = False,
    constraints: Any = None,
    cluster: Any = None,
    groups: GroupsArgument,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> SlicedReport: ...
@validated(
    "threshold", "n_resamples", "confidence_level", "seed", "from_logits", "min_slice_size",
    "max_slices", "simultaneous", ranking="ranking_columns", method="interval_method",
    groups="slice_groups", calibration="calibration_columns",
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
    calibration: bool = False,
    constraints: Any = None,
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
        Per-label intervals that hold for all labels at once, for claims such as
        "these attributes differ"; summary metrics keep their ``method`` intervals.
        The band is ``theta -/+ c * se`` with ``se`` each label's jackknife standard
        error and ``c`` the ``level`` quantile of the largest studentised gap over
        labels (Beran 1988; the bootstrap-t max statistic of Romano and Wolf 2005).
        The per-label count metrics (``support``, ``prevalence``, ``precision``,
        ``recall``, ``f1``, ``specificity``, ``balanced_accuracy``, ``mcc``) get the
        bootstrap-t band: each replicate's gap is divided by that replicate's own
        jackknife standard error, leaving out one drawn unit (row or cluster) at a
        time, computed from its counts.  With ``sample_weight`` a unit is what it adds
        to the counts, so the cost grows with the number of distinct (weight, outcome)
        pairs; above 262,144 of them over the labels (continuous weights give about
        one per row) the count metrics are divided by the sample's jackknife standard
        error instead.  ``auroc`` without ``sample_weight`` and ``cluster`` gets the
        bootstrap-t band too (from each replicate's placements).  The other per-label
        columns (``average_precision``, the calibration errors, operating points, and
        ``auroc`` with weights or clusters) divide every replicate's gap by the
        label's jackknife standard error where it exists, else by the replicates'
        standard deviation.
    calibration : bool, default=False
        Also compute and resample each label's calibration errors: the columns ``ece``
        (15 equal-width bins), ``brier`` and ``log_loss`` of ``Report.per_label``, with
        their intervals under ``"<column>:<label>"``.  ``y_score`` must then hold
        probabilities (or logits with ``from_logits``).  Every resample's values equal
        [`expected_calibration_error`][multilabel_attr.expected_calibration_error],
        [`brier_score`][multilabel_attr.brier_score] and
        [`log_loss`][multilabel_attr.log_loss] with the resample's multiplicities as
        sample weights; their intervals are percentile intervals (also with
        ``method="bca"``).  Not available with ``groups``.
    constraints : str, Constraint or sequence of them, optional
        Operating-point rules such as ``"recall@precision>=0.9"`` or ``"eer"`` (see
        [`operating_points`][multilabel_attr.operating_points]): each adds a per-label
        column named by the rule (its value, ``nan`` where infeasible), with intervals
        under ``"<rule>:<label>"``.  Every resample's value equals
        [`operating_points`][multilabel_attr.operating_points] with the resample's
        multiplicities as sample weights; a resample where the rule is infeasible is
        left out of that label's interval, which is a percentile interval.  Dense
        scores only; not available with ``groups``.
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
        intervals of the count-based metrics: percentile intervals, or with
        ``method="bca"`` BCa intervals for every slice and for all rows (the acceleration
        from leaving out one row, or one cluster's rows of the slice, at a time); the gaps
        keep percentile intervals.  ``simultaneous=True`` is refused with ``groups``.

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
    rules = None if constraints is None else check_constraints(constraints)
    if groups is not None:
        if simultaneous or calibration or rules:
            raise ValueError(
                "with groups, intervals are percentile or BCa intervals of the count-based "
                "metrics: simultaneous and calibration must be False and constraints None; got "
                f"simultaneous={simultaneous!r}, calibration={calibration!r}, "
                f"constraints={constraints!r}"
            )
        from ._sliced_bootstrap import sliced_bootstrap_report  # builds on this module

        options = {
            "threshold": threshold, "n_resamples": n_resamples, "seed": seed, "ranking": ranking,
            "confidence_level": confidence_level, "label_names": label_names,
            "from_logits": from_logits, "sample_weight": sample_weight, "cluster": cluster,
            "min_slice_size": min_slice_size, "max_slices": max_slices, "method": method,
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
    ranked = _ranked(y_true, y_score, truth, simultaneous) if ranking else None
    extra: list[ExtraColumns] = []
    if calibration:
        extra.append(CalibrationRows.of(y_true, y_score, from_logits))
        columns = calibration_columns(y_true, y_score, sample_weight, from_logits)
        report = replace(report, per_label={**report.per_label, **columns})
    if rules:
        columns = operating_columns(y_true, y_score, rules, sample_weight, from_logits)
        extra.append(OperatingRows.of(truth, _dense_scores(y_score), rules))
        report = replace(report, per_label={**report.per_label, **columns})
    spread = None
    rows = Rows.of(truth, pred) if method == "bca" or simultaneous else None
    if simultaneous and rows is not None:
        from ._replicate_jackknife import ReplicateSpread  # it builds on Rows and Design

        spread = ReplicateSpread.of(rows, design, ranked is not None)
    (replicates,) = _resample_all(truth, [pred], design, n_resamples, seed, ranked, extra, spread)
    jackknife = None
    scores = None if ranked is None else to_numpy(y_score, "y_score").astype(np.float64)
    if (method == "bca" or (simultaneous and spread is None)) and rows is not None:
        from ._jackknife import jackknife_metrics  # it builds on Rows and Design, above

        jackknife = jackknife_metrics(rows, design, truth, scores)
    known: tuple[dict[str, FloatArray], dict[str, FloatArray]] = ({}, {})
    if spread is not None and rows is not None:
        known = (spread.columns(), spread.sample_se(rows, design, scores))
    intervals = _intervals(report, replicates, level, method, jackknife, simultaneous, known)
    return report.with_intervals(intervals, level)
