"""Calibration metrics as pure functions of per-bin sums.

Every function takes the sums a [`CalibrationState`][multilabel_attr.CalibrationState]
keeps, per label and bin: ``weight`` (sum of sample weights), ``score_sum``
(weighted sum of scores) and ``label_sum`` (weighted sum of labels), with the
bins on the last axis.  Leading axes are kept apart, so the same functions
evaluate one state or a stack of resampled sums (bootstrap replicates) at once.
Only ``+``, ``-``, ``*``, ``/``, comparisons and ``xp.abs``, ``xp.sum``,
``xp.max``, ``xp.where`` are used, so any array namespace with these works.

Definitions, for one label with bins ``b`` and total weight ``W``:

* expected calibration error (``norm="l1"``): ``sum_b w_b |mean score_b - observed rate_b| / W``,
  which is ``sum_b |score_sum_b - label_sum_b| / W``;
* maximum calibration error (``norm="max"``): ``max_b |score_sum_b - label_sum_b| / w_b``
  over the bins holding weight;
* the reliability curve: ``score_sum_b / w_b`` and ``label_sum_b / w_b`` (``nan`` for an
  empty bin) with the weight ``w_b``.

A label (or a replicate) without weight has every metric ``nan``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def calibration_error_from_sums(
    weight: Any, score_sum: Any, label_sum: Any, norm: str = "l1", xp: Any = np
) -> Any:
    """Calibration error over the last axis (bins) of per-bin sums.

    Parameters
    ----------
    weight, score_sum, label_sum : array of shape (..., n_bins)
        Per-bin sums; leading axes (labels, replicates) are kept.
    norm : {"l1", "max"}
        ``"l1"`` for the expected calibration error, ``"max"`` for the maximum one.
    xp : module
        The array namespace (numpy by default).

    Returns
    -------
    array of shape (...)
        ``nan`` where the total weight is zero.
    """
    gap = xp.abs(score_sum - label_sum)
    filled = weight > 0
    total = xp.sum(weight, axis=-1)
    if norm == "l1":
        value = xp.sum(gap, axis=-1) / xp.where(total > 0, total, 1.0)
    else:
        value = xp.max(xp.where(filled, gap / xp.where(filled, weight, 1.0), 0.0), axis=-1)
    return xp.where(total > 0, value, math.nan)


def curve_from_sums(weight: Any, score_sum: Any, label_sum: Any, xp: Any = np) -> tuple[Any, Any]:
    """Mean score and observed rate per bin (``nan`` for an empty bin)."""
    filled = weight > 0
    safe = xp.where(filled, weight, 1.0)
    return (
        xp.where(filled, score_sum / safe, math.nan),
        xp.where(filled, label_sum / safe, math.nan),
    )


def mean_loss_from_sums(loss_sum: Any, total_weight: Any, xp: Any = np) -> Any:
    """A mean loss (Brier score, log loss) from its weighted sum; ``nan`` without weight."""
    return xp.where(total_weight > 0, loss_sum / xp.where(total_weight > 0, total_weight, 1.0),
                    math.nan)  # fmt: skip


def pool_labels(*sums: Any, xp: Any = np) -> tuple[Any, ...]:
    """Per-bin sums pooled over the labels (the second-to-last axis): the micro average's bins."""
    return tuple(xp.sum(s, axis=-2) for s in sums)
