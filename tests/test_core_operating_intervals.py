"""Intervals on operating points: every replicate's rule value against scikit-learn's
curves with the replicate's multiplicities as sample weights."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import multilabel_attr as ml
from multilabel_attr.core.ranking._constraints import check_constraints
from multilabel_attr.core.report._bootstrap import Design, _resample_all
from multilabel_attr.core.report._intervals import multiplicities
from multilabel_attr.core.report._operating_bootstrap import OperatingRows

sk = pytest.importorskip("sklearn.metrics")

RULES = ["recall@precision>=0.6", "precision@recall>=0.7", "sensitivity@specificity>=0.8", "eer"]


def _data(
    n: int = 200, seed: int = 0, decimals: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.random((n, 3)) < np.array([0.2, 0.35, 0.5])
    score = np.clip(0.4 * y + 0.6 * rng.random((n, 3)), 0, 1)
    return y, (score if decimals is None else np.round(score, decimals))


def _reference(rule: str, y: np.ndarray, s: np.ndarray, w: np.ndarray) -> float:
    """The rule's value from scikit-learn's weighted curves (the best over their points)."""
    if rule == "eer":
        fpr, tpr, _ = sk.roc_curve(y, s, sample_weight=w, drop_intermediate=False)
        gap = np.abs(fpr - (1 - tpr))
        best = gap == gap.min()
        return float(((fpr + 1 - tpr) / 2)[best][0])
    if "precision" in rule:
        precision, recall, _ = sk.precision_recall_curve(y, s, sample_weight=w)
        precision, recall = precision[:-1], recall[:-1]  # the last point predicts nothing
        if rule.startswith("recall"):
            ok = precision >= 0.6
            return float(recall[ok].max()) if ok.any() else np.nan
        ok = recall >= 0.7
        return float(precision[ok].max()) if ok.any() else np.nan
    fpr, tpr, _ = sk.roc_curve(y, s, sample_weight=w, drop_intermediate=False)
    ok = 1 - fpr >= 0.8
    return float(tpr[ok].max()) if ok.any() else np.nan


@pytest.mark.parametrize("decimals", [None, 1])
@pytest.mark.parametrize("weighted", [False, True])
def test_replicates_equal_scikit_learn_with_multiplicities_as_weights(
    decimals: int | None, weighted: bool
) -> None:
    y, score = _data(decimals=decimals)
    n = y.shape[0]
    weights = np.random.default_rng(3).random(n) + 0.5 if weighted else None
    rows = OperatingRows.of(y, score, check_constraints(RULES))
    design = Design.of(weights, None, n)
    ((_, per_label),) = _resample_all(y, [score >= 0.5], design, 5, 9, None, [rows])
    drawn = multiplicities(np.random.default_rng(9), 5, n)
    for b in range(5):
        w = drawn[b] if weights is None else drawn[b] * weights
        for j in range(3):
            for rule in RULES:
                key = rows.rules[RULES.index(rule)].key
                expected = _reference(rule, y[:, j], score[:, j], w)
                np.testing.assert_allclose(per_label[key][b, j], expected, atol=1e-12)


def test_report_carries_one_column_per_rule_with_percentile_intervals() -> None:
    y, score = _data(n=300, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = ml.bootstrap_report(y, score, n_resamples=100, seed=2, constraints=RULES[:2])
        points = ml.operating_points(y, score, RULES[:2])
    rows = OperatingRows.of(y, score, check_constraints(RULES[:2]))
    design = Design.of(None, None, 300)
    ((_, per_label),) = _resample_all(y, [score >= 0.5], design, 100, 2, None, [rows])
    for key, result in points.items():
        np.testing.assert_array_equal(report.per_label[key], result.values)
        for j, name in enumerate(report.label_names):
            values = per_label[key][:, j]
            expected = np.percentile(values[~np.isnan(values)], [2.5, 97.5])
            np.testing.assert_allclose(report.intervals[f"{key}:{name}"], expected, atol=1e-12)


def test_constraints_are_checked_before_the_data() -> None:
    y, score = _data(n=30)
    with pytest.raises(ValueError, match="constraints must be 'eer' or"):
        ml.bootstrap_report(y, score, n_resamples=10, constraints="recall>=0.9")
    with pytest.raises(ValueError, match="constraints must be 'eer' or"):
        ml.bootstrap_report(np.zeros((3, 3)), score, n_resamples=10, constraints=["bogus"])
    with pytest.raises(ValueError, match="constraints None"):
        ml.bootstrap_report(y, score, n_resamples=10, constraints="eer", groups=np.arange(30) % 2)
