"""Reading a saved count state back: every field checked, errors naming the field.

A state written by ``MultilabelCounts.to_dict`` may have travelled through files,
queues or other processes; a tampered or truncated one must fail loudly here, not
give wrong metrics later.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validation import check_label_names
from ._counting import decode_triples

SCHEMA_VERSION = 1

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_FIELDS = (
    "schema_version", "n_labels", "label_names", "n_samples", "tp", "fp", "fn", "tn",
    "sample_keys", "sample_weight", "sample_count",
)  # fmt: skip

# Totals that are sums of the same weights in different orders agree only to rounding, and a
# state exported from a Keras metric was accumulated in float32: the consistency checks look
# for tampering, not for the last bits.
_RELATIVE_TOLERANCE = 1e-3


@dataclass(frozen=True)
class StateArrays:
    """The checked fields of a saved state."""

    n_labels: int
    label_names: tuple[str, ...] | None
    n_samples: int
    tp: FloatArray
    fp: FloatArray
    fn: FloatArray
    tn: FloatArray
    sample_keys: IntArray
    sample_weight: FloatArray
    sample_count: IntArray


def _integer(data: dict[str, Any], name: str, minimum: int) -> int:
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"data[{name!r}] must be an integer; got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"data[{name!r}] must be at least {minimum}; got {value!r}")
    return int(value)


def _numbers(data: dict[str, Any], name: str, length: int | None) -> FloatArray:
    """A list of finite non-negative numbers (of ``length`` entries when given)."""
    raw = data[name]
    if not isinstance(raw, (list, tuple, np.ndarray)):
        raise ValueError(f"data[{name!r}] must be a list of numbers; got {type(raw).__name__}")
    try:
        values = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"data[{name!r}] must be a list of numbers; got {raw!r:.80}") from None
    if values.ndim != 1 or (length is not None and values.shape[0] != length):
        expected = "a flat list" if length is None else f"{length} values"
        raise ValueError(f"data[{name!r}] must hold {expected}; got shape {values.shape}")
    bad = ~np.isfinite(values) | (values < 0)
    if np.any(bad):
        raise ValueError(
            f"data[{name!r}] must hold finite non-negative numbers; found "
            f"{float(values[bad][0])!r} at position {int(np.flatnonzero(bad)[0])}"
        )
    return values


def _whole(values: FloatArray, name: str) -> IntArray:
    if not np.all(values == np.floor(values)):
        raise ValueError(f"data[{name!r}] must hold whole numbers")
    return values.astype(np.int64)


def _agree(name: str, value: float, expected: float, what: str) -> None:
    if not math.isclose(value, expected, rel_tol=_RELATIVE_TOLERANCE, abs_tol=1e-12):
        raise ValueError(
            f"data[{name!r}] does not match the rest of the state: {what} is {value!r}, "
            f"expected {expected!r}"
        )


def state_arrays(data: Any) -> StateArrays:
    """Check a dict written by ``MultilabelCounts.to_dict`` and return its arrays.

    Raises
    ------
    ValueError
        Naming the first field that is missing, of the wrong type or shape, negative
        or not finite, or inconsistent with the others.
    """
    if not isinstance(data, dict):
        raise ValueError(
            f"data must be a dict from MultilabelCounts.to_dict(); got {type(data).__name__}"
        )
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(
            f"data must be a dict from MultilabelCounts.to_dict() with schema_version "
            f"{SCHEMA_VERSION}; got schema_version {data.get('schema_version')!r}"
        )
    missing = [name for name in _FIELDS if name not in data]
    if missing:
        raise ValueError(f"data is missing field(s) {', '.join(map(repr, missing))}")
    n_labels = _integer(data, "n_labels", 1)
    try:
        label_names = check_label_names(data["label_names"], n_labels)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"data['label_names']: {exc}") from None
    n_samples = _integer(data, "n_samples", 0)
    tp, fp, fn, tn = (_numbers(data, name, n_labels) for name in ("tp", "fp", "fn", "tn"))
    keys = _whole(_numbers(data, "sample_keys", None), "sample_keys")
    weight = _numbers(data, "sample_weight", keys.shape[0])
    count = _whole(_numbers(data, "sample_count", keys.shape[0]), "sample_count")
    _check_histogram(keys, count, n_labels, n_samples)
    total = float(weight.sum())
    for name, values in (("tp", tp), ("fp", fp), ("fn", fn), ("tn", tn)):
        if values.size and np.any(values > total * (1 + _RELATIVE_TOLERANCE) + 1e-12):
            raise ValueError(
                f"data[{name!r}] exceeds the total sample weight {total!r}: {values.max()!r}"
            )
    label_total = tp + fp + fn + tn
    for j in range(n_labels):
        _agree("tn", float(label_total[j]), total, f"tp + fp + fn + tn of label {j}")
    key_tp, key_fp, key_fn = decode_triples(keys, n_labels)
    for name, per_key, per_label in (("tp", key_tp, tp), ("fp", key_fp, fp), ("fn", key_fn, fn)):
        _agree(name, float(per_label.sum()), float(weight @ per_key), "its sum over labels")
    return StateArrays(n_labels, label_names, n_samples, tp, fp, fn, tn, keys, weight, count)


def _check_histogram(keys: IntArray, count: IntArray, n_labels: int, n_samples: int) -> None:
    if keys.size and not np.all(np.diff(keys) > 0):
        raise ValueError("data['sample_keys'] must be sorted and unique")
    if keys.size:
        tp, fp, fn = decode_triples(keys, n_labels)
        if keys[-1] >= (n_labels + 1) ** 3 or np.any(tp + fp + fn > n_labels):
            raise ValueError(
                f"data['sample_keys'] holds keys that are not (tp, fp, fn) triples of "
                f"{n_labels} labels"
            )
    if np.any(count < 1):
        raise ValueError("data['sample_count'] must count at least one sample per key")
    if int(count.sum()) != n_samples:
        raise ValueError(
            f"data['n_samples'] is {n_samples} but data['sample_count'] sums to {int(count.sum())}"
        )
