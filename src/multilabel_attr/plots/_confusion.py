"""Per-label 2x2 confusion matrices as one grid of small heatmaps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ..core._internal import divide
from ..core._validation import check_int, to_numpy
from ._common import FloatArray, check_names, grid_shape, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Normalize = Literal["true", "pred", "all"]
_NORMALIZE: tuple[str | None, ...] = (None, "true", "pred", "all")
_NORMALIZE_TITLE = {
    None: "counts",
    "true": "rates, each row sums to 1 (row 1: recall)",
    "pred": "rates, each column sums to 1 (column 1: precision)",
    "all": "fraction of all samples",
}


def _check_confusion(confusion: Any) -> FloatArray:
    array = to_numpy(confusion, "confusion")
    if array.ndim != 3 or array.shape[1:] != (2, 2) or array.shape[0] == 0:
        raise ValueError(
            "confusion must have shape (n_labels, 2, 2) laid out [[tn, fp], [fn, tp]] as "
            f"returned by multilabel_confusion_matrix; got shape {array.shape}"
        )
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"confusion must be numeric; got dtype {array.dtype}")
    values = array.astype(np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError("confusion must be finite; found NaN or infinite counts")
    if np.any(values < 0):
        raise ValueError(f"confusion must hold non-negative counts; found {values.min():g}")
    return values


def normalize_confusion(confusion: FloatArray, normalize: str | None) -> FloatArray:
    """Divide each label's counts as scikit-learn's ``confusion_matrix`` does (NaN for 0/0)."""
    if normalize is None:
        return confusion
    if normalize == "true":
        totals = confusion.sum(axis=2, keepdims=True)
    elif normalize == "pred":
        totals = confusion.sum(axis=1, keepdims=True)
    else:
        totals = confusion.sum(axis=(1, 2), keepdims=True)
    rates: FloatArray = divide(confusion, np.broadcast_to(totals, confusion.shape), np.nan)[0]
    return rates


def _format_count(value: float) -> str:
    if np.isnan(value):
        return "n/a"
    if value != np.round(value):
        return f"{value:.3g}"
    if value >= 1e6:
        return f"{value / 1e6:.1f}M"
    if value >= 1e4:
        return f"{value / 1e3:.1f}k"
    return f"{value:.0f}"


def plot_confusion_grid(
    confusion: Any,
    label_names: Sequence[str] | None = None,
    *,
    normalize: Normalize | None = "true",
    max_columns: int = 8,
    title: str = "Per-label confusion matrices",
) -> Figure:
    """One small 2x2 heatmap per label, all on one colour scale, values annotated.

    Parameters
    ----------
    confusion : array-like of shape (n_labels, 2, 2)
        Per-label counts laid out ``[[tn, fp], [fn, tp]]`` (rows: true class 0/1, columns: predicted
        class 0/1), as returned by
        [`multilabel_confusion_matrix`][multilabel_attr.multilabel_confusion_matrix] and
        scikit-learn's ``multilabel_confusion_matrix``. Weighted (non-integer) counts are fine.
    label_names : sequence of str, optional
        One name per label, used as panel titles.
    normalize : {"true", "pred", "all"} or None, default "true"
        ``"true"`` divides each row by its total, so the bottom-right cell is the
        recall and the top-left the specificity; ``"pred"`` divides each column
        (bottom-right is the precision); ``"all"`` divides by the label's total;
        ``None`` shows raw counts.  A row or column without samples shows ``n/a``.
    max_columns : int, default 8
        Most panels per row.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``confusion`` is not ``(n_labels, 2, 2)``, has negative or
        non-finite counts, ``normalize`` is unknown, or ``label_names`` does not
        match.

    Examples
    --------
    >>> from multilabel_attr import multilabel_confusion_matrix
    >>> from multilabel_attr.plots import plot_confusion_grid
    >>> cm = multilabel_confusion_matrix([[1, 0], [0, 1], [1, 1]], [[1, 0], [1, 1], [0, 1]])
    >>> fig = plot_confusion_grid(cm, ["Smiling", "Young"], normalize=None)
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['Smiling', 'Young']
    """
    counts = _check_confusion(confusion)
    if normalize not in _NORMALIZE:
        raise ValueError(
            f"normalize must be one of {', '.join(repr(n) for n in _NORMALIZE)}; got {normalize!r}"
        )
    check_int(max_columns, "max_columns", minimum=1)
    n_labels = counts.shape[0]
    names = check_names(label_names, n_labels)
    values = normalize_confusion(counts, normalize)

    from matplotlib.colors import Normalize as ColorNorm

    n_rows, n_cols = grid_shape(n_labels, max_columns)
    fig = new_figure(1.25 * n_cols + 1.1, 1.3 * n_rows + 1.0)
    upper = 1.0 if normalize is not None else max(float(counts.max()), 1.0)
    norm = ColorNorm(vmin=0.0, vmax=upper)
    cmap = "Blues"
    axes = fig.subplots(n_rows, n_cols, squeeze=False, sharex=True, sharey=True)
    image = None
    for index, ax in enumerate(axes.flat):
        if index >= n_labels:
            ax.set_visible(False)
            continue
        row, col = divmod(index, n_cols)
        cell = values[index]
        image = ax.imshow(cell, cmap=cmap, norm=norm)
        for (i, j), value in np.ndenumerate(cell):
            text = (
                _format_count(value)
                if normalize is None
                else ("n/a" if np.isnan(value) else f"{value:.2f}")
            )
            # Dark text on light cells, white on dark ones, for contrast on any value.
            dark = not np.isnan(value) and norm(value) > 0.55
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=7.5,
                color="white" if dark else "#1A1A1A",
            )
        ax.set_title(names[index], fontsize=8, pad=3)
        ax.set_xticks([0, 1], ["0", "1"], fontsize=7)
        ax.set_yticks([0, 1], ["0", "1"], fontsize=7)
        ax.tick_params(length=0, pad=2)
        ax.tick_params(labelbottom=row == n_rows - 1 or index + n_cols >= n_labels)
        ax.tick_params(labelleft=col == 0)
        for spine in ax.spines.values():
            spine.set_visible(False)
    assert image is not None
    colorbar = fig.colorbar(
        image, ax=axes, shrink=min(0.6, 0.3 + 0.1 * n_rows), aspect=25, pad=0.02
    )
    colorbar.ax.tick_params(labelsize=7)
    colorbar.set_label("count" if normalize is None else "rate", fontsize=8)
    fig.supxlabel("Predicted class", fontsize=9)
    fig.supylabel("True class", fontsize=9)
    fig.suptitle(f"{title}\n[[TN, FP], [FN, TP]], {_NORMALIZE_TITLE[normalize]}", fontsize=10)
    return fig
