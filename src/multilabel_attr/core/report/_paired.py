"""Paired bootstrap: two models' summary metrics on the same resamples.

Both models are counted on the same multiplicities, so the replicates of the
difference carry the correlation between the models.  The BCa interval of the
difference takes its acceleration from the leave-one-unit-out differences, each
model's left-out values computed from its counts
([`jackknife_metrics`][multilabel_attr.core.report._jackknife.jackknife_metrics]).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._options import validated
from ..counts._counting import binary_predictions
from ._bootstrap import Design, Rows, _resample_all
from ._evaluate import SUMMARY_METRICS
from ._intervals import bca_bounds

FloatArray = NDArray[np.float64]


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
        Bootstrap interval of the difference, by ``method``.
    p_value : float
        Two-sided bootstrap p-value for "no difference": twice the smaller
        share of resampled differences on either side of zero, counted as
        ``(k + 1) / (B + 1)`` so that it is never 0 (at most 1).
    confidence_level : float
    method : {"percentile", "bca"}
        How ``interval`` was formed.
    """

    metric: str
    value_a: float
    value_b: float
    difference: float
    interval: tuple[float, float]
    p_value: float
    confidence_level: float
    method: str = "percentile"


def _jackknife_differences(
    truth: NDArray[np.bool_], pred_a: NDArray[np.bool_], pred_b: NDArray[np.bool_], design: Design
) -> dict[str, FloatArray]:
    """Each summary metric's ``a - b`` with each unit (row or cluster) left out, shape (U,)."""
    from ._jackknife import jackknife_metrics  # it builds on Rows and Design

    left_a = jackknife_metrics(Rows.of(truth, pred_a), design, truth, None)[0]
    left_b = jackknife_metrics(Rows.of(truth, pred_b), design, truth, None)[0]
    return {key: left_a[key] - left_b[key] for key in left_a}


def _interval(
    diffs: FloatArray, difference: float, level: float, jackknife: FloatArray | None
) -> tuple[float, float]:
    """The percentile interval of the finite ``diffs``, or BCa's with ``jackknife``."""
    if jackknife is not None:
        low, high = bca_bounds(diffs[:, None], np.array([difference]), jackknife[:, None], level)
        return float(low[0]), float(high[0])
    finite = diffs[~np.isnan(diffs)]
    if not finite.size:
        return math.nan, math.nan
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


@validated(
    "n_resamples", "confidence_level", "seed", "from_logits",
    threshold_a="threshold", threshold_b="threshold", method="interval_method",
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
    method: str = "percentile",
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
    method : {"percentile", "bca"}, default="percentile"
        ``"bca"``: the bias-corrected and accelerated interval of the difference, the
        acceleration from the leave-one-out (or leave-one-cluster-out) differences,
        computed from each model's counts.  The p-value is the same for both methods.

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
    >>> bca = paired_bootstrap(y, good, bad, metrics=["f1_samples"], seed=0, method="bca")
    >>> low, high = bca["f1_samples"].interval
    >>> bool(low < bca["f1_samples"].difference < high)
    True
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
    jackknife = _jackknife_differences(truth, pred_a, pred_b, design) if method == "bca" else None
    results = {}
    for name in chosen:
        diffs = res_a[name] - res_b[name]
        value_a, value_b = float(point_a[name][0]), float(point_b[name][0])
        difference = value_a - value_b
        jack = None if jackknife is None else jackknife[name]
        interval = _interval(diffs, difference, level, jack)
        diffs = diffs[~np.isnan(diffs)]
        # The +1 terms count the observed data as one resample, so p is never exactly 0.
        side = min(np.count_nonzero(diffs <= 0), np.count_nonzero(diffs >= 0))
        p_value = min(1.0, 2 * (side + 1) / (diffs.size + 1))
        results[name] = PairedComparison(
            metric=name,
            value_a=value_a,
            value_b=value_b,
            difference=difference,
            interval=interval,
            p_value=float(p_value),
            confidence_level=level,
            method=method,
        )
    return results
