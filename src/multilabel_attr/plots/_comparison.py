"""Per-label metric values for one or more models, with optional intervals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._common import FloatArray, check_names, check_series_mapping, color, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _check_bounds(
    bound: Any, name: str, values: dict[str, FloatArray], n_labels: int
) -> dict[str, FloatArray]:
    series, _ = check_series_mapping(bound, name, n_labels)
    if set(series) != set(values):
        missing = sorted(set(values) - set(series))
        extra = sorted(set(series) - set(values))
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(map(repr, missing))}" if missing else "",
                f"unexpected {', '.join(map(repr, extra))}" if extra else "",
            )
            if part
        )
        raise ValueError(f"{name} must have the same keys as values ({detail})")
    return series


def plot_metric_comparison(
    values: Mapping[str, Any],
    label_names: Sequence[str] | None = None,
    *,
    lower: Mapping[str, Any] | None = None,
    upper: Mapping[str, Any] | None = None,
    metric_name: str = "F1",
    sort_by: str | None = None,
    title: str | None = None,
) -> Figure:
    """Horizontal grouped bars of a per-label metric, one bar colour per model.

    Parameters
    ----------
    values : mapping of str to array-like of shape (n_labels,)
        For each model (or setting, e.g. ``"threshold 0.5"`` and ``"tuned"``),
        the metric for every label, e.g. ``f1_score(..., average=None)``.
        NaN marks an undefined value and draws no bar.
    label_names : sequence of str, optional
        One name per label.
    lower, upper : mapping of str to array-like of shape (n_labels,), optional
        Interval bounds (e.g. bootstrap confidence intervals) with the same keys
        as ``values``; give both or neither.  Intervals are drawn as whiskers.
    metric_name : str, default "F1"
        Axis label and title text.
    sort_by : str, optional
        Sort labels by this model's value, best at the top; by default labels
        keep their given order (first at the top).
    title : str, optional
        Figure title; defaults to ``"<metric_name> per label"``.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If a mapping is not a mapping or holds non-numeric values.
    ValueError
        On mismatched lengths or keys, only one of ``lower``/``upper``, a lower
        bound above its upper bound, or an unknown ``sort_by``.

    Examples
    --------
    >>> from multilabel_attr.plots import plot_metric_comparison
    >>> fig = plot_metric_comparison(
    ...     {"CNN": [0.9, 0.4], "Transfer": [0.92, 0.5]},
    ...     ["Smiling", "Bald"],
    ...     lower={"CNN": [0.88, 0.3], "Transfer": [0.9, 0.41]},
    ...     upper={"CNN": [0.92, 0.5], "Transfer": [0.94, 0.6]},
    ... )
    >>> fig.axes[0].get_xlabel()
    'F1'
    """
    series, n_labels = check_series_mapping(values, "values")
    names = check_names(label_names, n_labels)
    low, high = _check_intervals(lower, upper, series, names)
    if not isinstance(metric_name, str):
        raise TypeError(f"metric_name must be a string; got {type(metric_name).__name__}")
    if sort_by is not None and sort_by not in series:
        raise ValueError(
            f"sort_by must be one of the keys of values ({', '.join(map(repr, series))}); "
            f"got {sort_by!r}"
        )

    if sort_by is not None:
        # NaN sorts last: undefined values go to the bottom.
        rank = np.where(np.isnan(series[sort_by]), np.inf, -series[sort_by])
        order = np.argsort(rank, kind="stable")
    else:
        order = np.arange(n_labels)
    n_models = len(series)
    group = 0.8
    bar = group / n_models
    rows = np.arange(n_labels)[::-1].astype(np.float64)

    fig = new_figure(7.5, max(3.0, n_labels * (0.12 + 0.1 * n_models) + 1.5))
    ax = fig.add_subplot()
    for i, (model, model_values) in enumerate(series.items()):
        # Models fill each label's band from top to bottom in legend order.
        offsets = rows + group / 2 - bar * (i + 0.5)
        interval = None if low is None or high is None else (low[model], high[model])
        _draw_model(ax, i, model, model_values, interval, offsets, order, bar)

    all_values = np.concatenate(
        [v for v in series.values()]
        + ([v for v in low.values()] + [v for v in high.values()] if low and high else [])
    )
    finite = all_values[np.isfinite(all_values)]
    if finite.size == 0 or (finite.min() >= 0 and finite.max() <= 1):
        ax.set_xlim(0, 1)
    else:
        ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(rows, [names[j] for j in order], fontsize=8)
    ax.set_ylim(-0.6, n_labels - 0.4)
    ax.set_xlabel(metric_name)
    ax.tick_params(axis="x", top=True, labeltop=n_labels > 15, labelsize=8)
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.spines["right"].set_visible(False)
    ax.set_title(title if title is not None else f"{metric_name} per label", pad=8)
    whisker = " (whiskers: interval)" if low is not None else ""
    legend = ax.legend(
        title=f"Model{whisker}",
        fontsize=8,
        title_fontsize=8,
        framealpha=0.95,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.06 if n_labels <= 15 else -0.03),
        ncols=min(n_models, 3),
    )
    legend.set_zorder(5)
    return fig


def _check_intervals(
    lower: Mapping[str, Any] | None,
    upper: Mapping[str, Any] | None,
    series: dict[str, FloatArray],
    names: Sequence[str],
) -> tuple[dict[str, FloatArray] | None, dict[str, FloatArray] | None]:
    """Interval bounds given together, with the keys of ``series`` and low <= high."""
    if (lower is None) != (upper is None):
        given = "lower" if lower is not None else "upper"
        raise ValueError(f"lower and upper must be given together; got only {given}")
    if lower is None or upper is None:
        return None, None
    n_labels = len(names)
    low = _check_bounds(lower, "lower", series, n_labels)
    high = _check_bounds(upper, "upper", series, n_labels)
    for key in series:
        bad = np.flatnonzero(low[key] > high[key])
        if bad.size:
            raise ValueError(
                f"lower[{key!r}] exceeds upper[{key!r}] for label(s) "
                f"{', '.join(names[i] for i in bad[:5])}"
            )
    return low, high


def _draw_model(
    ax: Any,
    index: int,
    model: str,
    model_values: FloatArray,
    interval: tuple[FloatArray, FloatArray] | None,
    offsets: FloatArray,
    order: Any,
    bar: float,
) -> None:
    """One model's bars, whiskers and "undefined" marks."""
    # The mean over labels where the metric is defined, as a macro average with NaNs skipped.
    defined = model_values[~np.isnan(model_values)]
    mean = f"{float(defined.mean()):.3f}" if defined.size else "n/a"
    ax.barh(
        offsets,
        np.nan_to_num(model_values[order], nan=0.0),
        height=bar * 0.92,
        color=color(index),
        label=f"{model} (mean {mean})",
        zorder=2,
    )
    if interval is not None:
        lo, hi = interval[0][order], interval[1][order]
        ax.errorbar(
            (lo + hi) / 2, offsets, xerr=(hi - lo) / 2, fmt="none", ecolor="#222222",
            elinewidth=0.9, capsize=2, capthick=0.9, zorder=3,
        )  # fmt: skip
    for y in offsets[np.isnan(model_values[order])]:
        ax.text(
            0.005, y, "undefined", va="center", ha="left", fontsize=6.5, color="#444444",
            transform=ax.get_yaxis_transform(),
        )  # fmt: skip
