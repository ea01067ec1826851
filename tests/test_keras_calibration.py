"""Keras calibration metrics against the core's CalibrationState, over any batch split."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import multilabel_attr as ml  # noqa: E402
from _keras_helpers import tensorflow_backend_only  # noqa: E402
from multilabel_attr import keras as mk  # noqa: E402

pytestmark = pytest.mark.tf

AVERAGES = ("macro", "weighted", "micro", None)


def _data(seed: int, n: int = 600, n_labels: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, (n, n_labels))
    y = (rng.random((n, n_labels)) < 1 / (1 + np.exp(-0.6 * logits))).astype(np.float32)
    return y, (1 / (1 + np.exp(-logits))).astype(np.float32), rng.uniform(0.2, 2.0, n)


def _stream(metric: keras.metrics.Metric, y: np.ndarray, s: np.ndarray, w: np.ndarray | None):
    for start in (0, 100, 101, 350):
        stop = {0: 100, 100: 101, 101: 350, 350: len(y)}[start]
        metric.update_state(y[start:stop], s[start:stop],
                            None if w is None else w[start:stop])  # fmt: skip
    return np.asarray(metric.result())


@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize("norm", ["l1", "max"])
@pytest.mark.parametrize("weighted", [False, True])
def test_calibration_error_equals_the_core_state(average, norm, weighted) -> None:
    y, s, w = _data(0)
    weights = w if weighted else None
    core = ml.CalibrationState(4, n_bins=10).update(y, s, sample_weight=weights)
    expected = core.calibration_error(norm, average=average)
    exact = mk.ExpectedCalibrationError(4, n_bins=10, norm=norm, average=average, dtype="float64")
    np.testing.assert_allclose(_stream(exact, y, s, weights), expected, rtol=1e-10, atol=1e-12)
    single = mk.ExpectedCalibrationError(4, n_bins=10, norm=norm, average=average)
    np.testing.assert_allclose(_stream(single, y, s, weights), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("average", AVERAGES)
def test_brier_score_equals_the_core(average) -> None:
    y, s, w = _data(1)
    expected = ml.brier_score(y, s, average=average, sample_weight=w)
    metric = mk.BrierScore(4, average=average, dtype="float64")
    np.testing.assert_allclose(_stream(metric, y, s, w), expected, rtol=1e-10, atol=1e-12)


def test_from_logits_and_configuration() -> None:
    y, s, _ = _data(2)
    logits = np.log(s) - np.log1p(-s)
    metric = mk.ExpectedCalibrationError(4, from_logits=True, average=None, dtype="float64")
    metric.update_state(y, logits.astype(np.float64))
    np.testing.assert_allclose(
        metric.result(), ml.expected_calibration_error(y, s, average=None), atol=1e-9
    )
    clone = mk.ExpectedCalibrationError.from_config(metric.get_config())
    assert (clone.n_bins, clone.norm, clone.average, clone.from_logits) == (15, "l1", None, True)
    assert mk.ExpectedCalibrationError(4, norm="max").name == "max_calibration_error_macro"
    assert mk.BrierScore(4).name == "brier_score_macro"


@tensorflow_backend_only
def test_update_inside_a_graph() -> None:
    import tensorflow as tf

    y, s, w = _data(3)
    metric = mk.ExpectedCalibrationError(4, dtype="float64")
    tf.function(metric.update_state)(tf.constant(y), tf.constant(s), tf.constant(w))
    expected = ml.expected_calibration_error(y, s, sample_weight=w)
    np.testing.assert_allclose(float(metric.result()), expected, rtol=1e-10)


def test_bad_input_gets_clear_errors() -> None:
    y, s, _ = _data(4, n=10)
    with pytest.raises(ValueError, match="norm must be one of 'l1'"):
        mk.ExpectedCalibrationError(4, norm="l2")
    with pytest.raises(ValueError, match="n_bins must be at least 1"):
        mk.ExpectedCalibrationError(4, n_bins=0)
    with pytest.raises(TypeError, match="from_logits must be True or False"):
        mk.BrierScore(4, from_logits="yes")
    with pytest.raises(ValueError, match="average must be one of"):
        mk.BrierScore(4, average="samples")
    with pytest.raises(ValueError, match=r"y_pred must hold probabilities in \[0, 1\]"):
        mk.BrierScore(4).update_state(y, s * 3)
    with pytest.raises(ValueError, match="num_labels=4"):
        mk.ExpectedCalibrationError(4).update_state(y[:, :3], s[:, :3])
