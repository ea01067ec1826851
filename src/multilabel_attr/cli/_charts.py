"""The score charts of ``evaluate --html``: reliability, ROC and PR curves per label."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core import (
    Report,
    SlicedReport,
    UndefinedMetricWarning,
    calibration_curve,
    operating_points,
    precision_recall_curves,
    roc_curves,
)


def score_charts(
    report: Any, y_true: Any, y_score: Any, names: Sequence[str] | None, from_logits: bool
) -> dict[str, Any]:
    """``to_html``'s chart arguments for a report read from arrays: the scores of all rows,
    of the counted labels (a sliced report leaves its slicing labels out).

    The operating point marked is the equal error rate: it needs no constraint from the
    command line and lies on both curves.
    """
    if isinstance(report, SlicedReport) and report.slice_labels:
        assert names is not None  # slicing labels are named
        kept = [j for j, name in enumerate(names) if name not in report.slice_labels]
        y_true, y_score = np.asarray(y_true)[:, kept], np.asarray(y_score)[:, kept]
        names = [names[j] for j in kept]
    elif not isinstance(report, (Report, SlicedReport)):
        return {}
    with warnings.catch_warnings():
        # A label without one class has no equal error rate: its chart says so instead.
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        eer = operating_points(y_true, y_score, "eer", from_logits=from_logits,
                               label_names=names)["eer"]  # fmt: skip
    return {
        "calibration": calibration_curve(y_true, y_score, n_bins=10, from_logits=from_logits),
        "curves": [roc_curves(y_true, y_score), precision_recall_curves(y_true, y_score)],
        "points": eer,
    }
