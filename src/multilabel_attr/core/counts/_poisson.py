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


def poisson_multiplicities(seed: int, row_id: IntArray, n_resamples: int) -> NDArray[np.int8]:
    """Poisson(1) draws of shape (n_resamples, rows), a pure function of seed, row id and b."""
    with np.errstate(over="ignore"):
        key = splitmix64(np.asarray([seed], np.uint64) * GOLDEN + np.uint64(1))
        row = splitmix64(row_id.astype(np.uint64) ^ key)
        counter = np.arange(1, n_resamples + 1, dtype=np.uint64)[:, None] * GOLDEN
        bits = splitmix64(row[None, :] + counter)
    uniform = (bits >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
    return np.searchsorted(_CDF, uniform, side="right").astype(np.int8)


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
