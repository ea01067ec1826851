"""Objectives: what a threshold search maximises, evaluated on arrays of counts.

An objective wraps either a core [`Formula`][multilabel_attr.core.Formula] (its
``(numerator, denominator)`` parts evaluated on whole arrays of cumulative
counts, undefined values taking ``zero_division``) or a user function of the
four count arrays ``(tp, fp, fn, tn)`` returning one value per element.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._internal import NAMED_FORMULAS, Formula, check_options, divide, fbeta_formula

FloatArray = NDArray[np.float64]
MetricFunction = Callable[[FloatArray, FloatArray, FloatArray, FloatArray], Any]


METRIC_NAMES: tuple[str, ...] = (*NAMED_FORMULAS, "fbeta")


@dataclass(frozen=True)
class Objective:
    """A metric to maximise, evaluable on arrays of (possibly cumulative) counts.

    Attributes
    ----------
    name:
        Name recorded in the result (``"f1"``, ``"matthews correlation"``, ...).
    formula:
        The core formula, or ``None`` for a user function.
    function:
        The user function of ``(tp, fp, fn, tn)``, or ``None`` for a formula.
    zero_division:
        Value of undefined results (zero denominator, or ``nan`` from a user
        function) during the search.
    """

    name: str
    formula: Formula | None
    function: MetricFunction | None
    zero_division: float

    @property
    def samplewise(self) -> bool:
        """Whether a per-sample (``"samples"``) average is meaningful."""
        return self.formula.samplewise if self.formula is not None else True

    def __call__(self, tp: Any, fp: Any, fn: Any, tn: Any) -> FloatArray:
        """Metric values for arrays of counts, with ``zero_division`` where undefined."""
        if self.formula is not None:
            num, den = self.formula.parts(tp, fp, fn, tn, np)
            return divide(num, den, self.zero_division)[0]
        assert self.function is not None
        shape = np.shape(tp)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                raw = self.function(tp, fp, fn, tn)
            values = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"metric function {self.name!r} must return numbers for arrays of counts "
                f"(tp, fp, fn, tn); calling it failed: {exc}"
            ) from exc
        if values.shape != shape:
            try:
                values = np.broadcast_to(values, shape)
            except ValueError:
                raise ValueError(
                    f"metric function {self.name!r} must return one value per element of its "
                    f"count arrays (shape {shape}); got shape {values.shape}"
                ) from None
        return np.where(np.isnan(values), self.zero_division, values)


def resolve_metric(metric: Any, beta: Any, zero_division: float) -> Objective:
    """Turn ``metric`` (a name, a Formula or a function of counts) into an Objective.

    ``zero_division`` has been checked at the door (0 or 1).
    """
    fill = zero_division
    if beta is not None and metric != "fbeta":
        raise ValueError(f"beta is only used with metric='fbeta'; got metric={metric!r}")
    if isinstance(metric, str):
        key = metric.lower()
        if key == "fbeta":
            if beta is None:
                raise ValueError("metric='fbeta' needs beta (for example beta=2.0)")
            formula = fbeta_formula(check_options({"beta": ("beta", beta)})["beta"])
            return Objective(formula.name, formula, None, fill)
        if key not in NAMED_FORMULAS:
            raise ValueError(
                f"metric must be one of {', '.join(repr(n) for n in METRIC_NAMES)}, a "
                f"multilabel_attr.Formula or a function of (tp, fp, fn, tn); got {metric!r}"
            )
        formula = NAMED_FORMULAS[key]
        return Objective(formula.name, formula, None, fill)
    if isinstance(metric, Formula):
        return Objective(metric.name, metric, None, fill)
    if callable(metric):
        name = getattr(metric, "__name__", type(metric).__name__)
        return Objective(str(name), None, metric, fill)
    raise TypeError(
        "metric must be a metric name, a multilabel_attr.Formula or a function of "
        f"(tp, fp, fn, tn); got {type(metric).__name__}"
    )
