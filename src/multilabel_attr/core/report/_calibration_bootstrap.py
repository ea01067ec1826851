"""Calibration errors of every bootstrap replicate: ECE, Brier score and log loss per label.

All three are linear in the sample weights before their last division: the Brier
and log-loss sums are one matrix product of the replicates' weights with the
per-cell losses, and each equal-width bin's gap ``score_sum - label_sum`` is a
sum of ``weight * (score - label)`` over the bin's rows.  Each label's rows are
sorted by bin once, so a block of replicates gets every bin's gap and weight
from one gather and one segmented sum, and the values follow from the
calibration formulas of the core
([`calibration_error_from_sums`][multilabel_attr.calibration_error_from_sums] and
the mean loss of the sums), as a [`CalibrationState`][multilabel_attr.CalibrationState]
reads them.  The per-cell terms (bins, clipped log loss) are those of the
calibration batch, so every replicate equals the one-shot function with the
replicate's multiplicities as sample weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..calibration._batch import check_calibration_batch
from ..calibration._binning import uniform_index
from ..calibration._functions import brier_score, expected_calibration_error, log_loss
from ..calibration._sums import calibration_error_from_sums, mean_loss_from_sums

FloatArray = NDArray[np.float64]

CALIBRATION_BINS = 15
"""Equal-width bins of the resampled ECE (the default of `expected_calibration_error`)."""

CALIBRATION_COLUMNS = ("ece", "brier", "log_loss")
"""The per-label columns that ``bootstrap_report(..., calibration=True)`` adds."""


@dataclass(frozen=True)
class CalibrationRows:
    """Each label's rows sorted by bin, with their ``score - label``, and the per-cell losses."""

    order: list[NDArray[np.intp]]
    starts: list[NDArray[np.intp]]
    gap: list[FloatArray]
    losses: FloatArray  # (2L, n): squared errors, then log losses, one row per label

    @classmethod
    def of(cls, y_true: Any, y_score: Any, from_logits: bool) -> CalibrationRows:
        batch = check_calibration_batch(
            y_true, y_score, None, from_logits=from_logits, n_labels=None
        )
        probs, truth = batch.probs, batch.truth
        bins = uniform_index(probs, CALIBRATION_BINS)
        order, starts, gap = [], [], []
        for j in range(probs.shape[1]):
            rows = np.argsort(bins[:, j], kind="stable")
            sorted_bins = bins[rows, j]
            order.append(rows)
            starts.append(np.flatnonzero(np.r_[True, sorted_bins[1:] != sorted_bins[:-1]]))
            gap.append(probs[rows, j] - truth[rows, j])
        squared = (probs - truth) ** 2
        clipped = np.clip(probs, batch.eps, 1.0 - batch.eps)
        own = -np.log(np.where(truth, clipped, 1.0 - clipped))
        return cls(order, starts, gap, np.concatenate([squared.T, own.T], axis=0))

    def replicates(self, weight: NDArray[Any]) -> dict[str, FloatArray]:
        """ECE, Brier score and log loss, each (B, L), of the replicate weights (B, n)."""
        weight = np.asarray(weight, np.float64)
        total = weight.sum(axis=1)
        n_labels = len(self.order)
        # The replicates as the columns of the product: BLAS runs the long inner dimension
        # many times faster that way.
        sums = (self.losses @ weight.T).T
        ece = np.empty((weight.shape[0], n_labels))
        for j in range(n_labels):
            drawn = weight[:, self.order[j]]
            # Only the bins holding rows are summed: an empty bin adds nothing to the ECE.
            bin_weight = np.add.reduceat(drawn, self.starts[j], axis=1)
            bin_gap = np.add.reduceat(drawn * self.gap[j], self.starts[j], axis=1)
            ece[:, j] = calibration_error_from_sums(bin_weight, bin_gap, np.zeros_like(bin_gap))
        totals = total[:, None]
        return {
            "ece": ece,
            "brier": np.asarray(mean_loss_from_sums(sums[:, :n_labels], totals)),
            "log_loss": np.asarray(mean_loss_from_sums(sums[:, n_labels:], totals)),
        }


def calibration_columns(
    y_true: Any, y_score: Any, sample_weight: Any, from_logits: bool
) -> dict[str, list[float]]:
    """The point values of the calibration columns, by the one-shot functions."""
    options = {"average": None, "sample_weight": sample_weight, "from_logits": from_logits}
    values = {
        "ece": expected_calibration_error(y_true, y_score, n_bins=CALIBRATION_BINS, **options),
        "brier": brier_score(y_true, y_score, **options),
        "log_loss": log_loss(y_true, y_score, **options),
    }
    return {column: np.asarray(value, np.float64).tolist() for column, value in values.items()}


def calibration_replicates(
    y_true: Any,
    y_score: Any,
    *,
    n_resamples: int,
    seed: int | np.random.Generator | None,
    cluster: Any = None,
    from_logits: bool = False,
) -> dict[str, FloatArray]:
    """ECE, Brier score and log loss of every resample, each (B, L).

    The resamples are those [`bootstrap_report`][multilabel_attr.bootstrap_report] draws
    with the same ``seed`` and ``cluster``, so an average over labels of these replicates
    has the interval that goes with the report's per-label ones.
    """
    from ._bootstrap import _MAX_CELLS_PER_CHUNK, Design  # it builds on this module

    rows = CalibrationRows.of(y_true, y_score, from_logits)
    n_samples = rows.losses.shape[1]
    design = Design.of(None, cluster, n_samples)
    rng = np.random.default_rng(seed)
    chunk = max(1, _MAX_CELLS_PER_CHUNK // n_samples)
    parts = [
        rows.replicates(design.draw(rng, min(chunk, n_resamples - start)))
        for start in range(0, n_resamples, chunk)
    ]
    return {column: np.concatenate([part[column] for part in parts]) for column in parts[0]}
