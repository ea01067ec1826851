"""The threshold search's internal API for the library's own packages (not for users).

The scale-out engines (``multilabel_attr._scale``) run the same search over
partitions: they validate and resolve the settings as
[`optimize_thresholds`][multilabel_attr.thresholds.optimize_thresholds] does, turn
cuts into thresholds by its midpoint rule and warn about untuned labels in its
words. They import those pieces from here, so the search can move code between
its modules without breaking them; a test holds every package to it.
"""

from ._objectives import Objective
from ._optimize import (
    Settings,
    objective_from_counts,
    prepare,
    resolve_settings,
    search_clip,
)
from ._result import Thresholds
from ._sweep import best_cut, cut_threshold
from ._warnings import fallback_rule, warn_fallback, warn_infeasible

__all__ = [
    "Objective",
    "Settings",
    "Thresholds",
    "best_cut",
    "cut_threshold",
    "fallback_rule",
    "objective_from_counts",
    "prepare",
    "resolve_settings",
    "search_clip",
    "warn_fallback",
    "warn_infeasible",
]
