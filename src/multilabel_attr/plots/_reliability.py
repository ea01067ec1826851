"""Reliability diagrams: mean score against observed rate per bin, with binomial bands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..core import CalibrationState, ReliabilityCurve, reliability_bands
from ..core._internal import validated
from ..core._validation import check_int
from ._common import REFERENCE_COLOR, check_names, color, grid_shape, marker, new_figure
from ._thresholds import _select_labels

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _check_series(curve_or_state: Any) -> dict[str, ReliabilityCurve | CalibrationState]:
    """One curve or state, or a non-empty mapping of series name to one, all of one size."""
    if isinstance(curve_or_state, (ReliabilityCurve, CalibrationState)):
        series = {"": curve_or_state}
    elif isinstance(curve_or_state, Mapping) and curve_or_state:
        series = {str(name): value for name, value in curve_or_state.items()}
    else:
        raise TypeError(
            "curve_or_state must be a ReliabilityCurve, a CalibrationState or a non-empty "
            f"mapping of name to one of them; got {type(curve_or_state).__name__}"
        )
    sizes = set()
    for name, value in series.items():
        if not isinstance(value, (ReliabilityCurve, CalibrationState)):
            raise TypeError(
                f"curve_or_state[{name!r}] must be a ReliabilityCurve or a CalibrationState; "
                f"got {type(value).__name__}"
            )
        sizes.add(value.n_labels if isinstance(value, CalibrationState) else value.weight.shape[0])
    if len(sizes) != 1:
        raise ValueError(f"every series of curve_or_state must have the same labels; got {sizes}")
    return series


def _default_names(series: Mapping[str, Any], label_names: Any, n_labels: int) -> tuple[str, ...]:
    if label_names is None:
        for value in series.values():
            if isinstance(value, CalibrationState) and value.label_names:
                return tuple(value.label_names)
    return check_names(label_names, n_labels)


def _draw_series(
    ax: Any, hist: Any, curve: ReliabilityCurve, bands: Any, label: int, index: int, name: str
) -> None:
    filled = curve.weight[label] > 0
    x, y = curve.mean_score[label][filled], curve.observed_rate[label][filled]
    (line,) = ax.plot(
        x, y, color=color(index), marker=marker(index), markersize=3.5, linewidth=1.2,
        label=name or "observed rate", zorder=4,
    )  # fmt: skip
    line.set_gid(f"reliability:{name}")
    if bands is not None:
        band = ax.vlines(
            x, bands.low[label][filled], bands.high[label][filled], color=color(index),
            linewidth=2.4, alpha=0.35, zorder=3,
        )  # fmt: skip
        band.set_gid(f"band:{name}")
    total = float(curve.weight[label].sum())
    share = curve.weight[label] / total if total > 0 else curve.weight[label]
    stairs = hist.stairs(share, curve.edges[label], color=color(index), alpha=0.3, fill=True)
    stairs.set_gid(f"weights:{name}")


@validated("confidence_level", band="optional_band")
def plot_reliability_diagram(
    curve_or_state: Any,
    *,
    labels: Sequence[int | str] | None = None,
    band: str | None = "wilson",
    confidence_level: float = 0.95,
    label_names: Sequence[str] | None = None,
    max_columns: int = 4,
    title: str | None = None,
) -> Figure:
    """Reliability diagram per label: each bin's mean score against its observed rate.

    Each panel shows one label: the diagonal (perfect calibration), the observed rate of
    every non-empty bin at its mean score, the binomial interval of that rate as a vertical
    band ([`reliability_bands`][multilabel_attr.reliability_bands]: how far chance alone
    moves a calibrated bin), and underneath the share of the samples in each bin as a
    histogram.  A mapping of several curves (two models, say) overlays them.

    Parameters
    ----------
    curve_or_state : ReliabilityCurve, CalibrationState or mapping of str to them
        From [`calibration_curve`][multilabel_attr.calibration_curve] or a
        [`CalibrationState`][multilabel_attr.CalibrationState] (its equal-width bins); a
        mapping draws one series per entry, named in the legend.
    labels : sequence of int or str, optional
        Which labels to draw (indices or names); all by default.
    band : {"wilson", "clopper-pearson"} or None, default="wilson"
        The interval drawn around each observed rate (``"clopper-pearson"`` needs scipy);
        ``None`` draws none.
    confidence_level : float, default=0.95
    label_names : sequence of str, optional
        One name per label; a state's own names by default.
    max_columns : int, default=4
        Most panels per row.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import calibration_curve
    >>> from multilabel_attr.plots import plot_reliability_diagram
    >>> y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    >>> p = np.array([[0.9, 0.2], [0.4, 0.7], [0.6, 0.8], [0.1, 0.3]])
    >>> fig = plot_reliability_diagram(calibration_curve(y, p, n_bins=4), label_names=["a", "b"])
    >>> [ax.get_title() for ax in fig.axes if ax.get_title()]
    ['a', 'b']
    """
    series = _check_series(curve_or_state)
    check_int(max_columns, "max_columns", minimum=1)
    curves = {
        name: value.calibration_curve() if isinstance(value, CalibrationState) else value
        for name, value in series.items()
    }
    n_labels = next(iter(curves.values())).weight.shape[0]
    names = _default_names(series, label_names, n_labels)
    selected = _select_labels(labels, names)
    bands = {
        name: None if band is None else reliability_bands(
            curve, method=band, confidence_level=confidence_level
        )
        for name, curve in curves.items()
    }  # fmt: skip
    n_rows, n_cols = grid_shape(len(selected), max_columns)
    fig = new_figure(2.6 * n_cols + 0.6, 2.6 * n_rows + 1.0)
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for index, ax in enumerate(axes.flat):
        if index >= len(selected):
            ax.set_visible(False)
            continue
        label = selected[index]
        ax.plot([0, 1], [0, 1], linestyle="--", color=REFERENCE_COLOR, linewidth=0.9,
                label="perfect calibration")  # fmt: skip
        # The bin shares sit on a second axis scaled so that they fill the lowest quarter.
        hist = ax.twinx()
        hist.set_ylim(0, 4)
        hist.set_yticks([])
        for i, (name, curve) in enumerate(curves.items()):
            _draw_series(ax, hist, curve, bands[name], label, i, name)
        ax.set(xlim=(0, 1), ylim=(-0.02, 1.02))
        ax.set_zorder(hist.get_zorder() + 1)
        ax.patch.set_visible(False)
        ax.set_title(names[label], fontsize=8.5, pad=3)
        ax.grid(color="#E5E5E5", linewidth=0.6)
        ax.tick_params(labelsize=7)
        if index + n_cols >= len(selected):
            ax.set_xlabel("mean score in bin", fontsize=8)
    fig.supylabel("observed rate of positives", fontsize=9)
    band_text = "" if band is None else f"; bars: {confidence_level:.0%} {band} interval"
    fig.suptitle(f"{title or 'Reliability diagram'}\n(histogram: share of samples per bin"
                 f"{band_text})", fontsize=10)  # fmt: skip
    handles, texts = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, texts, loc="outside lower center", ncols=len(texts), fontsize=8,
               frameon=False)  # fmt: skip
    return fig
