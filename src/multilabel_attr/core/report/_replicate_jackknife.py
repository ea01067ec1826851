"""Each bootstrap replicate's own jackknife standard errors, for the bootstrap-t band.

A replicate is a sample of drawn units (rows, or clusters of rows): a unit drawn
``m`` times is ``m`` units.  Leaving one drawn unit out subtracts that unit's
contribution from the replicate's confusion counts, so its left-out value of a
per-label count metric depends only on what the unit adds to that label's four
cells.  Units that add the same are one *kind*: an unweighted row is one of
four kinds per label (a true positive, false positive, false negative or true
negative), and the replicate's own counts are how many drawn units of each kind
it holds.  Clusters and weighted rows are grouped by what they add, and a
replicate's number of each kind follows from its unit multiplicities.  The
left-out counts go through the per-label formulas of every other metric.  The cost
is that of the formulas on (replicates, kinds, labels): four kinds for unweighted
rows, and for weighted rows as many as the distinct (weight, outcome) pairs of a
label, up to one per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..ranking._delong import leave_one_out_auroc
from ._bootstrap import Counts, Design, Rows, per_label_metrics
from ._intervals import jackknife_se

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_MAX_CELLS_PER_CHUNK = 1_000_000
_MAX_KIND_CELLS = 1 << 18
"""(kind, label) cells per replicate above which the replicates' own standard errors cost
too much (continuous weights make nearly every row a kind of its own)."""


def jackknife_spread(
    counts: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    kinds: FloatArray,
    multiplicity: FloatArray,
    n_units: FloatArray,
) -> dict[str, FloatArray]:
    """The jackknife standard error (B, L) of every per-label count metric within each
    replicate.

    ``counts`` holds the replicates' ``tp, fp, fn, tn`` (B, L); ``kinds`` (P, L, 4) what one
    unit of kind ``p`` adds to label ``l``'s four cells; ``multiplicity`` (B, P, L) how many
    drawn units of each kind a replicate holds; ``n_units`` (B,) its drawn units in all.
    The standard error is ``sqrt((U - 1) / U * sum((theta_(i) - mean)^2))`` over the ``U``
    drawn units, as [`jackknife_se`][multilabel_attr.core.report._intervals.jackknife_se]
    takes it over the sample's own units.
    """
    left_out = tuple(c[:, None, :] - kinds[None, :, :, k] for k, c in enumerate(counts))
    drawn = multiplicity > 0
    units = n_units[:, None]
    out: dict[str, FloatArray] = {}
    # A kind the replicate does not hold can leave negative counts; it weighs nothing.
    with np.errstate(divide="ignore", invalid="ignore"):
        values = per_label_metrics((left_out[0], left_out[1], left_out[2], left_out[3]))
        for column, value in values.items():
            value = np.where(drawn, value, 0.0)
            mean = np.sum(multiplicity * value, axis=1) / units
            centred = np.where(drawn, value - mean[:, None, :], 0.0)
            squares = np.sum(multiplicity * centred**2, axis=1)
            out[column] = np.where(units >= 2, np.sqrt((units - 1) / units * squares), np.nan)
    return out


def _unit_kinds(
    rows: Rows, design: Design
) -> tuple[FloatArray, list[tuple[NDArray[np.intp], NDArray[np.intp]]]]:
    """Every label's kinds of units (P, L, 4), padded with kinds no unit has, and per label
    the units in order of their kind with the start of each kind's run."""
    n_samples, n_labels = rows.truth.shape
    units = np.arange(n_samples) if design.units is None else design.units
    w = np.ones(n_samples) if design.weights is None else design.weights
    found: list[NDArray[Any]] = []
    groups: list[tuple[NDArray[np.intp], NDArray[np.intp]]] = []
    for j in range(n_labels):
        hit, pred, true = rows.hit[:, j], rows.pred[:, j], rows.truth[:, j]
        cells = (hit, pred - hit, true - hit, 1.0 - pred - true + hit)
        added = np.stack(
            [np.bincount(units, weights=w * c, minlength=design.n_units) for c in cells], axis=1
        )
        kinds, inverse = np.unique(added, axis=0, return_inverse=True)
        order = np.argsort(inverse.reshape(-1), kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(inverse.reshape(-1)[order]) != 0])
        found.append(kinds)
        groups.append((order, starts))
    padded = np.zeros((max(k.shape[0] for k in found), n_labels, 4))
    for j, seen in enumerate(found):
        padded[: seen.shape[0], j] = seen
    return padded, groups


@dataclass
class ReplicateSpread:
    """Gathers each replicate's jackknife standard errors beside the replicates.

    Unweighted rows read the kinds' multiplicities off the replicate's counts; clusters
    and weighted rows group their units by kind (``groups``).  ``ranking``: the AUROC's
    own standard errors are wanted too (unweighted rows only, see
    [`resampled_auroc_ap_se`][multilabel_attr.core.ranking._resampled.resampled_auroc_ap_se]).
    """

    kinds: FloatArray
    groups: list[tuple[NDArray[np.intp], NDArray[np.intp]]] | None
    ranking: bool
    parts: list[dict[str, FloatArray]] = field(default_factory=list)

    @classmethod
    def of(cls, rows: Rows, design: Design, ranking: bool) -> ReplicateSpread | None:
        """The spread of ``design``'s replicates; ``None`` where its units fall into more
        kinds than the replicates' standard errors are worth (then the band studentises
        by the sample's jackknife standard errors only)."""
        n_labels = rows.truth.shape[1]
        if design.units is None and design.weights is None:
            kinds = np.broadcast_to(np.eye(4)[:, None, :], (4, n_labels, 4)).copy()
            return cls(kinds, None, ranking)
        kinds, groups = _unit_kinds(rows, design)
        if kinds.shape[0] * n_labels > _MAX_KIND_CELLS:
            return None
        return cls(kinds, groups, False)

    def _multiplicity(self, drawn: NDArray[Any], counts: Counts) -> FloatArray:
        """How many drawn units of each kind every replicate holds (B, P, L)."""
        if self.groups is None:
            return np.stack(counts[:4], axis=1)  # each drawn row adds 1 to one cell
        out = np.zeros((drawn.shape[0], self.kinds.shape[0], self.kinds.shape[1]))
        for j, (order, starts) in enumerate(self.groups):
            by_kind = np.add.reduceat(np.take(drawn, order, axis=1), starts, axis=1, dtype=np.int64)
            out[:, : starts.size, j] = by_kind
        return out

    def add(self, drawn: NDArray[Any], counts: Counts, auroc_se: FloatArray | None) -> None:
        """Keep the standard errors of the replicates that drew each unit ``drawn`` (B, U)
        times and whose counts are ``counts``; ``auroc_se`` (B, L) where computed."""
        n_units = drawn.sum(axis=1, dtype=np.float64)
        chunk = max(1, _MAX_CELLS_PER_CHUNK // self.kinds[:, :, 0].size)
        parts = []
        for first in range(0, drawn.shape[0], chunk):
            rows = slice(first, first + chunk)
            tp, fp, fn, tn, key_weight, present = (c[rows] for c in counts)
            part: Counts = (tp, fp, fn, tn, key_weight, present)
            multiplicity = self._multiplicity(drawn[rows], part)
            parts.append(
                jackknife_spread((tp, fp, fn, tn), self.kinds, multiplicity, n_units[rows])
            )
        merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        if auroc_se is not None:
            merged["auroc"] = auroc_se
        self.parts.append(merged)

    def sample_se(
        self, rows: Rows, design: Design, scores: FloatArray | None
    ) -> dict[str, FloatArray]:
        """The sample's own jackknife standard errors (L,) of the per-label count metrics,
        and of the AUROC when ``scores`` are given: the band's ``se``.

        The sample is the replicate that draws every unit once, so the count metrics take
        the same path as the replicates'; the AUROC's left-out values come from
        [`leave_one_out_auroc`][multilabel_attr.core.ranking._delong.leave_one_out_auroc].
        """
        ones = np.ones((1, design.n_units), np.int8)
        counts = rows.counts(design.row_weights(ones), design.weights is not None)
        n_units = np.array([float(design.n_units)])
        multiplicity = self._multiplicity(ones, counts)
        own = jackknife_spread(counts[:4], self.kinds, multiplicity, n_units)
        out = {column: values[0] for column, values in own.items()}
        if scores is not None:
            truth = rows.truth.astype(bool)
            units = np.arange(truth.shape[0]) if design.units is None else design.units
            left_out = leave_one_out_auroc(truth, scores, design.weights, units, design.n_units)
            out["auroc"] = jackknife_se(left_out)
        return out

    def columns(self) -> dict[str, FloatArray]:
        """Every column's standard errors (B, L), over all the replicates gathered."""
        return {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
