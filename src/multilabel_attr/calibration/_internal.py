"""The calibrators' internal API for the library's own packages (not for users).

The scale-out engines fit Platt and temperature scaling with one job per Newton
pass: their entry points check the options by the same rules, and they start,
check and finish the fit as
[`fit_calibrator`][multilabel_attr.calibration.fit_calibrator] does, with the
same per-pass sums.  They import those pieces from here; a test holds every
package to it.
"""

from ._calibrator import Calibrator
from ._fit import calibrator_from_params, newton_start, refuse_one_class
from ._newton import NewtonSums, logit_feature, newton_fit, newton_sums

__all__ = [
    "Calibrator",
    "NewtonSums",
    "calibrator_from_params",
    "logit_feature",
    "newton_fit",
    "newton_start",
    "newton_sums",
    "refuse_one_class",
]
