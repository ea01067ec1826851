"""Calibration metrics against torchmetrics and scikit-learn, per label, to 1e-12; streaming
equals one shot over any split; equal-mass bins from fine bins stay within their stated bound."""

from __future__ import annotations

import itertools
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import multilabel_attr as ml
from multilabel_attr.core._internal import calibration_error_from_sums

TOL = 1e-12


def _close(ours: Any, expected: Any) -> None:
    np.testing.assert_allclose(np.asarray(ours, np.float64), expected, rtol=TOL, atol=TOL)


def _data(
    seed: int, n: int = 2000, n_labels: int = 4, weights: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, (n, n_labels))
    truth = (rng.random((n, n_labels)) < 1 / (1 + np.exp(-0.7 * logits))).astype(np.int64)
    scores = 1 / (1 + np.exp(-logits))
    return truth, scores, rng.uniform(0.2, 3.0, n) if weights else None


def _torch_ce(truth: np.ndarray, scores: np.ndarray, n_bins: int, norm: str) -> float:
    torch = pytest.importorskip("torch")
    tmc = pytest.importorskip("torchmetrics.classification")
    metric = tmc.BinaryCalibrationError(n_bins=n_bins, norm=norm)
    return float(metric(torch.tensor(scores), torch.tensor(truth)))


# -- per label against the references ----------------------------------------------------------


@pytest.mark.parametrize("n_bins", [1, 7, 15])
@pytest.mark.parametrize("norm", ["l1", "max"])
def test_calibration_error_equals_torchmetrics_per_label(n_bins: int, norm: str) -> None:
    truth, scores, _ = _data(n_bins)
    fn = ml.expected_calibration_error if norm == "l1" else ml.max_calibration_error
    ours = fn(truth, scores, n_bins=n_bins, average=None)
    expected = [_torch_ce(truth[:, j], scores[:, j], n_bins, norm) for j in range(4)]
    _close(ours, expected)
    # Micro pools every cell into the same bins: torchmetrics on the flattened matrix.
    _close(fn(truth, scores, n_bins=n_bins, average="micro"),
           _torch_ce(truth.ravel(), scores.ravel(), n_bins, norm))  # fmt: skip
    _close(fn(truth, scores, n_bins=n_bins, average="macro"), np.mean(expected))
    support = truth.sum(axis=0)
    _close(fn(truth, scores, n_bins=n_bins, average="weighted"), support @ expected / support.sum())


def test_integer_weights_equal_repeated_rows_in_torchmetrics() -> None:
    truth, scores, _ = _data(3, n=500)
    counts = np.random.default_rng(4).integers(0, 4, 500)
    for norm, fn in (("l1", ml.expected_calibration_error), ("max", ml.max_calibration_error)):
        ours = fn(truth, scores, n_bins=10, average=None, sample_weight=counts)
        rep_t, rep_s = np.repeat(truth, counts, axis=0), np.repeat(scores, counts, axis=0)
        _close(ours, [_torch_ce(rep_t[:, j], rep_s[:, j], 10, norm) for j in range(4)])


def test_from_logits_equals_probabilities() -> None:
    truth, scores, weights = _data(5, weights=True)
    logits = np.log(scores) - np.log1p(-scores)
    for fn in (ml.expected_calibration_error, ml.max_calibration_error, ml.brier_score,
               ml.log_loss):  # fmt: skip
        kwargs: dict[str, Any] = {"average": None, "sample_weight": weights}
        np.testing.assert_allclose(
            fn(truth, logits, from_logits=True, **kwargs), fn(truth, scores, **kwargs), atol=1e-9
        )


@pytest.mark.parametrize("weighted", [False, True])
def test_brier_and_log_loss_equal_sklearn_per_label(weighted: bool) -> None:
    skm = pytest.importorskip("sklearn.metrics")
    truth, scores, weights = _data(6, weights=weighted)
    scores[:5, 0] = [0.0, 1.0, 1.0, 0.0, 1e-300]  # clipped to [eps, 1 - eps]
    for ours_fn, ref in ((ml.brier_score, skm.brier_score_loss), (ml.log_loss, skm.log_loss)):
        ours = ours_fn(truth, scores, average=None, sample_weight=weights)
        extra: dict[str, Any] = {"labels": [0, 1]} if ref is skm.log_loss else {}
        expected = [
            ref(truth[:, j], scores[:, j], sample_weight=weights, **extra) for j in range(4)
        ]
        _close(ours, expected)
        _close(ours_fn(truth, scores, average="macro", sample_weight=weights), np.mean(expected))
        pooled = None if weights is None else np.repeat(weights, 4)
        _close(ours_fn(truth, scores, average="micro", sample_weight=weights),
               ref(truth.ravel(), scores.ravel(), sample_weight=pooled, **extra))  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(n_bins=st.integers(1, 300), seed=st.integers(0, 2**32 - 1), fortran=st.booleans())
def test_equal_width_bins_of_scores_on_and_beside_every_edge(
    n_bins: int, seed: int, fortran: bool
) -> None:
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    near = np.concatenate([edges, np.nextafter(edges, 0.0), np.nextafter(edges, 1.0)])
    rng = np.random.default_rng(seed)
    pool = np.concatenate([near, rng.random(200)])
    scores = rng.choice(pool, (2 * pool.size, 3))
    scores = np.asfortranarray(scores) if fortran else scores
    truth = rng.integers(0, 2, scores.shape)
    weight = ml.calibration_curve(truth, scores, n_bins=n_bins).weight
    # A score's bin is the number of inner edges at or below it (the last bin is closed).
    index = (scores[:, :, None] >= edges[1:-1]).sum(axis=2)
    expected = [np.bincount(index[:, j], minlength=n_bins) for j in range(3)]
    np.testing.assert_array_equal(weight, np.array(expected, np.float64))


def _sklearn_curve(truth: np.ndarray, scores: np.ndarray, n_bins: int, strategy: str) -> Any:
    calibration = pytest.importorskip("sklearn.calibration")
    return calibration.calibration_curve(truth, scores, n_bins=n_bins, strategy=strategy)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
@pytest.mark.parametrize("n_bins", [1, 5, 10])
def test_calibration_curve_equals_sklearn_per_label(strategy: str, n_bins: int) -> None:
    truth, scores, _ = _data(7, n=301)
    curve = ml.calibration_curve(truth, scores, n_bins=n_bins, strategy=strategy)
    for j in range(4):
        observed, mean = _sklearn_curve(truth[:, j], scores[:, j], n_bins, strategy)
        kept = curve.weight[j] > 0  # scikit-learn drops empty bins
        _close(curve.observed_rate[j][kept], observed)
        _close(curve.mean_score[j][kept], mean)
        assert np.all(np.isnan(curve.mean_score[j][~kept]))
        assert curve.weight[j].sum() == 301


def test_quantile_bins_with_ties_equal_sklearn() -> None:
    # Scores on a grid: quantiles fall on scores, which belong to the bin below.
    truth, scores, _ = _data(8, n=400)
    scores = np.round(scores, 1)
    curve = ml.calibration_curve(truth, scores, n_bins=8, strategy="quantile")
    for j in range(4):
        observed, mean = _sklearn_curve(truth[:, j], scores[:, j], 8, "quantile")
        kept = curve.weight[j] > 0
        _close(curve.observed_rate[j][kept], observed)
        _close(curve.mean_score[j][kept], mean)


def test_quantile_ece_is_the_ece_of_sklearn_bins() -> None:
    truth, scores, _ = _data(9, n=500)
    ours = ml.expected_calibration_error(truth, scores, n_bins=6, strategy="quantile", average=None)
    for j in range(4):
        edges = np.percentile(scores[:, j], np.linspace(0, 100, 7))
        ids = np.searchsorted(edges[1:-1], scores[:, j])
        gaps = np.bincount(ids, scores[:, j] - truth[:, j], 6)
        _close(ours[j], np.abs(gaps).sum() / 500)


def test_weighted_quantile_edges_reduce_to_sklearn_with_unit_weights() -> None:
    truth, scores, _ = _data(10, n=333)
    ones = np.ones(333)
    weighted = ml.calibration_curve(truth, scores, n_bins=7, strategy="quantile",
                                    sample_weight=ones)  # fmt: skip
    plain = ml.calibration_curve(truth, scores, n_bins=7, strategy="quantile")
    np.testing.assert_allclose(weighted.edges, plain.edges, rtol=0, atol=1e-15)


def test_hand_computed_case() -> None:
    y = np.array([[1], [0], [1], [0]])
    p = np.array([[0.9], [0.3], [0.6], [0.2]])
    # Bins [0, .5): scores .3, .2, labels 0, 0 -> |0.5 - 0| ; [.5, 1]: .9, .6 vs 1, 1 -> |1.5 - 2|.
    assert ml.expected_calibration_error(y, p, n_bins=2) == pytest.approx(1.0 / 4)
    assert ml.max_calibration_error(y, p, n_bins=2) == pytest.approx(0.25)
    assert ml.brier_score(y, p) == pytest.approx((0.01 + 0.09 + 0.16 + 0.04) / 4)


# -- streaming -------------------------------------------------------------------------------


def _metrics(state: ml.CalibrationState) -> list[Any]:
    values = []
    for average in ("macro", "weighted", "micro", None):
        values += [
            state.calibration_error("l1", average=average),
            state.calibration_error("max", average=average),
            state.brier_score(average),
            state.log_loss(average),
        ]
        if state.exact:
            values.append(state.calibration_error(average=average, strategy="quantile"))
    return values


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 60),
    n_labels=st.integers(1, 4),
    cuts=st.lists(st.integers(0, 60), max_size=4),
    weighted=st.booleans(),
    exact=st.booleans(),
)
def test_streaming_over_any_split_equals_one_shot(
    seed: int, n: int, n_labels: int, cuts: list[int], weighted: bool, exact: bool
) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, (n, n_labels))
    scores = np.round(rng.random((n, n_labels)), int(rng.integers(1, 4)))
    weights = rng.uniform(0.5, 2.0, n) if weighted else None
    bounds = sorted({0, n, *(c % (n + 1) for c in cuts)})
    kwargs: dict[str, Any] = {"n_bins": 5, "exact": exact}
    one = ml.CalibrationState(n_labels, **kwargs).update(truth, scores, sample_weight=weights)
    merged = ml.CalibrationState(n_labels, **kwargs)
    for start, stop in itertools.pairwise(bounds):
        part = ml.CalibrationState(n_labels, **kwargs).update(
            truth[start:stop], scores[start:stop],
            sample_weight=None if weights is None else weights[start:stop],
        )  # fmt: skip
        merged = merged + part
    restored = ml.CalibrationState.from_dict(json.loads(json.dumps(merged.to_dict())))
    for state in (merged, restored):
        for ours, expected in zip(_metrics(state), _metrics(one), strict=True):
            np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)
    # The one-shot functions read the same state.
    _close(one.calibration_error(average=None),
           ml.expected_calibration_error(truth, scores, n_bins=5, average=None,
                                         sample_weight=weights))  # fmt: skip


def test_state_size_does_not_grow_with_samples() -> None:
    truth, scores, _ = _data(11, n=5000)
    state = ml.CalibrationState(4)
    size = len(json.dumps(state.to_dict()))
    for start in range(0, 5000, 1000):
        state.update(truth[start : start + 1000], scores[start : start + 1000])
        grown = len(json.dumps(state.to_dict()))
    assert grown < 2 * size + 200_000 and state.n_samples == 5000


def test_sums_formula_evaluates_replicate_stacks() -> None:
    truth, scores, _ = _data(12, n=400)
    state = ml.CalibrationState(4, n_bins=8).update(truth, scores)
    rng = np.random.default_rng(0)
    counts = rng.multinomial(400, np.full(400, 1 / 400), size=3).astype(np.float64)
    replicate_sums = [
        ml.CalibrationState(4, n_bins=8).update(truth, scores, sample_weight=c).binned_sums()
        for c in counts
    ]
    stacked = [np.stack([getattr(b, name) for b in replicate_sums])
               for name in ("weight", "score_sum", "label_sum")]  # fmt: skip
    for norm in ("l1", "max"):
        values = calibration_error_from_sums(stacked[0], stacked[1], stacked[2], norm)
        assert values.shape == (3, 4)
        for r, c in enumerate(counts):
            _close(values[r], ml.CalibrationState(4, n_bins=8).update(
                truth, scores, sample_weight=c).calibration_error(norm, average=None))  # fmt: skip
    _close(state.calibration_error(average=None),
           calibration_error_from_sums(state.weight, state.score_sum, state.label_sum))  # fmt: skip


# -- equal-mass bins from fine bins ------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("weighted", [False, True])
def test_fine_bin_equal_mass_error_within_its_bound(seed: int, weighted: bool) -> None:
    truth, scores, weights = _data(seed, n=4000, weights=weighted)
    if seed % 2:
        scores = scores**3  # skewed towards 0
    sketch = ml.CalibrationState(4, n_bins=10).update(truth, scores, sample_weight=weights)
    exact = ml.CalibrationState(4, n_bins=10, exact=True).update(
        truth, scores, sample_weight=weights
    )
    for norm in ("l1", "max"):
        for average in (None, "macro", "weighted", "micro"):
            value = sketch.calibration_error(norm, average=average, strategy="quantile")
            truth_value = exact.calibration_error(norm, average=average, strategy="quantile")
            bound = sketch.calibration_error_bound(norm, average=average)
            assert np.all(np.abs(value - truth_value) <= bound + 1e-12)
            assert np.all(exact.calibration_error_bound(norm, average=average) == 0)
    # About 2 * (n_bins - 1) fine bins' share of the weight: a few percent at 1024 fine bins.
    assert np.all(sketch.calibration_error_bound("l1", average=None) < 0.15)


def test_unresolvable_equal_mass_bins_are_refused() -> None:
    truth = np.array([[0, 1]] * 50 + [[1, 0]] * 50)
    scores = np.column_stack([np.full(100, 0.3), np.linspace(0.01, 0.99, 100)])
    state = ml.CalibrationState(2, n_bins=4, label_names=["Bald", "Smiling"]).update(truth, scores)
    with pytest.raises(ValueError, match=r"cannot be resolved .* label\(s\) Bald"):
        state.calibration_error(strategy="quantile")
    assert np.isfinite(state.calibration_error(strategy="uniform"))
    no_fine = ml.CalibrationState(2, sketch_bins=None).update(truth, scores)
    with pytest.raises(ValueError, match="exact=True"):
        no_fine.calibration_error(strategy="quantile")


# -- bad input -------------------------------------------------------------------------------


def test_bad_input_gets_clear_errors() -> None:
    truth, scores, _ = _data(13, n=20)
    with pytest.raises(ValueError, match=r"y_score must hold probabilities in \[0, 1\].*logits"):
        ml.expected_calibration_error(truth, scores * 2)
    with pytest.raises(ValueError, match="n_bins must be at least 1; got 0"):
        ml.expected_calibration_error(truth, scores, n_bins=0)
    with pytest.raises(ValueError, match="n_bins must be at least 1"):
        ml.CalibrationState(4, n_bins=0)
    with pytest.raises(TypeError, match=r"from_logits must be True or False \(a bool\); got str"):
        ml.brier_score(truth, scores, from_logits="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"exact must be True or False \(a bool\); got int"):
        ml.CalibrationState(4, exact=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"strategy must be one of 'uniform'.*got 'equal'"):
        ml.calibration_curve(truth, scores, strategy="equal")
    with pytest.raises(ValueError, match="norm must be one of 'l1'"):
        ml.CalibrationState(4).update(truth, scores).calibration_error("l2")
    with pytest.raises(ValueError, match="average must be one of"):
        ml.log_loss(truth, scores, average="samples")
    bad = scores.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="y_score must be finite"):
        ml.log_loss(truth, bad)
    with pytest.raises(ValueError, match="y_true must contain only 0 and 1"):
        ml.brier_score(truth * 2, scores)
    with pytest.raises(ValueError, match="no samples have been added"):
        ml.CalibrationState(4).brier_score()
    with pytest.raises(ValueError, match="cannot merge calibration states with different n_bins"):
        ml.CalibrationState(4) + ml.CalibrationState(4, n_bins=3)
    with pytest.raises(ValueError, match="format"):
        ml.CalibrationState.from_dict({"format": "other"})
    saved = ml.CalibrationState(4).update(truth, scores).to_dict()
    saved["weight"][0][0] = -1.0
    with pytest.raises(ValueError, match="negative sums"):
        ml.CalibrationState.from_dict(saved)
