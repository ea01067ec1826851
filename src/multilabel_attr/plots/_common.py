"""Shared pieces of the figure functions: matplotlib loading, colours, validation."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..core._validation import to_numpy

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FloatArray = NDArray[np.float64]

# Okabe & Ito (2008): distinguishable under the common colour-vision deficiencies
# and in greyscale print; black is last so that it is used only for many series.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
# Marker shapes double-encode the series so that colour is never the only cue.
MARKERS: tuple[str, ...] = ("o", "s", "D", "^", "v", "P", "X", "*")
REFERENCE_COLOR = "#555555"


def new_figure(width: float, height: float) -> Figure:
    """A stand-alone figure, detached from pyplot's global state.

    Such a figure needs no interactive backend and no ``pyplot.close``; it is
    garbage-collected like any object, which keeps it safe in threads and
    on headless machines.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - exercised only without matplotlib
        raise ImportError(
            "multilabel_attr.plots needs matplotlib; install it with "
            "`pip install multilabel-attr[plot]`"
        ) from exc
    return Figure(figsize=(width, height), layout="constrained")


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def marker(index: int) -> str:
    return MARKERS[index % len(MARKERS)]


def grid_shape(n_panels: int, max_columns: int) -> tuple[int, int]:
    """Rows and columns for ``n_panels`` small multiples, as square as allowed."""
    columns = min(max_columns, max(1, math.ceil(math.sqrt(n_panels))))
    columns = min(columns, n_panels)
    return math.ceil(n_panels / columns), columns


def check_names(label_names: Any, n_labels: int, name: str = "label_names") -> tuple[str, ...]:
    """Label names as strings; ``None`` gives ``label 0``, ``label 1``, ..."""
    if label_names is None:
        return tuple(f"label {i}" for i in range(n_labels))
    if isinstance(label_names, str):
        raise TypeError(f"{name} must be a sequence of names; got a single string {label_names!r}")
    try:
        names = tuple(str(item) for item in label_names)
    except TypeError as exc:
        raise TypeError(
            f"{name} must be a sequence of names; got {type(label_names).__name__}"
        ) from exc
    if len(names) != n_labels:
        raise ValueError(f"{name} must have one name per label ({n_labels}); got {len(names)}")
    if len(set(names)) != len(names):
        duplicates = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"{name} must be unique; repeated: {', '.join(duplicates)}")
    return names


def check_vector(value: Any, name: str, n_labels: int | None = None) -> FloatArray:
    """A 1-D float vector (one value per label), NaN allowed, infinities not."""
    array = to_numpy(value, name)
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D with one value per label; got {array.ndim}-D array "
            f"of shape {array.shape}"
        )
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty; expected one value per label")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise TypeError(f"{name} must be numeric; got dtype {array.dtype}")
    if n_labels is not None and array.shape[0] != n_labels:
        raise ValueError(f"{name} must have one value per label ({n_labels}); got {array.shape[0]}")
    values = array.astype(np.float64)
    if np.any(np.isinf(values)):
        raise ValueError(f"{name} must not contain infinite values")
    return values


def check_series_mapping(
    mapping: Any, name: str, n_labels: int | None = None
) -> tuple[dict[str, FloatArray], int]:
    """A non-empty mapping of series name to one value per label, all of equal length."""
    if not isinstance(mapping, Mapping):
        raise TypeError(
            f"{name} must be a mapping of name to one value per label "
            f"(e.g. {{'test': values}}); got {type(mapping).__name__}"
        )
    if len(mapping) == 0:
        raise ValueError(f"{name} is empty; expected at least one entry")
    series: dict[str, FloatArray] = {}
    for key, value in mapping.items():
        values = check_vector(value, f"{name}[{key!r}]", n_labels)
        if n_labels is None:
            n_labels = values.shape[0]
        series[str(key)] = values
    assert n_labels is not None
    return series, n_labels


def panel_height(n_rows: int, per_row: float, extra: float, minimum: float = 3.0) -> float:
    return max(minimum, n_rows * per_row + extra)


def as_sequence_of_str(value: Sequence[Any]) -> list[str]:
    return [str(v) for v in value]
