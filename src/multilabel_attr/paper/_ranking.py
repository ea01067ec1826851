"""The two models' ranking per attribute: DeLong's paired AUROC test and a reliability figure.

Both models are scored on the same test images, so their AUROCs are compared with
DeLong's paired test ([`delong_test`][multilabel_attr.delong_test]), which accounts for the
correlation between the two models' rankings of the same images.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..core import DeLongComparison, calibration_curve, delong_test
from ..core._internal import markdown_table
from ._compute import ModelRun

RELIABILITY_ATTRIBUTES = ("Smiling", "Male", "Eyeglasses", "Wearing_Hat")
"""The attributes of the reliability figure: common, rare and in between."""


def delong_comparison(
    runs: Mapping[str, ModelRun], n_common: int, attributes: tuple[str, ...]
) -> DeLongComparison:
    """CNN against the transfer model per attribute, on their first ``n_common`` test images."""
    cnn, transfer = runs["CNN"], runs["Transfer model"]
    return delong_test(
        cnn.y_test[:n_common], cnn.s_test[:n_common], transfer.s_test[:n_common],
        label_names=attributes,
    )  # fmt: skip


def _cell(value: float, digits: int = 4, signed: bool = False) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def delong_markdown(comparison: DeLongComparison, n_common: int) -> str:
    """The report's section: one row per attribute, AUROCs, difference, interval, p-value."""
    level = f"{comparison.confidence_level:.0%}"
    lines = [
        "### AUROC per attribute: DeLong's paired test",
        "",
        f"CNN − Transfer model on the same {n_common} test images; the interval is DeLong's "
        f"normal {level} interval of the difference and the p-value that of equal AUROCs "
        "(images treated as independent; n/a: an attribute with one class in the test images).",
        "",
    ]
    header = ["Attribute", "AUROC CNN", "AUROC Transfer model", "Difference", f"{level} CI",
              "p-value"]  # fmt: skip
    body = []
    for j, name in enumerate(comparison.label_names):
        interval = (
            "n/a" if math.isnan(comparison.low[j])
            else f"[{_cell(comparison.low[j], signed=True)}, "
            f"{_cell(comparison.high[j], signed=True)}]"
        )  # fmt: skip
        p_value = "n/a" if math.isnan(comparison.p_value[j]) else f"{comparison.p_value[j]:.3g}"
        body.append([
            name, _cell(comparison.auroc_a[j]), _cell(comparison.auroc_b[j]),
            _cell(comparison.difference[j], signed=True), interval, p_value,
        ])  # fmt: skip
    lines.append(markdown_table(header, body))
    return "\n".join(lines) + "\n"


def delong_summary(comparison: DeLongComparison) -> dict[str, Any]:
    """The ``delong`` entry of ``report.json`` (``nan`` becomes ``null`` when written)."""
    return {
        "model_a": "CNN",
        "model_b": "Transfer model",
        "confidence_level": comparison.confidence_level,
        "attributes": {
            name: {
                "auroc_a": float(comparison.auroc_a[j]),
                "auroc_b": float(comparison.auroc_b[j]),
                "difference": float(comparison.difference[j]),
                "std_error": float(comparison.std_error[j]),
                "interval": [float(comparison.low[j]), float(comparison.high[j])],
                "p_value": float(comparison.p_value[j]),
            }
            for j, name in enumerate(comparison.label_names)
        },
    }


def reliability_figure(runs: Mapping[str, ModelRun], attributes: tuple[str, ...]) -> Any:
    """Both models' reliability diagrams of a few attributes, on the same test images."""
    from .. import plots

    n_common = min(run.y_test.shape[0] for run in runs.values())
    curves = {
        name: calibration_curve(run.y_test[:n_common], run.s_test[:n_common], n_bins=10)
        for name, run in runs.items()
    }
    shown = [a for a in RELIABILITY_ATTRIBUTES if a in attributes] or list(attributes[:4])
    return plots.plot_reliability_diagram(
        curves, labels=shown, label_names=attributes,
        title="Reliability on the test images, both models",
    )  # fmt: skip


def write_reliability_figure(
    runs: Mapping[str, ModelRun], attributes: tuple[str, ...], figures_dir: Path
) -> list[Path]:
    """Save the reliability figure under ``figures_dir`` (nothing without matplotlib)."""
    try:
        from .. import plots
    except ImportError:  # matplotlib is optional
        return []
    path = figures_dir / "reliability.png"
    plots.save_figure(reliability_figure(runs, attributes), path)
    return [path]
