"""StreamingEvaluation: the whole Report from batches, ranking columns with their bounds."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from multilabel_attr import StreamingEvaluation, UndefinedMetricWarning, evaluate


def _data(seed: int = 0, n: int = 400):
    rng = np.random.default_rng(seed)
    y = rng.random((n, 3)) < np.array([0.2, 0.5, 0.7])
    s = 1 / (1 + np.exp(-(rng.normal(size=(n, 3)) + 2 * y - 1)))
    return y, s, rng.uniform(0, 2, n)


@pytest.mark.parametrize("exact", [False, True])
def test_streamed_report_equals_evaluate_within_bounds(exact):
    y, s, w = _data()
    names = ["a", "b", "c"]
    left = StreamingEvaluation(3, threshold=[0.4, 0.5, 0.6], label_names=names, exact=exact)
    right = StreamingEvaluation(3, threshold=[0.4, 0.5, 0.6], label_names=names, exact=exact)
    left.update(y[:150], s[:150], sample_weight=w[:150])
    right.update(y[150:], s[150:], sample_weight=w[150:])
    merged = StreamingEvaluation.from_dict(json.loads(json.dumps((left + right).to_dict())))
    report = merged.report(zero_division=0)
    expected = evaluate(
        y, s, threshold=[0.4, 0.5, 0.6], label_names=names, sample_weight=w, zero_division=0
    )
    assert report.summary == pytest.approx(expected.summary, abs=1e-12)
    for column in ("support", "precision", "f1", "mcc", "threshold"):
        np.testing.assert_allclose(report.per_label[column], expected.per_label[column])
    for column in ("auroc", "average_precision"):
        error = np.abs(np.subtract(report.per_label[column], expected.per_label[column]))
        bound = np.asarray(report.per_label[f"{column}_bound"])
        assert np.all(error <= bound + (1e-12 if exact else 0))
        if exact:
            assert np.all(bound == 0) and np.all(error <= 1e-12)
    text = report.to_text()
    assert ("±" in text) is (not exact)
    assert "±" not in expected.to_text()


def test_undefined_ranking_labels_warn_like_evaluate():
    y = np.array([[1, 0], [1, 1], [1, 0]])
    s = np.array([[0.9, 0.2], [0.4, 0.8], [0.6, 0.3]])
    state = StreamingEvaluation(2).update(y, s)
    with pytest.warns(UndefinedMetricWarning, match="ROC AUC"):
        report = state.report(zero_division=0)
    assert np.isnan(report.per_label["auroc"][0]) and np.isnan(report.per_label["auroc_bound"][0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        assert "-" in report.to_text()


def test_bad_input_leaves_the_state_unchanged():
    y, s, _ = _data()
    state = StreamingEvaluation(3).update(y[:10], s[:10])
    with pytest.raises(ValueError, match="y_score must be finite"):
        state.update(y[:2], np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="y_score must hold probabilities"):
        state.update(y[:2], np.full((2, 3), 3.0))
    assert state.counts.n_samples == 10 and state.sketch.n_samples == 10
    with pytest.raises(ValueError, match="thresholds"):
        state.merge(StreamingEvaluation(3, threshold=0.3))
    with pytest.raises(ValueError, match="schema_version"):
        StreamingEvaluation.from_dict({"schema_version": 9})
