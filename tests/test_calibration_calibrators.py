"""Per-label calibrators against scikit-learn (Platt, isotonic) and a direct 1-D minimisation
(temperature); their JSON form, label checks and bad input."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from multilabel_attr.calibration import Calibrator, fit_calibrator
from multilabel_attr.calibration._newton import newton_fit, newton_sums

EPS = np.finfo(np.float64).eps


def _data(
    seed: int, n: int = 3000, n_labels: int = 3, weighted: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.3, 2.5, (n, n_labels))
    truth = (rng.random((n, n_labels)) < 1 / (1 + np.exp(-0.5 * logits + 0.4))).astype(np.int64)
    return truth, logits, rng.uniform(0.2, 3.0, n) if weighted else None


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, EPS, 1 - EPS)
    return np.log(q) - np.log1p(-q)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("from_logits", [False, True])
def test_platt_equals_unpenalised_logistic_regression(weighted: bool, from_logits: bool) -> None:
    linear_model = pytest.importorskip("sklearn.linear_model")
    truth, logits, weights = _data(1, weighted=weighted)
    scores = logits if from_logits else 1 / (1 + np.exp(-logits))
    fitted = fit_calibrator(truth, scores, method="platt", from_logits=from_logits,
                            sample_weight=weights)  # fmt: skip
    feature = logits if from_logits else _logit(scores)
    for j in range(3):
        reference = linear_model.LogisticRegression(
            C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=1000
        ).fit(feature[:, [j]], truth[:, j], sample_weight=weights)
        assert abs(fitted.params["slope"][j] - reference.coef_[0, 0]) < 1e-6
        assert abs(fitted.params["intercept"][j] - reference.intercept_[0]) < 1e-6
        np.testing.assert_allclose(fitted.apply(scores)[:, j],
                                   reference.predict_proba(feature[:, [j]])[:, 1],
                                   atol=1e-6)  # fmt: skip


def test_platt_at_scores_of_zero_and_one_uses_the_clipped_logit() -> None:
    linear_model = pytest.importorskip("sklearn.linear_model")
    truth, logits, _ = _data(2, n_labels=1)
    scores = 1 / (1 + np.exp(-logits))
    scores[:3, 0], scores[3:6, 0] = 0.0, 1.0
    fitted = fit_calibrator(truth, scores)
    reference = linear_model.LogisticRegression(
        C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=1000
    ).fit(_logit(scores), truth[:, 0])
    assert abs(fitted.params["slope"][0] - reference.coef_[0, 0]) < 1e-6


@pytest.mark.parametrize("weighted", [False, True])
def test_isotonic_equals_sklearn_with_clipping(weighted: bool) -> None:
    isotonic = pytest.importorskip("sklearn.isotonic")
    truth, logits, weights = _data(3, n=800, weighted=weighted)
    scores = np.round(1 / (1 + np.exp(-logits)), 2)  # many ties
    fitted = fit_calibrator(truth, scores, method="isotonic", sample_weight=weights)
    new = np.concatenate([scores, np.random.default_rng(0).random((200, 3))])
    new[0], new[1] = 0.0, 1.0  # outside the fitted range: clipped
    ours = fitted.apply(new)
    for j in range(3):
        reference = isotonic.IsotonicRegression(out_of_bounds="clip").fit(
            scores[:, j], truth[:, j], sample_weight=weights
        )
        np.testing.assert_allclose(ours[:, j], reference.predict(new[:, j]), rtol=0, atol=1e-12)


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_temperature_equals_direct_minimisation(shared: bool, weighted: bool) -> None:
    optimize = pytest.importorskip("scipy.optimize")
    truth, logits, weights = _data(4, weighted=weighted)
    fitted = fit_calibrator(truth, logits, method="temperature", shared=shared,
                            from_logits=True, sample_weight=weights)  # fmt: skip
    w = np.ones(truth.shape[0]) if weights is None else weights

    def loss(temperature: float, columns: list[int]) -> float:
        u = logits[:, columns] / temperature
        return float(w @ (np.logaddexp(0, u) - truth[:, columns] * u).sum(axis=1))

    groups = [[0, 1, 2]] if shared else [[0], [1], [2]]
    for columns in groups:
        best = optimize.minimize_scalar(loss, bounds=(0.05, 20), args=(columns,), method="bounded",
                                        options={"xatol": 1e-12})  # fmt: skip
        for j in columns:
            assert abs(fitted.params["temperature"][j] - best.x) < 1e-6


def test_newton_sums_merge_across_partitions() -> None:
    truth, logits, weights = _data(5, n=4000, weighted=True)
    mask = truth.astype(bool)
    cuts = [0, 700, 2100, 2101, 4000]

    def partitioned(params: np.ndarray) -> Any:
        parts = [newton_sums(mask[a:b], logits[a:b], weights[a:b], params)  # type: ignore[index]
                 for a, b in itertools.pairwise(cuts)]  # fmt: skip
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total

    start = np.tile([1.0, 0.0], (3, 1))
    merged, _ = newton_fit(partitioned, start, n_labels=3)
    memory = fit_calibrator(truth, logits, method="platt", from_logits=True, sample_weight=weights)
    np.testing.assert_allclose(merged[:, 0], memory.params["slope"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(merged[:, 1], memory.params["intercept"], rtol=0, atol=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("scale", [1.0, 150.0])
def test_newton_sums_equal_the_direct_formulas(weighted: bool, scale: float) -> None:
    truth, logits, weights = _data(8, n=2500, weighted=weighted)
    rng = np.random.default_rng(9)
    # At scale 150 some |a z + b| pass 700, where exp(-u) overflows without care.
    params = np.column_stack([rng.uniform(-1.0, 1.0, 3) * scale, rng.normal(0, 3, 3)])
    ours = newton_sums(truth.astype(bool), logits, weights, params)
    w = np.ones(truth.shape[0]) if weights is None else weights
    u = logits * params[:, 0] + params[:, 1]
    sigmoid = 0.5 * (1.0 + np.tanh(u / 2))  # no exponential to overflow
    residual, curvature = sigmoid - truth, sigmoid * 0.5 * (1.0 - np.tanh(u / 2))
    np.testing.assert_allclose(ours.loss, w @ (np.logaddexp(0.0, u) - truth * u), rtol=1e-12)
    gradient = np.stack([w @ (residual * logits), w @ residual], axis=1)
    np.testing.assert_allclose(ours.gradient, gradient, rtol=1e-10, atol=1e-9)
    cross = w @ (curvature * logits)
    hessian = np.stack([np.stack([w @ (curvature * logits**2), cross], 1),
                        np.stack([cross, w @ curvature], 1)], 1)  # fmt: skip
    np.testing.assert_allclose(ours.hessian, hessian, rtol=1e-10, atol=1e-9)
    temperature = newton_sums(truth.astype(bool), logits, weights, params[:, :1])
    u = logits * params[:, 0]
    np.testing.assert_allclose(temperature.loss, w @ (np.logaddexp(0.0, u) - truth * u),
                               rtol=1e-12)  # fmt: skip
    residual = 0.5 * (1.0 + np.tanh(u / 2)) - truth
    np.testing.assert_allclose(temperature.gradient[:, 0], w @ (residual * logits),
                               rtol=1e-10, atol=1e-9)  # fmt: skip


def test_apply_on_either_scale_and_json_round_trip(tmp_path: Path) -> None:
    truth, logits, _ = _data(6)
    names = ["Smiling", "Bald", "Eyeglasses"]
    probs = 1 / (1 + np.exp(-logits))
    for method in ("platt", "temperature", "isotonic"):
        fitted = fit_calibrator(truth, logits, method=method, from_logits=True, label_names=names)
        np.testing.assert_allclose(fitted.apply(logits), fitted.apply(probs, from_logits=False),
                                   atol=1e-9)  # fmt: skip
        path = tmp_path / f"{method}.json"
        fitted.to_json(path)
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
        loaded = Calibrator.from_json(path, label_names=names)
        assert loaded == fitted
        np.testing.assert_array_equal(loaded.apply(logits), fitted.apply(logits))
        with pytest.raises(ValueError, match="not in the file: Young; only in the file: Bald"):
            Calibrator.from_json(path, label_names=["Smiling", "Young", "Eyeglasses"])
        with pytest.raises(ValueError, match="same names in a different order"):
            fitted.apply(logits, label_names=["Bald", "Smiling", "Eyeglasses"])
    assert json.loads(path.read_text())["schema"] == "multilabel_attr.calibrator"


def test_bad_input_gets_clear_errors() -> None:
    truth, logits, _ = _data(7, n=200)
    probs = 1 / (1 + np.exp(-logits))
    with pytest.raises(ValueError, match="method must be one of 'platt'"):
        fit_calibrator(truth, probs, method="beta")
    with pytest.raises(ValueError, match="shared=True is for method='temperature' only"):
        fit_calibrator(truth, probs, shared=True)
    with pytest.raises(TypeError, match=r"from_logits must be True or False \(a bool\); got int"):
        fit_calibrator(truth, probs, from_logits=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"y_score must hold probabilities in \[0, 1\]"):
        fit_calibrator(truth, logits)
    one_class = truth.copy()
    one_class[:, 1] = 0
    with pytest.raises(ValueError, match=r"label\(s\) Bald have one class only"):
        fit_calibrator(one_class, probs, label_names=["Smiling", "Bald", "Young"])
    with pytest.raises(ValueError, match="max_iter must be at least 1"):
        fit_calibrator(truth, probs, max_iter=0)
    fitted = fit_calibrator(truth, probs)
    with pytest.raises(ValueError, match=r"one column per label \(3\)"):
        fitted.apply(probs[:, :2])
    with pytest.raises(ValueError, match="stores none"):
        fitted.apply(probs, label_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="temperature must be positive"):
        Calibrator("temperature", {"temperature": [1.0, -2.0]})
    with pytest.raises(ValueError, match="not a calibrator document"):
        Calibrator.from_dict({"schema": "multilabel_attr.thresholds"})


def test_calibrating_before_per_label_thresholds_changes_nothing_but_a_shared_one() -> None:
    from multilabel_attr import f1_score
    from multilabel_attr.thresholds import optimize_thresholds

    rng = np.random.default_rng(8)
    truth = rng.random((3000, 3)) < [0.05, 0.3, 0.6]
    # Each label's scores on its own scale: a shared threshold cannot suit them all.
    logits = rng.normal(0, 1, (3000, 3)) + np.where(truth, 1.5, -1.5) + [-3.0, 0.0, 2.0]
    probs = 1 / (1 + np.exp(-logits))
    calibrated = fit_calibrator(truth, probs, method="platt").apply(probs)
    per_label = [optimize_thresholds(truth, s, metric="f1") for s in (probs, calibrated)]
    np.testing.assert_allclose(per_label[0].validation_scores, per_label[1].validation_scores,
                               rtol=0, atol=1e-12)  # fmt: skip
    np.testing.assert_array_equal(per_label[0].apply(probs), per_label[1].apply(calibrated))
    shared = [
        optimize_thresholds(truth, s, metric="f1", strategy="shared", average="micro")
        for s in (probs, calibrated)
    ]
    raw_f1, calibrated_f1 = (
        f1_score(truth, s, threshold=t, average="micro")
        for s, t in zip((probs, calibrated), shared, strict=True)
    )
    assert calibrated_f1 > raw_f1 + 0.01
