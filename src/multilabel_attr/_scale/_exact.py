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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._internal import ScoreSketch, bin_index
from ._columns import Block, ColumnSpec
from ._fingerprint import Fingerprint, cell_fingerprint
from ._tuning import _Pass

FloatArray = NDArray[np.float64]

CELL_SCHEMA = "bucket int, g long, s double, t boolean, w double"
"""The exploded cells, as a Spark DDL schema."""

CELLS_PER_BUCKET = 1 << 22
"""Target cells per bucket: what one reducer sorts at once."""


FINE_CUTS = 1024
"""Equal-width cuts of a crowded group's score range (see ``_crowded``)."""


def bucket_count(n_cells: int) -> int:
    return max(1, -(-n_cells // CELLS_PER_BUCKET))


Cells = tuple[NDArray[np.int64], FloatArray, NDArray[np.bool_], FloatArray]
"""Cells as flat arrays: group, score, truth and weight."""


def block_cells(block: Block, n_bins: int, from_logits: bool) -> Cells:
    """A block's cells, label-major within each row: the sketch group (label and bin), the
    score, the truth and the weight."""
    bins = bin_index(block.scores, n_bins, from_logits)
    n_rows, n_labels = bins.shape
    group = (bins + (np.arange(n_labels) * n_bins)[None, :]).ravel().astype(np.int64)
    weight = np.ones(n_rows) if block.weight is None else block.weight
    return (
        group, block.scores.astype(np.float64, copy=False).ravel(), block.truth.ravel(),
        np.repeat(weight, n_labels),
    )  # fmt: skip


def cells_fingerprint(
    group: NDArray[np.int64], score: FloatArray, truth: NDArray[Any], weight: FloatArray,
    n_bins: int,
) -> Fingerprint:  # fmt: skip
    """The fingerprint of cells of sketch groups (their label is the group's)."""
    return cell_fingerprint(group // n_bins, score, truth, weight)


def cut_of(score: FloatArray, lo: FloatArray, hi: FloatArray) -> NDArray[np.int64]:
    """The cut of each score within its group's range ``[lo, hi]`` (``lo < hi``, finite):
    rounding keeps it monotone in the score, so a cut never reorders scores."""
    position = np.floor((score - lo) / (hi - lo) * FINE_CUTS)
    return np.clip(position, 0, FINE_CUTS - 1).astype(np.int64)


_MARK_DIGEST, _MARK_CELLS = -1, -2
"""Groups of the rows that carry a block's fingerprint through the shuffle: the high and low
32 bits of its digest, and its number of cells (as scores and weights, exact in float64)."""


@dataclass(frozen=True)
class ExplodePass(_Pass):
    """Every cell of a partition as an Arrow table: bucket, group ``g`` (label and bin),
    score ``s``, truth ``t`` and weight ``w``.

    The cells of a group that holds a single score (known from the count pass's sketch, or
    from a cut pass) are summed into one positive and one negative cell per block: ranks only
    need their total weights, and a bucket's size then no longer grows with the rows of such
    groups (scores that take few values, such as 0/1 predictions or rounded scores).  Groups
    of many scores crowded into one bin are cut finer by the ``layout`` (see ``_crowded``).
    """

    n_bins: int = 1024
    from_logits: bool = False
    n_buckets: int = 1
    layout: Layout | None = None

    def tables(self, batches: Iterable[Any], where: str) -> Iterable[Any]:
        import pyarrow as pa

        for block in self.blocks(batches, where):
            group, score, truth, weight = block_cells(block, self.n_bins, self.from_logits)
            seen = cells_fingerprint(group, score, truth, weight, self.n_bins)
            cells = (group, score, truth, weight)
            if self.layout is not None:
                group = self.layout.assign(group, score)
                cells = _sum_single(self.layout.single, group, score, truth, weight)
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


def _exclusive(values: FloatArray, reverse: bool = False) -> FloatArray:
    """Per row, the sum of the earlier values (the later ones with ``reverse``)."""
    ordered = values[:, ::-1] if reverse else values
    before = np.zeros_like(ordered)
    before[:, 1:] = np.cumsum(ordered, axis=1)[:, :-1]
    result: FloatArray = before[:, ::-1] if reverse else before
    return result


def _no_ids() -> NDArray[np.int64]:
    return np.zeros(0, np.int64)


@dataclass(frozen=True)
class Layout:
    """The groups the exact shuffle sorts cells in: the sketch's (label, bin) groups, then
    the cuts of crowded groups, each cut a group with ids of its own.

    Per group: its label, whether it holds one score, its offsets, and its smallest and
    largest score.  ``parents`` are the groups that were cut, in order, and ``first_child``
    the id of each one's first cut.
    """

    label: NDArray[np.int64]
    single: NDArray[np.bool_]
    offsets: Offsets
    lo: FloatArray
    hi: FloatArray
    parents: NDArray[np.int64] = field(default_factory=_no_ids)
    first_child: NDArray[np.int64] = field(default_factory=_no_ids)

    @classmethod
    def from_sketch(cls, sketch: ScoreSketch) -> Layout:
        labels = np.repeat(np.arange(sketch.n_labels, dtype=np.int64), sketch.n_bins)
        lo, hi = sketch.lo.ravel().astype(np.float64), sketch.hi.ravel().astype(np.float64)
        return cls(labels, lo == hi, Offsets.from_sketch(sketch), lo, hi)

    @property
    def n_groups(self) -> int:
        return int(self.label.size)

    def assign(self, group: NDArray[np.int64], score: FloatArray) -> NDArray[np.int64]:
        """The final group of each cell of sketch group ``group``."""
        if self.parents.size == 0:
            return group
        cut_index = np.full(self.n_groups, -1, np.int64)
        cut_index[self.parents] = np.arange(self.parents.size)
        group = group.copy()
        while True:  # a cut's id is above its parent's, so this ends
            index = cut_index[group]
            inside = index >= 0
            if not inside.any():
                return group
            parent = self.parents[index[inside]]
            cut = cut_of(score[inside], self.lo[parent], self.hi[parent])
            group[inside] = self.first_child[index[inside]] + cut

    def cut(
        self, targets: NDArray[np.int64], cells: NDArray[np.int64], pos: FloatArray,
        neg: FloatArray, lo: FloatArray, hi: FloatArray,
    ) -> Layout:  # fmt: skip
        """The layout with each group of ``targets`` cut in ``FINE_CUTS`` groups, of the
        sums of a cut pass (one row of ``FINE_CUTS`` per target, in score order)."""
        shape = (targets.size, FINE_CUTS)
        pos, neg = pos.reshape(shape), neg.reshape(shape)
        above = self.offsets
        offsets = Offsets(
            np.append(above.pos_above, (above.pos_above[targets][:, None]
                                        + _exclusive(pos, reverse=True)).ravel()),
            np.append(above.neg_above, (above.neg_above[targets][:, None]
                                        + _exclusive(neg, reverse=True)).ravel()),
            np.append(above.neg_below, (above.neg_below[targets][:, None]
                                        + _exclusive(neg)).ravel()),
        )  # fmt: skip
        first = self.n_groups + np.arange(targets.size, dtype=np.int64) * FINE_CUTS
        return Layout(
            np.append(self.label, np.repeat(self.label[targets], FINE_CUTS)),
            np.append(self.single, (cells > 0) & (lo == hi)), offsets,
            np.append(self.lo, lo), np.append(self.hi, hi),
            np.append(self.parents, targets), np.append(self.first_child, first),
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


def finish(
    payloads: Iterable[bytes], sketch: ScoreSketch, layout: Layout
) -> tuple[FloatArray, FloatArray]:
    """Per-label exact AUROC and AP from the groups' sums (``nan`` where undefined)."""
    pairs, precision = np.zeros(layout.n_groups), np.zeros(layout.n_groups)
    for payload in payloads:
        with np.load(io.BytesIO(payload), allow_pickle=False) as data:
            np.add.at(pairs, data["group"], data["pairs"])
            np.add.at(precision, data["group"], data["precision"])
    pos = sketch.pos.sum(axis=1)
    neg = sketch.neg.sum(axis=1)
    shape = (sketch.n_labels, sketch.n_bins)
    base = sketch.n_labels * sketch.n_bins
    cuts = layout.label[base:]
    pair_sum = pairs[:base].reshape(shape).sum(axis=1)
    precision_sum = precision[:base].reshape(shape).sum(axis=1)
    if cuts.size:
        pair_sum = pair_sum + np.bincount(cuts, pairs[base:], sketch.n_labels)
        precision_sum = precision_sum + np.bincount(cuts, precision[base:], sketch.n_labels)
    with np.errstate(invalid="ignore", divide="ignore"):
        ap = np.where(pos > 0, precision_sum / pos, np.nan)
        auc = np.where((pos > 0) & (neg > 0), pair_sum / (pos * neg), np.nan)
    return auc, ap


def explode_task(
    spec: ColumnSpec, sketch: ScoreSketch, n_labels: int | None, layout: Layout
) -> ExplodePass:
    cells = sketch.n_samples * sketch.n_labels
    return ExplodePass(
        spec, n_labels, sketch.n_bins, sketch.from_logits, bucket_count(cells), layout
    )
