"""Exact AUROC and average precision by a distributed sort, with the sketch as a guide.

AUROC and AP need every score in order, but not in one place.  The merged
[`ScoreSketch`][multilabel_attr.ScoreSketch] of the count pass knows, for every
label and bin, the weighted positives and negatives above and below the bin.
So a second pass sends each (label, score, truth, weight) cell to a bucket
keyed by its (label, bin) group (the engine's shuffle: a repartition in Spark
and Dask, spill files for local Parquet), each bucket sorts its own cells, and
every group adds up, exactly, its share of the pairs (AUROC: each positive
against the negatives below it, ties counting half) and of the precision sum
(AP: each distinct score's positives times the precision at that score), with
the sketch's counts of the cells outside the bin as offsets.  Only per-group
sums (three numbers per group) reach the driver.  The formulas are those of
the single-machine ``_binary_weighted`` in ``core.ranking._exact``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._internal import ScoreSketch, bin_index
from ._columns import ColumnSpec
from ._fingerprint import Fingerprint, cell_fingerprint
from ._tuning import _Pass

FloatArray = NDArray[np.float64]

CELL_SCHEMA = "bucket int, g long, s double, t boolean, w double"
"""The exploded cells, as a Spark DDL schema."""

CELLS_PER_BUCKET = 1 << 22
"""Target cells per bucket: what one reducer sorts at once."""


def bucket_count(n_cells: int) -> int:
    return max(1, -(-n_cells // CELLS_PER_BUCKET))


_MARK_DIGEST, _MARK_CELLS = -1, -2
"""Groups of the rows that carry a block's fingerprint through the shuffle: the high and low
32 bits of its digest, and its number of cells (as scores and weights, exact in float64)."""


@dataclass(frozen=True)
class ExplodePass(_Pass):
    """Every cell of a partition as an Arrow table: bucket, group ``g`` (label and bin),
    score ``s``, truth ``t`` and weight ``w``.

    The cells of a bin that holds a single score (``single``, known from the count pass's
    sketch) are summed into one positive and one negative cell per block: ranks only need
    their total weights, and a bucket's size then no longer grows with the rows of such bins
    (scores that take few values, such as 0/1 predictions or rounded scores).
    """

    n_bins: int = 1024
    from_logits: bool = False
    n_buckets: int = 1
    single: NDArray[np.bool_] | None = None

    def tables(self, batches: Iterable[Any], where: str) -> Iterable[Any]:
        import pyarrow as pa

        for block in self.blocks(batches, where):
            bins = bin_index(block.scores, self.n_bins, self.from_logits)
            n_rows, n_labels = bins.shape
            group = (bins + (np.arange(n_labels) * self.n_bins)[None, :]).ravel().astype(np.int64)
            weight = np.ones(n_rows) if block.weight is None else block.weight
            cells = (
                group, block.scores.astype(np.float64, copy=False).ravel(), block.truth.ravel(),
                np.repeat(weight, n_labels),
            )  # fmt: skip
            seen = cell_fingerprint(group // self.n_bins, *cells[1:])
            if self.single is not None:
                cells = _sum_single(self.single, *cells)
            group, score, truth, cell_weight = (
                np.concatenate([part, mark]) for part, mark in zip(cells, fingerprint_rows(seen))
            )  # fmt: skip
            yield pa.table({
                "bucket": (np.maximum(group, 0) % self.n_buckets).astype(np.int32),
                "g": group, "s": score, "t": truth, "w": cell_weight,
            })  # fmt: skip


def _sum_single(
    single: NDArray[np.bool_],
    group: NDArray[np.int64],
    score: FloatArray,
    truth: NDArray[np.bool_],
    weight: FloatArray,
) -> tuple[NDArray[np.int64], FloatArray, NDArray[np.bool_], FloatArray]:
    """The cells of single-score bins summed by (group, truth); other cells as they are."""
    lone = single[group]
    if not lone.any():
        return group, score, truth, weight
    keys, first, inverse = np.unique(
        group[lone] * 2 + truth[lone], return_index=True, return_inverse=True
    )
    summed = np.bincount(inverse.ravel(), weights=weight[lone])
    keep = ~lone
    return (
        np.concatenate([group[keep], keys // 2]),
        np.concatenate([score[keep], score[lone][first]]),
        np.concatenate([truth[keep], (keys % 2).astype(bool)]),
        np.concatenate([weight[keep], summed]),
    )


def fingerprint_rows(seen: Fingerprint) -> tuple[NDArray[Any], ...]:
    """The two rows (group, score, truth, weight) that carry ``seen`` (see ``_MARK_DIGEST``)."""
    return (
        np.array([_MARK_DIGEST, _MARK_CELLS], np.int64),
        np.array([float(seen.digest >> 32), float(seen.cells)]),
        np.zeros(2, bool),
        np.array([float(seen.digest & 0xFFFFFFFF), 0.0]),
    )


def read_fingerprint_rows(table: Any, marked: Any = None) -> tuple[Any, Fingerprint]:
    """The cells of ``table`` and the summed fingerprint of the blocks they came from.

    The fingerprint's rows are those of a negative group, or those ``marked`` (where a
    negative group is a value of the cells).
    """
    import pyarrow as pa

    group = np.asarray(table.column("g").to_numpy(), np.int64)
    marked = group < 0 if marked is None else marked
    if not marked.any():
        return table, Fingerprint()
    score = np.asarray(table.column("s").to_numpy(), np.float64)[marked]
    weight = np.asarray(table.column("w").to_numpy(), np.float64)[marked]
    kind = group[marked]
    digests = (score[kind == _MARK_DIGEST].astype(np.uint64) << np.uint64(32)) | weight[
        kind == _MARK_DIGEST
    ].astype(np.uint64)
    total = Fingerprint(
        int(score[kind == _MARK_CELLS].sum()), int(digests.sum(dtype=np.uint64))
    )
    return table.filter(pa.array(~marked)), total


@dataclass(frozen=True)
class Offsets:
    """Per (label, bin) group: positives at or above the bin's upper edge, negatives at or
    above it, and negatives below the bin's lower edge."""

    pos_above: FloatArray
    neg_above: FloatArray
    neg_below: FloatArray

    @classmethod
    def from_sketch(cls, sketch: ScoreSketch) -> Offsets:
        edges = sketch.counts_at_edges()
        neg_total = edges.fp[:, :1]
        return cls(
            edges.tp[:, 1:].ravel(), edges.fp[:, 1:].ravel(),
            (neg_total - edges.fp[:, :-1]).ravel(),
        )  # fmt: skip


def _segment_exclusive(values: FloatArray, starts: NDArray[np.bool_]) -> FloatArray:
    """Sum of the earlier values of the same segment (segments begin where ``starts``)."""
    total = np.cumsum(values) - values
    begin = np.maximum.accumulate(np.where(starts, np.arange(values.size), 0))
    result: FloatArray = total - total[begin]
    return result


def group_sums(table: Any, offsets: Offsets) -> tuple[NDArray[np.int64], FloatArray, FloatArray]:
    """Each group's share of the AUROC pair count and of the AP precision sum."""
    group = np.asarray(table.column("g").to_numpy(), np.int64)
    score = np.asarray(table.column("s").to_numpy(), np.float64)
    truth = np.asarray(table.column("t").to_numpy(zero_copy_only=False), bool)
    weight = np.asarray(table.column("w").to_numpy(), np.float64)
    order = np.lexsort((score, group))
    group, score, truth, weight = group[order], score[order], truth[order], weight[order]
    if group.size == 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    new_run = np.ones(group.size, bool)
    new_run[1:] = (group[1:] != group[:-1]) | (score[1:] != score[:-1])
    run = np.cumsum(new_run) - 1
    run_group = group[new_run]
    run_pos: FloatArray = np.bincount(run, weights=np.where(truth, weight, 0.0)).astype(float)
    run_neg: FloatArray = np.bincount(run, weights=np.where(truth, 0.0, weight)).astype(float)
    new_group = np.ones(run_group.size, bool)
    new_group[1:] = run_group[1:] != run_group[:-1]
    pos_before = _segment_exclusive(run_pos, new_group)
    neg_before = _segment_exclusive(run_neg, new_group)
    ids, first = np.unique(run_group, return_index=True)
    in_group = np.repeat(np.arange(ids.size), np.diff(np.append(first, run_group.size)))
    group_pos = np.bincount(in_group, weights=run_pos)
    group_neg = np.bincount(in_group, weights=run_neg)
    pos_at_or_above = offsets.pos_above[run_group] + group_pos[in_group] - pos_before
    neg_at_or_above = offsets.neg_above[run_group] + group_neg[in_group] - neg_before
    neg_below = offsets.neg_below[run_group] + neg_before
    pairs = run_pos * (neg_below + 0.5 * run_neg)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(
            run_pos > 0, run_pos * pos_at_or_above / (pos_at_or_above + neg_at_or_above), 0.0
        )
    pair_sums: FloatArray = np.bincount(in_group, weights=pairs).astype(np.float64)
    precision_sums: FloatArray = np.bincount(in_group, weights=precision).astype(np.float64)
    return ids.astype(np.int64), pair_sums, precision_sums


@dataclass(frozen=True)
class ReducePass:
    """Sorts one bucket and returns its groups' sums (serialised)."""

    offsets: Offsets

    def __call__(self, tables: Iterable[Any]) -> bytes:
        import pyarrow as pa

        parts = [t for t in tables if t.num_rows]
        buffer = io.BytesIO()
        if not parts:
            np.savez(buffer, group=np.zeros(0, np.int64), pairs=np.zeros(0), precision=np.zeros(0))
            return buffer.getvalue()
        table = pa.concat_tables([pa.table(t) if not isinstance(t, pa.Table) else t
                                  for t in parts])  # fmt: skip
        table, seen = read_fingerprint_rows(table)
        ids, pairs, precision = group_sums(table, self.offsets)
        np.savez(buffer, group=ids, pairs=pairs, precision=precision, **seen.arrays())
        return buffer.getvalue()


def finish(payloads: Iterable[bytes], sketch: ScoreSketch) -> tuple[FloatArray, FloatArray]:
    """Per-label exact AUROC and AP from the groups' sums (``nan`` where undefined)."""
    n_groups = sketch.n_labels * sketch.n_bins
    pairs, precision = np.zeros(n_groups), np.zeros(n_groups)
    for payload in payloads:
        with np.load(io.BytesIO(payload), allow_pickle=False) as data:
            np.add.at(pairs, data["group"], data["pairs"])
            np.add.at(precision, data["group"], data["precision"])
    pos = sketch.pos.sum(axis=1)
    neg = sketch.neg.sum(axis=1)
    shape = (sketch.n_labels, sketch.n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        ap = np.where(pos > 0, precision.reshape(shape).sum(axis=1) / pos, np.nan)
        auc = np.where((pos > 0) & (neg > 0), pairs.reshape(shape).sum(axis=1) / (pos * neg),
                       np.nan)  # fmt: skip
    return auc, ap


def explode_task(spec: ColumnSpec, sketch: ScoreSketch, n_labels: int | None) -> ExplodePass:
    single = (sketch.lo == sketch.hi).ravel()
    cells = sketch.n_samples * sketch.n_labels
    return ExplodePass(
        spec, n_labels, sketch.n_bins, sketch.from_logits, bucket_count(cells), single
    )
