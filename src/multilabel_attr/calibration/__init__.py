"""Per-label calibration maps: Platt scaling, temperature scaling and isotonic regression.

[`fit_calibrator`][multilabel_attr.calibration.fit_calibrator] fits one map per
label (numpy only); the result, a
[`Calibrator`][multilabel_attr.calibration.Calibrator], turns scores or logits into
calibrated probabilities, and is saved and loaded like
[`Thresholds`][multilabel_attr.thresholds.Thresholds] (versioned JSON, atomic
writes, refusing a different label set by name).  The calibration metrics
themselves ([`expected_calibration_error`][multilabel_attr.expected_calibration_error],
[`CalibrationState`][multilabel_attr.CalibrationState], ...) live in the core.
"""

from ._calibrator import Calibrator
from ._fit import fit_calibrator

__all__ = ["Calibrator", "fit_calibrator"]
