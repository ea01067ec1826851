"""Exact ranking metrics against scikit-learn, with ties, weights and single-class labels."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from sklearn import metrics as skm

import multilabel_attr as ml
from _core_helpers import assert_close, nan_weighted_mean, quiet, ranking_data

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _binary_oracle(which: str, truth: np.ndarray, score: np.ndarray, sw: Any) -> float:
    """scikit-learn's binary value, or nan where the library documents it as undefined."""
    present = truth if sw is None else truth[sw > 0]
    if which == "auc":
        if len(np.unique(present)) < 2:
            return math.nan
        return float(skm.roc_auc_score(truth, score, sample_weight=sw))
    if not present.any():
        return math.nan
    return float(skm.average_precision_score(truth, score, sample_weight=sw))


def ranking_oracle(
    which: str, y_true: np.ndarray, y_score: np.ndarray, average: Any, sw: Any
) -> Any:
    if average == "micro":
        rep = None if sw is None else np.repeat(sw, y_true.shape[1])
        return _binary_oracle(which, y_true.ravel(), y_score.ravel(), rep)
    if average == "samples":
        values = np.array(
            [_binary_oracle(which, y_true[i], y_score[i], None) for i in range(len(y_true))]
        )
        return nan_weighted_mean(values, sw)
    values = np.array(
        [_binary_oracle(which, y_true[:, j], y_score[:, j], sw) for j in range(y_true.shape[1])]
    )
    if average is None:
        return values
    weights = None
    if average == "weighted":
        weights = (np.ones(len(y_true)) if sw is None else sw) @ y_true
    return nan_weighted_mean(values, weights)


OURS = {"auc": ml.roc_auc_score, "ap": ml.average_precision_score}


@pytest.mark.parametrize("which", ["auc", "ap"])
@SETTINGS
@given(data=ranking_data())
def test_auroc_ap_match_sklearn(which: str, data: Any) -> None:
    y_true, y_score, sw = data
    for average in ("micro", "macro", "weighted", "samples", None):
        expected = ranking_oracle(which, y_true, y_score, average, sw)
        ours = quiet(OURS[which], y_true, y_score, average=average, sample_weight=sw)
        assert_close(ours, expected, f"{which} average={average}")


@SETTINGS
@given(data=ranking_data())
def test_label_ranking_metrics_match_sklearn(data: Any) -> None:
    y_true, y_score, sw = data
    for ours, theirs in (
        (ml.coverage_error, skm.coverage_error),
        (ml.label_ranking_loss, skm.label_ranking_loss),
        (ml.label_ranking_average_precision_score, skm.label_ranking_average_precision_score),
    ):
        assert_close(
            ours(y_true, y_score, sample_weight=sw),
            theirs(y_true, y_score, sample_weight=sw),
            ours.__name__,
        )


def test_larger_problem_with_many_ties_matches_sklearn() -> None:
    rng = np.random.default_rng(3)
    y_true = (rng.random((3000, 12)) < 0.3).astype(int)
    y_score = (rng.integers(0, 20, (3000, 12)) / 20).astype(np.float32)
    sw = rng.uniform(0, 2, 3000)
    for which in ("auc", "ap"):
        for weights in (None, sw):
            for average in ("micro", "macro", "weighted", None):
                assert_close(
                    OURS[which](y_true, y_score, average=average, sample_weight=weights),
                    ranking_oracle(which, y_true, y_score, average, weights),
                    f"{which} {average}",
                )


def test_single_class_labels_are_nan_and_left_out_with_warning() -> None:
    y_true = np.array([[1, 0, 1], [1, 0, 0], [1, 0, 1], [1, 0, 0]])
    y_score = np.array([[0.9, 0.1, 0.8], [0.7, 0.3, 0.2], [0.2, 0.2, 0.6], [0.4, 0.1, 0.3]])
    with pytest.warns(ml.UndefinedMetricWarning, match=r"labels 0, 1"):
        auc = ml.roc_auc_score(y_true, y_score, average=None)
    assert np.isnan(auc[:2]).all()
    assert auc[2] == skm.roc_auc_score(y_true[:, 2], y_score[:, 2])
    with pytest.warns(ml.UndefinedMetricWarning):
        assert ml.roc_auc_score(y_true, y_score, average="macro") == auc[2]
    with pytest.warns(ml.UndefinedMetricWarning, match=r"label 1\b"):
        ap = ml.average_precision_score(y_true, y_score, average=None)
    assert np.isnan(ap[1])
    assert ap[0] == 1.0  # all positive: precision is 1 at every threshold
    with pytest.warns(ml.UndefinedMetricWarning, match="ROC AUC"):
        assert math.isnan(ml.roc_auc_score([[1], [1]], [[0.2], [0.4]], average="macro"))


def test_samples_average_leaves_out_single_class_rows() -> None:
    y_true = np.array([[1, 0, 1], [0, 0, 0], [0, 1, 1]])
    y_score = np.array([[0.9, 0.5, 0.1], [0.3, 0.2, 0.1], [0.6, 0.5, 0.7]])
    expected = np.mean([skm.roc_auc_score(y_true[i], y_score[i]) for i in (0, 2)])
    with pytest.warns(ml.UndefinedMetricWarning, match="1 samples"):
        assert ml.roc_auc_score(y_true, y_score, average="samples") == pytest.approx(
            expected, abs=1e-15
        )


def test_scores_of_any_scale_and_integer_dtype() -> None:
    rng = np.random.default_rng(4)
    y_true = rng.integers(0, 2, (60, 3))
    logits = rng.normal(0, 4, (60, 3))
    for scores in (logits, np.rint(logits).astype(np.int64), logits.astype(np.float32)):
        assert_close(
            ml.roc_auc_score(y_true, scores, average=None),
            [skm.roc_auc_score(y_true[:, j], scores[:, j]) for j in range(3)],
        )
        assert_close(
            ml.average_precision_score(y_true, scores, average=None),
            [skm.average_precision_score(y_true[:, j], scores[:, j]) for j in range(3)],
        )


def test_zero_weight_rows_are_the_same_as_removed_rows() -> None:
    rng = np.random.default_rng(5)
    y_true = rng.integers(0, 2, (40, 4))
    y_score = rng.integers(0, 5, (40, 4)) / 5
    sw = rng.uniform(0.5, 2, 40)
    sw[::3] = 0
    keep = sw > 0
    for fn in (ml.roc_auc_score, ml.average_precision_score):
        for average in ("micro", "macro", "weighted", "samples", None):
            assert_close(
                quiet(fn, y_true, y_score, average=average, sample_weight=sw),
                quiet(fn, y_true[keep], y_score[keep], average=average, sample_weight=sw[keep]),
                f"{fn.__name__} {average}",
            )
