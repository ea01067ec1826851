"""Versioned JSON form of a [`CalibrationState`][multilabel_attr.CalibrationState], checked on load.

Every field is checked when a state is loaded (types, shapes, finite sums,
non-negative weights, per-bin sums that a real batch could give), and a failure
names the field.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from ._state import CalibrationState

STATE_FORMAT = "multilabel_attr.CalibrationState"
STATE_SCHEMA_VERSION = 1

_BIN_FIELDS = ("weight", "score_sum", "label_sum")


def state_to_dict(state: CalibrationState) -> dict[str, Any]:
    """The JSON-compatible dict of a state."""
    exact_data: dict[str, Any] | None = None
    if state.exact:
        exact_data = {"y_true": [], "y_score": [], "sample_weight": None}
        if state._chunks:
            truth, probs, weights = state.exact_arrays()
            exact_data = {
                "y_true": truth.astype(np.int8).tolist(),
                "y_score": probs.tolist(),
                "sample_weight": None if weights is None else weights.tolist(),
            }
    fine = state.fine
    return {
        "format": STATE_FORMAT,
        "schema_version": STATE_SCHEMA_VERSION,
        "n_labels": state.n_labels,
        "n_bins": state.n_bins,
        "sketch_bins": state.sketch_bins,
        "from_logits": state.from_logits,
        "exact": state.exact,
        "label_names": list(state.label_names) if state.label_names else None,
        "n_samples": state.n_samples,
        "max_weight": state.max_weight,
        **{name: getattr(state, name).tolist() for name in _BIN_FIELDS},
        "brier_sum": state.brier_sum.tolist(),
        "log_loss_sum": state.log_loss_sum.tolist(),
        "fine": None if fine is None else [part.tolist() for part in fine],
        "exact_data": exact_data,
    }


def _field(data: dict[str, Any], name: str) -> Any:
    if name not in data:
        raise ValueError(f"calibration state data is missing the field {name!r}")
    return data[name]


def _int_field(data: dict[str, Any], name: str, minimum: int) -> int:
    value = _field(data, name)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"calibration state field {name!r} must be an int >= {minimum}; "
                         f"got {value!r}")  # fmt: skip
    return int(value)


def _array(raw: Any, name: str, shape: tuple[int, ...]) -> NDArray[np.float64]:
    try:
        values = np.array(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"calibration state field {name!r} must hold numbers: {exc}") from None
    if values.shape != shape:
        raise ValueError(
            f"calibration state field {name!r} must have shape {shape}; got {values.shape}"
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(f"calibration state field {name!r} must hold finite numbers")
    return values


def _check_bins(sums: Sequence[Any], name: str) -> None:
    weight, score, label = sums
    # Scores and labels lie in [0, 1], so their weighted sums lie between 0 and the weight.
    slack = 1e-9 * (1.0 + weight)
    if np.any(weight < 0) or np.any(score < -slack) or np.any(label < -slack):
        raise ValueError(f"calibration state field {name!r} holds negative sums")
    if np.any(score > weight + slack) or np.any(label > weight + slack):
        raise ValueError(f"calibration state field {name!r} holds sums above the bin's weight")


def state_from_dict(cls: type[CalibrationState], data: Any) -> CalibrationState:
    """Validate ``data`` and rebuild the state."""
    if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
        got = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ValueError(
            f"data must come from CalibrationState.to_dict() (format {STATE_FORMAT!r}); got {got!r}"
        )
    if _field(data, "schema_version") != STATE_SCHEMA_VERSION:
        raise ValueError(f"calibration state field 'schema_version' must be "
                         f"{STATE_SCHEMA_VERSION}; got {data['schema_version']!r}")  # fmt: skip
    n_labels, n_bins = _int_field(data, "n_labels", 1), _int_field(data, "n_bins", 1)
    sketch_bins = _int_field(data, "sketch_bins", 0)
    for name in ("from_logits", "exact"):
        if not isinstance(_field(data, name), bool):
            raise ValueError(f"calibration state field {name!r} must be true or false")
    state = cls(
        n_labels, n_bins=n_bins, label_names=_field(data, "label_names"),
        from_logits=data["from_logits"], exact=data["exact"], sketch_bins=sketch_bins or None,
    )  # fmt: skip
    shape = (n_labels, n_bins)
    bins = [_array(_field(data, name), name, shape) for name in _BIN_FIELDS]
    _check_bins(bins, "weight/score_sum/label_sum")
    state.weight, state.score_sum, state.label_sum = bins
    state.brier_sum = _array(_field(data, "brier_sum"), "brier_sum", (n_labels,))
    state.log_loss_sum = _array(_field(data, "log_loss_sum"), "log_loss_sum", (n_labels,))
    if np.any(state.brier_sum < 0) or np.any(state.log_loss_sum < 0):
        raise ValueError("calibration state fields 'brier_sum'/'log_loss_sum' must be >= 0")
    state.n_samples = _int_field(data, "n_samples", 0)
    state.max_weight = float(_array(_field(data, "max_weight"), "max_weight", ()))
    fine = _field(data, "fine")
    if state.sketch_bins:
        parts = [_array(p, "fine", (n_labels, state.sketch_bins)) for p in (fine or [[]] * 3)]
        if len(parts) != 3:
            raise ValueError("calibration state field 'fine' must hold three arrays")
        _check_bins(parts, "fine")
        state.fine = (parts[0], parts[1], parts[2])
    if state.exact:
        _load_exact(state, _field(data, "exact_data"))
    return state


def _load_exact(state: CalibrationState, exact_data: Any) -> None:
    if not isinstance(exact_data, dict):
        raise ValueError("calibration state field 'exact_data' must be an object in exact mode")
    if state.n_samples == 0:
        return
    shape = (state.n_samples, state.n_labels)
    truth = _array(_field(exact_data, "y_true"), "exact_data.y_true", shape)
    probs = _array(_field(exact_data, "y_score"), "exact_data.y_score", shape)
    if not np.all((truth == 0) | (truth == 1)) or np.any(probs < 0) or np.any(probs > 1):
        raise ValueError("calibration state field 'exact_data' must hold 0/1 labels and "
                         "probabilities in [0, 1]")  # fmt: skip
    raw = exact_data.get("sample_weight")
    weights = None if raw is None else _array(raw, "exact_data.sample_weight", shape[:1])
    if weights is not None and np.any(weights < 0):
        raise ValueError("calibration state field 'exact_data.sample_weight' must be >= 0")
    state._chunks = [(truth == 1, probs, weights)]
