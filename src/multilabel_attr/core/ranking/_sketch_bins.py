"""The bin layout of [`ScoreSketch`][multilabel_attr.ScoreSketch]: edges and the bin of a score.

A pure function of ``(n_bins, from_logits, EDGES_VERSION)``, so any two sketches with the
same settings merge on any machine.  It has a module of its own so that the sketch, its
cuts and its JSON form all depend on it, and none on each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._options import DEFAULT_BINS as DEFAULT_BINS
from ..counts._counting import _float32_ceiling as float32_ceiling
from ._exact import map_blocks

FloatArray = NDArray[np.float64]

EDGES_VERSION = 1
"""Version of the bin layout; part of every saved sketch and checked on merge."""

LOGIT_RANGE = 10.0
"""Half-width of the logit interval covered by the inner bins (layout version 1)."""


_BIN_BLOCK_CELLS = 1 << 20


def sketch_edges(n_bins: int, from_logits: bool) -> FloatArray:
    """The ``n_bins + 1`` bin boundaries, ``-inf`` and ``+inf`` included (layout version 1)."""
    inner = np.zeros(1) if n_bins == 2 else np.linspace(-LOGIT_RANGE, LOGIT_RANGE, n_bins - 1)
    if not from_logits:
        inner = 1.0 / (1.0 + np.exp(-inner))
    return np.concatenate([[-np.inf], inner, [np.inf]])


def bin_index(scores: NDArray[Any], n_bins: int, from_logits: bool) -> NDArray[np.intp]:
    """Bin of every score: ``k`` with ``edges[k] <= s < edges[k + 1]``, exactly.

    Large inputs are split into row blocks binned on a thread pool (numpy
    releases the GIL).
    """
    out = np.empty(scores.shape, np.intp)
    rows = max(1, _BIN_BLOCK_CELLS // max(1, scores.shape[1]))

    def work(start: int) -> None:
        out[start : start + rows] = _bin_block(scores[start : start + rows], n_bins, from_logits)

    map_blocks(work, range(0, scores.shape[0], rows))
    return out


def _bin_block(scores: NDArray[Any], n_bins: int, from_logits: bool) -> NDArray[np.intp]:
    """Bins of one block: a float32 logit gives a first guess; every guess is then
    checked against the edges and moved until it holds, so rounding never misplaces a
    score.  Float32 scores are checked against the float32 ceilings of the edges,
    which for them means exactly the same as the float64 edges."""
    edges: NDArray[Any] = sketch_edges(n_bins, from_logits)
    if scores.dtype == np.float32:
        edges = float32_ceiling(edges)
    inner = n_bins - 1
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if from_logits:
            z = scores.astype(np.float32, copy=False)
        else:
            p = scores.astype(np.float32)
            z = np.log(p) - np.log1p(-p)
        if n_bins == 2:
            guess = (z >= 0).astype(np.intp)
        else:
            step = np.float32((inner - 1) / (2 * LOGIT_RANGE))
            position = np.clip((z + np.float32(LOGIT_RANGE)) * step, -1, inner - 1)
            guess = np.floor(position).astype(np.intp) + 1
    flat_guess = guess.ravel()
    flat_scores = scores.ravel()
    # Only the guesses that were wrong are checked again, so the fix-up costs one full pass.
    where = np.flatnonzero(
        (flat_scores < edges[flat_guess]) | (flat_scores >= edges[flat_guess + 1])
    )
    while where.size:
        values = flat_scores[where]
        moved = flat_guess[where]
        moved = moved - (values < edges[moved]) + (values >= edges[moved + 1])
        flat_guess[where] = moved
        wrong = (values < edges[moved]) | (values >= edges[moved + 1])
        where = where[wrong]
    return flat_guess.reshape(scores.shape)
