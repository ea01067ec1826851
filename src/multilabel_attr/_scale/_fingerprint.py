"""A fingerprint of the input, taken by every pass of a multi-pass run, to see that all passes
read the same data.

Exact ranking and the threshold search read their input more than once.  If it changes in
between (a file rewritten, a Spark DataFrame recomputed from a changing source, a Dask graph
with random parts), the later passes would combine with the first into numbers that belong
to no data.  Each pass therefore also sums a 64-bit hash of every (label, score, truth,
weight) cell and counts the cells: a sum, so it does not depend on how the rows are split
into partitions, on the order in which they arrive or on the order of merging; integers
that wrap, so it is exact.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._internal import GOLDEN
from ..core._internal import splitmix64 as mix
from ._columns import Block, ColumnError

_FIELDS = ("fp_cells", "fp_digest")


@dataclass(frozen=True)
class Fingerprint:
    """Cells read and the wrapping sum of their hashes."""

    cells: int = 0
    digest: int = 0

    def __add__(self, other: Fingerprint) -> Fingerprint:
        return Fingerprint(self.cells + other.cells, (self.digest + other.digest) % (1 << 64))

    def arrays(self) -> dict[str, Any]:
        return {"fp_cells": np.array(self.cells, np.int64),
                "fp_digest": np.array(self.digest, np.uint64)}  # fmt: skip

    @classmethod
    def from_arrays(cls, arrays: dict[str, Any]) -> Fingerprint:
        if "fp_cells" not in arrays:
            return cls()
        return cls(int(arrays["fp_cells"]), int(arrays["fp_digest"]))

    @classmethod
    def of_payloads(cls, payloads: Any) -> Fingerprint:
        """The sum of the fingerprints of serialised states."""
        total = cls()
        for payload in payloads:
            with np.load(io.BytesIO(payload), allow_pickle=False) as data:
                total = total + cls.from_arrays({k: data[k] for k in _FIELDS if k in data.files})
        return total


def cell_fingerprint(
    label: NDArray[Any], score: NDArray[Any], truth: NDArray[Any], weight: NDArray[Any]
) -> Fingerprint:
    """The fingerprint of cells given as flat arrays of equal length."""
    if label.size == 0:
        return Fingerprint()
    score_bits = np.ascontiguousarray(score, np.float64).view(np.uint64)
    weight_bits = np.ascontiguousarray(weight, np.float64).view(np.uint64)
    tag = label.astype(np.uint64) * np.uint64(2) + truth.astype(np.uint64) + np.uint64(1)
    with np.errstate(over="ignore"):
        hashed = mix(mix(score_bits) ^ mix(weight_bits + tag * GOLDEN))
        digest = int(hashed.sum(dtype=np.uint64))
    return Fingerprint(int(label.size), digest)


def block_fingerprint(block: Block) -> Fingerprint:
    """The fingerprint of a block's cells (its labels, scores and weights checked already)."""
    n_rows, n_labels = block.truth.shape
    weight = np.ones(n_rows) if block.weight is None else block.weight
    return cell_fingerprint(
        np.tile(np.arange(n_labels, dtype=np.int64), n_rows),
        block.scores.astype(np.float64, copy=False).ravel(),
        block.truth.astype(bool, copy=False).ravel(),
        np.repeat(weight, n_labels),
    )


def check_unchanged(first: Fingerprint, later: Fingerprint, source: str, work: str) -> None:
    """Raise unless a later pass read what the first did."""
    if first == later:
        return
    change = (
        f"the first pass read {first.cells} values and a later one {later.cells}"
        if first.cells != later.cells
        else f"the passes read the same number of values ({first.cells}) but not the same ones"
    )
    raise ColumnError(
        f"{source} changed between the passes of {work}: {change}. The input must stay the "
        "same while it is read (cache or persist a DataFrame built from changing sources)"
    )


def check_partition_rows(where: str, rows: int, counted: int | None, source: str) -> None:
    """Raise unless a partition holds the rows counted for it by the pass that numbered the
    rows (a bootstrap keyed by position draws each row's multiplicities from its number)."""
    if rows == counted:
        return
    before = "no such partition" if counted is None else f"{counted} rows"
    raise ColumnError(
        f"{source} changed between the passes of the bootstrap: {where} holds {rows} rows "
        f"where the pass that numbered the rows found {before}. The input must stay the same "
        "while it is read (cache or persist a DataFrame built from changing sources, or give "
        "row_id)"
    )
