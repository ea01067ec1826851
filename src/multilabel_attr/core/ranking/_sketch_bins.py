"""The bin layout of [`ScoreSketch`][multilabel_attr.ScoreSketch]: edges and the bin of a score.

A pure function of ``(n_bins, from_logits, version)``, so any two sketches with the
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

EDGES_VERSION = 2
"""Version of the bin layout of new sketches; part of every saved sketch and checked on merge."""

EDGES_VERSIONS = (1, 2)
"""Every layout version a sketch can hold (older ones stay loadable)."""

LOGIT_RANGE = 10.0
"""Half-width of the logit interval covered by the inner bins (layout version 1)."""

SINH_REACH = 74.0
"""Largest inner edge, as a logit, of layout version 2.

As a probability, ``sigmoid(x)`` rounds to 1 in float64 above about ``x = 36.7``:
the few edges beyond are all 1 and their bins stay empty, since such scores are
exact ties at 1 that the top bin holds as one value.  Logits keep every edge."""


_BIN_BLOCK_CELLS = 1 << 20


_SINH_SPAN = float(np.arcsinh(SINH_REACH))
"""Half-width ``U`` of the uniform grid in ``u``, with ``logit = sinh(u)`` (version 2)."""


def sketch_edges(n_bins: int, from_logits: bool, version: int = EDGES_VERSION) -> FloatArray:
    """The ``n_bins + 1`` bin boundaries, ``-inf`` and ``+inf`` included.

    Version 1: inner edges uniform in logit over ``[-10, 10]``.  Version 2: inner
    edges at ``logit = sinh(u)`` for ``u`` uniform over ``[-U, U]`` with
    ``sinh(U) = 74``: about twice as fine as version 1 near logit 0, wider in the
    tails, so the scores of confident models are still ordered far out.  Probability
    edges are the sigmoids of the logit edges.
    """
    if n_bins == 2:
        inner = np.zeros(1)
    elif version == 1:
        inner = np.linspace(-LOGIT_RANGE, LOGIT_RANGE, n_bins - 1)
    else:
        inner = np.sinh(np.linspace(-_SINH_SPAN, _SINH_SPAN, n_bins - 1))
    if not from_logits:
        inner = 1.0 / (1.0 + np.exp(-inner))
    return np.concatenate([[-np.inf], inner, [np.inf]])


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
    edges: NDArray[Any] = sketch_edges(n_bins, from_logits, version)
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
            span = LOGIT_RANGE if version == 1 else _SINH_SPAN
            if version != 1:
                z = np.arcsinh(z)
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
