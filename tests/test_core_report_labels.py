"""``evaluate(labels=...)``: selected and ordered columns, against scikit-learn's ``labels=``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

import multilabel_attr as ml

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def selection(draw: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list[int]]:
    n, n_labels = draw(st.integers(4, 40)), draw(st.integers(2, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    y_true = (rng.random((n, n_labels)) < 0.4).astype(np.int64)
    y_true[0], y_true[1] = 1, 0  # every label has both classes: AUROC is defined
    y_score = np.round(rng.random((n, n_labels)), 2)
    weights = rng.uniform(0.1, 2.0, n) if draw(st.booleans()) else None
    labels = draw(st.permutations(range(n_labels)).map(lambda p: list(p)[: max(1, len(p) - 1)]))
    return y_true, y_score, weights, labels


@SETTINGS
@given(data=selection(), threshold=st.sampled_from([0.3, 0.5]))
def test_evaluate_with_labels_equals_sklearn_on_those_labels(data: Any, threshold: float) -> None:
    y_true, y_score, weights, labels = data
    y_pred = (y_score >= threshold).astype(np.int64)
    report = ml.evaluate(
        y_true, y_score, threshold=threshold, sample_weight=weights, labels=labels,
        zero_division=0,
    )  # fmt: skip
    assert report.label_names == tuple(f"label_{i}" for i in labels)
    for average in ("micro", "macro", "samples"):
        for name, reference in (
            ("f1", skm.f1_score), ("precision", skm.precision_score), ("recall", skm.recall_score),
        ):  # fmt: skip
            expected = reference(
                y_true, y_pred, labels=labels, average=average, sample_weight=weights,
                zero_division=0,
            )  # fmt: skip
            assert report.summary[f"{name}_{average}"] == pytest.approx(expected, abs=1e-12)
    per_label_f1 = skm.f1_score(
        y_true, y_pred, labels=labels, average=None, sample_weight=weights, zero_division=0
    )
    np.testing.assert_allclose(report.per_label["f1"], per_label_f1, atol=1e-12)
    auroc = [skm.roc_auc_score(y_true[:, j], y_score[:, j], sample_weight=weights) for j in labels]
    np.testing.assert_allclose(report.per_label["auroc"], auroc, atol=1e-12)
    subset = skm.accuracy_score(y_true[:, labels], y_pred[:, labels], sample_weight=weights)
    assert report.summary["subset_accuracy"] == pytest.approx(subset, abs=1e-12)


def test_names_and_per_label_thresholds_follow_the_selection() -> None:
    y_true = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1]])
    y_score = np.array([[0.9, 0.2, 0.6], [0.3, 0.8, 0.4], [0.7, 0.6, 0.1], [0.2, 0.1, 0.9]])
    report = ml.evaluate(
        y_true, y_score, threshold=[0.5, 0.7, 0.05], label_names=["a", "b", "c"], labels=[2, 0],
        zero_division=0,
    )  # fmt: skip
    assert report.label_names == ("c", "a")
    assert report.per_label["threshold"] == [0.05, 0.5]
    # Label c at 0.05 predicts all four rows, three of them true: precision 3/4, recall 1.
    assert report.label("c")["precision"] == pytest.approx(0.75)
    assert report.label("c")["recall"] == 1.0
    assert report.label("a")["f1"] == 1.0
    assert report.per_label["support"] == [3.0, 2.0]


def test_sparse_input_with_labels_matches_dense() -> None:
    y_true = np.array([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 1]])
    y_pred = np.array([[1, 0, 0, 0], [0, 1, 1, 1], [1, 0, 0, 1]])
    dense = ml.evaluate(y_true, y_pred, threshold=None, labels=[3, 1], zero_division=0)
    sparse = ml.evaluate(
        sp.csr_matrix(y_true), sp.csr_matrix(y_pred), threshold=None, labels=[3, 1],
        zero_division=0,
    )  # fmt: skip
    assert sparse.summary == pytest.approx(dense.summary)
    assert sparse.label_names == dense.label_names == ("label_3", "label_1")
    expected = skm.f1_score(y_true, y_pred, labels=[3, 1], average="samples", zero_division=0)
    assert dense.summary["f1_samples"] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("labels", "error", "message"),
    [
        ([3], ValueError, r"unknown label\(s\) \[3\]"),
        ([0, 0], ValueError, "must not repeat"),
        ([0.5], TypeError, "integer column indices"),
        ([], ValueError, "non-empty"),
    ],
)
def test_bad_labels_are_named(labels: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        ml.evaluate([[1, 0, 1]], [[0.2, 0.4, 0.9]], labels=labels)


def test_label_names_name_every_column_of_y_true() -> None:
    with pytest.raises(ValueError, match="one name per label"):
        ml.evaluate([[1, 0, 1]], [[0.2, 0.4, 0.9]], labels=[0, 2], label_names=["a", "c"])
