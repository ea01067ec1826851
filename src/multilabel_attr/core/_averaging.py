"""The compute stage: counts in, metric values out.

One zero-division rule and one set of averaging modes serve every formula:

* ``None``: one value per label;
* ``"micro"``: counts summed over labels, then one ratio;
* ``"macro"``: unweighted mean of the per-label values;
* ``"weighted"``: per-label values weighted by support (weighted count of true
  positives ``tp + fn``);
* ``"samples"``: per-sample values from each sample's own counts, averaged
  with the sample weights.

Undefined values (zero denominators) take the ``zero_division`` value.  A value
of ``nan`` is left out of every average, and when the weights of the remaining
values sum to zero they are averaged without weights: the scikit-learn rules.
"""

from __future__ import annotations

import math
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


def divide(numerator: Any, denominator: Any, fill: float) -> tuple[FloatArray, NDArray[np.bool_]]:
    """``numerator / denominator`` with ``fill`` where the denominator is zero."""
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    undefined = den == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        values = num / np.where(undefined, 1.0, den)
    return np.where(undefined, fill, values), undefined


def nan_average(values: FloatArray, weights: FloatArray | None) -> Any:
    """Weighted mean over the last axis ignoring nan; unweighted where weights sum to zero.

    Leading axes are kept (the bootstrap averages many resamples at once); a
    1-D input gives a float.  An all-nan row averages to nan.
    """
    keep = ~np.isnan(values)
    filled = np.where(keep, values, 0.0)
    n_kept = keep.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        plain = filled.sum(axis=-1) / n_kept
        if weights is None:
            result = plain
        else:
            kept_weights = np.where(keep, np.broadcast_to(weights, values.shape), 0.0)
            total = kept_weights.sum(axis=-1)
            weighted = (filled * kept_weights).sum(axis=-1) / np.where(total > 0, total, 1.0)
            result = np.where(total > 0, weighted, plain)
    result = np.where(n_kept > 0, result, np.nan)
    return float(result) if result.ndim == 0 else result


def _describe_labels(indices: NDArray[np.intp], label_names: Sequence[str] | None) -> str:
    names = [label_names[i] if label_names else str(i) for i in indices.tolist()]
    shown = ", ".join(names[:10]) + (f", ... ({len(names)} in all)" if len(names) > 10 else "")
    return f"label{'s' if len(names) > 1 else ''} {shown}"


def warn_undefined(
    formula: Formula, subject: str, fill: float, zero_division: Any, stacklevel: int = 4
) -> None:
    if zero_division != "warn":
        return
    warnings.warn(
        f"{formula.name.capitalize()} is undefined ({formula.undefined_when}) for {subject}; "
        f"set to {fill:g}. Pass zero_division=0, 1 or nan to choose the value and silence "
        "this warning.",
        UndefinedMetricWarning,
        stacklevel=stacklevel,
    )


def per_label(
    formula: Formula, counts: MultilabelCounts, zero_division: Any, fill: float
) -> FloatArray:
    num, den = formula.parts(counts.tp, counts.fp, counts.fn, counts.tn, np)
    values, undefined = divide(num, den, fill)
    if np.any(undefined):
        subject = _describe_labels(np.flatnonzero(undefined), counts.label_names)
        warn_undefined(formula, subject, fill, zero_division)
    return values


def per_sample(
    formula: Formula, counts: MultilabelCounts, zero_division: Any, fill: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Values for each distinct per-sample triple, with their weights and counts."""
    tp, fp, fn = decode_triples(counts.sample_keys, counts.n_labels)
    tn = counts.n_labels - tp - fp - fn
    num, den = formula.parts(tp, fp, fn, tn, np)
    values, undefined = divide(num, den, fill)
    if np.any(undefined):
        n_bad = int(counts.sample_count[undefined].sum())
        subject = f"{n_bad} of {counts.n_samples} sample{'s' if counts.n_samples > 1 else ''}"
        warn_undefined(formula, subject, fill, zero_division)
    return values, counts.sample_weight, counts.sample_count.astype(np.float64)


def samples_average(values: FloatArray, weights: FloatArray, sample_count: FloatArray) -> float:
    """Mean over samples of per-triple values, ignoring nan (see :func:`nan_average`)."""
    keep = ~np.isnan(values)
    if not np.any(keep):
        return math.nan
    total = weights[keep].sum()
    if total > 0:
        return float(np.dot(values[keep], weights[keep]) / total)
    return float(np.dot(values[keep], sample_count[keep]) / sample_count[keep].sum())


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
    if average == "micro":
        num, den = formula.parts(
            counts.tp.sum(), counts.fp.sum(), counts.fn.sum(), counts.tn.sum(), np
        )
        value, undefined = divide(num, den, fill)
        if undefined:
            warn_undefined(formula, "the micro average", fill, zero_division)
        return float(value)
    values = per_label(formula, counts, zero_division, fill)
    if average is None:
        return values
    support = counts.tp + counts.fn if average == "weighted" else None
    return nan_average(values, support)
