"""Keras 3 metrics for multi-label classification (needs the ``tf`` extra).

Every count-based metric of `multilabel_attr` as a streaming
``keras.metrics.Metric``: exact over any batch split, reset between epochs
and between training and validation by Keras, usable inside ``tf.function``
and XLA (``update_state`` uses only ``keras.ops``), saved with the model and
loaded back without ``custom_objects``.  The values come from the core's
formulas and averaging rules, so a Keras metric and the matching numpy
function agree to float precision.

[`AUROC`][multilabel_attr.keras.AUROC] and
[`AveragePrecision`][multilabel_attr.keras.AveragePrecision] stream the ranking
metrics through the score bins of [`ScoreSketch`][multilabel_attr.ScoreSketch],
with a guaranteed error bound.

[`ExpectedCalibrationError`][multilabel_attr.keras.ExpectedCalibrationError] and
[`BrierScore`][multilabel_attr.keras.BrierScore] stream the calibration metrics through
the per-bin sums of [`CalibrationState`][multilabel_attr.CalibrationState].

[`to_counts`][multilabel_attr.keras.to_counts] and
[`from_counts`][multilabel_attr.keras.from_counts] move a metric's state to and from
[`MultilabelCounts`][multilabel_attr.MultilabelCounts], to merge results of several workers or runs.
"""

try:
    from .._tensorflow import import_tensorflow_quietly

    import_tensorflow_quietly()
    import keras as _keras  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "multilabel_attr.keras needs Keras 3 and a backend; install the tf extra: "
        "pip install 'multilabel-attr[tf]'"
    ) from exc

from ._base import MAX_HISTOGRAM_LABELS, MultilabelMetric
from ._calibration import BrierScore, ExpectedCalibrationError
from ._convert import from_counts, to_counts
from ._metrics import (
    BalancedAccuracy,
    CustomAccuracy,
    F1Score,
    FBetaScore,
    HammingLoss,
    HammingScore,
    JaccardScore,
    LabelAccuracy,
    MultiLabelAccuracy,
    Precision,
    Recall,
    Specificity,
    SubsetAccuracy,
)
from ._ranking import AUROC, AveragePrecision

__all__ = [
    "AUROC",
    "MAX_HISTOGRAM_LABELS",
    "AveragePrecision",
    "BalancedAccuracy",
    "BrierScore",
    "CustomAccuracy",
    "ExpectedCalibrationError",
    "F1Score",
    "FBetaScore",
    "HammingLoss",
    "HammingScore",
    "JaccardScore",
    "LabelAccuracy",
    "MultiLabelAccuracy",
    "MultilabelMetric",
    "Precision",
    "Recall",
    "Specificity",
    "SubsetAccuracy",
    "from_counts",
    "to_counts",
]
