"""The reproduction's calibration table: ECE, Brier score and log loss per model, with intervals.

Each number is the mean over the attributes of the per-attribute value, and its
95% interval is the percentile interval of that mean over the bootstrap's
resamples (whole identities when the identity file is present, as in the
corrected table).  Every resample's per-attribute values are those of the
one-shot functions with the resample's multiplicities as sample weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core import brier_score, expected_calibration_error, log_loss
from ..core._internal import calibration_replicates, markdown_table, percentile_bounds
from ._compute import ModelRun

CALIBRATION_ROWS: dict[str, str] = {
    "ECE (15 bins)": "ece",
    "Brier score": "brier",
    "Log loss": "log_loss",
}
"""Each row of the calibration table and the replicate column that holds it."""


@dataclass(frozen=True)
class CalibrationTable:
    """Per model and row: the mean over attributes and its bootstrap interval."""

    values: dict[str, dict[str, float]]
    intervals: dict[str, dict[str, tuple[float, float]]]
    n_resamples: int
    n_identities: int | None

    def numbers(self) -> dict[str, Any]:
        """The table as it goes into ``report.json``."""
        return {
            "average": "mean over attributes",
            "bootstrap_unit": "image" if self.n_identities is None else "identity",
            "n_resamples": self.n_resamples,
            "values": self.values,
            "intervals": {
                model: {row: list(bounds) for row, bounds in rows.items()}
                for model, rows in self.intervals.items()
            },
        }


def calibration_table(
    runs: Mapping[str, ModelRun],
    n_common: int,
    n_resamples: int,
    seed: int,
    identities: NDArray[np.int64] | None = None,
) -> CalibrationTable:
    """Both models' calibration on the same ``n_common`` test images."""
    cluster = None if identities is None else np.asarray(identities)[:n_common]
    values: dict[str, dict[str, float]] = {}
    intervals: dict[str, dict[str, tuple[float, float]]] = {}
    for name, run in runs.items():
        y, s = run.y_test[:n_common], run.s_test[:n_common]
        points = {
            "ece": expected_calibration_error(y, s),
            "brier": brier_score(y, s),
            "log_loss": log_loss(y, s),
        }
        replicates = calibration_replicates(
            y, s, n_resamples=n_resamples, seed=seed, cluster=cluster
        )
        values[name], intervals[name] = {}, {}
        for row, column in CALIBRATION_ROWS.items():
            mean = np.nanmean(replicates[column], axis=1)
            low, high = percentile_bounds(mean[:, None], 0.95)
            values[name][row] = float(points[column])
            intervals[name][row] = (float(low[0]), float(high[0]))
    n_identities = None if cluster is None else int(np.unique(cluster).size)
    return CalibrationTable(values, intervals, n_resamples, n_identities)


def calibration_markdown(table: CalibrationTable) -> str:
    """The calibration section of ``report.md``."""
    models = list(table.values)
    unit = "identities" if table.n_identities is not None else "images"
    lines = [
        "## Calibration",
        "",
        "Mean over the attributes of each attribute's calibration error; brackets are 95% "
        f"bootstrap intervals ({table.n_resamples} resamples of {unit}). Lower is better.",
        "",
    ]
    body = []
    for row in CALIBRATION_ROWS:
        cells = [row]
        for model in models:
            low, high = table.intervals[model][row]
            cells.append(f"{table.values[model][row]:.4f} [{low:.4f}, {high:.4f}]")
        body.append(cells)
    lines.append(markdown_table(["", *models], body))
    return "\n".join(lines) + "\n"
