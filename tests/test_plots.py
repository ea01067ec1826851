"""Figures: rendering to PNG, exactness of the threshold curves, input validation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import matplotlib.image as mpimg
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from multilabel_attr import multilabel_confusion_matrix
from multilabel_attr.core.counts._formulas import formula_by_name
from multilabel_attr.plots import (
    _io,
    plot_confusion_grid,
    plot_label_prevalence,
    plot_metric_comparison,
    plot_threshold_curves,
    plot_training_curves,
    save_figure,
)
from multilabel_attr.plots._confusion import normalize_confusion
from multilabel_attr.plots._thresholds import threshold_curve

SRC = Path(__file__).resolve().parents[1] / "src"
NAMES = ["Smiling", "Bald", "Young", "Eyeglasses", "Male"]


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y_true = (rng.random((200, len(NAMES))) < [0.5, 0.05, 0.75, 0.1, 0.4]).astype(np.uint8)
    y_score = np.clip(0.35 * y_true + rng.normal(0.3, 0.2, y_true.shape), 0, 1)
    return y_true, y_score


def assert_image(path: Path, min_width: int = 200, min_height: int = 150) -> None:
    """The file is a real, non-blank PNG of plausible size."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = mpimg.imread(path)
    height, width = image.shape[:2]
    assert width >= min_width
    assert height >= min_height
    assert width <= 6000
    assert height <= 6000
    assert float(np.var(image[..., :3])) > 0


def render(fig: Figure, tmp_path: Path, name: str) -> Path:
    assert isinstance(fig, Figure)
    return save_figure(fig, tmp_path / f"{name}.png", dpi=60)


# --------------------------------------------------------------------------- import hygiene


def test_top_level_import_does_not_load_matplotlib() -> None:
    code = "import sys, multilabel_attr; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    assert out.stdout.strip() == "False"


def test_plots_never_touch_pyplot_or_backend() -> None:
    code = (
        "import sys, matplotlib\n"
        "before = dict.__getitem__(matplotlib.rcParams, 'backend')\n"
        "from multilabel_attr.plots import plot_label_prevalence\n"
        "plot_label_prevalence({'a': [0.1, 0.9]}).canvas.draw()\n"
        "print('matplotlib.pyplot' in sys.modules,"
        " dict.__getitem__(matplotlib.rcParams, 'backend') == before)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(SRC), "MPLBACKEND": ""},
    )
    assert out.stdout.split() == ["False", "True"]


# --------------------------------------------------------------------------- prevalence


def test_prevalence_renders_and_sorts(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    names = [f"attribute_{i:02d}" for i in range(40)]
    splits = {s: rng.random(40) for s in ("train", "valid", "test")}
    fig = plot_label_prevalence(splits, names)
    assert_image(render(fig, tmp_path, "prevalence"), min_height=400)
    ax = fig.axes[0]
    rows = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    top_down = sorted(rows, key=lambda name: -rows[name])
    # The most common label of the first split is the top row.
    assert top_down == [names[i] for i in np.argsort(-splits["train"], kind="stable")]
    assert any(line.get_xdata()[0] == 0.5 for line in ax.get_lines())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "valid", "test", "50 %"]


def test_prevalence_unsorted_keeps_order() -> None:
    fig = plot_label_prevalence({"train": [0.1, 0.9, 0.5]}, ["a", "b", "c"], sort=False)
    ticks = fig.axes[0].get_yticklabels()
    top_down = [t.get_text() for t in sorted(ticks, key=lambda t: -t.get_position()[1])]
    assert top_down == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        (([0.1, 0.2],), TypeError, "prevalence_by_split must be a mapping"),
        (({},), ValueError, "prevalence_by_split is empty"),
        (({"train": [0.1, 0.2], "test": [0.1]},), ValueError, r"one value per label \(2\); got 1"),
        (({"train": [10.0, 50.0]},), ValueError, r"fractions in \[0, 1\].*percentages"),
        (({"train": [0.1, np.nan]},), ValueError, "NaN"),
        (({"train": [[0.1, 0.2]]},), ValueError, "must be 1-D"),
        (({"train": ["a", "b"]},), TypeError, "must be numeric"),
        (({"train": [0.1, 0.2]}, ["a"]), ValueError, r"label_names must have one name per label"),
        (({"train": [0.1, 0.2]}, ["a", "a"]), ValueError, "label_names must be unique"),
        (({"train": [0.1, 0.2]}, "ab"), TypeError, "single string"),
    ],
)
def test_prevalence_rejects_bad_input(args: tuple[Any, ...], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        plot_label_prevalence(*args)


# --------------------------------------------------------------------------- confusion grid


@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
def test_confusion_grid_renders(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray], normalize: Any
) -> None:
    y_true, y_score = data
    cm = multilabel_confusion_matrix(y_true, (y_score >= 0.5).astype(np.uint8))
    fig = plot_confusion_grid(cm, NAMES, normalize=normalize)
    assert_image(render(fig, tmp_path, f"confusion_{normalize}"))
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert [ax.get_title() for ax in panels] == NAMES
    texts = [t.get_text() for t in panels[0].texts]
    expected = normalize_confusion(cm.astype(float), normalize)[0].ravel()
    if normalize is None:
        assert texts == [str(int(v)) for v in expected]
    else:
        assert texts == [f"{v:.2f}" for v in expected]


@pytest.mark.parametrize("normalize", ["true", "pred", "all"])
def test_confusion_normalization_matches_sklearn(
    data: tuple[np.ndarray, np.ndarray], normalize: str
) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    y_true, y_score = data
    y_pred = (y_score >= 0.5).astype(np.uint8)
    cm = multilabel_confusion_matrix(y_true, y_pred).astype(float)
    ours = normalize_confusion(cm, normalize)
    for j in range(y_true.shape[1]):
        reference = metrics.confusion_matrix(
            y_true[:, j], y_pred[:, j], labels=[0, 1], normalize=normalize
        )
        np.testing.assert_allclose(ours[j], reference)


def test_confusion_grid_marks_undefined_rates_and_compacts_counts() -> None:
    cm = np.array([[[5, 0], [0, 0]], [[120_000, 3], [2_500_000, 7]]])
    fig = plot_confusion_grid(cm, ["no positives", "big"], normalize="true")
    assert [t.get_text() for t in fig.axes[0].texts] == ["1.00", "0.00", "n/a", "n/a"]
    fig = plot_confusion_grid(cm, ["no positives", "big"], normalize=None)
    assert [t.get_text() for t in fig.axes[1].texts] == ["120.0k", "3", "2.5M", "7"]


@pytest.mark.parametrize(
    ("confusion", "kwargs", "error", "match"),
    [
        (np.zeros((3, 2)), {}, ValueError, r"shape \(n_labels, 2, 2\).*got shape \(3, 2\)"),
        (np.zeros((0, 2, 2)), {}, ValueError, "got shape"),
        (-np.ones((1, 2, 2)), {}, ValueError, "non-negative"),
        (np.full((1, 2, 2), np.nan), {}, ValueError, "finite"),
        (np.ones((1, 2, 2)), {"normalize": "rows"}, ValueError, "normalize must be one of"),
        (np.ones((1, 2, 2)), {"max_columns": 0}, ValueError, "max_columns"),
        (np.ones((2, 2, 2)), {"label_names": ["a"]}, ValueError, "one name per label"),
    ],
)
def test_confusion_grid_rejects_bad_input(
    confusion: Any, kwargs: dict[str, Any], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        plot_confusion_grid(confusion, **kwargs)


# --------------------------------------------------------------------------- metric comparison


def test_metric_comparison_renders_with_intervals(tmp_path: Path) -> None:
    values = {
        "CNN": np.array([0.9, 0.3, np.nan, 0.6]),
        "Transfer": np.array([0.95, 0.5, 0.25, 0.4]),
    }
    lower = {k: v - 0.05 for k, v in values.items()}
    upper = {k: v + 0.05 for k, v in values.items()}
    names = NAMES[:4]
    fig = plot_metric_comparison(
        values, names, lower=lower, upper=upper, metric_name="F1", sort_by="Transfer"
    )
    assert_image(render(fig, tmp_path, "comparison"))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "F1"
    assert ax.get_title() == "F1 per label"
    ticks = ax.get_yticklabels()
    shown = [t.get_text() for t in sorted(ticks, key=lambda t: -t.get_position()[1])]
    assert shown == ["Smiling", "Bald", "Eyeglasses", "Young"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["CNN (mean 0.600)", "Transfer (mean 0.525)"]
    assert "undefined" in [t.get_text() for t in ax.texts]


def test_metric_comparison_all_undefined_model() -> None:
    fig = plot_metric_comparison({"a": [np.nan, np.nan], "b": [0.5, 0.7]})
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["a (mean n/a)", "b (mean 0.600)"]


def test_metric_comparison_signed_metric_is_not_clipped() -> None:
    fig = plot_metric_comparison({"model": [-0.2, 0.5]}, metric_name="MCC")
    low, high = fig.axes[0].get_xlim()
    assert low < -0.2
    assert high > 0.5


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"values": [0.1, 0.2]}, TypeError, "values must be a mapping"),
        ({"values": {"a": [0.1]}, "lower": {"a": [0.0]}}, ValueError, "given together"),
        (
            {"values": {"a": [0.1]}, "lower": {"b": [0.0]}, "upper": {"b": [0.2]}},
            ValueError,
            r"same keys as values \(missing 'a'; unexpected 'b'\)",
        ),
        (
            {"values": {"a": [0.1, 0.2]}, "lower": {"a": [0.0]}, "upper": {"a": [0.2, 0.3]}},
            ValueError,
            r"lower\['a'\] must have one value per label \(2\); got 1",
        ),
        (
            {"values": {"a": [0.5]}, "lower": {"a": [0.6]}, "upper": {"a": [0.4]}},
            ValueError,
            "exceeds upper",
        ),
        ({"values": {"a": [0.5]}, "sort_by": "b"}, ValueError, "sort_by must be one of"),
        ({"values": {"a": [np.inf]}}, ValueError, "infinite"),
        ({"values": {"a": [0.5]}, "metric_name": 3}, TypeError, "metric_name"),
    ],
)
def test_metric_comparison_rejects_bad_input(
    kwargs: dict[str, Any], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        plot_metric_comparison(**kwargs)


# --------------------------------------------------------------------------- threshold curves


class ThresholdsLike:
    """Any object exposing ``__array__`` is accepted as per-label thresholds."""

    def __init__(self, values: list[float]) -> None:
        self.values = values

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.values, dtype=dtype)


def test_threshold_curves_render_and_mark_chosen(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray]
) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    y_true, y_score = data
    chosen = [0.3, 0.4, 0.5, 0.6, 0.45]
    fig = plot_threshold_curves(y_true, y_score, ThresholdsLike(chosen), label_names=NAMES)
    assert_image(render(fig, tmp_path, "thresholds"))
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == len(NAMES)
    for j, ax in enumerate(panels):
        expected = metrics.f1_score(y_true[:, j], y_score[:, j] >= chosen[j])
        assert ax.get_title() == f"{NAMES[j]}\nF1 {expected:.3f} at {chosen[j]:.2f}"
        assert any(list(line.get_xdata()) == [chosen[j], chosen[j]] for line in ax.get_lines())


def test_threshold_curves_subset_by_name_and_index(data: tuple[np.ndarray, np.ndarray]) -> None:
    y_true, y_score = data
    fig = plot_threshold_curves(
        y_true, y_score, labels=["Young", 1], label_names=NAMES, metric="precision"
    )
    titles = [ax.get_title().split("\n")[0] for ax in fig.axes if ax.get_visible()]
    assert titles == ["Young", "Bald"]
    assert fig.get_suptitle().startswith("Precision versus threshold")


def _brute_force(truth: np.ndarray, pred: np.ndarray, metric: str, weights: Any) -> float:
    """Independent reference: scikit-learn on explicit predictions (NaN where undefined)."""
    m = pytest.importorskip("sklearn.metrics")
    w = weights
    tp = float(np.sum(w * (truth & pred)))
    fp = float(np.sum(w * (~truth & pred)))
    fn = float(np.sum(w * (truth & ~pred)))
    tn = float(np.sum(w * (~truth & ~pred)))
    kwargs = {"sample_weight": w, "zero_division": np.nan}
    if metric == "f1":
        return float(m.f1_score(truth, pred, **kwargs))
    if metric == "precision":
        return float(m.precision_score(truth, pred, **kwargs))
    if metric == "recall":
        return float(m.recall_score(truth, pred, **kwargs))
    if metric == "jaccard":
        # scikit-learn's jaccard_score has no NaN option; the 0/0 case is checked separately.
        if tp + fp + fn == 0:
            return np.nan
        return float(m.jaccard_score(truth, pred, sample_weight=w))
    if metric == "specificity":
        return float(m.recall_score(truth, pred, pos_label=0, **kwargs))
    if metric == "npv":
        return float(m.precision_score(truth, pred, pos_label=0, **kwargs))
    if metric == "accuracy":
        return float(m.accuracy_score(truth, pred, sample_weight=w))
    if metric == "matthews":
        if (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn) == 0:
            return np.nan
        return float(m.matthews_corrcoef(truth, pred, sample_weight=w))
    raise AssertionError(metric)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 25),
    seed=st.integers(0, 2**32 - 1),
    levels=st.integers(1, 6),
    weighted=st.booleans(),
    metric=st.sampled_from(
        ["f1", "precision", "recall", "jaccard", "specificity", "npv", "accuracy", "matthews"]
    ),
)
def test_threshold_curve_is_exact_everywhere(
    n: int, seed: int, levels: int, weighted: bool, metric: str
) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.random(n) < 0.4
    # Few distinct score levels force ties, the case a per-sample evaluation gets wrong.
    scores = rng.integers(0, levels, n) / max(levels - 1, 1)
    weights = rng.integers(1, 4, n).astype(float) if weighted else np.ones(n)
    curve = threshold_curve(truth, scores, formula_by_name(metric), weights if weighted else None)
    assert np.array_equal(curve.cuts, np.unique(scores))
    probes = np.unique(np.r_[curve.cuts, (curve.cuts[:-1] + curve.cuts[1:]) / 2, -1.0, 2.0])
    for t in probes:
        expected = _brute_force(truth, scores >= t, metric, weights)
        got = curve.at(float(t))
        if np.isnan(expected):
            assert np.isnan(got), (t, got)
        else:
            assert got == pytest.approx(expected, abs=1e-12), (t, got, expected)


def test_threshold_curve_step_plot_agrees_with_curve(data: tuple[np.ndarray, np.ndarray]) -> None:
    y_true, y_score = data
    fig = plot_threshold_curves(y_true[:, :1], y_score[:, :1], metric="recall")
    line = fig.axes[0].get_lines()[0]
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    assert line.get_drawstyle() == "steps-post"
    # Recall is 1 with everything predicted positive and falls to 0 above the top score.
    assert y[0] == 1.0
    assert y[-1] == 0.0
    assert np.all(np.diff(y) <= 0)
    assert x[0] == 0.0
    assert x[-1] == 1.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"y_score": np.zeros((3, 2))}, ValueError, "same shape"),
        ({"y_true": [1, 0, 1, 0]}, ValueError, "must be 2-D"),
        ({"y_true": np.full((4, 2), -1)}, ValueError, "signed_to_binary"),
        ({"y_score": np.full((4, 2), np.nan)}, ValueError, "finite"),
        ({"metric": "auc"}, ValueError, "metric must be one of"),
        ({"metric": 1}, TypeError, "metric must be a metric name"),
        ({"thresholds": [0.5, 0.5, 0.5]}, ValueError, r"one value per label \(2\)"),
        ({"labels": ["Nope"], "label_names": ["a", "b"]}, ValueError, "unknown label name"),
        ({"labels": [5]}, ValueError, "out of range"),
        ({"labels": [0, 0]}, ValueError, "repeat"),
        ({"labels": []}, ValueError, "labels is empty"),
        ({"sample_weight": [1, 2]}, ValueError, "one weight per sample"),
        ({"label_names": ["a"]}, ValueError, "one name per label"),
    ],
)
def test_threshold_curves_reject_bad_input(kwargs: dict[str, Any], error: type, match: str) -> None:
    arguments: dict[str, Any] = {
        "y_true": np.array([[1, 0], [0, 1], [1, 1], [0, 0]]),
        "y_score": np.array([[0.9, 0.2], [0.4, 0.7], [0.6, 0.8], [0.1, 0.3]]),
    }
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        plot_threshold_curves(**arguments)


# --------------------------------------------------------------------------- training curves

HISTORY = {
    "loss": [0.69, 0.5, 0.4, 0.35, 0.3],
    "binary_accuracy": [0.7, 0.8, 0.85, 0.87, 0.9],
    "val_loss": [0.7, 0.55, 0.45, 0.47, 0.5],
    "val_binary_accuracy": [0.68, 0.78, 0.82, 0.83, 0.83],
    "learning_rate": [1e-3, 1e-3, 1e-4, 1e-4, 1e-5],
}


def _check_training_figure(fig: Figure) -> None:
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["loss", "binary_accuracy", "learning_rate"]
    loss_lines = panels[0].get_lines()
    np.testing.assert_allclose(loss_lines[0].get_ydata(), HISTORY["loss"])
    np.testing.assert_allclose(loss_lines[1].get_ydata(), HISTORY["val_loss"])
    np.testing.assert_allclose(loss_lines[0].get_xdata(), [1, 2, 3, 4, 5])
    # Lowest val_loss is at the third epoch.
    assert list(loss_lines[2].get_xdata()) == [3, 3]
    assert panels[2].get_yscale() == "log"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["training", "validation", "lowest val_loss (epoch 3)"]


def test_training_curves_from_mapping(tmp_path: Path) -> None:
    fig = plot_training_curves(HISTORY)
    assert_image(render(fig, tmp_path, "training"))
    _check_training_figure(fig)


def test_training_curves_from_history_object() -> None:
    class History:
        history = HISTORY

    _check_training_figure(plot_training_curves(History()))


def test_training_curves_from_json_and_csv(tmp_path: Path) -> None:
    json_path = tmp_path / "history.json"
    json_path.write_text(json.dumps(HISTORY))
    _check_training_figure(plot_training_curves(json_path))

    # The layout keras.callbacks.CSVLogger writes: a 0-based epoch column first.
    keys = sorted(HISTORY)
    rows = ["epoch," + ",".join(keys)]
    rows += [f"{e}," + ",".join(repr(HISTORY[k][e]) for k in keys) for e in range(5)]
    csv_path = tmp_path / "log.csv"
    csv_path.write_text("\n".join(rows) + "\n")
    fig = plot_training_curves(str(csv_path))
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert sorted(ax.get_title() for ax in panels) == ["binary_accuracy", "learning_rate", "loss"]
    loss = next(ax for ax in panels if ax.get_title() == "loss")
    np.testing.assert_allclose(loss.get_lines()[0].get_xdata(), [1, 2, 3, 4, 5])


def test_training_curves_unpaired_validation_series_gets_a_panel() -> None:
    fig = plot_training_curves({"val_f1": [0.5, 0.6]})
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["val_f1"]


@pytest.mark.parametrize(
    ("history", "error", "match"),
    [
        ({}, ValueError, "history is empty"),
        (3, TypeError, "history must be a mapping"),
        ({"loss": [0.5, 0.4], "val_loss": [0.5]}, ValueError, "loss: 2, val_loss: 1"),
        ({"loss": "abc"}, TypeError, "sequence of per-epoch numbers"),
        ({"loss": ["x"]}, TypeError, "must hold numbers"),
        ({"loss": []}, ValueError, "non-empty 1-D"),
        ({"epoch": [0, 1]}, ValueError, "only an 'epoch' column"),
    ],
)
def test_training_curves_reject_bad_input(history: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        plot_training_curves(history)


def test_training_curves_reject_bad_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="history file not found"):
        plot_training_curves(tmp_path / "missing.json")
    other = tmp_path / "history.txt"
    other.write_text("loss\n0.5\n")
    with pytest.raises(ValueError, match=r"must end in \.json or \.csv"):
        plot_training_curves(other)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("[1, 2]")
    with pytest.raises(ValueError, match="must hold a JSON object"):
        plot_training_curves(bad_json)
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("epoch,loss\n0,0.5\n1,oops\n")
    with pytest.raises(ValueError, match="column 'loss' row 3 is not a number: 'oops'"):
        plot_training_curves(bad_csv)


# --------------------------------------------------------------------------- save_figure


def test_save_figure_is_atomic_and_creates_folders(tmp_path: Path) -> None:
    fig = plot_label_prevalence({"train": [0.2, 0.7]}, ["Bald", "Young"])
    target = tmp_path / "a" / "b" / "prevalence.png"
    assert save_figure(fig, target, dpi=40) == target
    assert_image(target, min_width=100, min_height=100)
    assert os.listdir(target.parent) == ["prevalence.png"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_save_figure_failure_keeps_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "figure.png"
    target.write_bytes(b"previous")

    def broken(*args: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(_io, "_savefig", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        save_figure(Figure(), target)
    assert target.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["figure.png"]


def test_save_figure_formats_and_errors(tmp_path: Path) -> None:
    fig = plot_metric_comparison({"m": [0.5, 0.7]})
    assert save_figure(fig, tmp_path / "f.svg").read_text().lstrip().startswith("<?xml")
    assert save_figure(fig, tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"
    with pytest.raises(ValueError, match=r"path must end in \.png, \.svg, \.pdf; got 'f.jpg'"):
        save_figure(fig, tmp_path / "f.jpg")
    with pytest.raises(ValueError, match="dpi must be a positive number"):
        save_figure(fig, tmp_path / "f.png", dpi=0)
    with pytest.raises(TypeError, match=r"fig must be a matplotlib\.figure\.Figure"):
        save_figure("figure", tmp_path / "f.png")


def test_figures_render_concurrently_in_threads(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray]
) -> None:
    y_true, y_score = data

    def job(i: int) -> Path:
        fig = plot_threshold_curves(y_true[:, :2], y_score[:, :2], [0.5, 0.5])
        return save_figure(fig, tmp_path / f"thread_{i}.png", dpi=40)

    with ThreadPoolExecutor(max_workers=4) as pool:
        paths = list(pool.map(job, range(4)))
    sizes = {path.stat().st_size for path in paths}
    assert len(sizes) == 1
    for path in paths:
        assert_image(path, min_width=100, min_height=100)
