"""Counting two row sets: per-label confusion counts and the per-sample triple histogram.

Two engines find the hits (predicted cells that are true):

* **gather**, when one side has the same small number ``k`` of cells in every
  row (top-k predictions, as CSR or [`TopK`][multilabel_attr.TopK]): each cell
  of the other side is compared with the ``k`` cells of its row, gathered by
  row.  Blocks of rows keep every temporary cache-sized, and the per-label
  counts come from one ``bincount`` per side in the same pass (a cell's label
  and whether it is a hit packed into one code), on a few threads.
* **merge**, otherwise: scipy's compiled merge of the sorted rows when
  scipy.sparse is loaded, else binary searches of the predicted cells among
  the sorted true cells.

Both give exact integer counts, equal to the dense pass's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from .._threads import map_threads, worker_count
from ._counting import _DENSE_KEY_LIMIT, BatchCounts, _histogram, encode_triples
from ._set_input import MAX_GATHER_WIDTH, RowSets, member, row_blocks, scipy_product

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_CHUNK_ROWS = 1 << 14
_T = TypeVar("_T")


def _in_threads(work: Callable[[list[Any]], _T], blocks: list[Any]) -> list[_T]:
    """``work`` on interleaved shares of ``blocks``, one share per thread."""
    workers = worker_count(len(blocks))
    return map_threads(work, [blocks[index::workers] for index in range(workers)])


def fixed_width(sizes: IntArray) -> int:
    """The row size when every row holds the same ``1..MAX_GATHER_WIDTH`` cells, else 0."""
    if sizes.shape[0] == 0:
        return 0
    width = int(sizes[0])
    if not 0 < width <= MAX_GATHER_WIDTH or int(sizes.min()) != width:
        return 0
    return width if int(sizes.max()) == width else 0


def _gather_hits(
    probe: RowSets, fixed: RowSets, width: int, start: int, stop: int
) -> tuple[NDArray[np.bool_], IntArray]:
    """Whether each cell of ``probe``'s rows ``start:stop`` is among the ``width`` cells of
    the same row of ``fixed``, and each cell's row (counted from ``start``)."""
    first, last = int(probe.indptr[start]), int(probe.indptr[stop])
    # Both sides in one integer type: comparing mixed types converts every element.
    label_type = np.int32 if probe.n_labels <= 2**31 else np.int64
    columns = probe.indices[first:last].astype(label_type, copy=False)
    # Rows as a running count of row starts: cheaper than np.repeat of the row numbers.
    row_starts = np.bincount(probe.indptr[start + 1 : stop] - first, minlength=last - first + 1)
    rows = np.cumsum(row_starts[: last - first])
    base = int(fixed.indptr[0])
    # Column by column, each contiguous: the gathers read one small array each.
    cells = fixed.indices[base + start * width : base + stop * width]
    neighbours = cells.reshape(-1, width).T.astype(label_type)
    hit = columns == neighbours[0].take(rows)
    for column in range(1, width):
        hit |= columns == neighbours[column].take(rows)
    return hit, rows


def _row_totals(hit: NDArray[np.bool_], indptr: NDArray[Any]) -> IntArray:
    """Hits per row, from the running count of hits read at the row boundaries."""
    running = np.empty(hit.shape[0] + 1, np.int32)
    running[0] = 0
    # Summing bytes into int32 skips the per-element bool conversion of a plain cumsum.
    np.add.accumulate(hit.view(np.int8), out=running[1:], dtype=np.int32)
    return np.diff(running[indptr - indptr[0]])


def gather_counts(
    probe: RowSets, fixed: RowSets, width: int, weights: FloatArray | None
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
    """Hits per row, and per label the (weighted) hits, the probe's misses and the fixed
    side's cells; ``fixed`` has ``width`` cells in every row."""
    n_rows, n_labels = probe.shape
    n_hit = np.empty(n_rows, np.int64)
    blocks = row_blocks(probe.indptr, width)

    # One code per probe cell, label * 2 + hit: one count gives the hits and the misses.
    code_type = np.int64 if n_labels >= 2**30 else probe.indices.dtype
    base = int(fixed.indptr[0])

    def work(share: list[tuple[int, int]]) -> tuple[NDArray[Any], NDArray[Any]]:
        sum_type = np.int64 if weights is None else np.float64
        probe_sums: NDArray[Any] = np.zeros(2 * n_labels, sum_type)
        fixed_sums: NDArray[Any] = np.zeros(n_labels, sum_type)
        for start, stop in share:
            hit, rows = _gather_hits(probe, fixed, width, start, stop)
            n_hit[start:stop] = _row_totals(hit, probe.indptr[start : stop + 1])
            first, last = int(probe.indptr[start]), int(probe.indptr[stop])
            codes = np.left_shift(probe.indices[first:last], 1, dtype=code_type)
            codes |= hit
            labels = fixed.indices[base + start * width : base + stop * width]
            # Adding in place: a bincount per block would clear and add n_labels counts.
            if weights is None:
                np.add.at(probe_sums, codes, 1)
                np.add.at(fixed_sums, labels, 1)
            else:
                row_weight = weights[start:stop]
                np.add.at(probe_sums, codes, row_weight.take(rows))
                np.add.at(fixed_sums, labels, np.repeat(row_weight, width))
        return probe_sums, fixed_sums

    results = _in_threads(work, blocks)
    probe_sums = np.sum([result[0] for result in results], axis=0).astype(np.float64)
    fixed_sums = np.sum([result[1] for result in results], axis=0).astype(np.float64)
    return n_hit, probe_sums[1::2], probe_sums[0::2], fixed_sums


def _merge_hits(truth: RowSets, pred: RowSets, start: int, stop: int) -> tuple[IntArray, IntArray]:
    """Rows (relative to ``start``) and columns of the predicted cells that are true."""
    p0, p1 = pred.indptr[start], pred.indptr[stop]
    rows = np.repeat(
        np.arange(stop - start, dtype=np.int64), np.diff(pred.indptr[start : stop + 1])
    )
    columns = pred.indices[p0:p1]
    hit = member(truth, start, stop, rows, columns)
    return rows[hit], columns[hit]


def merge_hits(
    truth: RowSets, pred: RowSets, weights: FloatArray | None
) -> tuple[IntArray, FloatArray]:
    """Hits per row and their weighted count per label, by merging the sorted rows.

    Row chunks keep the temporaries (cell ids, search positions) small and
    cache-resident; they are spread over a few threads (the binary searches
    release the GIL).
    """
    truth = truth.sorted()
    n_samples, n_labels = truth.shape
    product = scipy_product(truth, pred)
    if product is not None:
        n_hit = np.diff(product.indptr).astype(np.int64)
        hit_weights = None if weights is None else np.repeat(weights, n_hit)
        found = np.bincount(product.indices, hit_weights, minlength=n_labels).astype(np.float64)
        return n_hit, found
    n_hit = np.zeros(n_samples, np.int64)

    def work(share: list[int]) -> FloatArray:
        tp = np.zeros(n_labels)
        for start in share:
            stop = min(start + _CHUNK_ROWS, n_samples)
            rows, columns = _merge_hits(truth, pred, start, stop)
            n_hit[start:stop] = np.bincount(rows, minlength=stop - start)
            hit_weights = None if weights is None else weights[start:stop][rows]
            tp += np.bincount(columns, hit_weights, minlength=n_labels)
        return tp

    tp: FloatArray = np.sum(_in_threads(work, list(range(0, n_samples, _CHUNK_ROWS))), axis=0)
    return n_hit, tp


def row_hits(
    truth: RowSets, pred: RowSets, weights: FloatArray | None
) -> tuple[IntArray, FloatArray]:
    """Hits (true predicted labels) per row, and their weighted count per label."""
    width = fixed_width(pred.row_sizes())
    if width:
        n_hit, tp, _, _ = gather_counts(truth, pred, width, weights)
        return n_hit, tp
    width = fixed_width(truth.row_sizes())
    if width:
        n_hit, tp, _, _ = gather_counts(pred, truth, width, weights)
        return n_hit, tp
    return merge_hits(truth, pred, weights)


def _triple_histogram(
    n_hit: IntArray, n_pred: IntArray, n_true: IntArray, weights: FloatArray | None, n_labels: int
) -> tuple[IntArray, FloatArray, IntArray]:
    """The sorted histogram of per-sample triples ``(tp, fp, fn)``, keyed as
    ``encode_triples`` does, from the hits and sizes of each row.

    With many labels the keys are sparse in a huge range, but rows hold few
    labels: the rows are counted with a ``bincount`` of small keys
    ``(hits, predicted, true)`` over the range the row sizes span, then re-keyed
    as ``(hits, predicted - hits, true - hits)``.  Both keys order the rows the
    same way, so the result stays sorted.
    """
    span = int(max(n_pred.max(initial=0), n_true.max(initial=0))) + 1
    if span**3 > _DENSE_KEY_LIMIT:
        keys = encode_triples(n_hit, n_pred - n_hit, n_true - n_hit, n_labels)
        return _histogram(keys, weights, n_labels)
    local = n_hit * span
    local += n_pred
    local *= span
    local += n_true
    count = np.bincount(local, minlength=span**3)
    present = np.flatnonzero(count)
    weight = count[present] if weights is None else np.bincount(local, weights, span**3)[present]
    hit, predicted, true = present // (span * span), (present // span) % span, present % span
    keys = encode_triples(hit, predicted - hit, true - hit, n_labels)
    return keys, weight.astype(np.float64), count[present].astype(np.int64)


def _label_counts(
    truth: RowSets, pred: RowSets, weights: FloatArray | None, n_true: IntArray, n_pred: IntArray
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray]:
    """Hits per row, and per label the (weighted) ``tp, fp, fn``; ``n_true`` and ``n_pred``
    are the row sizes."""
    n_labels = truth.n_labels
    width = fixed_width(n_pred)
    if width:
        n_hit, tp, fn, pred_sum = gather_counts(truth, pred, width, weights)
        return n_hit, tp, pred_sum - tp, fn
    width = fixed_width(n_true)
    if width:
        n_hit, tp, fp, true_sum = gather_counts(pred, truth, width, weights)
        return n_hit, tp, fp, true_sum - tp
    n_hit, tp = merge_hits(truth, pred, weights)
    if weights is None:
        true_sum = np.bincount(truth.indices, minlength=n_labels).astype(np.float64)
        pred_sum = np.bincount(pred.indices, minlength=n_labels).astype(np.float64)
    else:
        true_weight = np.repeat(weights, n_true)
        pred_weight = np.repeat(weights, n_pred)
        true_sum = np.bincount(truth.indices, true_weight, n_labels).astype(np.float64)
        pred_sum = np.bincount(pred.indices, pred_weight, n_labels).astype(np.float64)
    return n_hit, tp, pred_sum - tp, true_sum - tp


def count_sets(truth: RowSets, pred: RowSets, weights: FloatArray | None) -> BatchCounts:
    """Per-label confusion counts and the per-sample triple histogram of two row sets."""
    n_samples, n_labels = truth.shape
    n_true, n_pred = truth.row_sizes(), pred.row_sizes()
    n_hit, tp, fp, fn = _label_counts(truth, pred, weights, n_true, n_pred)
    total = float(n_samples) if weights is None else math.fsum(weights.tolist())
    tn = total - tp - fp - fn
    key_set, key_weight, key_count = _triple_histogram(n_hit, n_pred, n_true, weights, n_labels)
    return BatchCounts(tp, fp, fn, tn, key_set, key_weight, key_count, n_samples)
