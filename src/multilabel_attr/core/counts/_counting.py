"""The one place that reads labels and predictions and turns them into counts.

Two sufficient statistics come out of a single pass over the rows:

* per-label confusion counts ``tp, fp, fn, tn`` (weighted sums), which every
  ``micro``, ``macro``, ``weighted`` and per-label metric needs;
* a histogram of per-sample confusion triples ``(tp_i, fp_i, fn_i)`` (each an
  integer in ``0..n_labels``), with the summed sample weight and the number of
  samples for each triple.  Every ``samples`` average is a function of one
  sample's triple, so this histogram makes sample-averaged metrics exact,
  mergeable and independent of the number of samples in memory: at most
  ``(n_labels + 1) ** 3`` distinct triples exist, and far fewer occur.

Rows are processed in blocks so that temporaries stay small and cache-resident,
on a few threads (numpy releases the GIL inside its loops).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._threads import map_threads, worker_count
from .._validation import (
    Batch,
    binary_mask,
    check_batch,
    check_finite_scores,
    check_probabilities,
    check_score_values,
    threshold_cut,
)
from ._layout import Layout, slice_column_counts, slice_products

_BLOCK_CELLS = 1 << 20
_LANE_ROWS = 255
_DENSE_KEY_LIMIT = 1 << 22

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class BatchCounts:
    """Counts from one batch of rows (see the module docstring)."""

    tp: FloatArray
    fp: FloatArray
    fn: FloatArray
    tn: FloatArray
    keys: IntArray
    key_weight: FloatArray
    key_count: IntArray
    n_samples: int


def encode_triples(tp: Any, fp: Any, fn: Any, n_labels: int) -> IntArray:
    """Pack per-sample ``(tp, fp, fn)`` into one integer key."""
    base = n_labels + 1
    return (np.asarray(tp, np.int64) * base + np.asarray(fp, np.int64)) * base + np.asarray(
        fn, np.int64
    )


def decode_triples(keys: IntArray, n_labels: int) -> tuple[IntArray, IntArray, IntArray]:
    """Unpack keys made by `encode_triples` into ``(tp, fp, fn)``."""
    base = n_labels + 1
    fn = keys % base
    fp = (keys // base) % base
    tp = keys // (base * base)
    return tp, fp, fn


def _unique_keys(keys: IntArray, cube: int) -> tuple[IntArray, IntArray]:
    """``np.unique(keys, return_inverse=True)``; by `_unique_pairs` when ``cube`` (the keys of
    one slice, past the first: 0 for keys of one slice) is small enough to number triples."""
    found = _unique_pairs(keys, cube) if 0 < cube <= _DENSE_KEY_LIMIT and keys.size else None
    if found is not None:
        return found
    unique, inverse = np.unique(keys, return_inverse=True)
    return unique, inverse.reshape(-1)


def _unique_runs(keys: IntArray) -> tuple[IntArray, IntArray]:
    """``np.unique(keys, return_inverse=True)`` of keys that are a few sorted runs (the
    histograms being merged): a stable sort merges the runs in one pass instead of sorting."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    first = np.empty(ordered.size, np.bool_)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    inverse = np.empty(keys.size, np.intp)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def merge_histograms(
    keys: tuple[IntArray, ...], weights: tuple[FloatArray, ...], counts: tuple[IntArray, ...]
) -> tuple[IntArray, FloatArray, IntArray]:
    """Sum several sparse histograms into one with sorted unique keys."""
    all_keys = np.concatenate(keys)
    if all_keys.size and 0 <= all_keys.min() and all_keys.max() < _DENSE_KEY_LIMIT:
        # Keys of a few labels: one count over their range instead of a sort (the sums run
        # in the same order, so they are the same).
        size = int(all_keys.max()) + 1
        present = np.flatnonzero(np.bincount(all_keys, minlength=size))
        inverse = np.searchsorted(present, all_keys)
        unique = present
    else:
        unique, inverse = _unique_runs(all_keys)
    merged_weight: FloatArray = np.bincount(
        inverse, weights=np.concatenate(weights), minlength=unique.size
    ).astype(np.float64, copy=False)
    merged_count: FloatArray = np.bincount(
        inverse, weights=np.concatenate(counts), minlength=unique.size
    ).astype(np.float64, copy=False)
    return (
        unique.astype(np.int64, copy=False),
        merged_weight,
        np.rint(merged_count).astype(np.int64),
    )


Histogram = tuple[IntArray, FloatArray, IntArray]
"""Sorted distinct keys, their summed weights and their numbers of samples."""


def _histogram(
    keys: IntArray, weights: FloatArray | None, n_labels: int, n_slices: int = 1
) -> Histogram:
    if n_slices * (n_labels + 1) ** 3 <= _DENSE_KEY_LIMIT:
        size = n_slices * (n_labels + 1) ** 3
        count = np.bincount(keys, minlength=size)
        present = np.flatnonzero(count)
        weight: FloatArray = (
            count[present] if weights is None else np.bincount(keys, weights, size)[present]
        ).astype(np.float64, copy=False)
        return present.astype(np.int64), weight, count[present].astype(np.int64)
    unique, inverse = _unique_keys(keys, (n_labels + 1) ** 3 if n_slices > 1 else 0)
    unique_count: IntArray = np.bincount(inverse, minlength=unique.size).astype(np.int64)
    unique_weight: FloatArray = (
        unique_count if weights is None else np.bincount(inverse, weights, unique.size)
    ).astype(np.float64, copy=False)
    return unique.astype(np.int64), unique_weight, unique_count


def _unique_pairs(keys: IntArray, cube: int) -> tuple[IntArray, IntArray] | None:
    """``np.unique(keys, return_inverse=True)`` of keys ``slice * cube + triple`` without a
    sort: the triples present are numbered first (few of the ``cube`` possible ones occur),
    then each (slice, triple) pair over a dense range; None when even that range is too
    large.  Many slices make far more distinct keys than a dense count of every key allows."""
    slices, triples = np.divmod(keys, cube)
    seen = np.bincount(triples, minlength=cube) > 0
    present = np.flatnonzero(seen)
    size = (int(slices.max()) + 1) * present.size
    if size > _DENSE_KEY_LIMIT:
        return None
    pairs = slices * present.size + (np.cumsum(seen) - 1)[triples]
    occupied = np.bincount(pairs, minlength=size) > 0
    slice_of, triple_of = np.divmod(np.flatnonzero(occupied), present.size)
    return slice_of * cube + present[triple_of], (np.cumsum(occupied) - 1)[pairs]


class _KeyBuffer:
    """The per-sample keys of one worker's blocks of rows (``task`` holds their first rows),
    with their weights, stored one block after another."""

    def __init__(
        self, task: range, block_rows: int, n_samples: int, weights: FloatArray | None
    ) -> None:
        size = sum(min(block_rows, n_samples - start) for start in task)
        self.keys = np.empty(size, np.int64)
        self.all_weights = weights
        self.weights = None if weights is None else np.empty(size, np.float64)
        self.filled = 0

    def take(self, start: int, stop: int) -> NDArray[np.uint64]:
        """Where the keys of the rows ``start:stop`` go (computed there, not copied); their
        weights are stored."""
        begin, self.filled = self.filled, self.filled + stop - start
        if self.weights is not None and self.all_weights is not None:
            self.weights[begin : self.filled] = self.all_weights[start:stop]
        return self.keys[begin : self.filled].view(np.uint64)

    def histogram(self, n_labels: int, n_slices: int) -> Histogram:
        """The sparse histogram of the keys stored (see `_histogram`)."""
        return _histogram(self.keys, self.weights, n_labels, n_slices)


def _float32_ceiling(cut: FloatArray) -> NDArray[np.float32]:
    """The smallest float32 at or above each cut.

    For float32 scores ``s >= t`` holds exactly when ``s >= ceil32(t)``, so the
    comparison stays in float32 (no per-element upcast) yet means the same as
    comparing against the float64 threshold.
    """
    rounded = cut.astype(np.float32)
    below = rounded.astype(np.float64) < cut
    return np.where(below, np.nextafter(rounded, np.float32(np.inf)), rounded)


def score_cut(thresholds: FloatArray, from_logits: bool, dtype: Any) -> NDArray[Any]:
    """The cut that scores of ``dtype`` are compared with (``score >= cut``).

    float32 scores are compared with the float32 ceiling of the cut (the same
    predictions as comparing with the float64 cut, without upcasting); other
    dtypes with the float64 cut.
    """
    cut = threshold_cut(thresholds, from_logits)
    if np.dtype(dtype) == np.float32:
        return _float32_ceiling(cut)
    return cut.astype(np.float64, copy=False)


def batch_predictions(batch: Batch) -> NDArray[np.bool_]:
    """The 0/1 predictions of a validated batch as booleans (values checked here)."""
    if batch.thresholds is None:
        return binary_mask(batch.pred, "y_pred")
    check_score_values(batch.pred, "y_score", from_logits=batch.from_logits)
    cut = score_cut(batch.thresholds, batch.from_logits, batch.pred.dtype)
    predicted: NDArray[np.bool_] = batch.pred >= cut
    return predicted


def binary_predictions(
    y_true: Any, y_score: Any, threshold: Any, from_logits: bool, sample_weight: Any
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], FloatArray | None]:
    """Validated truth, 0/1 predictions and weights of one batch, as whole arrays.

    The same checks and the same ``score >= threshold`` rule as
    [`count_batch`][multilabel_attr.core.counts._counting.count_batch], for code that
    needs the rows themselves (the bootstrap resamples them).
    """
    batch = check_batch(
        y_true, y_score, threshold=threshold, from_logits=from_logits, sample_weight=sample_weight
    )
    return binary_mask(batch.truth, "y_true"), batch_predictions(batch), batch.weights


def sample_triples(
    truth: NDArray[np.bool_], pred: NDArray[np.bool_]
) -> tuple[IntArray, IntArray, IntArray]:
    """Each sample's own ``(tp, fp, fn)`` counts over its labels (unweighted)."""
    n_hit = np.count_nonzero(truth & pred, axis=1).astype(np.int64)
    n_pred = np.count_nonzero(pred, axis=1).astype(np.int64)
    n_true = np.count_nonzero(truth, axis=1).astype(np.int64)
    return n_hit, n_pred - n_hit, n_true - n_hit


def sample_keys(truth: NDArray[np.bool_], pred: NDArray[np.bool_]) -> IntArray:
    """Each sample's ``(tp, fp, fn)`` triple as a key (see `encode_triples`)."""
    return encode_triples(*sample_triples(truth, pred), truth.shape[1])


def _mask_into(block: NDArray[Any], out: NDArray[np.bool_], name: str) -> None:
    """Write a 0/1 block into the bool buffer ``out``, raising on any other value.

    Integer and bool inputs are checked with one min/max reduction; floats need
    an exact comparison with 0 and 1.
    """
    dtype = block.dtype
    if dtype == np.bool_:
        np.copyto(out, block)
        return
    if np.issubdtype(dtype, np.integer):
        if block.max() > 1 or (np.issubdtype(dtype, np.signedinteger) and block.min() < 0):
            binary_mask(block, name)  # raises, naming the values found
        if dtype == np.uint8:
            np.copyto(out, block.view(np.bool_))
        else:
            np.not_equal(block, 0, out=out)
        return
    np.copyto(out, binary_mask(block, name))


def _row_counts(buffer: NDArray[np.bool_], out: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """Number of True cells in each row of a bool buffer whose width is a multiple of 8,
    written into ``out`` (one uint64 per row).

    Rows are viewed as uint64 words of eight 0/1 bytes.  The words of a row are
    added lane-wise (each byte lane stays below 256 for up to 2040 labels) and
    the bytes of the sum are then added horizontally with a multiply.  Every step writes
    into ``out``: block-sized temporaries would be allocated and freed on every block.
    """
    words = buffer.view(np.uint64)
    n_words = words.shape[1]
    if n_words > 255:
        np.copyto(out, np.count_nonzero(buffer, axis=1), casting="unsafe")
        return out
    if n_words <= 8:
        np.copyto(out, words[:, 0])
        for column in range(1, n_words):
            np.add(out, words[:, column], out=out)
    else:
        np.add.reduce(words, axis=1, out=out)
    if n_words * 8 <= 255:
        np.multiply(out, np.uint64(0x0101010101010101), out=out)
        np.right_shift(out, np.uint64(56), out=out)
        return out
    # Up to 2040 labels: fold bytes into 16-bit lanes first so the total fits.
    even = np.uint64(0x00FF00FF00FF00FF)
    high = np.right_shift(out, np.uint64(8))
    np.bitwise_and(high, even, out=high)
    np.bitwise_and(out, even, out=out)
    np.add(out, high, out=out)
    np.multiply(out, np.uint64(0x0001000100010001), out=out)
    np.right_shift(out, np.uint64(48), out=out)
    return out


def _column_counts(planes: NDArray[np.bool_]) -> IntArray:
    """Number of True cells in each column of each plane of ``planes`` (shape (planes, rows,
    width), rows a multiple of 255, C-contiguous planes): shape (planes, width).

    Groups of 255 rows are added as uint64 words, eight byte lanes at a time (a
    byte holds at most 255 ones), then the bytes are widened and summed; one reduction
    covers every plane.
    """
    n_planes, rows, width = planes.shape
    words = planes.view(np.uint64).reshape(n_planes, _LANE_ROWS, -1)
    partial = np.add.reduce(words, axis=1).view(np.uint8)
    counts: IntArray = partial.reshape(n_planes, rows // _LANE_ROWS, width).sum(
        axis=1, dtype=np.int64
    )
    return counts


def count_batch(
    y_true: NDArray[Any],
    y_pred: NDArray[Any],
    *,
    threshold: FloatArray | None,
    from_logits: bool,
    sample_weight: FloatArray | None,
) -> BatchCounts:
    """Count one validated batch.

    ``y_true`` and ``y_pred`` are 2-D arrays of equal shape (checked by the
    caller).  With ``threshold=None`` ``y_pred`` must be 0/1; otherwise it holds
    scores and a prediction is positive when ``score >= threshold`` (thresholds
    on the probability scale; with ``from_logits`` the comparison is made in
    logit space, which is equivalent and avoids computing a sigmoid).  Value
    checks run block by block inside the same pass that counts.

    Blocks of rows are written into reusable bool buffers padded to a multiple
    of 8 columns and of 255 rows, counted with the word-wise popcounts above,
    and spread over a few threads; every count is an exact integer (weighted
    counts are sums of the weights).
    """
    (counts,) = count_slices(
        y_true, y_pred, None, 1, threshold=threshold, from_logits=from_logits,
        sample_weight=sample_weight,
    )  # fmt: skip
    return counts


def _check_block_scores(scores: NDArray[Any], y_pred: NDArray[Any], from_logits: bool) -> None:
    """One min/max per block; the full checks run (and raise, counting the whole input
    ``y_pred``) only when it fails."""
    if not np.issubdtype(scores.dtype, np.floating) and from_logits:
        return
    low, high = scores.min(), scores.max()
    if not (np.isfinite(low) and np.isfinite(high)):
        check_finite_scores(y_pred, "y_score")
    if not from_logits and (low < 0 or high > 1):
        check_probabilities(y_pred, "y_score")


def _block_keys(
    truth: NDArray[np.bool_],
    pred: NDArray[np.bool_],
    hit: NDArray[np.bool_],
    base: int,
    key: NDArray[np.uint64],
    scratch: NDArray[np.uint64],
) -> NDArray[np.uint64]:
    """Each row's ``(tp, fp, fn)`` key (see `encode_triples`) from its planes' row counts,
    written into ``key`` (``scratch``: one uint64 per row, at least); returns ``key``."""
    part = scratch[: truth.shape[0]]
    # key = tp * base^2 + fp * base + fn, with fp = n_pred - tp, fn = n_true - tp.
    np.multiply(_row_counts(hit, key), np.uint64(base * base - base - 1), out=key)
    np.multiply(_row_counts(pred, part), np.uint64(base), out=part)
    np.add(key, part, out=key)
    np.add(key, _row_counts(truth, part), out=key)
    return key


def _largest(codes: IntArray, n_slices: int) -> int:
    """The slice holding the most of ``codes``' rows."""
    return int(np.argmax(np.bincount(codes, minlength=n_slices)))


def _slice_offsets(
    codes: NDArray[Any], cube: np.uint64, out: NDArray[np.uint64]
) -> NDArray[np.uint64]:
    """Each row's first key of its slice, ``codes * cube``, written into ``out``."""
    return np.multiply(codes, cube, out=out, dtype=np.uint64, casting="unsafe")


def _blocks(n_samples: int, n_labels: int, n_slices: int) -> tuple[int, int, int]:
    """``(width, block_rows, lane_rows)``: the labels padded to whole words, the rows of a
    block (a multiple of 255) and the rows of a group of one slice."""
    width = -(-n_labels // 8) * 8
    block_rows = _LANE_ROWS * max(1, _BLOCK_CELLS // (width * _LANE_ROWS))
    block_rows = min(block_rows, -(-n_samples // _LANE_ROWS) * _LANE_ROWS)
    # Smaller groups when there are many slices keep the padding of each one's last group
    # (at most a block's rows in all, or one row per slice) small.
    return width, block_rows, min(_LANE_ROWS, max(1, block_rows // n_slices))


def count_slices(
    y_true: NDArray[Any],
    y_pred: NDArray[Any],
    codes: IntArray | None,
    n_slices: int,
    *,
    threshold: FloatArray | None,
    from_logits: bool,
    sample_weight: FloatArray | None,
    ignore: Sequence[int] = (),
) -> list[BatchCounts]:
    """Count one validated batch per slice, in one pass: row ``i`` belongs to slice
    ``codes[i]`` (``codes=None``: one slice).

    The pass of [`count_batch`][multilabel_attr.core.counts._counting.count_batch]; in each
    block the 0/1 rows are copied into groups of rows of one slice (the input itself is
    never copied), and one word-wise sum counts every slice's columns.  Without weights
    the rows of one slice (the largest of the first block) are not copied: its column
    counts are the whole block's less the other slices'.  A slice's counts are those of
    counting its rows alone (bit for bit without weights); every slice must hold at least
    one row.  The columns in ``ignore`` are left out (as if removed from the
    input, without copying it).
    ``threshold`` of shape ``(n_slices, n_labels)`` gives each slice its own thresholds.
    """
    n_samples, n_labels = y_true.shape
    cut = None if threshold is None else score_cut(threshold, from_logits, y_pred.dtype)
    sliced = codes is not None and n_slices > 1
    if cut is not None and cut.ndim == 2 and not sliced:
        cut = cut[0]
    row_cuts = cut is not None and cut.ndim == 2

    width, block_rows, lane_rows = _blocks(n_samples, n_labels, n_slices if sliced else 1)
    starts = list(range(0, n_samples, block_rows))
    # Keys count the labels kept (ignored columns are cleared before rows are counted), and
    # carry each row's slice: slice s owns the keys s * cube .. (s + 1) * cube - 1.
    base = n_labels - len(set(ignore)) + 1
    cube = np.uint64(base**3)
    # Unweighted counts are integers: one slice (the largest of the first block) is the
    # whole block's column counts less the other slices', so its rows are never gathered.
    unweighted = sliced and sample_weight is None
    derived = _largest(codes[:block_rows], n_slices) if unweighted else None  # type: ignore[index]

    def work(task: range) -> tuple[tuple[FloatArray, ...], Histogram]:
        # Each worker histograms its own rows' keys: the histograms are summed at the end.
        keys = _KeyBuffer(task, block_rows, n_samples, sample_weight)
        # Truth, predictions and hits as planes of one buffer, and a last row of zeros that
        # pads the slices' groups of rows.
        cells = np.zeros((3, block_rows + 1, width), np.bool_)
        truth, pred, hit = (plane[:block_rows] for plane in cells)
        # Scratch reused by every block: allocating block-sized temporaries costs more.
        grouped_rows = block_rows + n_slices * lane_rows if sliced else 0
        grouped = np.empty(3 * grouped_rows * width, np.bool_)
        positions = np.empty(2 * grouped_rows, np.intp)
        scratch = np.empty(block_rows, np.uint64)
        tp, fp, fn, tn = (np.zeros((n_slices, width), np.float64) for _ in range(4))
        sums = np.zeros((3, n_slices, width), np.int64)
        whole = np.zeros((3, width), np.int64)
        for start in task:
            stop = min(start + block_rows, n_samples)
            rows = stop - start
            if rows < block_rows:
                # Last, partial block: clear the rows left over from the previous one.
                truth[rows:] = False
                pred[rows:] = False
            _mask_into(y_true[start:stop], truth[:rows, :n_labels], "y_true")
            if cut is None:
                _mask_into(y_pred[start:stop], pred[:rows, :n_labels], "y_pred")
            else:
                scores = y_pred[start:stop]
                _check_block_scores(scores, y_pred, from_logits)
                row_cut = cut[codes[start:stop]] if row_cuts else cut  # type: ignore[index]
                np.greater_equal(scores, row_cut, out=pred[:rows, :n_labels])
            if ignore:
                truth[:rows, ignore] = False
                pred[:rows, ignore] = False
            np.bitwise_and(truth, pred, out=hit)
            slot = keys.take(start, stop)
            key = _block_keys(truth[:rows], pred[:rows], hit[:rows], base, slot, scratch)
            if sliced:
                key += _slice_offsets(codes[start:stop], cube, scratch[:rows])  # type: ignore[index]
            layout = Layout.of(codes[start:stop], n_slices, derived) if sliced else None  # type: ignore[index]
            if sample_weight is None:
                whole += _column_counts(cells[:, :block_rows])
                if layout is not None:
                    slice_column_counts(cells, layout, lane_rows, (grouped, positions), sums)
            else:
                t, p, h = truth[:rows], pred[:rows], hit[:rows]
                w = sample_weight[start:stop]
                parts = (h, p & ~t, t & ~p, ~(t | p))
                if layout is None:
                    for out, part in zip((tp, fp, fn, tn), parts):
                        out[0] += w @ part
                else:
                    order = layout.order
                    sorted_parts = tuple(part[order] for part in parts)
                    slice_products(sorted_parts, w[order], layout, (tp, fp, fn, tn))
        if sample_weight is None:
            sums[:, 0 if derived is None else derived] += whole - sums.sum(axis=1)
            true_sum, pred_sum, tp_sum = sums
            tp = tp_sum.astype(np.float64)
            fp = (pred_sum - tp_sum).astype(np.float64)
            fn = (true_sum - tp_sum).astype(np.float64)
        return (tp, fp, fn, tn), keys.histogram(base - 1, n_slices)

    workers = worker_count(len(starts))
    tasks = [range(start, n_samples, block_rows * workers) for start in starts[:workers]]
    outcomes = map_threads(work, tasks)
    results = [result for result, _ in outcomes]
    if ignore:
        kept = np.setdiff1d(np.arange(n_labels), ignore)
        results = [tuple(r[:, kept] for r in result) for result in results]
    histograms = [histogram for _, histogram in outcomes]
    if len(histograms) > 1:
        histograms = [merge_histograms(*zip(*histograms))]
    return _slice_results(results, histograms[0], n_slices, base - 1, sample_weight)


def _slice_results(
    results: list[tuple[FloatArray, ...]],
    histogram: Histogram,
    n_slices: int,
    n_labels: int,
    sample_weight: FloatArray | None,
) -> list[BatchCounts]:
    """Sum the workers' counts and split the per-sample histogram by slice (its keys carry
    each row's slice, see `count_slices`)."""
    tp, fp, fn, tn = (np.sum([r[i] for r in results], axis=0)[:, :n_labels] for i in range(4))
    cube = (n_labels + 1) ** 3
    key_set, key_weight, key_count = histogram
    owner = key_set // cube
    bounds = np.searchsorted(owner, np.arange(n_slices + 1)).tolist()
    parts = [slice(bounds[s], bounds[s + 1]) for s in range(n_slices)]
    sizes = [int(key_count[part].sum()) for part in parts]
    if sample_weight is None:
        # Unweighted counts are integers: every sample is a true negative unless counted.
        tn = np.asarray(sizes, np.float64)[:, None] - tp - fp - fn
    return [
        BatchCounts(tp[s], fp[s], fn[s], tn[s], key_set[part] - s * cube, key_weight[part],
                    key_count[part], sizes[s])
        for s, part in enumerate(parts)
    ]  # fmt: skip
