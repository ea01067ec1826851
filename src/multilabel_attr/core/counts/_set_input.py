"""Label sets without a dense matrix: scipy.sparse inputs and top-k index predictions.

A sparse indicator matrix or a ``(n_samples, k)`` array of predicted label
indices is read into [`RowSets`][multilabel_attr.core.counts._set_input.RowSets]: for
each row, the columns that are 1 (a CSR structure without scipy), validated
block by block.  ``_set_counting`` counts two row sets in ``O(nnz + n_labels)``
time and memory: per-label counts are ``bincount``s of the column indices,
per-row hits come from intersecting the rows, and true negatives are implied
(``n_samples - tp - fp - fn``).  The result is the same
[`BatchCounts`][multilabel_attr.core.counts._counting.BatchCounts] the dense pass
produces, so formulas, averaging and the streaming state are shared.

scipy is never imported here: a sparse matrix is recognised by its class's
module and read through its ``indptr`` / ``indices`` / ``data`` arrays, and
scipy's merge is used only when the process has loaded scipy.sparse itself.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._errors import InputError, InputTypeError
from .._options import validated
from .._validation import (
    binary_mask,
    check_2d,
    check_finite_scores,
    check_probabilities,
    check_sample_weight,
    per_label,
    threshold_cut,
    to_numpy,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

BLOCK_CELLS = 1 << 17
"""Stored cells per block of rows in the block-wise passes (temporaries stay in cache)."""

MAX_GATHER_WIDTH = 16
"""Widest fixed row size that the counting pass compares cell by cell (see ``_set_counting``)."""


@dataclass(frozen=True)
class RowSets:
    """The positive columns of each row: ``indices[indptr[i]:indptr[i + 1]]`` for row ``i``.

    ``sorted_rows`` tells whether the columns of every row are strictly increasing.
    """

    indptr: IntArray
    indices: NDArray[Any]
    n_labels: int
    sorted_rows: bool

    @property
    def n_rows(self) -> int:
        return int(self.indptr.shape[0] - 1)

    @property
    def shape(self) -> tuple[int, int]:
        return self.n_rows, self.n_labels

    def row_sizes(self) -> IntArray:
        return np.diff(self.indptr)

    def row_ids(self) -> IntArray:
        """The row of every stored entry."""
        return np.repeat(np.arange(self.n_rows, dtype=np.int64), self.row_sizes())

    def select(self, columns: NDArray[np.intp]) -> RowSets:
        """Keep ``columns`` only, renumbered ``0..len(columns)-1`` in the given order."""
        remap = np.full(self.n_labels, -1, np.int64)
        remap[columns] = np.arange(columns.shape[0])
        new = remap[self.indices]
        keep = new >= 0
        kept_before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
        in_order = self.sorted_rows and bool(np.all(columns[1:] > columns[:-1]))
        return RowSets(kept_before[self.indptr], new[keep], columns.shape[0], in_order)

    def sorted(self) -> RowSets:
        """The same sets with the columns of each row in increasing order."""
        if self.sorted_rows:
            return self
        cells = self.row_ids() * self.n_labels + self.indices
        cells.sort()
        return RowSets(self.indptr, cells % self.n_labels, self.n_labels, True)


def _repeats_in_row(array: NDArray[Any]) -> NDArray[np.bool_]:
    """Rows holding some value twice: column pairs for narrow arrays (no sorted copy)."""
    width = array.shape[1]
    if width > 16:
        ordered = np.sort(array, axis=1)
        return np.asarray(np.any(ordered[:, 1:] == ordered[:, :-1], axis=1))
    repeated = np.zeros(array.shape[0], np.bool_)
    step = max(1, BLOCK_CELLS // width)
    for start in range(0, array.shape[0], step):
        # Columns of a block of rows, contiguous and cache-sized: fast elementwise compares.
        columns = array[start : start + step].T.copy()
        found = repeated[start : start + step]
        for left in range(width):
            for right in range(left + 1, width):
                found |= columns[left] == columns[right]
    return repeated


class TopK:
    """Top-k predictions: for each sample, ``k`` label indices, best first.

    The form in which extreme multi-label classifiers emit predictions.  It is
    accepted as ``y_pred`` by every count-based metric (each row predicts its
    ``k`` labels) and by the metrics at ``k`` such as
    [`precision_at_k`][multilabel_attr.precision_at_k].

    Parameters
    ----------
    indices : array-like of int, shape (n_samples, k)
        Label (column) indices; no index may repeat within a row.  Without
        ``scores`` the first column is the best-ranked label.
    scores : array-like of float, shape (n_samples, k), optional
        Score of each predicted label.  When given, each row is ranked by
        decreasing score, and a count-based metric called with ``threshold``
        predicts only the labels scoring at least the threshold.

    Raises
    ------
    ValueError
        If ``indices`` is not 2-D, holds negative or repeated indices in a row,
        or ``scores`` differs in shape or is not finite.
    TypeError
        If ``indices`` is not of an integer type.

    Examples
    --------
    >>> from multilabel_attr import TopK, precision_score
    >>> y_true = [[1, 0, 1, 0], [0, 1, 0, 0]]
    >>> precision_score(y_true, TopK([[2, 1], [1, 3]]), average="micro")
    0.5
    """

    __slots__ = ("indices", "scores")

    def __init__(self, indices: Any, scores: Any = None) -> None:
        array = check_2d(indices, "TopK indices")
        if not np.issubdtype(array.dtype, np.integer):
            raise InputTypeError(
                f"TopK indices must be integers; got dtype {array.dtype}", argument="indices"
            )
        if array.min() < 0:
            raise InputError(
                f"TopK indices must be non-negative; found {int(array.min())}", argument="indices"
            )
        if array.dtype == np.uint64 and array.max() > np.iinfo(np.int64).max:
            # Such an index would wrap to a negative one when read as int64.
            raise InputError(
                f"TopK indices must be label indices; found {int(array.max())}",
                argument="indices",
            )
        repeated = np.flatnonzero(_repeats_in_row(array))
        if repeated.size:
            raise ValueError(
                f"TopK indices repeat a label within a row (rows {repeated[:5].tolist()}); "
                "each row must list distinct labels"
            )
        self.scores: FloatArray | None = None
        if scores is not None:
            values = to_numpy(scores, "TopK scores")
            if np.issubdtype(values.dtype, np.complexfloating):
                raise InputTypeError(
                    f"TopK scores must hold real numbers; got complex dtype {values.dtype} (the "
                    "imaginary part would be dropped silently)",
                    argument="scores",
                )
            if values.shape != array.shape:
                raise ValueError(
                    f"TopK scores must have the shape of the indices {array.shape}; "
                    f"got {values.shape}"
                )
            values = values.astype(np.float64, copy=False)
            check_finite_scores(values, "TopK scores")
            order = np.argsort(-values, axis=1, kind="stable")
            array = np.take_along_axis(array, order, axis=1)
            self.scores = np.take_along_axis(values, order, axis=1)
        self.indices: IntArray = array.astype(np.int64, copy=False)

    @classmethod
    @validated(k="top_k")
    def from_scores(cls, y_score: Any, k: int) -> TopK:
        """The ``k`` best-scored labels of each row of a dense score matrix, best first.

        Among equal scores the lower label index ranks first, so the choice at the
        ``k``-th place and the order within the top are the same on every run.
        """
        scores = check_2d(y_score, "y_score").astype(np.float64, copy=False)
        check_finite_scores(scores, "y_score")
        if k > scores.shape[1]:
            raise InputError(
                f"k must be at most the number of labels ({scores.shape[1]}); got {k}",
                argument="k",
            )
        # The k-th largest score of each row; every label above it is in, and the labels
        # equal to it fill the remaining places in index order.
        kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]
        above = scores > kth
        tied = scores == kth
        room = k - np.count_nonzero(above, axis=1, keepdims=True)
        chosen = above | (tied & (np.cumsum(tied, axis=1) <= room))
        top = np.nonzero(chosen)[1].reshape(scores.shape[0], k)
        # The constructor's stable sort by decreasing score keeps ties in index order.
        return cls(top, np.take_along_axis(scores, top, axis=1))

    @property
    def k(self) -> int:
        return int(self.indices.shape[1])

    @property
    def n_samples(self) -> int:
        return int(self.indices.shape[0])

    def __repr__(self) -> str:
        return f"TopK(n_samples={self.n_samples}, k={self.k}, scores={self.scores is not None})"

    def check_labels(self, n_labels: int, name: str) -> None:
        high = int(self.indices.max())
        if high >= n_labels:
            raise InputError(
                f"{name} holds label index {high}; y_true has {n_labels} labels "
                f"(indices 0..{n_labels - 1})",
                argument=name,
            )

    def row_sets(self, n_labels: int, threshold: FloatArray | None) -> RowSets:
        n, k = self.indices.shape
        if threshold is None or self.scores is None:
            indptr = np.arange(0, n * k + 1, k, dtype=np.int64)
            if k <= MAX_GATHER_WIDTH:
                # Counted cell by cell, in any order.
                return RowSets(indptr, self.indices.reshape(-1), n_labels, False)
            # Sorted rows make the counting pass's binary searches run in order.
            return RowSets(indptr, np.sort(self.indices, axis=1).reshape(-1), n_labels, True)
        keep = self.scores >= threshold[self.indices]
        indptr = np.concatenate([[0], np.cumsum(keep.sum(axis=1), dtype=np.int64)])
        return RowSets(indptr, self.indices[keep], n_labels, False)


def is_sparse(value: Any) -> bool:
    """Whether ``value`` is a scipy.sparse matrix or array (scipy is not imported)."""
    return type(value).__module__.startswith("scipy.sparse") and hasattr(value, "format")


def is_set_input(value: Any) -> bool:
    return isinstance(value, TopK) or is_sparse(value)


def row_blocks(indptr: NDArray[Any], width: int = 0) -> list[tuple[int, int]]:
    """Consecutive row ranges ``(start, stop)`` of about ``BLOCK_CELLS`` stored cells each
    (a longer row makes a block of its own), counting ``width`` more cells per row (those
    of a fixed-width partner)."""
    n_rows = indptr.shape[0] - 1
    # In the pointers' own type: searching mixed types would copy the pointers.
    first, last = int(indptr[0]), int(indptr[-1])
    marks = np.arange(first + BLOCK_CELLS, last, BLOCK_CELLS).astype(indptr.dtype)
    cuts = [np.array([0, n_rows]), np.searchsorted(indptr, marks)]
    if width:
        cuts.append(np.arange(0, n_rows, max(1, BLOCK_CELLS // width)))
    bounds = np.unique(np.concatenate(cuts)).tolist()
    return list(itertools.pairwise(bounds))


def _in_order(indptr: NDArray[Any], indices: NDArray[Any], minor: int) -> bool:
    """Whether the indices lie in ``0..minor-1`` and strictly increase within every row,
    checked block by block while each block is in cache."""
    for start, stop in row_blocks(indptr):
        first, last = int(indptr[start]), int(indptr[stop])
        if last == first:
            continue
        block = indices[first:last]
        if block.min() < 0 or block.max() >= minor:
            return False
        # step[i + 1] = block[i + 1] - block[i]; a step across a row boundary is allowed to
        # decrease, and empty rows at either end write to the spare first and last slots.
        step = np.empty(last - first + 1, np.int32 if block.dtype.itemsize <= 4 else np.int64)
        np.subtract(block[1:], block[:-1], out=step[1:-1])
        step[indptr[start + 1 : stop] - first] = 1
        step[0] = step[-1] = 1
        if step.min() <= 0:
            return False
    return True


def _check_compressed(indptr: NDArray[Any], indices: NDArray[Any], minor: int, name: str) -> None:
    """Indices strictly increasing within each compressed row (or column) and in range."""
    if indices.size == 0 or _in_order(indptr, indices, minor):
        return
    low, high = int(indices.min()), int(indices.max())
    if low < 0 or high >= minor:
        raise ValueError(f"{name} has index {low if low < 0 else high} outside 0..{minor - 1}")
    step = np.diff(indices)
    boundaries = indptr[1:-1]
    boundaries = boundaries[(boundaries > 0) & (boundaries < indices.size)] - 1
    step[boundaries] = 1
    if np.any(step == 0):
        raise ValueError(
            f"{name} has duplicate entries (the same cell stored twice); expected each cell at "
            "most once, e.g. after .sum_duplicates() on a 0/1 matrix"
        )
    raise ValueError(
        f"{name} has unsorted indices within a row or column; call .sort_indices() first"
    )


def _check_indptr(indptr: NDArray[Any], n_major: int, n_stored: int, name: str) -> None:
    """``indptr``: ``n_major + 1`` integer offsets from 0 to the number of stored cells,
    never decreasing."""
    problem = ""
    if indptr.ndim != 1 or indptr.shape[0] != n_major + 1:
        problem = f"{n_major + 1} offsets (one more than its rows); got shape {indptr.shape}"
    elif not np.issubdtype(indptr.dtype, np.integer):
        problem = f"integer offsets; got dtype {indptr.dtype}"
    elif int(indptr[0]) != 0 or int(indptr[-1]) != n_stored:
        problem = (
            f"offsets from 0 to the {n_stored} stored cells; got {int(indptr[0])} to "
            f"{int(indptr[-1])}"
        )
    elif np.any(indptr[1:] < indptr[:-1]):
        problem = "offsets that never decrease; found a decrease"
    if problem:
        raise InputError(f"{name} has a malformed indptr: expected {problem}", argument=name)


def sparse_sets(value: Any, name: str) -> RowSets:
    """Validate a scipy.sparse 0/1 matrix and read it as row sets (CSC is transposed once)."""
    layout = getattr(value, "format", None)
    if layout not in ("csr", "csc"):
        raise TypeError(
            f"{name} must be a CSR or CSC sparse matrix or array; got format {layout!r} "
            f"({type(value).__name__}); convert it with .tocsr()"
        )
    shape = tuple(value.shape)
    if len(shape) != 2 or shape[0] == 0 or shape[1] == 0:
        raise ValueError(f"{name} must be 2-D and non-empty; got shape {shape}")
    data = np.asarray(value.data)
    zeros = 0
    if data.dtype == np.bool_:
        zeros = int(data.size - np.count_nonzero(data))
    elif data.size and not (data.min() == 1 and data.max() == 1):
        is_one = data == 1
        if not np.all(is_one):
            zeros = int(np.count_nonzero(data == 0))
            if zeros < int(data.size - np.count_nonzero(is_one)):
                bad = np.unique(data[~is_one & (data != 0)])[:5].tolist()
                raise ValueError(
                    f"{name} must store only 1 (0/1 labels); found stored values {bad}"
                )
    if zeros:
        raise ValueError(
            f"{name} stores {zeros} explicit zero(s); expected only ones to be stored. "
            "Call .eliminate_zeros() first"
        )
    indptr = np.asarray(value.indptr)
    indices = np.asarray(value.indices)
    minor = shape[1] if layout == "csr" else shape[0]
    _check_indptr(indptr, shape[0] if layout == "csr" else shape[1], indices.shape[0], name)
    _check_compressed(indptr, indices, minor, name)
    if layout == "csc":
        csr = value.tocsr()
        indptr, indices = np.asarray(csr.indptr), np.asarray(csr.indices)
    return RowSets(indptr, indices, int(shape[1]), True)


def dense_sets(mask: NDArray[np.bool_]) -> RowSets:
    rows, columns = np.nonzero(mask)
    sizes = np.bincount(rows, minlength=mask.shape[0])
    indptr = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
    return RowSets(indptr, columns, int(mask.shape[1]), True)


def _dense_predictions(
    value: Any, threshold: FloatArray | None, from_logits: bool, name: str
) -> NDArray[np.bool_]:
    array = check_2d(value, name)
    if threshold is None:
        return binary_mask(array, name)
    check_finite_scores(array, name)
    if from_logits:
        with np.errstate(divide="ignore"):
            cut = np.log(threshold) - np.log1p(-threshold)
    else:
        check_probabilities(array, name)
        cut = threshold
    return np.asarray(array >= cut)


def truth_sets(y_true: Any, name: str = "y_true") -> RowSets:
    """``y_true`` (sparse or dense 0/1) as row sets."""
    if is_sparse(y_true):
        return sparse_sets(y_true, name)
    return dense_sets(binary_mask(check_2d(y_true, name), name))


def check_labels(labels: NDArray[np.intp], n_labels: int) -> NDArray[np.intp]:
    """``labels=`` (distinct non-negative indices, checked at the door) within ``0..n_labels-1``."""
    unknown = labels[labels >= n_labels]
    if unknown.size:
        raise InputError(
            f"labels names unknown label(s) {unknown[:5].tolist()}; y_true has {n_labels} "
            f"labels (column indices 0..{n_labels - 1})",
            argument="labels",
        )
    return labels


def validate_sets(
    y_true: Any,
    y_pred: Any,
    *,
    threshold: Any,
    from_logits: bool,
    sample_weight: Any,
    labels: Any = None,
) -> tuple[RowSets, RowSets, FloatArray | None]:
    """Validate labels and predictions of any accepted form and read them as row sets."""
    pred_name = "y_pred" if threshold is None else "y_score"
    truth = truth_sets(y_true)
    n_samples, n_labels = truth.shape
    thresholds = None if threshold is None else per_label(threshold, n_labels)
    if isinstance(y_pred, TopK):
        if y_pred.n_samples != n_samples:
            raise ValueError(
                f"y_true has {n_samples} samples and the TopK {pred_name} {y_pred.n_samples}"
            )
        y_pred.check_labels(n_labels, pred_name)
        if from_logits and y_pred.scores is None:
            raise InputError(
                "from_logits=True needs TopK scores and a threshold; this TopK has no scores",
                argument="from_logits",
            )
        if thresholds is not None and y_pred.scores is not None and not from_logits:
            # The rule of dense scores: thresholded scores are probabilities unless logits.
            check_probabilities(y_pred.scores, "TopK scores")
        cut = None if thresholds is None else threshold_cut(thresholds, from_logits)
        pred = y_pred.row_sets(n_labels, cut if y_pred.scores is not None else None)
    elif is_sparse(y_pred):
        if from_logits or (thresholds is not None and np.any((thresholds <= 0) | (thresholds > 1))):
            shown = None if threshold is None else np.asarray(threshold).tolist()
            raise InputError(
                f"a sparse {pred_name} holds 0/1 predictions: pass threshold=None (or one in "
                f"(0, 1], which leaves 0/1 unchanged) and from_logits=False; got "
                f"threshold={shown!r}, from_logits={from_logits}",
                argument="threshold" if not from_logits else "from_logits",
            )
        pred = sparse_sets(y_pred, pred_name)
    else:
        pred = dense_sets(_dense_predictions(y_pred, thresholds, from_logits, pred_name))
    if pred.shape != truth.shape:
        raise ValueError(
            f"y_true and {pred_name} must have the same shape (n_samples, n_labels); "
            f"got y_true {truth.shape} and {pred_name} {pred.shape}"
        )
    weights = check_sample_weight(sample_weight, n_samples)
    if labels is not None:
        columns = check_labels(labels, n_labels)
        truth, pred = truth.select(columns), pred.select(columns)
    return truth, pred, weights


def chunk_cells(truth: RowSets, start: int, stop: int) -> tuple[NDArray[Any], Any]:
    """The sorted true cells ``row * n_labels + column`` of rows ``start:stop`` (rows
    counted from ``start``), in int32 when they fit: half the memory traffic of
    the binary searches.  Returns the cells and their integer type."""
    n_labels = truth.n_labels
    cell_type = np.int32 if (stop - start) * n_labels < 2**31 else np.int64
    t0, t1 = truth.indptr[start], truth.indptr[stop]
    true_cells = np.repeat(
        np.arange(stop - start, dtype=cell_type) * cell_type(n_labels),
        np.diff(truth.indptr[start : stop + 1]),
    )
    true_cells += truth.indices[t0:t1].astype(cell_type, copy=False)
    return true_cells, cell_type


def lookup(true_cells: NDArray[Any], cells: NDArray[Any]) -> NDArray[np.bool_]:
    """Whether each cell is among the sorted ``true_cells`` (fastest for sorted ``cells``)."""
    if true_cells.shape[0] == 0:
        return np.zeros(cells.shape[0], np.bool_)
    found = np.searchsorted(true_cells, cells)
    np.minimum(found, true_cells.shape[0] - 1, out=found)
    return np.asarray(true_cells[found] == cells)


def member(
    truth: RowSets, start: int, stop: int, rows: IntArray, columns: NDArray[Any]
) -> NDArray[np.bool_]:
    """Whether each cell ``(start + rows[j], columns[j])`` is true; ``truth`` sorted by row."""
    true_cells, cell_type = chunk_cells(truth, start, stop)
    cells = rows.astype(cell_type, copy=False) * cell_type(truth.n_labels)
    cells += columns.astype(cell_type, copy=False)
    return lookup(true_cells, cells)


USE_SCIPY = True
"""Let an already imported scipy.sparse intersect row sets (tests switch it off)."""


def scipy_product(truth: RowSets, pred: RowSets, pred_data: NDArray[Any] | None = None) -> Any:
    """The elementwise product of two row sets as a scipy CSR matrix, or None.

    scipy merges the sorted rows in compiled code, several times faster than
    the binary searches below, so it is used when the process has already
    imported scipy.sparse (as it has whenever the input is a sparse matrix);
    it is never imported here.  ``pred_data`` replaces the predicted ones
    (a rank, say) and comes out on the hits.
    """
    module = sys.modules.get("scipy.sparse") if USE_SCIPY else None
    if module is None:
        return None
    values = np.ones(pred.indices.shape[0], np.int8) if pred_data is None else pred_data
    left = module.csr_matrix(
        (np.ones(truth.indices.shape[0], np.int8), truth.indices, truth.indptr), shape=truth.shape
    )
    right = module.csr_matrix((values, pred.indices, pred.indptr), shape=pred.shape)
    return left.multiply(right).tocsr()


def set_ranking_columns(counts: Any, y_score: Any) -> tuple[FloatArray, FloatArray]:
    """``evaluate``'s AUROC and AP columns for sparse or top-k input, without densifying.

    Known only when the predictions are the scores (0/1): nan otherwise.
    """
    binary = is_sparse(y_score) or (isinstance(y_score, TopK) and y_score.scores is None)
    if not binary:
        unknown = np.full(counts.n_labels, np.nan)
        return unknown, unknown.copy()
    return binary_ranking_from_counts(counts.tp, counts.fp, counts.fn, counts.tn)


def binary_ranking_from_counts(
    tp: FloatArray, fp: FloatArray, fn: FloatArray, tn: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Exact per-label AUROC and average precision of 0/1 scores, from their counts.

    With two score levels the ROC curve has one inner point and the
    precision-recall curve two steps, so both follow from ``tp, fp, fn, tn``.
    """
    positives, negatives = tp + fn, fp + tn
    with np.errstate(divide="ignore", invalid="ignore"):
        auroc = (fn * 0.5 * tn + tp * (tn + 0.5 * fp)) / (positives * negatives)
        top_precision = np.where(tp > 0, tp / np.where(tp + fp > 0, tp + fp, 1.0), 0.0)
        prevalence = positives / (positives + negatives)
        ap = (tp * top_precision + fn * prevalence) / positives
    auroc = np.where((positives > 0) & (negatives > 0), auroc, np.nan)
    ap = np.where(positives > 0, ap, np.nan)
    return auroc, ap
