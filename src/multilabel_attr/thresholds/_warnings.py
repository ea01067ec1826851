"""The threshold search's warnings about labels it does not tune, and the fallback threshold
they use, in one wording for the in-memory search and the scale-out engines."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._validation import external_stacklevel
from ._result import ThresholdWarning

BoolArray = NDArray[np.bool_]


def describe_labels(indices: Sequence[int], names: tuple[str, ...] | None) -> str:
    shown = [names[i] if names else str(i) for i in indices[:10]]
    more = f", ... ({len(indices)} in all)" if len(indices) > 10 else ""
    return ", ".join(shown) + more


def warn_fallback(
    fixed: BoolArray,
    positives: Sequence[int],
    min_positives: int,
    rule: str,
    names: tuple[str, ...] | None,
) -> None:
    """Say which labels were not tuned (``positives``: their positive counts) and why."""
    warnings.warn(
        f"{int(fixed.sum())} of {fixed.shape[0]} labels have fewer than "
        f"min_positives={min_positives} positive samples and are not tuned: "
        f"{describe_labels(np.flatnonzero(fixed).tolist(), names)} "
        f"(positives: {', '.join(map(str, list(positives)[:10]))}); they use {rule}.",
        ThresholdWarning,
        stacklevel=external_stacklevel(),
    )


def warn_infeasible(
    fixed: BoolArray, rule_name: str, rule: str, names: tuple[str, ...] | None
) -> None:
    """Say on which labels an operating-point objective is infeasible, and what they use."""
    warnings.warn(
        f"{rule_name} is infeasible for {int(fixed.sum())} of {fixed.shape[0]} labels: "
        f"{describe_labels(np.flatnonzero(fixed).tolist(), names)}; they use {rule}.",
        ThresholdWarning,
        stacklevel=external_stacklevel(),
    )


def fallback_rule(
    fallback: Any, clip: tuple[float, float] | None, shared: Callable[[], float]
) -> tuple[float, str]:
    """The threshold of untuned labels and how the warning names it (``shared``: the exact
    best single threshold, computed only when the fallback asks for it)."""
    if fallback == "shared":
        value = shared()
        return value, f"the shared threshold {value:.6g}"
    value = float(fallback)
    if clip is not None:
        value = min(max(value, clip[0]), clip[1])
    return value, f"the fallback threshold {value:.6g}"
