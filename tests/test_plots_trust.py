"""Reliability diagrams and ROC/PR figures: the drawn data against scipy and scikit-learn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("matplotlib")
import matplotlib.image as mpimg

import multilabel_attr as ml
from multilabel_attr.plots import (
    plot_pr_curves,
    plot_reliability_diagram,
    plot_roc_curves,
    save_figure,
)

stats = pytest.importorskip("scipy.stats")
sk = pytest.importorskip("sklearn.metrics")

NAMES = ["Smiling", "Bald", "Young", "Eyeglasses"]


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    y = (rng.random((400, len(NAMES))) < [0.5, 0.1, 0.7, 0.2]).astype(int)
    s = np.round(np.clip(0.4 * y + 0.6 * rng.random(y.shape), 0, 1), 3)
    return y, s


def _by_gid(ax: Any, gid: str) -> Any:
    found = [a for a in ax.get_children() if a.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0]


def _panels(fig: Any) -> list[Any]:
    return [ax for ax in fig.axes if ax.get_title()]


@pytest.mark.parametrize("band", ["wilson", "clopper-pearson"])
def test_reliability_diagram_draws_the_curve_and_scipy_bands(data: Any, band: str) -> None:
    y, s = data
    curve = ml.calibration_curve(y, s, n_bins=6)
    fig = plot_reliability_diagram(curve, band=band, confidence_level=0.9, label_names=NAMES)
    panels = _panels(fig)
    assert [ax.get_title() for ax in panels] == NAMES
    method = {"wilson": "wilson", "clopper-pearson": "exact"}[band]
    for j, ax in enumerate(panels):
        filled = curve.weight[j] > 0
        line = _by_gid(ax, "reliability:")
        np.testing.assert_array_equal(line.get_xdata(), curve.mean_score[j][filled])
        np.testing.assert_array_equal(line.get_ydata(), curve.observed_rate[j][filled])
        segments = _by_gid(ax, "band:").get_segments()
        for segment, b in zip(segments, np.flatnonzero(filled), strict=True):
            n = int(curve.weight[j, b])
            k = round(curve.observed_rate[j, b] * n)
            ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.9, method=method)
            np.testing.assert_allclose(segment[:, 1], [ci.low, ci.high], rtol=0, atol=1e-12)
            assert segment[0, 0] == segment[1, 0] == curve.mean_score[j, b]
        hist = next(a for a in fig.axes if a is not ax and a.bbox.bounds == ax.bbox.bounds
                    and _has_gid(a, "weights:"))  # fmt: skip
        np.testing.assert_allclose(
            _by_gid(hist, "weights:").get_data().values, curve.weight[j] / len(y), atol=1e-15
        )


def _has_gid(ax: Any, gid: str) -> bool:
    return any(a.get_gid() == gid for a in ax.get_children())


def test_reliability_diagram_overlays_models_from_states_and_renders(
    data: Any, tmp_path: Path
) -> None:
    y, s = data
    states = {
        "model A": ml.CalibrationState(4, n_bins=5, label_names=NAMES).update(y, s),
        "model B": ml.CalibrationState(4, n_bins=5, label_names=NAMES).update(y, s**2),
    }
    fig = plot_reliability_diagram(states, labels=["Bald", "Young"], band=None)
    panels = _panels(fig)
    assert [ax.get_title() for ax in panels] == ["Bald", "Young"]
    for name, state in states.items():
        curve = state.calibration_curve()
        line = _by_gid(panels[1], f"reliability:{name}")
        np.testing.assert_array_equal(line.get_ydata(), curve.observed_rate[2][curve.weight[2] > 0])
    assert not _has_gid(panels[0], "band:model A")
    path = save_figure(fig, tmp_path / "reliability.png")
    image = mpimg.imread(path)
    assert image.shape[1] >= 300 and float(np.var(image[..., :3])) > 0


def test_reliability_diagram_rejects_bad_arguments(data: Any) -> None:
    y, s = data
    curve = ml.calibration_curve(y, s)
    with pytest.raises(ValueError, match="band must be one of 'wilson'"):
        plot_reliability_diagram(curve, band="normal")
    with pytest.raises(ValueError, match="confidence_level must be in"):
        plot_reliability_diagram(curve, confidence_level=1.5)
    with pytest.raises(TypeError, match="curve_or_state must be a ReliabilityCurve"):
        plot_reliability_diagram(s)
    with pytest.raises(ValueError, match="same labels"):
        plot_reliability_diagram({"a": curve, "b": ml.calibration_curve(y[:, :2], s[:, :2])})


def test_roc_and_pr_figures_draw_sklearn_curves_and_mark_operating_points(data: Any) -> None:
    y, s = data
    points = ml.operating_points(y, s, ["recall@precision>=0.8", "sensitivity@specificity>=0.9"])
    rp, ss = points["recall@precision>=0.8"], points["sensitivity@specificity>=0.9"]
    roc_fig = plot_roc_curves(y, s, points=[rp, ss], label_names=NAMES)
    pr_fig = plot_pr_curves(y, s, points=rp, label_names=NAMES)
    for j, (roc_ax, pr_ax) in enumerate(zip(_panels(roc_fig), _panels(pr_fig), strict=True)):
        fpr, tpr, _ = sk.roc_curve(y[:, j], s[:, j], drop_intermediate=False)
        line = _by_gid(roc_ax, "curve:roc")
        np.testing.assert_allclose(line.get_xdata(), fpr, rtol=0, atol=1e-12)
        np.testing.assert_allclose(line.get_ydata(), tpr, rtol=0, atol=1e-12)
        precision, recall, _ = sk.precision_recall_curve(y[:, j], s[:, j])
        line = _by_gid(pr_ax, "curve:pr")
        np.testing.assert_allclose(line.get_xdata(), recall, rtol=0, atol=1e-12)
        np.testing.assert_allclose(line.get_ydata(), precision, rtol=0, atol=1e-12)
        # recall@precision: (recall, precision) = (value, achieved) on the PR curve;
        # sensitivity@specificity: (1 - specificity, sensitivity) on the ROC curve.
        marked = _by_gid(pr_ax, f"point:{rp.constraint}").get_offsets()[0]
        np.testing.assert_allclose(marked, [rp.values[j], rp.achieved[j]], atol=1e-12)
        marked = _by_gid(roc_ax, f"point:{ss.constraint}").get_offsets()[0]
        np.testing.assert_allclose(marked, [1 - ss.achieved[j], ss.values[j]], atol=1e-12)
        texts = [t.get_text() for t in roc_ax.get_legend().get_texts()]
        assert texts == [f"{rp.constraint}: t = {rp.thresholds[j]:.4g}",
                         f"{ss.constraint}: t = {ss.thresholds[j]:.4g}"]  # fmt: skip


def test_curve_figures_reject_points_of_other_scores(data: Any) -> None:
    y, s = data
    eer = ml.operating_points(y, s * 0.9999, "eer")["eer"]
    with pytest.raises(ValueError, match="not one of its scores"):
        plot_roc_curves(y, s, points=eer)
    with pytest.raises(TypeError, match="points must be an OperatingPoints"):
        plot_pr_curves(y, s, points={"eer": eer})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="has 2 labels"):
        plot_pr_curves(y, s, points=ml.operating_points(y[:, :2], s[:, :2], "eer")["eer"])
