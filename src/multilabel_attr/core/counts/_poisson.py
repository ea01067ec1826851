"""The counter-based Poisson bootstrap draws, shared by memory and every engine.

Each row gets, for each replicate ``b``, an independent Poisson(1) multiplicity
drawn from a counter-based generator keyed by the seed, the row id and ``b``
(two rounds of the SplitMix64 mixer, then the Poisson inverse CDF).  A row's
draws depend on nothing else, so the replicates are the same however the rows
are split into partitions or slices, in whatever order they run, and a retried
task draws the same values again.  For large samples the Poisson bootstrap is
equivalent to resampling with replacement, without needing the sample size
up front.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _poisson_cdf() -> FloatArray:
    terms = [math.exp(-1.0) / math.factorial(k) for k in range(24)]
    return np.cumsum(terms)[:-1]


_CDF = _poisson_cdf()


def splitmix64(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The SplitMix64 finaliser (a bijection of 64-bit integers with full avalanche)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


# Each draw is the number of CDF values at or below u = (bits >> 11) / 2**53.  For an integer
# u53 = bits >> 11, ``CDF[k] <= u53 / 2**53`` holds exactly when ``bits >= ceil(CDF[k] * 2**53)
# << 11`` (the scaling by 2**53 is exact), so the draws compare the raw bits with integer cuts.
# CDF values that round to 1.0 are above every uniform: they have no cut.
_CUTS = np.array([math.ceil(c * 2.0**53) << 11 for c in _CDF.tolist() if c < 1.0], np.uint64)
_COMMON = 4
"""Draws below this are found by one comparison each; the rest (2% of them) by a search."""
_DRAW_CELLS = 1 << 18


def poisson_multiplicities(seed: int, row_id: IntArray, n_resamples: int) -> NDArray[np.int8]:
    """Poisson(1) draws of shape (n_resamples, rows), a pure function of seed, row id and b.

    Draw ``b`` of a row is the Poisson inverse CDF at the uniform made of the top 53 bits of
    ``splitmix64(splitmix64(row_id ^ key) + b * GOLDEN)``.  Blocks of rows are drawn in
    scratch buffers small enough to stay in cache, in place.
    """
    with np.errstate(over="ignore"):
        key = splitmix64(np.asarray([seed], np.uint64) * GOLDEN + np.uint64(1))
        row = splitmix64(row_id.astype(np.uint64) ^ key)
    counter = np.arange(1, n_resamples + 1, dtype=np.uint64)[:, None] * GOLDEN
    out = np.empty((n_resamples, row.size), np.int8)
    step = max(1, _DRAW_CELLS // max(n_resamples, 1))
    bits = np.empty((n_resamples, min(step, row.size)), np.uint64)
    spare, above = np.empty_like(bits), np.empty(bits.shape, np.bool_)
    for start in range(0, row.size, step):
        stop = min(start + step, row.size)
        x, tmp, ge = bits[:, : stop - start], spare[:, : stop - start], above[:, : stop - start]
        np.add(row[None, start:stop], counter, out=x)
        _mix_in_place(x, tmp)
        drawn = out[:, start:stop]
        drawn.fill(0)
        for cut in _CUTS[:_COMMON]:
            np.greater_equal(x, cut, out=ge)
            np.add(drawn, ge.view(np.int8), out=drawn)
        rare = np.flatnonzero(ge)  # at or above the last common cut
        if rare.size:
            flat = drawn.reshape(-1) if drawn.flags.c_contiguous else None
            values = np.searchsorted(_CUTS, x.reshape(-1)[rare], side="right").astype(np.int8)
            if flat is not None:
                flat[rare] = values
            else:
                rows, columns = np.divmod(rare, stop - start)
                drawn[rows, columns] = values
    return out


def _mix_in_place(x: NDArray[np.uint64], tmp: NDArray[np.uint64]) -> None:
    """`splitmix64` of ``x``, written into ``x`` (``tmp``: scratch of the same shape)."""
    with np.errstate(over="ignore"):
        for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB)):
            np.right_shift(x, np.uint64(shift), out=tmp)
            np.bitwise_xor(x, tmp, out=x)
            np.multiply(x, np.uint64(factor), out=x)
        np.right_shift(x, np.uint64(31), out=tmp)
        np.bitwise_xor(x, tmp, out=x)


def cluster_keys(ids: NDArray[Any]) -> IntArray:
    """Each row's cluster as the 64-bit key its draws are keyed by.

    Integer ids are their own keys; any other id (a string) is keyed by a stable 64-bit hash
    of its text's UTF-8 bytes, the same in every process (unlike Python's ``hash``), so that
    memory and every engine draw a cluster's multiplicity from the same key.
    """
    if ids.dtype.kind in "iub":
        return ids.astype(np.int64, copy=False)
    unique, inverse = np.unique(np.asarray(ids, dtype=object), return_inverse=True)
    digests = b"".join(
        hashlib.blake2b(str(v).encode(), digest_size=8).digest() for v in unique.tolist()
    )
    return np.frombuffer(digests, dtype="<i8").astype(np.int64)[inverse.reshape(-1)]
