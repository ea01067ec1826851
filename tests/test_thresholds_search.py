"""The exact per-label and shared searches against brute force with scikit-learn."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sklearn_metrics = pytest.importorskip("sklearn.metrics")

from multilabel_attr import JACCARD, f1_score  # noqa: E402
from multilabel_attr.thresholds import optimize_thresholds  # noqa: E402


def _nan_to_zero(value: float) -> float:
    return 0.0 if np.isnan(value) else float(value)


def _quiet(function: Callable[..., float]) -> Callable[..., float]:
    def call(y: Any, p: Any, sample_weight: Any = None) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _nan_to_zero(function(y, p, sample_weight=sample_weight))

    return call


ORACLES: dict[str, Callable[..., float]] = {
    "f1": _quiet(lambda y, p, **kw: sklearn_metrics.f1_score(y, p, zero_division=0, **kw)),
    "jaccard": _quiet(
        lambda y, p, **kw: sklearn_metrics.jaccard_score(y, p, zero_division=0, **kw)
    ),
    "matthews": _quiet(sklearn_metrics.matthews_corrcoef),
    "cohen_kappa": _quiet(sklearn_metrics.cohen_kappa_score),
    "accuracy": _quiet(sklearn_metrics.accuracy_score),
    "balanced_accuracy": _quiet(sklearn_metrics.balanced_accuracy_score),
    # Youden's J is scikit-learn's adjusted balanced accuracy for two classes.
    "youden": _quiet(
        lambda y, p, **kw: sklearn_metrics.balanced_accuracy_score(y, p, adjusted=True, **kw)
    ),
}


def brute_force(
    truth: np.ndarray, scores: np.ndarray, oracle: Callable[..., float], weights: Any = None
) -> float:
    """Best oracle value over every threshold: each distinct score, and above all.

    Scores in [0, 1] are probabilities, whose thresholds stay in [0, 1] (the range the
    metrics accept): "nothing positive" is then possible only while no score is 1.
    """
    above_all = [] if scores.min() >= 0 and scores.max() >= 1 else [np.inf]
    candidates = [*np.unique(scores).tolist(), *above_all]
    return max(oracle(truth, (scores >= c).astype(int), sample_weight=weights) for c in candidates)


@st.composite
def label_data(draw: Any, two_classes: bool = True) -> tuple[np.ndarray, np.ndarray, Any]:
    n = draw(st.integers(4, 24))
    n_labels = draw(st.integers(1, 3))
    truth = np.array(
        draw(
            st.lists(
                st.lists(st.booleans(), min_size=n_labels, max_size=n_labels),
                min_size=n,
                max_size=n,
            )
        ),
        dtype=int,
    )
    if two_classes:
        truth[0], truth[1] = 1, 0
    # Few distinct values so ties are common.
    levels = draw(st.sampled_from([4, 8, 1000]))
    scores = (
        np.array(
            draw(st.lists(st.integers(0, levels), min_size=n * n_labels, max_size=n * n_labels)),
            dtype=np.float64,
        ).reshape(n, n_labels)
        / levels
    )
    weights = None
    if draw(st.booleans()):
        weights = np.array(
            draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0]), min_size=n, max_size=n))
        )
    return truth, scores, weights


@pytest.mark.parametrize("metric", sorted(ORACLES))
@settings(max_examples=15, deadline=None)
@given(data=label_data())
def test_per_label_optimum_equals_brute_force(
    metric: str, data: tuple[np.ndarray, np.ndarray, Any]
) -> None:
    truth, scores, weights = data
    result = optimize_thresholds(
        truth, scores, metric=metric, min_positives=0, sample_weight=weights
    )
    oracle = ORACLES[metric]
    for j in range(truth.shape[1]):
        best = brute_force(truth[:, j], scores[:, j], oracle, weights)
        assert result.validation_scores is not None
        assert result.validation_scores[j] == pytest.approx(best, abs=1e-12)
        # The threshold itself reaches the optimum, and > gives the same predictions as >=
        # (except at the threshold 0 of "everything positive" on probabilities).
        pred = scores[:, j] >= result.values[j]
        if result.values[j] != 0:
            assert np.array_equal(pred, scores[:, j] > result.values[j])
        assert 0 <= result.values[j] <= 1
        assert oracle(truth[:, j], pred.astype(int), sample_weight=weights) == pytest.approx(
            best, abs=1e-12
        )


@settings(max_examples=15, deadline=None)
@given(data=label_data(), beta=st.sampled_from([0.5, 2.0]))
def test_fbeta_optimum_equals_brute_force(
    data: tuple[np.ndarray, np.ndarray, Any], beta: float
) -> None:
    truth, scores, weights = data

    def oracle(y: Any, p: Any, sample_weight: Any = None) -> float:
        return float(
            sklearn_metrics.fbeta_score(
                y, p, beta=beta, zero_division=0, sample_weight=sample_weight
            )
        )

    result = optimize_thresholds(
        truth, scores, metric="fbeta", beta=beta, min_positives=0, sample_weight=weights
    )
    for j in range(truth.shape[1]):
        best = brute_force(truth[:, j], scores[:, j], oracle, weights)
        assert result.validation_scores is not None
        assert result.validation_scores[j] == pytest.approx(best, abs=1e-12)


@settings(max_examples=15, deadline=None)
@given(data=label_data())
def test_shared_threshold_equals_brute_force_micro(
    data: tuple[np.ndarray, np.ndarray, Any],
) -> None:
    truth, scores, weights = data
    result = optimize_thresholds(truth, scores, strategy="shared", sample_weight=weights)
    assert np.all(result.values == result.values[0])
    # The micro average is the binary F1 of all cells pooled (scikit-learn reads a single
    # column as a binary target, so pool explicitly).
    cell_weights = None if weights is None else np.repeat(weights, truth.shape[1])

    def micro_f1(pred: np.ndarray) -> float:
        return float(
            sklearn_metrics.f1_score(
                truth.ravel(), pred.ravel(), zero_division=0, sample_weight=cell_weights
            )
        )

    best = max(micro_f1((scores >= c).astype(int)) for c in [*np.unique(scores), np.inf])
    assert result.objective == pytest.approx(best, abs=1e-12)
    achieved = micro_f1(result.apply(scores))
    assert achieved == pytest.approx(best, abs=1e-12)


def test_hand_computed_case_and_tie_rule() -> None:
    # Sorted scores 0.1 0.4 0.4 0.6 0.9 with truth 0 1 0 1 1: cutting between 0.1 and 0.4
    # gives F1 = 6/7 (tp 3, fp 1); cutting between 0.4 and 0.6 also 6/7 (tp 2... no: 4/5).
    y = np.array([[0], [1], [0], [1], [1]])
    s = np.array([[0.1], [0.4], [0.4], [0.6], [0.9]])
    result = optimize_thresholds(y, s, min_positives=0)
    assert result.values.tolist() == [0.25]
    assert result.validation_scores is not None
    assert result.validation_scores[0] == pytest.approx(6 / 7)
    # Accuracy: cuts at 0.25 and 0.5 both give 4/5; the higher threshold wins the tie.
    acc = optimize_thresholds(y, s, metric="accuracy", min_positives=0)
    assert acc.values.tolist() == [0.5]


def test_extreme_cuts_and_adjacent_floats() -> None:
    # Every sample negative: the best F1 is the undefined 0/0 (0), the highest cut is kept.
    y = np.array([[0], [0], [0]])
    s = np.array([[0.2], [0.4], [0.8]])
    result = optimize_thresholds(y, s, metric="accuracy", min_positives=0)
    assert result.values[0] > 0.8
    assert result.apply(s).sum() == 0
    # Every sample positive: the cut below every score.
    everything = optimize_thresholds(1 - y, s, metric="accuracy", min_positives=0)
    assert everything.values[0] < 0.2
    # Adjacent float64 scores have no midpoint; the threshold still separates them.
    a = 0.5
    b = float(np.nextafter(a, 1.0))
    adjacent = optimize_thresholds([[0], [1]], [[a], [b]], min_positives=0)
    assert adjacent.apply(np.array([[a], [b]])).ravel().tolist() == [0, 1]


def test_logits_any_scale_and_core_accepts_thresholds() -> None:
    rng = np.random.default_rng(3)
    y = (rng.random((300, 4)) < [0.1, 0.3, 0.5, 0.7]).astype(int)
    logits = 3 * (y - 0.5) + rng.normal(0, 1.5, y.shape)
    probabilities = 1 / (1 + np.exp(-logits))
    on_logits = optimize_thresholds(y, logits, from_logits=True)
    on_probs = optimize_thresholds(y, probabilities)
    # The sigmoid is monotone: the same cuts, the same predictions and values.
    assert np.array_equal(on_logits.apply(logits), on_probs.apply(probabilities))
    assert np.allclose(on_logits.validation_scores, on_probs.validation_scores)
    # np.asarray gives the probability scale, as the core metrics expect.
    assert np.asarray(on_logits) == pytest.approx(on_logits.probabilities)
    expected = sklearn_metrics.f1_score(y, on_logits.apply(logits), average=None)
    from_logits = f1_score(y, logits, threshold=on_logits, from_logits=True, average=None)
    from_probs = f1_score(y, probabilities, threshold=on_logits, average=None)
    assert np.allclose(from_logits, expected)
    assert np.allclose(from_probs, expected)
    assert np.allclose(f1_score(y, probabilities, threshold=on_probs, average=None), expected)
    # Arbitrary scales work too (margins of any size).
    margins = optimize_thresholds(y, 1000 * logits + 5000)
    assert np.array_equal(margins.apply(1000 * logits + 5000), on_logits.apply(logits))


def test_clip_restricts_thresholds_exactly() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random((200, 3)) < 0.3).astype(int)
    s = np.clip(0.3 * y + rng.random((200, 3)) * 0.7, 0, 1)
    clipped = optimize_thresholds(y, s, clip=(0.45, 0.55))
    assert np.all((clipped.values >= 0.45) & (clipped.values <= 0.55))
    for j in range(3):
        candidates = [c for c in np.unique(s[:, j]) if 0.45 <= c <= 0.55] + [0.45, 0.55]
        best = max(
            sklearn_metrics.f1_score(y[:, j], (s[:, j] >= c).astype(int), zero_division=0)
            for c in candidates
        )
        assert clipped.validation_scores is not None
        assert clipped.validation_scores[j] == pytest.approx(best, abs=1e-12)


def test_formula_and_callable_metrics() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random((150, 2)) < 0.4).astype(int)
    s = rng.random((150, 2)) + 0.3 * y
    by_formula = optimize_thresholds(y, s, metric=JACCARD)
    by_name = optimize_thresholds(y, s, metric="jaccard")
    assert np.array_equal(by_formula.values, by_name.values)

    def net_benefit(tp: Any, fp: Any, fn: Any, tn: Any) -> Any:
        return tp - 0.25 * fp

    custom = optimize_thresholds(y, s, metric=net_benefit)
    assert custom.metric == "net_benefit"
    for j in range(2):
        best = max(
            float(
                ((s[:, j] >= c) & (y[:, j] == 1)).sum()
                - 0.25 * ((s[:, j] >= c) & (y[:, j] == 0)).sum()
            )
            for c in [*np.unique(s[:, j]), np.inf]
        )
        assert custom.validation_scores is not None
        assert custom.validation_scores[j] == pytest.approx(best)


def test_float32_scores_and_label_names_from_columns() -> None:
    rng = np.random.default_rng(2)
    y = (rng.random((100, 2)) < 0.4).astype(int)
    s32 = (rng.random((100, 2)) + 0.4 * y).astype(np.float32)
    t = optimize_thresholds(y, s32, label_names=["a", "b"])
    assert t.label_names == ("a", "b")
    s64 = s32.astype(np.float64)
    assert np.array_equal(t.apply(s32), (s64 >= t.values).astype(np.uint8))
    assert np.array_equal(t.apply(s32), (s64 > t.values).astype(np.uint8))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 60),
    levels=st.integers(1, 8),
)
def test_float32_fast_sort_matches_float64_path(seed: int, n: int, levels: int) -> None:
    """Float32 scores take a sort that carries the truth in the key; it must agree with the
    argsort path (float64), including ties, negative scores and signed zeros."""
    rng = np.random.default_rng(seed)
    y = rng.random((n, 5)) < 0.4
    grid = np.linspace(-3, 3, levels) if levels > 1 else np.zeros(1)
    s32 = rng.choice(np.r_[grid, -0.0, 0.0], size=(n, 5)).astype(np.float32)
    fast = optimize_thresholds(y, s32, min_positives=0)
    slow = optimize_thresholds(y, s32.astype(np.float64), min_positives=0)
    np.testing.assert_array_equal(fast.values, slow.values)
    np.testing.assert_array_equal(fast.validation_scores, slow.validation_scores)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_search_runs_in_a_forked_child_after_the_parent_used_threads() -> None:
    import multiprocessing

    rng = np.random.default_rng(0)
    # Enough samples for several label blocks, so the sweep uses its thread pool.
    y = rng.random((4000, 12)) < 0.3
    s = rng.random((4000, 12)).astype(np.float32)
    parent = optimize_thresholds(y, s, min_positives=0).values
    with multiprocessing.get_context("fork").Pool(1) as pool:
        child = pool.apply_async(_optimize_values, (y, s)).get(timeout=60)
    np.testing.assert_array_equal(parent, child)


def _optimize_values(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    return optimize_thresholds(y, s, min_positives=0).values
