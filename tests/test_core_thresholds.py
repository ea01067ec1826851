"""Threshold semantics (``score >= threshold``) and the array-likes every metric accepts."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import multilabel_attr as ml


def _counts(y_true: Any, y: Any, **kwargs: Any) -> np.ndarray:
    return ml.multilabel_confusion_matrix(y_true, y, **kwargs)


def _hard(y_true: Any, y_pred_bool: np.ndarray) -> np.ndarray:
    return ml.multilabel_confusion_matrix(y_true, y_pred_bool.astype(np.int8))


def test_score_equal_to_threshold_is_positive() -> None:
    y_true = np.array([[1, 0], [0, 1], [1, 1]])
    y_score = np.array([[0.5, 0.4999999], [0.5000001, 0.5], [0.0, 1.0]])
    pred = ml.multilabel_confusion_matrix(y_true, y_score, threshold=0.5)
    assert pred.tolist() == _hard(y_true, y_score >= 0.5).tolist()
    assert ml.precision_score([[1]], [[0.3]], threshold=0.3, average=None).tolist() == [1.0]


@pytest.mark.parametrize("cut", [0.1, 0.3, 0.5, 0.7, 1 / 3, 0.9999999, 1e-8])
def test_float32_scores_at_the_boundary_compare_like_float64(cut: float) -> None:
    below = np.float32(cut)
    candidates = np.array(
        [
            np.nextafter(below, np.float32(0)),
            below,
            np.nextafter(below, np.float32(1)),
        ],
        dtype=np.float32,
    )
    y_score = np.tile(candidates, (2, 1)).T.copy()  # (3, 2), float32
    y_true = np.array([[1, 0], [0, 1], [1, 1]])
    expected = _hard(y_true, y_score.astype(np.float64) >= cut)
    np.testing.assert_array_equal(_counts(y_true, y_score, threshold=cut), expected)
    np.testing.assert_array_equal(_counts(y_true, y_score, threshold=[cut, cut]), expected)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    per_label=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64, np.float16]),
)
def test_random_thresholds_match_elementwise_comparison(
    seed: int, per_label: bool, dtype: Any
) -> None:
    rng = np.random.default_rng(seed)
    n, k = rng.integers(1, 30), rng.integers(1, 6)
    y_true = rng.integers(0, 2, (n, k))
    # Scores drawn from a coarse grid so many of them equal a threshold exactly.
    y_score = (rng.integers(0, 11, (n, k)) / 10).astype(dtype)
    threshold = rng.integers(0, 11, k) / 10 if per_label else np.float64(rng.integers(0, 11) / 10)
    expected = _hard(y_true, y_score.astype(np.float64) >= threshold)
    np.testing.assert_array_equal(_counts(y_true, y_score, threshold=threshold), expected)


def test_per_label_thresholds_apply_to_their_own_column() -> None:
    y_true = np.array([[1, 1, 0], [0, 1, 1]])
    y_score = np.array([[0.6, 0.3, 0.2], [0.2, 0.8, 0.9]])
    threshold = np.array([0.5, 0.25, 0.95])
    expected = _hard(y_true, y_score >= threshold)
    np.testing.assert_array_equal(_counts(y_true, y_score, threshold=threshold), expected)
    np.testing.assert_array_equal(_counts(y_true, y_score, threshold=threshold.tolist()), expected)


class _ThresholdsLike:
    """Any object exposing ``__array__`` is accepted as thresholds."""

    def __init__(self, values: list[float]) -> None:
        self.values = values

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.values, dtype=dtype)


def test_threshold_objects_with_array_protocol() -> None:
    y_true = np.array([[1, 0], [0, 1]])
    y_score = np.array([[0.6, 0.3], [0.2, 0.8]])
    np.testing.assert_array_equal(
        _counts(y_true, y_score, threshold=_ThresholdsLike([0.7, 0.3])),
        _hard(y_true, y_score >= np.array([0.7, 0.3])),
    )


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), per_label=st.booleans())
def test_from_logits_thresholds_sigmoid(seed: int, per_label: bool) -> None:
    rng = np.random.default_rng(seed)
    n, k = rng.integers(1, 30), rng.integers(1, 5)
    y_true = rng.integers(0, 2, (n, k))
    logits = rng.normal(0, 3, (n, k))
    threshold = rng.uniform(0.05, 0.95, k) if per_label else float(rng.uniform(0.05, 0.95))
    probabilities = 1 / (1 + np.exp(-logits))
    expected = _hard(y_true, probabilities >= threshold)
    np.testing.assert_array_equal(
        _counts(y_true, logits, threshold=threshold, from_logits=True), expected
    )
    np.testing.assert_array_equal(
        _counts(y_true, logits.astype(np.float32), threshold=threshold, from_logits=True),
        _hard(y_true, 1 / (1 + np.exp(-logits.astype(np.float32).astype(np.float64)))
              >= threshold),
    )  # fmt: skip


def test_from_logits_extreme_thresholds() -> None:
    y_true = np.array([[1, 0], [0, 1]])
    logits = np.array([[-50.0, 0.0], [3.0, 50.0]])
    all_positive = _hard(y_true, np.ones((2, 2), dtype=bool))
    assert _counts(y_true, logits, threshold=0.0, from_logits=True).tolist() == (
        all_positive.tolist()
    )
    # sigmoid(x) < 1 for every finite logit, so nothing reaches threshold 1.
    all_negative = _hard(y_true, np.zeros((2, 2), dtype=bool))
    assert _counts(y_true, logits, threshold=1.0, from_logits=True).tolist() == (
        all_negative.tolist()
    )
    # Logit 0 is exactly probability 0.5.
    assert _counts([[1]], [[0.0]], threshold=0.5, from_logits=True)[0, 1, 1] == 1


# -- array-likes -------------------------------------------------------------------------------

Y_TRUE = [[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 0]]
Y_PRED = [[1, 1, 1], [0, 1, 0], [0, 1, 0], [0, 0, 1]]
Y_SCORE = [[0.9, 0.6, 0.7], [0.2, 0.8, 0.3], [0.4, 0.55, 0.1], [0.1, 0.2, 0.95]]


def _reference() -> dict[str, Any]:
    y_true, y_pred = np.array(Y_TRUE), np.array(Y_PRED)
    return {
        "f1": ml.f1_score(y_true, y_pred, average=None, zero_division=0),
        "samples": ml.f1_score(y_true, y_pred, average="samples", zero_division=0),
        "cm": ml.multilabel_confusion_matrix(y_true, y_pred),
    }


def _compare(y_true: Any, y_pred: Any, **kwargs: Any) -> None:
    ref = _reference()
    np.testing.assert_array_equal(
        ml.f1_score(y_true, y_pred, average=None, zero_division=0, **kwargs), ref["f1"]
    )
    assert (
        ml.f1_score(y_true, y_pred, average="samples", zero_division=0, **kwargs)
        == (ref["samples"])
    )
    np.testing.assert_array_equal(ml.multilabel_confusion_matrix(y_true, y_pred, **kwargs),
                                  ref["cm"])  # fmt: skip


@pytest.mark.parametrize(
    "convert",
    [
        lambda a: a,
        lambda a: np.array(a, dtype=bool),
        lambda a: np.array(a, dtype=np.int8),
        lambda a: np.array(a, dtype=np.uint8),
        lambda a: np.array(a, dtype=np.int64),
        lambda a: np.array(a, dtype=np.float32),
        lambda a: np.array(a, dtype=np.float64),
        lambda a: tuple(tuple(row) for row in a),
        lambda a: np.asfortranarray(np.array(a, dtype=np.int32)),
        lambda a: np.array(a, dtype=np.int16)[:, ::-1][:, ::-1],
    ],
    ids=["list", "bool", "int8", "uint8", "int64", "float32", "float64", "tuple", "fortran",
         "strided"],
)  # fmt: skip
def test_hard_label_array_likes(convert: Any) -> None:
    _compare(convert(Y_TRUE), convert(Y_PRED))


@pytest.mark.parametrize(
    "convert",
    [lambda a: a, lambda a: np.array(a, np.float32), lambda a: np.array(a, np.float64)],
    ids=["list", "float32", "float64"],
)
def test_score_array_likes(convert: Any) -> None:
    ref = _reference()
    got = ml.f1_score(Y_TRUE, convert(Y_SCORE), threshold=0.5, average=None, zero_division=0)
    np.testing.assert_array_equal(got, ref["f1"])


def test_weights_accept_lists_and_column_vectors() -> None:
    w = [1.0, 2.0, 0.5, 1.0]
    a = ml.f1_score(Y_TRUE, Y_PRED, average="samples", sample_weight=w, zero_division=0)
    b = ml.f1_score(Y_TRUE, Y_PRED, average="samples", sample_weight=np.array(w)[:, None],
                    zero_division=0)  # fmt: skip
    c = ml.f1_score(Y_TRUE, Y_PRED, average="samples", sample_weight=np.array(w, np.float32),
                    zero_division=0)  # fmt: skip
    assert a == b == c


@pytest.mark.tf
def test_tensorflow_tensors() -> None:
    tf = pytest.importorskip("tensorflow")
    y_true = tf.constant(Y_TRUE, dtype=tf.float32)
    _compare(y_true, tf.constant(Y_PRED, dtype=tf.int32))
    _compare(tf.cast(tf.constant(Y_TRUE), tf.bool), tf.cast(tf.constant(Y_PRED), tf.bool))
    ref = _reference()
    got = ml.f1_score(y_true, tf.constant(Y_SCORE), threshold=tf.constant(0.5), average=None,
                      zero_division=0, sample_weight=tf.ones(4))  # fmt: skip
    np.testing.assert_array_equal(got, ref["f1"])
    auc = ml.roc_auc_score(y_true, tf.constant(Y_SCORE), average=None)
    np.testing.assert_array_equal(auc, ml.roc_auc_score(Y_TRUE, Y_SCORE, average=None))
    state = ml.MultilabelCounts(3).update(y_true, tf.constant(Y_SCORE), threshold=0.5)
    assert state == ml.MultilabelCounts.from_batch(Y_TRUE, Y_SCORE, threshold=0.5)


def test_signed_labels_convert() -> None:
    signed = np.array([[-1, 1, 1], [1, -1, -1]])
    binary = ml.signed_to_binary(signed)
    assert binary.tolist() == [[0, 1, 1], [1, 0, 0]]
    assert binary.dtype == np.uint8
    assert math.isclose(ml.hamming_loss(binary, binary), 0.0)
