"""scipy.sparse and top-k inputs give exactly the counts (and so every metric) of dense input."""

from __future__ import annotations

import itertools
import math
import re
import warnings
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import multilabel_attr as ml
from _core_helpers import multilabel_data
from multilabel_attr.core.counts import _set_input

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SPARSE_FORMS = {
    "csr_matrix": sp.csr_matrix,
    "csc_matrix": sp.csc_matrix,
    "csr_array": sp.csr_array,
    "csc_array": sp.csc_array,
}


def assert_same_counts(a: ml.MultilabelCounts, b: ml.MultilabelCounts) -> None:
    for name in ("tp", "fp", "fn", "tn"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(a.sample_keys, b.sample_keys)
    np.testing.assert_array_equal(a.sample_count, b.sample_count)
    np.testing.assert_allclose(a.sample_weight, b.sample_weight, rtol=1e-12)
    assert a.n_samples == b.n_samples


def with_empty_label(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Append a label that no sample has and none is predicted."""
    zeros = np.zeros((y_true.shape[0], 1), y_true.dtype)
    return np.hstack([y_true, zeros]), np.hstack([y_pred, zeros])


@SETTINGS
@given(
    data=multilabel_data(max_samples=15, max_labels=6),
    true_form=st.sampled_from([*SPARSE_FORMS, "dense"]),
    pred_form=st.sampled_from([*SPARSE_FORMS, "dense"]),
    empty_label=st.booleans(),
    use_scipy=st.booleans(),
)
def test_sparse_counts_equal_dense(
    data: Any, true_form: str, pred_form: str, empty_label: bool, use_scipy: bool
) -> None:
    """Both intersection engines: scipy's merge and the binary searches."""
    y_true, y_pred, weights = data
    if empty_label:
        y_true, y_pred = with_empty_label(y_true, y_pred)
    dense = ml.MultilabelCounts.from_batch(y_true, y_pred, sample_weight=weights)
    truth = y_true if true_form == "dense" else SPARSE_FORMS[true_form](y_true)
    pred = y_pred if pred_form == "dense" else SPARSE_FORMS[pred_form](y_pred)
    if true_form == pred_form == "dense":
        truth = sp.csr_matrix(y_true)
    _set_input.USE_SCIPY = use_scipy
    try:
        counts = ml.MultilabelCounts.from_batch(truth, pred, sample_weight=weights)
        top = ml.TopK(np.argsort(-y_pred, axis=1, kind="stable")[:, :1])
        top_counts = ml.MultilabelCounts.from_batch(truth, top, sample_weight=weights)
    finally:
        _set_input.USE_SCIPY = True
    assert_same_counts(counts, dense)
    top_dense = np.zeros_like(y_pred)
    np.put_along_axis(top_dense, top.indices, 1, axis=1)
    assert_same_counts(
        top_counts, ml.MultilabelCounts.from_batch(y_true, top_dense, sample_weight=weights)
    )


@SETTINGS
@given(data=multilabel_data(max_samples=15, max_labels=6, weights="none"))
def test_sparse_metrics_and_report_equal_dense(data: Any) -> None:
    y_true, y_pred, _ = data
    truth, pred = sp.csr_matrix(y_true), sp.csr_matrix(y_pred)
    for average in ("micro", "macro", "weighted", "samples", None):
        np.testing.assert_allclose(
            ml.f1_score(truth, pred, average=average, zero_division=0),
            ml.f1_score(y_true, y_pred, average=average, zero_division=0),
        )
    assert ml.subset_accuracy(truth, pred) == ml.subset_accuracy(y_true, y_pred)
    assert ml.hamming_loss(truth, pred) == ml.hamming_loss(y_true, y_pred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.UndefinedMetricWarning)
        dense = ml.evaluate(y_true, y_pred, threshold=None, zero_division=0)
        sparse = ml.evaluate(truth, pred, threshold=None, zero_division=0)
    np.testing.assert_allclose(list(sparse.summary.values()), list(dense.summary.values()))
    for column in ml.PER_LABEL_COLUMNS:
        np.testing.assert_allclose(
            sparse.per_label[column], dense.per_label[column], rtol=1e-12, equal_nan=True
        )


@SETTINGS
@given(data=multilabel_data(max_samples=12, max_labels=5), seed=st.integers(0, 2**31))
def test_streamed_sparse_batches_equal_one_dense_count(data: Any, seed: int) -> None:
    y_true, y_pred, weights = data
    rng = np.random.default_rng(seed)
    cut = int(rng.integers(0, y_true.shape[0] + 1))
    state = ml.MultilabelCounts(y_true.shape[1])
    for rows in (slice(0, cut), slice(cut, None)):
        if y_true[rows].shape[0]:
            state.update(
                sp.csr_matrix(y_true[rows]),
                sp.csc_matrix(y_pred[rows]),
                sample_weight=None if weights is None else weights[rows],
            )
    assert_same_counts(state, ml.MultilabelCounts.from_batch(y_true, y_pred, sample_weight=weights))


@SETTINGS
@given(data=multilabel_data(max_samples=12, max_labels=6), k=st.integers(1, 3), seed=st.integers())
def test_topk_predictions_equal_their_dense_indicator(data: Any, k: int, seed: int) -> None:
    y_true, _, weights = data
    n, n_labels = y_true.shape
    k = min(k, n_labels)
    rng = np.random.default_rng(seed % 2**32)
    indices = np.argsort(rng.random((n, n_labels)), axis=1)[:, :k]
    indicator = np.zeros_like(y_true)
    np.put_along_axis(indicator, indices, 1, axis=1)
    dense = ml.MultilabelCounts.from_batch(y_true, indicator, sample_weight=weights)
    top = ml.MultilabelCounts.from_batch(y_true, ml.TopK(indices), sample_weight=weights)
    assert_same_counts(top, dense)
    sparse_top = ml.MultilabelCounts.from_batch(
        sp.csr_matrix(y_true), ml.TopK(indices), sample_weight=weights
    )
    assert_same_counts(sparse_top, dense)


def fixed_width_indicator(n: int, n_labels: int, k: int, seed: int) -> np.ndarray:
    """A 0/1 matrix with exactly ``k`` ones in every row."""
    rng = np.random.default_rng(seed % 2**32)
    indices = np.argsort(rng.random((n, n_labels)), axis=1)[:, :k]
    indicator = np.zeros((n, n_labels), np.int64)
    np.put_along_axis(indicator, indices, 1, axis=1)
    return indicator


@SETTINGS
@given(
    data=multilabel_data(max_samples=15, max_labels=6),
    k=st.integers(1, 4),
    seed=st.integers(),
    fixed_side=st.sampled_from(["y_pred", "y_true"]),
    block_cells=st.sampled_from([1, 2, 5, _set_input.BLOCK_CELLS]),
)
def test_fixed_width_rows_are_counted_like_dense_in_any_blocks(
    data: Any, k: int, seed: int, fixed_side: str, block_cells: int
) -> None:
    """Rows of one side all of size k: counted cell by cell, block by block."""
    y_true, y_pred, weights = data
    n, n_labels = y_true.shape
    fixed = fixed_width_indicator(n, n_labels, min(k, n_labels), seed)
    if fixed_side == "y_pred":
        y_pred = fixed
    else:
        y_true = fixed
    dense = ml.MultilabelCounts.from_batch(y_true, y_pred, sample_weight=weights)
    dense_samplewise = ml.multilabel_confusion_matrix(y_true, y_pred, samplewise=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_set_input, "BLOCK_CELLS", block_cells)
        truth, pred = sp.csr_matrix(y_true), sp.csr_matrix(y_pred)
        counts = ml.MultilabelCounts.from_batch(truth, pred, sample_weight=weights)
        samplewise = ml.multilabel_confusion_matrix(truth, pred, samplewise=True)
    assert_same_counts(counts, dense)
    np.testing.assert_array_equal(samplewise, dense_samplewise)


def test_rows_with_hundreds_of_labels_are_counted_like_dense() -> None:
    """Row sizes too wide for the small-key histogram of per-sample triples."""
    rng = np.random.default_rng(11)
    y_true = (rng.random((6, 400)) < 0.6).astype(np.int64)
    y_true[0] = 1
    weights = rng.random(6)
    for y_pred in (fixed_width_indicator(6, 400, 3, 2), (rng.random((6, 400)) < 0.5) * 1):
        dense = ml.MultilabelCounts.from_batch(y_true, y_pred, sample_weight=weights)
        counts = ml.MultilabelCounts.from_batch(
            sp.csr_matrix(y_true), sp.csr_matrix(y_pred), sample_weight=weights
        )
        assert_same_counts(counts, dense)


@given(
    sizes=st.lists(st.integers(0, 7), min_size=1, max_size=30),
    block_cells=st.integers(1, 10),
    width=st.integers(0, 3),
)
def test_row_blocks_cover_every_row_once(sizes: list[int], block_cells: int, width: int) -> None:
    indptr = np.concatenate([[0], np.cumsum(sizes)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_set_input, "BLOCK_CELLS", block_cells)
        blocks = _set_input.row_blocks(indptr, width)
    assert blocks[0][0] == 0 and blocks[-1][1] == len(sizes)
    assert all(start < stop for start, stop in blocks)
    assert all(left[1] == right[0] for left, right in itertools.pairwise(blocks))


@SETTINGS
@given(
    data=multilabel_data(max_samples=15, max_labels=6, weights="none"),
    seed=st.integers(),
    case=st.sampled_from(["unsorted", "duplicate", "out of range"]),
    block_cells=st.sampled_from([1, 2, 5, _set_input.BLOCK_CELLS]),
)
def test_disorder_in_any_row_is_found_in_any_blocks(
    data: Any, seed: int, case: str, block_cells: int
) -> None:
    y_true, _, _ = data
    matrix = sp.csr_matrix(y_true)
    sizes = np.diff(matrix.indptr)
    rng = np.random.default_rng(seed % 2**32)
    candidates = np.flatnonzero(sizes >= 2)
    if candidates.size == 0:
        return
    row = int(rng.choice(candidates))
    first = int(matrix.indptr[row]) + int(rng.integers(0, sizes[row] - 1))
    indices = matrix.indices.copy()
    if case == "unsorted":
        indices[first], indices[first + 1] = indices[first + 1], indices[first]
    elif case == "duplicate":
        indices[first + 1] = indices[first]
    bad = sp.csr_matrix((matrix.data, indices, matrix.indptr), shape=matrix.shape)
    if case == "out of range":
        bad.indices[first + 1] = matrix.shape[1]  # after construction: scipy checks bounds
    message = {
        "unsorted": "unsorted indices",
        "duplicate": "duplicate entries",
        "out of range": f"index {matrix.shape[1]} outside",
    }[case]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_set_input, "BLOCK_CELLS", block_cells)
        with pytest.raises(ValueError, match=f"y_true has {message}"):
            ml.MultilabelCounts.from_batch(bad, matrix)


def test_topk_scores_order_rows_and_threshold_keeps_confident_labels() -> None:
    top = ml.TopK([[0, 2, 1]], scores=[[0.2, 0.9, 0.6]])
    assert top.indices.tolist() == [[2, 1, 0]]
    y_true = [[0, 1, 1]]
    # Only labels 2 and 1 score >= 0.5: both true, so precision is 1.
    assert ml.precision_score(y_true, top, threshold=0.5, average="micro") == 1.0
    assert ml.precision_score(y_true, top, average="micro") == pytest.approx(2 / 3)
    from_scores = ml.TopK.from_scores([[0.2, 0.6, 0.9]], 2)
    assert sorted(from_scores.indices[0].tolist()) == [1, 2]


def test_dense_scores_with_sparse_truth_are_thresholded_like_dense() -> None:
    rng = np.random.default_rng(3)
    y_true = (rng.random((40, 6)) < 0.3).astype(int)
    scores = rng.random((40, 6))
    for threshold in (0.5, rng.random(6)):
        expected = ml.MultilabelCounts.from_batch(y_true, scores, threshold=threshold)
        got = ml.MultilabelCounts.from_batch(sp.csr_matrix(y_true), scores, threshold=threshold)
        assert_same_counts(got, expected)
    logits = rng.normal(size=(40, 6))
    expected = ml.MultilabelCounts.from_batch(y_true, logits, threshold=0.3, from_logits=True)
    got = ml.MultilabelCounts.from_batch(
        sp.csr_matrix(y_true), logits, threshold=0.3, from_logits=True
    )
    assert_same_counts(got, expected)


def test_sparse_labels_selection_matches_dense_columns() -> None:
    rng = np.random.default_rng(5)
    y_true = (rng.random((30, 7)) < 0.4).astype(int)
    y_pred = (rng.random((30, 7)) < 0.4).astype(int)
    labels = [5, 0, 3]
    expected = ml.MultilabelCounts.from_batch(y_true[:, labels], y_pred[:, labels])
    got = ml.MultilabelCounts.from_batch(
        sp.csr_matrix(y_true), sp.csc_matrix(y_pred), labels=labels
    )
    assert_same_counts(got, expected)


def csr(data: list[Any], indices: list[int], indptr: list[int], shape: tuple[int, int]) -> Any:
    return sp.csr_matrix((np.asarray(data), np.asarray(indices), np.asarray(indptr)), shape=shape)


BAD_SPARSE = {
    "value 2": (csr([1, 2], [0, 1], [0, 1, 2], (2, 3)), "found stored values \\[2\\]"),
    "explicit zero": (csr([1, 0], [0, 1], [0, 1, 2], (2, 3)), "explicit zero"),
    "unsorted": (csr([1, 1], [2, 0], [0, 2, 2], (2, 3)), "unsorted indices"),
    "duplicate": (csr([1, 1], [1, 1], [0, 2, 2], (2, 3)), "duplicate entries"),
}


@pytest.mark.parametrize("case", list(BAD_SPARSE))
@pytest.mark.parametrize("side", ["y_true", "y_pred"])
def test_bad_sparse_input_names_the_argument(case: str, side: str) -> None:
    bad, message = BAD_SPARSE[case]
    good = sp.csr_matrix(np.array([[1, 0, 0], [0, 1, 0]]))
    args = (bad, good) if side == "y_true" else (good, bad)
    with pytest.raises(ValueError, match=f"{side} .*{message}|{side} {message}"):
        ml.f1_score(*args, average="micro")


def test_other_sparse_formats_and_thresholds_are_refused() -> None:
    y = sp.coo_matrix(np.eye(3, dtype=int))
    with pytest.raises(TypeError, match=r"y_true must be a CSR or CSC.*'coo'"):
        ml.f1_score(y, np.eye(3, dtype=int))
    with pytest.raises(ValueError, match="sparse y_score holds 0/1 predictions"):
        ml.f1_score(np.eye(3, dtype=int), sp.csr_matrix(np.eye(3)), threshold=0.0)
    with pytest.raises(ValueError, match="same shape"):
        ml.f1_score(sp.csr_matrix(np.eye(3)), sp.csr_matrix(np.eye(4)))


def test_bad_topk_input_names_the_argument() -> None:
    with pytest.raises(ValueError, match="TopK indices repeat a label within a row"):
        ml.TopK([[0, 0], [1, 2]])
    with pytest.raises(TypeError, match="TopK indices must be integers"):
        ml.TopK([[0.5, 1.0]])
    with pytest.raises(ValueError, match="TopK indices must be non-negative"):
        ml.TopK([[-1, 1]])
    with pytest.raises(ValueError, match="TopK scores must have the shape"):
        ml.TopK([[0, 1]], scores=[[0.5]])
    with pytest.raises(ValueError, match="y_pred holds label index 3; y_true has 3 labels"):
        ml.f1_score(np.eye(3, dtype=int), ml.TopK([[0], [1], [3]]))
    with pytest.raises(ValueError, match="y_true has 3 samples and the TopK y_pred 2"):
        ml.f1_score(np.eye(3, dtype=int), ml.TopK([[0], [1]]))


@given(
    n=st.integers(1, 12),
    k=st.integers(2, 5),
    seed=st.integers(),
    block_cells=st.sampled_from([1, 3, 8, _set_input.BLOCK_CELLS]),
)
def test_topk_repeats_are_found_in_every_row_in_any_blocks(
    n: int, k: int, seed: int, block_cells: int
) -> None:
    rng = np.random.default_rng(seed % 2**32)
    indices = np.argsort(rng.random((n, 8)), axis=1)[:, :k]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_set_input, "BLOCK_CELLS", block_cells)
        ml.TopK(indices)
        rows = np.sort(rng.choice(n, size=min(n, 2), replace=False))
        left, right = rng.choice(k, size=2, replace=False)
        indices[rows, right] = indices[rows, left]
        with pytest.raises(ValueError, match=re.escape(f"(rows {rows.tolist()})")):
            ml.TopK(indices)


def test_labels_errors_name_the_argument() -> None:
    y = np.eye(3, dtype=int)
    with pytest.raises(ValueError, match=r"labels names unknown label\(s\) \[3\]"):
        ml.f1_score(y, y, labels=[0, 3])
    with pytest.raises(ValueError, match=r"labels names unknown label\(s\) \[7\]"):
        ml.f1_score(sp.csr_matrix(y), y, labels=[7])
    with pytest.raises(ValueError, match="labels must not repeat"):
        ml.f1_score(y, y, labels=[1, 1])
    with pytest.raises(TypeError, match="labels must be integer column indices"):
        ml.f1_score(y, y, labels=["a"])


def test_binary_auroc_ap_from_counts_match_the_exact_ranking_metrics() -> None:
    rng = np.random.default_rng(11)
    y_true = (rng.random((60, 5)) < 0.3).astype(int)
    y_pred = (rng.random((60, 5)) < 0.3).astype(int)
    y_true[:, 4] = 0
    weights = rng.random(60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.UndefinedMetricWarning)
        expected_auc = ml.roc_auc_score(y_true, y_pred, average=None, sample_weight=weights)
        expected_ap = ml.average_precision_score(
            y_true, y_pred, average=None, sample_weight=weights
        )
        report = ml.evaluate(
            sp.csr_matrix(y_true), sp.csr_matrix(y_pred), threshold=None, sample_weight=weights
        )
    np.testing.assert_allclose(report.per_label["auroc"], expected_auc, equal_nan=True)
    np.testing.assert_allclose(report.per_label["average_precision"], expected_ap, equal_nan=True)
    assert math.isnan(report.per_label["auroc"][4])


def test_evaluate_accepts_topk_and_sparse_truth_with_dense_scores() -> None:
    rng = np.random.default_rng(8)
    y_true = (rng.random((50, 6)) < 0.3).astype(int)
    scores = rng.random((50, 6))
    top = ml.TopK.from_scores(scores, 2)
    indicator = np.zeros_like(y_true)
    np.put_along_axis(indicator, top.indices, 1, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an unknown ranking column is not an undefined metric
        report = ml.evaluate(sp.csr_matrix(y_true), scores, zero_division=0)
        from_top = ml.evaluate(y_true, top, threshold=0.0, zero_division=0)
    dense = ml.evaluate(y_true, scores, zero_division=0)
    assert report.summary == pytest.approx(dense.summary)
    assert all(math.isnan(v) for v in report.per_label["auroc"])
    expected = ml.evaluate(y_true, indicator, threshold=None, zero_division=0, ranking=False)
    assert from_top.summary == pytest.approx(expected.summary)


def test_ranking_metrics_refuse_sparse_input_naming_it() -> None:
    y = sp.csr_matrix(np.eye(3, dtype=int))
    with pytest.raises(TypeError, match="y_true must be a dense array here; got csr_matrix"):
        ml.roc_auc_score(y, np.eye(3))
    with pytest.raises(TypeError, match="y_score must be a dense array here; got TopK"):
        ml.average_precision_score(np.eye(3, dtype=int), ml.TopK([[0], [1], [2]]))
