"""Operating points of every bootstrap replicate: one column per rule, per label.

Each label's rows are sorted by score once, and its cuts are the first row of
every run of equal scores (plus the cut that predicts nothing), as in the exact
sweep ([`operating_points`][multilabel_attr.operating_points]).  A block of
replicates gets the weight of the positives and negatives at or above every cut
from cumulative sums of its multiplicities in that order, and each rule picks
its cut per replicate with the same selection as the exact sweep
(``select_cuts``), so every replicate equals
[`operating_points`][multilabel_attr.operating_points] with the replicate's
multiplicities as sample weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..ranking._constraints import Constraint, select_cuts
from ..ranking._operating_points import operating_points

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class OperatingRows:
    """Per label: the score order, the truth in that order and the cuts; and the rules."""

    rules: tuple[Constraint, ...]
    order: list[NDArray[np.intp]]
    positive: list[NDArray[np.bool_]]
    cuts: list[NDArray[np.intp]]

    @classmethod
    def of(
        cls, truth: NDArray[np.bool_], scores: NDArray[Any], rules: list[Constraint]
    ) -> OperatingRows:
        order, positive, cuts = [], [], []
        n_samples = truth.shape[0]
        for j in range(truth.shape[1]):
            rows = np.argsort(scores[:, j], kind="stable")
            ranked = scores[rows, j]
            starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
            order.append(rows)
            positive.append(truth[rows, j])
            cuts.append(np.r_[starts, n_samples])
        return cls(tuple(rules), order, positive, cuts)

    def replicates(self, weight: NDArray[Any]) -> dict[str, FloatArray]:
        """Each rule's value, shape (B, L), for the replicate weights (B, n)."""
        n_labels = len(self.order)
        out = {rule.key: np.empty((weight.shape[0], n_labels)) for rule in self.rules}
        for j in range(n_labels):
            drawn = np.asarray(weight[:, self.order[j]], np.float64)
            pos = np.where(self.positive[j], drawn, 0.0)
            below_pos = _exclusive_cumsum(pos)[:, self.cuts[j]]
            below_all = _exclusive_cumsum(drawn)[:, self.cuts[j]]
            total_pos = below_pos[:, -1:]
            total_neg = below_all[:, -1:] - total_pos
            # At or above each cut: everything minus what lies below it.
            tp = total_pos - below_pos
            fp = total_neg - (below_all - below_pos)
            for rule in self.rules:
                chosen = select_cuts(rule, tp, fp, total_pos - tp, total_neg - fp, valid=None)
                out[rule.key][:, j] = chosen.values
        return out


def _exclusive_cumsum(values: FloatArray) -> FloatArray:
    """Cumulative sums along the rows (axis 1), with a leading column of zeros."""
    out = np.zeros((values.shape[0], values.shape[1] + 1))
    np.cumsum(values, axis=1, out=out[:, 1:])
    return out


def operating_columns(
    y_true: Any, y_score: Any, rules: list[Constraint], sample_weight: Any, from_logits: bool
) -> dict[str, list[float]]:
    """The point values of every rule's column, by the exact sweep."""
    points = operating_points(
        y_true, y_score, rules, sample_weight=sample_weight, from_logits=from_logits
    )
    return {key: result.values.astype(np.float64).tolist() for key, result in points.items()}
