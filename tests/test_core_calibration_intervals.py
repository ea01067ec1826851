"""Intervals on the calibration errors: every replicate's ECE, Brier score and log loss
against torchmetrics and scikit-learn with the replicate's multiplicities as weights."""

from __future__ import annotations

import numpy as np
import pytest

import multilabel_attr as ml
from multilabel_attr.core.report._bootstrap import Design, _resample_all
from multilabel_attr.core.report._calibration_bootstrap import CalibrationRows
from multilabel_attr.core.report._intervals import multiplicities

sk = pytest.importorskip("sklearn.metrics")


def _data(n: int = 200, n_labels: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.random((n, n_labels)) < np.linspace(0.2, 0.5, n_labels)
    probs = np.clip(0.3 * y + 0.7 * rng.random((n, n_labels)), 0, 1)
    # Scores on bin edges (0, 6/15, 9/15); a score of exactly 1 is left out, where
    # torchmetrics' last bin excludes it and ours includes it.
    probs[:5] = np.array([0.0, 0.4, 0.6])[np.arange(n_labels) % 3]
    return y, probs


def _torchmetrics_ece(y: np.ndarray, p: np.ndarray, rows: np.ndarray) -> float:
    torch = pytest.importorskip("torch")
    classification = pytest.importorskip("torchmetrics.classification")
    metric = classification.BinaryCalibrationError(n_bins=15, norm="l1")
    return float(metric(torch.tensor(p[rows]), torch.tensor(y[rows].astype(np.int64))))


@pytest.mark.parametrize("weighted", [False, True])
def test_replicates_equal_the_references_with_multiplicities_as_weights(weighted: bool) -> None:
    y, probs = _data()
    n = y.shape[0]
    weights = np.random.default_rng(1).random(n) + 0.5 if weighted else None
    design = Design.of(weights, None, n)
    rows = CalibrationRows.of(y, probs, False)
    ((_, per_label),) = _resample_all(y, [probs >= 0.5], design, 4, 7, None, [rows])
    drawn = multiplicities(np.random.default_rng(7), 4, n)
    for b in range(4):
        w = drawn[b] if weights is None else drawn[b] * weights
        for j in range(y.shape[1]):
            brier = sk.brier_score_loss(y[:, j], probs[:, j], sample_weight=w)
            loss = sk.log_loss(y[:, j], probs[:, j], sample_weight=w, labels=[0, 1])
            assert per_label["brier"][b, j] == pytest.approx(brier, abs=1e-12)
            assert per_label["log_loss"][b, j] == pytest.approx(loss, abs=1e-12)
            if weights is None:
                # torchmetrics takes no weights: the resample's rows, each repeated.
                repeated = np.repeat(np.arange(n), drawn[b].astype(int))
                ece = _torchmetrics_ece(y[:, j], probs[:, j], repeated)
                assert per_label["ece"][b, j] == pytest.approx(ece, abs=1e-12)
            ece_ours = ml.expected_calibration_error(
                y[:, [j]], probs[:, [j]], average=None, sample_weight=w
            )[0]
            assert per_label["ece"][b, j] == pytest.approx(ece_ours, abs=1e-12)


def test_report_carries_the_columns_and_their_percentile_intervals() -> None:
    y, probs = _data(n=300, seed=2)
    report = ml.bootstrap_report(y, probs, n_resamples=200, seed=3, calibration=True)
    rows = CalibrationRows.of(y, probs, False)
    design = Design.of(None, None, y.shape[0])
    ((_, per_label),) = _resample_all(y, [probs >= 0.5], design, 200, 3, None, [rows])
    for j, name in enumerate(report.label_names):
        brier = sk.brier_score_loss(y[:, j], probs[:, j])
        assert report.per_label["brier"][j] == pytest.approx(brier, abs=1e-12)
        assert report.per_label["log_loss"][j] == pytest.approx(
            sk.log_loss(y[:, j], probs[:, j]), abs=1e-12
        )
        for column in ("ece", "brier", "log_loss"):
            expected = np.percentile(per_label[column][:, j], [2.5, 97.5])
            np.testing.assert_allclose(report.intervals[f"{column}:{name}"], expected, atol=1e-12)
            low, high = report.intervals[f"{column}:{name}"]
            assert low <= report.per_label[column][j] <= high
    plain = ml.bootstrap_report(y, probs, n_resamples=200, seed=3)
    assert "ece" not in plain.per_label and "ece:label_0" not in plain.intervals
    assert ml.Report.from_dict(report.to_dict()).intervals == report.intervals


def test_logits_give_the_probabilities_columns() -> None:
    y, probs = _data(n=120, seed=4)
    probs = np.clip(probs, 0.01, 0.99)
    logits = np.log(probs / (1 - probs))
    a = ml.bootstrap_report(y, probs, n_resamples=50, seed=1, calibration=True, ranking=False)
    b = ml.bootstrap_report(
        y, logits, n_resamples=50, seed=1, calibration=True, ranking=False, from_logits=True,
        threshold=0.0,
    )  # fmt: skip
    for column in ("ece", "brier", "log_loss"):
        np.testing.assert_allclose(a.per_label[column], b.per_label[column], atol=1e-12)


def test_calibration_option_is_checked_at_the_door() -> None:
    y, probs = _data(n=30)
    with pytest.raises(TypeError, match=r"calibration must be True or False \(a bool\); got str"):
        ml.bootstrap_report(y, probs, n_resamples=10, calibration="yes")
    with pytest.raises(ValueError, match="calibration must be False"):
        ml.bootstrap_report(
            y, probs, n_resamples=10, calibration=True, groups={"g": np.arange(30) % 2}
        )
    with pytest.raises(ValueError, match="y_score"):
        ml.bootstrap_report(y, probs * 3, n_resamples=10, calibration=True)
