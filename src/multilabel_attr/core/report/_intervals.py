"""From bootstrap replicates to intervals: percentile, BCa, and bands simultaneous over labels.

Also what the replicates resample: rows, or whole clusters of rows (a group id
such as a person's identity), drawn with replacement so that rows which move
together are resampled together.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validation import to_numpy

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

def cluster_ids(cluster: Any, n_samples: int) -> NDArray[Any]:
    """``cluster`` checked: 1-D, one int or string group id per row."""
    ids = to_numpy(cluster, "cluster")
    if ids.ndim != 1 or ids.shape[0] != n_samples:
        raise ValueError(
            f"cluster must be 1-D with one group id per sample ({n_samples}); got shape "
            f"{ids.shape}"
        )
    if ids.dtype.kind == "f" and not np.all(np.isfinite(ids)):
        raise ValueError("cluster must not contain NaN or infinite ids")
    if ids.dtype.kind not in "biufUSO":
        raise TypeError(f"cluster must hold ints or strings; got dtype {ids.dtype}")
    return ids


def check_cluster(cluster: Any, n_samples: int) -> tuple[IntArray, int] | None:
    """Each row's cluster as an index ``0 .. n_clusters - 1``, and ``n_clusters``.

    ``cluster`` holds one group id per row (any sortable values: ints, strings).
    """
    if cluster is None:
        return None
    unique, inverse = np.unique(cluster_ids(cluster, n_samples), return_inverse=True)
    return inverse.astype(np.int64).reshape(-1), int(unique.size)


def drawn_counts(rng: np.random.Generator, n_resamples: int, n_units: int) -> NDArray[Any]:
    """Row ``b``: how many times each unit (sample or cluster) is drawn in resample ``b``.

    Small integers (int8 while every count fits, else int32), so that the ranking sums
    and the count products that read them move a quarter of the bytes of floats.
    """
    # 32-bit draws are generated about twice as fast as 64-bit ones.
    dtype = np.int32 if n_units < 2**31 else np.int64
    draws = rng.integers(0, n_units, size=(n_resamples, n_units), dtype=dtype)
    rows = [np.bincount(row, minlength=n_units) for row in draws]
    small = all(int(row.max(initial=0)) <= np.iinfo(np.int8).max for row in rows)
    out = np.empty((n_resamples, n_units), np.int8 if small else np.int32)
    for b, row in enumerate(rows):
        out[b] = row
    return out


def multiplicities(rng: np.random.Generator, n_resamples: int, n_units: int) -> FloatArray:
    """[`drawn_counts`][multilabel_attr.core.report._intervals.drawn_counts] as floats."""
    return drawn_counts(rng, n_resamples, n_units).astype(np.float64)


def _quantiles(replicates: FloatArray, q: FloatArray) -> FloatArray:
    """Column ``k``'s quantile ``q[..., k]`` of the finite replicates (linear interpolation)."""
    out = np.full(q.shape, np.nan)
    for k in range(replicates.shape[1]):
        column = replicates[:, k]
        column = column[~np.isnan(column)]
        if column.size and np.all(np.isfinite(q[..., k])):
            out[..., k] = np.quantile(column, q[..., k])
    return out


def percentile_bounds(replicates: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    """Percentile interval of every column of ``replicates`` (B, k); nan replicates dropped."""
    tail = (1 - level) / 2
    low, high = np.nanpercentile(replicates, [tail * 100, (1 - tail) * 100], axis=0)
    return low, high


def acceleration(jackknife: FloatArray) -> FloatArray:
    """BCa's acceleration of every column of the leave-one-unit-out values (U, k)."""
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        # A column without a finite left-out value (a single unit) has no acceleration.
        warnings.simplefilter("ignore", RuntimeWarning)
        d = np.nanmean(jackknife, axis=0) - jackknife
        return np.nansum(d**3, axis=0) / (6 * np.nansum(d**2, axis=0) ** 1.5)


def bca_bounds(
    replicates: FloatArray, point: FloatArray, jackknife: FloatArray, level: float
) -> tuple[FloatArray, FloatArray]:
    """Bias-corrected and accelerated interval of every column (Efron and Tibshirani, 14.3).

    The bias correction is the normal quantile of the share of replicates below the
    point estimate (ties count one half); the acceleration comes from the jackknife
    values.  A column whose replicates all lie on one side of the point estimate, or
    whose jackknife values are all equal, has no BCa correction: it keeps the
    percentile interval.
    """
    from statistics import NormalDist  # loaded on first use: importing stays cheap

    normal = NormalDist()
    finite = ~np.isnan(replicates)
    below = np.sum((replicates < point) & finite, axis=0) + np.sum(
        (replicates <= point) & finite, axis=0
    )
    share = below / np.maximum(2 * finite.sum(axis=0), 1)
    accel = acceleration(jackknife)
    z_tail = normal.inv_cdf((1 - level) / 2)
    q = np.full((2, replicates.shape[1]), np.nan)
    for k in range(replicates.shape[1]):
        if not (0 < share[k] < 1 and math.isfinite(accel[k])):
            q[:, k] = ((1 - level) / 2, (1 + level) / 2)
            continue
        z0 = normal.inv_cdf(float(share[k]))
        for row, z in enumerate((z_tail, -z_tail)):
            q[row, k] = normal.cdf(z0 + (z0 + z) / (1 - accel[k] * (z0 + z)))
    bounds = _quantiles(replicates, q)
    return bounds[0], bounds[1]


def jackknife_se(jackknife: FloatArray) -> FloatArray:
    """Jackknife standard error of every column of the leave-one-unit-out values (U, k).

    ``sqrt((U - 1) / U * sum((theta_(i) - mean)^2))`` over the finite values (Efron and
    Tibshirani, chapter 11); ``nan`` for a column with fewer than two.
    """
    finite = np.isfinite(jackknife)
    units = finite.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.sum(np.where(finite, jackknife, 0.0), axis=0) / units
        centred = np.where(finite, jackknife - mean, 0.0)
        out = np.sqrt((units - 1) / units * np.sum(centred**2, axis=0))
    return np.where(units >= 2, out, np.nan)


def simultaneous_bounds(
    replicates: FloatArray,
    point: FloatArray,
    level: float,
    jackknife: FloatArray | None = None,
    replicate_se: FloatArray | None = None,
    sample_se: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """A band over the columns (labels) that holds for all of them at once.

    Studentised max-statistic (Beran's balanced simultaneous confidence sets, 1988;
    the bootstrap-t max statistic of Romano and Wolf, 2005): each replicate's largest
    ``|theta* - theta| / se*`` over the columns; the band is ``theta -/+ c * se`` with
    ``c`` that statistic's ``ceil((B + 1) * level)``-th smallest value of ``B`` (the
    finite-sample quantile: the data's own statistic, 0, counts as one more resample).
    ``se`` is a column's jackknife standard error when its leave-one-unit-out values
    (U, k) are given or ``sample_se`` (k,) holds it, else the replicates' standard
    deviation.  ``se*`` is the
    replicate's own standard error where ``replicate_se`` (B, k) gives it (the
    bootstrap-t band: each replicate is studentised by the spread of its own sample, so
    that the statistic's law does not depend on how uncertain a column is, which makes
    the band cover at its level more closely), else ``se``.  Columns without spread
    (``se`` 0 or undefined) are left out of the maximum and get ``theta``, and so are a
    replicate's entries whose ``se*`` is 0 or undefined.
    """
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        # A column without two finite replicates (a label without positives) has no spread.
        warnings.simplefilter("ignore", RuntimeWarning)
        se = np.nanstd(replicates, axis=0, ddof=1)
        if jackknife is not None:
            from_jackknife = jackknife_se(jackknife)
            se = np.where(np.isfinite(from_jackknife) & (from_jackknife > 0), from_jackknife, se)
        if sample_se is not None:
            se = np.where(np.isfinite(sample_se) & (sample_se > 0), sample_se, se)
        usable = np.isfinite(se) & (se > 0) & np.isfinite(point)
        scale = np.broadcast_to(se, replicates.shape) if replicate_se is None else replicate_se
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, np.nan)[:, usable]
        scaled = np.abs(replicates[:, usable] - point[usable]) / scale
    if not np.any(usable):
        return point.copy(), point.copy()
    worst = np.nanmax(np.where(np.isnan(scaled), -np.inf, scaled), axis=1)
    worst = np.sort(worst[np.isfinite(worst)])
    if not worst.size:
        # No replicate has a standard error of its own (each drew fewer than two units, as
        # with a single cluster): they show no spread, as their percentile interval does.
        return point.copy(), point.copy()
    critical = float(worst[min(math.ceil((worst.size + 1) * level), worst.size) - 1])
    spread = np.where(usable, critical * np.nan_to_num(se), 0.0)
    return point - spread, point + spread
