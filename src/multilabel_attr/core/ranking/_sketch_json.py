"""Versioned JSON form of a [`ScoreSketch`][multilabel_attr.ScoreSketch], validated on load.

Every field is checked when a sketch is loaded (types, shapes, finite and
non-negative counts, bin ranges inside their bins), and a failure names the
field, so a truncated or tampered file never becomes a silently wrong sketch.
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .._errors import InputError
from ._sketch_bins import EDGES_VERSIONS

if TYPE_CHECKING:
    from ._sketch import ScoreSketch

SKETCH_FORMAT = "multilabel_attr.ScoreSketch"
SKETCH_SCHEMA_VERSION = 1


def _invalid(message: str) -> InputError:
    return InputError(message, argument="data")


def _range_to_json(values: NDArray[np.float64]) -> list[list[float | None]]:
    return [[None if np.isinf(v) else float(v) for v in row] for row in values.tolist()]


def sketch_to_dict(sketch: ScoreSketch) -> dict[str, Any]:
    """The JSON-compatible dict of a sketch (empty bins have ``null`` ranges)."""

    exact_data = None
    if sketch.exact:
        if sketch._exact_chunks:
            truth, scores, weights = sketch._exact_arrays()
            exact_data = {
                "y_true": truth.astype(np.int8).tolist(),
                "y_score": scores.astype(np.float64).tolist(),
                "sample_weight": None if weights is None else weights.tolist(),
            }
        else:
            exact_data = {"y_true": [], "y_score": [], "sample_weight": None}
    return {
        "format": SKETCH_FORMAT,
        "schema_version": SKETCH_SCHEMA_VERSION,
        "edges_version": sketch.edges_version,
        "n_labels": sketch.n_labels,
        "n_bins": sketch.n_bins,
        "from_logits": sketch.from_logits,
        "exact": sketch.exact,
        "label_names": list(sketch.label_names) if sketch.label_names else None,
        "n_samples": sketch.n_samples,
        "pos": sketch.pos.tolist(),
        "neg": sketch.neg.tolist(),
        "lo": _range_to_json(sketch.lo),
        "hi": _range_to_json(sketch.hi),
        "exact_data": exact_data,
    }


def _field(data: dict[str, Any], name: str) -> Any:
    if name not in data:
        raise _invalid(f"sketch data is missing the field {name!r}")
    return data[name]


def _int_field(data: dict[str, Any], name: str, minimum: int) -> int:
    value = _field(data, name)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise _invalid(f"sketch field {name!r} must be an int >= {minimum}; got {value!r}")
    return int(value)


def _bool_field(data: dict[str, Any], name: str) -> bool:
    value = _field(data, name)
    if not isinstance(value, bool):
        raise _invalid(f"sketch field {name!r} must be true or false; got {value!r}")
    return value


def _matrix(data: dict[str, Any], name: str, shape: tuple[int, int], fill: float) -> Any:
    raw = _field(data, name)
    try:
        values = np.array(
            [[fill if v is None else v for v in row] for row in raw], dtype=np.float64
        )
    except (TypeError, ValueError) as exc:
        raise _invalid(f"sketch field {name!r} must be a list of lists of numbers: {exc}") from None
    if values.shape != shape:
        raise _invalid(f"sketch field {name!r} must have shape {shape}; got {values.shape}")
    return values


def _check_counts(values: NDArray[np.float64], name: str) -> None:
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise _invalid(f"sketch field {name!r} must hold finite non-negative counts")


def _check_ranges(
    lo: NDArray[np.float64], hi: NDArray[np.float64], filled: NDArray[np.bool_], edges: Any
) -> None:
    empty_lo, empty_hi = np.isposinf(lo), np.isneginf(hi)
    if np.any(empty_lo != empty_hi):
        raise _invalid("sketch fields 'lo' and 'hi' must both be null for an empty bin")
    if np.any(np.isnan(lo)) or np.any(np.isnan(hi)):
        raise _invalid("sketch fields 'lo' and 'hi' must not hold NaN")
    seen = ~empty_lo
    if np.any(np.isinf(lo[seen])) or np.any(np.isinf(hi[seen])) or np.any(lo[seen] > hi[seen]):
        raise _invalid("sketch fields 'lo' and 'hi' must be finite with lo <= hi in every bin")
    if np.any(filled & ~seen):
        raise _invalid("sketch fields 'lo'/'hi' are null for a bin with counts in 'pos'/'neg'")
    lower = np.broadcast_to(edges[:-1], lo.shape)
    upper = np.broadcast_to(edges[1:], lo.shape)
    if np.any(lo[seen] < lower[seen]) or np.any(hi[seen] >= upper[seen]):
        raise _invalid("sketch fields 'lo'/'hi' hold a score outside its bin's edges")


def _check_size(raw: Any, name: str, n_labels: int, n_bins: int) -> None:
    rows_ok = isinstance(raw, list) and len(raw) == n_labels
    if not rows_ok or any(not isinstance(row, list) or len(row) != n_bins for row in raw):
        raise _invalid(
            f"sketch field {name!r} must hold n_labels={n_labels} lists of n_bins={n_bins} "
            "values each"
        )


def _check_totals(counts: NDArray[np.float64], n_samples: int) -> None:
    """Every sample adds its weight to one bin of every label: equal totals per label."""
    totals = counts.sum(axis=1)
    if n_samples == 0 and np.any(totals > 0):
        raise _invalid("sketch fields 'pos'/'neg' hold counts but 'n_samples' is 0")
    if not np.allclose(totals, totals[0], rtol=1e-9, atol=0.0):
        raise _invalid(
            "sketch fields 'pos'/'neg' give the labels different total weights; every sample "
            "counts once for every label"
        )


def sketch_from_dict(cls: type[ScoreSketch], data: Any) -> ScoreSketch:
    """Validate ``data`` and rebuild the sketch."""

    if not isinstance(data, dict) or data.get("format") != SKETCH_FORMAT:
        got = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise _invalid(
            f"data must come from ScoreSketch.to_dict() (format {SKETCH_FORMAT!r}); got {got!r}"
        )
    if _field(data, "schema_version") != SKETCH_SCHEMA_VERSION:
        raise _invalid(
            f"sketch field 'schema_version' must be {SKETCH_SCHEMA_VERSION}; "
            f"got {data['schema_version']!r}"
        )
    edges_version = _field(data, "edges_version")
    if isinstance(edges_version, bool) or edges_version not in EDGES_VERSIONS:
        raise _invalid(
            f"sketch field 'edges_version' must be one of {list(EDGES_VERSIONS)}; "
            f"got {edges_version!r}"
        )
    n_labels = _int_field(data, "n_labels", 1)
    n_bins = _int_field(data, "n_bins", 2)
    for name in ("pos", "neg", "lo", "hi"):
        # Before anything is allocated: the sizes a document claims must be the sizes it holds.
        _check_size(_field(data, name), name, n_labels, n_bins)
    sketch = cls._empty(
        n_labels, n_bins, _bool_field(data, "from_logits"), _bool_field(data, "exact"),
        _field(data, "label_names"), int(edges_version),
    )  # fmt: skip
    shape = (n_labels, n_bins)
    sketch.pos = _matrix(data, "pos", shape, np.nan)
    sketch.neg = _matrix(data, "neg", shape, np.nan)
    _check_counts(sketch.pos, "pos")
    _check_counts(sketch.neg, "neg")
    sketch.lo = _matrix(data, "lo", shape, np.inf)
    sketch.hi = _matrix(data, "hi", shape, -np.inf)
    _check_ranges(sketch.lo, sketch.hi, (sketch.pos + sketch.neg) > 0, sketch.edges)
    sketch.n_samples = _int_field(data, "n_samples", 0)
    _check_totals(sketch.pos + sketch.neg, sketch.n_samples)
    if sketch.exact:
        _load_exact(sketch, _field(data, "exact_data"))
    return sketch


def _load_exact(sketch: ScoreSketch, exact_data: Any) -> None:
    if not isinstance(exact_data, dict):
        raise _invalid("sketch field 'exact_data' must be an object for an exact sketch")
    truth = np.asarray(_field(exact_data, "y_true"))
    scores = np.asarray(_field(exact_data, "y_score"), dtype=np.float64)
    if sketch.n_samples == 0:
        if truth.size or scores.size:
            raise _invalid("sketch field 'exact_data' holds scores but 'n_samples' is 0")
        return
    expected = (sketch.n_samples, sketch.n_labels)
    if truth.shape != expected or scores.shape != expected:
        raise _invalid(
            f"sketch field 'exact_data' must hold y_true and y_score of shape {expected}; "
            f"got {truth.shape} and {scores.shape}"
        )
    if not np.all((truth == 0) | (truth == 1)) or not np.all(np.isfinite(scores)):
        raise _invalid("sketch field 'exact_data' must hold 0/1 y_true and finite y_score")
    raw_weights = exact_data.get("sample_weight")
    weights = None if raw_weights is None else np.asarray(raw_weights, dtype=np.float64)
    if weights is not None and (
        weights.shape != (sketch.n_samples,) or not np.all(np.isfinite(weights) & (weights >= 0))
    ):
        raise _invalid(
            "sketch field 'exact_data.sample_weight' must hold n_samples finite weights >= 0"
        )
    rebuilt = sketch.empty_like()
    rebuilt._add(truth == 1, scores, weights)
    if not (np.allclose(rebuilt.pos, sketch.pos) and np.allclose(rebuilt.neg, sketch.neg)):
        raise _invalid("sketch field 'exact_data' does not match the counts in 'pos'/'neg'")
    sketch._exact_chunks = [(truth == 1, scores, weights)]
