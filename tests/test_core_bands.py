"""Binomial bands of reliability curves against scipy; ROC and PR curves against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import multilabel_attr as ml

stats = pytest.importorskip("scipy.stats")
sk = pytest.importorskip("sklearn.metrics")

SCIPY_METHOD = {"wilson": "wilson", "clopper-pearson": "exact"}


def _scipy_interval(k: int, n: int, method: str, level: float) -> tuple[float, float]:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method=SCIPY_METHOD[method])
    return ci.low, ci.high


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 5000),
    share=st.floats(0, 1),
    method=st.sampled_from(["wilson", "clopper-pearson"]),
    level=st.sampled_from([0.5, 0.9, 0.95, 0.99]),
)
def test_binomial_interval_equals_scipy(n: int, share: float, method: str, level: float) -> None:
    k = round(share * n)
    low, high = ml.binomial_interval(k, n, method=method, confidence_level=level)
    expected = _scipy_interval(k, n, method, level)
    np.testing.assert_allclose([float(low), float(high)], expected, rtol=0, atol=1e-12)


def test_reliability_bands_of_curve_and_state_equal_scipy_per_bin() -> None:
    rng = np.random.default_rng(3)
    y = rng.random((700, 3)) < [0.2, 0.5, 0.8]
    p = np.clip(0.5 * y + 0.5 * rng.random(y.shape), 0, 1)
    state = ml.CalibrationState(3, n_bins=8).update(y, p)
    for source in (state, ml.calibration_curve(y, p, n_bins=8)):
        for method in ("wilson", "clopper-pearson"):
            bands = ml.reliability_bands(source, method=method, confidence_level=0.9)
            for j in range(3):
                for b in range(8):
                    in_bin = np.minimum(p[:, j] * 8, 7).astype(int) == b
                    n, k = int(in_bin.sum()), int(y[in_bin, j].sum())
                    assert bands.count[j, b] == n
                    if n == 0:
                        assert np.isnan(bands.low[j, b]) and np.isnan(bands.high[j, b])
                        continue
                    np.testing.assert_allclose(
                        [bands.low[j, b], bands.high[j, b]],
                        _scipy_interval(k, n, method, 0.9), rtol=0, atol=1e-12,
                    )  # fmt: skip


def test_bands_reject_bad_options_and_input() -> None:
    curve = ml.calibration_curve([[1], [0]], [[0.8], [0.3]], n_bins=2)
    with pytest.raises(ValueError, match="method must be one of 'wilson'"):
        ml.reliability_bands(curve, method="normal")
    with pytest.raises(ValueError, match=r"confidence_level must be in \(0, 1\)"):
        ml.reliability_bands(curve, confidence_level=95)
    with pytest.raises(TypeError, match="ReliabilityCurve or a CalibrationState; got ndarray"):
        ml.reliability_bands(np.zeros(3))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positives must not exceed total"):
        ml.binomial_interval([3], [2])
    with pytest.raises(ValueError, match="total must hold finite, non-negative counts"):
        ml.binomial_interval([0], [-1])


def _data(seed: int, n: int = 300, n_labels: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random((n, n_labels)) < 0.4).astype(int)
    # Rounded scores make ties, which the curves must merge into one point as scikit-learn does.
    s = np.round(np.clip(0.4 * y + 0.6 * rng.random(y.shape), 0, 1), 2)
    return y, s


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), weighted=st.booleans())
def test_curves_equal_sklearn(seed: int, weighted: bool) -> None:
    y, s = _data(seed)
    w = np.random.default_rng(seed).integers(0, 4, y.shape[0]).astype(float) if weighted else None
    roc = ml.roc_curves(y, s, sample_weight=w)
    pr = ml.precision_recall_curves(y, s, sample_weight=w)
    for j in range(y.shape[1]):
        fpr, tpr, t_roc = sk.roc_curve(y[:, j], s[:, j], sample_weight=w, drop_intermediate=False)
        np.testing.assert_allclose(roc.x[j], fpr, rtol=0, atol=1e-12)
        np.testing.assert_allclose(roc.y[j], tpr, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(roc.thresholds[j], t_roc)
        precision, recall, t_pr = sk.precision_recall_curve(y[:, j], s[:, j], sample_weight=w)
        np.testing.assert_allclose(pr.x[j], recall, rtol=0, atol=1e-12)
        np.testing.assert_allclose(pr.y[j], precision, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(pr.thresholds[j], t_pr)


def test_operating_points_lie_on_the_curves() -> None:
    y, s = _data(11)
    points = ml.operating_points(y, s, ["recall@precision>=0.7", "sensitivity@specificity>=0.8"])
    rp, ss = points["recall@precision>=0.7"], points["sensitivity@specificity>=0.8"]
    pr, roc = ml.precision_recall_curves(y, s), ml.roc_curves(y, s)
    for j in range(y.shape[1]):
        assert pr.point_at(j, float(rp.thresholds[j])) == pytest.approx(
            (rp.values[j], rp.achieved[j]), abs=1e-12
        )
        assert roc.point_at(j, float(ss.thresholds[j])) == pytest.approx(
            (1 - ss.achieved[j], ss.values[j]), abs=1e-12
        )
    with pytest.raises(ValueError, match="not one of its scores"):
        roc.point_at(0, 0.12345)


def test_curve_of_a_label_without_positives_is_nan_not_an_error() -> None:
    y = np.array([[0, 1], [0, 0], [0, 1]])
    s = np.array([[0.2, 0.9], [0.4, 0.1], [0.6, 0.7]])
    roc = ml.roc_curves(y, s, label_names=["a", "b"])
    assert roc.label_names == ("a", "b")
    assert np.all(np.isnan(roc.y[0])) and not np.any(np.isnan(roc.y[1]))


def test_clopper_pearson_without_scipy_names_the_option(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "scipy.stats", None)
    with pytest.raises(ImportError, match="method='clopper-pearson' needs scipy"):
        ml.binomial_interval([1], [4], method="clopper-pearson")
    low, _ = ml.binomial_interval([1], [4])  # Wilson needs nothing
    assert 0 < float(low[0]) < 0.25
