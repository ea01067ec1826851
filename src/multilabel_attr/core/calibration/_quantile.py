"""Equal-mass bins of every label, exact from the scores or from the fine bins with a bound."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..ranking._sketch_bins import sketch_edges
from ._binning import (
    UnresolvedBinningError,
    equal_mass_bounds,
    exact_quantile_sums,
    sketch_quantile_sums,
)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class QuantileBins:
    """Per-bin sums of every label (rows), with the bins' edges.

    ``moved`` is, for bins built from fine bins, the weight that may lie on the
    other side of each edge (``None`` when the bins are exact).
    """

    edges: FloatArray
    weight: FloatArray
    score_sum: FloatArray
    label_sum: FloatArray
    moved: FloatArray | None

    def bounds(self, norm: str) -> FloatArray:
        """Per-row bound on the distance to the calibration error of exact bins."""
        if self.moved is None:
            return np.zeros(self.weight.shape[0])
        which = 0 if norm == "l1" else 1
        return np.array(
            [
                equal_mass_bounds(m, w, float(w.sum()))[which]
                for m, w in zip(self.moved, self.weight, strict=True)
            ]
        )


def exact_quantile_bins(
    truth: NDArray[np.bool_],
    probs: FloatArray,
    weights: FloatArray | None,
    n_bins: int,
    *,
    micro: bool,
) -> QuantileBins:
    """Exact equal-mass bins of every label (of all cells pooled with ``micro``)."""
    if micro:
        n_labels = truth.shape[1]
        pooled = None if weights is None else np.repeat(weights, n_labels)
        columns = [(truth.ravel(), probs.ravel(), pooled)]
    else:
        columns = [(truth[:, j], probs[:, j], weights) for j in range(truth.shape[1])]
    rows = [exact_quantile_sums(p, t, w, n_bins) for t, p, w in columns]
    edges, weight, score, label = (np.stack(parts) for parts in zip(*rows, strict=True))
    return QuantileBins(edges, weight, score, label, None)


def sketch_quantile_bins(
    fine: tuple[FloatArray, FloatArray, FloatArray],
    n_bins: int,
    max_weight: float,
    *,
    micro: bool,
    label_names: Sequence[str] | None,
) -> QuantileBins:
    """Equal-mass bins of every label from the fine bins; refuses bins they cannot resolve."""
    if micro:
        fine = (fine[0].sum(axis=0)[None], fine[1].sum(axis=0)[None], fine[2].sum(axis=0)[None])
    fine_edges = sketch_edges(fine[0].shape[1], False)
    rows, unresolved = [], []
    for j in range(fine[0].shape[0]):
        try:
            rows.append(
                sketch_quantile_sums(
                    (fine[0][j], fine[1][j], fine[2][j]), fine_edges, n_bins, max_weight
                )
            )
        except UnresolvedBinningError:
            unresolved.append(j)
    if unresolved:
        names = [
            "all labels pooled" if micro else (label_names[j] if label_names else str(j))
            for j in unresolved
        ]
        raise ValueError(
            f"strategy='quantile' with {n_bins} bins cannot be resolved from the "
            f"{fine[0].shape[1]} fine bins for label(s) {', '.join(names[:10])}: the weight of "
            "one fine bin exceeds that of an equal-mass bin, so a bin would be empty. Use "
            "exact=True, fewer n_bins, or more sketch_bins."
        )
    edges = np.stack([r[0] for r in rows])
    weight, score, label = (np.stack([r[1][i] for r in rows]) for i in range(3))
    moved = np.stack([r[2] for r in rows])
    return QuantileBins(edges, weight, score, label, moved)
