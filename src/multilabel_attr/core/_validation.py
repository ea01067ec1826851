"""Validation and formatting at the public boundary.

Every public function validates its inputs here, once, and hands plain numpy
arrays to the counting and formula stages.  Messages name the argument, what
was received and what was expected.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

Average = Literal["micro", "macro", "weighted", "samples"]
ZeroDivision = Literal["warn"] | float

AVERAGES: tuple[str | None, ...] = ("micro", "macro", "weighted", "samples", None)
LABEL_AVERAGES: tuple[str | None, ...] = ("macro", "weighted", None)

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
        raise TypeError(
            f"{name} must be array-like (a list, numpy array or framework tensor); "
            f"got {type(value).__name__}: {exc}"
        ) from exc
    if array.dtype == object:
        raise TypeError(
            f"{name} must be a numeric array-like; got an array of Python objects "
            "(ragged rows or non-numeric values)"
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
        raise ValueError(
            f"{name} must be 2-D with shape (n_samples, n_labels); "
            f"got {array.ndim}-D array of shape {array.shape}{hint}"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(
            f"{name} is empty: got shape {array.shape}; expected at least one sample and one label"
        )
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{name} must be numeric or boolean; got dtype {array.dtype}")
    return array


def check_same_shape(y_true: NDArray[Any], other: NDArray[Any], other_name: str) -> None:
    if y_true.shape != other.shape:
        raise ValueError(
            f"y_true and {other_name} must have the same shape (n_samples, n_labels); "
            f"got y_true {y_true.shape} and {other_name} {other.shape}"
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
        raise ValueError(f"{name} must contain only 0 and 1; found {shown}{hint}")
    return is_one


def check_finite_scores(scores: NDArray[Any], name: str) -> None:
    if np.issubdtype(scores.dtype, np.floating) and not np.all(np.isfinite(scores)):
        n_bad = int(np.count_nonzero(~np.isfinite(scores)))
        raise ValueError(f"{name} must be finite; found {n_bad} NaN or infinite value(s)")


def check_probabilities(scores: NDArray[Any], name: str) -> None:
    low, high = float(scores.min()), float(scores.max())
    if low < 0 or high > 1:
        raise ValueError(
            f"{name} must hold probabilities in [0, 1] when thresholded; got values in "
            f"[{low:g}, {high:g}]. Pass from_logits=True for logits."
        )


def check_threshold(threshold: Any, n_labels: int) -> NDArray[np.float64]:
    """Return thresholds as a float64 vector of length ``n_labels`` (probability scale).

    Accepts a scalar, one value per label, or any object exposing ``__array__``
    (such as [`Thresholds`][multilabel_attr.thresholds.Thresholds]).
    """
    try:
        values = np.asarray(threshold, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"threshold must be a number or one number per label; got {type(threshold).__name__}"
        ) from exc
    if values.ndim == 0:
        values = np.full(n_labels, float(values))
    elif values.ndim != 1 or values.shape[0] != n_labels:
        raise ValueError(
            f"threshold must be a scalar or have one value per label ({n_labels}); "
            f"got shape {values.shape}"
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(f"threshold must be finite; got {values.tolist()}")
    return values


def check_sample_weight(sample_weight: Any, n_samples: int) -> NDArray[np.float64] | None:
    if sample_weight is None:
        return None
    weights = to_numpy(sample_weight, "sample_weight")
    if weights.ndim == 2 and weights.shape[1] == 1:
        weights = weights[:, 0]
    if weights.ndim != 1:
        raise ValueError(
            f"sample_weight must be 1-D with one weight per sample; got shape {weights.shape}"
        )
    if weights.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must have one weight per sample ({n_samples}); got {weights.shape[0]}"
        )
    weights = weights.astype(np.float64, copy=False)
    if not np.all(np.isfinite(weights)):
        raise ValueError("sample_weight must be finite; found NaN or infinite weights")
    if np.any(weights < 0):
        raise ValueError(
            f"sample_weight must be non-negative; found minimum {float(weights.min()):g}"
        )
    return weights


def check_average(average: Any, allowed: Sequence[str | None] = AVERAGES) -> None:
    if average not in allowed:
        raise ValueError(
            f"average must be one of {', '.join(repr(a) for a in allowed)}; got {average!r}"
        )


def check_zero_division(zero_division: Any) -> float:
    """Validate ``zero_division`` and return the value used for undefined results."""
    if isinstance(zero_division, str):
        if zero_division == "warn":
            return 0.0
    elif isinstance(zero_division, numbers.Real) and not isinstance(zero_division, bool):
        value = float(zero_division)
        if value in (0.0, 1.0) or math.isnan(value):
            return value
    raise ValueError(f"zero_division must be 'warn', 0, 1 or nan; got {zero_division!r}")


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
        raise TypeError(f"{name} must be an int; got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value!r}")
    return int(value)


def check_beta(beta: Any) -> float:
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or math.isnan(beta) or beta < 0:
        raise ValueError(f"beta must be a non-negative number (or inf); got {beta!r}")
    return float(beta)


def check_label_names(label_names: Any, n_labels: int) -> tuple[str, ...] | None:
    if label_names is None:
        return None
    names = tuple(str(name) for name in label_names)
    if len(names) != n_labels:
        raise ValueError(f"label_names must have one name per label ({n_labels}); got {len(names)}")
    if len(set(names)) != len(names):
        raise ValueError("label_names must be unique")
    return names
