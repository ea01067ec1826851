"""The reproduction by group: each attribute's F1, TPR and FPR by ``Male`` and by ``Young``.

The model's test scores and tuned thresholds are evaluated again, sliced by one attribute at
a time ([`bootstrap_report`][multilabel_attr.bootstrap_report] with ``groups``): the slicing
attribute is left out, the other 39 are compared between its two groups.  The
equal-opportunity gap is the difference of TPR between the groups; the equalized-odds gap is
the larger of the TPR and FPR differences.  Intervals come from the same paired replicates
as the slices (the FPR gap's interval is the specificity gap's: FPR is 1 - specificity, so
the two differences are equal).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core import SlicedReport, bootstrap_report
from ..core._internal import markdown_table, markdown_text

FACTORS: tuple[str, ...] = ("Male", "Young")
"""The attributes the reproduction slices by, one at a time."""


@dataclass(frozen=True)
class SubgroupTables:
    """One model's sliced reports, by slicing attribute."""

    model: str
    reports: dict[str, SlicedReport]

    def rows(self, factor: str) -> list[dict[str, Any]]:
        """One row per attribute: F1, TPR and FPR in each group, the gaps and their intervals."""
        report = self.reports[factor]
        groups = report.groups
        tpr, spec = report.disparity("recall"), report.disparity("specificity")
        rows = []
        for j, label in enumerate(report.overall.label_names):
            row: dict[str, Any] = {"attribute": label}
            for name in groups:
                per_label = report.reports[name].per_label
                row[f"f1 {name}"] = per_label["f1"][j]
                row[f"tpr {name}"] = per_label["recall"][j]
                row[f"fpr {name}"] = 1.0 - per_label["specificity"][j]
            eo, fpr_gap = tpr.gaps["difference"][j], spec.gaps["difference"][j]
            row["equal_opportunity_gap"] = eo
            row["equal_opportunity_interval"] = _interval(tpr, j)
            row["fpr_gap"] = fpr_gap
            row["fpr_gap_interval"] = _interval(spec, j)
            row["equalized_odds_gap"] = math.nan if math.isnan(eo + fpr_gap) else max(eo, fpr_gap)
            rows.append(row)
        return rows

    def numbers(self) -> dict[str, Any]:
        """The tables as they go into ``report.json``."""
        return {
            "model": self.model,
            "by": {factor: self.rows(factor) for factor in self.reports},
            "sizes": {factor: report.sizes for factor, report in self.reports.items()},
        }


def _interval(disparity: Any, j: int) -> tuple[float, float]:
    found = disparity.intervals.get("difference")
    return tuple(found[j]) if found else (math.nan, math.nan)


def subgroup_tables(
    model: str,
    y_test: NDArray[Any],
    s_test: NDArray[Any],
    thresholds: NDArray[np.float64],
    attributes: Sequence[str],
    n_resamples: int,
    seed: int,
    identities: NDArray[np.int64] | None = None,
) -> SubgroupTables:
    """Slice the test scores by each of [`FACTORS`][multilabel_attr.paper.FACTORS]; with
    ``identities`` (one per test image) the bootstrap resamples people, not images."""
    reports = {}
    for factor in (f for f in FACTORS if f in attributes):
        reports[factor] = bootstrap_report(
            y_test, s_test, threshold=thresholds, groups=factor, label_names=list(attributes),
            n_resamples=n_resamples, seed=seed, cluster=identities,
        )  # fmt: skip
    return SubgroupTables(model, reports)


def _fmt(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}"


def _with_interval(value: float, interval: tuple[float, float]) -> str:
    if math.isnan(interval[0]):
        return _fmt(value)
    return f"{_fmt(value)} [{_fmt(interval[0])}, {_fmt(interval[1])}]"


def subgroup_markdown(tables: SubgroupTables, synthetic: bool, level: float = 0.95) -> str:
    """Section 5 of ``report.md``: one table per slicing attribute."""
    lines = [
        "### 5. By group",
        "",
        f"{tables.model}, test images, tuned thresholds, sliced by one attribute at a time "
        "(that attribute left out of its own slices). Equal opportunity: the TPR difference "
        "between the groups; equalized odds: the larger of the TPR and FPR differences; "
        f"brackets are {level:.0%} bootstrap intervals from the same replicates.",
    ]
    if synthetic:
        lines += ["", "> These numbers are **synthetic** (drawn faces, not CelebA photographs)."]
    for factor, report in tables.reports.items():
        groups = report.groups
        header = ["Attribute"]
        for metric in ("F1", "TPR", "FPR"):
            header += [f"{metric} {name}" for name in groups]
        header += ["Equal opportunity gap", "FPR gap", "Equalized odds gap"]
        sizes = ", ".join(f"{name}: {report.sizes[name]} images" for name in groups)
        lines += ["", markdown_text(f"**By {factor}** ({sizes})"), ""]
        rows = []
        for row in tables.rows(factor):
            cells = [row["attribute"]]
            for metric in ("f1", "tpr", "fpr"):
                cells += [_fmt(row[f"{metric} {name}"]) for name in groups]
            cells += [
                _with_interval(row["equal_opportunity_gap"], row["equal_opportunity_interval"]),
                _with_interval(row["fpr_gap"], row["fpr_gap_interval"]),
                _fmt(row["equalized_odds_gap"]),
            ]
            rows.append(cells)
        lines.append(markdown_table(header, rows))
    return "\n".join(lines) + "\n"


def plot_subgroup_gaps(tables: SubgroupTables) -> Any:
    """A figure: each attribute's equal-opportunity gap with its interval, one panel per
    slicing attribute (matplotlib)."""
    import matplotlib.pyplot as plt

    factors = list(tables.reports)
    rows = {factor: tables.rows(factor) for factor in factors}
    n = max(len(r) for r in rows.values())
    fig, axes = plt.subplots(1, len(factors), figsize=(5 * len(factors), 0.22 * n + 1.5),
                             squeeze=False)  # fmt: skip
    for ax, factor in zip(axes[0], factors):
        data = rows[factor]
        gaps = np.array([r["equal_opportunity_gap"] for r in data])
        lows = np.array([r["equal_opportunity_interval"][0] for r in data])
        highs = np.array([r["equal_opportunity_interval"][1] for r in data])
        position = np.arange(len(data))
        ax.barh(position, gaps, color="#4c78a8")
        defined = ~np.isnan(lows)
        # A percentile interval of a gap need not contain the point estimate: drawn as a
        # segment of its own rather than as error bars around the bar's end.
        ax.hlines(position[defined], lows[defined], highs[defined], color="black", linewidth=1)
        ax.set_yticks(position, [r["attribute"] for r in data], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("TPR difference between groups (equal opportunity)")
        ax.set_title(f"By {factor}")
    fig.tight_layout()
    return fig


def write_subgroup_figure(tables: SubgroupTables, figures_dir: Path) -> list[Path]:
    """Save the gap figure under ``figures_dir`` (nothing without matplotlib)."""
    try:
        from .. import plots
    except ImportError:  # matplotlib is optional
        return []
    path = figures_dir / "subgroup_gaps.png"
    plots.save_figure(plot_subgroup_gaps(tables), path)
    return [path]


def subgroup_summary(tables: SubgroupTables, synthetic: bool) -> Mapping[str, Any]:
    """The ``subgroups`` entry of ``report.json``."""
    return {**tables.numbers(), "synthetic": synthetic}
