"""scikit-learn's remaining multi-label options, each against scikit-learn itself."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

import multilabel_attr as ml
from _core_helpers import assert_close, multilabel_data, ranking_data

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@st.composite
def with_labels(draw: st.DrawFn) -> tuple[Any, list[int]]:
    data = draw(multilabel_data(max_samples=12, max_labels=6, min_labels=2))
    n_labels = data[0].shape[1]
    labels = draw(st.permutations(range(n_labels)))
    return data, list(labels[: draw(st.integers(1, n_labels))])


SK_PRF = {
    "precision": (skm.precision_score, ml.precision_score),
    "recall": (skm.recall_score, ml.recall_score),
    "f1": (skm.f1_score, ml.f1_score),
    "jaccard": (skm.jaccard_score, ml.jaccard_score),
}


@SETTINGS
@given(case=with_labels(), sparse=st.booleans())
def test_labels_select_and_order_like_sklearn(case: Any, sparse: bool) -> None:
    (y_true, y_pred, weights), labels = case
    truth = sp.csr_matrix(y_true) if sparse else y_true
    for theirs, ours in SK_PRF.values():
        for average in ("micro", "macro", "weighted", "samples", None):
            expected = quiet(
                theirs, y_true, y_pred, average=average, labels=labels,
                sample_weight=weights, zero_division=0,
            )  # fmt: skip
            got = quiet(
                ours, truth, y_pred, average=average, labels=labels,
                sample_weight=weights, zero_division=0,
            )  # fmt: skip
            assert_close(got, expected, f"{ours.__name__} {average}")
    assert_close(
        ml.multilabel_confusion_matrix(truth, y_pred, labels=labels, sample_weight=weights),
        skm.multilabel_confusion_matrix(y_true, y_pred, labels=labels, sample_weight=weights),
    )


@SETTINGS
@given(case=with_labels(), sparse=st.booleans())
def test_samplewise_confusion_matrix_like_sklearn(case: Any, sparse: bool) -> None:
    (y_true, y_pred, weights), labels = case
    pred = sp.csc_matrix(y_pred) if sparse else y_pred
    for chosen in (None, labels):
        assert_close(
            ml.multilabel_confusion_matrix(
                y_true, pred, samplewise=True, labels=chosen, sample_weight=weights
            ),
            skm.multilabel_confusion_matrix(
                y_true, y_pred, samplewise=True, labels=chosen, sample_weight=weights
            ),
        )


@SETTINGS
@given(data=multilabel_data(max_samples=12, max_labels=5))
def test_normalize_false_and_zero_one_loss_like_sklearn(data: Any) -> None:
    y_true, y_pred, weights = data
    for normalize in (True, False):
        assert_close(
            ml.subset_accuracy(y_true, y_pred, normalize=normalize, sample_weight=weights),
            skm.accuracy_score(y_true, y_pred, normalize=normalize, sample_weight=weights),
        )
        assert_close(
            ml.zero_one_loss(y_true, y_pred, normalize=normalize, sample_weight=weights),
            skm.zero_one_loss(y_true, y_pred, normalize=normalize, sample_weight=weights),
        )


@SETTINGS
@given(data=ranking_data(), max_fpr=st.sampled_from([0.05, 0.3, 0.5, 0.99, 1.0]))
def test_partial_roc_auc_like_sklearn(data: Any, max_fpr: float) -> None:
    y_true, y_score, weights = data
    y_true[0], y_true[1] = 1, 0  # both classes in every label
    for average in ("micro", "macro", "weighted", None):
        expected = skm.roc_auc_score(
            y_true, y_score, average=average, max_fpr=max_fpr, sample_weight=weights
        )
        got = ml.roc_auc_score(
            y_true, y_score, average=average, max_fpr=max_fpr, sample_weight=weights
        )
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg=str(average))


@SETTINGS
@given(data=ranking_data(), k=st.sampled_from([None, 1, 2, 4, 9]), ignore_ties=st.booleans())
def test_dcg_and_ndcg_like_sklearn(data: Any, k: int | None, ignore_ties: bool) -> None:
    y_true, y_score, weights = data
    graded = y_true * np.arange(1, y_true.shape[1] + 1)
    for relevance in (y_true, graded):
        np.testing.assert_allclose(
            ml.ndcg_score(relevance, y_score, k=k, sample_weight=weights, ignore_ties=ignore_ties),
            skm.ndcg_score(relevance, y_score, k=k, sample_weight=weights, ignore_ties=ignore_ties),
            rtol=1e-12,
            atol=1e-12,
        )
        np.testing.assert_allclose(
            ml.dcg_score(relevance, y_score, k=k, sample_weight=weights, ignore_ties=ignore_ties),
            skm.dcg_score(relevance, y_score, k=k, sample_weight=weights, ignore_ties=ignore_ties),
            rtol=1e-12,
            atol=1e-12,
        )
    np.testing.assert_allclose(
        ml.dcg_score(y_true, y_score, k=k, log_base=10),
        skm.dcg_score(y_true, y_score, k=k, log_base=10),
        rtol=1e-12,
    )


def _assert_same_report_text(ours: str, theirs: str, digits: int) -> None:
    """Same layout, same words, and numbers equal to the printed precision.

    The samples average sums per-sample values in another order than
    scikit-learn (from the histogram of triples), so the two can differ in the
    last bit; a value that falls on a rounding half-way point then prints one
    unit apart in the last digit.
    """
    assert len(ours) == len(theirs)
    assert ours.splitlines() and len(ours.splitlines()) == len(theirs.splitlines())
    for line_ours, line_theirs in zip(ours.splitlines(), theirs.splitlines()):
        tokens_ours, tokens_theirs = line_ours.split(" "), line_theirs.split(" ")
        assert len(tokens_ours) == len(tokens_theirs), (line_ours, line_theirs)
        for a, b in zip(tokens_ours, tokens_theirs):
            if a == b:
                continue
            assert abs(float(a) - float(b)) <= 1.0001 * 10.0**-digits, (line_ours, line_theirs)


@SETTINGS
@given(
    data=multilabel_data(max_samples=10, max_labels=5, min_labels=2, weights="none"),
    digits=st.integers(0, 5),
    named=st.booleans(),
)
def test_classification_report_prints_like_sklearn(data: Any, digits: int, named: bool) -> None:
    y_true, y_pred, _ = data
    names = [f"attr_{j}" for j in range(y_true.shape[1])] if named else None
    kwargs: dict[str, Any] = {"target_names": names, "digits": digits, "zero_division": 0}
    _assert_same_report_text(
        ml.classification_report(y_true, y_pred, **kwargs),
        skm.classification_report(y_true, y_pred, **kwargs),
        digits,
    )
    ours = ml.classification_report(y_true, sp.csr_matrix(y_pred), output_dict=True, **kwargs)
    theirs = skm.classification_report(y_true, y_pred, output_dict=True, **kwargs)
    assert ours.keys() == theirs.keys()
    for row, values in theirs.items():
        assert ours[row] == pytest.approx(values, rel=1e-12)


def test_classification_report_with_labels_and_weights_like_sklearn() -> None:
    rng = np.random.default_rng(2)
    y_true = (rng.random((30, 5)) < 0.4).astype(int)
    y_pred = (rng.random((30, 5)) < 0.4).astype(int)
    weights = rng.integers(1, 4, 30).astype(float)
    kwargs: dict[str, Any] = {"labels": [4, 1, 2], "zero_division": 0, "sample_weight": weights}
    assert ml.classification_report(y_true, y_pred, **kwargs) == skm.classification_report(
        y_true, y_pred, **kwargs
    )


def test_option_errors_name_the_argument() -> None:
    y = np.eye(3, dtype=int)
    with pytest.raises(ValueError, match=r"max_fpr must be a number in \(0, 1\]; got 0"):
        ml.roc_auc_score(y, y * 0.5, max_fpr=0)
    with pytest.raises(ValueError, match="y_true must hold non-negative relevance"):
        ml.ndcg_score(-y, y)
    with pytest.raises(ValueError, match="y_true must have at least 2 labels"):
        ml.ndcg_score([[1], [0]], [[0.5], [0.2]])
    with pytest.raises(ValueError, match="k must be at least 1"):
        ml.dcg_score(y, y, k=0)
    with pytest.raises(ValueError, match="log_base must be a number above 1"):
        ml.dcg_score(y, y, log_base=1)
    with pytest.raises(TypeError, match="normalize must be True or False"):
        ml.subset_accuracy(y, y, normalize="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"target_names must have one name per label \(3\)"):
        ml.classification_report(y, y, target_names=["a"])
