"""Binomial intervals of the observed rates of a reliability curve: how far chance moves a bin.

A bin holding ``n`` samples of which ``k`` are positive observes the rate ``k / n``; under a
calibrated model that rate is a binomial proportion around the bin's mean score, so its
interval says whether the gap to the diagonal is larger than chance.  Two intervals are
offered:

* ``"wilson"``: Wilson's score interval, in closed form (Newcombe 1998, method 3);
* ``"clopper-pearson"``: the exact interval from the beta quantiles, which needs scipy.

Both bounds are ``0`` and ``1`` at ``k = 0`` and ``k = n`` respectively, and ``nan`` for an
empty bin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._options import validated
from .._validation import to_numpy
from ..calibration._state import CalibrationState, ReliabilityCurve

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ReliabilityBands:
    """Per label and bin, the interval of the observed rate of a reliability curve.

    Attributes
    ----------
    low, high : ndarray of shape (n_labels, n_bins)
        Bounds of the observed rate; ``nan`` for an empty bin.
    count : ndarray of shape (n_labels, n_bins)
        The number of samples each interval is computed for: the bin's weight (the count
        without weights).
    method : str
        ``"wilson"`` or ``"clopper-pearson"``.
    confidence_level : float
    """

    low: FloatArray
    high: FloatArray
    count: FloatArray
    method: str
    confidence_level: float


def _check_counts(positives: Any, total: Any) -> tuple[FloatArray, FloatArray]:
    k = np.asarray(to_numpy(positives, "positives"), dtype=np.float64)
    n = np.asarray(to_numpy(total, "total"), dtype=np.float64)
    try:
        k, n = np.broadcast_arrays(k, n)
    except ValueError as exc:
        raise ValueError(
            f"positives and total must have the same shape; got {k.shape} and {n.shape}"
        ) from exc
    for name, values in (("positives", k), ("total", n)):
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"{name} must hold finite, non-negative counts")
    if np.any(k > n * (1 + 1e-12)):
        raise ValueError("positives must not exceed total in any bin")
    return np.minimum(k, n), n


def _wilson(k: FloatArray, n: FloatArray, z: float) -> tuple[FloatArray, FloatArray]:
    filled = n > 0
    safe = np.where(filled, n, 1.0)
    p = k / safe
    denom = 2 * (safe + z**2)
    center = (2 * safe * p + z**2) / denom
    delta = z / denom * np.sqrt(4 * safe * p * (1 - p) + z**2)
    low = np.where(k == 0, 0.0, center - delta)
    high = np.where(k == n, 1.0, center + delta)
    return np.where(filled, low, math.nan), np.where(filled, high, math.nan)


def _clopper_pearson(k: FloatArray, n: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    try:
        from scipy.stats import beta
    except ImportError as exc:
        raise ImportError(
            "method='clopper-pearson' needs scipy (pip install scipy); method='wilson' does not"
        ) from exc
    alpha = (1 - level) / 2
    filled = n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k > 0, beta.ppf(alpha, np.maximum(k, 1e-300), n - k + 1), 0.0)
        high = np.where(k < n, beta.ppf(1 - alpha, k + 1, np.maximum(n - k, 1e-300)), 1.0)
    return np.where(filled, low, math.nan), np.where(filled, high, math.nan)


@validated("confidence_level", method="band_method")
def binomial_interval(
    positives: Any, total: Any, *, method: str = "wilson", confidence_level: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Two-sided interval of the proportion ``positives / total``, elementwise.

    Parameters
    ----------
    positives, total : array-like of the same shape
        Counts, ``0 <= positives <= total``; need not be whole numbers (the Wilson interval
        is a closed form in both, the exact one uses the beta quantiles).
    method : {"wilson", "clopper-pearson"}, default="wilson"
        Wilson's score interval, or the exact Clopper-Pearson interval (needs scipy).
    confidence_level : float, default=0.95

    Returns
    -------
    low, high : ndarray of floats
        ``nan`` where ``total`` is 0; ``low = 0`` at ``positives = 0`` and ``high = 1`` at
        ``positives = total``.  On whole numbers both equal scipy's
        ``binomtest(k, n).proportion_ci(method="wilson" | "exact")``.

    Examples
    --------
    >>> from multilabel_attr import binomial_interval
    >>> low, high = binomial_interval([3, 0], [10, 10])
    >>> [round(float(v), 4) for v in low], [round(float(v), 4) for v in high]
    ([0.1078, 0.0], [0.6032, 0.2775])
    """
    k, n = _check_counts(positives, total)
    if method == "wilson":
        from statistics import NormalDist  # loaded by the first call that needs a quantile

        return _wilson(k, n, NormalDist().inv_cdf(0.5 + confidence_level / 2))
    return _clopper_pearson(k, n, confidence_level)


def _bin_counts(curve_or_state: Any) -> tuple[FloatArray, FloatArray]:
    """Per bin, the positives and the count of a curve or a state (equal-width bins)."""
    if isinstance(curve_or_state, CalibrationState):
        bins = curve_or_state.binned_sums("uniform")
        return np.asarray(bins.label_sum, dtype=np.float64), np.asarray(bins.weight, np.float64)
    if not isinstance(curve_or_state, ReliabilityCurve):
        raise TypeError(
            "curve_or_state must be a ReliabilityCurve or a CalibrationState; got "
            f"{type(curve_or_state).__name__}"
        )
    n = np.asarray(curve_or_state.weight, dtype=np.float64)
    k = np.where(n > 0, np.nan_to_num(curve_or_state.observed_rate) * n, 0.0)
    # A curve stores rate = positives / count; for whole counts, undo the division's rounding.
    whole = n == np.round(n)
    return np.where(whole, np.round(k), k), n


@validated("confidence_level", method="band_method")
def reliability_bands(
    curve_or_state: ReliabilityCurve | CalibrationState,
    *,
    method: str = "wilson",
    confidence_level: float = 0.95,
) -> ReliabilityBands:
    """The interval of each bin's observed rate, per label, for a reliability diagram.

    Each bin is treated as ``count`` samples of which ``count * observed_rate`` are positive,
    where ``count`` is the bin's weight: the number of samples without weights.  With sample
    weights, the curve and the state keep no sum of squared weights, so the effective count
    ``(sum w)^2 / sum w^2`` is not available and the weight itself is used: the band is that
    of ``sum w`` unweighted samples, which is meaningful for weights that are frequencies
    (and too narrow when a few large weights dominate a bin).

    Parameters
    ----------
    curve_or_state : ReliabilityCurve or CalibrationState
        A [`ReliabilityCurve`][multilabel_attr.ReliabilityCurve] (any bins), or a
        [`CalibrationState`][multilabel_attr.CalibrationState] (its equal-width bins).
    method : {"wilson", "clopper-pearson"}, default="wilson"
        See [`binomial_interval`][multilabel_attr.binomial_interval].
    confidence_level : float, default=0.95

    Returns
    -------
    ReliabilityBands

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import calibration_curve, reliability_bands
    >>> y = np.array([[1], [0], [1], [1]])
    >>> p = np.array([[0.9], [0.2], [0.7], [0.8]])
    >>> bands = reliability_bands(calibration_curve(y, p, n_bins=2))
    >>> bands.count.tolist(), bands.high.round(4).tolist()
    ([[1.0, 3.0]], [[0.7935, 1.0]])
    """
    k, n = _bin_counts(curve_or_state)
    low, high = binomial_interval(k, n, method=method, confidence_level=confidence_level)
    return ReliabilityBands(low, high, n, method, confidence_level)
