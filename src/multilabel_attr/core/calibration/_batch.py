"""One batch of labels and scores turned into the calibration state's sums.

Validation happens once, at the public method; the sums are then taken over row
blocks on a thread pool (numpy releases the GIL) and added.

Log loss clips every probability to ``[eps, 1 - eps]``, ``eps`` the machine
epsilon of the scores' floating type (float64 for integer scores, float32's for
float32 scores), as scikit-learn's ``log_loss`` does; logits are turned into
probabilities by the sigmoid in float64 first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validation import check_probabilities
from ..ranking._exact import _validate as validate_scored_batch
from ..ranking._exact import map_blocks
from ..ranking._sketch_bins import bin_index
from ._binning import uniform_index

FloatArray = NDArray[np.float64]

_BLOCK_CELLS = 1 << 17
"""Cells of one block: its temporaries stay in a core's cache (measured fastest)."""


@dataclass(frozen=True)
class CheckedBatch:
    """A validated batch: 0/1 truth, float64 probabilities, weights, the log-loss epsilon and
    the scores as given (logits with ``from_logits``)."""

    truth: NDArray[np.bool_]
    probs: FloatArray
    weights: FloatArray | None
    eps: float
    scores: NDArray[Any]


def check_calibration_batch(
    y_true: Any, y_score: Any, sample_weight: Any, *, from_logits: bool, n_labels: int | None
) -> CheckedBatch:
    """Validate one batch; scores must be probabilities unless ``from_logits``."""
    truth, scores, weights = validate_scored_batch(y_true, y_score, sample_weight)
    if n_labels is not None and truth.shape[1] != n_labels:
        raise ValueError(f"y_true has {truth.shape[1]} labels; this state holds {n_labels}")
    eps = float(np.finfo(scores.dtype if scores.dtype == np.float32 else np.float64).eps)
    if from_logits:
        with np.errstate(over="ignore"):
            probs = 1.0 / (1.0 + np.exp(-scores.astype(np.float64)))
    else:
        check_probabilities(scores, "y_score", purpose="for calibration")
        probs = scores.astype(np.float64, copy=False)
    return CheckedBatch(truth, probs, weights, eps, scores)


@dataclass
class BatchSums:
    """The additive sums of one batch (bins on the last axis)."""

    weight: FloatArray
    score_sum: FloatArray
    label_sum: FloatArray
    brier: FloatArray
    log_loss: FloatArray
    fine: tuple[FloatArray, FloatArray, FloatArray] | None

    def __add__(self, other: BatchSums) -> BatchSums:
        fine = None
        if self.fine is not None and other.fine is not None:
            fine = (
                self.fine[0] + other.fine[0],
                self.fine[1] + other.fine[1],
                self.fine[2] + other.fine[2],
            )
        return BatchSums(
            self.weight + other.weight,
            self.score_sum + other.score_sum,
            self.label_sum + other.label_sum,
            self.brier + other.brier,
            self.log_loss + other.log_loss,
            fine,
        )


def _keyed_sums(
    index: NDArray[np.intp], n_bins: int, probs: FloatArray, truth: FloatArray, w: Any
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-label, per-bin ``(weight, score_sum, label_sum)`` of a block via one key per cell.

    ``index`` (the bins) is turned into the keys in place; ``truth`` holds 0.0 and 1.0.
    """
    n_labels = probs.shape[1]
    index += np.arange(n_labels) * n_bins
    keys = index.ravel()
    size = n_labels * n_bins
    if w is None:
        parts = (
            np.bincount(keys, None, size),
            np.bincount(keys, probs.ravel(), size),
            np.bincount(keys, truth.ravel(), size),
        )
    else:
        column = w[:, None]
        parts = (
            np.bincount(keys, np.broadcast_to(column, probs.shape).ravel(), size),
            np.bincount(keys, (probs * column).ravel(), size),
            np.bincount(keys, (truth * column).ravel(), size),
        )
    shape = (n_labels, n_bins)
    return (
        parts[0].astype(np.float64).reshape(shape),
        parts[1].astype(np.float64).reshape(shape),
        parts[2].astype(np.float64).reshape(shape),
    )


def _block_sums(
    truth: NDArray[np.bool_], probs: FloatArray, w: Any, eps: float, n_bins: int, fine_bins: int
) -> BatchSums:
    # Truth as 0.0/1.0 once: bincount's weights, the Brier residual and the log-loss flip.
    labels = truth.astype(np.float64)
    sums = _keyed_sums(uniform_index(probs, n_bins), n_bins, probs, labels, w)
    fine = None
    if fine_bins:
        fine = _keyed_sums(bin_index(probs, fine_bins, False), fine_bins, probs, labels, w)
    residual = probs - labels
    # The probability given to the true label, |p - (1 - y)|: p itself where y = 1 and
    # 1 - p where y = 0, exactly (one subtraction, no selection between two arrays).
    own = np.clip(probs, eps, 1.0 - eps)
    labels -= 1.0
    own += labels
    np.abs(own, out=own)
    np.log(own, out=own)
    if w is None:
        brier = np.einsum("ij,ij->j", residual, residual)
        # A matrix-vector product sums the columns several times faster than ndarray.sum(axis=0).
        log_loss = -(np.ones(probs.shape[0]) @ own)
    else:
        residual *= residual
        brier = w @ residual
        log_loss = -(w @ own)
    return BatchSums(*sums, np.asarray(brier, np.float64), np.asarray(log_loss, np.float64), fine)


def batch_sums(batch: CheckedBatch, n_bins: int, fine_bins: int) -> BatchSums:
    """The sums of a validated batch, over row blocks on a thread pool."""
    n_rows, n_labels = batch.probs.shape
    rows = max(1, _BLOCK_CELLS // n_labels)
    starts = list(range(0, n_rows, rows))
    parts: list[BatchSums | None] = [None] * len(starts)

    def work(start: int) -> None:
        block = slice(start, start + rows)
        w = None if batch.weights is None else batch.weights[block]
        parts[start // rows] = _block_sums(
            batch.truth[block], batch.probs[block], w, batch.eps, n_bins, fine_bins
        )

    map_blocks(work, starts)
    total = parts[0]
    assert total is not None
    for part in parts[1:]:
        assert part is not None
        total = total + part
    return total
