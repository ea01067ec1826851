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
import os
import sys
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ._counting import decode_triples
from ._formulas import Formula

if TYPE_CHECKING:
    from ._state import MultilabelCounts

FloatArray = NDArray[np.float64]


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
    return mean_from_sums(mean_sums(values, weights, counts, xp), xp)


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


def samples_average(values: FloatArray, weights: FloatArray, sample_count: FloatArray) -> float:
    """Mean over samples of per-triple values, ignoring nan (see `nan_mean`)."""
    return float(samples_mean(values, weights, sample_count, np))


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
    (one per label, or a scalar for ``micro``).  Any array namespace works.
    """
    if average == "micro":
        num, den = formula.parts(xp.sum(tp), xp.sum(fp), xp.sum(fn), xp.sum(tn), xp)
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


def _describe_labels(indices: NDArray[np.intp], label_names: Sequence[str] | None) -> str:
    names = [label_names[i] if label_names else str(i) for i in indices.tolist()]
    shown = ", ".join(names[:10]) + (f", ... ({len(names)} in all)" if len(names) > 10 else "")
    return f"label{'s' if len(names) > 1 else ''} {shown}"


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def external_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the first caller outside the package.

    Public functions reach the warning through different call depths (a
    metric function, a state method, a report), so a fixed level would blame
    library code for some of them.
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


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


def per_sample(
    formula: Formula, counts: MultilabelCounts, zero_division: Any, fill: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Values for each distinct per-sample triple, with their summed weights and counts.

    The counts leave out samples of weight zero: they take no part in a samples
    average, as if their rows were removed.
    """
    tp, fp, fn = decode_triples(counts.sample_keys, counts.n_labels)
    values, undefined = sample_values(formula, tp, fp, fn, counts.n_labels, fill)
    # A zero-weight sample takes no part in a samples average, so it is not reported.
    undefined &= counts.sample_weight > 0
    if np.any(undefined):
        n_bad = int(counts.sample_count[undefined].sum())
        subject = f"{n_bad} of {counts.n_samples} sample{'s' if counts.n_samples > 1 else ''}"
        warn_undefined(formula, subject, fill, zero_division)
    return values, counts.sample_weight, counts._present_sample_count()


def compute(
    formula: Formula,
    counts: MultilabelCounts,
    average: str | None,
    zero_division: Any,
    fill: float,
) -> float | FloatArray:
    """Evaluate ``formula`` on ``counts`` with the given average (validated by the caller)."""
    if average == "samples":
        values, weights, sample_count = per_sample(formula, counts, zero_division, fill)
        return samples_average(values, weights, sample_count)
    value, undefined = average_counts(
        formula, counts.tp, counts.fp, counts.fn, counts.tn, average, fill
    )
    if np.any(undefined):
        if average == "micro":
            subject = "the micro average"
        else:
            subject = _describe_labels(np.flatnonzero(undefined), counts.label_names)
        warn_undefined(formula, subject, fill, zero_division)
    if average is None:
        return np.asarray(value, np.float64)
    return float(value)
