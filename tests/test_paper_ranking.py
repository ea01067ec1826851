"""The reproduction's DeLong table and reliability figure, against delong_test called directly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import multilabel_attr as ml
from multilabel_attr.paper._compute import ModelRun
from multilabel_attr.paper._ranking import (
    delong_comparison,
    delong_markdown,
    delong_summary,
    reliability_figure,
    write_reliability_figure,
)
from multilabel_attr.paper._report import write_report

NAMES = ("Smiling", "Male", "Bald", "Wearing_Hat")


def _runs() -> dict[str, ModelRun]:
    rng = np.random.default_rng(2)
    y = (rng.random((300, len(NAMES))) < [0.5, 0.4, 0.03, 0.05]).astype(np.float32)
    y[:, 2] = 0  # one class only: its AUROC is undefined, the table says n/a
    cnn = np.clip(0.4 * y + 0.6 * rng.random(y.shape), 0, 1).astype(np.float32)
    transfer = np.clip(0.2 * y + 0.8 * rng.random(y.shape), 0, 1).astype(np.float32)
    t = np.full(len(NAMES), 0.5)
    return {
        "CNN": ModelRun("CNN", y, cnn, y, cnn, t, t, {}),
        # The transfer model was scored on more test images; the comparison uses the first 300.
        "Transfer model": ModelRun(
            "Transfer model", y, transfer, np.vstack([y, y[:20]]),
            np.vstack([transfer, transfer[:20]]), t, t, {},
        ),
    }  # fmt: skip


def test_delong_table_equals_delong_test_and_is_written(tmp_path: Path) -> None:
    runs = _runs()
    with pytest.warns(ml.UndefinedMetricWarning, match="Bald"):
        comparison = delong_comparison(runs, 300, NAMES)
    cnn, transfer = runs["CNN"], runs["Transfer model"]
    with pytest.warns(ml.UndefinedMetricWarning, match="Bald"):
        expected = ml.delong_test(cnn.y_test, cnn.s_test, transfer.s_test[:300], label_names=NAMES)
    text = delong_markdown(comparison, 300)
    for j, name in enumerate(NAMES):
        row = next(line for line in text.splitlines() if line.startswith(f"| {name} |"))
        if j == 2:
            assert row == f"| {name} | n/a | n/a | n/a | n/a | n/a |"
            continue
        assert row == (
            f"| {name} | {expected.auroc_a[j]:.4f} | {expected.auroc_b[j]:.4f} | "
            f"{expected.difference[j]:+.4f} | [{expected.low[j]:+.4f}, {expected.high[j]:+.4f}] | "
            f"{expected.p_value[j]:.3g} |"
        )
    assert "same 300 test images" in text
    write_report(tmp_path, text, {"delong": delong_summary(comparison)})
    written = json.loads((tmp_path / "report.json").read_text())["delong"]["attributes"]
    assert written["Bald"]["p_value"] is None
    for j, name in enumerate(NAMES):
        if j == 2:
            continue
        entry = written[name]
        assert entry["auroc_a"] == expected.auroc_a[j]
        assert entry["difference"] == expected.difference[j]
        assert entry["interval"] == [expected.low[j], expected.high[j]]
        assert entry["p_value"] == expected.p_value[j]
    assert "AUROC per attribute" in (tmp_path / "report.md").read_text()


def test_reliability_figure_draws_both_models(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    runs = _runs()
    figure = reliability_figure(runs, NAMES)
    panels = [ax for ax in figure.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["Smiling", "Male", "Wearing_Hat"]
    for name, run in runs.items():
        curve = ml.calibration_curve(run.y_test[:300], run.s_test[:300], n_bins=10)
        line = next(a for a in panels[1].get_children() if a.get_gid() == f"reliability:{name}")
        np.testing.assert_array_equal(line.get_ydata(), curve.observed_rate[1][curve.weight[1] > 0])
    (path,) = write_reliability_figure(runs, NAMES, tmp_path / "figures")
    assert path == tmp_path / "figures" / "reliability.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
