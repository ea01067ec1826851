"""Computing the reproduction's tables from the two models' scores (no text, no files)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core import MultilabelCounts, PairedComparison, Report, bootstrap_report, paired_bootstrap
from ._protocols import Protocol
from ._tables import corrected_column, majority_baseline, papers_way_table

ROW_KEYS: dict[str, str] = {
    "Recall": "recall_samples",
    "Precision": "precision_samples",
    "F1 Measure": "f1_samples",
    "Hamming Score": "hamming_score",
    "Hamming Loss": "hamming_loss",
}
"""Each row of the corrected table and the report key that holds it."""


@dataclass
class ModelRun:
    """One model's scores and thresholds."""

    name: str
    y_val: NDArray[np.float32]
    s_val: NDArray[np.float32]
    y_test: NDArray[np.float32]
    s_test: NDArray[np.float32]
    grid_thresholds: NDArray[np.float64]
    exact_thresholds: NDArray[np.float64]
    history: dict[str, list[float]]
    notes: list[str] = field(default_factory=list)


@dataclass
class CorrectedTables:
    """The numbers of tables 3 and 4: same test images, tuned thresholds, intervals."""

    n_common: int
    columns: dict[str, dict[str, float]]
    intervals: dict[str, dict[str, tuple[float, float]]]
    paired: dict[str, PairedComparison]
    baseline_rows: dict[str, dict[str, float]]
    reports: dict[str, Report]
    mean_balanced: float
    validation_gain: dict[str, dict[str, float]]
    n_identities: int | None = None
    """Identities resampled by the cluster bootstrap (None: images resampled one by one)."""

    @property
    def majority(self) -> dict[str, float]:
        """The majority-class baseline's column."""
        return self.baseline_rows["Majority class"]

    def numbers(self) -> dict[str, Any]:
        """The tables' numbers as they go into ``report.json``."""
        cnn, majority = self.columns["CNN"], self.majority
        return {
            "n_common_test": self.n_common,
            "bootstrap_unit": "image" if self.n_identities is None else "identity",
            "n_identities_test": self.n_identities,
            "corrected": self.columns,
            "intervals": {
                k: {r: list(v) for r, v in iv.items()} for k, iv in self.intervals.items()
            },
            "paired": {k: asdict(v) for k, v in self.paired.items()},
            "baselines": self.baseline_rows,
            "cnn_margin_over_majority": {
                "f1_samples": cnn["F1 Measure"] - majority["F1 Measure"],
                "hamming_loss": majority["Hamming Loss"] - cnn["Hamming Loss"],
                "mean_balanced_accuracy": self.mean_balanced - 0.5,
            },
            "validation_f1_gain_exact_vs_grid": self.validation_gain,
        }


def papers_way_tables(runs: Mapping[str, ModelRun]) -> dict[str, dict[str, float]]:
    """Table 2: each model the paper's way (the CNN's Hamming score on grid thresholds)."""
    cnn, transfer = runs["CNN"], runs["Transfer model"]
    return {
        "CNN": papers_way_table(cnn.y_test, cnn.s_test, tuned_thresholds=cnn.grid_thresholds),
        "Transfer model": papers_way_table(transfer.y_test, transfer.s_test),
    }


def corrected_tables(
    runs: Mapping[str, ModelRun],
    y_train: NDArray[Any],
    protocol: Protocol,
    seed: int,
    attributes: tuple[str, ...],
    identities: NDArray[np.int64] | None = None,
) -> CorrectedTables:
    """Tables 3 and 4: both models on the same test images with tuned thresholds.

    With ``identities`` (the test split's identity per image, in file order) the
    bootstrap resamples identities: a person's images are not independent.
    """
    cnn, transfer = runs["CNN"], runs["Transfer model"]
    n_common = min(cnn.y_test.shape[0], transfer.y_test.shape[0])
    y_common = cnn.y_test[:n_common]
    if not np.array_equal(y_common, transfer.y_test[:n_common]):
        raise RuntimeError("the two models' test subsets do not start with the same images")
    cluster = None if identities is None else np.asarray(identities)[:n_common]
    reports: dict[str, Report] = {}
    columns: dict[str, dict[str, float]] = {}
    intervals: dict[str, dict[str, tuple[float, float]]] = {}
    for name, run in runs.items():
        report = bootstrap_report(
            y_common, run.s_test[:n_common], threshold=run.exact_thresholds,
            n_resamples=protocol.bootstrap_resamples, seed=seed, label_names=attributes,
            cluster=cluster,
        )  # fmt: skip
        reports[name] = report
        columns[name] = {row: report.summary[key] for row, key in ROW_KEYS.items()}
        intervals[name] = {row: report.intervals[key] for row, key in ROW_KEYS.items()}
    paired = paired_bootstrap(
        y_common, cnn.s_test[:n_common], transfer.s_test[:n_common],
        threshold_a=cnn.exact_thresholds, threshold_b=transfer.exact_thresholds,
        metrics=list(ROW_KEYS.values()), n_resamples=protocol.bootstrap_resamples, seed=seed,
        cluster=cluster,
    )  # fmt: skip
    # Baselines: majority class per label, and grid vs exact thresholds.
    majority = majority_baseline(y_train, n_common)
    baseline_rows = {
        "Majority class": corrected_column(MultilabelCounts.from_batch(y_common, majority))
    }
    for name, run in runs.items():
        for label, thresholds in (
            ("paper's grid", run.grid_thresholds),
            ("exact optimizer", run.exact_thresholds),
        ):
            counts = MultilabelCounts.from_batch(
                y_common, run.s_test[:n_common], threshold=thresholds
            )
            baseline_rows[f"{name}, {label}"] = corrected_column(counts)
    balanced = reports["CNN"].per_label["balanced_accuracy"]
    return CorrectedTables(
        n_common=n_common,
        columns=columns,
        intervals=intervals,
        paired=paired,
        baseline_rows=baseline_rows,
        reports=reports,
        mean_balanced=float(np.nanmean(balanced)),
        validation_gain={name: validation_f1_gain(run) for name, run in runs.items()},
        n_identities=None if cluster is None else int(np.unique(cluster).size),
    )


def validation_f1_gain(run: ModelRun) -> dict[str, float]:
    """Validation F1 per label, exact optimizer minus the paper's grid: min, median, max."""
    from ..core import f1_score

    grid = f1_score(run.y_val, run.s_val, threshold=run.grid_thresholds, average=None,
                    zero_division=0)  # fmt: skip
    exact = f1_score(run.y_val, run.s_val, threshold=run.exact_thresholds, average=None,
                     zero_division=0)  # fmt: skip
    diff = exact - grid
    return {"min": float(diff.min()), "median": float(np.median(diff)), "max": float(diff.max())}

