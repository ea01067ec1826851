"""The named fairness definitions, per label, with fairlearn's signatures.

Each function slices the rows by ``groups`` in one counting pass
([`SlicedCounts`][multilabel_attr.SlicedCounts]) and returns the ``difference`` or
``ratio`` of a rate between the slices, one value per label (``average="macro"``: their mean
over the labels where it is defined).  ``method="between_groups"`` compares the best and worst
slice; ``"to_overall"`` compares each slice with all rows.  fairlearn's functions take one
label; these take every label at once and agree with it label by label.  The arguments
``threshold``, ``from_logits``, ``sample_weight``, ``label_names``, ``zero_division`` and
``max_slices`` are those of [`disparity`][multilabel_attr.disparity].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._options import validated
from ..counts._groups import DEFAULT_MAX_SLICES
from ._disparities import named_gap

_door = validated(
    "threshold", "from_logits", "zero_division", "max_slices",
    method="disparity_method", average="fairness_average",
)  # fmt: skip
"""The options of every fairness function, checked at its door."""


@_door
def demographic_parity_difference(
    y_true: Any,
    y_pred: Any,
    *,
    groups: Any,
    method: str = "between_groups",
    average: str | None = None,
    threshold: Any = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    label_names: Sequence[str] | None = None,
    zero_division: Any = "warn",
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Any:
    """Largest difference of the selection rate (the share of rows predicted positive),
    per label, between the slices of ``groups``.

    ``method`` is ``"between_groups"`` or ``"to_overall"``; ``average=None`` gives an array
    of shape (n_labels,), ``"macro"`` its mean (see the module docstring).
    """
    options = dict(
        method=method, average=average, zero_division=zero_division, groups=groups,
        threshold=threshold, from_logits=from_logits, sample_weight=sample_weight,
        label_names=label_names, max_slices=max_slices,
    )  # fmt: skip
    return named_gap("demographic_parity", "difference", y_true, y_pred, options)


@_door
def demographic_parity_ratio(
    y_true: Any,
    y_pred: Any,
    *,
    groups: Any,
    method: str = "between_groups",
    average: str | None = None,
    threshold: Any = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    label_names: Sequence[str] | None = None,
    zero_division: Any = "warn",
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Any:
    """Smallest ratio (below 1) of the selection rate (the share of rows predicted positive),
    per label, between the slices of ``groups``.

    ``method`` is ``"between_groups"`` or ``"to_overall"``; ``average=None`` gives an array
    of shape (n_labels,), ``"macro"`` its mean (see the module docstring).
    """
    options = dict(
        method=method, average=average, zero_division=zero_division, groups=groups,
        threshold=threshold, from_logits=from_logits, sample_weight=sample_weight,
        label_names=label_names, max_slices=max_slices,
    )  # fmt: skip
    return named_gap("demographic_parity", "ratio", y_true, y_pred, options)


@_door
def equal_opportunity_difference(
    y_true: Any,
    y_pred: Any,
    *,
    groups: Any,
    method: str = "between_groups",
    average: str | None = None,
    threshold: Any = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    label_names: Sequence[str] | None = None,
    zero_division: Any = "warn",
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Any:
    """Largest difference of the true positive rate (recall),
    per label, between the slices of ``groups``.

    ``method`` is ``"between_groups"`` or ``"to_overall"``; ``average=None`` gives an array
    of shape (n_labels,), ``"macro"`` its mean (see the module docstring).
    """
    options = dict(
        method=method, average=average, zero_division=zero_division, groups=groups,
        threshold=threshold, from_logits=from_logits, sample_weight=sample_weight,
        label_names=label_names, max_slices=max_slices,
    )  # fmt: skip
    return named_gap("equal_opportunity", "difference", y_true, y_pred, options)


@_door
def equal_opportunity_ratio(
    y_true: Any,
    y_pred: Any,
    *,
    groups: Any,
    method: str = "between_groups",
    average: str | None = None,
    threshold: Any = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    label_names: Sequence[str] | None = None,
    zero_division: Any = "warn",
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Any:
    """Smallest ratio (below 1) of the true positive rate (recall),
    per label, between the slices of ``groups``.

    ``method`` is ``"between_groups"`` or ``"to_overall"``; ``average=None`` gives an array
    of shape (n_labels,), ``"macro"`` its mean (see the module docstring).
    """
    options = dict(
        method=method, average=average, zero_division=zero_division, groups=groups,
        threshold=threshold, from_logits=from_logits, sample_weight=sample_weight,
        label_names=label_names, max_slices=max_slices,
    )  # fmt: skip
    return named_gap("equal_opportunity", "ratio", y_true, y_pred, options)


@_door
def equalized_odds_difference(
    y_true: Any,
    y_pred: Any,
    *,
    groups: Any,
    method: str = "between_groups",
    average: str | None = None,
    threshold: Any = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    label_names: Sequence[str] | None = None,
    zero_division: Any = "warn",
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Any:
    """Largest difference of the true and false positive rates (the worse of the two gaps),
    per label, between the slices of ``groups``.

    ``method`` is ``"between_groups"`` or ``"to_overall"``; ``average=None`` gives an array
    of shape (n_labels,), ``"macro"`` its mean (see the module docstring).
    """
    options = dict(
        method=method, average=average, zero_division=zero_division, groups=groups,
        threshold=threshold, from_logits=from_logits, sample_weight=sample_weight,
        label_names=label_names, max_slices=max_slices,
    )  # fmt: skip
    return named_gap("equalized_odds", "difference", y_true, y_pred, options)


@_door
def equalized_odds_ratio(
    y_true: Any,
    y_pred: Any,
    *,
    groups: Any,
    method: str = "between_groups",
    average: str | None = None,
    threshold: Any = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    label_names: Sequence[str] | None = None,
    zero_division: Any = "warn",
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Any:
    """Smallest ratio (below 1) of the true and false positive rates (the worse of the two gaps),
    per label, between the slices of ``groups``.

    ``method`` is ``"between_groups"`` or ``"to_overall"``; ``average=None`` gives an array
    of shape (n_labels,), ``"macro"`` its mean (see the module docstring).
    """
    options = dict(
        method=method, average=average, zero_division=zero_division, groups=groups,
        threshold=threshold, from_logits=from_logits, sample_weight=sample_weight,
        label_names=label_names, max_slices=max_slices,
    )  # fmt: skip
    return named_gap("equalized_odds", "ratio", y_true, y_pred, options)


@_door
def predictive_parity_difference(
    y_true: Any,
    y_pred: Any,
    *,
    groups: Any,
    method: str = "between_groups",
    average: str | None = None,
    threshold: Any = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    label_names: Sequence[str] | None = None,
    zero_division: Any = "warn",
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Any:
    """Largest difference of the precision,
    per label, between the slices of ``groups``.

    ``method`` is ``"between_groups"`` or ``"to_overall"``; ``average=None`` gives an array
    of shape (n_labels,), ``"macro"`` its mean (see the module docstring).
    """
    options = dict(
        method=method, average=average, zero_division=zero_division, groups=groups,
        threshold=threshold, from_logits=from_logits, sample_weight=sample_weight,
        label_names=label_names, max_slices=max_slices,
    )  # fmt: skip
    return named_gap("predictive_parity", "difference", y_true, y_pred, options)


@_door
def predictive_parity_ratio(
    y_true: Any,
    y_pred: Any,
    *,
    groups: Any,
    method: str = "between_groups",
    average: str | None = None,
    threshold: Any = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    label_names: Sequence[str] | None = None,
    zero_division: Any = "warn",
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Any:
    """Smallest ratio (below 1) of the precision,
    per label, between the slices of ``groups``.

    ``method`` is ``"between_groups"`` or ``"to_overall"``; ``average=None`` gives an array
    of shape (n_labels,), ``"macro"`` its mean (see the module docstring).
    """
    options = dict(
        method=method, average=average, zero_division=zero_division, groups=groups,
        threshold=threshold, from_logits=from_logits, sample_weight=sample_weight,
        label_names=label_names, max_slices=max_slices,
    )  # fmt: skip
    return named_gap("predictive_parity", "ratio", y_true, y_pred, options)
