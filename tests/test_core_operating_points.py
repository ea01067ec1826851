"""Exact operating points against torchmetrics' unbinned metrics and a brute-force oracle."""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import multilabel_attr as ml
from multilabel_attr import Constraint, UndefinedMetricWarning

RULES = (
    "recall@precision>=0.7",
    "precision@recall>=0.6",
    "specificity@sensitivity>=0.8",
    "sensitivity@specificity>=0.75",
    "eer",
)


def _oracle(truth: np.ndarray, scores: np.ndarray, weights: np.ndarray, rule: Constraint) -> Any:
    """One label by brute force: every distinct score (and inf) as ``score >= t``."""
    candidates = [*sorted(set(scores.tolist())), math.inf]
    best: tuple[Any, ...] | None = None
    for t in candidates:
        pred = scores >= t
        tp = float(weights[pred & truth].sum())
        fp = float(weights[pred & ~truth].sum())
        fn = float(weights[~pred & truth].sum())
        tn = float(weights[~pred & ~truth].sum())
        rates = {
            "precision": tp / (tp + fp) if tp + fp > 0 else math.nan,
            "recall": tp / (tp + fn) if tp + fn > 0 else math.nan,
            "specificity": tn / (tn + fp) if tn + fp > 0 else math.nan,
        }
        if rule.target == "eer":
            fpr, fnr = fp / (fp + tn), 1 - tp / (tp + fn)
            key: tuple[float, ...] = (-abs(fpr - fnr), t)
            point = ((fpr + fnr) / 2, t)
        else:
            if rule.on_precision and t == math.inf:
                continue
            achieved = rates[str(rule.bound)]
            if not achieved >= float(rule.minimum or 0):
                continue
            value = rates[rule.target]
            key = (value, achieved, t) if rule.on_precision else (value, t)
            point = (value, t)
        if best is None or key > best[0]:
            best = (key, point)
    return None if best is None else best[1]


def _check_against_oracle(truth: Any, scores: Any, weights: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        found = ml.operating_points(truth, scores, RULES, sample_weight=weights)
    w = np.ones(truth.shape[0]) if weights is None else weights
    for key, result in found.items():
        rule = Constraint.parse(key)
        for j in range(truth.shape[1]):
            if result.status[j] == "undefined":
                continue
            expected = _oracle(truth[:, j].astype(bool), scores[:, j], w, rule)
            if expected is None:
                assert result.status[j] == "infeasible"
                continue
            assert result.status[j] == "ok", (key, j)
            assert result.values[j] == pytest.approx(expected[0], abs=1e-12), (key, j)
            assert result.thresholds[j] == expected[1], (key, j)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 40),
    labels=st.integers(1, 3),
    levels=st.sampled_from([3, 7, 1000]),
    weighted=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_equals_brute_force_oracle(
    n: int, labels: int, levels: int, weighted: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    truth = (rng.random((n, labels)) < 0.4).astype(int)
    scores = rng.integers(0, levels, (n, labels)) / (levels - 1)  # few levels: many ties
    weights = rng.integers(0, 4, n).astype(float) if weighted else None
    if weights is not None and weights.sum() == 0:
        weights[0] = 1.0
    _check_against_oracle(truth, scores, weights)


def test_integer_weights_equal_repeated_rows() -> None:
    rng = np.random.default_rng(3)
    truth = rng.random((60, 3)) < 0.4
    scores = np.round(rng.random((60, 3)), 1)
    weights = rng.integers(0, 4, 60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        weighted = ml.operating_points(truth, scores, RULES, sample_weight=weights)
        repeated = ml.operating_points(
            np.repeat(truth, weights, axis=0), np.repeat(scores, weights, axis=0), RULES
        )
    for key in weighted:
        np.testing.assert_allclose(weighted[key].values, repeated[key].values, rtol=1e-12)
        np.testing.assert_array_equal(weighted[key].thresholds, repeated[key].thresholds)


# -- torchmetrics (unbinned) -------------------------------------------------------------------


@contextlib.contextmanager
def _float64_torch() -> Iterator[Any]:
    """torchmetrics counts in the default float type: float64 makes its rates exact ratios."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchmetrics")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield torch
    finally:
        torch.set_default_dtype(previous)


@pytest.fixture
def torch_double() -> Iterator[Any]:
    with _float64_torch() as torch:
        yield torch


def _torchmetrics(torch: Any, truth: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    from torchmetrics.functional import classification as tm

    preds = torch.tensor(scores, dtype=torch.float64)
    target = torch.tensor(truth.astype(np.int64))
    labels = truth.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            RULES[0]: tm.multilabel_recall_at_fixed_precision(preds, target, labels, 0.7),
            RULES[1]: tm.multilabel_precision_at_fixed_recall(preds, target, labels, 0.6),
            RULES[2]: tm.multilabel_specificity_at_sensitivity(preds, target, labels, 0.8),
            RULES[3]: tm.multilabel_sensitivity_at_specificity(preds, target, labels, 0.75),
            RULES[4]: (tm.multilabel_eer(preds, target, labels), None),
        }


def _compare_torchmetrics(torch: Any, truth: np.ndarray, scores: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        ours = ml.operating_points(truth, scores, RULES)
    theirs = _torchmetrics(torch, truth, scores)
    for key, (values, thresholds) in theirs.items():
        result = ours[key]
        for j in range(truth.shape[1]):
            value = float(values[j])
            if result.status[j] == "infeasible":
                # torchmetrics reports an unreachable precision as recall 0 at threshold nan.
                assert key == RULES[0] and value == 0.0 and math.isnan(float(thresholds[j]))
                continue
            assert result.status[j] == "ok"
            # Specificity is tn / (tn + fp) here and 1 - fp / (fp + tn) there: equal to an ulp.
            assert result.values[j] == pytest.approx(value, rel=1e-15, abs=1e-15), (key, j)
            if thresholds is None:
                continue
            expected = float(thresholds[j])
            if math.isinf(result.thresholds[j]):
                # torchmetrics' ROC curve marks "nothing positive" with the threshold 1.0.
                assert expected == 1.0
            else:
                assert result.thresholds[j] == expected, (key, j)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(4, 60),
    levels=st.sampled_from([2, 5, 11, 10**6]),
    seed=st.integers(0, 2**31 - 1),
)
def test_equals_torchmetrics_unbinned(n: int, levels: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = (rng.random((n, 4)) < 0.5).astype(np.int64)
    truth[0], truth[1] = 1, 0  # both classes in every label: torchmetrics fills in otherwise
    scores = rng.integers(0, levels, (n, 4)) / (levels - 1)
    with _float64_torch() as torch:
        _compare_torchmetrics(torch, truth, scores)


def test_equals_torchmetrics_on_ties_and_infeasible(torch_double: Any) -> None:
    truth = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 1], [1, 0, 0], [0, 1, 0]])
    scores = np.array(
        [[0.5, 0.9, 0.2], [0.5, 0.1, 0.2], [0.5, 0.9, 0.2], [0.9, 0.4, 0.8], [0.2, 0.4, 0.1],
         [0.2, 0.9, 0.1]]
    )  # fmt: skip
    with pytest.warns(UndefinedMetricWarning, match="infeasible for label label_1"):
        result = ml.recall_at_precision(truth, scores, 0.7)
    assert result.status == ("ok", "infeasible", "ok")
    assert result.values[0] == 0.75 and result.thresholds[0] == 0.5  # tied scores: one cut
    assert result.values[2] == 1.0 and result.thresholds[2] == 0.2
    assert math.isnan(result.values[1]) and math.isnan(result.thresholds[1])
    _compare_torchmetrics(torch_double, truth, scores)


def test_float32_scores_equal_float64(torch_double: Any) -> None:
    rng = np.random.default_rng(1)
    truth = (rng.random((500, 3)) < 0.3).astype(np.int64)
    scores = rng.random((500, 3)).astype(np.float32)
    _compare_torchmetrics(torch_double, truth, scores.astype(np.float64))
    narrow = ml.operating_points(truth, scores, RULES)
    wide = ml.operating_points(truth, scores.astype(np.float64), RULES)
    for key in narrow:
        np.testing.assert_array_equal(narrow[key].values, wide[key].values)
        np.testing.assert_array_equal(narrow[key].thresholds, wide[key].thresholds)


def test_logits_give_the_same_points_with_logit_thresholds() -> None:
    rng = np.random.default_rng(2)
    truth = rng.random((300, 3)) < 0.4
    logits = rng.normal(0, 2, (300, 3))
    probs = 1 / (1 + np.exp(-logits))
    on_logits = ml.operating_points(truth, logits, RULES, from_logits=True)
    on_probs = ml.operating_points(truth, probs, RULES)
    for key in on_logits:
        np.testing.assert_array_equal(on_logits[key].values, on_probs[key].values)
        finite = np.isfinite(on_logits[key].thresholds)
        np.testing.assert_allclose(
            1 / (1 + np.exp(-on_logits[key].thresholds[finite])),
            on_probs[key].thresholds[finite],
            rtol=1e-12,
        )
        assert on_logits[key].from_logits


def test_threshold_reproduces_the_point() -> None:
    rng = np.random.default_rng(4)
    truth = rng.random((400, 5)) < 0.3
    scores = np.round(rng.random((400, 5)), 2)
    result = ml.precision_at_recall(truth, scores, 0.5)
    pred = scores >= result.thresholds
    tp = (pred & truth).sum(axis=0)
    np.testing.assert_allclose(result.values, tp / pred.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(result.achieved, tp / truth.sum(axis=0), rtol=1e-12)


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("minimum", [0, 0.0, 1.5, -0.1, math.nan, True, "0.9", None])
def test_minimum_outside_unit_interval_names_the_argument(minimum: Any) -> None:
    with pytest.raises(ValueError, match="min_precision must be a number in \\(0, 1\\]"):
        ml.recall_at_precision([[1], [0]], [[0.4], [0.6]], minimum)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("recall@precision>=1.2", "minimum precision of constraints must be a number in"),
        ("recall@precision>=0", "must be a number in \\(0, 1\\]"),
        ("f1@precision>=0.5", "constraints must be 'eer' or"),
        ("precision@specificity>=0.5", "constraints must be 'eer' or"),
        ("recall>=0.5", "constraints must be 'eer' or"),
    ],
)
def test_malformed_rules_name_the_argument(rule: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ml.operating_points([[1], [0]], [[0.4], [0.6]], rule)


def test_rules_are_checked_before_the_data() -> None:
    with pytest.raises(ValueError, match="constraints must be"):
        ml.operating_points("not data", None, "nonsense")
    with pytest.raises(TypeError, match=r"from_logits must be True or False \(a bool\)"):
        ml.equal_error_rate("not data", None, from_logits=1)


def test_scores_outside_unit_interval_need_from_logits() -> None:
    with pytest.raises(ValueError, match="Pass from_logits=True"):
        ml.equal_error_rate([[1], [0]], [[2.0], [-1.0]])


def test_single_class_labels_are_undefined_not_zero() -> None:
    truth = np.array([[1, 0], [1, 1], [1, 0]])
    scores = np.array([[0.9, 0.2], [0.8, 0.7], [0.3, 0.4]])
    with pytest.warns(UndefinedMetricWarning, match="eer is undefined for label label_0"):
        result = ml.equal_error_rate(truth, scores)
    assert result.status == ("undefined", "ok")
    assert math.isnan(result.values[0])
    # Precision at recall needs positives only.
    assert ml.precision_at_recall(truth, scores, 0.5).status == ("ok", "ok")


def test_to_dict_is_json_ready() -> None:
    import json

    result = ml.sensitivity_at_specificity(
        [[1, 1], [0, 1], [1, 0]], [[0.3, 0.9], [0.9, 0.8], [0.2, 0.1]], 1.0, label_names=["a", "b"]
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert data["constraint"] == "sensitivity@specificity>=1.0"
    assert data["labels"]["a"] == {
        "value": 0.0, "threshold": "inf", "achieved": 1.0, "status": "ok"
    }  # fmt: skip
    assert data["labels"]["b"]["value"] == 1.0


# -- as objectives of the threshold search -----------------------------------------------------


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("weighted", [False, True])
def test_threshold_search_takes_the_operating_point(rule: str, weighted: bool) -> None:
    from multilabel_attr.thresholds import optimize_thresholds

    rng = np.random.default_rng(5)
    truth = rng.random((300, 4)) < [0.1, 0.3, 0.5, 0.7]
    scores = np.round(np.clip(0.35 * truth + 0.65 * rng.random((300, 4)), 0, 1), 2)
    weights = rng.integers(1, 4, 300).astype(float) if weighted else None
    point = ml.operating_points(truth, scores, rule, sample_weight=weights)[
        Constraint.parse(rule).key
    ]
    assert point.status == ("ok",) * 4
    tuned = optimize_thresholds(truth, scores, metric=rule, min_positives=0, sample_weight=weights)
    # Thresholds differ (midpoints against the lowest positive score) but cut the same way.
    np.testing.assert_array_equal(scores >= tuned.values, scores >= point.thresholds)
    np.testing.assert_allclose(tuned.validation_scores, point.values, rtol=1e-12)
    assert tuned.metric == Constraint.parse(rule).key


def test_threshold_search_falls_back_where_a_rule_is_infeasible() -> None:
    from multilabel_attr.thresholds import ThresholdWarning, optimize_thresholds

    truth = np.array([[1, 0], [1, 1], [0, 1], [1, 0], [0, 0]])
    scores = np.array([[0.9, 0.2], [0.8, 0.7], [0.7, 0.4], [0.3, 0.9], [0.1, 0.95]])
    with pytest.warns(ThresholdWarning, match="infeasible for 1 of 2 labels: 1; they use"):
        tuned = optimize_thresholds(
            truth, scores, metric="recall@precision>=0.9", min_positives=0, fallback=0.5
        )
    assert tuned.values[1] == 0.5 and list(tuned.fallback_labels) == [1]
    assert tuned.values[0] == pytest.approx(0.75)  # between 0.7 and 0.8: recall 2/3


def test_threshold_search_shared_rule_is_the_pooled_operating_point() -> None:
    from multilabel_attr.thresholds import optimize_thresholds

    rng = np.random.default_rng(6)
    truth = rng.random((200, 3)) < 0.4
    scores = np.round(np.clip(0.3 * truth + 0.7 * rng.random((200, 3)), 0, 1), 2)
    tuned = optimize_thresholds(truth, scores, metric="recall@precision>=0.8", strategy="shared")
    pooled = ml.recall_at_precision(truth.reshape(-1, 1), scores.reshape(-1, 1), 0.8)
    assert (
        scores.reshape(-1, 1)[scores.reshape(-1, 1) >= tuned.values[0]].min()
        == (pooled.thresholds[0])
    )


def test_threshold_search_refuses_rules_with_coordinate_ascent() -> None:
    from multilabel_attr.thresholds import optimize_thresholds

    with pytest.raises(ValueError, match=r"operating-point rule.*strategy='coordinate'"):
        optimize_thresholds([[1], [0]], [[0.6], [0.4]], metric="eer", strategy="coordinate")
    with pytest.raises(ValueError, match="minimum precision of metric must be a number in"):
        optimize_thresholds([[1], [0]], [[0.6], [0.4]], metric="recall@precision>=1.5")
