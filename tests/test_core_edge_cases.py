"""Inputs at the edges that once gave a wrong number without a word: thresholds outside the
probability scale, complex scores, huge and all-zero weights, and warnings that blamed (and
printed) library code instead of the caller."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import multilabel_attr as ml

RNG = np.random.default_rng(11)
Y = (RNG.random((60, 4)) < 0.4).astype(np.int64)
S = np.clip(0.5 * Y + 0.6 * RNG.random((60, 4)), 0, 1)


@pytest.mark.parametrize("from_logits", [True, False])
def test_paired_bootstrap_refuses_the_thresholds_f1_score_refuses(from_logits: bool) -> None:
    scores = np.log(S + 1e-3) - np.log1p(-S + 1e-3) if from_logits else S
    match = r"threshold(_a|_b)? must lie in \[0, 1\]"
    with pytest.raises(ValueError, match=match):
        ml.f1_score(Y, scores, threshold=1.5, from_logits=from_logits)
    with pytest.raises(ValueError, match=match):
        ml.paired_bootstrap(
            Y, scores, scores, threshold_a=1.5, from_logits=from_logits, n_resamples=10, seed=0
        )
    with pytest.raises(ValueError, match=match):
        ml.paired_bootstrap(Y, scores, scores, threshold_b=[0.5, 0.5, 0.5, -0.1],
                            from_logits=from_logits, n_resamples=10, seed=0)  # fmt: skip
    with pytest.raises(ValueError, match=match):
        ml.bootstrap_report(Y, scores, threshold=1.5, from_logits=from_logits, n_resamples=10)


def test_paired_bootstrap_point_estimates_equal_the_metric_functions() -> None:
    logits = np.log(S + 1e-3) - np.log1p(-S + 1e-3)
    thresholds = np.array([0.3, 0.5, 0.7, 0.9])
    weights = RNG.random(Y.shape[0])
    result = ml.paired_bootstrap(
        Y, logits, logits[::-1], threshold_a=thresholds, from_logits=True, n_resamples=20,
        seed=0, sample_weight=weights,
    )  # fmt: skip
    for key, value in (
        ("f1_samples", ml.f1_score(Y, logits, threshold=thresholds, from_logits=True,
                                   average="samples", zero_division=0, sample_weight=weights)),
        ("hamming_loss", ml.hamming_loss(Y, logits, threshold=thresholds, from_logits=True,
                                         sample_weight=weights)),
        ("f1_macro", ml.f1_score(Y, logits, threshold=thresholds, from_logits=True,
                                 zero_division=0, sample_weight=weights)),
    ):  # fmt: skip
        assert result[key].value_a == pytest.approx(value, abs=1e-12), key


@pytest.mark.parametrize(
    "call",
    [
        lambda s: ml.f1_score(Y, s, threshold=0.5),
        lambda s: ml.evaluate(Y, s),
        lambda s: ml.roc_auc_score(Y, s),
        lambda s: ml.MultilabelCounts(4).update(Y, s, threshold=0.5),
        lambda s: ml.paired_bootstrap(Y, s, S, n_resamples=10),
    ],
)
def test_complex_scores_are_refused(call: Any) -> None:
    with pytest.raises(TypeError, match=r"y_score must hold real numbers; got complex"):
        call(S + 0.25j)


def test_huge_uniform_weights_give_the_unweighted_metrics() -> None:
    pred = (S >= 0.5).astype(np.int64)
    for scale in (1e80, 1e160, 1e300):
        weights = np.full(Y.shape[0], scale)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no overflow RuntimeWarning, no false "one class"
            mcc = ml.matthews_corrcoef(Y, pred, average=None, sample_weight=weights)
            kappa = ml.cohen_kappa_score(Y, pred, average="micro", sample_weight=weights)
            auroc = ml.roc_auc_score(Y, S, average=None, sample_weight=weights)
            ap = ml.average_precision_score(Y, S, average="macro", sample_weight=weights)
            f1 = ml.f1_score(Y, pred, average="samples", sample_weight=weights, zero_division=0)
            report = ml.evaluate(Y, S, sample_weight=weights, zero_division=0)
        np.testing.assert_allclose(mcc, ml.matthews_corrcoef(Y, pred, average=None), rtol=1e-12)
        assert kappa == pytest.approx(ml.cohen_kappa_score(Y, pred, average="micro"), rel=1e-12)
        np.testing.assert_allclose(auroc, ml.roc_auc_score(Y, S, average=None), rtol=1e-12)
        np.testing.assert_allclose(report.per_label["auroc"], auroc, rtol=1e-12)
        np.testing.assert_allclose(
            report.per_label["mcc"], ml.matthews_corrcoef(Y, S, threshold=0.5, average=None),
            rtol=1e-12,
        )
        assert ap == pytest.approx(ml.average_precision_score(Y, S), rel=1e-12)
        assert f1 == pytest.approx(
            ml.f1_score(Y, pred, average="samples", zero_division=0), rel=1e-12
        )


@pytest.mark.parametrize(
    "call",
    [
        lambda w: ml.f1_score(Y, S, threshold=0.5, average="samples", sample_weight=w),
        lambda w: ml.precision_score(Y, S, threshold=0.5, sample_weight=w, zero_division=0),
        lambda w: ml.hamming_loss(Y, S, threshold=0.5, sample_weight=w),
        lambda w: ml.evaluate(Y, S, sample_weight=w),
        lambda w: ml.roc_auc_score(Y, S, sample_weight=w),
        lambda w: ml.average_precision_score(Y, S, sample_weight=w),
        lambda w: ml.coverage_error(Y, S, sample_weight=w),
    ],
)
def test_all_zero_weights_are_a_clear_error(call: Any) -> None:
    with pytest.raises(ValueError, match=r"(sample_weight is zero for all|sample_weight 0)"):
        call(np.zeros(Y.shape[0]))


def test_a_stream_may_hold_zero_weight_batches() -> None:
    state = ml.MultilabelCounts(4).update(Y[:10], S[:10], threshold=0.5, sample_weight=np.zeros(10))
    state.update(Y[10:], S[10:], threshold=0.5)
    assert state.f1_score(average="micro") == pytest.approx(
        ml.f1_score(Y[10:], S[10:], threshold=0.5, average="micro")
    )


def _caller_warnings(call: Any) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    assert caught, "expected a warning"
    return caught


@pytest.mark.parametrize(
    "call",
    [
        lambda: ml.f1_score([[0, 1]], [[0, 1]], average="macro"),
        lambda: ml.MultilabelCounts(2).update([[0, 1]], [[0, 1]]).precision_score(),
        lambda: ml.roc_auc_score([[1, 0], [1, 1]], [[0.2, 0.3], [0.4, 0.5]]),
        lambda: ml.evaluate([[0, 1], [0, 1]], [[0.1, 0.9], [0.2, 0.8]]),
        lambda: ml.average_precision_score([[0], [0]], [[0.2], [0.4]], average="samples"),
    ],
)
def test_warnings_point_at_the_caller_not_the_library(call: Any) -> None:
    for caught in _caller_warnings(call):
        assert caught.filename == __file__, (caught.filename, str(caught.message))


def test_threshold_search_warnings_point_at_the_caller() -> None:
    from multilabel_attr.thresholds import cross_validate_thresholds, optimize_thresholds

    y = np.zeros((40, 3), np.int64)
    y[:20, 0] = 1
    scores = RNG.random((40, 3))
    for call in (
        lambda: optimize_thresholds(y, scores, min_positives=5),
        lambda: cross_validate_thresholds(y, scores, n_splits=2, min_positives=5, random_state=0),
    ):
        for caught in _caller_warnings(call):
            assert caught.filename == __file__, (caught.filename, str(caught.message))
