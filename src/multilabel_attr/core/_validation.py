"""Validation and formatting at the public boundary.

Every public function validates its inputs here, once, and hands plain numpy
arrays to the counting and formula stages.  Messages name the argument, what
was received and what was expected.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from ._errors import InputError, InputTypeError

AVERAGES: tuple[str | None, ...] = ("micro", "macro", "weighted", "samples", None)

SIGNED_LABELS_HINT = (
    "CelebA's annotation files use -1/1; convert them with multilabel_attr.signed_to_binary(labels)"
)


def to_numpy(value: Any, name: str) -> NDArray[Any]:
    """Convert any array-like (lists, numpy, TensorFlow, PyTorch, JAX) to numpy."""
    if isinstance(value, np.ndarray):
        return value
    # Framework tensors: PyTorch needs .detach().cpu(), TF/JAX support __array__.
    detach = getattr(value, "detach", None)
    if callable(detach):
        value = detach()
        cpu = getattr(value, "cpu", None)
        if callable(cpu):
            value = cpu()
    numpy_method = getattr(value, "numpy", None)
    if callable(numpy_method) and not isinstance(value, (list, tuple)):
        try:
            return np.asarray(numpy_method())
        except Exception:  # fall back to the array protocol below
            pass
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise InputTypeError(
            f"{name} must be array-like (a list, numpy array or framework tensor); "
            f"got {type(value).__name__}: {exc}",
            argument=name,
        ) from exc
    if array.dtype == object:
        raise InputTypeError(
            f"{name} must be a numeric array-like; got an array of Python objects "
            "(ragged rows or non-numeric values)",
            argument=name,
        )
    return array


def check_2d(value: Any, name: str) -> NDArray[Any]:
    """Return ``value`` as a non-empty 2-D numeric numpy array."""
    array = to_numpy(value, name)
    if array.ndim != 2:
        hint = (
            " (for a single label pass shape (n_samples, 1), e.g. y.reshape(-1, 1))"
            if array.ndim == 1
            else ""
        )
        raise InputError(
            f"{name} must be 2-D with shape (n_samples, n_labels); "
            f"got {array.ndim}-D array of shape {array.shape}{hint}",
            argument=name,
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise InputError(
            f"{name} is empty: got shape {array.shape}; expected at least one sample and one label",
            argument=name,
        )
    if np.issubdtype(array.dtype, np.complexfloating):
        raise InputTypeError(
            f"{name} must hold real numbers; got complex dtype {array.dtype} (the imaginary "
            "part would be dropped silently). Pass the real part or the magnitude explicitly.",
            argument=name,
        )
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise InputTypeError(
            f"{name} must be numeric or boolean; got dtype {array.dtype}", argument=name
        )
    return array


def check_same_shape(y_true: NDArray[Any], other: NDArray[Any], other_name: str) -> None:
    if y_true.shape != other.shape:
        raise InputError(
            f"y_true and {other_name} must have the same shape (n_samples, n_labels); "
            f"got y_true {y_true.shape} and {other_name} {other.shape}",
            argument=other_name,
        )


def binary_mask(array: NDArray[Any], name: str) -> NDArray[np.bool_]:
    """Return a 0/1 array as booleans, or raise naming the offending values."""
    if array.dtype == np.bool_:
        return array
    is_one: NDArray[np.bool_] = np.asarray(array == 1)
    if not np.all(is_one | (array == 0)):
        bad = np.unique(array[~(is_one | (array == 0))])
        shown = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in bad[:5].tolist())
        hint = ""
        if name == "y_true" and np.any(array == -1):
            hint = f". {SIGNED_LABELS_HINT}"
        elif name == "y_pred":
            hint = "; to binarize scores pass threshold=0.5 (or one threshold per label)"
        raise InputError(f"{name} must contain only 0 and 1; found {shown}{hint}", argument=name)
    return is_one


def check_finite_scores(scores: NDArray[Any], name: str) -> None:
    if np.issubdtype(scores.dtype, np.floating) and not np.all(np.isfinite(scores)):
        n_bad = int(np.count_nonzero(~np.isfinite(scores)))
        raise InputError(
            f"{name} must be finite; found {n_bad} NaN or infinite value(s)", argument=name
        )


def check_probabilities(
    scores: NDArray[Any], name: str, *, purpose: str = "when thresholded"
) -> None:
    low, high = float(scores.min()), float(scores.max())
    if low < 0 or high > 1:
        raise InputError(
            f"{name} must hold probabilities in [0, 1] {purpose}; got values in "
            f"[{low:g}, {high:g}]. Pass from_logits=True for logits.",
            argument=name,
        )


@runtime_checkable
class PerGroupThresholds(Protocol):
    """What the core reads of per-group thresholds (a
    [`GroupThresholds`][multilabel_attr.thresholds.GroupThresholds]): the number of group
    arrays its keys combine, the groups it holds (``key in thresholds``, iteration) and each
    group's thresholds (``thresholds[key]``, convertible to probability-scale values)."""

    overall: Any
    n_factors: int

    def __getitem__(self, key: Any) -> Any: ...

    def __contains__(self, key: object) -> bool: ...

    def __iter__(self) -> Iterator[Any]: ...


def refuse_group_thresholds(threshold: Any, name: str) -> None:
    """Per-group thresholds need each row's group: refused where rows have none."""
    if isinstance(threshold, PerGroupThresholds):
        raise InputTypeError(
            f"{name} holds per-group thresholds ({type(threshold).__name__}); they apply only "
            "to rows with groups: evaluate or bootstrap_report with groups= (the group arrays "
            f"they were tuned on). Pass {name}.overall, or one group's {name}[key], to apply "
            "one set of thresholds to every row",
            argument=name,
        )


def check_threshold(
    threshold: Any, n_labels: int | None, name: str = "threshold"
) -> NDArray[np.float64]:
    """Return thresholds as a float64 vector of length ``n_labels`` (any score scale).

    Accepts a scalar, one value per label, or any object exposing ``__array__``
    (such as [`Thresholds`][multilabel_attr.thresholds.Thresholds]).  Strings and
    booleans are refused: ``"0.5"`` or ``True`` would otherwise convert silently.
    With ``n_labels=None`` (the number of labels not known yet, before the data
    is read) a scalar stays a 0-d array and a vector may have any length.
    """
    refuse_group_thresholds(threshold, name)
    if isinstance(threshold, (str, bytes, bool, np.bool_)):
        raise InputTypeError(
            f"{name} must be a number or one number per label; got {type(threshold).__name__} "
            f"{threshold!r}",
            argument=name,
        )
    try:
        values = np.asarray(threshold, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputTypeError(
            f"{name} must be a number or one number per label; got {type(threshold).__name__}",
            argument=name,
        ) from exc
    if values.ndim == 0 and n_labels is not None:
        values = np.full(n_labels, float(values))
    elif values.ndim > 1 or values.size == 0 or (n_labels is not None and values.size != n_labels):
        expected = "one value per label" + ("" if n_labels is None else f" ({n_labels})")
        raise InputError(
            f"{name} must be a scalar or have {expected}; got shape {values.shape}",
            argument=name,
        )
    if not np.all(np.isfinite(values)):
        raise InputError(f"{name} must be finite; got {values.tolist()}", argument=name)
    return values


def check_probability_threshold(
    threshold: Any, n_labels: int | None, name: str = "threshold"
) -> NDArray[np.float64]:
    """[`check_threshold`][multilabel_attr.core._validation.check_threshold], also requiring [0, 1].

    Every metric compares a probability (a score, or the sigmoid of a logit with
    ``from_logits=True``) with its threshold, so a value outside [0, 1] would
    make a label constant: above 1 nothing is predicted positive, below 0
    everything is.  That is refused on both scales, with the same message.
    """
    values = check_threshold(threshold, n_labels, name)
    outside = (values < 0) | (values > 1)
    if np.any(outside):
        shown = ", ".join(f"{v:g}" for v in np.atleast_1d(values[outside])[:5].tolist())
        raise InputError(
            f"{name} must lie in [0, 1], the probability scale (scores, or the sigmoid of "
            f"logits with from_logits=True, are compared with it); got {shown}. A threshold "
            "above 1 would predict no positives and one below 0 would predict all.",
            argument=name,
        )
    return values


def threshold_cut(thresholds: NDArray[np.float64], from_logits: bool) -> NDArray[np.float64]:
    """The cut that scores are compared with: the thresholds, or their logit.

    ``sigmoid(x) >= t`` holds exactly when ``x >= log(t) - log(1 - t)``, so logits are
    compared in logit space without computing a sigmoid (0 and 1 map to -inf and inf).
    """
    if not from_logits:
        return thresholds
    with np.errstate(divide="ignore"):
        cut: NDArray[np.float64] = np.log(thresholds) - np.log1p(-thresholds)
    return cut


def check_score_values(scores: NDArray[Any], name: str, *, from_logits: bool) -> None:
    """Scores to threshold must be finite, and probabilities unless ``from_logits``."""
    if not np.issubdtype(scores.dtype, np.floating) and from_logits:
        return
    check_finite_scores(scores, name)
    if not from_logits:
        check_probabilities(scores, name)


@dataclass(frozen=True)
class Batch:
    """One batch checked at the public boundary (shapes, thresholds, weights).

    ``pred`` holds 0/1 predictions when ``thresholds`` is None, scores otherwise;
    the values of ``truth`` and ``pred`` are checked where they are counted.
    """

    truth: NDArray[Any]
    pred: NDArray[Any]
    thresholds: NDArray[np.float64] | None
    from_logits: bool
    weights: NDArray[np.float64] | None

    @property
    def pred_name(self) -> str:
        return "y_pred" if self.thresholds is None else "y_score"


def check_batch(
    y_true: Any, y_pred: Any, *, threshold: Any, from_logits: Any, sample_weight: Any
) -> Batch:
    """Validate the arguments of one batch of labels and predictions (or scores)."""
    pred_name = "y_pred" if threshold is None else "y_score"
    truth = check_2d(y_true, "y_true")
    pred = check_2d(y_pred, pred_name)
    check_same_shape(truth, pred, pred_name)
    thresholds = None if threshold is None else per_label(threshold, truth.shape[1])
    weights = check_sample_weight(sample_weight, truth.shape[0])
    return Batch(truth, pred, thresholds, from_logits, weights)


def per_label(threshold: Any, n_labels: int) -> NDArray[np.float64]:
    """Thresholds checked at the door (see ``_options``) as one value per label."""
    refuse_group_thresholds(threshold, "threshold")
    values = np.asarray(threshold, np.float64)
    if values.ndim == 0:
        return np.full(n_labels, float(values))
    if values.shape != (n_labels,):
        raise InputError(
            f"threshold must be a scalar or have one value per label ({n_labels}); "
            f"got shape {values.shape}",
            argument="threshold",
        )
    return values


def check_sample_weight(
    sample_weight: Any, n_samples: int, *, positive_sum: bool = False
) -> NDArray[np.float64] | None:
    """Weights as a float64 vector, one finite non-negative weight per sample.

    With ``positive_sum``, all-zero weights are refused: every metric of the
    data would be undefined.
    """
    if sample_weight is None:
        return None
    weights = to_numpy(sample_weight, "sample_weight")
    if weights.ndim == 2 and weights.shape[1] == 1:
        weights = weights[:, 0]
    if weights.ndim != 1:
        raise InputError(
            f"sample_weight must be 1-D with one weight per sample; got shape {weights.shape}",
            argument="sample_weight",
        )
    if weights.shape[0] != n_samples:
        raise InputError(
            f"sample_weight must have one weight per sample ({n_samples}); got {weights.shape[0]}",
            argument="sample_weight",
        )
    weights = weights.astype(np.float64, copy=False)
    if not np.all(np.isfinite(weights)):
        raise InputError(
            "sample_weight must be finite; found NaN or infinite weights", argument="sample_weight"
        )
    if np.any(weights < 0):
        raise InputError(
            f"sample_weight must be non-negative; found minimum {float(weights.min()):g}",
            argument="sample_weight",
        )
    with np.errstate(over="ignore"):
        total = float(np.sum(weights))
    if not math.isfinite(total):
        raise InputError(
            f"sample_weight sums to infinity (the largest weight is {float(weights.max()):g}); "
            "the weighted counts would overflow float64. Rescale the weights.",
            argument="sample_weight",
        )
    if positive_sum and n_samples > 0 and not np.any(weights > 0):
        raise InputError(
            f"sample_weight is zero for all {n_samples} samples; every metric would be "
            "undefined. Give at least one sample a positive weight.",
            argument="sample_weight",
        )
    return weights


def check_average(average: Any, allowed: Sequence[str | None] = AVERAGES) -> None:
    if average not in allowed:
        raise InputError(
            f"average must be one of {', '.join(repr(a) for a in allowed)}; got {average!r}",
            argument="average",
        )


ZERO_DIVISIONS: tuple[str | float, ...] = ("warn", 0.0, 1.0, math.nan)
"""The ``zero_division`` values of the metric functions; others allow a subset."""


def check_zero_division(
    zero_division: Any, allowed: Sequence[str | float] = ZERO_DIVISIONS, *, context: str = ""
) -> float:
    """Validate ``zero_division`` against ``allowed``; return the value of undefined results.

    ``"warn"`` stands for 0 (with a warning where the result is computed).
    ``context`` ends the message, saying why some values are not allowed.
    """
    numeric = [float(a) for a in allowed if not isinstance(a, str)]
    if isinstance(zero_division, str):
        if zero_division == "warn" and "warn" in allowed:
            return 0.0
    elif isinstance(zero_division, numbers.Real) and not isinstance(zero_division, bool):
        value = float(zero_division)
        if value in numeric or (math.isnan(value) and any(math.isnan(a) for a in numeric)):
            return value
    names = [repr(a) if isinstance(a, str) else f"{a:g}" for a in allowed]
    shown = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    raise InputError(
        f"zero_division must be {shown}{context}; got {zero_division!r}", argument="zero_division"
    )


def check_int(value: Any, name: str, *, minimum: int) -> int:
    """Return ``value`` as an int, or raise naming ``name``.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (bools are refused too).
    ValueError
        If it is below ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputTypeError(
            f"{name} must be an int; got {type(value).__name__} {value!r}", argument=name
        )
    if value < minimum:
        raise InputError(f"{name} must be at least {minimum}; got {value!r}", argument=name)
    return int(value)


def check_beta(beta: Any) -> float:
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or math.isnan(beta) or beta < 0:
        raise InputError(
            f"beta must be a non-negative number (or inf); got {beta!r}", argument="beta"
        )
    return float(beta)


def check_label_names(label_names: Any, n_labels: int) -> tuple[str, ...] | None:
    if label_names is None:
        return None
    names = tuple(str(name) for name in label_names)
    if len(names) != n_labels:
        raise InputError(
            f"label_names must have one name per label ({n_labels}); got {len(names)}",
            argument="label_names",
        )
    if len(set(names)) != len(names):
        raise InputError("label_names must be unique", argument="label_names")
    return names


def label_name_difference(stored: Sequence[str], expected: Sequence[str]) -> str:
    """How two label lists differ, for an error that refuses one in place of the other."""
    missing = [n for n in expected if n not in stored]
    extra = [n for n in stored if n not in expected]
    if not missing and not extra:
        return "same names in a different order"
    parts = []
    if missing:
        parts.append(f"not in the file: {', '.join(missing[:10])}")
    if extra:
        parts.append(f"only in the file: {', '.join(extra[:10])}")
    return "; ".join(parts)


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def external_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the first caller outside the package.

    Public functions reach a warning through different call depths (a metric
    function, a state method, a report, a threshold search), so a fixed level
    would blame, and print, library code for some of them.
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level
