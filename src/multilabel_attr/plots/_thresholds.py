"""Exact metric-versus-threshold curves, drawn as small multiples."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core._internal import (
    COHEN_KAPPA,
    MATTHEWS,
    YOUDEN,
    Formula,
    candidate_mask,
    curve,
    divide,
    formula_by_name,
)
from ..core._validation import (
    binary_mask,
    check_2d,
    check_finite_scores,
    check_int,
    check_same_shape,
    check_sample_weight,
    check_threshold,
)
from ._common import FloatArray, check_names, color, grid_shape, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_DISPLAY = {
    "f1": "F1",
    "f2": "F2",
    "f0.5": "F0.5",
    "npv": "NPV",
    "matthews": "MCC",
    "mcc": "MCC",
}


def resolve_metric(metric: Any) -> tuple[Formula, str]:
    """A [`Formula`][multilabel_attr.Formula] and its display name, from a name or a formula."""
    if isinstance(metric, Formula):
        return metric, metric.name
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a metric name or a Formula; got {type(metric).__name__}")
    key = metric.lower()
    return formula_by_name(key), _DISPLAY.get(key, key.replace("_", " ").capitalize())


@dataclass(frozen=True)
class ThresholdCurve:
    """One label's metric as a step function of the threshold.

    A sample is predicted positive when ``score >= threshold``.  ``cuts`` holds
    the distinct scores in ascending order and ``values[k]`` the metric for any
    threshold in ``(cuts[k - 1], cuts[k]]`` (for ``k = 0``: any threshold at or
    below the lowest score, i.e. everything predicted positive).
    ``above`` is the value for thresholds above the highest score (nothing
    predicted positive).  NaN marks thresholds where the metric is undefined.
    """

    cuts: FloatArray
    values: FloatArray
    above: float

    def at(self, threshold: float) -> float:
        """The metric at one threshold."""
        k = int(np.searchsorted(self.cuts, threshold, side="left"))
        return self.above if k == self.cuts.size else float(self.values[k])


def threshold_curve(
    truth: Any, scores: Any, formula: Formula, weights: FloatArray | None = None
) -> ThresholdCurve:
    """The exact curve for one label, from the threshold search's sweep.

    The core counts every cut of the ascending sort (one sort and cumulative
    sums); the cuts at the starts of runs of equal scores are the distinct
    thresholds.
    """
    truth = np.asarray(truth, dtype=bool)
    scores = np.asarray(scores)
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    counts = curve(truth[order], None if weights is None else weights[order])
    # The core's zero-division rule with nan: undefined cuts show as gaps.
    parts = formula.parts(counts.tp, counts.fp, counts.fn, counts.tn, np)
    values = np.broadcast_to(divide(*parts, np.nan)[0], counts.tp.shape)
    n = sorted_scores.shape[0]
    starts = np.flatnonzero(candidate_mask(sorted_scores, None)[:n])
    return ThresholdCurve(
        cuts=sorted_scores[starts].astype(np.float64), values=values[starts], above=float(values[n])
    )


def _select_labels(labels: Any, names: tuple[str, ...]) -> list[int]:
    n_labels = len(names)
    if labels is None:
        return list(range(n_labels))
    if isinstance(labels, (str, int, np.integer)):
        labels = [labels]
    selected: list[int] = []
    for item in labels:
        if isinstance(item, str):
            if item not in names:
                raise ValueError(
                    f"labels contains unknown label name {item!r}; known: "
                    f"{', '.join(names[:8])}{', ...' if n_labels > 8 else ''}"
                )
            selected.append(names.index(item))
        elif isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if not -n_labels <= int(item) < n_labels:
                raise ValueError(
                    f"labels contains index {int(item)}, out of range for {n_labels} labels"
                )
            selected.append(int(item) % n_labels)
        else:
            raise TypeError(f"labels must hold label indices or names; got {type(item).__name__}")
    if not selected:
        raise ValueError("labels is empty; pass None for all labels")
    if len(set(selected)) != len(selected):
        raise ValueError("labels must not repeat a label")
    return selected


def plot_threshold_curves(
    y_true: Any,
    y_score: Any,
    thresholds: Any = None,
    *,
    labels: Sequence[int | str] | None = None,
    metric: str | Formula = "f1",
    label_names: Sequence[str] | None = None,
    sample_weight: Any = None,
    max_columns: int = 8,
    title: str | None = None,
) -> Figure:
    """Metric versus decision threshold for each label, exact at every cut point.

    Each panel shows one label's metric as a step function of the threshold
    (a sample is positive when ``score >= threshold``), computed at every
    distinct score, not on a grid.  The curve's maximum is marked with a dot
    and, when ``thresholds`` is given, the chosen threshold with a dashed line
    and a diamond at its value.  Gaps are thresholds where the metric is
    undefined (e.g. precision with nothing predicted positive).

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        0/1 (or boolean) ground truth.
    y_score : array-like of shape (n_samples, n_labels)
        Scores, on the same scale as the thresholds (probabilities usually).
    thresholds : array-like of shape (n_labels,) or scalar, optional
        The chosen threshold of each label (anything with ``__array__``, such as
        [`Thresholds`][multilabel_attr.thresholds.Thresholds], works).
    labels : sequence of int or str, optional
        Which labels to draw (indices or names); all by default.
    metric : str or Formula, default "f1"
        One of ``"f1"``, ``"f2"``, ``"f0.5"``, ``"precision"``, ``"recall"``,
        ``"jaccard"``, ``"specificity"``, ``"npv"``, ``"accuracy"``,
        ``"balanced_accuracy"``, ``"matthews"``, ``"cohen_kappa"``, or any
        [`Formula`][multilabel_attr.Formula] (e.g. ``fbeta_formula(3)``).
    label_names : sequence of str, optional
        One name per label (all labels, not only those drawn).
    sample_weight : array-like of shape (n_samples,), optional
        Per-sample weights.
    max_columns : int, default 8
        Most panels per row.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        On non-numeric inputs or a ``metric`` of the wrong type.
    ValueError
        On mismatched shapes, labels other than 0/1, non-finite scores, an
        unknown metric or label, or thresholds of the wrong length.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr.plots import plot_threshold_curves
    >>> y_true = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    >>> y_score = np.array([[0.9, 0.2], [0.4, 0.7], [0.6, 0.8], [0.1, 0.3]])
    >>> fig = plot_threshold_curves(y_true, y_score, [0.5, 0.5], label_names=["a", "b"])
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['a\\nF1 1.000 at 0.50', 'b\\nF1 1.000 at 0.50']
    """
    truth_raw = check_2d(y_true, "y_true")
    scores = check_2d(y_score, "y_score")
    check_same_shape(truth_raw, scores, "y_score")
    if scores.dtype == np.bool_:
        raise TypeError("y_score must hold scores (floats), not booleans")
    truth = binary_mask(truth_raw, "y_true")
    check_finite_scores(scores, "y_score")
    n_samples, n_labels = truth.shape
    weights = check_sample_weight(sample_weight, n_samples)
    formula, metric_label = resolve_metric(metric)
    names = check_names(label_names, n_labels)
    chosen = None if thresholds is None else check_threshold(thresholds, n_labels)
    check_int(max_columns, "max_columns", minimum=1)
    selected = _select_labels(labels, names)

    low = min(0.0, float(scores.min()))
    high = max(1.0, float(scores.max()))
    if chosen is not None:
        low, high = min(low, float(chosen.min())), max(high, float(chosen.max()))
    n_rows, n_cols = grid_shape(len(selected), max_columns)
    fig = new_figure(1.75 * n_cols + 0.8, 1.55 * n_rows + 1.0)
    axes = fig.subplots(n_rows, n_cols, squeeze=False, sharex=True, sharey=True)
    handles: dict[str, Any] = {}
    for index, ax in enumerate(axes.flat):
        if index >= len(selected):
            ax.set_visible(False)
            continue
        label = selected[index]
        curve = threshold_curve(truth[:, label], scores[:, label], formula, weights)
        threshold = None if chosen is None else float(chosen[label])
        heading = _draw_curve(
            ax, curve, (low, high), threshold, names[label], metric_label, handles
        )
        ax.set_title(heading, fontsize=7.5, pad=3)
        ax.grid(color="#E5E5E5", linewidth=0.6)
        ax.tick_params(labelsize=7)
        ax.set_xlim(low, high)
        if index + n_cols >= len(selected):
            ax.set_xlabel("threshold", fontsize=8)
            ax.tick_params(labelbottom=True)
    # Correlation-type metrics range over [-1, 1]; the others over [0, 1].
    if formula.parts not in (MATTHEWS.parts, COHEN_KAPPA.parts, YOUDEN.parts):
        axes.flat[0].set_ylim(-0.03, 1.03)
    fig.supylabel(metric_label, fontsize=9)
    heading = title if title is not None else f"{metric_label} versus threshold"
    fig.suptitle(f"{heading}\n(a sample is positive when its score ≥ threshold)", fontsize=10)
    fig.legend(
        list(handles.values()),
        list(handles.keys()),
        loc="outside lower center",
        ncols=len(handles),
        fontsize=8,
        frameon=False,
    )
    return fig


def _draw_curve(
    ax: Any,
    curve: ThresholdCurve,
    limits: tuple[float, float],
    threshold: float | None,
    name: str,
    metric_label: str,
    handles: dict[str, Any],
) -> str:
    """One label's step curve, its best point and the chosen threshold; returns the heading."""
    x = np.r_[limits[0], curve.cuts, limits[1]]
    y = np.r_[curve.values, curve.above, curve.above]
    (line,) = ax.plot(x, y, drawstyle="steps-post", color=color(0), linewidth=1.2)
    handles.setdefault(f"{metric_label} at threshold", line)
    heading = name
    if np.any(np.isfinite(y)):
        best = int(np.nanargmax(y[:-1]))
        # The best value holds on (x[best], x[best + 1]]; mark the middle of that run.
        best_x = x[best] if best == 0 else (x[best] + x[best + 1]) / 2
        dot = ax.scatter(
            [best_x], [y[best]], s=18, color=color(3), zorder=4, edgecolors="white",
            linewidths=0.4,
        )  # fmt: skip
        handles.setdefault("best", dot)
        heading += f"\nbest {y[best]:.3f}"
    if threshold is not None:
        value = curve.at(threshold)
        vline = ax.axvline(threshold, color=color(1), linestyle="--", linewidth=1.1, zorder=3)
        handles.setdefault("chosen threshold", vline)
        if np.isfinite(value):
            diamond = ax.scatter(
                [threshold], [value], s=22, marker="D", color=color(1), zorder=5,
                edgecolors="black", linewidths=0.4,
            )  # fmt: skip
            handles.setdefault(f"{metric_label} at chosen threshold", diamond)
        heading = f"{name}\n{metric_label} {value:.3f} at {threshold:.2f}"
    return heading
