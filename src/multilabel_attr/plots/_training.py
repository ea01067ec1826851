"""Training history (Keras ``History.history`` or a CSV/JSON log) as small multiples."""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core._validation import check_int
from ._common import FloatArray, color, grid_shape, marker, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_EPOCH_KEY = "epoch"
_RATE_KEYS = ("lr", "learning_rate")


def _parse_number(text: str, path: Path, column: str, row: int) -> float:
    if text.strip() == "":
        return math.nan
    try:
        return float(text)
    except ValueError as exc:
        raise ValueError(
            f"history file {path}: column {column!r} row {row} is not a number: {text!r}"
        ) from exc


def _read_history_file(path: Path) -> dict[str, list[float]]:
    if not path.is_file():
        raise FileNotFoundError(f"history file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"history file {path} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError(
                f"history file {path} must hold a JSON object mapping metric names to lists "
                f"of per-epoch values (json.dump(history.history, f)); got {type(data).__name__}"
            )
        return data
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames:
                raise ValueError(f"history file {path} has no header row")
            columns: dict[str, list[float]] = {name: [] for name in reader.fieldnames}
            for row_number, row in enumerate(reader, start=2):
                for name in reader.fieldnames:
                    cell = row.get(name)
                    columns[name].append(
                        math.nan if cell is None else _parse_number(cell, path, name, row_number)
                    )
        return columns
    raise ValueError(
        f"history file must end in .json or .csv (keras.callbacks.CSVLogger); got {path.name!r}"
    )


def load_history(history: Any) -> dict[str, FloatArray]:
    """Validated per-epoch series from a mapping, a ``History`` object or a file path."""
    if isinstance(history, (str, os.PathLike)):
        history = _read_history_file(Path(history))
    elif not isinstance(history, Mapping) and isinstance(
        getattr(history, "history", None), Mapping
    ):
        history = history.history
    if not isinstance(history, Mapping):
        raise TypeError(
            "history must be a mapping of metric name to per-epoch values (History.history), "
            f"a keras History, or a path to a .json/.csv file; got {type(history).__name__}"
        )
    if not history:
        raise ValueError("history is empty; expected at least one metric series")
    series: dict[str, FloatArray] = {}
    for key, values in history.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
            raise TypeError(
                f"history[{key!r}] must be a sequence of per-epoch numbers; "
                f"got {type(values).__name__}"
            )
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"history[{key!r}] must hold numbers: {exc}") from exc
        if array.ndim != 1 or array.size == 0:
            raise ValueError(
                f"history[{key!r}] must be a non-empty 1-D sequence; got shape {array.shape}"
            )
        series[str(key)] = array
    lengths = {key: values.size for key, values in series.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k}: {n}" for k, n in lengths.items())
        raise ValueError(f"history series must all have one value per epoch; got lengths {shown}")
    return series


def _spans_decades(series: dict[str, FloatArray], keys: tuple[str | None, ...]) -> bool:
    values = np.concatenate([series[key] for key in keys if key is not None])
    values = values[np.isfinite(values)]
    return bool(values.size and values.min() > 0 and values.max() / values.min() >= 10)


def plot_training_curves(
    history: Mapping[str, Sequence[float]] | str | os.PathLike[str] | Any,
    *,
    max_columns: int = 3,
    title: str = "Training history",
) -> Figure:
    """One panel per metric with its training and validation curves.

    ``loss`` and ``val_loss`` share a panel, as do ``auc`` and ``val_auc``;
    a series without a partner gets its own panel.  When ``val_loss`` is
    present, a dotted line in every panel marks the epoch with the lowest
    validation loss (where a ``ModelCheckpoint(save_best_only=True)`` or
    ``EarlyStopping(restore_best_weights=True)`` would leave the model).

    Parameters
    ----------
    history : mapping, keras History, str or path
        ``History.history`` (metric name to one value per epoch), the
        ``History`` object itself, or a path to a ``.json`` file holding that
        mapping or a ``.csv`` file written by ``keras.callbacks.CSVLogger``.
        An ``epoch`` column (0-based, as CSVLogger writes it) sets the epoch
        numbers; otherwise epochs are numbered from 1.  Missing values (NaN or
        empty CSV cells) show as gaps.
    max_columns : int, default 3
        Most panels per row.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``history`` is of an unsupported type or holds non-numbers.
    ValueError
        If it is empty, its series differ in length, or a file is malformed.
    FileNotFoundError
        If a path does not exist.

    Examples
    --------
    >>> from multilabel_attr.plots import plot_training_curves
    >>> fig = plot_training_curves(
    ...     {"loss": [0.7, 0.5, 0.4], "val_loss": [0.72, 0.6, 0.62],
    ...      "auc": [0.8, 0.85, 0.9], "val_auc": [0.79, 0.83, 0.84]}
    ... )
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'auc']
    """
    series = load_history(history)
    check_int(max_columns, "max_columns", minimum=1)
    epoch_values = series.pop(_EPOCH_KEY, None)
    if not series:
        raise ValueError("history holds only an 'epoch' column; expected metric series")
    n_epochs = next(iter(series.values())).size
    epochs = (
        epoch_values + 1
        if epoch_values is not None and np.all(np.isfinite(epoch_values))
        else np.arange(1, n_epochs + 1, dtype=np.float64)
    )

    panels: list[tuple[str, str | None, str | None]] = []
    for key in series:
        if key.startswith("val_"):
            if key[4:] not in series:
                panels.append((key, None, key))
            continue
        panels.append((key, key, f"val_{key}" if f"val_{key}" in series else None))

    best_epoch = None
    if "val_loss" in series and np.any(np.isfinite(series["val_loss"])):
        best_epoch = float(epochs[int(np.nanargmin(series["val_loss"]))])

    n_rows, n_cols = grid_shape(len(panels), max_columns)
    fig = new_figure(3.3 * n_cols + 0.4, 2.5 * n_rows + 0.9)
    axes = fig.subplots(n_rows, n_cols, squeeze=False, sharex=True)
    handles: dict[str, Any] = {}
    show_markers = n_epochs <= 30
    for index, ax in enumerate(axes.flat):
        if index >= len(panels):
            ax.set_visible(False)
            continue
        name, train_key, val_key = panels[index]
        for i, (series_key, role) in enumerate(((train_key, "training"), (val_key, "validation"))):
            if series_key is None:
                continue
            (line,) = ax.plot(
                epochs,
                series[series_key],
                color=color(i),
                marker=marker(i) if show_markers else None,
                markersize=3.5,
                linewidth=1.4,
                linestyle="-" if i == 0 else "--",
            )
            handles.setdefault(role, line)
        if best_epoch is not None:
            best = ax.axvline(best_epoch, color="#555555", linestyle=":", linewidth=1.1)
            handles.setdefault(f"lowest val_loss (epoch {best_epoch:g})", best)
        row = index // n_cols
        ax.set_title(name, fontsize=9)
        if name in _RATE_KEYS and _spans_decades(series, (train_key, val_key)):
            # Learning-rate schedules span orders of magnitude; linear axes flatten them.
            ax.set_yscale("log")
        ax.grid(color="#E5E5E5", linewidth=0.6)
        ax.tick_params(labelsize=8)
        if row == n_rows - 1 or index + n_cols >= len(panels):
            ax.set_xlabel("epoch", fontsize=8)
            ax.tick_params(labelbottom=True)
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(title, fontsize=10)
    fig.legend(
        list(handles.values()),
        list(handles.keys()),
        loc="outside lower center",
        ncols=len(handles),
        fontsize=8,
        frameon=False,
    )
    return fig
