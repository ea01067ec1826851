"""The compute stage: counts in, metric values out.

One zero-division rule and one set of averaging modes serve every formula:

* ``None``: one value per label;
* ``"micro"``: counts summed over labels, then one ratio;
* ``"macro"``: unweighted mean of the per-label values;
* ``"weighted"``: per-label values weighted by support (weighted count of true
  positives ``tp + fn``);
* ``"samples"``: per-sample values from each sample's own counts, averaged
  with the sample weights; a sample of weight zero takes no part.

Undefined values (zero denominators) take the ``zero_division`` value.  A value
of ``nan`` is left out of every average, and when the supports of the remaining
labels sum to zero a ``weighted`` average falls back to the plain mean: the
scikit-learn rules.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validation import external_stacklevel
from ._counting import decode_triples
from ._formulas import Formula

FloatArray = NDArray[np.float64]

_LARGE = 2.0**64
"""Counts or weights above this are scaled down before a formula sees them (see `rescale`)."""


class UndefinedMetricWarning(UserWarning):
    """A metric was undefined (zero denominator) for some labels or samples.

    The message names the labels, or counts the samples, and the value used.
    Pass ``zero_division=0``, ``1`` or ``nan`` explicitly to choose the value
    and silence the warning.
    """


def divide(numerator: Any, denominator: Any, fill: float, xp: Any = np) -> tuple[Any, Any]:
    """``numerator / denominator`` with ``fill`` where the denominator is zero.

    Returns the values and the mask of undefined entries.  ``xp`` is the array
    namespace (numpy, or ``keras.ops`` for backend tensors); only ``==``,
    ``/`` and ``xp.where`` are used.
    """
    if xp is np:
        numerator = np.asarray(numerator, dtype=np.float64)
        denominator = np.asarray(denominator, dtype=np.float64)
    undefined = denominator == 0
    values = numerator / xp.where(undefined, 1.0, denominator)
    return xp.where(undefined, fill, values), undefined


def rescale(*arrays: Any) -> tuple[Any, ...]:
    """Numpy arrays divided by one power of two when their largest entry exceeds 2**64.

    Every metric is a ratio of counts of the same degree (MCC's denominator is the
    square root of a product of four), so a common factor cancels; a power of two
    divides exactly, so the values are unchanged, but products of huge weighted counts
    no longer overflow to inf (MCC 0.0 at weights of 1e80, nan beyond).
    """
    largest = max((float(np.max(np.abs(a), initial=0.0)) for a in arrays), default=0.0)
    if not largest > _LARGE or not math.isfinite(largest):
        return arrays
    exponent = math.frexp(largest)[1]
    return tuple(np.ldexp(np.asarray(a, np.float64), -exponent) for a in arrays)


def mean_sums(values: Any, weights: Any, counts: Any, xp: Any = np) -> tuple[Any, Any, Any, Any]:
    """The four sums behind every average: ``(sum w v, sum w, sum c v, sum c)``.

    Taken over the last axis, over the entries whose value is not nan and whose
    count is positive.
    Sums are additive, so they can also be accumulated batch by batch and
    finished with `mean_from_sums`.
    """
    keep = xp.logical_and(xp.logical_not(xp.isnan(values)), counts > 0)
    kept = xp.where(keep, values, 0.0)
    kept_weights = xp.where(keep, weights, 0.0)
    kept_counts = xp.where(keep, counts, 0.0)
    # Sums run over the last axis: leading axes (bootstrap resamples) stay separate.
    return (
        xp.sum(kept * kept_weights, axis=-1),
        xp.sum(kept_weights, axis=-1),
        xp.sum(kept * kept_counts, axis=-1),
        xp.sum(kept_counts, axis=-1),
    )


def mean_from_sums(sums: tuple[Any, Any, Any, Any], xp: Any = np) -> Any:
    """Weighted mean from `mean_sums`; unweighted (by count) when the weights sum to zero.

    ``nan`` when no entry was kept.
    """
    weighted, total, counted, n = sums
    weighted_mean = weighted / xp.where(total > 0, total, 1.0)
    count_mean = counted / xp.where(n > 0, n, 1.0)
    return xp.where(n > 0, xp.where(total > 0, weighted_mean, count_mean), math.nan)


def samples_mean(values: Any, weights: Any, counts: Any, xp: Any = np) -> Any:
    """Mean of per-entry values with weights and counts, ignoring nan (any namespace)."""
    if xp is np:
        (weights,) = rescale(weights)
    return mean_from_sums(mean_sums(values, weights, counts, xp), xp)


def segment_means(
    values: FloatArray, weights: FloatArray, counts: FloatArray, parts: Sequence[slice]
) -> list[float]:
    """`samples_mean` of each part of the entries (one part per count state), bit for bit:
    the elementwise steps run once over every entry, the sums over each part alone."""
    if float(np.max(np.abs(weights), initial=0.0)) > _LARGE:  # `rescale` acts per part
        return [float(samples_mean(values[part], weights[part], counts[part])) for part in parts]
    keep = np.logical_and(np.logical_not(np.isnan(values)), counts > 0)
    kept = np.where(keep, values, 0.0)
    kept_weights = np.where(keep, weights, 0.0)
    kept_counts = np.where(keep, counts, 0.0)
    terms = (kept * kept_weights, kept_weights, kept * kept_counts, kept_counts)
    # add.reduce is what np.sum runs on a 1-D float array (the same pairwise sums), without
    # its per-call wrapper: a thousand slices make thousands of these calls.
    sums = np.array([[np.add.reduce(term[part]) for part in parts] for term in terms])
    means: list[float] = np.asarray(mean_from_sums(tuple(sums)), np.float64).tolist()
    return means


def nan_mean(values: Any, weights: Any | None, xp: Any = np) -> Any:
    """Weighted mean ignoring nan; unweighted when the remaining weights sum to zero."""
    ones = xp.ones_like(values)
    return samples_mean(values, ones if weights is None else weights, ones, xp)


def nan_average(values: FloatArray, weights: FloatArray | None) -> Any:
    """`nan_mean` on numpy arrays over the last axis: a float for 1-D input, else
    an array over the leading axes (the bootstrap averages all resamples at once)."""
    if weights is not None:
        weights = np.broadcast_to(weights, np.shape(values))
    result = np.asarray(nan_mean(values, weights, np))
    return float(result) if result.ndim == 0 else result


def average_counts(
    formula: Formula,
    tp: Any,
    fp: Any,
    fn: Any,
    tn: Any,
    average: str | None,
    fill: float,
    xp: Any = np,
) -> tuple[Any, Any]:
    """A label-based average (``micro``, ``macro``, ``weighted`` or ``None``) of ``formula``.

    Returns the value (a vector for ``None``) and the mask of undefined entries
    (one per label, or a scalar for ``micro``).  Any array namespace works.  Labels
    lie on the last axis; leading axes (bootstrap resamples) are kept apart.
    """
    if xp is np:
        tp, fp, fn, tn = rescale(tp, fp, fn, tn)
    if average == "micro":
        totals = (xp.sum(c, axis=-1) for c in (tp, fp, fn, tn))
        num, den = formula.parts(*totals, xp)
        return divide(num, den, fill, xp)
    num, den = formula.parts(tp, fp, fn, tn, xp)
    values, undefined = divide(num, den, fill, xp)
    if average is None:
        return values, undefined
    return nan_mean(values, tp + fn if average == "weighted" else None, xp), undefined


def sample_values(
    formula: Formula, tp: Any, fp: Any, fn: Any, n_labels: int, fill: float, xp: Any = np
) -> tuple[Any, Any]:
    """Per-sample values of ``formula`` from per-sample ``(tp, fp, fn)`` counts."""
    num, den = formula.parts(tp, fp, fn, n_labels - tp - fp - fn, xp)
    return divide(num, den, fill, xp)


def describe_labels(indices: NDArray[np.intp], label_names: Sequence[str] | None) -> str:
    names = [label_names[i] if label_names else str(i) for i in indices.tolist()]
    shown = ", ".join(names[:10]) + (f", ... ({len(names)} in all)" if len(names) > 10 else "")
    return f"label{'s' if len(names) > 1 else ''} {shown}"


def warn_undefined(formula: Formula, subject: str, fill: float, zero_division: Any) -> None:
    if zero_division != "warn":
        return
    warnings.warn(
        f"{formula.name.capitalize()} is undefined ({formula.undefined_when}) for {subject}; "
        f"set to {fill:g}. Pass zero_division=0, 1 or nan to choose the value and silence "
        "this warning.",
        UndefinedMetricWarning,
        stacklevel=external_stacklevel(),
    )


def present_counts(key_weight: Any, key_count: Any) -> FloatArray:
    """Samples per distinct triple, counting only triples that carry weight.

    A sample of weight zero takes no part in a samples average (as if its row
    were removed), so its triple counts as absent.
    """
    present: FloatArray = np.where(np.asarray(key_weight) > 0, key_count, 0).astype(np.float64)
    return present


def key_values(
    formula: Formula, keys: Any, n_labels: int, fill: float
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Values of ``formula`` for each per-sample triple key, and where they are undefined."""
    tp, fp, fn = decode_triples(np.asarray(keys, np.int64), n_labels)
    values, undefined = sample_values(formula, tp, fp, fn, n_labels, fill)
    return (
        np.broadcast_to(np.asarray(values, np.float64), tp.shape),
        np.broadcast_to(np.asarray(undefined, bool), tp.shape),
    )


def samples_average(
    formula: Formula, keys: Any, key_weight: Any, present: Any, n_labels: int, fill: float
) -> tuple[Any, NDArray[np.bool_]]:
    """The ``samples`` average of ``formula`` over a histogram of per-sample triples.

    ``present`` counts the samples of each key that carry weight (`present_counts`).
    ``key_weight`` and ``present`` may carry leading axes (one row per bootstrap
    resample) over the keys on the last axis.  Returns the average and the mask of
    keys whose value is undefined.
    """
    values, undefined = key_values(formula, keys, n_labels, fill)
    return samples_mean(values, key_weight, present, np), undefined
