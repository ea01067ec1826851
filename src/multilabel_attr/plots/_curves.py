"""ROC and precision-recall curves per label, with operating points marked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core import OperatingPoints, RankingCurves, precision_recall_curves, roc_curves
from ..core._validation import check_int
from ._common import REFERENCE_COLOR, check_names, color, grid_shape, marker, new_figure
from ._thresholds import _select_labels

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_AXES = {
    "roc": ("false positive rate", "true positive rate", "ROC curves"),
    "pr": ("recall", "precision", "Precision-recall curves"),
}


def _check_points(points: Any, n_labels: int) -> list[OperatingPoints]:
    """``None``, one [`OperatingPoints`][multilabel_attr.OperatingPoints] or a sequence."""
    if points is None:
        return []
    items = [points] if isinstance(points, OperatingPoints) else points
    if not isinstance(items, (list, tuple)) or not all(
        isinstance(p, OperatingPoints) for p in items
    ):
        raise TypeError(
            "points must be an OperatingPoints, a sequence of them or None; got "
            f"{type(points).__name__}"
        )
    for p in items:
        if len(p.thresholds) != n_labels:
            raise ValueError(
                f"points {p.constraint!r} has {len(p.thresholds)} labels; the scores have "
                f"{n_labels}"
            )
    return list(items)


def _draw_points(ax: Any, curves: RankingCurves, label: int, points: list[OperatingPoints]) -> None:
    for i, p in enumerate(points):
        threshold = float(p.thresholds[label])
        x, y = curves.point_at(label, threshold)
        if np.isnan(x) or np.isnan(y):
            continue
        dot = ax.scatter(
            [x], [y], s=34, marker=marker(i + 1), color=color(i + 1), zorder=5,
            edgecolors="black", linewidths=0.5, label=f"{p.constraint}: t = {threshold:.4g}",
        )  # fmt: skip
        dot.set_gid(f"point:{p.constraint}")


def _plot_curves(
    kind: str, y_true: Any, y_score: Any, points: Any, labels: Any, label_names: Any,
    sample_weight: Any, max_columns: int, title: str | None,
) -> Figure:  # fmt: skip
    check_int(max_columns, "max_columns", minimum=1)
    compute = roc_curves if kind == "roc" else precision_recall_curves
    curves = compute(y_true, y_score, sample_weight=sample_weight)
    names = check_names(label_names, len(curves.x))
    chosen_points = _check_points(points, len(names))
    selected = _select_labels(labels, names)
    x_label, y_label, heading = _AXES[kind]
    n_rows, n_cols = grid_shape(len(selected), max_columns)
    fig = new_figure(2.7 * n_cols + 0.6, 2.7 * n_rows + 1.0)
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for index, ax in enumerate(axes.flat):
        if index >= len(selected):
            ax.set_visible(False)
            continue
        label = selected[index]
        if kind == "roc":
            ax.plot([0, 1], [0, 1], linestyle="--", color=REFERENCE_COLOR, linewidth=0.9)
            (line,) = ax.plot(curves.x[label], curves.y[label], color=color(0), linewidth=1.3)
        else:
            # Precision holds from each point to the next lower recall: a step, as in
            # average precision.
            (line,) = ax.plot(curves.x[label], curves.y[label], color=color(0), linewidth=1.3,
                              drawstyle="steps-post")  # fmt: skip
        line.set_gid(f"curve:{kind}")
        _draw_points(ax, curves, label, chosen_points)
        if chosen_points:
            ax.legend(fontsize=6.5, loc="best")
        ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02))
        ax.set_title(names[label], fontsize=8.5, pad=3)
        ax.grid(color="#E5E5E5", linewidth=0.6)
        ax.tick_params(labelsize=7)
    fig.supxlabel(x_label, fontsize=9)
    fig.supylabel(y_label, fontsize=9)
    fig.suptitle(title or heading, fontsize=10)
    return fig


def plot_roc_curves(
    y_true: Any,
    y_score: Any,
    *,
    points: OperatingPoints | Sequence[OperatingPoints] | None = None,
    labels: Sequence[int | str] | None = None,
    label_names: Sequence[str] | None = None,
    sample_weight: Any = None,
    max_columns: int = 4,
    title: str | None = None,
) -> Figure:
    """The exact ROC curve of each label, with operating points marked.

    The curve is [`roc_curves`][multilabel_attr.roc_curves]: one point per distinct score,
    no grid.  Each rule of ``points`` marks, in every panel, the point of its threshold,
    named with that threshold in the panel's legend.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        0/1 ground truth.
    y_score : array-like of shape (n_samples, n_labels)
        Scores, on the scale of the operating points' thresholds.
    points : OperatingPoints or sequence of them, optional
        From [`operating_points`][multilabel_attr.operating_points] on the same scores.
    labels : sequence of int or str, optional
        Which labels to draw (indices or names); all by default.
    label_names : sequence of str, optional
        One name per label (all labels, not only those drawn).
    sample_weight : array-like of shape (n_samples,), optional
    max_columns : int, default=4
        Most panels per row.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        The usual shape and value errors, or an operating point whose threshold is not
        one of the scores (points computed on other data).

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import operating_points
    >>> from multilabel_attr.plots import plot_roc_curves
    >>> y = np.array([[1], [0], [1], [0], [1]])
    >>> s = np.array([[0.9], [0.6], [0.7], [0.1], [0.4]])
    >>> eer = operating_points(y, s, "eer")["eer"]
    >>> fig = plot_roc_curves(y, s, points=eer, label_names=["a"])
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'eer: t = 0.6'
    """
    return _plot_curves("roc", y_true, y_score, points, labels, label_names, sample_weight,
                        max_columns, title)  # fmt: skip


def plot_pr_curves(
    y_true: Any,
    y_score: Any,
    *,
    points: OperatingPoints | Sequence[OperatingPoints] | None = None,
    labels: Sequence[int | str] | None = None,
    label_names: Sequence[str] | None = None,
    sample_weight: Any = None,
    max_columns: int = 4,
    title: str | None = None,
) -> Figure:
    """The exact precision-recall curve of each label, with operating points marked.

    The curve is [`precision_recall_curves`][multilabel_attr.precision_recall_curves],
    drawn as a step (precision holds to the next lower recall); the arguments are those of
    [`plot_roc_curves`][multilabel_attr.plots.plot_roc_curves].

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import operating_points
    >>> from multilabel_attr.plots import plot_pr_curves
    >>> y = np.array([[1], [0], [1], [0], [1]])
    >>> s = np.array([[0.9], [0.6], [0.7], [0.1], [0.4]])
    >>> rule = operating_points(y, s, "recall@precision>=0.7")["recall@precision>=0.7"]
    >>> fig = plot_pr_curves(y, s, points=rule)
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'recall@precision>=0.7: t = 0.4'
    """
    return _plot_curves("pr", y_true, y_score, points, labels, label_names, sample_weight,
                        max_columns, title)  # fmt: skip
