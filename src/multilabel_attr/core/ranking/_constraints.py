"""Operating-point rules: parsing, evaluation on arrays of counts, and the choice of a cut.

A rule maximises one rate (precision, recall or specificity) while another meets a
minimum, or asks for the equal error rate. It is evaluated by the core's formulas on
arrays of counts, whatever produced them: the exact in-memory sweep, the threshold search,
or the edge and bin counts of a sketch at scale.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..counts._averaging import divide
from ..counts._formulas import FALL_OUT, PRECISION, RECALL, SPECIFICITY, Formula

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.intp]

_RATES: dict[str, str] = {
    "precision": "precision",
    "recall": "recall",
    "sensitivity": "recall",
    "tpr": "recall",
    "specificity": "specificity",
    "tnr": "specificity",
}
_FORMULAS: dict[str, Formula] = {
    "precision": PRECISION,
    "recall": RECALL,
    "specificity": SPECIFICITY,
}
_PAIRS = frozenset(
    {("recall", "precision"), ("precision", "recall"), ("specificity", "recall"),
     ("recall", "specificity")}
)  # fmt: skip
EER_NAMES = ("eer", "equal_error_rate")
_RULE = re.compile(r"^\s*(\w+)\s*@\s*(\w+)\s*>=\s*(\S+)\s*$")


def check_minimum(value: Any, name: str) -> float:
    """A constraint's minimum: a number in (0, 1], or an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < float(value) <= 1:
        raise ValueError(f"{name} must be a number in (0, 1]; got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Constraint:
    """One operating-point rule: maximise ``target`` while ``bound >= minimum``.

    ``target`` and ``bound`` are ``"precision"``, ``"recall"`` (also called
    sensitivity) or ``"specificity"``; the equal error rate has
    ``target="eer"`` and no bound.  Build one from text with
    [`Constraint.parse`][multilabel_attr.core.Constraint.parse].
    """

    target: str
    bound: str | None = None
    minimum: float | None = None
    names: tuple[str, str] | None = None

    @classmethod
    def parse(cls, text: Any, name: str = "constraint") -> Constraint:
        """A rule from ``"recall@precision>=0.95"``, ``"sensitivity@specificity>=0.9"`` or
        ``"eer"``; errors name ``name``."""
        if isinstance(text, Constraint):
            return text
        if not isinstance(text, str):
            raise TypeError(
                f"{name} must be a string such as 'recall@precision>=0.95'; got {text!r}"
            )
        if text.strip().lower() in EER_NAMES:
            return cls("eer")
        match = _RULE.match(text.lower())
        pair = (_RATES.get(match.group(1)), _RATES.get(match.group(2))) if match else None
        if match is None or pair not in _PAIRS:
            raise ValueError(
                f"{name} must be 'eer' or '<rate>@<rate>>=<minimum>' with the rates recall and "
                f"precision, or sensitivity (recall) and specificity, for example "
                f"'recall@precision>=0.95'; got {text!r}"
            )
        assert match is not None and pair is not None
        try:
            minimum: Any = float(match.group(3))
        except ValueError:
            minimum = match.group(3)
        minimum = check_minimum(minimum, f"the minimum {match.group(2)} of {name}")
        return cls(str(pair[0]), str(pair[1]), minimum, (match.group(1), match.group(2)))

    @property
    def key(self) -> str:
        """The rule as text, for example ``"recall@precision>=0.95"``."""
        if self.target == "eer":
            return "eer"
        target, bound = self.names or (self.target, self.bound)
        return f"{target}@{bound}>={self.minimum!r}"

    @property
    def on_precision(self) -> bool:
        """Rules on precision skip the empty cut and break ties on the constrained rate."""
        return "precision" in (self.target, self.bound)

    def needs(self) -> tuple[bool, bool]:
        """Whether the rule needs positives and negatives to be defined."""
        rates = {self.target, self.bound}
        eer = self.target == "eer"
        return eer or "recall" in rates, eer or "specificity" in rates

    def evaluate(self, tp: Any, fp: Any, fn: Any, tn: Any) -> RulePoints:
        """The rule at arrays of counts (``nan`` where a rate is undefined)."""
        if self.target == "eer":
            fpr = _rate(FALL_OUT, tp, fp, fn, tn)
            fnr = 1 - _rate(RECALL, tp, fp, fn, tn)
            key = -np.abs(fpr - fnr)
            return RulePoints((fpr + fnr) / 2, fpr, ~np.isnan(key), key)
        assert self.bound is not None and self.minimum is not None
        value = _rate(_FORMULAS[self.target], tp, fp, fn, tn)
        achieved = _rate(_FORMULAS[self.bound], tp, fp, fn, tn)
        return RulePoints(value, achieved, (achieved >= self.minimum) & ~np.isnan(value), value)


@dataclass(frozen=True)
class RulePoints:
    """A rule evaluated at given counts: its value, the constrained rate, whether the
    constraint is met, and the key that ranks points (larger is better)."""

    values: FloatArray
    achieved: FloatArray
    met: BoolArray
    key: FloatArray


@dataclass(frozen=True)
class Selection:
    """The chosen cut of every row of count arrays, with its value and constrained rate."""

    cuts: IntArray
    values: FloatArray
    achieved: FloatArray
    feasible: BoolArray


def _rate(formula: Formula, tp: Any, fp: Any, fn: Any, tn: Any) -> FloatArray:
    values: FloatArray = divide(*formula.parts(tp, fp, fn, tn, np), np.nan)[0]
    return values


def select_cuts(
    constraint: Constraint, tp: Any, fp: Any, fn: Any, tn: Any, valid: BoolArray | None
) -> Selection:
    """The best cut of each row of counts (cuts along the last axis, by increasing threshold,
    the last one predicting nothing) among the ``valid`` ones (``None``: all)."""
    point = constraint.evaluate(tp, fp, fn, tn)
    feasible = point.met if valid is None else point.met & valid
    if constraint.on_precision:
        feasible[..., -1] = False
    key, value, achieved = point.key, point.values, point.achieved
    secondary = achieved if constraint.on_precision else None
    feasible &= ~np.isnan(key)
    tie = feasible & (key == np.max(np.where(feasible, key, -np.inf), axis=-1, keepdims=True))
    if secondary is not None:
        best = np.max(np.where(tie, secondary, -np.inf), axis=-1, keepdims=True)
        tie &= secondary == best
    last = tie.shape[-1] - 1
    cuts = (last - np.argmax(tie[..., ::-1], axis=-1)).astype(np.intp)
    pick = cuts[..., None]
    found = np.any(feasible, axis=-1)
    chosen = np.take_along_axis(np.broadcast_to(value, tie.shape), pick, axis=-1)[..., 0]
    rate = np.take_along_axis(np.broadcast_to(achieved, tie.shape), pick, axis=-1)[..., 0]
    return Selection(cuts, np.where(found, chosen, np.nan), np.where(found, rate, np.nan), found)


def check_constraints(constraints: Any) -> list[Constraint]:
    """Rules from one rule or an iterable of them (text or
    [`Constraint`][multilabel_attr.core.Constraint])."""
    if isinstance(constraints, (str, Constraint)):
        constraints = [constraints]
    if not isinstance(constraints, Iterable):
        raise TypeError(f"constraints must be a rule or a list of rules; got {constraints!r}")
    rules = [Constraint.parse(c, "constraints") for c in constraints]
    if not rules:
        raise ValueError("constraints must name at least one rule; got none")
    return rules
