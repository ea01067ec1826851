"""Disparities between slices: how much a metric differs from group to group.

For one metric, per label (and averaged over labels with
[`Disparity.mean`][multilabel_attr.core.Disparity.mean]), over the slices shown:

* ``group_min`` and ``group_max``: the worst and best slice's value;
* ``difference``: ``group_max - group_min``; ``difference_to_overall``: the largest
  ``|slice - overall|``;
* ``ratio``: ``group_min / group_max``; ``ratio_to_overall``: the smallest of
  ``slice / overall`` and ``overall / slice`` (each taken below 1).

These are fairlearn's ``MetricFrame`` definitions (``group_min``, ``group_max``,
``difference`` and ``ratio`` with ``method="between_groups"`` or ``"to_overall"``), computed
from each slice's counts instead of recomputing the metric from the rows.  The named fairness
definitions are disparities of a rate: demographic parity (selection rate), equal opportunity
(true positive rate), equalized odds (the worse of the true and false positive rate gaps)
and predictive parity (precision).

Public API: [`Disparity`][multilabel_attr.Disparity], [`disparity`][multilabel_attr.disparity],
and per definition ``*_difference``/``*_ratio`` functions such as
[`demographic_parity_difference`][multilabel_attr.demographic_parity_difference].
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._options import validated
from ..counts import _formulas as F
from ..counts._groups import DEFAULT_MAX_SLICES
from ..counts._sliced import SlicedCounts, count_sliced
from ..counts._state import MultilabelCounts
from ._evaluate import _PER_LABEL_FORMULAS, SUMMARY_FORMULAS

FloatArray = NDArray[np.float64]

GAPS: tuple[str, ...] = (
    "group_min", "group_max", "difference", "difference_to_overall", "ratio", "ratio_to_overall",
)  # fmt: skip
"""The quantities of a [`Disparity`][multilabel_attr.Disparity], in display order."""

RATE_FORMULAS: dict[str, F.Formula] = {
    **_PER_LABEL_FORMULAS,
    "selection_rate": F.SELECTION_RATE,
    "tpr": F.RECALL,
    "true_positive_rate": F.RECALL,
    "fpr": F.FALSE_POSITIVE_RATE,
    "false_positive_rate": F.FALSE_POSITIVE_RATE,
    "tnr": F.SPECIFICITY,
    "true_negative_rate": F.SPECIFICITY,
    "fnr": F.FALSE_NEGATIVE_RATE,
    "false_negative_rate": F.FALSE_NEGATIVE_RATE,
}
"""Per-label metrics of a disparity by name (any name of
[`formula_by_name`][multilabel_attr.formula_by_name] works too)."""

FAIRNESS_DEFINITIONS: dict[str, tuple[str, ...]] = {
    "demographic_parity": ("selection_rate",),
    "equal_opportunity": ("tpr",),
    "equalized_odds": ("tpr", "fpr"),
    "predictive_parity": ("precision",),
}
"""The rates each named fairness definition compares; with several, the worst gap counts."""


def metric_formula(metric: Any) -> F.Formula | None:
    """The count formula of a per-label metric name; None for a summary key."""
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a metric name (str); got {type(metric).__name__}")
    if metric in SUMMARY_FORMULAS:
        return None
    if metric in RATE_FORMULAS:
        return RATE_FORMULAS[metric]
    try:
        return F.formula_by_name(metric)
    except ValueError:
        raise ValueError(
            f"metric must be one of {sorted(RATE_FORMULAS)}, a summary key "
            f"{sorted(SUMMARY_FORMULAS)} or a name of formula_by_name; got {metric!r}"
        ) from None


def metric_values(
    states: Sequence[MultilabelCounts], metric: str, zero_division: Any
) -> FloatArray:
    """One row per state: the metric per label, or one column for a summary key."""
    formula = metric_formula(metric)
    rows: list[Any] = []
    for state in states:
        if formula is None:
            rows.append([state._score(*SUMMARY_FORMULAS[metric], zero_division)])
        else:
            rows.append(np.asarray(state._score(formula, None, zero_division), np.float64))
    return np.asarray(rows, np.float64)


def gap_arrays(values: FloatArray, overall: FloatArray) -> dict[str, FloatArray]:
    """Every quantity of `GAPS` from ``values`` (..., slices, labels) and ``overall``
    (..., labels); leading axes (bootstrap replicates) stay apart.  nan values are left out,
    as pandas does in fairlearn's ``MetricFrame``."""
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        low = np.nanmin(values, axis=-2)
        high = np.nanmax(values, axis=-2)
        to_overall = np.nanmax(np.abs(values - overall[..., None, :]), axis=-2)
        relative = values / overall[..., None, :]
        below_one = np.where(relative > 1, 1 / relative, relative)
        ratio_to_overall = np.nanmin(below_one, axis=-2)
        ratio = low / high
    return {
        "group_min": low,
        "group_max": high,
        "difference": high - low,
        "difference_to_overall": to_overall,
        "ratio": ratio,
        "ratio_to_overall": ratio_to_overall,
    }


@dataclass(frozen=True)
class Disparity:
    """How one metric differs between slices, per label.

    Attributes
    ----------
    metric : str
    label_names : tuple of str
        The labels compared (a summary metric has one entry, named after it).
    by_group : dict of str to list of float
        Each shown slice's value per label, by slice name.
    overall : list of float
        The value on all rows.
    gaps : dict of str to list of float
        Each quantity of `GAPS` per label.
    intervals : dict of str to list of (float, float)
        Bootstrap intervals of each gap per label, when computed
        (see [`bootstrap_report`][multilabel_attr.bootstrap_report] with ``groups``).
    confidence_level : float or None
    """

    metric: str
    label_names: tuple[str, ...]
    by_group: dict[str, list[float]]
    overall: list[float]
    gaps: dict[str, list[float]]
    intervals: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    confidence_level: float | None = None

    def mean(self) -> dict[str, float]:
        """Each gap averaged over the labels where it is defined (nan when none is)."""
        means = {}
        for gap, values in self.gaps.items():
            defined = [v for v in values if not math.isnan(v)]
            means[gap] = float(np.mean(defined)) if defined else math.nan
        return means

    def label(self, name: str) -> dict[str, float]:
        """Every gap of one label."""
        if name not in self.label_names:
            raise KeyError(f"unknown label {name!r}; labels are {list(self.label_names)}")
        index = self.label_names.index(name)
        return {gap: values[index] for gap, values in self.gaps.items()}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict (nan becomes None)."""

        def clean(values: Sequence[float]) -> list[float | None]:
            return [None if math.isnan(v) else float(v) for v in values]

        return {
            "metric": self.metric,
            "label_names": list(self.label_names),
            "by_group": {name: clean(values) for name, values in self.by_group.items()},
            "overall": clean(self.overall),
            "gaps": {gap: clean(values) for gap, values in self.gaps.items()},
            "intervals": {
                gap: [clean(pair) for pair in pairs] for gap, pairs in self.intervals.items()
            },
            "confidence_level": self.confidence_level,
        }


def disparity_of(
    slices: Mapping[str, MultilabelCounts],
    overall: MultilabelCounts,
    metric: str,
    zero_division: Any,
) -> Disparity:
    """The [`Disparity`][multilabel_attr.Disparity] of ``metric`` over named slice counts."""
    formula = metric_formula(metric)
    values = metric_values(list(slices.values()), metric, zero_division)
    reference = metric_values([overall], metric, zero_division)[0]
    gaps = gap_arrays(values, reference)
    names = overall.label_names or tuple(f"label_{i}" for i in range(overall.n_labels))
    return Disparity(
        metric=metric,
        label_names=(metric,) if formula is None else tuple(names),
        by_group={name: row.tolist() for name, row in zip(slices, values)},
        overall=reference.tolist(),
        gaps={gap: np.asarray(array, np.float64).tolist() for gap, array in gaps.items()},
    )


def _sliced_counts(
    y_true: Any, y_pred: Any, groups: Any, threshold: Any, from_logits: bool,
    sample_weight: Any, label_names: Any, max_slices: Any,
) -> SlicedCounts:  # fmt: skip
    return count_sliced(
        y_true, y_pred, groups, threshold, from_logits, sample_weight, label_names, max_slices
    )[1]


@validated("threshold", "from_logits", "zero_division", "max_slices")
def disparity(
    y_true: Any,
    y_pred: Any,
    *,
    groups: Any,
    metric: str,
    threshold: Any = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    label_names: Sequence[str] | None = None,
    zero_division: Any = "warn",
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Disparity:
    """How ``metric`` differs between the slices that ``groups`` makes, per label.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
    y_pred : array-like of shape (n_samples, n_labels)
        0/1 predictions, or scores with a ``threshold``.
    groups : array-like, list of array-likes, mapping, str or list of str
        The group keys of each row (several arrays are crossed), or names of label columns
        to slice by (see [`evaluate`][multilabel_attr.evaluate]).
    metric : str
        A key of `RATE_FORMULAS` (``"selection_rate"``, ``"tpr"``, ``"fpr"``, ``"f1"`` ...),
        a name of [`formula_by_name`][multilabel_attr.formula_by_name], or a key of
        `SUMMARY_METRICS` (one value per slice).
    threshold, from_logits, sample_weight, label_names
        As in [`MultilabelCounts.update`][multilabel_attr.MultilabelCounts.update].
    zero_division : {"warn", 0, 1, nan}, default="warn"
    max_slices : int, default=1000

    Returns
    -------
    Disparity

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import disparity
    >>> y_true = np.array([[1], [0], [1], [0]])
    >>> y_pred = np.array([[1], [1], [0], [0]])
    >>> gap = disparity(y_true, y_pred, groups=["a", "a", "b", "b"], metric="selection_rate")
    >>> gap.by_group, gap.gaps["difference"]
    ({'group=a': [1.0], 'group=b': [0.0]}, [1.0])
    """
    metric_formula(metric)
    counts = _sliced_counts(
        y_true, y_pred, groups, threshold, from_logits, sample_weight, label_names, max_slices
    )
    return disparity_of(dict(zip(counts.names, counts.slice_states())), counts.overall,
                        metric, zero_division)  # fmt: skip


def fairness_gap(
    counts_by_slice: Mapping[str, MultilabelCounts],
    overall: MultilabelCounts,
    definition: str,
    gap: str,
    zero_division: Any,
) -> FloatArray:
    """A named fairness definition's difference or ratio per label: the worst over its rates."""
    gaps = [
        np.asarray(disparity_of(counts_by_slice, overall, rate, zero_division).gaps[gap])
        for rate in FAIRNESS_DEFINITIONS[definition]
    ]
    worst = np.max(gaps, axis=0) if gap.startswith("difference") else np.min(gaps, axis=0)
    return np.asarray(worst, np.float64)


def named_gap(definition: str, kind: str, y_true: Any, y_pred: Any, options: dict[str, Any]) -> Any:
    """Shared body of the ``*_difference`` and ``*_ratio`` functions (options checked at their
    door)."""
    method = options.pop("method")
    average = options.pop("average")
    zero_division = options.pop("zero_division")
    counts = _sliced_counts(y_true, y_pred, **options)
    gap = kind if method == "between_groups" else f"{kind}_to_overall"
    values = fairness_gap(
        dict(zip(counts.names, counts.slice_states())), counts.overall, definition, gap,
        zero_division,
    )  # fmt: skip
    if average == "macro":
        defined = values[~np.isnan(values)]
        return float(defined.mean()) if defined.size else math.nan
    return values
