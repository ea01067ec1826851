"""Figures for multi-label results (needs the ``plot`` extra: matplotlib).

Every function returns a stand-alone `matplotlib.figure.Figure` built without pyplot, so nothing
here touches global state or selects a backend: the figures render headless and from worker threads.
Write them with [`save_figure`][multilabel_attr.plots.save_figure], or display one in a notebook by
leaving it as the last expression of a cell.
"""

from ._comparison import plot_metric_comparison
from ._confusion import plot_confusion_grid
from ._curves import plot_pr_curves, plot_roc_curves
from ._io import save_figure
from ._prevalence import plot_label_prevalence
from ._reliability import plot_reliability_diagram
from ._thresholds import plot_threshold_curves
from ._training import plot_training_curves

__all__ = [
    "plot_confusion_grid",
    "plot_label_prevalence",
    "plot_metric_comparison",
    "plot_pr_curves",
    "plot_reliability_diagram",
    "plot_roc_curves",
    "plot_threshold_curves",
    "plot_training_curves",
    "save_figure",
]
