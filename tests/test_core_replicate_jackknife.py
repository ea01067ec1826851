"""Each replicate's own jackknife standard errors (the bootstrap-t band) against a brute force:
scikit-learn's metrics with one drawn unit left out at a time, the replicate's
multiplicities as sample weights."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import (
    balanced_accuracy_score,
    f1_score,
    matthews_corrcoef,
    precision_score,
    recall_score,
    roc_auc_score,
)

import multilabel_attr as ml
from multilabel_attr.core.ranking._resampled import ranked_labels
from multilabel_attr.core.report._bootstrap import Design, Rows, _resample_all
from multilabel_attr.core.report._intervals import (
    drawn_counts,
    jackknife_se,
    simultaneous_bounds,
)
from multilabel_attr.core.report._jackknife import jackknife_metrics
from multilabel_attr.core.report._replicate_jackknife import ReplicateSpread

Metric = Callable[..., float]

COUNT_METRICS: dict[str, Metric] = {
    "f1": lambda y, p, sample_weight: f1_score(y, p, sample_weight=sample_weight, zero_division=0),
    "precision": lambda y, p, sample_weight: precision_score(
        y, p, sample_weight=sample_weight, zero_division=0
    ),
    "recall": lambda y, p, sample_weight: recall_score(
        y, p, sample_weight=sample_weight, zero_division=0
    ),
    "balanced_accuracy": balanced_accuracy_score,
    "mcc": matthews_corrcoef,
}


def _brute_se(
    metric: Metric, y: Any, x: Any, drawn: np.ndarray, unit_of_row: np.ndarray, w: np.ndarray
) -> float:
    """The jackknife SE over the drawn units, each left out by lowering its multiplicity."""
    values, times = [], []
    for unit in np.flatnonzero(drawn):
        left = drawn.astype(np.float64)
        left[unit] -= 1
        values.append(metric(y, x, sample_weight=left[unit_of_row] * w))
        times.append(drawn[unit])
    v, m = np.array(values), np.array(times, np.float64)
    n = m.sum()
    return float(np.sqrt((n - 1) / n * np.sum(m * (v - np.sum(m * v) / n) ** 2)))


def _data(n: int = 30, n_labels: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    y = rng.random((n, n_labels)) < 0.4
    # Rounded scores: ties between and within the classes.
    return y, np.round(0.8 * y + rng.random((n, n_labels)), 1)


@pytest.mark.parametrize("design_kind", ["rows", "cluster", "weighted", "weighted_cluster"])
def test_each_replicates_standard_error_is_the_jackknife_over_its_drawn_units(
    design_kind: str,
) -> None:
    y, raw = _data()
    score = raw.astype(np.float64)
    n = y.shape[0]
    pred = score >= 0.7
    weights = np.random.default_rng(3).random(n) + 0.5 if "weighted" in design_kind else None
    cluster = np.arange(n) // 3 if "cluster" in design_kind else None
    design = Design.of(weights, cluster, n)
    spread = ReplicateSpread.of(Rows.of(y, pred), design, ranking=True)
    _resample_all(y, [pred], design, 2, 5, ranked_labels(y, score, True), (), spread)
    own = spread.columns()
    # The same draws as the bootstrap's.
    drawn = drawn_counts(np.random.default_rng(5), 2, design.n_units)
    unit_of_row = np.arange(n) if cluster is None else cluster
    w = np.ones(n) if weights is None else weights
    for b in range(2):
        for j in range(y.shape[1]):
            for column, metric in COUNT_METRICS.items():
                expected = _brute_se(metric, y[:, j], pred[:, j], drawn[b], unit_of_row, w)
                assert own[column][b, j] == pytest.approx(expected, abs=1e-10), (column, b, j)
            if design_kind == "rows":
                expected = _brute_se(roc_auc_score, y[:, j], score[:, j], drawn[b], unit_of_row, w)
                assert own["auroc"][b, j] == pytest.approx(expected, abs=1e-10), (b, j)
    # The AUROC has its own standard errors in the unweighted row design only.
    assert ("auroc" in own) == (design_kind == "rows")
    # The sample's own standard errors: the same as those of the leave-one-unit-out values.
    rows = Rows.of(y, pred)
    sample = spread.sample_se(rows, design, score)
    _, left_out = jackknife_metrics(rows, design, y, score)
    for column in (*COUNT_METRICS, "support", "prevalence", "specificity", "auroc"):
        np.testing.assert_allclose(sample[column], jackknife_se(left_out[column]), rtol=1e-10)


def test_the_bootstrap_t_band_studentises_each_replicate_by_its_own_standard_error() -> None:
    # Hand-computed: t*_b = max_j |theta*_bj - theta_j| / se*_bj; the band is
    # theta -/+ c * se with c the ceil(40 * 0.95) = 38th smallest of the 39 maxima.
    rng = np.random.default_rng(33)
    replicates = rng.normal(size=(39, 3))
    own = rng.uniform(0.5, 2.0, size=(39, 3))
    point = np.array([0.1, -0.2, 0.3])
    data = rng.normal(size=(6, 3))
    jackknife = (data.sum(axis=0) - data) / 5
    se = data.std(axis=0, ddof=1) / np.sqrt(6)
    critical = np.sort(np.max(np.abs(replicates - point) / own, axis=1))[37]
    low, high = simultaneous_bounds(replicates, point, 0.95, jackknife, own)
    np.testing.assert_allclose(high - point, critical * se, rtol=1e-12)
    np.testing.assert_allclose(point - low, critical * se, rtol=1e-12)
    # A replicate's entry without spread is left out of its maximum.
    own[:, 0] = 0.0
    critical = np.sort(np.max(np.abs(replicates - point)[:, 1:] / own[:, 1:], axis=1))[37]
    high = simultaneous_bounds(replicates, point, 0.95, jackknife, own)[1]
    np.testing.assert_allclose(high - point, critical * se, rtol=1e-12)


def test_bootstrap_report_bands_count_metrics_and_auroc_by_the_bootstrap_t() -> None:
    y, raw = _data(n=300, n_labels=4)
    score = raw / 2  # probabilities
    report = ml.bootstrap_report(
        y, score, threshold=0.35, n_resamples=99, seed=1, simultaneous=True
    )
    rows = Rows.of(y, score >= 0.35)
    design = Design.of(None, None, y.shape[0])
    spread = ReplicateSpread.of(rows, design, ranking=True)
    ranked = ranked_labels(y, score, True)
    ((_, per_label),) = _resample_all(y, [score >= 0.35], design, 99, 1, ranked, (), spread)
    own = spread.columns()
    _, left_out = jackknife_metrics(rows, design, y, score.astype(np.float64))
    for column in ("f1", "mcc", "auroc"):
        point = np.asarray(report.per_label[column])
        low, high = simultaneous_bounds(
            per_label[column], point, 0.95, left_out[column], own[column]
        )
        got = np.array([report.intervals[f"{column}:{name}"] for name in report.label_names])
        np.testing.assert_allclose(got, np.stack([low, high], axis=1), rtol=1e-12)
    # Average precision has no per-replicate standard error: it keeps the studentised band.
    low, high = simultaneous_bounds(
        per_label["average_precision"], np.asarray(report.per_label["average_precision"]), 0.95
    )
    got = [report.intervals[f"average_precision:{name}"] for name in report.label_names]
    np.testing.assert_allclose(np.array(got), np.stack([low, high], axis=1), rtol=1e-12)


def test_a_label_without_positives_gets_no_auroc_band_and_no_numpy_warning() -> None:
    y, raw = _data(n=120, n_labels=3)
    y[:, 2] = False
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.filterwarnings("ignore", category=ml.UndefinedMetricWarning)
        report = ml.bootstrap_report(y, raw / 2, n_resamples=40, seed=3, simultaneous=True)
    assert np.isnan(report.intervals["auroc:label_2"]).all()
    low, high = report.intervals["auroc:label_0"]
    assert low < report.per_label["auroc"][0] < high
    assert report.intervals["recall:label_2"] == (0.0, 0.0)  # no spread: the point itself


def test_continuous_weights_band_by_the_samples_jackknife_beyond_the_kind_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Continuous weights make nearly every row a kind of its own; past the limit the count
    # metrics are studentised by the sample's jackknife standard error alone.
    from multilabel_attr.core.report import _replicate_jackknife

    y, raw = _data(n=200, n_labels=3)
    score = raw / 2
    w = np.random.default_rng(5).gamma(2.0, size=y.shape[0])
    rows = Rows.of(y, score >= 0.5)
    design = Design.of(w, None, y.shape[0])
    assert ReplicateSpread.of(rows, design, ranking=True) is not None  # 3 x ~200 kind cells
    monkeypatch.setattr(_replicate_jackknife, "_MAX_KIND_CELLS", 3 * 150)
    assert ReplicateSpread.of(rows, design, ranking=True) is None
    report = ml.bootstrap_report(
        y, score, sample_weight=w, n_resamples=60, seed=2, simultaneous=True, ranking=False
    )
    ((_, per_label),) = _resample_all(y, [score >= 0.5], design, 60, 2, None, ())
    _, left_out = jackknife_metrics(rows, design, y, None)
    for column in ("f1", "recall"):
        low, high = simultaneous_bounds(
            per_label[column], np.asarray(report.per_label[column]), 0.95, left_out[column]
        )
        got = np.array([report.intervals[f"{column}:{name}"] for name in report.label_names])
        np.testing.assert_allclose(got, np.stack([low, high], axis=1), rtol=1e-12)


@pytest.mark.parametrize("options", [{"simultaneous": True}, {"method": "bca"}])
def test_a_single_cluster_shows_no_spread_without_failing(options: dict[str, Any]) -> None:
    # Every replicate draws the one cluster once: no replicate has two units to leave out,
    # and the band, like the percentile interval, is the point itself.
    y, raw = _data(n=90, n_labels=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        report = ml.bootstrap_report(
            y, raw / 2, cluster=np.zeros(90, int), n_resamples=20, seed=0, **options
        )
    for name, value in zip(report.label_names, report.per_label["f1"]):
        assert report.intervals[f"f1:{name}"] == (value, value)
