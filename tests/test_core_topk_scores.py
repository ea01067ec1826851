"""Metrics at k from a dense score matrix: ties by hand, torchmetrics and scikit-learn otherwise."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import multilabel_attr as ml

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_ties_rank_the_lower_label_index_first() -> None:
    # Labels 0, 1 and 2 tie; the true label 2 enters the top only at k = 3.
    y_true = [[0, 0, 1, 0]]
    scores = [[0.5, 0.5, 0.5, 0.1]]
    np.testing.assert_allclose(ml.precision_at_k(y_true, scores, k=[1, 2, 3]), [0, 0, 1 / 3])
    np.testing.assert_allclose(ml.recall_at_k(y_true, scores, k=[1, 2, 3]), [0, 0, 1])
    # At rank 3 the hit is discounted by 1 / log2(4); the ideal DCG is 1.
    assert ml.ndcg_at_k(y_true, scores, k=3) == pytest.approx(0.5)
    assert ml.TopK.from_scores(scores, 3).indices.tolist() == [[0, 1, 2]]


def test_ties_at_the_cut_take_the_lower_indices() -> None:
    # The k-th place falls inside a group of three equal scores.
    y_true = [[0, 0, 0, 1], [0, 1, 0, 0]]
    scores = [[0.9, 0.3, 0.3, 0.3], [0.2, 0.7, 0.2, 0.7]]
    assert ml.TopK.from_scores(scores, 2).indices.tolist() == [[0, 1], [1, 3]]
    np.testing.assert_allclose(ml.precision_at_k(y_true, scores, k=[1, 2]), [0.5, 0.25])
    # Sample 0's label 3 is found at rank 4: gain 1 / log2(5), ideal 1.
    assert ml.ndcg_at_k(y_true, scores, k=4) == pytest.approx((1 / math.log2(5) + 1) / 2)


def test_propensity_scored_metrics_use_the_same_tie_rule() -> None:
    y_true = [[1, 0, 1], [0, 1, 0]]
    propensities = [0.5, 0.25, 0.5]
    # Sample 1's labels 1 and 2 tie: label 1 (true, inverse propensity 4) is ranked first.
    scores = [[0.9, 0.8, 0.1], [0.1, 0.7, 0.7]]
    assert ml.psprecision_at_k(y_true, scores, k=1, propensities=propensities) == 1.0
    assert ml.psndcg_at_k(y_true, scores, k=1, propensities=propensities) == 1.0
    plain = ml.psprecision_at_k(y_true, scores, k=1, propensities=propensities, normalize=False)
    assert plain == pytest.approx((2 + 4) / 2)
    # Had the tie gone to label 2, sample 1 would miss: (2 + 0) / (2 + 4).
    swapped = [[0.9, 0.8, 0.1], [0.1, 0.7, 0.8]]
    assert ml.psprecision_at_k(y_true, swapped, k=1, propensities=propensities) == 1 / 3


@st.composite
def distinct_scores(draw: Any) -> tuple[np.ndarray, np.ndarray]:
    n, n_labels = draw(st.integers(1, 30)), draw(st.integers(2, 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    y_true = (rng.random((n, n_labels)) < draw(st.sampled_from([0.2, 0.5]))).astype(np.int64)
    # torchmetrics scores a query without relevant labels by its own convention: give each
    # sample at least one.
    y_true[np.arange(n), rng.integers(n_labels, size=n)] = 1
    scores = rng.permuted(np.tile(np.linspace(0.01, 0.99, n_labels), (n, 1)), axis=1)
    return y_true, scores


@SETTINGS
@given(data=distinct_scores(), k=st.integers(1, 9))
def test_dense_scores_equal_torchmetrics_retrieval_metrics(data: Any, k: int) -> None:
    torch = pytest.importorskip("torch")
    tmf = pytest.importorskip("torchmetrics.functional.retrieval")
    y_true, scores = data
    k = min(k, y_true.shape[1])
    rows = [(torch.tensor(s), torch.tensor(t)) for s, t in zip(scores, y_true)]
    for ours, theirs in (
        (ml.precision_at_k, tmf.retrieval_precision),
        (ml.recall_at_k, tmf.retrieval_recall),
        (ml.ndcg_at_k, tmf.retrieval_normalized_dcg),
    ):  # fmt: skip
        expected = np.mean([float(theirs(s, t, top_k=k)) for s, t in rows])
        assert ours(y_true, scores, k=k) == pytest.approx(expected, rel=1e-6, abs=1e-6)


@SETTINGS
@given(data=distinct_scores(), k=st.integers(1, 9), weighted=st.booleans())
def test_dense_scores_equal_sklearn_ndcg_and_stream(data: Any, k: int, weighted: bool) -> None:
    skm = pytest.importorskip("sklearn.metrics")
    y_true, scores = data
    k = min(k, y_true.shape[1])
    weights = np.linspace(0.5, 2.0, y_true.shape[0]) if weighted else None
    expected = skm.ndcg_score(y_true, scores, k=k, sample_weight=weights)
    assert ml.ndcg_at_k(y_true, scores, k=k, sample_weight=weights) == pytest.approx(
        expected, rel=1e-12, abs=1e-12
    )
    # The streaming state reads scores too, in any split of the rows.
    state = ml.TopKCounts(y_true.shape[1], k=k)
    half = y_true.shape[0] // 2
    for part in (slice(0, half), slice(half, None)):
        if y_true[part].shape[0]:
            state.update(
                y_true[part], scores[part],
                sample_weight=None if weights is None else weights[part],
            )  # fmt: skip
    assert state.ndcg_at_k() == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_integer_arrays_are_still_label_indices() -> None:
    # [[1, 0]] as indices: label 1 then label 0; read as scores it would rank label 0 first.
    assert ml.precision_at_k([[0, 1]], [[1, 0]], k=1) == 1.0
    assert ml.precision_at_k([[0, 1]], [[1.0, 0.0]], k=1) == 0.0


def test_bad_score_matrices_are_named() -> None:
    with pytest.raises(ValueError, match=r"y_pred of floats is read as scores.*\(2, 3\)"):
        ml.precision_at_k([[1, 0, 1], [0, 1, 0]], [[0.1, 0.2], [0.3, 0.4]], k=1)
    with pytest.raises(ValueError, match="y_score"):
        ml.recall_at_k([[1, 0]], [[np.nan, 0.5]], k=1)
    with pytest.raises(ValueError, match="k must be at most the number of labels"):
        ml.precision_at_k([[1, 0]], [[0.5, 0.5]], k=3)
