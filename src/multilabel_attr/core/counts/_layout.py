"""A block's rows laid out by slice, and each slice's column counts from that layout.

Sliced counting ([`count_slices`][multilabel_attr.core.counts._counting.count_slices]) copies
the 0/1 rows of each slice into groups of rows of that slice alone, so that one word-wise sum
counts every slice's columns at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def small_codes(codes: IntArray, n_slices: int) -> NDArray[Any]:
    """Slice numbers in the smallest integer type that holds them: a stable sort of 8 and
    16-bit integers is a radix sort."""
    if n_slices <= 1 << 8:
        return codes.astype(np.uint8, copy=False)
    if n_slices <= 1 << 16:
        return codes.astype(np.uint16, copy=False)
    return codes


_FEW_SLICES = 8


@dataclass(frozen=True)
class Layout:
    """The rows of a block by slice: ``parts`` pairs each slice holding rows of the block
    (in slice order) with the positions of its rows (in row order)."""

    parts: list[tuple[int, NDArray[np.intp]]]

    @classmethod
    def of(cls, codes: IntArray, n_slices: int, skip: int | None = None) -> Layout:
        """The layout of a block's rows; the rows of slice ``skip`` are left out."""
        small = small_codes(codes, n_slices)
        if n_slices <= _FEW_SLICES:
            # A few slices: one linear pass each finds their rows, in order (no sort).
            found = [(s, np.flatnonzero(small == s)) for s in range(n_slices) if s != skip]
            return cls([(s, rows) for s, rows in found if rows.size])
        sizes = np.bincount(codes, minlength=n_slices)
        order = np.argsort(small, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        present = np.flatnonzero(sizes).tolist()
        return cls([(s, order[bounds[s] : bounds[s + 1]]) for s in present if s != skip])

    @property
    def order(self) -> NDArray[np.intp]:
        """The block's rows ordered by slice (those of ``parts``, one part after another)."""
        if not self.parts:
            return np.zeros(0, np.intp)
        return np.concatenate([rows for _, rows in self.parts])


def _lane_groups(
    layout: Layout, lane_rows: int, blank: int, scratch: NDArray[np.intp]
) -> tuple[NDArray[np.intp], list[int], list[int]]:
    """The rows of a block laid out so that every slice fills whole groups of ``lane_rows``
    rows: ``(index, starts, present)``.

    Position ``j * n_groups + g`` of ``index`` holds the ``j``-th row of group ``g`` (the
    row ``blank``, all zeros, pads each slice's last group), so adding the rows
    ``lane_rows`` at a time, as `_column_counts` does, sums each group apart.  The groups of
    slice ``present[i]`` start at ``starts[i]``.  The positions are laid out in ``scratch``
    (twice the grouped rows, at least): block-sized temporaries would be allocated and freed
    on every block.
    """
    groups = [-(-rows.size // lane_rows) for _, rows in layout.parts]
    size = sum(groups) * lane_rows
    table = scratch[:size].reshape(-1, lane_rows)
    starts: list[int] = []
    first = 0
    for (_, rows), n_groups in zip(layout.parts, groups):
        positions = table[first : first + n_groups].reshape(-1)
        positions[: rows.size] = rows
        positions[rows.size :] = blank
        starts.append(first)
        first += n_groups
    index = scratch[size : 2 * size]
    np.copyto(index.reshape(lane_rows, -1), table.T)
    return index, starts, [s for s, _ in layout.parts]


def slice_column_counts(
    cells: NDArray[np.bool_],
    layout: Layout,
    lane_rows: int,
    out: tuple[NDArray[np.bool_], NDArray[np.intp]],
    sums: IntArray,
) -> None:
    """Add each slice's column counts of truth, predictions and hits to ``sums`` (shape
    (3, n_slices, width)).

    ``cells`` holds a block's truth and predictions (hits are recomputed) as
    (3, rows + 1, width), its last row all zeros; ``out`` holds a flat buffer for the rows
    laid out by `_lane_groups`, so that one word-wise sum counts every slice at once, and
    one for their positions.
    """
    if not layout.parts:
        return
    _, n_rows, width = cells.shape
    buffer, scratch = out
    index, starts, present = _lane_groups(layout, lane_rows, n_rows - 1, scratch)
    grouped = buffer[: 3 * index.size * width].reshape(3, index.size, width)
    # mode="clip": with out=, the default mode would copy through a buffer first.
    np.take(cells[:2], index, axis=1, out=grouped[:2], mode="clip")
    np.bitwise_and(grouped[0], grouped[1], out=grouped[2])
    words = grouped.view(np.uint64).reshape(3, lane_rows, -1)
    partial = np.add.reduce(words, axis=1).view(np.uint8).reshape(3, -1, width)
    sums[:, present] += np.add.reduceat(partial, starts, axis=1, dtype=np.int64)


def slice_products(
    buffers: tuple[NDArray[np.bool_], ...],
    weights: FloatArray,
    layout: Layout,
    sums: tuple[FloatArray, ...],
) -> None:
    """Add each slice's weighted column sums of each buffer (rows in ``layout.order``) to
    ``sums``."""
    first = 0
    for s, part in layout.parts:
        rows = slice(first, first + part.size)
        for buffer, total in zip(buffers, sums):
            total[s] += weights[rows] @ buffer[rows]
        first += part.size
