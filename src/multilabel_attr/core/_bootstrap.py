"""Bootstrap confidence intervals and paired model comparison.

Resampling samples with replacement only changes how often each sample is
counted, so a resample is a vector of per-sample multiplicities and every
count-based metric of all resamples follows from matrix products of those
multiplicities with the per-sample indicator matrices: no metric is
recomputed from raw data per resample.  The same formulas and averaging rules
as the one-shot metrics are used (``_formulas`` and ``_averaging``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import _formulas as F
from ._averaging import divide, nan_average
from ._report import _PER_LABEL_FORMULAS, SUMMARY_METRICS, Report, evaluate
from ._validation import (
    binary_mask,
    check_2d,
    check_finite_scores,
    check_int,
    check_probabilities,
    check_same_shape,
    check_sample_weight,
    check_threshold,
)

FloatArray = NDArray[np.float64]

_MAX_CELLS_PER_CHUNK = 20_000_000


def _check_resampling(n_resamples: Any, confidence_level: Any) -> tuple[int, float]:
    n_resamples = check_int(n_resamples, "n_resamples", minimum=2)
    level = float(confidence_level)
    if not 0 < level < 1:
        raise ValueError(f"confidence_level must be in (0, 1); got {confidence_level!r}")
    return int(n_resamples), level


def _predictions(
    y_true: Any, y_score: Any, threshold: Any, from_logits: bool, sample_weight: Any
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], FloatArray | None]:
    """Validated truth, 0/1 predictions and weights as arrays."""
    truth = binary_mask(check_2d(y_true, "y_true"), "y_true")
    scores = check_2d(y_score, "y_score")
    check_same_shape(truth, scores, "y_score")
    if threshold is None:
        pred = binary_mask(scores, "y_pred")
    else:
        check_finite_scores(scores, "y_score")
        cut = check_threshold(threshold, truth.shape[1])
        if from_logits:
            with np.errstate(divide="ignore"):
                cut = np.log(cut) - np.log1p(-cut)
        else:
            check_probabilities(scores, "y_score")
        pred = scores >= cut
    return truth, pred, check_sample_weight(sample_weight, truth.shape[0])


def _multiplicities(rng: np.random.Generator, n_resamples: int, n_samples: int) -> FloatArray:
    """Row ``b``: how many times each sample is drawn in resample ``b``."""
    draws = rng.integers(0, n_samples, size=(n_resamples, n_samples))
    flat = (draws + (np.arange(n_resamples) * n_samples)[:, None]).ravel()
    return (
        np.bincount(flat, minlength=n_resamples * n_samples)
        .reshape(n_resamples, n_samples)
        .astype(np.float64)
    )


def _resampled_metrics(
    truth: NDArray[np.bool_], pred: NDArray[np.bool_], weight: FloatArray
) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
    """Summary metrics, shape (B,), and per-label metrics, shape (B, L), for resample weights
    ``weight`` of shape (B, n)."""
    n_labels = truth.shape[1]
    hit = truth & pred
    tp = weight @ hit
    true_sum = weight @ truth
    pred_sum = weight @ pred
    total = weight.sum(axis=1)
    fp, fn = pred_sum - tp, true_sum - tp
    tn = total[:, None] - tp - fp - fn
    support = tp + fn

    # Per-sample triples drive the samples averages, as in the streaming state.
    tp_i = hit.sum(axis=1)
    fp_i = pred.sum(axis=1) - tp_i
    fn_i = truth.sum(axis=1) - tp_i
    tn_i = n_labels - tp_i - fp_i - fn_i

    def samples_mean(formula: F.Formula) -> FloatArray:
        num, den = formula.parts(tp_i, fp_i, fn_i, tn_i, np)
        values, _ = divide(num, den, 0.0)
        return (weight @ values) / np.where(total > 0, total, 1.0)

    f1 = F.fbeta_formula(1.0)
    summary: dict[str, FloatArray] = {
        "precision_samples": samples_mean(F.PRECISION),
        "recall_samples": samples_mean(F.RECALL),
        "f1_samples": samples_mean(f1),
        "hamming_score": samples_mean(F.JACCARD),
    }
    errors = (fp + fn).sum(axis=1)
    summary["hamming_loss"] = errors / (n_labels * total)
    exact = ((fp_i == 0) & (fn_i == 0)).astype(np.float64)
    summary["subset_accuracy"] = (weight @ exact) / total
    summary["label_accuracy"] = 1.0 - summary["hamming_loss"]
    for name, formula in (("precision", F.PRECISION), ("recall", F.RECALL), ("f1", f1)):
        num, den = formula.parts(tp.sum(1), fp.sum(1), fn.sum(1), tn.sum(1), np)
        summary[f"{name}_micro"] = divide(num, den, 0.0)[0]
        values = divide(*formula.parts(tp, fp, fn, tn, np), 0.0)[0]
        summary[f"{name}_macro"] = nan_average(values, None)
        summary[f"{name}_weighted"] = nan_average(values, support)
    per_label = {"support": support, "prevalence": support / total[:, None]}
    for column, formula in _PER_LABEL_FORMULAS.items():
        per_label[column] = divide(*formula.parts(tp, fp, fn, tn, np), 0.0)[0]
    return summary, per_label


def _resample_all(
    truth: NDArray[np.bool_],
    preds: Sequence[NDArray[np.bool_]],
    weights: FloatArray | None,
    n_resamples: int,
    seed: int | np.random.Generator | None,
) -> list[tuple[dict[str, FloatArray], dict[str, FloatArray]]]:
    """Metrics of every resample for each prediction set, on the same resamples."""
    rng = np.random.default_rng(seed)
    n_samples = truth.shape[0]
    chunk = max(1, _MAX_CELLS_PER_CHUNK // n_samples)
    parts: list[list[tuple[dict[str, FloatArray], dict[str, FloatArray]]]] = [[] for _ in preds]
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        weight = _multiplicities(rng, size, n_samples)
        if weights is not None:
            weight *= weights
        for slot, pred in zip(parts, preds):
            slot.append(_resampled_metrics(truth, pred, weight))
    merged = []
    for slot in parts:
        summary = {k: np.concatenate([s[k] for s, _ in slot]) for k in slot[0][0]}
        per_label = {k: np.concatenate([p[k] for _, p in slot]) for k in slot[0][1]}
        merged.append((summary, per_label))
    return merged


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
) -> Report:
    """[`evaluate`][multilabel_attr.core.evaluate] with percentile bootstrap confidence intervals.

    Samples are resampled with replacement ``n_resamples`` times; each
    count-based summary metric gets a percentile interval in
    `Report.intervals`, and each count-based per-label column one in
    ``Report.intervals["<column>:<label>"]``.  Undefined values count as 0 in
    resamples (the ``zero_division=0`` rule).

    Parameters
    ----------
    y_true, y_score, threshold, label_names, from_logits, sample_weight
        As in [`evaluate`][multilabel_attr.core.evaluate].
    n_resamples : int, default=1000
    confidence_level : float, default=0.95
    seed : int or numpy Generator, optional
        Makes the resamples reproducible.
    ranking : bool, default=True
        Passed to [`evaluate`][multilabel_attr.core.evaluate] for the point estimates of AUROC and
        AP (their intervals are not resampled).

    Returns
    -------
    Report
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
    """
    n_resamples, level = _check_resampling(n_resamples, confidence_level)
    report = evaluate(
        y_true, y_score, threshold=threshold, label_names=label_names, from_logits=from_logits,
        sample_weight=sample_weight, zero_division=0, ranking=ranking,
    )  # fmt: skip
    truth, pred, weights = _predictions(y_true, y_score, threshold, from_logits, sample_weight)
    ((summary, per_label),) = _resample_all(truth, [pred], weights, n_resamples, seed)
    tail = (1 - level) / 2 * 100
    intervals: dict[str, tuple[float, float]] = {}
    for key, _ in SUMMARY_METRICS:
        low, high = np.nanpercentile(summary[key], [tail, 100 - tail])
        intervals[key] = (float(low), float(high))
    for column, values in per_label.items():
        lows, highs = np.nanpercentile(values, [tail, 100 - tail], axis=0)
        for name, low, high in zip(report.label_names, lows, highs):
            intervals[f"{column}:{name}"] = (float(low), float(high))
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
    n_resamples, confidence_level, seed, from_logits, sample_weight
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
    n_resamples, level = _check_resampling(n_resamples, confidence_level)
    known = [key for key, _ in SUMMARY_METRICS]
    chosen = list(known if metrics is None else metrics)
    for name in chosen:
        if name not in known:
            raise ValueError(f"metrics must be keys of SUMMARY_METRICS {known}; got {name!r}")
    truth, pred_a, weights = _predictions(
        y_true, y_score_a, threshold_a, from_logits, sample_weight
    )
    _, pred_b, _ = _predictions(y_true, y_score_b, threshold_b, from_logits, sample_weight)
    ones = (np.ones(truth.shape[0]) if weights is None else weights)[None, :]
    point_a = _resampled_metrics(truth, pred_a, ones)[0]
    point_b = _resampled_metrics(truth, pred_b, ones)[0]
    (res_a, _), (res_b, _) = _resample_all(truth, [pred_a, pred_b], weights, n_resamples, seed)
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
