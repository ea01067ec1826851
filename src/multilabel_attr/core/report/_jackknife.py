"""Leave-one-out values of every metric, from the counts: BCa's acceleration and the
simultaneous band's standard errors.

Leaving one unit out (a row, or a cluster of rows) subtracts that unit's
contribution from the totals: its weight in each label's confusion cell and in
its rows' sample keys.  The left-out counts then go through the same formulas
as the full counts; no metric is recomputed from the rows per left-out unit.
The AUROC's left-out values come from each row's placement among the other
class (see [`delong_interval`][multilabel_attr.delong_interval]).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..ranking._delong import leave_one_out_auroc
from ._bootstrap import Design, Metrics, Rows

FloatArray = NDArray[np.float64]

_MAX_CELLS_PER_CHUNK = 4_000_000


def jackknife_metrics(
    rows: Rows, design: Design, truth: NDArray[np.bool_], scores: NDArray[Any] | None
) -> Metrics:
    """Summary metrics, shape (U,), and per-label metrics, shape (U, L), with each unit left
    out in turn (AUROC too when ``scores`` are given)."""
    n_samples, n_labels = truth.shape
    units = np.arange(n_samples) if design.units is None else design.units
    weighted = design.weights is not None
    w = np.ones(n_samples) if design.weights is None else design.weights
    tp_t, fp_t, fn_t, _, kw_t, _ = rows.counts(w[None, :], weighted)
    total = w.sum()
    order = np.argsort(units, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(units[order]) != 0])
    bounds = np.r_[starts, n_samples]
    n_keys = rows.keys.size
    chunk = max(1, _MAX_CELLS_PER_CHUNK // (n_keys + 4 * n_labels))
    parts: list[Metrics] = []
    for first in range(0, design.n_units, chunk):
        last = min(first + chunk, design.n_units)
        picked = order[bounds[first] : bounds[last]]
        at = starts[first:last] - bounds[first]
        ww = w[picked]

        def unit_sum(values: FloatArray, ww: FloatArray = ww, at: Any = at) -> FloatArray:
            return np.add.reduceat(ww[:, None] * values, at, axis=0)

        hit, pred, true = (unit_sum(a[picked]) for a in (rows.hit, rows.pred, rows.truth))
        unit_weight = np.add.reduceat(ww, at)
        key_weight = np.zeros((last - first, n_keys))
        np.add.at(key_weight, (units[picked] - first, rows.key_of_row[picked]), ww)
        tp = tp_t - hit
        fp = fp_t - (pred - hit)
        fn = fn_t - (true - hit)
        tn = (total - unit_weight)[:, None] - tp - fp - fn
        kw = kw_t - key_weight
        present = (kw > 0).astype(np.float64) if weighted else kw
        parts.append(rows.scores((tp, fp, fn, tn, kw, present)))
    summary = {k: np.concatenate([s[k] for s, _ in parts]) for k in parts[0][0]}
    per_label = {k: np.concatenate([p[k] for _, p in parts]) for k in parts[0][1]}
    if scores is not None:
        per_label["auroc"] = leave_one_out_auroc(
            truth, scores, design.weights, units.astype(np.int64), design.n_units
        )
    return summary, per_label
