"""Ranking columns of a sliced report: each slice's, and all rows', equal ranking them alone."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, roc_auc_score

import multilabel_attr as ml


def _scores(rng: np.random.Generator, y_true: Any, kind: str) -> Any:
    noise = rng.random(y_true.shape)
    if kind == "ties":  # few distinct values: ties within and across classes
        return np.round(0.3 * y_true + 0.7 * noise, 1)
    if kind == "int":
        return rng.integers(0, 4, y_true.shape) + y_true
    dtype = np.float32 if kind == "float32" else np.float64
    return (0.3 * y_true + 0.7 * noise).astype(dtype)


def _ranking(report: Any) -> list[list[float]]:
    return [report.per_label["auroc"], report.per_label["average_precision"]]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 300),
    n_keys=st.integers(1, 6),
    kind=st.sampled_from(["float32", "float64", "ties", "int"]),
)
def test_each_slice_ranks_as_if_alone(seed: int, n: int, n_keys: int, kind: str) -> None:
    rng = np.random.default_rng(seed)
    y_true = rng.random((n, 5)) < rng.uniform(0.05, 0.6)
    y_score = _scores(rng, y_true, kind)
    keys = rng.integers(0, n_keys, n)
    # Integer scores are read as logits (they are not probabilities).
    options: dict[str, Any] = {"zero_division": 0, "from_logits": kind == "int"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.UndefinedMetricWarning)
        report = ml.evaluate(y_true, y_score, groups={"k": keys}, **options)
        whole = ml.evaluate(y_true, y_score, **options)
        np.testing.assert_array_equal(_ranking(report.overall), _ranking(whole))  # bit for bit
        for name in report.groups:
            rows = keys == report.keys[name][0]
            alone = ml.evaluate(y_true[rows], y_score[rows], **options)
            np.testing.assert_array_equal(_ranking(report.slice(name)), _ranking(alone))


def test_slices_match_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    n = 20_000  # several label blocks on several threads
    y_true = rng.random((n, 9)) < 0.3
    y_score = np.round(0.4 * y_true + 0.6 * rng.random((n, 9)), 3).astype(np.float32)
    groups = {"sex": rng.integers(0, 2, n), "age": rng.choice(["young", "old"], n)}
    report = ml.evaluate(y_true, y_score, groups=groups, zero_division=0)
    for name in ["overall", *report.groups]:
        key = report.keys[name]
        rows = np.ones(n, bool)
        if key:
            rows = (groups["sex"] == key[0]) & (groups["age"] == key[1])
        ours = report.slice(name)
        for j in range(9):
            truth, score = y_true[rows, j], y_score[rows, j]
            assert ours.per_label["auroc"][j] == pytest.approx(
                roc_auc_score(truth, score), rel=1e-12
            )
            assert ours.per_label["average_precision"][j] == pytest.approx(
                average_precision_score(truth, score), rel=1e-12
            )


def test_slicing_labels_are_left_out_of_the_ranking() -> None:
    rng = np.random.default_rng(4)
    names = ["Male", "Smiling", "Hat", "Young"]
    y_true = rng.random((500, 4)) < 0.4
    y_score = rng.random((500, 4))
    report = ml.evaluate(y_true, y_score, groups=["Male", "Young"], label_names=names,
                         zero_division=0)  # fmt: skip
    rows = y_true[:, 0] & ~y_true[:, 3]
    alone = ml.evaluate(y_true[rows][:, 1:3], y_score[rows][:, 1:3], label_names=names[1:3],
                        zero_division=0)  # fmt: skip
    assert report.slice("Male=1, Young=0").to_dict() == alone.to_dict()


def test_undefined_labels_warn_per_shown_slice() -> None:
    y_true = np.array([[1, 0], [0, 0], [1, 0], [0, 1], [1, 1], [0, 1]])
    y_score = np.linspace(0.1, 0.9, 12).reshape(6, 2)
    groups = np.array(["a", "a", "a", "b", "b", "c"])
    with pytest.warns(ml.UndefinedMetricWarning) as caught:
        report = ml.evaluate(y_true, y_score, groups=groups, min_slice_size=2, zero_division=0)
    messages = [str(w.message) for w in caught]
    assert any("ROC AUC in slice group=a is undefined for label label_1" in m for m in messages)
    assert any("ROC AUC in slice group=b is undefined for label label_1" in m for m in messages)
    assert not any("group=c" in m for m in messages)  # hidden: not ranked, no warning
    assert np.isnan(report.slice("a").per_label["average_precision"][1])


@pytest.mark.parametrize("weighted", [False, True])
def test_wide_slices_equal_evaluating_each_alone(weighted: bool) -> None:
    # 40 labels: the averages over labels sum more than one block of eight; the slices' count
    # metrics are computed together, each must still equal its slice evaluated alone.
    rng = np.random.default_rng(5)
    n = 3000
    y_true = rng.random((n, 40)) < rng.uniform(0.01, 0.5, 40)
    y_score = np.clip(0.3 * y_true + 0.7 * rng.random((n, 40)), 0, 1)
    keys = rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1])
    weight = rng.random(n) if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.UndefinedMetricWarning)
        report = ml.evaluate(y_true, y_score, groups=keys, sample_weight=weight)
        whole = ml.evaluate(y_true, y_score, sample_weight=weight)
        for key in ("a", "b", "c"):
            rows = keys == key
            alone = ml.evaluate(y_true[rows], y_score[rows],
                                sample_weight=None if weight is None else weight[rows])  # fmt: skip
            if weight is None:
                assert report.slice(key).to_dict() == alone.to_dict()
            else:
                for name, value in alone.summary.items():
                    assert report.slice(key).summary[name] == pytest.approx(value, rel=1e-12)
    if weight is None:
        assert report.overall.to_dict() == whole.to_dict()
