"""Metrics at k: hand-computed cases, scikit-learn's ndcg_score where they overlap, streaming."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

import multilabel_attr as ml
from multilabel_attr.core.counts import _set_input

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LOG2_3 = math.log2(3)

# Two samples, four labels.  Sample 0: true {0, 2}, ranked 2, 1, 0.
# Sample 1: true {1}, ranked 3, 1, 0.
Y_TRUE = np.array([[1, 0, 1, 0], [0, 1, 0, 0]])
TOP = np.array([[2, 1, 0], [3, 1, 0]])


def test_precision_recall_at_k_by_hand() -> None:
    assert ml.precision_at_k(Y_TRUE, TOP, k=1) == 0.5
    np.testing.assert_allclose(ml.precision_at_k(Y_TRUE, TOP, k=[1, 2, 3]), [0.5, 0.5, 0.5])
    np.testing.assert_allclose(ml.recall_at_k(Y_TRUE, TOP, k=[1, 2, 3]), [0.25, 0.75, 1.0])


def test_ndcg_at_k_by_hand() -> None:
    # Sample 0: DCG@2 = 1, ideal 1 + 1/log2(3).  Sample 1: DCG@2 = 1/log2(3), ideal 1.
    expected_2 = (1 / (1 + 1 / LOG2_3) + 1 / LOG2_3) / 2
    # At 3 sample 0 adds 1/2 for label 0 at rank 3.
    expected_3 = ((1 + 0.5) / (1 + 1 / LOG2_3) + 1 / LOG2_3) / 2
    np.testing.assert_allclose(
        ml.ndcg_at_k(Y_TRUE, TOP, k=[1, 2, 3]), [0.5, expected_2, expected_3]
    )


def test_propensity_scored_by_hand() -> None:
    propensities = np.array([0.5, 0.25, 1.0, 0.5])  # inverse: 2, 4, 1, 2
    # k=1: hits 1/p = 1 (label 2) and 0; best 2 (label 0) and 4 (label 1).
    assert ml.psprecision_at_k(Y_TRUE, TOP, k=1, propensities=propensities) == pytest.approx(1 / 6)
    assert ml.psprecision_at_k(
        Y_TRUE, TOP, k=1, propensities=propensities, normalize=False
    ) == pytest.approx(0.5)
    # k=2, PSnDCG: sample 0 gain 1, best 2 + 1/log2(3), ideal 1 + 1/log2(3);
    # sample 1 gain 4/log2(3), best 4, ideal 1.
    ideal = 1 + 1 / LOG2_3
    gain = 1 / ideal + 4 / LOG2_3
    best = (2 + 1 / LOG2_3) / ideal + 4
    assert ml.psndcg_at_k(Y_TRUE, TOP, k=2, propensities=propensities) == pytest.approx(gain / best)


def test_jain_propensities_formula() -> None:
    y = np.zeros((100, 3), int)
    y[:50, 0] = 1
    y[:5, 1] = 1
    c = (math.log(100) - 1) * 2.5**0.55
    expected = [1 / (1 + c * (n + 1.5) ** -0.55) for n in (50, 5, 0)]
    np.testing.assert_allclose(ml.propensity_scores(y), expected)
    np.testing.assert_allclose(ml.propensity_scores(sp.csr_matrix(y)), expected)
    other = ml.propensity_scores(y, a=0.6, b=2.6)
    assert other[0] != expected[0]


def test_samples_without_true_labels_follow_zero_division() -> None:
    y_true = np.array([[1, 0, 0], [0, 0, 0]])
    top = np.array([[0, 1], [1, 2]])
    with pytest.warns(ml.UndefinedMetricWarning, match="1 of 2 samples"):
        assert ml.recall_at_k(y_true, top, k=1) == 0.5
    assert ml.recall_at_k(y_true, top, k=1, zero_division=1) == 1.0
    assert ml.ndcg_at_k(y_true, top, k=2, zero_division=math.nan) == 1.0
    # Precision at k is always defined: the empty row contributes 0.
    assert ml.precision_at_k(y_true, top, k=1) == 0.5


@st.composite
def ranked_data(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    n = draw(st.integers(2, 12))
    n_labels = draw(st.integers(2, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    y_true = (rng.random((n, n_labels)) < draw(st.sampled_from([0.1, 0.3, 0.7]))).astype(int)
    y_true[rng.integers(n)] = 0
    scores = rng.random((n, n_labels))
    weights = rng.uniform(0.1, 2.0, n) if draw(st.booleans()) else None
    return y_true, scores, weights


@SETTINGS
@given(data=ranked_data(), k=st.integers(1, 7))
def test_ndcg_at_k_equals_sklearn_ndcg_score_on_distinct_scores(data: Any, k: int) -> None:
    y_true, scores, weights = data
    k = min(k, y_true.shape[1])
    top = ml.TopK.from_scores(scores, k)
    # scikit-learn scores a sample without relevant labels 0.
    ours = ml.ndcg_at_k(y_true, top, k=k, sample_weight=weights, zero_division=0)
    expected = skm.ndcg_score(y_true, scores, k=k, sample_weight=weights)
    assert ours == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert ml.ndcg_score(y_true, scores, k=k, sample_weight=weights) == pytest.approx(
        expected, rel=1e-12, abs=1e-12
    )


@SETTINGS
@given(data=ranked_data(), ks=st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_reference_loop_and_streaming_agree(data: Any, ks: list[int]) -> None:
    y_true, scores, weights = data
    searched = ml.TopKCounts(y_true.shape[1], k=[min(k, y_true.shape[1]) for k in ks])
    _set_input.USE_SCIPY = False
    try:
        searched.update(y_true, np.argsort(-scores, axis=1))
    finally:
        _set_input.USE_SCIPY = True
    with_scipy = ml.TopKCounts(searched.n_labels, k=list(searched.ks))
    with_scipy.update(sp.csr_matrix(y_true), np.argsort(-scores, axis=1))
    np.testing.assert_allclose(
        searched.ndcg_at_k(zero_division=0), with_scipy.ndcg_at_k(zero_division=0), rtol=1e-12
    )
    n, n_labels = y_true.shape
    ks = [min(k, n_labels) for k in ks]
    depth = max(ks)
    top = np.argsort(-scores, axis=1)[:, :depth]
    propensities = np.linspace(0.2, 1.0, n_labels)
    w = np.ones(n) if weights is None else weights
    for position, k in enumerate(ks):
        p = [len(set(top[i, :k]) & set(np.flatnonzero(y_true[i]))) / k for i in range(n)]
        expected = float(np.dot(w, p) / w.sum())
        got = ml.precision_at_k(y_true, top, k=ks, sample_weight=weights)
        assert got[position] == pytest.approx(expected, rel=1e-12)
    state = ml.TopKCounts(n_labels, k=ks, propensities=propensities)
    cut = n // 2
    state.update(y_true[:cut], top[:cut], sample_weight=None if weights is None else w[:cut])
    rest = ml.TopKCounts(n_labels, k=ks, propensities=propensities)
    rest.update(
        sp.csr_matrix(y_true[cut:]), top[cut:], sample_weight=None if weights is None else w[cut:]
    )
    merged = ml.TopKCounts.from_dict(json.loads(json.dumps((state + rest).to_dict())))
    kwargs: dict[str, Any] = {"k": ks, "sample_weight": weights, "propensities": propensities}
    np.testing.assert_allclose(
        merged.psndcg_at_k(), ml.psndcg_at_k(y_true, top, **kwargs), rtol=1e-12, equal_nan=True
    )
    np.testing.assert_allclose(
        merged.psprecision_at_k(), ml.psprecision_at_k(y_true, top, **kwargs), rtol=1e-12,
        equal_nan=True,
    )  # fmt: skip
    np.testing.assert_allclose(
        merged.ndcg_at_k(zero_division=0),
        ml.ndcg_at_k(y_true, top, k=ks, sample_weight=weights, zero_division=0),
        rtol=1e-12,
    )


def test_bad_inputs_name_the_argument() -> None:
    with pytest.raises(ValueError, match=r"k must be at most the number of labels \(4\); got 5"):
        ml.precision_at_k(Y_TRUE, np.array([[0, 1, 2, 3], [0, 1, 2, 3]]), k=5)
    with pytest.raises(ValueError, match="predictions per row in y_pred \\(3\\); got 4"):
        ml.precision_at_k(Y_TRUE, TOP, k=4)
    with pytest.raises(ValueError, match="k must be at least 1"):
        ml.precision_at_k(Y_TRUE, TOP, k=[1, 0])
    with pytest.raises(ValueError, match="TopK indices repeat a label"):
        ml.precision_at_k(Y_TRUE, [[1, 1, 0], [0, 1, 2]], k=1)
    with pytest.raises(ValueError, match="y_pred holds label index 9"):
        ml.precision_at_k(Y_TRUE, [[9, 1, 0], [0, 1, 2]], k=1)
    with pytest.raises(ValueError, match=r"propensities must have one value per label \(4\)"):
        ml.psprecision_at_k(Y_TRUE, TOP, k=1, propensities=[0.5])
    with pytest.raises(ValueError, match=r"propensities must lie in \(0, 1\]"):
        ml.psprecision_at_k(Y_TRUE, TOP, k=1, propensities=[0.5, 0, 1, 1])
    with pytest.raises(ValueError, match="need at least 3 samples"):
        ml.psprecision_at_k(Y_TRUE, TOP, k=1)
    with pytest.raises(ValueError, match="a must be a non-negative number"):
        ml.psprecision_at_k(Y_TRUE, TOP, k=1, a=-1.0)
    with pytest.raises(ValueError, match="needs label propensities"):
        ml.TopKCounts(4, k=1).update(Y_TRUE, TOP).psprecision_at_k()
    with pytest.raises(ValueError, match="cannot merge TopKCounts"):
        ml.TopKCounts(4, k=1).merge(ml.TopKCounts(4, k=2))
