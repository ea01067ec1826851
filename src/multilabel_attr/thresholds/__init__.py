"""Exact decision thresholds for multi-label classifiers.

[`optimize_thresholds`][multilabel_attr.thresholds.optimize_thresholds] finds, for any count-based
metric, the thresholds that maximise it on tuning data exactly (one sort per label, every distinct
cut evaluated), per label, shared, or jointly by coordinate ascent for micro- and sample-averaged
objectives. [`cross_validate_thresholds`][multilabel_attr.thresholds.cross_validate_thresholds]
measures how well tuned thresholds carry over to unseen data. The result is a
[`Thresholds`][multilabel_attr.thresholds.Thresholds] value that every core metric accepts as
``threshold``; with ``groups``, a [`GroupThresholds`][multilabel_attr.thresholds.GroupThresholds]
of one such value per group.

The scikit-learn meta-estimator ``MultiLabelThresholdClassifier`` (``sklearn``
extra) is importable from here; scikit-learn is imported only on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core import YOUDEN
from ._cv import ThresholdsCV, cross_validate_thresholds
from ._group_result import GroupThresholds
from ._objectives import METRIC_NAMES
from ._optimize import optimize_thresholds
from ._result import Thresholds, ThresholdWarning

if TYPE_CHECKING:
    from ._sklearn import MultiLabelThresholdClassifier as MultiLabelThresholdClassifier

__all__ = [
    "METRIC_NAMES",
    "YOUDEN",
    "GroupThresholds",
    "ThresholdWarning",
    "Thresholds",
    "ThresholdsCV",
    "cross_validate_thresholds",
    "optimize_thresholds",
]


def __getattr__(name: str) -> Any:
    # The meta-estimator needs scikit-learn; load it only when asked for.
    if name == "MultiLabelThresholdClassifier":
        from ._sklearn import MultiLabelThresholdClassifier

        return MultiLabelThresholdClassifier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
