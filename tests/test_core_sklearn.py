"""Count-based metrics against scikit-learn (to 1e-12), on random and degenerate inputs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning as SkUndefinedMetricWarning

import multilabel_attr as ml
from _core_helpers import (
    ALL_AVERAGES,
    LABEL_AVERAGES,
    OURS_LABEL,
    OURS_SET,
    ZERO_DIVISIONS,
    assert_close,
    multilabel_data,
    oracle_label_metric,
    oracle_set_metric,
    ours_quiet,
    quiet,
    sk_confusion,
    warned,
)

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Hand-picked degenerate inputs: (y_true, y_pred, sample_weight).
EDGE_CASES: dict[str, tuple[Any, Any, Any]] = {
    "all_zero_rows": ([[0, 0, 0], [0, 0, 0], [1, 0, 1]], [[0, 0, 0], [0, 1, 0], [1, 0, 0]], None),
    "all_zero_everything": ([[0, 0], [0, 0]], [[0, 0], [0, 0]], None),
    "all_one_columns": ([[1, 0, 1], [1, 1, 1], [1, 0, 1]], [[1, 0, 0], [1, 1, 1], [0, 0, 1]], None),
    "all_one_everything": ([[1, 1], [1, 1]], [[1, 1], [1, 1]], None),
    "single_sample": ([[1, 0, 1, 0]], [[1, 1, 0, 0]], None),
    "single_sample_weighted": ([[0, 1]], [[1, 1]], [2.5]),
    "single_label": ([[1], [0], [1], [0]], [[1], [1], [0], [0]], None),
    "single_label_weighted": ([[1], [0], [1], [0]], [[1], [1], [0], [0]], [1.0, 0.0, 2.0, 0.5]),
    "single_cell": ([[1]], [[1]], None),
    "weights_with_zeros": (
        [[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 0]],
        [[1, 1, 1], [0, 1, 0], [0, 1, 0], [0, 0, 1]],
        [0.0, 2.0, 0.5, 1.0],
    ),
    "perfect": ([[1, 0], [0, 1]], [[1, 0], [0, 1]], None),
    "all_wrong": ([[1, 0], [0, 1]], [[0, 1], [1, 0]], None),
}


def _check_set(name: str, y_true: Any, y_pred: Any, sw: Any, zd: Any) -> None:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for average in ALL_AVERAGES:
        expected = oracle_set_metric(name, y_true, y_pred, average, zd, sw)
        ours = ours_quiet(
            OURS_SET[name], y_true, y_pred, average=average, zero_division=zd, sample_weight=sw
        )
        assert_close(ours, expected, f"{name} average={average} zero_division={zd}")


def _check_label(name: str, y_true: Any, y_pred: Any, sw: Any, zd: Any) -> None:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for average in LABEL_AVERAGES:
        expected = oracle_label_metric(name, y_true, y_pred, average, zd, sw)
        ours = ours_quiet(
            OURS_LABEL[name], y_true, y_pred, average=average, zero_division=zd, sample_weight=sw
        )
        assert_close(ours, expected, f"{name} average={average} zero_division={zd}")


@pytest.mark.parametrize("name", sorted(OURS_SET))
@SETTINGS
@given(data=multilabel_data(), zd=st.sampled_from(ZERO_DIVISIONS))
def test_set_metrics_match_sklearn(name: str, zd: Any, data: Any) -> None:
    y_true, y_pred, sw = data
    _check_set(name, y_true, y_pred, sw, zd)


@pytest.mark.parametrize("name", sorted(OURS_LABEL))
@SETTINGS
@given(data=multilabel_data(), zd=st.sampled_from(ZERO_DIVISIONS))
def test_label_metrics_match_sklearn_per_column(name: str, zd: Any, data: Any) -> None:
    y_true, y_pred, sw = data
    _check_label(name, y_true, y_pred, sw, zd)


@pytest.mark.parametrize("case", sorted(EDGE_CASES))
def test_edge_cases_match_sklearn(case: str) -> None:
    y_true, y_pred, sw = EDGE_CASES[case]
    sw = None if sw is None else np.asarray(sw, dtype=np.float64)
    for zd in ZERO_DIVISIONS:
        for name in OURS_SET:
            _check_set(name, y_true, y_pred, sw, zd)
        for name in OURS_LABEL:
            _check_label(name, y_true, y_pred, sw, zd)


def _scalar_oracles(y_true: Any, y_pred: Any, sw: Any, zd: Any) -> dict[str, float]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    loss = skm.hamming_loss(y_true, y_pred, sample_weight=sw)
    return {
        "hamming_loss": loss,
        "label_accuracy": 1.0 - loss,
        "subset_accuracy": skm.accuracy_score(y_true, y_pred, sample_weight=sw),
        "hamming_score": oracle_set_metric("jaccard", y_true, y_pred, "samples", zd, sw),
    }


def _check_scalars(y_true: Any, y_pred: Any, sw: Any, zd: Any) -> None:
    expected = _scalar_oracles(y_true, y_pred, sw, zd)
    assert_close(ml.hamming_loss(y_true, y_pred, sample_weight=sw), expected["hamming_loss"])
    assert_close(ml.label_accuracy(y_true, y_pred, sample_weight=sw), expected["label_accuracy"])
    assert_close(ml.subset_accuracy(y_true, y_pred, sample_weight=sw), expected["subset_accuracy"])
    ours = ours_quiet(ml.hamming_score, y_true, y_pred, zero_division=zd, sample_weight=sw)
    assert_close(ours, expected["hamming_score"], f"hamming_score zero_division={zd}")
    ours_cm = ml.multilabel_confusion_matrix(y_true, y_pred, sample_weight=sw)
    np.testing.assert_allclose(
        ours_cm,
        sk_confusion(np.asarray(y_true), np.asarray(y_pred), sw),
        rtol=1e-12,
        atol=1e-12,
    )


@SETTINGS
@given(data=multilabel_data(min_labels=2), zd=st.sampled_from(ZERO_DIVISIONS))
def test_scalar_metrics_match_sklearn(zd: Any, data: Any) -> None:
    y_true, y_pred, sw = data
    _check_scalars(y_true, y_pred, sw, zd)


@pytest.mark.parametrize("case", sorted(k for k in EDGE_CASES if "single_label" not in k))
def test_scalar_edge_cases_match_sklearn(case: str) -> None:
    y_true, y_pred, sw = EDGE_CASES[case]
    sw = None if sw is None else np.asarray(sw, dtype=np.float64)
    for zd in ZERO_DIVISIONS:
        _check_scalars(y_true, y_pred, sw, zd)


def test_label_accuracy_is_one_minus_hamming_loss() -> None:
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, (50, 7))
    y_pred = rng.integers(0, 2, (50, 7))
    assert ml.label_accuracy(y_true, y_pred) == pytest.approx(
        1 - ml.hamming_loss(y_true, y_pred), abs=1e-15
    )


def test_hamming_score_is_samples_jaccard() -> None:
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, (40, 6))
    y_pred = rng.integers(0, 2, (40, 6))
    assert ml.hamming_score(y_true, y_pred, zero_division=1) == ml.jaccard_score(
        y_true, y_pred, average="samples", zero_division=1
    )


def test_fbeta_limits_are_precision_and_recall() -> None:
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 2, (30, 4))
    y_pred = rng.integers(0, 2, (30, 4))
    for average in ("micro", "macro", "samples"):
        zd = {"zero_division": 0, "average": average}
        assert ml.fbeta_score(y_true, y_pred, beta=0, **zd) == ml.precision_score(
            y_true, y_pred, **zd
        )
        assert ml.fbeta_score(y_true, y_pred, beta=math.inf, **zd) == ml.recall_score(
            y_true, y_pred, **zd
        )
        expected = quiet(skm.fbeta_score, y_true, y_pred, beta=3.0, **zd)
        assert_close(ml.fbeta_score(y_true, y_pred, beta=3.0, **zd), expected)


# -- zero_division="warn": the warning is raised exactly when a value is undefined ---------


def _set_warns(name: str, y_true: np.ndarray, y_pred: np.ndarray, average: Any) -> None:
    """Ours warns iff scikit-learn warns (unweighted data: the two agree on undefinedness)."""
    sk_fn = {
        "precision": skm.precision_score,
        "recall": skm.recall_score,
        "f1": skm.f1_score,
        "jaccard": skm.jaccard_score,
    }[name]
    if y_true.shape[1] == 1 and average == "samples":
        return
    sk_args: dict[str, Any] = {"average": average}
    t, p = y_true, y_pred
    if y_true.shape[1] == 1:
        t, p = y_true[:, 0], y_pred[:, 0]
        sk_args = {"average": "binary"}
    _, sk_warned = warned(lambda: sk_fn(t, p, **sk_args), SkUndefinedMetricWarning)
    _value, ours_warned = warned(
        lambda: OURS_SET[name](y_true, y_pred, average=average), ml.UndefinedMetricWarning
    )
    assert ours_warned == sk_warned, (name, average, y_true.tolist(), y_pred.tolist())
    # Explicit zero_division values never warn.
    for zd in (0, 1, math.nan):
        _, quiet_warned = warned(
            lambda zd=zd: OURS_SET[name](y_true, y_pred, average=average, zero_division=zd),
            ml.UndefinedMetricWarning,
        )
        assert not quiet_warned


@pytest.mark.parametrize("name", ["precision", "recall", "f1", "jaccard"])
@settings(max_examples=20, deadline=None)
@given(data=multilabel_data(weights="none"))
def test_warn_iff_sklearn_warns(name: str, data: Any) -> None:
    y_true, y_pred, _ = data
    for average in ALL_AVERAGES:
        _set_warns(name, y_true, y_pred, average)


@pytest.mark.parametrize("name", sorted(OURS_LABEL))
@settings(max_examples=20, deadline=None)
@given(data=multilabel_data(weights="none"))
def test_label_metrics_warn_iff_undefined(name: str, data: Any) -> None:
    y_true, y_pred, _ = data
    fn = OURS_LABEL[name]
    for average in LABEL_AVERAGES:
        undefined = np.isnan(
            np.atleast_1d(fn(y_true, y_pred, average=average if average == "micro" else None,
                             zero_division=math.nan))
        )  # fmt: skip
        _, did_warn = warned(lambda a=average: fn(y_true, y_pred, average=a),
                             ml.UndefinedMetricWarning)  # fmt: skip
        assert did_warn == bool(undefined.any()), (name, average)


def test_warning_names_the_labels() -> None:
    y_true = [[1, 0, 0], [1, 0, 0]]
    y_pred = [[1, 0, 0], [0, 0, 0]]
    with pytest.warns(ml.UndefinedMetricWarning, match=r"labels 1, 2") as record:
        value = ml.precision_score(y_true, y_pred, average=None)
    assert value.tolist() == [1.0, 0.0, 0.0]
    assert "Precision" in str(record[0].message)
    state = ml.MultilabelCounts.from_batch(y_true, y_pred)
    state.label_names = ("Smiling", "Bald", "Male")
    with pytest.warns(ml.UndefinedMetricWarning, match=r"Bald, Male"):
        state.precision_score(average=None)


def test_warning_counts_the_samples() -> None:
    with pytest.warns(ml.UndefinedMetricWarning, match=r"1 of 3 samples"):
        ml.precision_score([[1, 0], [0, 1], [1, 1]], [[1, 0], [0, 0], [1, 1]], average="samples")


def test_warning_points_at_the_caller() -> None:
    with pytest.warns(ml.UndefinedMetricWarning) as record:
        ml.recall_score([[0, 0]], [[0, 1]], average="macro")
    assert record[0].filename == __file__


def test_weightless_samples_take_no_part_in_samples_averages() -> None:
    """Every weighted sample is undefined and the defined ones weigh nothing: the samples
    average is undefined (scikit-learn would average the weightless samples instead)."""
    y_true = np.array([[0, 0], [0, 0], [0, 0], [0, 1], [0, 0]])
    y_pred = np.array([[0, 0], [0, 0], [0, 0], [0, 0], [1, 0]])
    weights = np.array([1.2, 1.3, 1.9, 0.0, 0.0])
    assert math.isnan(
        ml.hamming_score(y_true, y_pred, zero_division=math.nan, sample_weight=weights)
    )
    kept = weights > 0
    assert ml.f1_score(
        y_true, y_pred, average="samples", zero_division=1, sample_weight=weights
    ) == ml.f1_score(y_true[kept], y_pred[kept], average="samples", zero_division=1)
