"""Coordinate ascent for micro and sample-averaged objectives."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sklearn_metrics = pytest.importorskip("sklearn.metrics")

from multilabel_attr.thresholds import ThresholdWarning, optimize_thresholds  # noqa: E402


def make_data(seed: int, n: int = 120, n_labels: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    prevalence = np.linspace(0.15, 0.6, n_labels)
    latent = rng.normal(size=(n, 1))
    y = (rng.random((n, n_labels)) < prevalence + 0.2 * np.tanh(latent)).astype(int)
    scores = 1 / (1 + np.exp(-(1.5 * (2 * y - 1) + rng.normal(0, 1.5, (n, n_labels)))))
    return y, np.round(scores, 2)


def sk_objective(average: str, metric: str, y: np.ndarray, pred: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if metric == "f1":
            return float(sklearn_metrics.f1_score(y, pred, average=average, zero_division=0))
        return float(sklearn_metrics.jaccard_score(y, pred, average=average, zero_division=0))


CASES = [("micro", "f1"), ("samples", "f1"), ("samples", "jaccard"), ("micro", "jaccard")]


@pytest.mark.parametrize(("average", "metric"), CASES)
@pytest.mark.parametrize("init", ["per_label", "shared"])
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_coordinate_never_below_start_and_matches_sklearn(
    average: str, metric: str, init: str, seed: int
) -> None:
    y, s = make_data(seed)
    start = optimize_thresholds(y, s, metric=metric, strategy=init, min_positives=0)
    result = optimize_thresholds(
        y, s, metric=metric, strategy="coordinate", average=average, init=init, min_positives=0
    )
    achieved = sk_objective(average, metric, y, result.apply(s))
    assert result.objective == pytest.approx(achieved, abs=1e-12)
    assert achieved >= sk_objective(average, metric, y, start.apply(s)) - 1e-12
    assert result.iterations is not None
    assert result.iterations >= 1


@pytest.mark.parametrize(("average", "metric"), CASES[:2])
def test_coordinate_result_is_a_local_optimum(average: str, metric: str) -> None:
    """No single label's threshold can be moved to a better joint value (brute force)."""
    y, s = make_data(7, n=60, n_labels=3)
    result = optimize_thresholds(
        y, s, metric=metric, strategy="coordinate", average=average, min_positives=0
    )
    final = sk_objective(average, metric, y, result.apply(s))
    for j in range(y.shape[1]):
        for c in [*np.unique(s[:, j]), np.inf]:
            values = result.values.copy()
            values[j] = c
            moved = sk_objective(average, metric, y, (s >= values).astype(int))
            assert moved <= final + 1e-9


def test_samples_f1_with_weights_and_other_metric() -> None:
    y, s = make_data(3, n=80)
    w = np.random.default_rng(0).uniform(0.2, 3.0, size=80)
    result = optimize_thresholds(
        y, s, strategy="coordinate", average="samples", sample_weight=w, min_positives=0
    )
    expected = sklearn_metrics.f1_score(
        y, result.apply(s), average="samples", zero_division=0, sample_weight=w
    )
    assert result.objective == pytest.approx(expected, abs=1e-12)
    mcc = optimize_thresholds(y, s, metric="matthews", strategy="coordinate", min_positives=0)
    pooled = sklearn_metrics.matthews_corrcoef(y.ravel(), mcc.apply(s).ravel())
    assert mcc.objective == pytest.approx(pooled, abs=1e-12)


def test_zero_division_one_rewards_empty_predictions_for_empty_samples() -> None:
    y, s = make_data(5, n=80)
    y[:20] = 0
    result = optimize_thresholds(
        y, s, strategy="coordinate", average="samples", zero_division=1, min_positives=0
    )
    expected = sklearn_metrics.f1_score(y, result.apply(s), average="samples", zero_division=1)
    assert result.objective == pytest.approx(expected, abs=1e-12)


def test_frozen_rare_labels_and_max_iter_warning() -> None:
    y, s = make_data(11, n=100)
    y[:, 0] = 0
    y[:3, 0] = 1
    with pytest.warns(ThresholdWarning, match="not tuned"):
        result = optimize_thresholds(y, s, strategy="coordinate", average="samples")
    assert result.fallback_labels == (0,)
    shared = optimize_thresholds(y, s, strategy="shared")
    assert result.values[0] == shared.values[0]
    with pytest.warns(ThresholdWarning, match="max_iter"):
        optimize_thresholds(
            y,
            s,
            strategy="coordinate",
            average="samples",
            max_iter=1,
            min_positives=0,
            init="shared",
        )


def test_explicit_initial_thresholds() -> None:
    y, s = make_data(2)
    start: Any = np.full(y.shape[1], 0.5)
    result = optimize_thresholds(y, s, strategy="coordinate", init=start, min_positives=0)
    at_half = sk_objective("micro", "f1", y, (s >= 0.5).astype(int))
    assert result.objective is not None
    assert result.objective >= at_half - 1e-12
    with pytest.raises(ValueError, match="init"):
        optimize_thresholds(y, s, strategy="coordinate", init=[0.5, 0.5])
    with pytest.raises(ValueError, match="init"):
        optimize_thresholds(y, s, strategy="coordinate", init="grid")
