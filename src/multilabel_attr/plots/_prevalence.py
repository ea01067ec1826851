"""Label prevalence per split: the class-imbalance picture in one chart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._common import REFERENCE_COLOR, check_names, check_series_mapping, color, marker, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_label_prevalence(
    prevalence_by_split: Mapping[str, Any],
    label_names: Sequence[str] | None = None,
    *,
    sort: bool = True,
    title: str = "Label prevalence",
) -> Figure:
    """Dot plot of the fraction of positive samples for each label and split.

    One row per label, one marker per split (distinct colour *and* shape), a
    dashed line at 50 %.  Labels are sorted by their prevalence in the first
    split, most common at the top, so the imbalance reads as a slope and the
    splits' agreement as overlapping markers.

    Parameters
    ----------
    prevalence_by_split : mapping of str to array-like of shape (n_labels,)
        For each split (e.g. ``"train"``, ``"valid"``, ``"test"``), the
        fraction of samples that carry each label, in ``[0, 1]``.  With 0/1
        labels ``y`` of shape (n_samples, n_labels) this is ``y.mean(axis=0)``.
    label_names : sequence of str, optional
        One name per label; defaults to ``label 0``, ``label 1``, ...
    sort : bool, default True
        Sort labels by prevalence in the first split; ``False`` keeps the
        given order (first label at the top).
    title : str, default "Label prevalence"
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``prevalence_by_split`` is not a mapping or holds non-numeric values.
    ValueError
        If the splits have different lengths, values fall outside ``[0, 1]``
        or ``label_names`` does not have one unique name per label.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr.plots import plot_label_prevalence
    >>> y = np.array([[1, 0, 1], [0, 0, 1], [1, 0, 1], [0, 1, 1]])
    >>> fig = plot_label_prevalence({"train": y.mean(axis=0)}, ["Smiling", "Bald", "Young"])
    >>> fig.axes[0].get_yticklabels()[0].get_text()
    'Young'
    """
    series, n_labels = check_series_mapping(prevalence_by_split, "prevalence_by_split")
    names = check_names(label_names, n_labels)
    for split, values in series.items():
        finite = values[~np.isnan(values)]
        if np.isnan(values).any() or finite.min() < 0 or finite.max() > 1:
            raise ValueError(
                f"prevalence_by_split[{split!r}] must hold fractions in [0, 1]; got values in "
                f"[{np.nanmin(values):g}, {np.nanmax(values):g}]"
                + (" and NaN" if np.isnan(values).any() else "")
                + ". Pass y.mean(axis=0) of 0/1 labels, not percentages or counts."
            )

    first = next(iter(series.values()))
    # Stable sort keeps the given order among ties; the top row is the last y position.
    order = np.argsort(-first, kind="stable") if sort else np.arange(n_labels)
    rows = np.arange(n_labels)[::-1]

    fig = new_figure(7.5, max(3.0, 0.26 * n_labels + 1.4))
    ax = fig.add_subplot()
    stacked = np.stack([values[order] for values in series.values()])
    # A faint bar from the lowest to the highest split shows their spread per label.
    ax.hlines(
        rows, stacked.min(axis=0), stacked.max(axis=0), color="#BBBBBB", linewidth=2.5, zorder=1
    )
    for i, (split, values) in enumerate(series.items()):
        ax.scatter(
            values[order],
            rows,
            s=30,
            color=color(i),
            marker=marker(i),
            label=split,
            zorder=3,
            edgecolors="white",
            linewidths=0.4,
        )
    ax.axvline(0.5, color=REFERENCE_COLOR, linestyle="--", linewidth=1, zorder=2, label="50 %")
    ax.set_yticks(rows, [names[j] for j in order], fontsize=8)
    ax.set_ylim(-0.7, n_labels - 0.3)
    ax.set_xlim(0, 1)
    ax.set_xticks(np.linspace(0, 1, 11))
    ax.xaxis.set_major_formatter(_percent_formatter())
    ax.set_xlabel("Positive samples (% of split)")
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.8)
    ax.grid(axis="y", color="#F2F2F2", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="x", top=True, labeltop=n_labels > 15, labelsize=8)
    ax.set_title(title, pad=8)
    ax.legend(
        title="Split" if len(series) > 1 else None,
        loc="lower right",
        fontsize=8,
        title_fontsize=8,
        framealpha=0.95,
    )
    ax.spines["right"].set_visible(False)
    return fig


def _percent_formatter() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)
