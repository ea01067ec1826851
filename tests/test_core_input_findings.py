"""Inputs that once gave wrong numbers or unclear errors: each case checked against a reference."""

from __future__ import annotations

import math
import tracemalloc
from typing import Any

import numpy as np
import pytest

import multilabel_attr as ml

sklearn_metrics = pytest.importorskip("sklearn.metrics")

RNG = np.random.default_rng(5)
Y = (RNG.random((80, 3)) < 0.4).astype(np.int64)
S = np.clip(0.4 * Y + 0.7 * RNG.random((80, 3)), 0, 1)
W = RNG.integers(1, 5, 80).astype(np.float64)


def test_an_exact_sketch_keeps_a_copy_of_the_weights() -> None:
    weights = W.copy()
    sketch = ml.ScoreSketch(3, exact=True).update(Y, S, sample_weight=weights)
    weights[:] = 0.0  # the caller reuses its buffer
    expected = sklearn_metrics.roc_auc_score(Y, S, sample_weight=W, average=None)
    np.testing.assert_allclose(sketch.roc_auc(average=None).value, expected, rtol=1e-12)
    merged = sketch + ml.ScoreSketch(3, exact=True)
    np.testing.assert_allclose(merged.roc_auc(average=None).value, expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.uint64, np.uint32, np.uint8])
def test_topk_refuses_unsigned_indices_that_would_wrap(dtype: Any) -> None:
    top = np.iinfo(dtype).max
    indices = np.array([[0, top], [1, 2]], dtype=dtype)
    with pytest.raises(ml.InputError) as caught:
        ml.precision_score(Y[:2], ml.TopK(indices), average="micro")
    assert caught.value.argument in ("indices", "y_pred")
    # In range they count as their signed values do (a hand count: rows {0, 1}, {1, 2}).
    fine = ml.TopK(np.array([[0, 1], [1, 2]], dtype=dtype))
    truth = np.array([[1, 0, 0], [0, 1, 1]])
    counts = ml.MultilabelCounts.from_batch(truth, fine)
    assert counts.tp.tolist() == [1, 1, 1]
    assert counts.fp.tolist() == [0, 1, 0]
    assert counts.tn.tolist() == [1, 0, 1]


def test_thresholded_topk_scores_follow_the_rule_of_dense_scores() -> None:
    indices = np.argsort(-S, axis=1)[:, :2]
    logits = np.log(S + 1e-3) - np.log1p(-S + 1e-3)
    top_logits = np.take_along_axis(logits, indices, axis=1)
    with pytest.raises(ml.InputError, match=r"probabilities in \[0, 1\].*from_logits=True"):
        ml.f1_score(Y, ml.TopK(indices, top_logits), threshold=0.5, average="micro")
    # With from_logits=True the same cut as dense logits restricted to the top two.
    dense = np.full_like(logits, -np.inf)
    np.put_along_axis(dense, indices, top_logits, axis=1)
    expected = sklearn_metrics.f1_score(Y, (dense >= 0.0).astype(int), average="micro")
    got = ml.f1_score(
        Y, ml.TopK(indices, top_logits), threshold=0.5, from_logits=True, average="micro"
    )
    assert got == pytest.approx(expected, abs=1e-12)
    # Unthresholded scores only rank, on any scale.
    assert ml.precision_at_k(Y, ml.TopK(indices, top_logits), k=1) >= 0


def test_topk_refuses_complex_scores() -> None:
    with pytest.raises(ml.InputTypeError, match="TopK scores must hold real numbers"):
        ml.TopK([[0, 1]], np.array([[0.5 + 1j, 0.2]]))


def _sketch_document(n_labels: int = 2, n_bins: int = 4) -> dict[str, Any]:
    sketch = ml.ScoreSketch(n_labels, n_bins=n_bins).update(Y[:, :n_labels], S[:, :n_labels])
    return sketch.to_dict()


def test_sketch_document_sizes_are_checked_before_anything_is_allocated() -> None:
    document = _sketch_document()
    document["n_labels"], document["n_bins"] = 1_000_000, 1_000
    tracemalloc.start()
    try:
        with pytest.raises(ml.InputError, match="n_labels=1000000 lists of n_bins=1000"):
            ml.ScoreSketch.from_dict(document)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d["lo"][0].__setitem__(1, math.nan), "must not hold NaN"),
        (lambda d: d["hi"][1].__setitem__(2, math.nan), "must not hold NaN"),
        (lambda d: d["pos"][0].__setitem__(0, math.nan), "finite non-negative"),
        (lambda d: d["neg"][1].__setitem__(3, d["neg"][1][3] + 5), "different total weights"),
        (lambda d: d.__setitem__("n_samples", 0), "'n_samples' is 0"),
        (lambda d: d.__setitem__("pos", d["pos"][:1]), "lists of n_bins"),
        (lambda d: d["neg"].__setitem__(0, d["neg"][0][:3]), "lists of n_bins"),
    ],
)
def test_sketch_documents_with_nan_or_inconsistent_fields_are_refused(
    change: Any, match: str
) -> None:
    document = _sketch_document()
    ml.ScoreSketch.from_dict(document)  # the untouched document loads
    change(document)
    with pytest.raises(ml.InputError, match=match):
        ml.ScoreSketch.from_dict(document)


def test_exact_sketch_documents_refuse_nan_weights() -> None:
    sketch = ml.ScoreSketch(2, exact=True).update(Y[:, :2], S[:, :2], sample_weight=W)
    document = sketch.to_dict()
    document["exact_data"]["sample_weight"][0] = math.nan
    with pytest.raises(ml.InputError, match="finite weights"):
        ml.ScoreSketch.from_dict(document)


def test_huge_weights_give_the_sketch_the_values_of_small_ones() -> None:
    huge = np.full(Y.shape[0], 1e300)
    small = ml.ScoreSketch(3).update(Y, S)
    large = ml.ScoreSketch(3).update(Y, S, sample_weight=huge)
    for average in (None, "macro", "micro", "weighted"):
        for name in ("roc_auc", "average_precision"):
            got, expected = getattr(large, name)(average), getattr(small, name)(average)
            np.testing.assert_allclose(got.value, expected.value, rtol=1e-12)
            np.testing.assert_allclose(got.bound, expected.bound, rtol=1e-12)
    # In memory the same weights give scikit-learn's values.
    reference = sklearn_metrics.roc_auc_score(Y, S, sample_weight=huge, average=None)
    np.testing.assert_allclose(ml.roc_auc_score(Y, S, sample_weight=huge, average=None),
                               reference, rtol=1e-12)  # fmt: skip
    bound = small.roc_auc(None).bound
    assert np.all(np.abs(large.roc_auc(None).value - reference) <= bound + 1e-12)


@pytest.mark.parametrize(
    "call",
    [
        lambda w: ml.f1_score(Y, S, threshold=0.5, sample_weight=w),
        lambda w: ml.roc_auc_score(Y, S, sample_weight=w),
        lambda w: ml.ScoreSketch(3).update(Y, S, sample_weight=w),
        lambda w: ml.evaluate(Y, S, sample_weight=w),
    ],
)
def test_weights_whose_sum_overflows_are_refused(call: Any) -> None:
    weights = np.full(Y.shape[0], 1e307)
    with pytest.raises(ml.InputError, match="sample_weight sums to infinity") as caught:
        call(weights)
    assert caught.value.argument == "sample_weight"


def test_a_zero_weight_block_is_valid_in_the_sketch_as_in_counting() -> None:
    zero = np.zeros(20)
    counts = ml.MultilabelCounts(3).update(Y[:20], S[:20], threshold=0.5, sample_weight=zero)
    sketch = ml.ScoreSketch(3).update(Y[:20], S[:20], sample_weight=zero)
    counts.update(Y[20:], S[20:], threshold=0.5, sample_weight=W[20:])
    sketch.update(Y[20:], S[20:], sample_weight=W[20:])
    weights = np.concatenate([zero, W[20:]])
    expected = sklearn_metrics.roc_auc_score(Y, S, sample_weight=weights, average=None)
    estimate = sketch.roc_auc(average=None)
    assert np.all(np.abs(estimate.value - expected) <= estimate.bound + 1e-12)
    reference = sklearn_metrics.f1_score(Y, (S >= 0.5).astype(int), sample_weight=weights,
                                         average="macro")  # fmt: skip
    assert counts.f1_score() == pytest.approx(reference, abs=1e-12)


def test_malformed_sparse_indptr_gets_a_clear_error() -> None:
    sparse = pytest.importorskip("scipy.sparse")
    truth = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]])  # 6 stored ones
    for indptr, match in (
        (np.array([0, 2, 1, 5, 6]), "never decrease"),
        (np.array([0, 2, 3, 5, 9]), "from 0 to the 6 stored cells; got 0 to 9"),
        (np.array([0, 2, 3, 6]), "5 offsets"),
    ):
        bad = sparse.csr_matrix(truth)
        bad.indptr = indptr.astype(bad.indptr.dtype)
        with pytest.raises(ml.InputError, match=f"y_true has a malformed indptr.*{match}"):
            ml.f1_score(bad, truth)


def test_signed_to_binary_is_one_function() -> None:
    from multilabel_attr.datasets import celeba

    assert celeba.signed_to_binary is ml.signed_to_binary
    assert ml.signed_to_binary([[-1, 1], [1, -1]]).tolist() == [[0, 1], [1, 0]]
    with pytest.raises(ml.InputTypeError, match="numeric"):
        ml.signed_to_binary(np.array(["a"]))


def test_a_zero_weight_row_group_is_valid_on_the_parquet_engine(tmp_path: Any) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from multilabel_attr import parquet

    weights = np.concatenate([np.zeros(40), W[40:]])
    table = pa.table({"y": list(Y.astype(np.int8)), "s": list(S), "w": weights})
    path = tmp_path / "zero_first.parquet"
    pq.write_table(table, path, row_group_size=40)
    report = parquet.evaluate(path, "y", "s", weight="w", zero_division=0)
    expected = ml.evaluate(Y, S, sample_weight=weights, zero_division=0)
    for key, value in expected.summary.items():
        assert report.summary[key] == pytest.approx(value, abs=1e-12)
    reference = sklearn_metrics.roc_auc_score(Y, S, sample_weight=weights, average=None)
    bound = np.asarray(report.per_label["auroc_bound"])
    assert np.all(np.abs(np.asarray(report.per_label["auroc"]) - reference) <= bound + 1e-12)


def test_engine_errors_carry_the_column_file_and_row_group(tmp_path: Any) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from multilabel_attr import parquet

    scores = S.copy()
    scores[50, 1] = math.nan  # row group 1 (rows 40..79), column s1
    columns = {f"y{j}": Y[:, j] for j in range(3)} | {f"s{j}": scores[:, j] for j in range(3)}
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table(columns), path, row_group_size=40)
    with pytest.raises(ml.InputError, match=r"column 's1' \(scores\).*row group 1") as caught:
        parquet.evaluate(path, ["y0", "y1", "y2"], ["s0", "s1", "s2"])
    error = caught.value
    assert (error.argument, error.column, error.row_group) == ("y_score", "s1", 1)
    assert error.file is not None and error.file.endswith("bad.parquet")
    weights = pa.table({**columns, "w": -W})
    pq.write_table(weights, path, row_group_size=40)
    with pytest.raises(ml.InputError, match=r"column 'w' \(weight\)") as caught:
        parquet.evaluate(path, ["y0", "y1", "y2"], ["s0", "s1", "s2"], weight="w")
    error = caught.value
    assert (error.argument, error.column, error.row_group) == ("sample_weight", "w", 0)


def test_a_sketch_of_zero_weights_only_is_undefined_as_in_memory() -> None:
    zero = np.zeros(Y.shape[0])
    with pytest.raises(ml.InputError, match="sample_weight") as memory:
        ml.roc_auc_score(Y, S, sample_weight=zero)
    sketch = ml.ScoreSketch(3).update(Y, S, sample_weight=zero)
    with pytest.raises(ml.InputError, match="sample_weight 0") as streamed:
        sketch.roc_auc()
    assert memory.value.argument == streamed.value.argument == "sample_weight"
