"""Per-group threshold search: the exact search, run on each group's rows."""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core._internal import GroupKey, check_groups
from ..core._validation import external_stacklevel
from ._group_result import GroupThresholds
from ._result import Thresholds

if TYPE_CHECKING:
    from ._optimize import Prepared


def _describe(key: tuple[GroupKey, ...]) -> str:
    return f"group {key[0]!r}" if len(key) == 1 else f"group {key!r}"


def _announced(key: tuple[GroupKey, ...], search: Callable[[], Thresholds]) -> Thresholds:
    """Run one group's search; its warnings are re-issued naming the group."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = search()
    for warning in caught:
        warnings.warn(
            f"{_describe(key)}: {warning.message}",
            warning.category,
            stacklevel=external_stacklevel(),
        )
    return result


def search_by_group(
    data: Prepared, groups: Any, search: Callable[[Prepared], Thresholds]
) -> GroupThresholds:
    """The overall thresholds and each group's, ``search`` running on that group's rows.

    Every group's search is the one search of the package on a subset of validated rows, so a
    group's thresholds are those the search finds on that group's data alone.
    """
    index = check_groups(groups, data.n_samples)
    order = np.argsort(index.codes, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(index.codes, minlength=len(index.keys)))])
    table: dict[tuple[GroupKey, ...], Thresholds] = {}
    for position, key in enumerate(index.keys):
        rows = order[bounds[position] : bounds[position + 1]]
        weights = None if data.weights is None else data.weights[rows]
        if weights is not None and not np.any(weights > 0):
            raise ValueError(
                f"{_describe(key)} has sample_weight 0 for all its {rows.shape[0]} samples, so "
                "no threshold can be tuned for it; give it positive weights or leave it out"
            )
        subset = dataclasses.replace(
            data, truth=data.truth[rows], scores=data.scores[rows], weights=weights
        )
        table[key] = _announced(key, functools.partial(search, subset))
    overall = search(data)
    return GroupThresholds(table, overall, n_factors=index.n_factors)
