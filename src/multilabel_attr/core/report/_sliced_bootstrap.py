"""Intervals on slices and on the gaps between them, from the same paired replicates.

Every row gets a Poisson(1) multiplicity per replicate from the core's counter-based
generator, keyed by the seed and the row's position in the input
([`poisson_multiplicities`][multilabel_attr.core.counts._poisson.poisson_multiplicities]), so
a replicate draws the same rows whichever slice they fall in and however the data is
partitioned: the engines draw the same values.  Each slice's replicate counts (per-label
confusion counts and per-sample triple histograms) are summed from its own rows; the
overall slice's replicate counts are the sum of the slices'.  Metrics of every replicate
come from those counts through the same formulas as the point estimates, and each
disparity of every replicate from the same slice values, so the interval of a gap accounts
for the correlation between the slices it compares.

Public API: ``bootstrap_report(..., groups=...)`` returns a
[`SlicedReport`][multilabel_attr.SlicedReport] whose slice reports carry intervals and whose
``gap_intervals`` hold the intervals of every gap
([`SlicedReport.disparity`][multilabel_attr.core.SlicedReport.disparity] attaches them).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..counts._counting import binary_predictions, sample_keys
from ..counts._poisson import cluster_keys, poisson_multiplicities
from ..counts._sliced import SlicedBatch
from ._bootstrap import Design, Metrics, Rows, replicate_metrics
from ._disparities import GAPS, gap_arrays
from ._evaluate import SUMMARY_METRICS, Report
from ._intervals import bca_bounds, cluster_ids
from ._sliced import SlicedReport, shown_slices, sliced_batch, sliced_report

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_CELLS_PER_CHUNK = 1 << 22


@dataclass(frozen=True)
class SliceReplicates:
    """Replicate counts of one slice: ``tp, fp, fn, tn`` of shape (B, L) and the weight and
    presence of each per-sample triple of ``keys``, shape (B, K)."""

    counts: tuple[FloatArray, FloatArray, FloatArray, FloatArray]
    keys: IntArray
    key_weight: FloatArray
    present: FloatArray


def slice_replicates(
    truth: NDArray[np.bool_],
    pred: NDArray[np.bool_],
    weights: FloatArray | None,
    row_ids: IntArray,
    seed: int,
    n_resamples: int,
) -> SliceReplicates:
    """The replicate counts of one slice's rows (drawn in chunks of rows)."""
    n_rows, n_labels = truth.shape
    keys, inverse = np.unique(sample_keys(truth, pred), return_inverse=True)
    inverse = inverse.reshape(-1)
    if weights is None:
        # Whole-number draws: every sum is an integer, exact in float32 below 2**24 (a
        # chunk's rows times the largest draw stay below it), so hits, predictions and truths
        # give every cell exactly.
        cells = np.concatenate([truth & pred, pred, truth], axis=1).astype(np.float32)
        dtype, step = np.float32, min(1 << 19, max(1, _CELLS_PER_CHUNK // n_resamples))
    else:
        # Each cell kind summed on its own: a count taken as a difference of weighted sums
        # would keep a rounding residue where no row counts (a specificity of 1 instead of
        # undefined), and that residue would depend on how the rows are split.
        cells = np.concatenate(
            [truth & pred, pred & ~truth, truth & ~pred, ~(truth | pred)], axis=1
        ).astype(np.float64)
        dtype, step = np.float64, max(1, _CELLS_PER_CHUNK // n_resamples)
    sums = np.zeros((n_resamples, cells.shape[1]))
    key_weight = np.zeros((n_resamples, keys.size))
    for start in range(0, n_rows, step):
        rows = slice(start, min(start + step, n_rows))
        w = poisson_multiplicities(seed, row_ids[rows], n_resamples).astype(dtype)
        if weights is not None:
            w *= weights[rows]
        sums += w @ cells[rows]  # one product for every cell kind
        order = np.argsort(inverse[rows], kind="stable")
        present_keys, starts = np.unique(inverse[rows][order], return_index=True)
        key_weight[:, present_keys] += np.add.reduceat(
            w[:, order], starts, axis=1, dtype=np.float64
        )
    parts = [sums[:, k * n_labels : (k + 1) * n_labels] for k in range(cells.shape[1] // n_labels)]
    if weights is None:
        hit, predicted, true = parts
        total = key_weight.sum(axis=1, keepdims=True)  # every row has one key
        parts = [hit, predicted - hit, true - hit, total - predicted - true + hit]
    tp, fp, fn, tn = parts
    # As in the multinomial bootstrap: presence stands in for sample counts when weighted.
    present = key_weight if weights is None else (key_weight > 0).astype(np.float64)
    return SliceReplicates((tp, fp, fn, tn), keys.astype(np.int64), key_weight, present)


def combine_replicates(parts: list[SliceReplicates]) -> SliceReplicates:
    """The replicate counts of the union of disjoint slices (their sum)."""
    keys = np.unique(np.concatenate([part.keys for part in parts]))
    n_resamples = parts[0].key_weight.shape[0]
    key_weight = np.zeros((n_resamples, keys.size))
    present = np.zeros((n_resamples, keys.size))
    for part in parts:
        at = np.searchsorted(keys, part.keys)
        key_weight[:, at] += part.key_weight
        present[:, at] += part.present
    counts = tuple(np.sum([part.counts[i] for part in parts], axis=0) for i in range(4))
    return SliceReplicates(counts, keys, key_weight, present)


def _percentiles(values: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    """Percentile interval over the replicates (axis 0), leaving nan replicates out; nan where
    every replicate is nan."""
    tail = (1 - level) / 2 * 100
    if not np.isnan(values).any():
        # The same numbers as nanpercentile, without its per-column loop.
        lows, highs = np.percentile(values, [tail, 100 - tail], axis=0)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lows, highs = np.nanpercentile(values, [tail, 100 - tail], axis=0)
    return np.asarray(lows), np.asarray(highs)


def _intervals(
    summary: Mapping[str, FloatArray],
    per_label: Mapping[str, FloatArray],
    label_names: tuple[str, ...],
    level: float,
    bca: tuple[Report, Metrics] | None = None,
) -> dict[str, tuple[float, float]]:
    """Percentile intervals of every metric, or BCa intervals when ``bca`` gives the point
    estimates and the leave-one-unit-out values (their jackknife)."""
    intervals: dict[str, tuple[float, float]] = {}
    for key, _ in SUMMARY_METRICS:
        if bca is None:
            low, high = _percentiles(summary[key], level)
        else:
            point, jackknife = np.array([bca[0].summary[key]]), bca[1][0][key][:, None]
            low, high = bca_bounds(summary[key][:, None], point, jackknife, level)
        intervals[key] = (float(np.squeeze(low)), float(np.squeeze(high)))
    for column, values in per_label.items():
        if bca is None:
            lows, highs = _percentiles(values, level)
        else:
            point = np.asarray(bca[0].per_label[column], np.float64)
            lows, highs = bca_bounds(values, point, bca[1][1][column], level)
        for name, low, high in zip(label_names, lows.tolist(), highs.tolist()):
            intervals[f"{column}:{name}"] = (low, high)
    return intervals


def _gap_intervals(
    metrics: list[tuple[dict[str, FloatArray], dict[str, FloatArray]]],
    overall: tuple[dict[str, FloatArray], dict[str, FloatArray]],
    label_names: tuple[str, ...],
    level: float,
) -> dict[str, tuple[float, float]]:
    """Intervals of every gap of every metric, from the paired replicates of the slices."""
    intervals: dict[str, tuple[float, float]] = {}
    for part in (0, 1):
        for metric, reference in overall[part].items():
            values = np.stack([m[part][metric] for m in metrics], axis=-2 if part else -1)
            if part == 0:
                values, reference = values[..., None], reference[:, None]
            names = label_names if part else (metric,)
            gaps = gap_arrays(values, reference)
            for gap in GAPS:
                lows, highs = _percentiles(gaps[gap], level)
                for name, low, high in zip(names, lows.tolist(), highs.tolist()):
                    intervals[f"{gap}:{metric}:{name}"] = (low, high)
    return intervals


def _draw_seed(seed: Any) -> int:
    """An int seed for the counter-based draws (a Generator or None draws one)."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative int; got {seed!r}")
        return int(seed)
    if seed is None or isinstance(seed, np.random.Generator):
        return int(np.random.default_rng(seed).integers(0, 2**63 - 1))
    raise TypeError(f"seed must be an int, a numpy Generator or None; got {type(seed).__name__}")


def _binary_segment(
    batch: SlicedBatch, i: int
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], FloatArray | None]:
    """Truth, 0/1 predictions (at the slice's thresholds) and weights of slice ``i``'s rows."""
    truth, scores, weights = batch.segment(i)
    binary_truth, binary_pred, _ = binary_predictions(
        truth, scores, batch.slice_threshold(i), batch.from_logits, None
    )
    return binary_truth, binary_pred, weights


def replicates_of(
    batch: SlicedBatch, seed: int, n_resamples: int, draw_keys: IntArray | None = None
) -> list[SliceReplicates]:
    """Replicate counts of every slice of a slice-ordered batch, in key order.

    A row's draws are keyed by its position, or by ``draw_keys[position]`` (its cluster's
    key, so that a cluster's rows share their multiplicities).
    """
    parts = []
    for i in range(len(batch.index.keys)):
        truth, pred, weights = _binary_segment(batch, i)
        rows = batch.rows(i) if draw_keys is None else draw_keys[batch.rows(i)]
        parts.append(slice_replicates(truth, pred, weights, rows, seed, n_resamples))
    return parts


def slice_jackknives(
    batch: SlicedBatch, shown: list[int], cluster: Any
) -> tuple[Metrics, list[Metrics]]:
    """The leave-one-unit-out metrics of all rows and of each shown slice (one row, or the
    slice's rows of one cluster, left out in turn), from the counts, as
    [`bootstrap_report`][multilabel_attr.bootstrap_report]'s BCa takes them."""
    from ._jackknife import jackknife_metrics  # it builds on the bootstrap's Rows and Design

    ids = None if cluster is None else cluster_ids(cluster, batch.truth.shape[0])
    segments = [_binary_segment(batch, i) for i in range(len(batch.index.keys))]

    def jackknife(parts: list[int]) -> Metrics:
        truth = np.concatenate([segments[i][0] for i in parts])
        pred = np.concatenate([segments[i][1] for i in parts])
        weights = None
        if batch.weights is not None:
            weights = np.concatenate([batch.weights[batch.rows(i)] for i in parts])
        units = None if ids is None else np.concatenate([ids[batch.rows(i)] for i in parts])
        design = Design.of(weights, units, truth.shape[0])
        return jackknife_metrics(Rows.of(truth, pred), design, truth, None)

    return jackknife(list(range(len(segments)))), [jackknife([i]) for i in shown]


def sliced_bootstrap_report(
    y_true: Any, y_score: Any, groups: Any, options: Mapping[str, Any]
) -> SlicedReport:
    """The body of [`bootstrap_report`][multilabel_attr.bootstrap_report] with ``groups``
    (every option checked here, before any data is read)."""
    n_resamples, level = options["n_resamples"], options["confidence_level"]
    min_slice_size = options["min_slice_size"]
    seed = _draw_seed(options["seed"])
    batch, counts = sliced_batch(y_true, y_score, groups, {**options, "zero_division": 0})
    report = sliced_report(batch, counts, min_slice_size, 0, options["ranking"])
    draw_keys = None
    if options.get("cluster") is not None:
        ids = cluster_ids(options["cluster"], batch.truth.shape[0])
        draw_keys = cluster_keys(ids)
    parts = replicates_of(batch, seed, n_resamples, draw_keys)
    jackknives = None
    if options.get("method", "percentile") == "bca":
        shown, _ = shown_slices(counts, min_slice_size)
        jackknives = slice_jackknives(batch, shown, options.get("cluster"))
    return with_slice_intervals(report, dict(zip(batch.index.keys, parts)), level, jackknives)


def _metrics(part: SliceReplicates) -> Metrics:
    return replicate_metrics(part.counts, part.keys, part.key_weight, part.present)


def replicate_intervals(
    part: SliceReplicates, label_names: tuple[str, ...], level: float
) -> dict[str, tuple[float, float]]:
    """Percentile intervals of every summary and per-label metric of one set of replicate
    counts (undefined values count as 0, as in
    [`bootstrap_report`][multilabel_attr.bootstrap_report])."""
    return _intervals(*_metrics(part), label_names, level)


def with_slice_intervals(
    report: SlicedReport,
    parts: Mapping[Any, SliceReplicates],
    level: float,
    jackknives: tuple[Metrics, list[Metrics]] | None = None,
) -> SlicedReport:
    """``report`` with the intervals of every shown slice, of all rows and of every gap, from
    the replicate counts of every slice by key (whether drawn in memory or merged from the
    partitions of an engine).  ``jackknives`` (all rows', then each shown slice's
    leave-one-unit-out metrics) makes the slices' intervals BCa intervals; the gaps keep
    percentile intervals."""
    assert report.counts is not None
    counts = report.counts
    ordered = [parts[key] for key in counts.keys]
    shown, _ = shown_slices(counts, report.min_slice_size)
    overall = _metrics(combine_replicates(ordered))
    metrics = [_metrics(ordered[i]) for i in shown]
    names = report.overall.label_names
    whole, each = (None, [None] * len(shown)) if jackknives is None else jackknives
    bca = None if whole is None else (report.overall, whole)
    reports = {
        "overall": report.overall.with_intervals(_intervals(*overall, names, level, bca), level)
    }
    for i, slice_metrics, jackknife in zip(shown, metrics, each):
        name = counts.names[i]
        bca = None if jackknife is None else (report.reports[name], jackknife)
        intervals = _intervals(*slice_metrics, names, level, bca)
        reports[name] = report.reports[name].with_intervals(intervals, level)
    return SlicedReport(
        factors=report.factors, reports=reports, keys=report.keys, sizes=report.sizes,
        hidden=report.hidden, slice_labels=report.slice_labels,
        min_slice_size=report.min_slice_size,
        gap_intervals=_gap_intervals(metrics, overall, names, level), confidence_level=level,
        counts=report.counts,
    )  # fmt: skip
