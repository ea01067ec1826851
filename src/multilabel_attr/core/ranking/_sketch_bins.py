"""The bin layout of [`ScoreSketch`][multilabel_attr.ScoreSketch]: edges and the bin of a score.

A pure function of ``(n_bins, from_logits, version)``, so any two sketches with the
same settings merge on any machine.  It has a module of its own so that the sketch, its
cuts and its JSON form all depend on it, and none on each other.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._options import DEFAULT_BINS as DEFAULT_BINS
from ..counts._counting import _float32_ceiling as float32_ceiling
from ._exact import map_blocks

FloatArray = NDArray[np.float64]

EDGES_VERSION = 2
"""Version of the bin layout of new sketches; part of every saved sketch and checked on merge."""

EDGES_VERSIONS = (1, 2)
"""Every layout version a sketch can hold (older ones stay loadable)."""

LOGIT_RANGE = 10.0
"""Half-width of the logit interval covered by the inner bins (layout version 1)."""

_BIN_BLOCK_CELLS = 1 << 20

CENTER = 5.0
"""Layout version 2: the middle half of the inner edges is uniform over ``[-5, 5]`` in logit."""

GROWTH = 8.0
"""Layout version 2: beyond ``|logit| = 5`` the bin widths grow by ``exp(GROWTH * du)``
from bin to bin (``du = 2 / (n_bins - 2)``), reaching logit 72."""


def _logit_of_grid(u: NDArray[Any]) -> NDArray[Any]:
    """Layout version 2 as a function of ``u`` in ``[-1, 1]``: linear for ``|u| <= 1/2``,
    exponential beyond, with a continuous slope."""
    a = np.abs(u)
    tail = CENTER + CENTER / (0.5 * GROWTH) * np.expm1(GROWTH * np.maximum(a - 0.5, 0.0))
    return np.sign(u) * np.where(a <= 0.5, 2.0 * CENTER * a, tail)


def _grid_of_logit(z: NDArray[np.float32]) -> NDArray[np.float32]:
    """Inverse of ``_logit_of_grid`` in float32 (a first guess only)."""
    a = np.abs(z)
    tail = np.float32(0.5) + np.log1p(
        np.maximum(a - np.float32(CENTER), 0) * np.float32(0.5 * GROWTH / CENTER)
    ) / np.float32(GROWTH)
    return np.sign(z) * np.where(a <= CENTER, a / np.float32(2.0 * CENTER), tail)


def sketch_edges(n_bins: int, from_logits: bool, version: int = EDGES_VERSION) -> FloatArray:
    """The ``n_bins + 1`` bin boundaries, ``-inf`` and ``+inf`` included.

    Version 1: inner edges uniform in logit over ``[-10, 10]``.  Version 2: the
    middle half of the inner edges uniform over ``[-5, 5]`` (as fine as version 1),
    the outer quarters widening geometrically out to ``|logit| = 72``, so the scores
    of confident models are still ordered far out.  Probability edges are the
    sigmoids of the logit edges (those beyond logit 36.7 round to 1 in float64).
    """
    if n_bins == 2:
        inner = np.zeros(1)
    elif version == 1:
        inner = np.linspace(-LOGIT_RANGE, LOGIT_RANGE, n_bins - 1)
    else:
        inner = _logit_of_grid(np.linspace(-1.0, 1.0, n_bins - 1))
    if not from_logits:
        inner = 1.0 / (1.0 + np.exp(-inner))
    return np.concatenate([[-np.inf], inner, [np.inf]])


@lru_cache(maxsize=64)
def _block_edges(n_bins: int, from_logits: bool, version: int, single: bool) -> NDArray[Any]:
    """The edges a block of scores is checked against (float32 ceilings for float32
    scores), computed once per layout: small batches would otherwise pay for them."""
    edges: NDArray[Any] = sketch_edges(n_bins, from_logits, version)
    if single:
        edges = float32_ceiling(edges)
    edges.flags.writeable = False
    return edges


def bin_index(
    scores: NDArray[Any], n_bins: int, from_logits: bool, version: int = EDGES_VERSION
) -> NDArray[np.intp]:
    """Bin of every score: ``k`` with ``edges[k] <= s < edges[k + 1]``, exactly.

    Large inputs are split into row blocks binned on a thread pool (numpy
    releases the GIL).
    """
    out = np.empty(scores.shape, np.intp)
    rows = max(1, _BIN_BLOCK_CELLS // max(1, scores.shape[1]))

    def work(start: int) -> None:
        out[start : start + rows] = _bin_block(
            scores[start : start + rows], n_bins, from_logits, version
        )

    map_blocks(work, range(0, scores.shape[0], rows))
    return out


def _bin_block(
    scores: NDArray[Any], n_bins: int, from_logits: bool, version: int
) -> NDArray[np.intp]:
    """Bins of one block: a float32 logit gives a first guess; every guess is then
    checked against the edges and a wrong one settled by a binary search, so rounding
    never misplaces a score.  Float32 scores are checked against the float32 ceilings
    of the edges, which for them means exactly the same as the float64 edges."""
    edges = _block_edges(n_bins, from_logits, version, scores.dtype == np.float32)
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
            span = LOGIT_RANGE if version == 1 else 1.0
            if version != 1:
                z = _grid_of_logit(z)
            step = np.float32((inner - 1) / (2 * span))
            position = np.clip((z + np.float32(span)) * step, -1, inner - 1)
            guess = np.floor(position).astype(np.intp) + 1
    flat_guess = guess.ravel()
    flat_scores = scores.ravel()
    # Only the guesses that were wrong are searched, so the fix-up costs one full pass;
    # probabilities that round to 1 in float32 may sit many bins below their guess.
    wrong = np.flatnonzero(
        (flat_scores < edges[flat_guess]) | (flat_scores >= edges[flat_guess + 1])
    )
    if wrong.size:
        flat_guess[wrong] = np.searchsorted(edges, flat_scores[wrong], side="right") - 1
    return flat_guess.reshape(scores.shape)
