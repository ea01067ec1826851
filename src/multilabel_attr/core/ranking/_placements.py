"""Each sample's placement among the other class, without sorting the larger class.

DeLong's variance needs, for every positive, the number of negatives scoring
below it (ties count one half) and, for every negative, the number of positives
scoring above it: the *placements*.  Only their values matter, not which row
holds them.  Both follow from where each sample of the larger class falls among
the distinct scores of the smaller class, so only the smaller class is sorted.
The larger one is located by a table over the score's bits (about four cells per
distinct score, so that a cell holds few of them) and a few vectorised steps
inside its cell.  When the scores crowd into few cells the steps would be many;
the larger class is then sorted and located by a binary search instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IndexArray = NDArray[np.intp]

_CELLS_PER_VALUE = 4
_MAX_PER_CELL = 16
"""With more distinct scores in one cell, the steps through it cost more than a sort."""


def order_keys(scores: NDArray[np.floating]) -> NDArray[np.unsignedinteger]:
    """Unsigned integers that order and tie as ``scores`` do (float32 or float64).

    The float's bits, the sign bit set for non-negative values and every bit inverted for
    negative ones; adding zero first turns -0.0 into 0.0, so that equal scores have equal
    keys.  NaN is not expected (scores are checked finite).
    """
    unsigned = np.uint32 if scores.dtype == np.float32 else np.uint64
    values = scores if scores.dtype in (np.float32, np.float64) else scores.astype(np.float64)
    bits = (values + values.dtype.type(0.0)).view(unsigned)
    top = unsigned(8 * bits.itemsize - 1)
    return np.where(bits >> top, ~bits, bits | (unsigned(1) << top))


def rank_among(distinct: NDArray[Any], keys: NDArray[Any]) -> tuple[IndexArray, NDArray[np.bool_]]:
    """For each of ``keys``: how many of the sorted, distinct ``distinct`` lie below it,
    and whether one of them equals it.  The ranks come in the order of ``keys``, except
    where the keys are sorted first (crowded cells), which callers counting multisets
    accept.  Keys are [`order_keys`][multilabel_attr.core.ranking._placements.order_keys]."""
    n = distinct.size
    base = distinct[0]
    span = int(distinct[-1]) - int(base)
    shift = distinct.dtype.type(max(0, span.bit_length() - (_CELLS_PER_VALUE * n).bit_length()))
    cell_of_value = ((distinct - base) >> shift).astype(np.intp)
    n_cells = int(cell_of_value[-1]) + 1
    first = np.zeros(n_cells + 1, np.intp)
    np.cumsum(np.bincount(cell_of_value, minlength=n_cells), out=first[1:])
    if int(np.diff(first).max()) > _MAX_PER_CELL:
        keys = np.sort(keys)
        below = np.searchsorted(distinct, keys).astype(np.intp)
    else:
        # Every value of a lower cell lies below the key, every value of a higher cell
        # above it: start at the key's cell and step over its values that are smaller.
        # A sentinel above every key (finite scores never reach the top key) ends the
        # steps at the last value.
        padded = np.append(distinct, np.iinfo(distinct.dtype).max)
        below = first[((np.clip(keys, base, distinct[-1]) - base) >> shift).astype(np.intp)]
        moving = np.flatnonzero(padded[below] < keys)
        while moving.size:
            below[moving] += 1
            moving = moving[padded[below[moving]] < keys[moving]]
    equal = distinct[np.minimum(below, n - 1)] == keys
    equal &= below < n
    return below, equal


def class_placements(
    truth: NDArray[np.bool_], scores: NDArray[np.floating]
) -> tuple[FloatArray, FloatArray]:
    """The unweighted placements of the positives and of the negatives of one label, each
    class in no particular order (both classes non-empty).

    A positive's placement is the number of negatives scoring below it plus half of those
    tied with it; a negative's is the number of positives scoring above it plus half of
    those tied with it.  The smaller class is sorted into its distinct values; every
    sample of the larger class is located among them
    ([`rank_among`][multilabel_attr.core.ranking._placements.rank_among]), and counting
    the larger class per distinct value of the smaller gives the smaller class's
    placements.
    """
    keys = order_keys(scores)
    # np.compress splits by a mask several times faster than boolean indexing does.
    pos, neg = np.compress(truth, keys), np.compress(~truth, keys)
    n_pos = pos.size
    small_is_pos = n_pos <= neg.size
    small, big = (pos, neg) if small_is_pos else (neg, pos)
    ordered = np.sort(small)
    start = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    distinct, repeats = ordered[start], np.diff(np.r_[start, small.size])
    below, equal = rank_among(distinct, big)
    # Each larger-class sample against the smaller class: how many lie below it, how many tie.
    small_below = np.r_[start, small.size][below]
    small_tied = np.where(equal, repeats[np.minimum(below, distinct.size - 1)], 0)
    # Each distinct smaller-class value against the larger class: how many lie at or below
    # it, and how many tie with it.
    big_through = np.cumsum(np.bincount(below, minlength=distinct.size + 1))[: distinct.size]
    big_tied = np.bincount(below[equal], minlength=distinct.size)[: distinct.size]
    if small_is_pos:
        pos_place = np.repeat(big_through - big_tied + 0.5 * big_tied, repeats)
        neg_place = n_pos - small_below - small_tied + 0.5 * small_tied
    else:
        neg_place = np.repeat(n_pos - big_through + 0.5 * big_tied, repeats)
        pos_place = small_below + 0.5 * small_tied
    return pos_place.astype(np.float64), neg_place.astype(np.float64)
