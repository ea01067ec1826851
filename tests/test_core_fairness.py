"""Disparities and the named fairness definitions against fairlearn's ``MetricFrame`` and its
fairness functions, label by label (fairlearn takes one label at a time)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import multilabel_attr as ml

fairlearn_metrics = pytest.importorskip("fairlearn.metrics")
skm = pytest.importorskip("sklearn.metrics")

TOL = 1e-12


def _data(seed: int, n: int = 300, n_labels: int = 4, weighted: bool = False) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    y_true = (rng.random((n, n_labels)) < 0.45).astype(np.int64)
    y_pred = (rng.random((n, n_labels)) < 0.5).astype(np.int64)
    sex = rng.choice(["f", "m"], n)
    age = rng.integers(0, 3, n)
    weight = rng.random(n) * 3 if weighted else None
    return {"y_true": y_true, "y_pred": y_pred, "sex": sex, "age": age, "weight": weight}


def _fairlearn_frame(data: dict[str, Any], label: int, metric: Any) -> Any:
    params = None if data["weight"] is None else {"sample_weight": data["weight"]}
    return fairlearn_metrics.MetricFrame(
        metrics=metric,
        y_true=data["y_true"][:, label],
        y_pred=data["y_pred"][:, label],
        sensitive_features={"sex": data["sex"], "age": data["age"]},
        sample_params=params,
    )


METRICS = {
    "selection_rate": lambda: fairlearn_metrics.selection_rate,
    "tpr": lambda: fairlearn_metrics.true_positive_rate,
    "fpr": lambda: fairlearn_metrics.false_positive_rate,
    "precision": lambda: skm.precision_score,
    "f1": lambda: skm.f1_score,
    "balanced_accuracy": lambda: skm.balanced_accuracy_score,
}


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("metric", sorted(METRICS))
def test_disparity_equals_metric_frame(metric: str, weighted: bool) -> None:
    data = _data(1, weighted=weighted)
    ours = ml.disparity(
        data["y_true"], data["y_pred"], groups={"sex": data["sex"], "age": data["age"]},
        metric=metric, sample_weight=data["weight"], zero_division=0,
    )  # fmt: skip
    for label in range(data["y_true"].shape[1]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = _fairlearn_frame(data, label, METRICS[metric]())
        for (sex, age), value in frame.by_group.items():
            assert ours.by_group[f"sex={sex}, age={age}"][label] == pytest.approx(value, abs=TOL)
        assert ours.overall[label] == pytest.approx(frame.overall, abs=TOL)
        expected = {
            "group_min": frame.group_min(),
            "group_max": frame.group_max(),
            "difference": frame.difference(method="between_groups"),
            "difference_to_overall": frame.difference(method="to_overall"),
            "ratio": frame.ratio(method="between_groups"),
            "ratio_to_overall": frame.ratio(method="to_overall"),
        }
        for gap, value in expected.items():
            assert ours.gaps[gap][label] == pytest.approx(value, abs=TOL), gap


FAIRLEARN_FUNCTIONS = [
    ("demographic_parity_difference", "demographic_parity_difference"),
    ("demographic_parity_ratio", "demographic_parity_ratio"),
    ("equal_opportunity_difference", "equal_opportunity_difference"),
    ("equal_opportunity_ratio", "equal_opportunity_ratio"),
    ("equalized_odds_difference", "equalized_odds_difference"),
    ("equalized_odds_ratio", "equalized_odds_ratio"),
]


@pytest.mark.parametrize("method", ["between_groups", "to_overall"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(("ours_name", "theirs_name"), FAIRLEARN_FUNCTIONS)
def test_named_definitions_equal_fairlearn(
    ours_name: str, theirs_name: str, weighted: bool, method: str
) -> None:
    data = _data(2, weighted=weighted)
    groups = {"sex": data["sex"], "age": data["age"]}
    ours = getattr(ml, ours_name)(
        data["y_true"], data["y_pred"], groups=groups, method=method,
        sample_weight=data["weight"],
    )  # fmt: skip
    theirs_fn = getattr(fairlearn_metrics, theirs_name)
    expected = []
    for label in range(data["y_true"].shape[1]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected.append(
                theirs_fn(
                    data["y_true"][:, label],
                    data["y_pred"][:, label],
                    sensitive_features=np.stack([data["sex"], data["age"].astype(str)], axis=1),
                    method=method,
                    sample_weight=data["weight"],
                )
            )
    np.testing.assert_allclose(ours, expected, rtol=0, atol=TOL)
    macro = getattr(ml, ours_name)(
        data["y_true"], data["y_pred"], groups=groups, method=method,
        sample_weight=data["weight"], average="macro",
    )  # fmt: skip
    assert macro == pytest.approx(float(np.mean(expected)), abs=TOL)


def _edge_cases() -> dict[str, Any]:
    """Each label one degenerate case: no positives in one group, no predictions at all,
    everything predicted; one group of a single row."""
    rng = np.random.default_rng(23)
    n = 41
    groups = np.r_[np.arange(n - 1) % 2, 2]  # group 2 holds one row
    y_true = (rng.random((n, 4)) < 0.5).astype(np.int64)
    y_pred = (rng.random((n, 4)) < 0.5).astype(np.int64)
    y_true[groups == 1, 0] = 0
    y_pred[:, 1] = 0
    y_pred[:, 2] = 1
    return {"y_true": y_true, "y_pred": y_pred, "groups": groups}


@pytest.mark.parametrize("method", ["between_groups", "to_overall"])
@pytest.mark.parametrize(("ours_name", "theirs_name"), FAIRLEARN_FUNCTIONS)
@pytest.mark.parametrize("one_group", [False, True])
def test_degenerate_groups_equal_fairlearn(
    ours_name: str, theirs_name: str, method: str, one_group: bool
) -> None:
    data = _edge_cases()
    groups = np.zeros_like(data["groups"]) if one_group else data["groups"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = getattr(ml, ours_name)(data["y_true"], data["y_pred"], groups=groups, method=method)
        expected = [
            getattr(fairlearn_metrics, theirs_name)(
                data["y_true"][:, label],
                data["y_pred"][:, label],
                sensitive_features=groups,
                method=method,
            )
            for label in range(data["y_true"].shape[1])
        ]
    np.testing.assert_allclose(ours, expected, rtol=0, atol=TOL, equal_nan=True)


def test_predictive_parity_is_the_precision_gap() -> None:
    data = _data(3)
    groups = [data["sex"]]
    gap = ml.disparity(data["y_true"], data["y_pred"], groups=groups, metric="precision")
    np.testing.assert_array_equal(
        ml.predictive_parity_difference(data["y_true"], data["y_pred"], groups=groups),
        gap.gaps["difference"],
    )
    np.testing.assert_array_equal(
        ml.predictive_parity_ratio(data["y_true"], data["y_pred"], groups=groups),
        gap.gaps["ratio"],
    )


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(20, 120),
    n_groups=st.integers(2, 4),
    weighted=st.booleans(),
)
def test_selection_rate_gaps_hypothesis(seed: int, n: int, n_groups: int, weighted: bool) -> None:
    rng = np.random.default_rng(seed)
    y_true = rng.random((n, 3)) < 0.5
    y_pred = rng.random((n, 3)) < 0.5
    groups = rng.integers(0, n_groups, n)
    weight = rng.random(n) + 0.1 if weighted else None
    ours = ml.disparity(y_true, y_pred, groups=groups, metric="selection_rate",
                        sample_weight=weight)  # fmt: skip
    for label in range(3):
        frame = fairlearn_metrics.MetricFrame(
            metrics=fairlearn_metrics.selection_rate, y_true=y_true[:, label],
            y_pred=y_pred[:, label], sensitive_features=groups,
            sample_params=None if weight is None else {"sample_weight": weight},
        )  # fmt: skip
        assert ours.gaps["difference"][label] == pytest.approx(frame.difference(), abs=TOL)
        assert ours.gaps["ratio_to_overall"][label] == pytest.approx(
            frame.ratio(method="to_overall"), abs=TOL
        )


def test_summary_metric_disparity_and_mean() -> None:
    data = _data(4)
    gap = ml.disparity(data["y_true"], data["y_pred"], groups=data["sex"], metric="f1_samples",
                       zero_division=0)  # fmt: skip
    assert gap.label_names == ("f1_samples",)
    values = []
    for key in ("f", "m"):
        rows = data["sex"] == key
        values.append(ml.f1_score(data["y_true"][rows], data["y_pred"][rows], average="samples",
                                  zero_division=0))  # fmt: skip
    assert gap.gaps["difference"][0] == pytest.approx(max(values) - min(values), abs=TOL)
    per_label = ml.disparity(data["y_true"], data["y_pred"], groups=data["sex"], metric="tpr")
    assert per_label.mean()["difference"] == pytest.approx(
        np.mean(per_label.gaps["difference"]), abs=TOL
    )


def test_bad_options_are_refused_before_counting() -> None:
    data = _data(5)
    with pytest.raises(ValueError, match="method must be one of"):
        ml.demographic_parity_difference(
            data["y_true"], data["y_pred"], groups=data["sex"], method="pairwise"
        )
    with pytest.raises(ValueError, match="average must be one of None"):
        ml.equal_opportunity_ratio(
            data["y_true"], data["y_pred"], groups=data["sex"], average="micro"
        )
    with pytest.raises(ValueError, match="metric must be one of"):
        ml.disparity(data["y_true"], data["y_pred"], groups=data["sex"], metric="nope")
